"""purchase_baskets.sql: one basket per session with purchases; items distinct, counts not."""

from decimal import Decimal

from tests.spark.harness import rows, run_model
from tests.spark.models import clean_events


def test_baskets(spark, tmp_path):
    events = clean_events(spark, [
        ("u1", "s1", "p2", "c", "purchase", 2.0, 1),
        ("u1", "s1", "p1", "c", "purchase", 1.0, 1),
        ("u1", "s1", "p1", "c", "purchase", 1.0, 1),  # the same product bought twice
        ("u1", "s1", "p3", "c", "view", 3.0, 1),  # not a purchase
        ("u1", "s2", "p3", "c", "purchase", 3.0, 2),  # another session of the same user
        ("u2", "s3", "p1", "c", "add_to_cart", 1.0, 1),  # no purchase: no basket
        ("u3", "s4", "p4", "c", "purchase", 999.99, 1),  # cents back to dollars exactly
    ])
    run_model(spark, ["purchases", "purchase_baskets"], tmp_path, {"clean_events": events})
    assert rows(spark, tmp_path, "purchase_baskets",
                ["user_id", "session_id", "products", "item_count", "total_amount"]) == [
        ("u1", "s1", ["p1", "p2"], 3, Decimal("4.00")),
        ("u1", "s2", ["p3"], 1, Decimal("3.00")),
        ("u3", "s4", ["p4"], 1, Decimal("999.99")),
    ]
