"""daily_stats.sql: per day and type; a re-run replaces its days and keeps the others."""

from datetime import date
from decimal import Decimal

from tests.spark.harness import rows, run_model
from tests.spark.models import clean_events

COLUMNS = ["date", "event_type", "event_count", "unique_users", "revenue"]


def test_counts_users_and_revenue(spark, tmp_path):
    events = clean_events(spark, [
        ("u1", "s", "p", "c", "view", 5.0, 1),
        ("u1", "s", "p", "c", "view", 5.0, 1),
        ("u2", "s", "p", "c", "view", 5.0, 1),
        ("u1", "s", "p", "c", "purchase", 5.25, 1),
        ("u1", "s", "p", "c", "purchase", 4.75, 1),
        ("u3", "s", "p", "c", "purchase", 1.00, 2),
        # u4 only adds to the cart, u5 only views: a user-day with none of a type is not one
        # of its users.
        ("u4", "s", "p", "c", "add_to_cart", 1.00, 2),
        ("u5", "s", "p", "c", "view", 1.00, 2),
    ])
    run_model(spark, ["user_day_activity", "daily_stats"], tmp_path, {"clean_events": events})
    assert rows(spark, tmp_path, "daily_stats", COLUMNS) == [
        (date(2026, 1, 1), "purchase", 2, 1, Decimal("10.00")),
        (date(2026, 1, 1), "view", 3, 2, None),
        (date(2026, 1, 2), "add_to_cart", 1, 1, None),
        (date(2026, 1, 2), "purchase", 1, 1, Decimal("1.00")),
        (date(2026, 1, 2), "view", 1, 1, None),
    ]


def test_rerun_replaces_its_days_without_duplicates(spark, tmp_path):
    first = clean_events(spark, [("u1", "s", "p", "c", "view", 1.0, 1),
                                 ("u1", "s", "p", "c", "view", 1.0, 2)])
    run_model(spark, ["user_day_activity", "daily_stats"], tmp_path, {"clean_events": first})
    # The same days again:
    run_model(spark, ["user_day_activity", "daily_stats"], tmp_path, {"clean_events": first})
    second = clean_events(spark, [("u2", "s", "p", "c", "view", 1.0, 2),
                                  ("u3", "s", "p", "c", "view", 1.0, 2),
                                  ("u3", "s", "p", "c", "view", 1.0, 3)])
    run_model(spark, ["user_day_activity", "daily_stats"], tmp_path, {"clean_events": second})
    assert rows(spark, tmp_path, "daily_stats", COLUMNS[:4]) == [
        (date(2026, 1, 1), "view", 1, 1),  # kept: the second run had no events that day
        (date(2026, 1, 2), "view", 2, 2),  # replaced by the second run
        (date(2026, 1, 3), "view", 1, 1),
    ]
    assert sorted(p.name for p in (tmp_path / "daily_stats").iterdir()
                  if p.name.startswith("date=")) == [
        "date=2026-01-01", "date=2026-01-02", "date=2026-01-03"]
