"""Fixtures of the platform tests: a real Kafka broker and a fresh warehouse schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from runners import kafka_broker

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def broker():
    already_running = kafka_broker.running()
    try:
        address = kafka_broker.start()
    except kafka_broker.KafkaUnavailable as error:
        pytest.fail(str(error))
    yield address
    if not already_running:  # leave a broker someone else started alone
        kafka_broker.stop()


@pytest.fixture(scope="module")
def warehouse(postgres_url):
    import psycopg2

    schema = f"fraud_{uuid.uuid4().hex[:8]}"
    connection = psycopg2.connect(postgres_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path TO {schema}")
        cursor.execute((REPO / "sql" / "warehouse" / "fraud_alerts.sql").read_text())
    host_db = postgres_url.split("@", 1)[1]
    user = postgres_url.split("//", 1)[1].split("@", 1)[0]
    yield connection, schema, f"jdbc:postgresql://{host_db}?user={user}&currentSchema={schema}"
    connection.close()
