"""Fixtures of the platform tests: a real Kafka broker, a fresh warehouse schema, and a
standalone Flink cluster. tests/airflow uses them too (its conftest imports them)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from runners.engines import flink_env
from runners.services import kafka_broker
from tests.flink.platform_io import new_warehouse

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
    """A fresh schema with the table fraud_alerts: (connection, schema, jdbc_url)."""
    import psycopg2

    _, schema, jdbc_url = new_warehouse(postgres_url)
    connection = psycopg2.connect(postgres_url)
    connection.autocommit = True
    yield connection, schema, jdbc_url
    connection.close()


FLINK_HOME = flink_env.flink_home()
REST = "http://127.0.0.1:8081"


def flink_rest(path: str) -> dict:
    with urllib.request.urlopen(f"{REST}{path}", timeout=5) as response:
        return json.load(response)


@pytest.fixture(scope="session")
def flink_cluster():
    """A standalone Flink cluster from the wheel's start-cluster.sh, REST on 127.0.0.1:8081, one
    for the run: a module using it cancels the jobs it leaves running."""
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
