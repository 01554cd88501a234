"""ecommerce_user_behavior: the seed's e-commerce analysis, one task per SQL file, then checks.

The tasks are built from sql/spark/ when the DAG is parsed: a new .sql file there becomes a task,
placed after the files that create the tables it reads (sqlscript.model_graph, from each
statement's table references: the graph `runners/spark_sql.py --list sql/spark` prints). Each
task runs its file with `runners/spark_sql.py --no-upstream` (its main, in the task's
process): tables the file reads come from the lake, and the views it reads (files without an
@output, such as clean_events) are recomputed in the same Spark session, as they cost nothing
to define. Then common-sql checks run on the tables published to the warehouse: every one has
rows, and the checks its file declares (`-- @check`, runners/engines/checks.py) hold, with the
file's parameters.

All the files of a run share one warm Spark, through Spark Connect: the `spark_connect`
connection's endpoint (a cluster's, in the platform profile), or else a local server that the
setup task starts and the teardown stops (runners/services/spark_connect.py).

Connections: warehouse (DuckDB or PostgreSQL) is where the tables are published and checked;
spark_connect (optional) is a Spark Connect endpoint.
Locations (events_path, the clickstream; lake_path) are the active profile's
(runners/profiles.py: SQLPLATFORM_PROFILE, else local): each task's runner reads them there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from airflow.providers.common.sql.operators.sql import (
    SQLColumnCheckOperator,
    SQLTableCheckOperator,
)
from airflow.sdk import dag, setup, task, task_group, teardown

from runners import CHECKOUT
from runners.engines import sqlscript
from runners.engines.checks import checks_of, column_mapping, table_statements

# The batch's SQL folder (another one only to try the DAG on other files).
BATCH_SQL = Path(os.environ.get("SQLPLATFORM_BATCH_SQL", CHECKOUT / "sql" / "spark"))


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` for the duration (a task's secrets for the runner)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def spark_remote() -> str | None:
    """The `spark_connect` connection's Spark Connect URL, or None when it is not defined."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from runners.services.spark_connect import url_of_connection

    try:
        return url_of_connection(Connection.get("spark_connect"))
    except AirflowNotFoundException:
        return None


def published_checks(graph: list[sqlscript.Model]) -> dict[str, tuple[dict, dict]]:
    """For each published table: the SQLTableCheckOperator checks (it has rows, and its file's
    row conditions) and the SQLColumnCheckOperator column_mapping, from the @check lines of
    the file that creates it, with the file's parameters (runners/engines/checks.py)."""
    found = {}
    for model in graph:
        checks = checks_of(model.script)
        for output in (o for o in model.script.outputs if o.publish):
            mine = [c for c in checks if c.table.lower() == output.table.lower()]
            statements = {"row_count": {"check_statement": "count(*) > 0"},
                          **table_statements(mine, model.script.params)}
            found[output.table] = (statements, column_mapping(mine, model.script.params))
    return found


def batch_graph() -> list[sqlscript.Model]:
    """The batch's files in run order, with their upstream files: `spark_sql.py --list`'s."""
    return sqlscript.model_graph([sqlscript.load(f) for f in sorted(BATCH_SQL.glob("*.sql"))])


def with_views_it_reads(model: sqlscript.Model, graph: list[sqlscript.Model]) -> list[str]:
    """The file, after the view-only files (no @output) it reads, directly or through others."""
    by_path = {m.script.path: m for m in graph}
    wanted, todo = [], list(model.upstream)
    while todo:
        path = todo.pop()
        if path not in wanted and not by_path[path].script.outputs:
            wanted.append(path)
            todo += by_path[path].upstream
    order = [m.script.path for m in graph]
    return [str(p) for p in sorted(wanted, key=order.index)] + [str(model.script.path)]


@dag(
    dag_id="ecommerce_user_behavior",
    description="The seed's e-commerce user behaviour analysis, one Spark SQL file per task",
    schedule="@daily",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    tags=["batch", "spark", "ecommerce"],
    default_args={"owner": "analytics", "retries": int(os.environ.get(
        "SQLPLATFORM_TASK_RETRIES", "1")), "retry_delay": dt.timedelta(minutes=5)},
    doc_md=__doc__,
)
def ecommerce_user_behavior():
    @setup
    def start_spark_server() -> bool:
        """Start the local Spark Connect server unless the spark_connect connection names one,
        or one already answers or is starting; True when this run started it (and its teardown
        stops it)."""
        from runners.services import spark_connect

        return False if spark_remote() else spark_connect.start()

    @teardown
    def stop_spark_server(started: bool) -> None:
        from runners.services import spark_connect

        if started:
            spark_connect.stop()

    @task
    def run_sql_files(files: list[str]) -> None:
        """The files, by runners/spark_sql.py's main in this task's process: a Spark Connect
        client takes about 2 s to start, which a process of its own would pay per task."""
        import contextlib
        import io

        from airflow.sdk import Connection

        from runners.engines import spark_sql
        from runners.engines.warehouse import url_of_connection
        from runners.services import spark_connect

        warehouse_url, secrets = url_of_connection(Connection.get("warehouse"))
        # In the environment, not the arguments: the URL may carry a token.
        remote = {"SPARK_REMOTE": spark_remote() or spark_connect.url()}
        errors = io.StringIO()
        with environment({**secrets, **remote}), contextlib.redirect_stderr(errors):
            code = spark_sql.main([*files, "--no-upstream", "--show", "0",
                                   "--var", f"warehouse_url={warehouse_url}"])
        if code != 0:
            raise RuntimeError(f"{Path(files[-1]).name} failed:\n{errors.getvalue()[-3000:]}")

    graph = batch_graph()
    started = start_spark_server()
    tasks = {}
    for model in graph:
        tasks[model.script.path] = run_sql_files.override(task_id=model.script.path.stem)(
            with_views_it_reads(model, graph))
        for upstream in model.upstream:
            tasks[upstream] >> tasks[model.script.path]
        if not model.upstream:
            started >> tasks[model.script.path]

    @task_group
    def warehouse_checks():
        for table, (statements, columns) in published_checks(graph).items():
            rows = SQLTableCheckOperator(
                task_id=f"{table}_table", conn_id="warehouse", table=table, checks=statements)
            if columns:
                rows >> SQLColumnCheckOperator(task_id=f"{table}_columns", conn_id="warehouse",
                                               table=table, column_mapping=columns)

    leaves = [tasks[m.script.path] for m in graph
              if not any(m.script.path in other.upstream for other in graph)]
    leaves >> warehouse_checks()
    leaves >> stop_spark_server(started).as_teardown(setups=started)


ecommerce_user_behavior()
