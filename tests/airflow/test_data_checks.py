"""Every data check of the DAGs fails on data that breaks it, and passes at its limit.

The checks are the DAGs' own (their check dictionaries, run by the real common-sql operators
over DuckDB, as the tasks run them): the churn DAG's raw-data checks on Parquet written from
generated sources with one value broken, and the batch DAG's warehouse checks on tables with
one row broken. Each case names the checks that must fail; any other failing check, or a
passing one that should fail, fails the test. All cases run in one process of their own
(tests/run_data_checks.py).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runners.sample_data.generate_churn import generate, source_folder

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 1, 1)
ROWS = 200


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, pa.Table]:
    """Valid raw sources: the first ROWS rows of each generated one."""
    lake = tmp_path_factory.mktemp("lake")
    return {source: pq.read_table(next(source_folder(lake, source, DAY).glob("*.parquet")))
            .slice(0, ROWS) for source in generate(lake, DAY, 500)}


def with_values(table: pa.Table, column: str, values: dict[int, object]) -> pa.Table:
    """The table with the given rows of one column replaced (None makes a NULL)."""
    cells = table.column(column).to_pylist()
    for row, value in values.items():
        cells[row] = value
    index = table.schema.get_field_index(column)
    return table.set_column(index, table.schema.field(index),
                            pa.array(cells, table.schema.field(index).type))


def nulls(count: int) -> dict[int, None]:
    return dict.fromkeys(range(count))


TEN_PERCENT = ROWS // 10
RAW_CASES = [
    # (source, column, {row: value}, the checks that must fail)
    ("customer_data", "customer_id", {0: None}, {"customer_id.null_check"}),
    ("customer_data", "customer_id", {1: "C0000000"}, {"customer_id.unique_check"}),
    ("customer_data", "age", {0: 18, 1: 120}, set()),
    ("customer_data", "age", {0: 17}, {"age.min"}),
    ("customer_data", "age", {0: 121}, {"age.max"}),
    ("customer_data", "monthly_fee", {0: 0.0}, set()),
    ("customer_data", "monthly_fee", {0: -0.01}, {"monthly_fee.min"}),
    ("customer_data", "plan", nulls(TEN_PERCENT), set()),  # 10 % NULL: at the limit
    ("customer_data", "plan", nulls(TEN_PERCENT + 1), {"plan_null_rate"}),
    ("customer_data", "churned", nulls(TEN_PERCENT + 1), {"churned_null_rate"}),
    ("customer_data", "signup_date", nulls(TEN_PERCENT + 1), {"signup_date_null_rate"}),
    ("transactions", "transaction_id", {0: None}, {"transaction_id.null_check"}),
    ("transactions", "transaction_id", {1: "dup", 2: "dup"}, {"transaction_id.unique_check"}),
    ("transactions", "amount", {0: 0.0}, set()),
    ("transactions", "amount", {0: -0.01}, {"amount.min"}),
    ("transactions", "status", {0: "refunded"}, {"status_accepted_values"}),
    ("transactions", "customer_id", nulls(TEN_PERCENT + 1), {"customer_id_null_rate"}),
    ("transactions", "paid_at", nulls(TEN_PERCENT + 1), {"paid_at_null_rate"}),
    ("support_tickets", "ticket_id", {0: None}, {"ticket_id.null_check"}),
    ("support_tickets", "ticket_id", {1: "dup", 2: "dup"}, {"ticket_id.unique_check"}),
    ("support_tickets", "satisfaction", {0: 1, 1: 5}, set()),
    ("support_tickets", "satisfaction", {0: 0}, {"satisfaction.min"}),
    ("support_tickets", "satisfaction", {0: 6}, {"satisfaction.max"}),
    ("support_tickets", "satisfaction", nulls(ROWS // 2), set()),  # ratings are optional
    ("support_tickets", "priority", nulls(TEN_PERCENT + 1), {"priority_null_rate"}),
    ("product_usage", "sessions", {0: 0}, set()),
    ("product_usage", "sessions", {0: -1}, {"sessions.min"}),
    ("product_usage", "minutes_used", {0: -0.5}, {"minutes_used.min"}),
    ("product_usage", "usage_date", nulls(TEN_PERCENT + 1), {"usage_date_null_rate"}),
]


# The batch DAG's published tables, valid, with only the columns its checks read.
WAREHOUSE = {
    "user_segments": ("user_id VARCHAR, total_spent DECIMAL(18, 2), views BIGINT, "
                      "segment VARCHAR",
                      [("u1", 0, 0, "casual"), ("u2", 600, 3, "regular"),
                       ("u3", 1200, 9, "premium")]),
    "popular_products": ("product_id VARCHAR, purchase_count BIGINT", [("p1", 1), ("p10", 7)]),
    "product_recommendations": ("confidence DOUBLE, confidence_pct INTEGER",
                                [(0.5001, 50), (1.0, 100)]),
    "frequent_itemsets": ("support DOUBLE", [(0.01,), (1.0,)]),
    "association_rules": ("confidence DOUBLE", [(0.3,), (1.0,)]),
}
WAREHOUSE_CASES = [
    # (table, row added, the checks that must fail)
    ("user_segments", ("u1", 5, 1, "casual"), {"user_id.unique_check"}),
    ("user_segments", (None, 5, 1, "casual"), {"user_id.null_check"}),
    ("user_segments", ("u4", -0.01, 1, "casual"), {"total_spent.min"}),
    ("user_segments", ("u4", 5, -1, "casual"), {"views.min"}),
    ("user_segments", ("u4", 5, 1, "gold"), {"segment_accepted_values"}),
    ("user_segments", ("u4", 5, 1, None), {"segment.null_check"}),
    ("popular_products", (None, 3), {"product_id.null_check"}),
    ("popular_products", ("p3", 0), {"purchase_count.min"}),
    ("product_recommendations", (1.0001, 100), {"confidence.max"}),
    ("product_recommendations", (0.6, -1), {"confidence_pct.min"}),
    ("product_recommendations", (0.6, 101), {"confidence_pct.max"}),
    ("frequent_itemsets", (0.0099,), {"support.min"}),
    ("frequent_itemsets", (1.0001,), {"support.max"}),
    ("association_rules", (0.2999,), {"confidence.min"}),
    ("association_rules", (1.0001,), {"confidence.max"}),
]


def raw_job(tmp_path: Path, case_id: str, source: str, table: pa.Table) -> dict:
    path = tmp_path / f"{case_id}.parquet"
    pq.write_table(table, path)
    return {"id": case_id, "dag": "churn", "name": source, "table": f"read_parquet('{path}')",
            "conn": {"conn_type": "duckdb", "host": ":memory:"}}


def warehouse_job(tmp_path: Path, case_id: str, table: str, extra_rows: list[tuple]) -> dict:
    columns, rows = WAREHOUSE[table]
    path = tmp_path / f"{case_id}.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE {table} ({columns})")
        for row in [*rows, *extra_rows]:
            con.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
    return {"id": case_id, "dag": "batch", "name": table, "table": table,
            "conn": {"conn_type": "duckdb", "host": str(path)}}


RAW_IDS = [f"{c[0]}.{c[1]}-{i}" for i, c in enumerate(RAW_CASES)]
WAREHOUSE_IDS = [f"{c[0]}-{i}" for i, c in enumerate(WAREHOUSE_CASES)]


@pytest.fixture(scope="module")
def failed(sources, tmp_path_factory) -> dict[str, set[str]]:
    """Every case's failing checks, from one run of tests/run_data_checks.py."""
    folder = tmp_path_factory.mktemp("checks")
    jobs = [raw_job(folder, case_id, source, with_values(sources[source], column, values))
            for case_id, (source, column, values, _) in zip(RAW_IDS, RAW_CASES, strict=True)]
    for source, table in sources.items():
        jobs.append(raw_job(folder, f"valid-{source}", source, table))
        jobs.append(raw_job(folder, f"empty-{source}", source, table.slice(0, 0)))
    jobs += [warehouse_job(folder, case_id, table, [row])
             for case_id, (table, row, _) in zip(WAREHOUSE_IDS, WAREHOUSE_CASES, strict=True)]
    jobs += [warehouse_job(folder, f"valid-{table}", table, []) for table in WAREHOUSE]
    (folder / "jobs.json").write_text(json.dumps(jobs))
    done = subprocess.run([sys.executable, "-m", "tests.run_data_checks",
                           str(folder / "jobs.json")], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULTS ")), None)
    assert line, done.stdout[-3000:] + done.stderr[-3000:]
    return {case_id: set(checks) for case_id, checks in json.loads(line[8:]).items()}


@pytest.mark.parametrize("case_id, failing", [(i, c[3]) for i, c in zip(RAW_IDS, RAW_CASES,
                                                                        strict=True)],
                         ids=RAW_IDS)
def test_a_churn_raw_check_fails_on_data_that_breaks_it(failed, case_id, failing):
    assert failed[case_id] == failing


@pytest.mark.parametrize("source", ["customer_data", "transactions", "support_tickets",
                                    "product_usage"])
def test_valid_sources_pass_and_empty_ones_fail_on_row_count(failed, source):
    assert failed[f"valid-{source}"] == set()
    assert "row_count" in failed[f"empty-{source}"]


@pytest.mark.parametrize("table", sorted(WAREHOUSE))
def test_a_valid_published_table_passes_its_checks(failed, table):
    assert failed[f"valid-{table}"] == set()


@pytest.mark.parametrize("case_id, failing", [(i, c[2]) for i, c in zip(
    WAREHOUSE_IDS, WAREHOUSE_CASES, strict=True)], ids=WAREHOUSE_IDS)
def test_a_warehouse_check_fails_on_a_row_that_breaks_it(failed, case_id, failing):
    assert failed[case_id] == failing
