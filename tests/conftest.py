"""Shared fixtures: one Spark JVM for the whole run, and a real PostgreSQL server.

tests/flink runs in the Flink environment (`.venv-flink/bin/python -m pytest tests/flink`, as
`make test` does), the rest in the main one; each interpreter skips the other's folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners.engines import flink_env  # noqa: E402
from runners.services import local_postgres  # noqa: E402

collect_ignore = ([p.name for p in Path(__file__).parent.iterdir() if p.name != "flink"]
                  if flink_env.here() else ["flink"])

SQL_SPARK = REPO / "sql" / "spark"


@pytest.fixture(scope="session")
def spark():
    from runners.engines.spark_sql import spark_conf, start_spark
    from runners.profiles import load_profile

    conf = spark_conf(load_profile("local"), master="local[2]")
    conf.update({"spark.driver.memory": "1g", "spark.sql.shuffle.partitions": "4",
                 "spark.default.parallelism": "4"})
    session = start_spark(conf)
    yield session
    # The mutation check's worker (tests/mutants.py) runs pytest once per mutant in one
    # process: the next run's getOrCreate takes this session instead of starting another.
    if not os.environ.get("SQLPLATFORM_MUTANT_WORKER"):
        session.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The warehouse URL of a real PostgreSQL server, started for this test run."""
    try:
        yield local_postgres.start()
    except local_postgres.PostgresUnavailable as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def spark_connect_url() -> Iterator[str]:
    """The sc:// URL of a local Spark Connect server (runners/services/spark_connect.py), started
    for this test run unless one already answers, and then left running."""
    from runners.services import spark_connect

    try:
        started = spark_connect.start()
    except spark_connect.SparkConnectUnavailable as error:
        pytest.fail(str(error))
    yield spark_connect.url()
    if started:
        spark_connect.stop()

