"""A folder of Spark SQL files run from an Airflow task: runners/spark_sql.py in a process of its
own, on the Spark master a connection names (or local Spark), its output in the task's log.
The churn and fraud-model DAGs build their features this way."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from runners import CHECKOUT


def run_folder(folder: Path, variables: Mapping[str, str], spark_conn_id: str = "",
               what: str = "the Spark SQL files") -> None:
    """Run every file of `folder` with these --vars; a failure raises with the run's stderr."""
    command = [sys.executable, str(CHECKOUT / "runners" / "spark_sql.py"), str(folder)]
    for name, value in variables.items():
        command += ["--var", f"{name}={value}"]
    if spark_conn_id:
        from airflow.sdk import Connection

        command += ["--master", Connection.get(spark_conn_id).host]
    done = subprocess.run(command, cwd=CHECKOUT, capture_output=True, text=True)
    print(done.stdout)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
