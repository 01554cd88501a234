"""fraud_detection_ops against a real standalone cluster: a healthy job is left alone; a
cancelled one comes back from its retained checkpoint, with its state; one that ran out of
restarts (its checkpoints failing, or the warehouse down) fails with its cause on record and
comes back once the cause is gone, every alert then in Kafka and the warehouse once.

The fraud job runs as deployed (platform profile: Kafka in and out, PostgreSQL over JDBC) on
the wheel's standalone cluster, submitted by runners/flink_sql.py --detach.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from runners.sample_data.generate_transactions import Rates, events
from runners.services import local_postgres
from tests.flink import seed_rules
from tests.flink.conftest import flink_rest
from tests.flink.model_reference import fraud_test_model
from tests.flink.platform_io import (
    consume_committed,
    create_job_topics,
    produce_lines,
    warehouse_rows,
)
from tests.flink.platform_job import closing_line, expected_counts
from tests.flink.test_fraud_end_to_end import alert_set

DAG_ID = "fraud_detection_ops"
REPO = Path(__file__).resolve().parents[2]


def wait_until(condition, what: str, seconds: int = 180):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {seconds}s")
        time.sleep(2)
    return result


def status_rows(local_airflow) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(local_airflow.root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT job_id, job_state, action_taken, new_job_id, restored_from, "
                           "failure_cause FROM flink_job_status ORDER BY checked_at").fetchall()


@pytest.fixture(scope="module")
def deployed_job(local_airflow, flink_cluster, broker, warehouse, tmp_path_factory):
    topic = f"ops-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic, partitions=1)
    # No late lines: the outputs are compared with the reference after restores
    # (test_platform_faults.py says why). Part of the stream is held back for later.
    stream = [line for _, line, _ in events(3_000, users=50, seed=5, rates=Rates(late=0))]
    produce_lines(broker, topic, stream[:2_000])
    checkpoints = tmp_path_factory.mktemp("ops") / "checkpoints"
    job_vars = {"transactions_topic": topic, "alerts_topic": f"{topic}-alerts",
                "consumer_group": f"ops-{topic}", **fraud_test_model().job_variables()}
    job_env = {"KAFKA_BOOTSTRAP": broker, "FRAUD_JDBC_URL": warehouse[2],
               "FLINK_CHECKPOINT_DIR": checkpoints.as_uri(), "FLINK_CHECKPOINT_INTERVAL": "2 s",
               "FLINK_PARALLELISM": "1", "KAFKA_BOUNDED_MODE": "unbounded",
               # The platform's bounded restarts, shortened: two attempts, 1 s apart.
               "FLINK_RESTART_ATTEMPTS": "2", "FLINK_RESTART_INITIAL_BACKOFF": "1 s",
               "FLINK_RESTART_MAX_BACKOFF": "1 s",
               "LAKE_PATH": str(checkpoints.parent / "lake")}
    local_airflow.env.update(job_env)
    command = [sys.executable, str(REPO / "runners" / "flink_sql.py"),
               str(REPO / "sql" / "flink" / "fraud_detection.sql"), "--profile", "platform",
               "--jobmanager", "127.0.0.1:8081", "--detach"]
    for name, value in job_vars.items():
        command += ["--var", f"{name}={value}"]
    done = subprocess.run(command, cwd=REPO, env={**os.environ, **job_env},
                          capture_output=True, text=True, timeout=300)
    submitted = re.search(r"as job ([0-9a-f]{32})", done.stdout)
    assert done.returncode == 0 and submitted, done.stdout[-2000:] + done.stderr[-3000:]
    job_id = submitted.group(1)
    wait_until(lambda: flink_rest(f"/jobs/{job_id}/checkpoints")["counts"]["completed"] >= 1,
               "completed checkpoint")
    conf = {"jobmanager": "127.0.0.1:8081", "checkpoint_dir": checkpoints.as_uri(),
            "job_vars": job_vars}
    yield job_id, conf, topic, stream
    for job in flink_rest("/jobs/overview")["jobs"]:
        if job["state"] == "RUNNING":
            cancel(job["jid"])


def cancel(job_id: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:8081/jobs/{job_id}?mode=cancel",
                                     method="PATCH")
    urllib.request.urlopen(request, timeout=10).read()


def test_a_healthy_job_is_left_alone(local_airflow, deployed_job):
    job_id, conf, *_ = deployed_job
    outcome, log = local_airflow.run(DAG_ID, "2026-01-01", conf)
    assert outcome["state"] == "success", log[-5000:]
    assert outcome["tasks"] == {"check_flink_job_health": "success",
                                "job_is_healthy": "success", "restart_fraud_job": "skipped",
                                "record_job_status": "success"}
    assert status_rows(local_airflow)[-1] == (job_id, "RUNNING", "none", None, None, None)


def test_a_cancelled_job_comes_back_with_its_state(local_airflow, deployed_job):
    job_id, conf, *_ = deployed_job
    cancel(job_id)
    wait_until(lambda: flink_rest(f"/jobs/{job_id}")["state"] == "CANCELED", "cancelled job")
    outcome, log = local_airflow.run(DAG_ID, "2026-01-02", conf)
    assert outcome["state"] == "success", log[-5000:]
    assert outcome["tasks"] == {"check_flink_job_health": "success",
                                "job_is_healthy": "skipped", "restart_fraud_job": "success",
                                "record_job_status": "success"}
    old_id, state, action, new_id, restored_from, cause = status_rows(local_airflow)[-1]
    assert (old_id, state, action, cause) == (job_id, "CANCELED", "restarted", None)
    assert flink_rest(f"/jobs/{new_id}")["state"] == "RUNNING"
    assert Path(restored_from).parent.name == job_id  # the cancelled job's own checkpoint
    # The new job says it started from that checkpoint: the detectors' state came back.
    restored = wait_until(lambda: flink_rest(f"/jobs/{new_id}/checkpoints")["latest"]
                          .get("restored"), "restore record")
    assert restored["external_path"].removeprefix("file:").rstrip("/") \
        .endswith(restored_from.rstrip("/"))


def running_job() -> str:
    return next(j["jid"] for j in flink_rest("/jobs/overview")["jobs"] if j["state"] == "RUNNING")


def test_a_job_that_runs_out_of_restarts_fails_with_its_cause_and_comes_back(
        local_airflow, deployed_job):
    """Its checkpoint folder cannot be written: every checkpoint fails, the bounded restarts run
    out, and the job fails with the cause on record (with Flink's default strategy it would
    retry forever). Once the folder is back, the DAG restores the failed job from its own last
    completed checkpoint."""
    _, conf, *_ = deployed_job
    job_id = running_job()
    wait_until(lambda: flink_rest(f"/jobs/{job_id}/checkpoints")["counts"]["completed"] >= 1,
               "completed checkpoint")
    folder = Path(conf["checkpoint_dir"].removeprefix("file://")) / job_id
    kept = folder.rename(folder.with_name(f"{job_id}.kept"))
    folder.write_text("not a folder")  # even root cannot create chk-N under a file
    wait_until(lambda: flink_rest(f"/jobs/{job_id}")["state"] == "FAILED", "failed job")
    history = json.dumps(flink_rest(f"/jobs/{job_id}/exceptions"))
    assert "checkpoint" in history.lower()
    # It gave up (FLINK_RESTART_ATTEMPTS = 2) instead of retrying forever. How many restarts
    # came first varies (0 to 2 seen): failures within one back-off count as one.

    folder.unlink()
    kept.rename(folder)
    outcome, log = local_airflow.run(DAG_ID, "2026-01-04", conf)
    assert outcome["state"] == "success", log[-5000:]
    assert outcome["tasks"]["restart_fraud_job"] == "success"
    old_id, state, action, new_id, restored_from, cause = status_rows(local_airflow)[-1]
    assert (old_id, state, action) == (job_id, "FAILED", "restarted")
    assert "checkpoint" in cause.lower() and cause in log  # on record, and in the task's log
    assert Path(restored_from).parent.name == job_id  # the failed job's own checkpoint
    assert flink_rest(f"/jobs/{new_id}")["state"] == "RUNNING"


def test_a_warehouse_down_beyond_the_restarts_fails_the_job_and_it_comes_back_exact(
        local_airflow, deployed_job, broker, postgres_url, warehouse):
    """PostgreSQL stops while transactions flow: the JDBC sink fails, the job's restarts
    (FLINK_RESTART_ATTEMPTS = 2) fail too, and the job fails with the refused connection as
    its cause. The DAG names the cause; once the warehouse is back it restores the job from its
    last checkpoint, and every alert of the whole stream is then in Kafka and in the warehouse
    once (restores of the tests before this one included)."""
    _, conf, topic, stream = deployed_job
    job_id = running_job()
    wait_until(lambda: flink_rest(f"/jobs/{job_id}/checkpoints")["counts"]["completed"] >= 1,
               "completed checkpoint")
    local_postgres.stop()
    try:
        produce_lines(broker, topic, stream[2_000:])
        wait_until(lambda: flink_rest(f"/jobs/{job_id}")["state"] == "FAILED", "failed job")
    finally:
        local_postgres.start()
    outcome, log = local_airflow.run(DAG_ID, "2026-01-05", conf)
    assert outcome["state"] == "success", log[-5000:]
    assert outcome["tasks"]["restart_fraud_job"] == "success"
    old_id, state, action, _, _, cause = status_rows(local_airflow)[-1]
    assert (old_id, state, action) == (job_id, "FAILED", "restarted")
    assert f"Connection to 127.0.0.1:{local_postgres.PORT} refused" in cause
    assert cause in log

    produce_lines(broker, topic, [closing_line(stream)])  # moves event time past the last windows
    expected = seed_rules.expected_of_job([*stream, closing_line(stream)],
                                          fraud_test_model().alerts())
    readable = (postgres_url, warehouse[1], warehouse[2])  # a new connection each time
    wanted = expected_counts(expected)
    wait_until(lambda: len(warehouse_rows(readable)) >= wanted["warehouse"]
               and len(consume_committed(broker, f"{topic}-alerts", idle_seconds=1))
               >= wanted["alerts"], f"the outputs {wanted}")
    time.sleep(6)  # three more checkpoints: room for a duplicate to show up
    for name, table in ((f"{topic}-alerts", "fraud_alerts"),
                        (f"{topic}-alerts-by-detector", "detector_alerts")):
        got = consume_committed(broker, name)
        assert alert_set(got) == alert_set(expected[table]), name
        assert len(got) == len(expected[table]), name
    rows = warehouse_rows(readable)
    assert alert_set(rows) == alert_set(expected["alert_history"])
    assert len(rows) == len(expected["alert_history"])


def test_no_retained_checkpoint_is_a_clear_failure(local_airflow, deployed_job, tmp_path):
    _, conf, *_ = deployed_job
    for job in flink_rest("/jobs/overview")["jobs"]:
        if job["state"] == "RUNNING":
            cancel(job["jid"])
            wait_until(lambda jid=job["jid"]: flink_rest(f"/jobs/{jid}")["state"] == "CANCELED",
                       "cancelled job")
    outcome, log = local_airflow.run(DAG_ID, "2026-01-03",
                                     {**conf, "checkpoint_dir": (tmp_path / "none").as_uri()})
    assert outcome["state"] == "failed"
    assert outcome["tasks"]["restart_fraud_job"] == "failed"
    assert "no retained checkpoint or savepoint" in log
    # The failed restart is on record too: the status row is written whatever happened.
    assert outcome["tasks"]["record_job_status"] == "success"
    import duckdb

    with duckdb.connect(str(local_airflow.root / "warehouse.duckdb"), read_only=True) as con:
        state, action, new_id, error = con.execute(
            "SELECT job_state, action_taken, new_job_id, error FROM flink_job_status "
            "WHERE cast(checked_at AS DATE) = DATE '2026-01-03'").fetchone()
    assert (state, action, new_id) == ("CANCELED", "restart_failed", None)
    assert error.startswith("FileNotFoundError: no retained checkpoint or savepoint under ")
