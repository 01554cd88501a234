"""Reading what the platform profile's job wrote: committed Kafka records, warehouse rows."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def consume_committed(broker: str, topic: str, idle_seconds: float = 8.0) -> list[dict]:
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": broker, "group.id": f"check-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    rows, last = [], time.monotonic()
    try:
        while time.monotonic() - last < idle_seconds:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            rows.append(json.loads(message.value()))
            last = time.monotonic()
    finally:
        consumer.close()
    return rows


def new_warehouse(postgres_url: str) -> tuple[str, str, str]:
    """A schema of its own holding the job's tables, fraud_alerts and fraud_scores:
    (postgres_url, schema, jdbc_url)."""
    import psycopg2

    schema = f"fraud_{uuid.uuid4().hex[:8]}"
    connection = psycopg2.connect(postgres_url)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {schema}")
            cursor.execute(f"SET search_path TO {schema}")
            for table in ("fraud_alerts", "fraud_scores"):
                cursor.execute((REPO / "sql" / "warehouse" / f"{table}.sql").read_text())
    finally:
        connection.close()
    host_db = postgres_url.split("@", 1)[1]
    user = postgres_url.split("//", 1)[1].split("@", 1)[0]
    return postgres_url, schema, f"jdbc:postgresql://{host_db}?user={user}&currentSchema={schema}"


def warehouse_rows(warehouse) -> list[dict]:
    """The rows of fraud_alerts; `warehouse` is (connection or postgres URL, schema, jdbc_url)."""
    import psycopg2

    connection, schema, _ = warehouse
    fresh = isinstance(connection, str)  # a URL: connect now (the server may have restarted)
    if fresh:
        connection = psycopg2.connect(connection, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT transaction_id, alert_type, reason, risk_score, alert_time "
                           f"FROM {schema}.fraud_alerts")
            rows = cursor.fetchall()
    finally:
        if fresh:
            connection.close()
    return [dict(zip(["transactionId", "alertType", "reason", "riskScore", "timestamp"], r,
                     strict=True)) for r in rows]


def create_job_topics(topic: str, partitions: int = 2) -> None:
    """The job's input topic, of `partitions` partitions (the platform's default is 2), and
    its outputs."""
    from runners.services import kafka_broker

    kafka_broker.create_topics(topic, partitions=partitions)
    kafka_broker.create_topics(f"{topic}-alerts", f"{topic}-alerts-by-detector",
                               f"{topic}-dead-letters", f"{topic}-late")


def produce_lines(broker: str, topic: str, lines: list[str], rate: float = 0) -> None:
    """Send the lines in order, as the generator does (idempotent, acks=all); with a rate,
    spread them over len(lines) / rate seconds."""
    from runners.sample_data.generate_transactions import send

    send(broker, topic, lines, rate)


def partition_offsets(broker: str, topic: str) -> tuple[int, int]:
    """(low, high) watermark offsets of the topic's partition 0: with one partition and no
    transactions, high - low is its number of records."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": broker, "group.id": f"probe-{uuid.uuid4().hex}"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    finally:
        consumer.close()


def partition_of_each(broker: str, topic: str, lines: list[str]) -> list[int]:
    """The partition Kafka put each of `lines` in, read back from the topic: what the reference
    needs to decide lateness partition by partition (tests/flink/seed_rules.py, sort_lines)."""
    from confluent_kafka import Consumer

    assert len(set(lines)) == len(lines), "each line must be told apart to find its partition"
    consumer = Consumer({"bootstrap.servers": broker, "group.id": f"check-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    partition_of: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 120
        while len(partition_of) < len(lines) and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                partition_of[message.value().decode()] = message.partition()
    finally:
        consumer.close()
    missing = len(lines) - len(partition_of)
    assert not missing, f"{missing} of the {len(lines)} lines are not in {topic} after 120 s"
    return [partition_of[line] for line in lines]


def produce_to_partitions(broker: str, topic: str, lines: list[str], partitions: list[int],
                          ) -> None:
    """Send each line to the partition given for it, in order."""
    from confluent_kafka import Producer

    from runners.sample_data.generate_transactions import PRODUCER_SETTINGS

    producer = Producer({"bootstrap.servers": broker, **PRODUCER_SETTINGS})
    for text, partition in zip(lines, partitions, strict=True):
        producer.produce(topic, value=text.encode(), partition=partition)
        producer.poll(0)
    assert producer.flush(60) == 0
