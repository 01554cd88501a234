"""Publishing lake tables to DuckDB and to a real PostgreSQL server, atomically."""

import duckdb
import psycopg2
import pytest

from runners.engines.lake import Lake
from runners.engines.warehouse import PostgresTarget, WarehouseError, parse_url, publish


@pytest.fixture
def lake(spark, tmp_path):
    lake = Lake(spark, str(tmp_path / "lake"))
    lake.write(spark.createDataFrame([(1, ["x", "y"]), (2, ["z"])],
                                     "id INT, items ARRAY<STRING>"), "alpha")
    lake.write(spark.createDataFrame([("a", 1.5)], "k STRING, v DOUBLE"), "beta")
    return lake


def duck_rows(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        con.close()


def test_duckdb_publish_and_republish(spark, lake, tmp_path):
    url = f"duckdb:{tmp_path}/wh.duckdb"
    publish(spark, lake, ["alpha", "beta"], url)
    publish(spark, lake, ["alpha", "beta"], url)  # a re-run: replaced, not appended
    assert duck_rows(tmp_path / "wh.duckdb", "alpha") == [(1, ["x", "y"]), (2, ["z"])]
    assert duck_rows(tmp_path / "wh.duckdb", "beta") == [("a", 1.5)]


def test_duckdb_publish_is_all_or_nothing(spark, lake, tmp_path):
    url = f"duckdb:{tmp_path}/wh.duckdb"
    publish(spark, lake, ["alpha"], url)
    lake.write(spark.createDataFrame([(9, ["new"])], "id INT, items ARRAY<STRING>"), "alpha")
    with pytest.raises(duckdb.Error):
        publish(spark, lake, ["alpha", "missing_table"], url)
    assert duck_rows(tmp_path / "wh.duckdb", "alpha") == [(1, ["x", "y"]), (2, ["z"])]


def pg_rows(target: PostgresTarget, table):
    con = target.connect()
    try:
        with con.cursor() as cur:
            cur.execute(f"SELECT * FROM {table}")
            return sorted(cur.fetchall())
    finally:
        con.close()


def pg_execute(target: PostgresTarget, sql):
    con = target.connect()
    try:
        with con, con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


def test_postgres_publish_and_republish(spark, lake, postgres_url):
    target = parse_url(postgres_url)
    publish(spark, lake, ["alpha", "beta"], postgres_url)
    publish(spark, lake, ["alpha", "beta"], postgres_url)
    assert pg_rows(target, "alpha") == [(1, ["x", "y"]), (2, ["z"])]
    assert pg_rows(target, "beta") == [("a", 1.5)]


def test_postgres_publish_is_all_or_nothing(spark, lake, postgres_url):
    target = parse_url(postgres_url)
    publish(spark, lake, ["alpha", "beta"], postgres_url)
    # A view on beta makes dropping it fail inside the swap transaction.
    pg_execute(target, "CREATE VIEW beta_reader AS SELECT * FROM beta")
    try:
        lake.write(spark.createDataFrame([(9, ["new"])], "id INT, items ARRAY<STRING>"), "alpha")
        with pytest.raises(psycopg2.Error, match="depend"):
            publish(spark, lake, ["alpha", "beta"], postgres_url)
        assert pg_rows(target, "alpha") == [(1, ["x", "y"]), (2, ["z"])]
    finally:
        pg_execute(target, "DROP VIEW beta_reader")


@pytest.mark.parametrize("url, message", [
    ("mysql://h/db", "unknown warehouse URL"),
    ("postgresql://u:secret@h/db", "PGPASSWORD"),
    ("postgresql://h", "needs a host and a database"),
])
def test_bad_urls_are_named(url, message):
    with pytest.raises(WarehouseError, match=message):
        parse_url(url)


def test_a_warehouse_url_and_its_airflow_connection_convert_both_ways(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from runners.engines.warehouse import connection_fields, url_of_connection

    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    fields = connection_fields("postgresql://analyst@db.internal:5433/warehouse")
    assert fields == {"conn_type": "postgres", "host": "db.internal", "port": 5433,
                      "login": "analyst", "schema": "warehouse",
                      "password": "from-the-environment"}
    url, env = url_of_connection(SimpleNamespace(conn_id="warehouse", **fields))
    assert url == "postgresql://analyst@db.internal:5433/warehouse"
    assert env == {"PGPASSWORD": "from-the-environment"}  # never in the URL
    fields = connection_fields("duckdb:data/warehouse.duckdb", tmp_path)
    assert fields == {"conn_type": "duckdb", "host": str(tmp_path / "data/warehouse.duckdb")}
    assert url_of_connection(SimpleNamespace(conn_id="w", **fields)) == (
        f"duckdb:{tmp_path}/data/warehouse.duckdb", {})
    with pytest.raises(WarehouseError, match="'w' is 'mysql'"):
        url_of_connection(SimpleNamespace(conn_id="w", conn_type="mysql"))
