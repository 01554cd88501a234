"""ecommerce_user_behavior: tasks built from sql/spark, run end to end with its warehouse checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runners.sample_data.generate_clickstream import DirtRates, generate
from runners.services import spark_connect

DAG_ID = "ecommerce_user_behavior"
REPO = Path(__file__).resolve().parents[2]
FILE_EDGES = {
    ("clean_events", "purchases"), ("clean_events", "quarantined_events"),
    ("clean_events", "user_day_activity"), ("user_day_activity", "daily_stats"),
    ("user_day_activity", "segments"), ("purchases", "popular_products"),
    ("purchases", "purchase_baskets"),
    ("purchase_baskets", "fpgrowth"), ("fpgrowth", "product_recommendations"),
}
# The setup and teardown of the run's Spark Connect server.
SERVER_TASKS = {"start_spark_server", "stop_spark_server"}
PUBLISHED = ["association_rules", "frequent_itemsets", "popular_products",
             "product_recommendations", "user_segments"]


def file_edges(dag: dict) -> set[tuple[str, str]]:
    return {(task, down) for task, spec in dag["tasks"].items() for down in spec["downstream"]
            if "." not in task and "." not in down and not {task, down} & SERVER_TASKS}


def test_one_task_per_file_in_dependency_order(local_airflow):
    dag = local_airflow.describe()["dags"][DAG_ID]
    files = {p.stem for p in (REPO / "sql" / "spark").glob("*.sql")}
    assert {t for t in dag["tasks"] if "." not in t} == files | SERVER_TASKS
    assert file_edges(dag) == FILE_EDGES
    leaves = {"daily_stats", "popular_products", "product_recommendations",
              "quarantined_events", "segments"}
    checks = {f"warehouse_checks.{table}_table" for table in PUBLISHED}
    assert {t: set(dag["tasks"][t]["downstream"]) for t in leaves} == {
        t: checks | {"stop_spark_server"} for t in leaves}
    # One Spark Connect server for the whole run: up before the first file, down after the last.
    assert set(dag["tasks"]["start_spark_server"]["downstream"]) == {
        "clean_events", "stop_spark_server"}
    assert dag["tasks"]["stop_spark_server"]["downstream"] == []
    assert dag["tasks"]["stop_spark_server"]["teardown"]


def test_a_new_sql_file_becomes_a_task(local_airflow, tmp_path):
    folder = tmp_path / "spark"
    shutil.copytree(REPO / "sql" / "spark", folder, ignore=shutil.ignore_patterns("churn"))
    (folder / "big_spenders.sql").write_text(
        "-- big_spenders: a file added to the folder.\n"
        "CREATE OR REPLACE TEMPORARY VIEW big_spenders AS\n"
        "SELECT user_id FROM user_segments WHERE segment = 'premium';\n")
    local_airflow.env["SQLPLATFORM_BATCH_SQL"] = str(folder)
    try:
        dag = local_airflow.describe()["dags"][DAG_ID]
    finally:
        del local_airflow.env["SQLPLATFORM_BATCH_SQL"]
    assert file_edges(dag) == FILE_EDGES | {("segments", "big_spenders")}


@pytest.fixture(scope="module")
def batch_run(local_airflow, tmp_path_factory):
    root = tmp_path_factory.mktemp("ecommerce")
    generate(20_000, root / "clickstream", seed=3, days=3, dirt=DirtRates(), progress=False)
    conf = {"events_path": str(root / "clickstream"), "lake_path": str(root / "lake")}
    server_was_up = spark_connect.healthy()
    outcome, log = local_airflow.run(DAG_ID, "2026-01-02", conf)
    server_is_up = spark_connect.healthy()
    return root, outcome, log, (server_was_up, server_is_up)


def test_the_batch_runs_with_its_checks(batch_run):
    _, outcome, log, (server_was_up, server_is_up) = batch_run
    assert outcome["state"] == "success", log[-5000:]
    assert set(outcome["tasks"].values()) == {"success"}
    # Every file ran on the run's Spark Connect server. The teardown stopped it if the run
    # started it, and left alone one that was already up.
    assert log.count(f"file(s) on {spark_connect.url()}") == 10, log[-5000:]
    assert server_is_up == server_was_up
    assert len(outcome["tasks"]) == 10 + len(PUBLISHED) * 2 + len(SERVER_TASKS)


def test_the_warehouse_holds_what_the_lake_holds(local_airflow, batch_run):
    import duckdb

    root, *_ = batch_run
    with duckdb.connect(str(local_airflow.root / "warehouse.duckdb"), read_only=True) as con:
        for table in PUBLISHED:
            lake = con.execute(f"SELECT count(*) FROM read_parquet("
                           f"'{root}/lake/{table}/**/*.parquet')").fetchone()[0]
            published = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert (table, published) == (table, lake)
            assert published > 0


def test_a_missing_clickstream_is_named(local_airflow, tmp_path):
    conf = {"events_path": str(tmp_path / "no_clickstream"), "lake_path": str(tmp_path / "lake")}
    outcome, log = local_airflow.run(DAG_ID, "2026-01-02", conf)
    assert outcome["state"] == "failed"
    assert outcome["tasks"]["clean_events"] == "failed"
    assert "no_clickstream" in log
