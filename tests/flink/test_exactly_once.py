"""Exactly-once across a crash: kill the running job mid-stream, restart it from its checkpoint.

The job runs as users run it, `runners/flink_sql.py --profile platform`, in its own process
group, reading an unbounded topic while the stream is still being produced. Once a checkpoint
has committed alerts, the whole process (JVM, MiniCluster, Python workers) is killed with
SIGKILL: no clean shutdown, Kafka transactions left open, JDBC rows written after the
checkpoint. The restart (`--restore latest`) must then give a read_committed consumer every
expected alert exactly once, and the warehouse no duplicate.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from runners.engines.flink_sql import latest_checkpoint
from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.model_reference import fraud_test_model
from tests.flink.platform_io import (
    consume_committed,
    create_job_topics,
    produce_lines,
    warehouse_rows,
)
from tests.flink.platform_job import (
    closing_line,
    expected_counts,
    output_counts,
    start_job,
    stop_job,
    wait_for,
)
from tests.flink.test_fraud_end_to_end import alert_set

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def crashed_and_restored(broker, warehouse, tmp_path_factory):
    # No late lines: watermarks are not part of a checkpoint (the restarted sources regenerate
    # them from the replayed records), so which lines count as late right at the restart point
    # depends on where the checkpoint fell. Lateness has its own tests.
    # No same-millisecond ties: see tests/flink/test_kafka_platform.py.
    stream = [line for _, line, _ in events(12_000, users=200, seed=17,
                                            rates=Rates(late=0, same_millisecond=False))]
    expected = seed_rules.expected_of_job([*stream, closing_line(stream)],
                                          fraud_test_model().alerts())
    topic = f"transactions-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic)
    _, _, jdbc_url = warehouse
    tmp = tmp_path_factory.mktemp("crash")
    checkpoints = tmp / "checkpoints"
    half = len(stream) // 2
    produce_lines(broker, topic, stream[:half])

    first = start_job(broker, jdbc_url, topic, checkpoints, tmp / "first.log",
                      bounded=False, restore=False)
    wait_for(lambda: latest_checkpoint(str(checkpoints)) is not None
             and consume_committed(broker, f"{topic}-alerts", idle_seconds=2),
             first, tmp / "first.log", "a checkpoint with committed alerts")
    rest = threading.Thread(target=produce_lines,
                            args=(broker, topic, stream[half:]), kwargs={"rate": 1000})
    rest.start()
    time.sleep(3)  # the second half is still being produced and processed
    stop_job(first)
    rest.join()
    before_restart = consume_committed(broker, f"{topic}-alerts", idle_seconds=3)

    # The restart runs unbounded, as a deployment would (a restored Kafka split keeps the
    # stopping offset it was checkpointed with). A closing record an hour later then moves
    # event time past the stream's last windows; the reference sees it too.
    produce_lines(broker, topic, [closing_line(stream)])
    second = start_job(broker, jdbc_url, topic, checkpoints, tmp / "second.log",
                       bounded=False, restore=True)
    wanted = expected_counts(expected)
    seen: dict[str, int] = {}

    def caught_up() -> bool:
        seen.update(output_counts(broker, topic, warehouse))
        return all(count >= wanted[name] for name, count in seen.items())

    wait_for(caught_up, second, tmp / "second.log",
             lambda: f"the expected outputs {wanted} (seen: {seen})")
    time.sleep(6)  # three more checkpoints: room for any duplicate to show up
    stop_job(second)
    log = (tmp / "second.log").read_text()
    return topic, expected, before_restart, log


def test_the_job_was_killed_mid_stream(crashed_and_restored):
    _, expected, before_restart, log = crashed_and_restored
    assert 0 < len(before_restart) < len(expected["fraud_alerts"])
    assert "restoring from file://" in log


def test_kafka_sees_every_alert_once_after_the_crash(broker, crashed_and_restored):
    topic, expected, _, _ = crashed_and_restored
    got = consume_committed(broker, f"{topic}-alerts")
    assert alert_set(got) == alert_set(expected["fraud_alerts"])
    assert len(got) == len(expected["fraud_alerts"])


def test_every_detector_alert_once_after_the_crash(broker, crashed_and_restored):
    topic, expected, _, _ = crashed_and_restored
    got = consume_committed(broker, f"{topic}-alerts-by-detector")
    assert alert_set(got) == alert_set(expected["detector_alerts"])
    assert len(got) == len(expected["detector_alerts"])


def test_the_warehouse_holds_no_duplicate_after_the_crash(warehouse, crashed_and_restored):
    _, expected, _, _ = crashed_and_restored
    rows = warehouse_rows(warehouse)
    assert alert_set(rows) == alert_set(expected["alert_history"])
    assert len(rows) == len(expected["alert_history"])
