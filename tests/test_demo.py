"""The demo's own checks (runners/demo.py): what it starts in the background must have worked
before the steps that need it run. The demo as a whole is not in the suite (2 minutes); each of
its steps is."""

from __future__ import annotations

import subprocess
import sys

import pytest

from runners import demo


def test_a_failed_background_start_stops_the_demo_naming_its_log(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "LOGS", tmp_path)
    (tmp_path / "airflow_migrate.log").write_text("sqlite3.OperationalError: disk I/O error\n")
    started = {
        "spark_connect": subprocess.Popen([sys.executable, "-c", "pass"]),
        "airflow_migrate": subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"]),
    }
    with pytest.raises(demo.StepFailed) as raised:
        demo.wait_for_warm_ups(started)
    assert str(raised.value) == (
        f"airflow_migrate failed (exit 3); its log: {tmp_path / 'airflow_migrate.log'}\n"
        "sqlite3.OperationalError: disk I/O error")
    assert list(started) == ["spark_connect"]  # the failed one is not stopped later


def test_background_starts_that_worked_let_the_demo_go_on(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "LOGS", tmp_path)
    started = {"airflow_migrate": subprocess.Popen([sys.executable, "-c", "pass"])}
    demo.wait_for_warm_ups(started)
    assert list(started) == ["airflow_migrate"]
