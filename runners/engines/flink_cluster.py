"""The fraud job on a Flink session cluster, through its REST API: find it, stop it with a
savepoint, submit it (again) with runners/flink_sql.py. The Airflow DAGs that operate the job
(fraud_detection_ops restarts it, fraud_model_training rolls out a model) do it with these.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from runners import CHECKOUT

JOB_FILE = CHECKOUT / "sql" / "flink" / "fraud_detection.sql"
# Job states in which Flink itself is running or recovering the job.
ALIVE = {"INITIALIZING", "CREATED", "RUNNING", "RESTARTING", "RECONCILING"}
START_TIMEOUT_S = 180
SAVEPOINT_TIMEOUT_S = 300


def rest(jobmanager: str, path: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://{jobmanager}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = response.read()
    except OSError as error:
        raise ConnectionError(f"the Flink REST API at {jobmanager} did not answer {path}: "
                              f"{error}") from error
    return json.loads(answer) if answer else {}


def alive_job(jobmanager: str, name: str) -> str | None:
    """The id of the newest job called `name` that runs (or recovers), if any."""
    jobs = [j for j in rest(jobmanager, "/jobs/overview")["jobs"]
            if j["name"] == name and j["state"] in ALIVE]
    return max(jobs, key=lambda j: j["start-time"])["jid"] if jobs else None


def stop_with_savepoint(jobmanager: str, job_id: str, directory: str) -> str:
    """Stop the job, its sinks committing, after a savepoint into `directory`; its path."""
    trigger = rest(jobmanager, f"/jobs/{job_id}/stop", "POST",
                   {"targetDirectory": directory, "drain": False})["request-id"]
    deadline = time.monotonic() + SAVEPOINT_TIMEOUT_S
    while time.monotonic() < deadline:
        status = rest(jobmanager, f"/jobs/{job_id}/savepoints/{trigger}")
        if status["status"]["id"] == "COMPLETED":
            operation = status["operation"]
            if "failure-cause" in operation:
                raise RuntimeError(f"the savepoint of job {job_id} failed: "
                                   f"{operation['failure-cause'].get('stack-trace', '')[:500]}")
            return operation["location"]
        time.sleep(1)
    raise TimeoutError(f"no savepoint of job {job_id} after {SAVEPOINT_TIMEOUT_S} s")


def runner_error(stderr: str) -> str | None:
    """The runner's last `error:` with its indented causes, on one line."""
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("error:")]
    if not starts:
        return None
    block = [lines[starts[-1]]]
    block += [line.strip() for line in lines[starts[-1] + 1:] if line.startswith(" ")]
    return " ".join(block)


def submit(jobmanager: str, profile: str, variables: Mapping[str, str],
           restore: str | Path | None = None, job_file: Path = JOB_FILE) -> str:
    """Submit the job file (detached) and wait until it runs; its job id. A submission that
    fails (a model file that is not the registry's, say) raises with the runner's error."""
    command = [sys.executable, str(CHECKOUT / "runners" / "flink_sql.py"), str(job_file),
               "--profile", profile, "--jobmanager", jobmanager, "--detach"]
    if restore:
        command += ["--restore", str(restore)]
    for name, value in variables.items():
        command += ["--var", f"{name}={value}"]
    done = subprocess.run(command, cwd=CHECKOUT, capture_output=True, text=True, timeout=600)
    print(done.stdout, done.stderr[-2000:])
    submitted = re.search(r"as job ([0-9a-f]{32})", done.stdout)
    if done.returncode != 0 or not submitted:
        raise RuntimeError(runner_error(done.stderr) or f"the submission failed:\n"
                                                         f"{done.stderr[-3000:]}")
    job_id = submitted.group(1)
    deadline = time.monotonic() + START_TIMEOUT_S
    while (state := rest(jobmanager, f"/jobs/{job_id}")["state"]) != "RUNNING":
        if state in ("FAILED", "CANCELED", "FINISHED") or time.monotonic() > deadline:
            raise RuntimeError(f"the submitted job {job_id} is {state}, not RUNNING")
        time.sleep(2)
    return job_id
