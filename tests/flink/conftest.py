"""Fixtures of the platform tests: a real Kafka broker, a fresh warehouse schema, and a
standalone Flink cluster. tests/airflow uses them too (its conftest imports them)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from runners.engines import flink_env
from runners.services import kafka_broker

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


FLINK_HOME = flink_env.flink_home()
REST = "http://127.0.0.1:8081"


def flink_rest(path: str) -> dict:
    with urllib.request.urlopen(f"{REST}{path}", timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def flink_cluster():
    """A standalone Flink cluster from the wheel's start-cluster.sh, REST on 127.0.0.1:8081."""
    env = {**os.environ, "FLINK_HOME": str(FLINK_HOME)}
    subprocess.run([str(FLINK_HOME / "bin" / "start-cluster.sh")], env=env, check=True,
                   capture_output=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if flink_rest("/overview")["slots-available"] >= 1:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the standalone cluster did not come up on 127.0.0.1:8081")
            time.sleep(1)
        yield env
    finally:
        subprocess.run([str(FLINK_HOME / "bin" / "stop-cluster.sh")], env=env,
                       capture_output=True)
