"""Running the fraud job as deployed (`runners/flink_sql.py --profile platform`) in a test: its
own process group, its own Flink log folder, and the counts of what it has committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.flink import seed_rules
from tests.flink.model_reference import Model, fraud_test_model
from tests.flink.platform_io import consume_committed, warehouse_rows

REPO = Path(__file__).resolve().parents[2]
JOB_FILE = REPO / "sql" / "flink" / "fraud_detection.sql"
START_TIMEOUT = 240


def start_job(broker: str, jdbc_url: str, topic: str, checkpoints: Path, log: Path,
              bounded: bool, restore: bool, env: dict[str, str] | None = None,
              model: Model | None = None, jobmanager: str | None = None) -> subprocess.Popen:
    """The job on `topic`, scoring with `model` (the tests' model by default); its output in
    `log`, Flink's log in the same folder, its feature log in the folder's lake/. With
    `jobmanager`, submitted to that session cluster (--detach): the process ends once it is."""
    env = {**os.environ, "KAFKA_BOOTSTRAP": broker, "FRAUD_JDBC_URL": jdbc_url,
           "FLINK_CHECKPOINT_DIR": f"file://{checkpoints}", "FLINK_CHECKPOINT_INTERVAL": "2 s",
           "KAFKA_BOUNDED_MODE": "latest-offset" if bounded else "unbounded",
           "FLINK_LOG_DIR": str(log.parent), "LAKE_PATH": str(log.parent / "lake"),
           **(env or {})}
    command = [sys.executable, str(REPO / "runners" / "flink_sql.py"), str(JOB_FILE),
               "--profile", "platform", "--var", f"transactions_topic={topic}",
               "--var", f"alerts_topic={topic}-alerts", "--var", f"consumer_group={topic}"]
    for name, value in (model or fraud_test_model()).job_variables().items():
        command += ["--var", f"{name}={value}"]
    if restore:
        command += ["--restore", "latest"]
    if jobmanager:
        command += ["--jobmanager", jobmanager, "--detach"]
    with log.open("w") as out:  # the child keeps its own handle
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own group: kill JVM and workers too


def flink_log(log: Path) -> str:
    """What the job's MiniCluster logged (FLINK_LOG_DIR is the folder of `log`)."""
    return "\n".join(p.read_text(errors="replace")
                     for p in sorted(log.parent.glob("flink-*-python-*.log")))


def wait_for(condition: Callable[[], object], job: subprocess.Popen, log: Path, what,
             timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if job.poll() is not None:
            pytest.fail(f"the job exited ({job.returncode}) before {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            os.killpg(job.pid, signal.SIGKILL)
            pytest.fail(f"no {what if isinstance(what, str) else what()} after {timeout:.0f}s:"
                        f"\n{log.read_text()[-3000:]}")
        time.sleep(1)


def stop_job(job: subprocess.Popen) -> None:
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()


def closing_line(stream: list[str], suffix: str = "") -> str:
    """An ordinary purchase by a new user, an hour after the stream's last transaction: it moves
    event time past the stream's last windows (an unbounded job waits for it, in each
    partition: `suffix` tells the users apart)."""
    last = max(ts for _, ts, error in map(seed_rules.check, stream) if not error)
    return json.dumps({"transactionId": f"T-closing{suffix}", "userId": f"U-closing{suffix}",
                       "cardNumber": "4000000000000000", "amount": 12.5, "merchantId": "M00001",
                       "merchantCategory": "GROCERY", "location": "Paris", "latitude": 48.85,
                       "longitude": 2.35, "timestamp": last + 3_600_000})


def expected_counts(expected: dict[str, list[dict]]) -> dict[str, int]:
    return {"alerts": len(expected["fraud_alerts"]),
            "by-detector": len(expected["detector_alerts"]),
            "warehouse": len(expected["alert_history"])}


def output_counts(broker: str, topic: str, warehouse) -> dict[str, int]:
    """How many alerts a read_committed consumer sees on each topic, and rows the warehouse has."""
    return {"alerts": len(consume_committed(broker, f"{topic}-alerts", idle_seconds=1)),
            "by-detector": len(consume_committed(broker, f"{topic}-alerts-by-detector",
                                                 idle_seconds=1)),
            "warehouse": len(warehouse_rows(warehouse))}
