"""The platform profile: the same job, Kafka in and out and the warehouse over JDBC, for real.

A KRaft broker (runners/services/kafka_broker.py) and the test PostgreSQL. The transactions go to a
one-partition topic, so their order is the order the reference sees; the job runs bounded
(kafka_bounded_mode = latest-offset). A read_committed consumer must see exactly the expected
alerts, and PostgreSQL's fraud_alerts must hold every combined alert once, also after a replay.
"""

from __future__ import annotations

import uuid
from pathlib import Path

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
    produce_lines,
    warehouse_rows,
)
from tests.flink.test_fraud_end_to_end import alert_set

pytestmark = pytest.mark.postgres
REPO = Path(__file__).resolve().parents[2]
JOB_FILE = REPO / "sql" / "flink" / "fraud_detection.sql"


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


@pytest.fixture(scope="module")
def replayed(broker, warehouse, tmp_path_factory):
    # No two transactions of a user in one millisecond: behind a one-reader source the job's
    # parallel parsing can swap them (docs/fraud-detection.md, "Kafka and ties"); the file
    # tests cover ties.
    stream = [line for _, line, _ in events(5_000, users=100, seed=5,
                                            rates=Rates(same_millisecond=False))]
    topic = f"transactions-{uuid.uuid4().hex[:8]}"
    create_job_topics(topic)
    produce_lines(broker, topic, stream)
    _, _, jdbc_url = warehouse
    tmp = tmp_path_factory.mktemp("kafka")
    run_platform_job(broker, jdbc_url, topic, "fraud-detection-test", tmp)
    return stream, topic, seed_rules.expected_of_job(stream, fraud_test_model().alerts()), tmp


def test_kafka_gets_the_high_risk_alerts_exactly_once(broker, replayed):
    _, topic, expected, _ = replayed
    got = consume_committed(broker, f"{topic}-alerts")
    assert expected["fraud_alerts"]
    assert alert_set(got) == alert_set(expected["fraud_alerts"])
    assert len(got) == len(expected["fraud_alerts"])


def test_the_warehouse_gets_every_combined_alert_once(warehouse, replayed):
    _, _, expected, _ = replayed
    rows = warehouse_rows(warehouse)
    assert alert_set(rows) == alert_set(expected["alert_history"])
    assert len(rows) == len(expected["alert_history"])


def test_a_replay_adds_no_warehouse_row(broker, warehouse, replayed, tmp_path):
    _, topic, expected, _ = replayed
    _, _, jdbc_url = warehouse
    run_platform_job(broker, jdbc_url, topic, "fraud-detection-replay", tmp_path)
    assert len(warehouse_rows(warehouse)) == len(expected["alert_history"])


def test_kafka_and_a_file_replay_log_identical_feature_rows(warehouse, replayed, tmp_path):
    """The parity of serving and training: the same transactions streamed from Kafka and
    replayed from a file give the same feature rows, scores and versions, to the last bit."""
    stream, _, _, tmp = replayed
    replay = run_job(tmp_path, stream)

    def by_id(rows: list[dict]) -> dict[str, dict]:
        return {row["transaction_id"]: row for row in rows}

    streamed = read_sink(tmp / "fraud_features")
    assert len(streamed) == len(replay.rows["feature_log"]) > 4000
    assert by_id(streamed) == by_id(replay.rows["feature_log"])
    connection, schema, _ = warehouse
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT transaction_id, user_id, fraud_score, model_version, "
                       f"transaction_time FROM {schema}.fraud_scores")
        columns = [c.name for c in cursor.description]
        in_warehouse = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert by_id(in_warehouse) == by_id(replay.rows["fraud_scores"])
