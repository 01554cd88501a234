"""popular_products.sql: top products per category by rank(), ties kept."""

from decimal import Decimal

from tests.spark.harness import rows, run_model
from tests.spark.models import clean_events


def purchases(category, product, times, price=1.0):
    return [("u", f"s{i}", product, category, "purchase", price, 1) for i in range(times)]


def test_rank_within_category_with_ties(spark, tmp_path):
    events = clean_events(spark, [
        *purchases("books", "b1", 3),
        *purchases("books", "b2", 2),
        *purchases("books", "b3", 2),  # tied with b2
        *purchases("books", "b4", 1),
        *purchases("toys", "t1", 1, price=2.0),
        ("u", "s", "t1", "toys", "purchase", 3.01, 1),  # avg 2.505 rounds half-up to 2.51
        ("u", "s", "t2", "toys", "view", 9.0, 1),  # views do not count
    ])
    run_model(spark, ["purchases", "popular_products"], tmp_path, {"clean_events": events},
              variables={"top_n": "2"})
    assert rows(spark, tmp_path, "popular_products",
                ["category", "product_id", "purchase_count", "avg_price", "rank"]) == [
        ("books", "b1", 3, Decimal("1.00"), 1),
        ("books", "b2", 2, Decimal("1.00"), 2),
        ("books", "b3", 2, Decimal("1.00"), 2),
        ("toys", "t1", 2, Decimal("2.51"), 1),
    ]


def test_default_keeps_ten_ranks(spark, tmp_path):
    events = clean_events(spark, [
        e for i in range(12) for e in purchases("books", f"b{i:02d}", 20 - i)
    ])
    run_model(spark, ["purchases", "popular_products"], tmp_path, {"clean_events": events})
    got = rows(spark, tmp_path, "popular_products", ["product_id", "rank"])
    assert got == [(f"b{i:02d}", i + 1) for i in range(10)]


def test_a_tie_just_above_the_cut_off(spark, tmp_path):
    """Ranks 1..8, then b08 and b09 tie at 9: rank() gives the next product 11, outside the
    top 10 (dense_rank would give it 10 and keep it)."""
    counts = [30, 29, 28, 27, 26, 25, 24, 23, 20, 20, 19]
    events = clean_events(spark, [
        e for i, count in enumerate(counts) for e in purchases("books", f"b{i:02d}", count)
    ])
    run_model(spark, ["purchases", "popular_products"], tmp_path, {"clean_events": events})
    assert rows(spark, tmp_path, "popular_products", ["product_id", "rank"]) == [
        *[(f"b{i:02d}", i + 1) for i in range(8)], ("b08", 9), ("b09", 9)]
