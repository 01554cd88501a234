"""fpgrowth.sql and product_recommendations.sql on baskets whose itemsets are known by hand."""

from decimal import Decimal

import pytest

from tests.spark.harness import rows, run_model
from tests.spark.models import ASSOCIATION_RULES, BASKETS

# Ten baskets: {a,b} four times, {a,b,c} twice, {a} twice, {c} twice.
BASKET_ITEMS = [["a", "b"]] * 4 + [["a", "b", "c"]] * 2 + [["a"]] * 2 + [["c"]] * 2


def baskets(spark, items=BASKET_ITEMS):
    data = [(f"u{i}", f"s{i}", products, len(products), Decimal(len(products)))
            for i, products in enumerate(items)]
    return spark.createDataFrame(data, BASKETS)


def test_itemsets_and_rules(spark, tmp_path):
    run_model(spark, "fpgrowth", tmp_path, {"purchase_baskets": baskets(spark)},
              variables={"min_support": "0.2", "min_confidence": "0.5"})
    assert rows(spark, tmp_path, "frequent_itemsets",
                ["items", "item_count", "freq", "support"]) == [
        (["a"], 1, 8, 0.8),
        (["a", "b"], 2, 6, 0.6),
        (["a", "b", "c"], 3, 2, 0.2),
        (["a", "c"], 2, 2, 0.2),
        (["b"], 1, 6, 0.6),
        (["b", "c"], 2, 2, 0.2),
        (["c"], 1, 4, 0.4),
    ]
    got = rows(spark, tmp_path, "association_rules",
               ["antecedent", "consequent", "confidence", "support"])
    expected = [
        (["a"], ["b"], 6 / 8, 0.6),
        (["a", "c"], ["b"], 2 / 2, 0.2),
        (["b"], ["a"], 6 / 6, 0.6),
        (["b", "c"], ["a"], 2 / 2, 0.2),
        (["c"], ["a"], 2 / 4, 0.2),
        (["c"], ["b"], 2 / 4, 0.2),
    ]
    assert [r[:2] for r in got] == [e[:2] for e in expected]
    assert [v for r in got for v in r[2:]] == pytest.approx([v for e in expected for v in e[2:]])


def test_recommendations_keep_confidence_above_half(spark, tmp_path):
    rules = spark.createDataFrame([
        (0.999, 1.5, 0.1, ["a"], ["b"]),
        (0.5, 1.0, 0.1, ["c"], ["a"]),  # exactly 0.5: not above
        (0.501, 1.0, 0.1, ["c"], ["b"]),
        (0.3, 1.0, 0.1, ["d"], ["a"]),
    ], ASSOCIATION_RULES)
    run_model(spark, "product_recommendations", tmp_path, {"association_rules": rules})
    assert rows(spark, tmp_path, "product_recommendations",
                ["antecedent", "consequent", "confidence_pct"]) == [
        (["a"], ["b"], 99),  # truncated, as the seed's cast to int
        (["c"], ["b"], 50),
    ]


def test_no_baskets_gives_empty_tables(spark, tmp_path):
    run_model(spark, "fpgrowth", tmp_path, {"purchase_baskets": baskets(spark, [])})
    assert rows(spark, tmp_path, "frequent_itemsets", ["items"]) == []
    assert rows(spark, tmp_path, "association_rules", ["antecedent"]) == []


def test_the_default_thresholds_at_their_edges(spark, tmp_path):
    """The seed's min_support 0.01 and min_confidence 0.3, on 100 baskets: x, in one basket,
    has support 0.01 exactly and is kept; a -> b has confidence 3/10 = 0.3 and is kept; c -> d
    has 2/10 = 0.2 and is not."""
    items = [["a", "b"]] * 3 + [["a"]] * 7 + [["c", "d"]] * 2 + [["c"]] * 8 + [["x"]] \
        + [["z"]] * 79
    run_model(spark, "fpgrowth", tmp_path, {"purchase_baskets": baskets(spark, items)})
    assert rows(spark, tmp_path, "frequent_itemsets", ["items", "freq", "support"]) == [
        (["a"], 10, 0.1), (["a", "b"], 3, 0.03), (["b"], 3, 0.03), (["c"], 10, 0.1),
        (["c", "d"], 2, 0.02), (["d"], 2, 0.02), (["x"], 1, 0.01), (["z"], 79, 0.79),
    ]
    assert rows(spark, tmp_path, "association_rules",
                ["antecedent", "consequent", "confidence"]) == [
        (["a"], ["b"], 0.3), (["b"], ["a"], 1.0), (["d"], ["c"], 1.0),
    ]
