"""Publish lake tables to the warehouse, all of a run's tables in one transaction.

Two warehouses speak the same contract:
- DuckDB (`duckdb:path/to/file.duckdb`), the embedded default: it reads the lake's Parquet itself.
- PostgreSQL (`postgresql://[user@]host[:port]/db`): Spark writes each table to a staging table
  over JDBC, then one transaction drops the old tables and renames the staging ones. Credentials
  come from libpq's environment (PGUSER, PGPASSWORD), never from the URL in a file.

Either way a reader sees all the old tables or all the new ones. A crash before the commit
leaves the old tables untouched; its staging tables are dropped by the next publish.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STAGING_SUFFIX = "__staging"


class WarehouseError(Exception):
    pass


@dataclass(frozen=True)
class PostgresTarget:
    host: str
    port: int
    database: str
    user: str | None

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{self.database}"

    def connect(self):
        import psycopg2

        # A warehouse that does not answer fails the publish in seconds, not at the OS's timeout.
        return psycopg2.connect(host=self.host, port=self.port, dbname=self.database,
                                user=self.user or os.environ.get("PGUSER"), connect_timeout=10)


def parse_url(url: str) -> str | PostgresTarget:
    """A DuckDB file path, or a PostgreSQL target."""
    if url.startswith("duckdb:"):
        return url[len("duckdb:"):].removeprefix("//")
    if url.startswith(("postgresql://", "postgres://")):
        parsed = urlparse(url)
        if parsed.password:
            raise WarehouseError("put the warehouse password in PGPASSWORD, not in the URL")
        if not parsed.hostname or not parsed.path.strip("/"):
            raise WarehouseError(f"warehouse URL needs a host and a database: {url}")
        return PostgresTarget(parsed.hostname, parsed.port or 5432, parsed.path.strip("/"),
                              unquote(parsed.username) if parsed.username else None)
    raise WarehouseError(f"unknown warehouse URL {url!r}: use duckdb:FILE or postgresql://HOST/DB")


def connection_fields(url: str, base: Path | None = None) -> dict:
    """The Airflow connection (its JSON fields) of a warehouse URL; a relative DuckDB file is
    taken from `base` (the checkout). The password, if any, comes from PGPASSWORD, never from a
    file."""
    target = parse_url(url)
    if isinstance(target, str):
        return {"conn_type": "duckdb", "host": str(((base or Path.cwd()) / target).resolve())}
    return {"conn_type": "postgres", "host": target.host, "port": target.port,
            "login": target.user or os.environ.get("PGUSER", ""), "schema": target.database,
            "password": os.environ.get("PGPASSWORD", "")}


def url_of_connection(connection) -> tuple[str, dict[str, str]]:
    """The warehouse URL of an Airflow connection, and the environment that carries its
    password (PGPASSWORD: never on a command line). The inverse of connection_fields."""
    if connection.conn_type == "duckdb":
        return f"duckdb:{connection.host}", {}
    if connection.conn_type == "postgres":
        login = f"{connection.login}@" if connection.login else ""
        url = f"postgresql://{login}{connection.host}:{connection.port or 5432}/{connection.schema}"
        return url, {"PGPASSWORD": connection.password} if connection.password else {}
    raise WarehouseError(f"connection {connection.conn_id!r} is {connection.conn_type!r}: "
                         "the warehouse is duckdb or postgres")


def publish(spark, lake, tables: Sequence[str], url: str) -> None:
    for table in tables:
        if not IDENTIFIER.match(table):
            raise WarehouseError(f"not a plain table name: {table!r}")
    target = parse_url(url)
    if isinstance(target, PostgresTarget):
        _publish_postgres(spark, lake, tables, target)
    else:
        _publish_duckdb(lake, tables, target)


def _publish_duckdb(lake, tables: Sequence[str], path: str) -> None:
    import duckdb

    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    con = duckdb.connect(path)
    try:
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            files = sql_string(f"{lake.path(table)}/**/*.parquet")
            con.execute(f'CREATE OR REPLACE TABLE "{table}" AS '
                        f"SELECT * FROM read_parquet({files}, hive_partitioning = true)")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _publish_postgres(spark, lake, tables: Sequence[str], target: PostgresTarget) -> None:
    password = os.environ.get("PGPASSWORD")
    properties = {"driver": "org.postgresql.Driver"}
    user = target.user or os.environ.get("PGUSER")
    if user:
        properties["user"] = user
    if password:
        properties["password"] = password
    for table in tables:
        (lake.read(table).write.mode("overwrite")
         .option("truncate", "false")
         .jdbc(target.jdbc_url, f"{table}{STAGING_SUFFIX}", properties=properties))
    con = target.connect()
    try:
        with con, con.cursor() as cur:  # one transaction: commit on success, rollback on error
            for table in tables:
                cur.execute(f'DROP TABLE IF EXISTS "{table}"')
                cur.execute(f'ALTER TABLE "{table}{STAGING_SUFFIX}" RENAME TO "{table}"')
    finally:
        con.close()


def sql_string(value) -> str:
    """An SQL string literal of `value` (a dict or list as JSON; None as NULL), for PostgreSQL and
    DuckDB (standard strings: a quote is doubled, a backslash is just a character)."""
    if value is None:
        return "NULL"
    if isinstance(value, dict | list):
        import json

        value = json.dumps(value, sort_keys=True)
    text = str(value)
    if "\x00" in text:
        raise ValueError("an SQL string cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"
