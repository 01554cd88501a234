"""The whole batch on generated dirty data, against an independent pandas computation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from runners.engines import sqlscript
from runners.engines.spark_sql import RunOptions, SparkSqlRunner, collect_scripts
from runners.sample_data.generate_clickstream import generate
from tests import reference

REPO = Path(__file__).resolve().parent.parent
SQL_SPARK = REPO / "sql" / "spark"
PUBLISHED = ["association_rules", "frequent_itemsets", "popular_products",
             "product_recommendations", "user_segments"]


@pytest.fixture(scope="module")
def batch(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    events = root / "events"
    generate(40_000, events, seed=7, progress=False)
    variables = {"events_path": str(events), "lake_path": str(root / "lake"),
                 "warehouse_url": f"duckdb:{root}/warehouse.duckdb"}
    scripts = collect_scripts([SQL_SPARK], upstream=True)
    result = SparkSqlRunner(spark).run(scripts, RunOptions(variables=variables, echo=False))
    clean_count = spark.table("clean_events").count()
    clean, quarantine = reference.clean(str(events))
    return {"root": root, "variables": variables, "result": result, "clean": clean,
            "clean_count": clean_count,
            "quarantine": quarantine, "scripts": scripts}


def lake_rows(spark, batch, table):
    return [r.asDict() for r in spark.read.parquet(str(batch["root"] / "lake" / table)).collect()]


def test_every_result_is_in_the_lake_and_the_warehouse(batch):
    assert sorted(batch["result"].published) == PUBLISHED
    con = duckdb.connect(str(batch["root"] / "warehouse.duckdb"), read_only=True)
    try:
        tables = sorted(r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall())
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()
    assert tables == PUBLISHED
    lake = {p.name for p in (batch["root"] / "lake").iterdir() if not p.name.startswith("_")}
    assert lake == {*PUBLISHED, "quarantined_events", "purchase_baskets", "daily_stats",
                    "user_day_activity", "purchases"}
    assert all(counts[t] > 0 for t in PUBLISHED), counts


def test_cleaning_and_quarantine(spark, batch):
    quarantined = lake_rows(spark, batch, "quarantined_events")
    counts: dict[str, int] = {}
    for row in quarantined:
        counts[row["rejection_reason"]] = counts.get(row["rejection_reason"], 0) + 1
    assert counts == batch["quarantine"]
    assert set(counts) == {"unknown_event_type", "null_product_id", "price_out_of_range"}
    assert batch["clean_count"] == len(batch["clean"])


def test_user_segments(spark, batch):
    got = {r["user_id"]: (r["views"], r["cart_adds"], r["purchases"], r["total_spent"],
                          r["conversion_rate"], r["segment"])
           for r in lake_rows(spark, batch, "user_segments")}
    expected = reference.user_segments(batch["clean"])
    assert got == expected
    # The dirty edges are really in the data: buyers with no views, and rates above 100 %.
    assert any(v[0] == 0 and v[2] > 0 for v in expected.values())
    assert {v[5] for v in expected.values()} == {"premium", "regular", "casual"}


def test_popular_products(spark, batch):
    got = {(r["category"], r["product_id"]): (r["purchase_count"], r["avg_price"], r["rank"])
           for r in lake_rows(spark, batch, "popular_products")}
    assert got == reference.popular_products(batch["clean"])


def test_daily_stats(spark, batch):
    got = {(r["date"], r["event_type"]): (r["event_count"], r["unique_users"], r["revenue"])
           for r in lake_rows(spark, batch, "daily_stats")}
    assert got == reference.daily_stats(batch["clean"])


def test_baskets_itemsets_and_rules(spark, batch):
    expected_baskets = reference.baskets(batch["clean"])
    got_baskets = {(r["user_id"], r["session_id"]): (r["products"], r["item_count"],
                                                     r["total_amount"])
                   for r in lake_rows(spark, batch, "purchase_baskets")}
    assert got_baskets == expected_baskets
    assert any(count > len(items) for items, count, _ in expected_baskets.values()), \
        "the data should hold a product bought twice in a session"

    items = [b[0] for b in expected_baskets.values()]
    expected_sets = reference.frequent_itemsets(items, 0.01)
    got_sets = {frozenset(r["items"]): r["freq"]
                for r in lake_rows(spark, batch, "frequent_itemsets")}
    assert got_sets == expected_sets
    assert any(len(s) >= 2 for s in got_sets), "bundles should make multi-item itemsets"
    for itemset in list(got_sets)[:25]:  # and a brute-force count agrees with both
        assert reference.brute_force_count(items, itemset) == got_sets[itemset]

    expected_rules = reference.association_rules(expected_sets, len(items), 0.3)
    got_rules = {(tuple(r["antecedent"]), r["consequent"][0]):
                 (r["confidence"], r["lift"], r["support"])
                 for r in lake_rows(spark, batch, "association_rules")}
    assert set(got_rules) == set(expected_rules)
    for key, values in expected_rules.items():
        assert got_rules[key] == pytest.approx(values, rel=1e-12)

    recommended = {(tuple(r["antecedent"]), r["consequent"][0]): r["confidence_pct"]
                   for r in lake_rows(spark, batch, "product_recommendations")}
    assert recommended == {k: int(v[0] * 100) for k, v in expected_rules.items() if v[0] > 0.5}
    assert recommended, "the bundles should give recommendations"


def snapshot(spark, batch):
    lake = batch["root"] / "lake"
    return {t.name: sorted(map(str, spark.read.parquet(str(t)).collect()))
            for t in lake.iterdir() if not t.name.startswith("_")}


def test_rerun_leaves_exactly_the_same_results(spark, batch):
    before = snapshot(spark, batch)
    SparkSqlRunner(spark).run(batch["scripts"],
                              RunOptions(variables=batch["variables"], echo=False))
    assert snapshot(spark, batch) == before
    con = duckdb.connect(str(batch["root"] / "warehouse.duckdb"), read_only=True)
    try:
        for table in PUBLISHED:
            count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert count == len(before[table]), table
    finally:
        con.close()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, str(REPO / "runners" / "spark_sql.py"), *args],
                          capture_output=True, text=True, env=env, timeout=600, cwd=REPO)


def test_cli_runs_the_segments_file_with_its_upstream(batch, tmp_path):
    v = batch["variables"]
    proc = run_cli(str(SQL_SPARK / "segments.sql"), "--var", f"events_path={v['events_path']}",
                   "--var", f"lake_path={tmp_path}/lake",
                   "--var", f"warehouse_url=duckdb:{tmp_path}/wh.duckdb",
                   "--master", "local[1]")
    assert proc.returncode == 0, proc.stderr
    assert "clean_events.sql" in proc.stdout and "segments.sql" in proc.stdout
    assert "|segment|user_count|total_spent|" in proc.stdout.replace(" ", "")
    con = duckdb.connect(f"{tmp_path}/wh.duckdb", read_only=True)
    try:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    finally:
        con.close()
    assert tables == [("user_segments",)]


def test_cli_dry_run_catches_a_broken_file_and_names_its_line(tmp_path):
    broken = tmp_path / "sql"
    broken.mkdir()
    for path in SQL_SPARK.glob("*.sql"):
        text = path.read_text()
        if path.name == "segments.sql":
            text = text.replace("sum(cart_adds) AS cart_adds", "sum(cart_addz) AS cart_adds")
        (broken / path.name).write_text(text)
    line = next(s.line for s in sqlscript.load(broken / "segments.sql").statements)
    proc = run_cli(str(broken), "--dry-run", "--master", "local[1]")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"segments.sql:{line}: statement 1 failed" in proc.stderr
    assert "cart_addz" in proc.stderr
    assert "wrote" not in proc.stdout  # a dry run writes nothing

    proc = run_cli(str(SQL_SPARK), "--dry-run", "--master", "local[1]")
    assert proc.returncode == 0, proc.stderr
    assert "planned 10 file(s)" in proc.stdout


def test_spark_connect_writes_the_same_tables(spark, batch, spark_connect_url, tmp_path):
    """The whole batch through a warm Spark Connect server (the CLI with --remote) gives every
    lake and warehouse table exactly as the in-process run does."""
    v = batch["variables"]
    proc = run_cli(str(SQL_SPARK), "--remote", spark_connect_url, "--show", "0",
                   "--var", f"events_path={v['events_path']}",
                   "--var", f"lake_path={tmp_path}/lake",
                   "--var", f"warehouse_url=duckdb:{tmp_path}/warehouse.duckdb")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "ran 10 file(s)" in proc.stdout

    def tables(root: Path) -> list[str]:
        return sorted(p.name for p in root.iterdir() if not p.name.startswith(("_", ".")))

    assert tables(tmp_path / "lake") == tables(batch["root"] / "lake")
    for table in tables(batch["root"] / "lake"):
        in_process = spark.read.parquet(str(batch["root"] / "lake" / table))
        connect = spark.read.parquet(str(tmp_path / "lake" / table))
        assert connect.schema == in_process.schema, table
        # As text: a NaN price (quarantined) equals itself there, and every float keeps all
        # its digits.
        assert sorted(repr(tuple(r)) for r in connect.collect()) == \
            sorted(repr(tuple(r)) for r in in_process.collect()), table
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        published = sorted(r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall())
    assert published == PUBLISHED
