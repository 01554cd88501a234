"""segments.sql: funnel counts, conversion rate and segment at every edge."""

from decimal import Decimal

from tests.spark.harness import rows, run_model
from tests.spark.models import clean_events


def events_of(user, views=0, carts=0, purchases=(), day=1):
    out = [(user, "s", "p", "c", "view", 1.0, day) for _ in range(views)]
    out += [(user, "s", "p", "c", "add_to_cart", 1.0, day) for _ in range(carts)]
    out += [(user, "s", "p", "c", "purchase", price, day) for price in purchases]
    return out


def test_segments_and_edges(spark, tmp_path):
    events = clean_events(spark, [
        *events_of("premium", views=3, carts=1, purchases=[1000.00, 0.01]),
        *events_of("at_1000", views=3, purchases=[1000.00]),  # not above 1000: regular
        *events_of("regular", views=8, purchases=[500.01]),
        *events_of("at_500", views=1, purchases=[250.00, 250.00]),  # exactly 500: casual
        *events_of("window_shopper", views=7, carts=2),  # no purchase: 0.00 spent
        *events_of("direct_buyer", purchases=[20.00]),  # no views: rate undefined
        *events_of("heavy", views=1, purchases=[1.00] * 12),  # 1200 %: the seed overflows
        *events_of("third", views=3, purchases=[1.00]),  # 33.333.. -> 33.33
        *events_of("two_thirds", views=3, purchases=[1.00, 1.00]),  # 66.666.. -> 66.67
    ])
    run_model(spark, ["user_day_activity", "segments"], tmp_path, {"clean_events": events})
    assert rows(spark, tmp_path, "user_segments",
                ["user_id", "views", "cart_adds", "purchases", "total_spent",
                 "conversion_rate", "segment"]) == [
        ("at_1000", 3, 0, 1, Decimal("1000.00"), Decimal("33.33"), "regular"),
        ("at_500", 1, 0, 2, Decimal("500.00"), Decimal("200.00"), "casual"),
        ("direct_buyer", 0, 0, 1, Decimal("20.00"), None, "casual"),
        ("heavy", 1, 0, 12, Decimal("12.00"), Decimal("1200.00"), "casual"),
        ("premium", 3, 1, 2, Decimal("1000.01"), Decimal("66.67"), "premium"),
        ("regular", 8, 0, 1, Decimal("500.01"), Decimal("12.50"), "regular"),
        ("third", 3, 0, 1, Decimal("1.00"), Decimal("33.33"), "casual"),
        ("two_thirds", 3, 0, 2, Decimal("2.00"), Decimal("66.67"), "casual"),
        ("window_shopper", 7, 2, 0, Decimal("0.00"), Decimal("0.00"), "casual"),
    ]


def test_thresholds_are_parameters(spark, tmp_path):
    events = clean_events(spark, events_of("u", views=1, purchases=[60.0]))
    run_model(spark, ["user_day_activity", "segments"], tmp_path, {"clean_events": events},
              variables={"premium_above": "50", "regular_above": "10"})
    assert rows(spark, tmp_path, "user_segments", ["user_id", "segment"]) == [("u", "premium")]
