"""The SQL files are sqlfluff-clean, and the Python is ruff-clean."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_sqlfluff_spark():
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", "sql/spark"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sqlfluff_flink_warehouse_and_report():
    """The flink dialect (sql/flink/.sqlfluff; only MATCH_RECOGNIZE is exempt, as it cannot
    be parsed), postgres for the warehouse DDL, duckdb for the report's queries."""
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", "sql/flink", "sql/warehouse",
                           "sql/report", "benchmarks/flink"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sqlfluff_airflow():
    """The statements Airflow renders with Jinja, linted rendered (sql/airflow/.sqlfluff)."""
    proc = subprocess.run([str(BIN / "sqlfluff"), "lint", "--templater", "jinja",
                           "--disregard-sqlfluffignores", "sql/airflow"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff():
    proc = subprocess.run([str(BIN / "ruff"), "check", "runners", "udfs", "dags", "tests",
                           "benchmarks"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
