"""join_in_order and product_in_order (udfs/java), which combine a transaction's alerts; and the
widest window count_below_among_previous (user_history.sql) takes.

alert_aggregation.sql joins the alert types and reasons in the detectors' order, and multiplies
1 - risk in that order, whatever order the alerts arrive in. The reference is Python: the
values sorted by position, joined, and multiplied from left to right. Each group is given in
several arrival orders, including ones whose arrival-order product differs in its last bits.
"""

from __future__ import annotations

import functools
import itertools
import operator

import pytest

from runners.engines import flink_sql

# (position, text, factor): the five detectors' types and their 1 - risk.
ROWS = [(1, "HIGH_VELOCITY", 1 - 0.95), (2, "UNUSUAL_AMOUNT", 1 - 0.7),
        (3, "IMPOSSIBLE_TRAVEL", 1 - 0.6), (4, "SUSPICIOUS_SEQUENCE", 1 - 0.75),
        (5, "SUSPICIOUS_MERCHANT", 1 - 0.8)]
ORDERS = {f"g{n}": order for n, order in enumerate(
    [ROWS, ROWS[::-1], [ROWS[2], ROWS[0], ROWS[4], ROWS[1], ROWS[3]], ROWS[3:], ROWS[1:2]])}


@pytest.fixture(scope="module")
def t_env():
    """One batch environment for the module (a second one in the process fails to load its
    factories once the first has set pipeline.jars), with the functions."""
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_batch_mode())
    t_env.get_config().set("pipeline.jars", flink_sql.java_functions().as_uri())
    t_env.get_config().set("parallelism.default", "1")  # rows reach the aggregate as listed
    for name in ("JoinInOrder", "ProductInOrder", "CountBelowAmongPrevious"):
        function = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
        t_env.execute_sql(f"CREATE TEMPORARY FUNCTION {function} AS 'sqlplatform.udfs.{name}' "
                          "LANGUAGE JAVA")
    return t_env


@pytest.fixture(scope="module")
def combined(t_env):
    values = ", ".join(f"('{group}', {index}, {position}, '{text}', CAST({factor!r} AS DOUBLE))"
                       for group, rows in ORDERS.items()
                       for index, (position, text, factor) in enumerate(rows))
    query = f"""
        SELECT grp, join_in_order(text, pos, ','), product_in_order(factor, pos)
        FROM (VALUES {values}, ('g9', 0, 1, CAST(NULL AS STRING), CAST(NULL AS DOUBLE)))
            AS given (grp, arrival, pos, text, factor)
        GROUP BY grp"""
    with t_env.execute_sql(query).collect() as results:
        return {row[0]: (row[1], row[2]) for row in results}


def reference(rows: list[tuple]) -> tuple[str, float]:
    ordered = sorted(rows)
    return (",".join(text for _, text, _ in ordered),
            functools.reduce(operator.mul, [factor for _, _, factor in ordered]))


def test_the_arrival_order_would_change_the_product():
    products = {functools.reduce(operator.mul, [f for _, _, f in p])
                for p in itertools.permutations(ROWS)}
    assert len(products) > 1


@pytest.mark.parametrize("group", sorted(ORDERS))
def test_texts_join_and_factors_multiply_in_position_order(combined, group):
    assert combined[group] == reference(ORDERS[group])


def test_only_nulls_give_null(combined):
    assert combined["g9"] == (None, None)


# --- count_below_among_previous keeps at most 62 previous rows (bits of one long) ----------------

def below_among_previous(t_env, n: int, rows: int = 70) -> list[int]:
    """count_below_among_previous(amount, 5, n) over `rows` amounts all below 5, in order."""
    values = ", ".join(f"({position}, CAST(1.0 AS DOUBLE))" for position in range(rows))
    query = f"""
        SELECT pos, count_below_among_previous(amount, CAST(5 AS DOUBLE), {n}) OVER (
            ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        FROM (VALUES {values}) AS given (pos, amount)"""
    with t_env.execute_sql(query).collect() as results:
        return [count for _, count in sorted((row[0], row[1]) for row in results)]


def test_the_widest_window_counts_62_previous_rows(t_env):
    assert below_among_previous(t_env, 62) == [min(position, 62) for position in range(70)]


def test_a_window_wider_than_62_is_refused_with_its_width(t_env):
    with pytest.raises(Exception, match="count_below_among_previous: n is 63; it must be from 0 "
                                        "to 62"):
        below_among_previous(t_env, 63)
