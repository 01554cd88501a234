"""The platform job on a real standalone cluster: a JobManager and two TaskManagers of one slot
each, separate processes started with the wheel's scripts (jobmanager.sh, taskmanager.sh twice)
under a conf folder of this test's own, REST on 127.0.0.1:18081.

The job is submitted as an operator would (`runners/flink_sql.py --jobmanager ... --detach`) at
parallelism 2, unbounded, on a topic of 3 partitions (the readers hold two and one), and the
REST API must show its subtasks on both TaskManagers. While the generator's stream (ties and
bad lines included) is produced, one TaskManager gets SIGKILL and a new one is started: the job
restarts from its checkpoint, and the read_committed consumers of the per-detector and alerts
topics, and the warehouse, must then hold exactly the reference's alerts, each once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from runners.engines import flink_env
from runners.engines.flink_cluster import rest
from runners.engines.flink_sql import latest_checkpoint
from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.model_reference import fraud_test_model
from tests.flink.platform_io import (
    consume_committed,
    create_job_topics,
    new_warehouse,
    partition_of_each,
    produce_lines,
    produce_to_partitions,
    warehouse_rows,
)
from tests.flink.platform_job import closing_line, expected_counts, output_counts, start_job
from tests.flink.test_fraud_end_to_end import alert_set

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]
FLINK_HOME = flink_env.flink_home()
JOBMANAGER = "127.0.0.1:18081"
PARTITIONS = 3
TRANSACTIONS = 4_000
RATE = 100  # lines a second: the stream lasts 40 s
KILL_AFTER = 15  # seconds into the stream
TIMEOUT = 300


@dataclass
class Cluster:
    env: dict[str, str]
    pid_dir: Path
    log_dir: Path

    def script(self, name: str, *args: str, check: bool = True) -> None:
        subprocess.run([str(FLINK_HOME / "bin" / name), *args], env=self.env, check=check,
                       capture_output=True, timeout=120)

    def taskmanager_pids(self) -> list[int]:
        pid_file = next(self.pid_dir.glob("*taskexecutor.pid"))
        return [int(line) for line in pid_file.read_text().split()]

    def taskmanagers(self) -> list[dict]:
        return rest(JOBMANAGER, "/taskmanagers")["taskmanagers"]


def wait_until(condition, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except ConnectionError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:.0f} s")
        time.sleep(1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")
    conf = yaml.safe_load((FLINK_HOME / "conf" / "config.yaml").read_text())
    host, port = JOBMANAGER.split(":")
    conf["jobmanager"].update({"bind-host": host, "rpc": {"address": host, "port": 16123}})
    conf["taskmanager"].update({"bind-host": host, "host": host, "numberOfTaskSlots": 1})
    conf["rest"] = {"address": host, "bind-address": host, "port": int(port)}
    # A lost TaskManager is declared so within 10 s, not Flink's default 50 s.
    conf["heartbeat"] = {"interval": 2000, "timeout": 10000}
    (tmp / "conf").mkdir()
    (tmp / "conf" / "config.yaml").write_text(yaml.safe_dump(conf))
    for name in ("log4j.properties", "log4j-console.properties", "log4j-cli.properties"):
        (tmp / "conf" / name).write_text((FLINK_HOME / "conf" / name).read_text())
    env = {**os.environ, "FLINK_HOME": str(FLINK_HOME), "FLINK_CONF_DIR": str(tmp / "conf"),
           "FLINK_LOG_DIR": str(tmp / "log"), "FLINK_PID_DIR": str(tmp / "pid")}
    running = Cluster(env, tmp / "pid", tmp / "log")
    running.pid_dir.mkdir()
    running.log_dir.mkdir()  # the scripts write into it, and do not make it
    running.script("jobmanager.sh", "start")
    running.script("taskmanager.sh", "start")
    running.script("taskmanager.sh", "start")
    try:
        wait_until(lambda: len(running.taskmanagers()) == 2, "two TaskManagers", 90)
        yield running
    finally:
        for job in rest(JOBMANAGER, "/jobs/overview")["jobs"]:
            if job["state"] == "RUNNING":
                rest(JOBMANAGER, f"/jobs/{job['jid']}?mode=cancel", method="PATCH")
        running.script("taskmanager.sh", "stop-all", check=False)
        running.script("jobmanager.sh", "stop-all", check=False)


@dataclass
class ScaledOut:
    topic: str
    job_id: str
    hosts_of_subtasks: dict[str, tuple[int, set[str]]]
    taskmanagers_before: set[str]
    taskmanagers_after: set[str]
    restarts: int
    warehouse: tuple[str, str, str]
    expected: dict[str, list[dict]]


def submit(topic: str, jdbc_url: str, broker: str, checkpoints: Path, log: Path) -> str:
    """The platform job submitted at parallelism 2, unbounded, as an operator would; its id."""
    submitting = start_job(broker, jdbc_url, topic, checkpoints, log, bounded=False,
                           restore=False, env={"FLINK_PARALLELISM": "2"}, jobmanager=JOBMANAGER)
    assert submitting.wait(timeout=TIMEOUT) == 0, log.read_text()
    return log.read_text().split(" as job ")[1].split()[0]


def hosts_of_subtasks(job_id: str) -> dict[str, tuple[int, set[str]]]:
    """Each vertex's parallelism and the TaskManagers its subtasks run on."""
    hosts = {}
    for vertex in rest(JOBMANAGER, f"/jobs/{job_id}")["vertices"]:
        managers = rest(JOBMANAGER, f"/jobs/{job_id}/vertices/{vertex['id']}/taskmanagers")
        hosts[vertex["name"]] = (vertex["parallelism"],
                                 {tm["taskmanager-id"] for tm in managers["taskmanagers"]})
    return hosts


