"""An independent plain-pandas computation of the batch analysis, from the raw events.

It follows the definitions written in the headers of sql/spark/*.sql, not their SQL.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pyarrow.parquet as pq

CENT = Decimal("0.01")
KNOWN = {"view", "add_to_cart", "purchase"}


def money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(CENT, ROUND_HALF_UP)


def classify(raw: pd.DataFrame, max_price: float = 1_000_000) -> pd.Series:
    normalized = raw.event_type.str.strip().str.lower()

    def reason(i: int) -> str | None:
        row = raw.iloc[i]
        if pd.isna(row.event_type) or normalized.iloc[i] not in KNOWN:
            return "unknown_event_type"
        if row.product_id is None:
            return "null_product_id"
        if row.user_id is None:
            return "null_user_id"
        if pd.isna(row.timestamp):
            return "null_timestamp"
        if pd.isna(row.price) or row.price < 0 or row.price > max_price:
            return "price_out_of_range"
        return None

    return pd.Series([reason(i) for i in range(len(raw))], index=raw.index, dtype=object)


def clean(events_path: str) -> tuple[pd.DataFrame, dict[str, int]]:
    raw = pq.read_table(events_path).to_pandas()
    reasons = classify(raw)
    quarantine = reasons.dropna().value_counts().to_dict()
    kept = raw[reasons.isna()].copy()
    kept["event_type"] = kept.event_type.str.strip().str.lower()
    kept["price"] = [money(p) for p in kept.price]
    kept["date"] = kept.timestamp.dt.tz_convert("UTC").dt.date
    return kept, quarantine


def baskets(events: pd.DataFrame) -> dict[tuple, tuple]:
    out = {}
    for (user, session), group in events[events.event_type == "purchase"].groupby(
            ["user_id", "session_id"]):
        out[(user, session)] = (sorted(set(group.product_id)), len(group), sum(group.price))
    return out


def user_segments(events: pd.DataFrame) -> dict[str, tuple]:
    out = {}
    for user, group in events.groupby("user_id"):
        views = int((group.event_type == "view").sum())
        carts = int((group.event_type == "add_to_cart").sum())
        bought = group[group.event_type == "purchase"]
        spent = sum(bought.price, Decimal("0.00"))
        rate = (None if views == 0 else
                (Decimal(len(bought) * 100) / Decimal(views)).quantize(CENT, ROUND_HALF_UP))
        segment = "premium" if spent > 1000 else "regular" if spent > 500 else "casual"
        out[user] = (views, carts, len(bought), spent, rate, segment)
    return out


def popular_products(events: pd.DataFrame, top_n: int = 10) -> dict[tuple, tuple]:
    out = {}
    bought = events[events.event_type == "purchase"]
    for category, in_category in bought.groupby("category"):
        stats = []
        for product, group in in_category.groupby("product_id"):
            # Spark's AVG of a decimal carries 6 decimals; the file then rounds to cents.
            mean = (sum(group.price) / len(group)).quantize(Decimal("0.000001"), ROUND_HALF_UP)
            stats.append((product, len(group), mean.quantize(CENT, ROUND_HALF_UP)))
        for product, count, mean in stats:
            rank = 1 + sum(other > count for _, other, _ in stats)
            if rank <= top_n:
                out[(category, product)] = (count, mean, rank)
    return out


def daily_stats(events: pd.DataFrame) -> dict[tuple, tuple]:
    out = {}
    for (day, event_type), group in events.groupby(["date", "event_type"]):
        revenue = sum(group.price) if event_type == "purchase" else None
        out[(day, event_type)] = (len(group), group.user_id.nunique(), revenue)
    return out


def frequent_itemsets(basket_items: list[list[str]], min_support: float) -> dict[frozenset, int]:
    """mlxtend's FP-growth, an implementation independent of Spark's."""
    from mlxtend.frequent_patterns import fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(basket_items).transform(basket_items),
                          columns=encoder.columns_)
    found = fpgrowth(onehot, min_support=min_support, use_colnames=True)
    n = len(basket_items)
    return {frozenset(items): round(support * n) for items, support in
            zip(found.itemsets, found.support, strict=True)}


def association_rules(itemsets: dict[frozenset, int], n: int, min_confidence: float):
    """Rules with one consequent, as MLlib makes them: {antecedent, consequent: confidence...}."""
    rules = {}
    for items, freq in itemsets.items():
        if len(items) < 2:
            continue
        for consequent in items:
            antecedent = items - {consequent}
            confidence = freq / itemsets[antecedent]
            if confidence >= min_confidence:
                lift = confidence / (itemsets[frozenset([consequent])] / n)
                rules[(tuple(sorted(antecedent)), consequent)] = (confidence, lift, freq / n)
    return rules


def brute_force_count(basket_items: list[list[str]], items: frozenset) -> int:
    return sum(items <= set(b) for b in basket_items)

