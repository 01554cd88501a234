"""user_day_activity.sql and purchases.sql: the narrow inputs the reports add up."""

from datetime import date
from decimal import Decimal

from tests.spark.harness import rows, run_model
from tests.spark.models import clean_events

EVENTS = [
    ("u1", "s1", "p1", "books", "view", 1.0, 1),
    ("u1", "s1", "p1", "books", "view", 1.0, 1),
    ("u1", "s1", "p1", "books", "purchase", 10.005, 1),  # half a cent rounds up
    ("u1", "s1", "p1", "books", "purchase", 0.1, 1),
    ("u1", "s2", "p2", "toys", "add_to_cart", 2.0, 2),
    ("u2", "s3", "p2", "toys", "purchase", 2.0, 2),
]


def test_user_day_activity(spark, tmp_path):
    run_model(spark, "user_day_activity", tmp_path, {"clean_events": clean_events(spark, EVENTS)})
    assert rows(spark, tmp_path, "user_day_activity",
                ["user_id", "date", "views", "cart_adds", "purchases", "revenue"]) == [
        ("u1", date(2026, 1, 1), 2, 0, 2, Decimal("10.11")),
        ("u1", date(2026, 1, 2), 0, 1, 0, None),
        ("u2", date(2026, 1, 2), 0, 0, 1, Decimal("2.00")),
    ]


def test_purchases(spark, tmp_path):
    run_model(spark, "purchases", tmp_path, {"clean_events": clean_events(spark, EVENTS)})
    assert rows(spark, tmp_path, "purchases",
                ["user_id", "session_id", "product_id", "category", "date", "price"]) == [
        ("u1", "s1", "p1", "books", date(2026, 1, 1), Decimal("0.10")),
        ("u1", "s1", "p1", "books", date(2026, 1, 1), Decimal("10.01")),
        ("u2", "s3", "p2", "toys", date(2026, 1, 2), Decimal("2.00")),
    ]