@pytest.fixture(scope="module")
def scaled_out(cluster, broker, postgres_url, tmp_path_factory) -> ScaledOut:
    tmp = tmp_path_factory.mktemp("scaled-out")
    # No late lines: after the restore, lateness starts again from the replayed lines
    # (test_platform_faults.py says why). Ties and bad lines stay.
    stream = [line for _, line, _ in events(TRANSACTIONS, users=120, seed=17, rates=Rates(late=0))]
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic, partitions=PARTITIONS)
    warehouse = new_warehouse(postgres_url)
    (tmp / "submit").mkdir()
    job_id = submit(topic, warehouse[2], broker, tmp / "checkpoints", tmp / "submit" / "job.log")
    wait_until(lambda: latest_checkpoint(str(tmp / "checkpoints")), "first checkpoint")
    hosts = hosts_of_subtasks(job_id)

    producer = threading.Thread(target=produce_lines, args=(broker, topic, stream),
                                kwargs={"rate": RATE})
    producer.start()
    time.sleep(KILL_AFTER)
    before = {tm["id"] for tm in cluster.taskmanagers()}
    os.kill(cluster.taskmanager_pids()[0], signal.SIGKILL)
    cluster.script("taskmanager.sh", "start")
    producer.join()
    # One closing line a partition, an hour after the stream: every partition's watermark
    # passes the last windows.
    closings = [closing_line(stream, f"-{p}") for p in range(PARTITIONS)]
    produce_to_partitions(broker, topic, closings, list(range(PARTITIONS)))
    lines = stream + closings
    expected = seed_rules.expected_of_job(lines, fraud_test_model().alerts(),
                                          partition_of_each(broker, topic, lines))
    wanted, seen = expected_counts(expected), {}

    def caught_up() -> bool:
        seen.update(output_counts(broker, topic, warehouse))
        return all(seen[name] >= count for name, count in wanted.items())

    wait_until(caught_up, f"outputs {wanted} (seen {seen})")
    time.sleep(6)  # three more checkpoints: room for a duplicate to show up
    restarts = rest(JOBMANAGER, f"/jobs/{job_id}/exceptions")
    return ScaledOut(topic, job_id, hosts, before, {tm["id"] for tm in cluster.taskmanagers()},
                     len(restarts.get("exceptionHistory", {}).get("entries", [])),
                     warehouse, expected)


def test_every_operator_runs_on_both_taskmanagers(cluster, scaled_out):
    """Every vertex at the job's parallelism has a subtask on each TaskManager. Only the feature
    log's commit runs once (the filesystem sink's "end" vertex, at parallelism 1)."""
    vertices = scaled_out.hosts_of_subtasks
    parallel = {name for name, (parallelism, _) in vertices.items() if parallelism == 2}
    assert len(parallel) > 5
    assert set(vertices) - parallel == {"end: Writer"}
    for name in parallel:
        assert len(vertices[name][1]) == 2, name


def test_the_killed_taskmanager_restarted_the_job(cluster, scaled_out):
    assert scaled_out.restarts >= 1
    assert len(scaled_out.taskmanagers_after) == 2
    assert len(scaled_out.taskmanagers_before & scaled_out.taskmanagers_after) == 1
    assert rest(JOBMANAGER, f"/jobs/{scaled_out.job_id}")["state"] == "RUNNING"


def test_every_alert_once_on_kafka_and_in_the_warehouse(broker, scaled_out):
    for topic, table in ((f"{scaled_out.topic}-alerts", "fraud_alerts"),
                         (f"{scaled_out.topic}-alerts-by-detector", "detector_alerts")):
        got = consume_committed(broker, topic)
        assert alert_set(got) == alert_set(scaled_out.expected[table]), topic
        assert len(got) == len(scaled_out.expected[table]), topic
    rows = warehouse_rows(scaled_out.warehouse)
    assert alert_set(rows) == alert_set(scaled_out.expected["alert_history"])
    assert len(rows) == len(scaled_out.expected["alert_history"])
