"""sql/spark/churn/: the churn model's features from hand-written raw sources, dbt-style.

The rows are written as the sources land (Parquet under raw/<source>/<date>/), so the source
schemas in churn_sources.sql are exercised too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runners.sample_data.generate_churn import source_folder
from tests.spark.harness import rows, run_model, view_rows
from tests.spark.xxhash64 import xxh64

SNAPSHOT = dt.date(2026, 1, 10)
CHURN_FILES = ["churn/churn_sources", "churn/usage_features", "churn/support_features",
               "churn/billing_features", "churn/churn_features"]
UTC = dt.UTC


def day(n: int) -> dt.date:
    return dt.date(2026, 1, n)


def at(n: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 1, n, hour, tzinfo=UTC)


def land(lake: Path, source: str, columns: dict[str, pa.Array]) -> None:
    folder = source_folder(lake, source, SNAPSHOT)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / "part-00000.parquet")


def customers(ids, plans, churned, signup=None):
    n = len(ids)
    return {"customer_id": pa.array(ids), "signup_date": pa.array(signup or [day(1)] * n),
            "plan": pa.array(plans), "monthly_fee": pa.array([9.99] * n),
            "region": pa.array(["north"] * n), "age": pa.array([30] * n, pa.int32()),
            "churned": pa.array(churned, pa.bool_())}


def usage(rows_):
    ids, dates, sessions, minutes, features = zip(*rows_, strict=True) if rows_ else ([],) * 5
    return {"customer_id": pa.array(ids, pa.string()), "usage_date": pa.array(dates, pa.date32()),
            "sessions": pa.array(sessions, pa.int32()),
            "minutes_used": pa.array(minutes, pa.float64()),
            "features_used": pa.array(features, pa.int32())}


def tickets(rows_):
    ids, priorities, resolved, ratings = zip(*rows_, strict=True) if rows_ else ([],) * 4
    return {"ticket_id": pa.array([f"S{i}" for i in range(len(ids))], pa.string()),
            "customer_id": pa.array(ids, pa.string()),
            "opened_at": pa.array([at(5)] * len(ids), pa.timestamp("us", tz="UTC")),
            "priority": pa.array(priorities, pa.string()),
            "resolved": pa.array(resolved, pa.bool_()),
            "satisfaction": pa.array(ratings, pa.int32())}


def payments(rows_):
    ids, amounts, statuses = zip(*rows_, strict=True) if rows_ else ([],) * 3
    return {"transaction_id": pa.array([f"P{i}" for i in range(len(ids))], pa.string()),
            "customer_id": pa.array(ids, pa.string()),
            "amount": pa.array(amounts, pa.float64()), "status": pa.array(statuses, pa.string()),
            "paid_at": pa.array([at(2)] * len(ids), pa.timestamp("us", tz="UTC"))}


def run_churn(spark, lake: Path, customer_rows, usage_rows=(), ticket_rows=(), payment_rows=()):
    land(lake, "customer_data", customer_rows)
    land(lake, "product_usage", usage(list(usage_rows)))
    land(lake, "support_tickets", tickets(list(ticket_rows)))
    land(lake, "transactions", payments(list(payment_rows)))
    run_model(spark, CHURN_FILES, lake, variables={"snapshot_date": SNAPSHOT.isoformat()})


def test_usage_counts_the_30_days_and_the_last_7(spark, tmp_path):
    run_churn(spark, tmp_path, customers(["A", "B"], ["basic"] * 2, [False] * 2), usage_rows=[
        ("A", day(3), 2, 10.0, 3),  # 8 days before the snapshot: not in the last 7
        ("A", day(4), 1, 5.5, 1),  # the first of the last 7 days
        ("A", day(10), 3, 20.0, 5),  # the snapshot day itself
        ("A", day(11), 9, 99.0, 9),  # after the snapshot: not counted
        ("B", day(1), 1, 1.0, 1),
        ("B", day(1), 2, 2.0, 4),  # two rows on one day: one active day
    ])
    assert view_rows(spark, "usage_features", [
        "customer_id", "active_days", "sessions", "minutes_used", "features_used",
        "last_7_days_active", "last_7_days_minutes"]) == [
        ("A", 3, 6, 35.5, 5, 2, 25.5),
        ("B", 1, 3, 3.0, 4, 0, 0.0),
    ]


def test_support_counts_open_tickets_and_ratings(spark, tmp_path):
    run_churn(spark, tmp_path, customers(["A", "B"], ["basic"] * 2, [False] * 2), ticket_rows=[
        ("A", "high", True, 2),
        ("A", "low", False, 4),
        ("A", "medium", None, None),  # nobody confirmed it solved: open; not rated
        ("B", "low", True, None),  # no rating at all: average NULL
    ])
    assert view_rows(spark, "support_features", [
        "customer_id", "tickets", "open_tickets", "high_priority_tickets", "rated_tickets",
        "avg_satisfaction"]) == [
        ("A", 3, 2, 1, 2, 3.0),
        ("B", 1, 0, 0, 0, None),
    ]


def test_billing_sums_only_succeeded_payments_exactly(spark, tmp_path):
    run_churn(spark, tmp_path, customers(["A", "B"], ["basic"] * 2, [False] * 2), payment_rows=[
        ("A", 0.1, "succeeded"),
        ("A", 0.2, "succeeded"),  # 0.1 + 0.2 is 0.30 exactly, not 0.30000000000000004
        ("A", 50.0, "failed"),
        ("B", 9.99, "failed"),  # every payment failed: 0.00 paid, not NULL
    ])
    assert view_rows(spark, "billing_features",
                     ["customer_id", "payments", "failed_payments", "amount_paid"]) == [
        ("A", 3, 1, Decimal("0.30")),
        ("B", 1, 1, Decimal("0.00")),
    ]


def test_churn_features_one_row_per_customer_with_defaults(spark, tmp_path):
    run_churn(
        spark, tmp_path,
        customers(["active", "silent", "odd_plan", "no_label"],
                  ["premium", "basic", "platinum", "standard"], [True, False, False, None],
                  signup=[day(1), dt.date(2025, 1, 10), day(10), day(9)]),
        usage_rows=[("active", day(9), 2, 30.0, 2)],
        ticket_rows=[("active", "high", False, 1)],
        payment_rows=[("active", 39.99, "succeeded"), ("active", 39.99, "failed")])
    columns = ["customer_id", "tenure_days", "plan_rank", "active_days", "sessions",
               "minutes_used", "last_7_days_active", "tickets", "open_tickets",
               "rated_tickets", "avg_satisfaction", "payments", "failed_payments", "amount_paid",
               "churned", "snapshot_date", "features_used", "last_7_days_minutes",
               "high_priority_tickets"]
    assert rows(spark, tmp_path, "churn_features", columns) == [
        ("active", 9, 3, 1, 2, 30.0, 1, 1, 1, 1, 1.0, 2, 1, Decimal("39.99"), 1, SNAPSHOT,
         2, 30.0, 1),
        ("no_label", 1, 2, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0, 0, Decimal("0.00"), None, SNAPSHOT,
         0, 0.0, 0),
        ("odd_plan", 0, 0, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0, 0, Decimal("0.00"), 0, SNAPSHOT,
         0, 0.0, 0),
        ("silent", 365, 1, 0, 0, 0.0, 0, 0, 0, 0, 0.0, 0, 0, Decimal("0.00"), 0, SNAPSHOT,
         0, 0.0, 0),
    ]
    splits = dict(rows(spark, tmp_path, "churn_features", ["customer_id", "split"]))
    assert splits["no_label"] == "unlabelled"
    assert {splits[c] for c in ("active", "silent", "odd_plan")} <= {"train", "holdout"}


def test_the_holdout_is_exactly_the_hashed_fifth_and_stable_across_runs(spark, tmp_path):
    """holdout when pmod(xxhash64(customer_id), 5) = 0; the expected split is computed with
    a plain-Python XXH64 (tests/spark/xxhash64.py), not by Spark."""
    ids = [f"C{i:05d}" for i in range(1000)]
    labelled = customers(ids, ["basic"] * 1000, [False] * 1000)
    run_churn(spark, tmp_path / "first", labelled)
    first = dict(rows(spark, tmp_path / "first", "churn_features", ["customer_id", "split"]))
    expected = {c: "holdout" if xxh64(c.encode()) % 5 == 0 else "train" for c in ids}
    assert first == expected
    assert sum(split == "holdout" for split in expected.values()) == 207  # of 1000
    run_churn(spark, tmp_path / "second", labelled)
    assert dict(rows(spark, tmp_path / "second", "churn_features",
                     ["customer_id", "split"])) == first


def test_a_rerun_replaces_its_own_day_only(spark, tmp_path):
    run_churn(spark, tmp_path, customers(["A"], ["basic"], [False]))
    other_day = tmp_path / "churn_features" / "snapshot_date=2026-01-09"
    other_day.mkdir()
    pq.write_table(pa.table({"customer_id": ["old"]}), other_day / "part-0.parquet")
    run_churn(spark, tmp_path, customers(["A", "B"], ["basic"] * 2, [False] * 2))
    days = sorted(p.name for p in (tmp_path / "churn_features").iterdir())
    assert days == ["snapshot_date=2026-01-09", "snapshot_date=2026-01-10"]
    today = spark.read.parquet(str(tmp_path / "churn_features" / "snapshot_date=2026-01-10"))
    assert sorted(r.customer_id for r in today.collect()) == ["A", "B"]


@pytest.mark.parametrize("source", ["customer_data", "transactions", "support_tickets",
                                    "product_usage"])
def test_a_missing_source_is_named(spark, tmp_path, source):
    run_churn(spark, tmp_path, customers(["A"], ["basic"], [False]))
    for path in sorted(source_folder(tmp_path, source, SNAPSHOT).iterdir()):
        path.unlink()
    source_folder(tmp_path, source, SNAPSHOT).rmdir()
    with pytest.raises(Exception, match=f"raw/{source}/2026-01-10"):
        run_model(spark, CHURN_FILES, tmp_path, variables={"snapshot_date": "2026-01-10"})



def test_a_source_file_missing_a_declared_column_stops_the_run_naming_it(spark, tmp_path):
    from runners.engines.sqlscript import ScriptError

    land(tmp_path, "customer_data", customers(["A"], ["basic"], [False]))
    land(tmp_path, "product_usage", usage([]))
    land(tmp_path, "support_tickets", tickets([]))
    land(tmp_path, "transactions", {k: v for k, v in payments([("A", 1.0, "succeeded")]).items()
                                    if k != "status"})
    with pytest.raises(ScriptError) as failure:
        run_model(spark, CHURN_FILES, tmp_path, variables={"snapshot_date": SNAPSHOT.isoformat()})
    assert "churn_sources.sql:" in str(failure.value)
    assert "transactions/2026-01-10/part-00000.parquet: no column status (STRING)" in \
        str(failure.value), failure.value
