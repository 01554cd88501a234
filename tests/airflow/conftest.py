"""Airflow in its own processes: a fresh AIRFLOW_HOME and warehouse per test module."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.flink.conftest import broker, flink_cluster, warehouse  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]


def write_profile(path: Path, data: Path, **locations: str) -> Path:
    """The local profile with every location under `data` instead of the checkout's data/,
    then `locations` on top: a test's deployment."""
    import tomllib

    profile = tomllib.loads((REPO / "runners" / "profiles" / "local.toml").read_text())
    for name, value in profile["vars"].items():
        if name.endswith("_path"):
            profile["vars"][name] = str(data / Path(value).relative_to("data"))
    profile["vars"].update(locations)
    # JSON strings are TOML basic strings.
    path.write_text("".join(f"[{section}]\n" + "".join(
        f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in values.items()) + "\n"
        for section, values in profile.items()))
    return path


class LocalAirflow:
    """runners/services/airflow_local.py with this module's home, data folder, profile and
    warehouse."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "AIRFLOW_HOME": str(root / "airflow"),
                    "SQLPLATFORM_DATA": str(root / "data"), "SQLPLATFORM_TASK_RETRIES": "0",
                    "SQLPLATFORM_PROFILE": str(write_profile(root / "local.toml",
                                                             root / "data")),
                    "AIRFLOW_CONN_ML_METADATA": json.dumps(
                        {"conn_type": "duckdb", "host": str(root / "warehouse.duckdb")}),
                    "AIRFLOW_CONN_WAREHOUSE": json.dumps(
                        {"conn_type": "duckdb", "host": str(root / "warehouse.duckdb")})}
        self.env.pop("WAREHOUSE_URL", None)

    def command(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        script = REPO / "runners" / "services" / "airflow_local.py"
        return subprocess.run([sys.executable, str(script), *args],
                              cwd=REPO, env=env or self.env, capture_output=True, text=True,
                              timeout=900)

    def describe(self) -> dict:
        """As deployed: with the DAGs' own retries."""
        env = {k: v for k, v in self.env.items() if k != "SQLPLATFORM_TASK_RETRIES"}
        done = self.command("describe", env=env)
        return printed_json(done, '"import_errors"')

    def run(self, dag_id: str, date: str, conf: dict) -> tuple[dict, str]:
        """Run the DAG once; its outcome (state, task states) and its log. Locations (`*_path`
        keys) go into a profile for the run, where a deployment keeps them; the rest of `conf`
        is the run's params."""
        locations = {k: v for k, v in conf.items() if k.endswith("_path")}
        params = {k: v for k, v in conf.items() if k not in locations}
        profile = write_profile(self.root / f"run-{dag_id}-{date}.toml", self.root / "data",
                                **locations)
        done = self.command("run", dag_id, "--date", date, "--conf", json.dumps(params),
                            env={**self.env, "SQLPLATFORM_PROFILE": str(profile)})
        return printed_json(done, '"dag_id"'), done.stdout + done.stderr


def printed_json(done: subprocess.CompletedProcess, first_key: str) -> dict:
    """The JSON document the command printed last (Airflow logs to stdout too)."""
    output = "\n" + done.stdout
    start = output.rfind(f"\n{{\n  {first_key}")
    if start < 0:
        pytest.fail(f"no JSON from {done.args[2:]}:\n{done.stdout[-3000:]}\n"
                    f"{done.stderr[-3000:]}")
    return json.loads(output[start + 1:])


@pytest.fixture(scope="module")
def local_airflow(tmp_path_factory) -> LocalAirflow:
    return LocalAirflow(tmp_path_factory.mktemp("airflow"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SparkCluster:
    """A standalone Spark master and one worker, from the pyspark wheel, on 127.0.0.1."""

    def __init__(self, root: Path):
        import pyspark

        self.home = Path(pyspark.__file__).parent
        self.port, self.ui_port = free_port(), free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SPARK_HOME": str(self.home), "SPARK_LOCAL_IP": "127.0.0.1",
                    "SPARK_DAEMON_MEMORY": "256m", "SPARK_WORKER_DIR": str(root / "work"),
                    "PYSPARK_PYTHON": sys.executable}
        self.logs = root
        self.processes: list[subprocess.Popen] = []

    def _start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes.append(subprocess.Popen(
            [str(self.home / "bin" / "spark-class"), *args], env=self.env, stdout=log,
            stderr=subprocess.STDOUT))

    def status(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as r:
            return json.load(r)

    def start(self) -> None:
        self._start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", str(self.port), "--webui-port", str(self.ui_port))
        self._start("worker", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--webui-port", str(free_port()), "--cores", "2", "--memory", "1g",
                    self.url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.status().get("aliveworkers") == 1:
                    return
            time.sleep(1)
        raise RuntimeError(f"no Spark worker registered in 90 s; logs in {self.logs}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory) -> SparkCluster:
    cluster = SparkCluster(tmp_path_factory.mktemp("spark_cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
