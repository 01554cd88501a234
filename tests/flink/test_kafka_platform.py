"""The platform profile: the same job, Kafka in and out and the warehouse over JDBC, for real.

A KRaft broker (runners/services/kafka_broker.py) and the test PostgreSQL. The generator's
default stream (ties, late and bad lines included) goes to a topic keyed by user of 1, 3 and 4
partitions, read by the job at parallelism 2: one partition leaves a reader without one, three
give the readers two and one. The job runs bounded (kafka_bounded_mode = latest-offset). For each
partition count, a read_committed consumer must see exactly the reference's per-detector and
high-risk alerts, and PostgreSQL's fraud_alerts every combined alert once. The reference decides
lateness in each line's own partition, read back from the topic (seed_rules.sort_lines).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from runners.engines import flink_sql
from runners.profiles import load_profile
from runners.sample_data.generate_transactions import Rates, events
from tests.flink import seed_rules
from tests.flink.harness import read_sink, run_job
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
from tests.flink.test_fraud_end_to_end import alert_set

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]
JOB_FILE = REPO / "sql" / "flink" / "fraud_detection.sql"
HOUR_MS = 3_600_000


def run_platform_job(broker: str, jdbc_url: str, topic: str, group: str, tmp: Path) -> None:
    # The platform profile, with its environment's values given here.
    variables = {"kafka_bootstrap": broker, "fraud_jdbc_url": jdbc_url,
                 "transactions_topic": topic, "alerts_topic": f"{topic}-alerts",
                 "consumer_group": group, "kafka_bounded_mode": "latest-offset",
                 "fraud_features_path": str(tmp / "fraud_features"),
                 **fraud_test_model().job_variables()}
    checkpoints = {"execution.checkpointing.interval": "2 s",
                   "execution.checkpointing.dir": f"file://{tmp}/checkpoints"}
    flink_sql.run(flink_sql.build([JOB_FILE], load_profile("platform"), variables,
                                  settings=checkpoints))


@dataclass(frozen=True)
class Replay:
    stream: list[str]
    topic: str
    partitions: list[int]  # each line's partition
    warehouse: tuple[str, str, str]  # (postgres_url, schema, jdbc_url)
    expected: dict[str, list[dict]]
    tmp: Path


@pytest.fixture(scope="module", params=[1, 3, 4], ids=lambda count: f"{count}-partitions")
def replayed(request, broker, postgres_url, tmp_path_factory) -> Replay:
    stream = [line for _, line, _ in events(5_000, users=100, seed=5, rates=Rates())]
    topic = f"transactions-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic, partitions=request.param)
    produce_lines(broker, topic, stream)
    warehouse = new_warehouse(postgres_url)
    tmp = tmp_path_factory.mktemp(f"kafka-{request.param}")
    run_platform_job(broker, warehouse[2], topic, "fraud-detection-test", tmp)
    partitions = partition_of_each(broker, topic, stream)
    assert len(set(partitions)) == request.param  # every partition holds lines
    expected = seed_rules.expected_of_job(stream, fraud_test_model().alerts(), partitions)
    return Replay(stream, topic, partitions, warehouse, expected, tmp)


def test_every_detector_alert_reaches_kafka_once(broker, replayed):
    got = consume_committed(broker, f"{replayed.topic}-alerts-by-detector")
    expected = replayed.expected["detector_alerts"]
    assert alert_set(got) == alert_set(expected)
    assert len(got) == len(expected)


def test_kafka_gets_the_high_risk_alerts_exactly_once(broker, replayed):
    got = consume_committed(broker, f"{replayed.topic}-alerts")
    expected = replayed.expected["fraud_alerts"]
    assert expected
    assert alert_set(got) == alert_set(expected)
    assert len(got) == len(expected)


def test_the_warehouse_gets_every_combined_alert_once(replayed):
    rows = warehouse_rows(replayed.warehouse)
    assert alert_set(rows) == alert_set(replayed.expected["alert_history"])
    assert len(rows) == len(replayed.expected["alert_history"])


def test_the_late_lines_reach_kafka_and_are_late_in_the_stream_order_too(broker, replayed):
    """The job routes exactly the reference's late lines. Kafka keeps no order across
    partitions, so a line is late in its own partition's order. That is never stricter than the
    stream's order, only looser: a line minutes late whose partition received nothing newer
    meanwhile is on time in it. One partition is the stream."""
    late = [row["line"] for row in replayed.expected["late_transactions"]]
    got = [row["line"] for row in consume_committed(broker, f"{replayed.topic}-late")]
    assert sorted(got) == sorted(late)
    in_stream_order = [row["line"] for row in seed_rules.expected_of_job(
        replayed.stream, fraud_test_model().alerts())["late_transactions"]]
    assert late
    if len(set(replayed.partitions)) == 1:
        assert late == in_stream_order
    else:
        assert set(late) <= set(in_stream_order)


def line(user: str, number: int, millis: int) -> str:
    return json.dumps({"transactionId": f"{user}-{number}", "userId": user, "amount": 20.0,
                       "merchantCategory": "GROCERY", "latitude": 48.85, "longitude": 2.35,
                       "timestamp": millis})


def test_a_line_is_late_by_its_own_partition_not_by_its_readers_other_one(
        broker, postgres_url, tmp_path):
    """At parallelism 2, partitions 0 and 2 of a 3-partition topic share a reader (Kafka's
    enumerator deals them round-robin). Partition 2's user is hours behind partition 0's, so
    that reader's watermark, the smaller of its partitions', is hours behind partition 0's. A
    line a minute late in partition 0 is late all the same, whatever the reader fetched."""
    start = 1_767_225_600_000  # 2026-01-01
    ahead = [line("U-ahead", n, start + 5 * HOUR_MS + n * 10_000) for n in range(300)]
    late = line("U-ahead", 9_999, start + 5 * HOUR_MS + 99 * 10_000 - 60_000)
    ahead.insert(100, late)
    # Long enough for the reader to be still reading it when it reaches the late line: with
    # 5,000 lines, Flink's own watermark happened to route the line late too (the test could
    # not tell them apart); with 20,000 it let the line through, in two runs of two.
    behind = [line("U-behind", n, start + n * 1_000) for n in range(20_000)]
    other = [line("U-other", n, start + n * 60_000) for n in range(10)]
    lines, partitions = ahead + behind + other, [0] * len(ahead) + [2] * len(behind) + [1] * 10
    topic = f"transactions-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic, partitions=3)
    produce_to_partitions(broker, topic, lines, partitions)
    warehouse = new_warehouse(postgres_url)
    run_platform_job(broker, warehouse[2], topic, "fraud-detection-test", tmp_path)
    expected = seed_rules.expected_of_job(lines, fraud_test_model().alerts(), partitions)
    assert [row["line"] for row in expected["late_transactions"]] == [late]
    assert [row["line"] for row in consume_committed(broker, f"{topic}-late")] == [late]
    got = consume_committed(broker, f"{topic}-alerts-by-detector")
    assert alert_set(got) == alert_set(expected["detector_alerts"])


@pytest.mark.parametrize("replayed", [3], indirect=True, ids=["3-partitions"])
def test_a_replay_adds_no_warehouse_row(broker, replayed, tmp_path):
    run_platform_job(broker, replayed.warehouse[2], replayed.topic, "fraud-detection-replay",
                     tmp_path)
    assert len(warehouse_rows(replayed.warehouse)) == len(replayed.expected["alert_history"])


@pytest.mark.parametrize("replayed", [1], indirect=True, ids=["1-partitions"])
def test_kafka_and_a_file_replay_log_identical_feature_rows(replayed, tmp_path):
    """The parity of serving and training: the same transactions streamed from Kafka and
    replayed from a file give the same feature rows, scores and versions, to the last bit."""
    stream, tmp = replayed.stream, replayed.tmp
    replay = run_job(tmp_path, stream)

    def by_id(rows: list[dict]) -> dict[str, dict]:
        return {row["transaction_id"]: row for row in rows}

    streamed = read_sink(tmp / "fraud_features")
    assert len(streamed) == len(replay.rows["feature_log"]) > 4000
    assert by_id(streamed) == by_id(replay.rows["feature_log"])
    postgres_url, schema, _ = replayed.warehouse
    connection = psycopg2.connect(postgres_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT transaction_id, user_id, fraud_score, model_version, "
                           f"transaction_time FROM {schema}.fraud_scores")
            columns = [c.name for c in cursor.description]
            in_warehouse = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
    assert by_id(in_warehouse) == by_id(replay.rows["fraud_scores"])
