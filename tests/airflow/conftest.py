"""Airflow in its own processes: a fresh AIRFLOW_HOME and warehouse per test module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flink.conftest import broker, flink_cluster, warehouse  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]


class LocalAirflow:
    """runners/airflow_local.py with this module's home, data folder and warehouse."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {**os.environ, "AIRFLOW_HOME": str(root / "airflow"),
                    "SQLPLATFORM_DATA": str(root / "data"), "SQLPLATFORM_TASK_RETRIES": "0",
                    "AIRFLOW_CONN_ML_METADATA": json.dumps(
                        {"conn_type": "duckdb", "host": str(root / "warehouse.duckdb")}),
                    "AIRFLOW_CONN_WAREHOUSE": json.dumps(
                        {"conn_type": "duckdb", "host": str(root / "warehouse.duckdb")})}
        self.env.pop("WAREHOUSE_URL", None)

    def command(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "runners" / "airflow_local.py"), *args],
                              cwd=REPO, env=env or self.env, capture_output=True, text=True,
                              timeout=900)

    def describe(self) -> dict:
        """As deployed: with the DAGs' own retries."""
        env = {k: v for k, v in self.env.items() if k != "SQLPLATFORM_TASK_RETRIES"}
        done = self.command("describe", env=env)
        return printed_json(done, '"import_errors"')

    def run(self, dag_id: str, date: str, conf: dict) -> tuple[dict, str]:
        """Run the DAG once; its outcome (state, task states) and its log."""
        done = self.command("run", dag_id, "--date", date, "--conf", json.dumps(conf))
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
