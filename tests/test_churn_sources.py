"""The churn sources are declared once (sql/spark/churn/churn_sources.sql): the generator
writes those columns and types, and the churn DAG's raw checks are that file's @check lines."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runners.engines.churn_sources import raw_sources
from runners.sample_data.generate_churn import conform, generate, source_folder


def test_the_declaration_names_four_sources_with_their_views():
    sources = raw_sources()
    assert {name: s.view for name, s in sources.items()} == {
        "customer_data": "raw_customers", "transactions": "raw_payments",
        "support_tickets": "raw_support_tickets", "product_usage": "raw_product_usage"}
    assert sources["transactions"].schema == pa.schema([
        ("transaction_id", pa.string()), ("customer_id", pa.string()), ("amount", pa.float64()),
        ("status", pa.string()), ("paid_at", pa.timestamp("us", tz="UTC"))])
    assert {c.describe() for c in sources["transactions"].checks} >= {
        "raw_payments.status accepted_values succeeded,failed",
        "raw_payments.paid_at null_rate_at_most ${max_null_rate}"}


def test_the_generator_writes_the_declared_schema(tmp_path):
    day = dt.date(2026, 1, 1)
    generate(tmp_path, day, 50)
    for name, source in raw_sources().items():
        (path,) = source_folder(tmp_path, name, day).glob("*.parquet")
        assert pq.read_schema(path).remove_metadata() == source.schema, name


def test_a_generated_table_without_a_declared_column_is_refused():
    schema = raw_sources()["transactions"].schema
    table = pa.table({"transaction_id": ["t1"], "customer_id": ["c1"], "amount": [1.0],
                      "status": ["failed"]})
    with pytest.raises(ValueError, match=r"transactions: generated .* declared .*paid_at"):
        conform(table, schema, "transactions")
