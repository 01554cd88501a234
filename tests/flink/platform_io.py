"""Reading what the platform profile's job wrote: committed Kafka records, warehouse rows."""

from __future__ import annotations

import json
import time
import uuid


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


def warehouse_rows(warehouse) -> list[dict]:
    connection, schema, _ = warehouse
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT transaction_id, alert_type, reason, risk_score, alert_time "
                       f"FROM {schema}.fraud_alerts")
        return [dict(zip(["transactionId", "alertType", "reason", "riskScore", "timestamp"], r,
                         strict=True)) for r in cursor.fetchall()]


def create_job_topics(topic: str) -> None:
    """The job's input topic (one partition: the reference sees its order) and its outputs."""
    from runners.services import kafka_broker

    kafka_broker.create_topics(topic, partitions=1)
    kafka_broker.create_topics(f"{topic}-alerts", f"{topic}-alerts-by-detector",
                               f"{topic}-dead-letters", f"{topic}-late")


def produce_lines(broker: str, topic: str, lines: list[str], rate: float = 0) -> None:
    """Send the lines in order; with a rate, spread them over len(lines) / rate seconds."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": broker})
    started = time.monotonic()
    for sent, line in enumerate(lines):
        while True:
            try:
                producer.produce(topic, value=line.encode())
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.5)
        if rate and sent % 50 == 0:
            producer.poll(0)
            time.sleep(max(0.0, sent / rate - (time.monotonic() - started)))
    producer.flush()
