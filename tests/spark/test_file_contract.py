"""The clickstream's file contract: every Parquet file under events_path holds each column that
clean_events.sql declares, with its type, or the batch stops before it writes anything, naming the
file and the column. A file with an extra column is read as the others."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from runners.engines.sqlscript import ScriptError
from runners.sample_data.generate_clickstream import SCHEMA
from tests.spark.harness import rows, run_model
from tests.spark.test_clean_events import RAW

MODELS = ["clean_events", "purchases", "popular_products"]


def write_events(folder, name: str, schema: pa.Schema = SCHEMA, rows_=RAW) -> None:
    """rows_ (RAW's columns) as one Parquet file with `schema`'s columns and types; a column the
    contract does not know gets made-up values."""
    folder.mkdir(exist_ok=True)
    values = dict(zip(SCHEMA.names, zip(*rows_, strict=True), strict=True))
    extra = [f"extra-{i}" for i in range(len(rows_))]
    columns = [pa.array(values.get(f.name, extra), type=f.type) for f in schema]
    pq.write_table(pa.Table.from_arrays(columns, schema=schema), folder / name)


def without(name: str) -> pa.Schema:
    return pa.schema([f for f in SCHEMA if f.name != name])


def retyped(name: str, type_: pa.DataType) -> pa.Schema:
    return pa.schema([pa.field(f.name, type_) if f.name == name else f for f in SCHEMA])


def run(spark, tmp_path):
    return run_model(spark, MODELS, tmp_path / "lake",
                     variables={"events_path": str(tmp_path / "events")})


def test_a_file_missing_a_column_stops_the_batch_naming_file_and_column(spark, tmp_path):
    write_events(tmp_path / "events", "part-0.parquet")
    write_events(tmp_path / "events", "part-1.parquet", without("category"))
    with pytest.raises(ScriptError) as failure:
        run(spark, tmp_path)
    message = str(failure.value)
    assert "clean_events.sql:" in message
    assert re.search(r"part-1\.parquet: no column category \(STRING\)", message), message
    assert "part-0.parquet" not in message
    assert not (tmp_path / "lake").exists() or not any((tmp_path / "lake").iterdir())


@pytest.mark.parametrize(("column", "type_", "found"), [
    ("price", pa.string(), "string"),
    ("price", pa.float32(), "float"),
    ("user_id", pa.int64(), "int64"),
    ("timestamp", pa.timestamp("us"), "timestamp[us]"),  # no time zone: not an instant
])
def test_a_file_with_a_column_of_another_type_stops_the_batch(spark, tmp_path, column, type_,
                                                              found):
    write_events(tmp_path / "events", "part-0.parquet")
    rows_ = RAW
    if type_ == pa.int64():
        rows_ = [(7, *row[1:]) for row in RAW]
    elif type_ == pa.string():
        rows_ = [(*row[:4], None, *row[5:]) for row in RAW]
    write_events(tmp_path / "events", "part-1.parquet", retyped(column, type_), rows_)
    with pytest.raises(ScriptError) as failure:
        run(spark, tmp_path)
    message = str(failure.value)
    assert f"part-1.parquet: column {column} is {found}" in message, message
    assert not (tmp_path / "lake").exists() or not any((tmp_path / "lake").iterdir())


def test_an_extra_column_is_read_as_the_others(spark, tmp_path):
    write_events(tmp_path / "events", "part-0.parquet")
    write_events(tmp_path / "events", "part-1.parquet",
                 pa.schema([*SCHEMA, pa.field("campaign", pa.string())]))
    run(spark, tmp_path)
    assert rows(spark, tmp_path / "lake", "popular_products",
                ["category", "product_id", "purchase_count"]) == [
        ("books", "p1", 2),
        ("home", "p4", 2),
        ("toys", "p2", 4),
    ]


@pytest.mark.parametrize("damage", ["truncated", "not_parquet"])
def test_a_damaged_file_stops_the_batch_and_the_lake_keeps_its_tables(spark, tmp_path, damage):
    write_events(tmp_path / "events", "part-0.parquet")
    run(spark, tmp_path)
    before = rows(spark, tmp_path / "lake", "popular_products",
                  ["category", "product_id", "purchase_count"])
    assert before == [("books", "p1", 1), ("home", "p4", 1), ("toys", "p2", 2)]

    write_events(tmp_path / "events", "part-1.parquet")
    damaged = tmp_path / "events" / "part-1.parquet"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not parquet" * 50)
    with pytest.raises(ScriptError) as failure:
        run(spark, tmp_path)
    assert "part-1.parquet: not a readable Parquet file" in str(failure.value), failure.value
    assert rows(spark, tmp_path / "lake", "popular_products",
                ["category", "product_id", "purchase_count"]) == before
