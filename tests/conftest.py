"""Shared fixtures: one Spark JVM for the whole run, and a real PostgreSQL server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners import local_postgres  # noqa: E402
from runners.profiles import load_profile  # noqa: E402
from runners.spark_sql import spark_conf, start_spark  # noqa: E402

SQL_SPARK = REPO / "sql" / "spark"


@pytest.fixture(scope="session")
def spark():
    conf = spark_conf(load_profile("local"), master="local[2]")
    conf.update({"spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "4",
                 "spark.default.parallelism": "4"})
    session = start_spark(conf)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The warehouse URL of a real PostgreSQL server, started for this test run."""
    try:
        yield local_postgres.start()
    except local_postgres.PostgresUnavailable as error:
        pytest.fail(str(error))
