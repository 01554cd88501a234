"""The batch's faults, injected for real: a malformed source file, and the warehouse stopped while
the batch publishes. Each ends with a clear error and the previous results intact, and the next
run recovers. The runs go through the CLI on the test run's warm Spark Connect server."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from runners.sample_data.generate_clickstream import generate
from runners.services import local_postgres

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = ["association_rules", "frequent_itemsets", "popular_products",
             "product_recommendations", "user_segments"]


def run_batch(remote: str, events: Path, lake: Path, warehouse: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "runners" / "spark_sql.py"), str(REPO / "sql" / "spark"),
         "--remote", remote, "--show", "0", "--var", f"events_path={events}",
         "--var", f"lake_path={lake}", "--var", f"warehouse_url={warehouse}"],
        capture_output=True, text=True, timeout=600, cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _value(value):
    if isinstance(value, float | Decimal):
        return repr(float(value))  # numeric in PostgreSQL, DECIMAL in Parquet: the same number
    if isinstance(value, list):
        return tuple(value)
    return value


def _rows(columns: list[str], rows) -> list[tuple]:
    order = sorted(range(len(columns)), key=columns.__getitem__)
    return sorted((tuple(_value(row[i]) for i in order) for row in rows), key=repr)


def lake_tables(lake: Path) -> dict[str, list[tuple]]:
    tables = {}
    for table in PUBLISHED:
        data = pq.read_table(lake / table)
        tables[table] = _rows(data.column_names, zip(*data.to_pydict().values(), strict=True))
    return tables


def warehouse_tables(url: str) -> dict[str, list[tuple]]:
    import psycopg2

    target = url.split("/", 3)
    con = psycopg2.connect(host="127.0.0.1", port=local_postgres.PORT, dbname=target[3],
                           user=local_postgres.USER)
    tables = {}
    try:
        with con.cursor() as cur:
            for table in PUBLISHED:
                cur.execute(f'SELECT * FROM "{table}"')
                tables[table] = _rows([d.name for d in cur.description], cur.fetchall())
    finally:
        con.close()
    return tables


@pytest.mark.postgres
def test_warehouse_down_while_publishing(spark_connect_url, postgres_url, tmp_path):
    """The batch exits non-zero naming the warehouse; the lake holds the new results; the
    warehouse keeps the old tables, whole; the next run publishes."""
    first, second = tmp_path / "first", tmp_path / "second"
    generate(3_000, first, seed=1, progress=False)
    generate(3_000, second, seed=2, progress=False)
    lake = tmp_path / "lake"
    proc = run_batch(spark_connect_url, first, lake, postgres_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    before = warehouse_tables(postgres_url)
    assert before == lake_tables(lake)

    # The reference: the second day's batch on its own, without a fault.
    proc = run_batch(spark_connect_url, second, tmp_path / "reference",
                     f"duckdb:{tmp_path}/reference.duckdb")
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = lake_tables(tmp_path / "reference")
    assert expected != before

    local_postgres.stop()
    try:
        failed = run_batch(spark_connect_url, second, lake, postgres_url)
    finally:
        local_postgres.start()
    assert failed.returncode == 1, failed.stdout[-2000:] + failed.stderr[-3000:]
    assert f"publishing to the warehouse {postgres_url} failed" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr
    assert lake_tables(lake) == expected
    assert warehouse_tables(postgres_url) == before

    proc = run_batch(spark_connect_url, second, lake, postgres_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert warehouse_tables(postgres_url) == expected
