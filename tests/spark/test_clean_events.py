"""clean_events.sql and quarantined_events.sql: clean events kept, dirt quarantined, none lost."""

from datetime import UTC, date, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from runners.sample_data.generate_clickstream import SCHEMA
from tests.spark.harness import rows, run_model, view_rows

T = datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC)
RAW = [
    # user, session, product, category, price, event_type, timestamp
    ("u1", "s1", "p1", "books", 10.0, "view", T),
    ("u1", "s1", "p1", "books", 10.0, "add_to_cart", T),
    ("u1", "s1", "p1", "books", 10.005, "purchase", datetime(2026, 1, 2, tzinfo=UTC)),
    ("u2", "s2", "p2", "toys", 5.5, " View ", T),  # mis-cased and padded: kept as view
    ("u2", "s2", "p2", "toys", 5.5, "PURCHASE", T),  # mis-cased: kept as purchase
    ("u2", "s2", "p2", "toys", 0.0, "purchase", T),  # a free item is a real purchase
    ("u3", "s3", "p3", "home", 1.0, "click", T),  # unknown type
    ("u3", "s3", "p3", "home", 1.0, "", T),  # empty type
    ("u3", "s3", "p3", "home", 1.0, None, T),  # no type
    ("u3", "s3", None, "home", 1.0, "view", T),  # no product
    ("u3", "s3", None, "home", 1.0, "hover", T),  # two faults: the first one wins
    (None, "s4", "p4", "home", 1.0, "view", T),  # no user
    ("u4", "s4", "p4", "home", 1.0, "view", None),  # no time
    ("u4", "s4", "p4", "home", -1.0, "purchase", T),  # negative price
    ("u4", "s4", "p4", "home", float("nan"), "purchase", T),
    ("u4", "s4", "p4", "home", None, "view", T),
    ("u4", "s4", "p4", "home", 1_000_000.01, "purchase", T),  # above max_price
    ("u4", "s4", "p4", "home", 1_000_000.0, "purchase", T),  # exactly max_price: kept
]


def write_raw(path):
    path.mkdir()
    columns = list(zip(*RAW, strict=True))
    table = pa.table({f.name: pa.array(col, type=f.type)
                      for f, col in zip(SCHEMA, columns, strict=True)}, schema=SCHEMA)
    pq.write_table(table, path / "part-0.parquet")


def test_keeps_known_events_and_quarantines_the_rest(spark, tmp_path):
    write_raw(tmp_path / "events")
    lake = tmp_path / "lake"
    run_model(spark, ["clean_events", "quarantined_events"], lake,
              variables={"events_path": str(tmp_path / "events")})

    assert view_rows(spark, "clean_events",
                ["user_id", "product_id", "event_type", "price", "date"]) == [
        ("u1", "p1", "add_to_cart", 10.0, date(2026, 1, 1)),
        ("u1", "p1", "purchase", 10.005, date(2026, 1, 2)),
        ("u1", "p1", "view", 10.0, date(2026, 1, 1)),
        ("u2", "p2", "purchase", 0.0, date(2026, 1, 1)),
        ("u2", "p2", "purchase", 5.5, date(2026, 1, 1)),
        ("u2", "p2", "view", 5.5, date(2026, 1, 1)),
        ("u4", "p4", "purchase", 1_000_000.0, date(2026, 1, 1)),
    ]
    assert rows(spark, lake, "quarantined_events", ["rejection_reason", "event_type"]) == [
        ("null_product_id", "view"),
        ("null_timestamp", "view"),
        ("null_user_id", "view"),
        ("price_out_of_range", "purchase"),
        ("price_out_of_range", "purchase"),
        ("price_out_of_range", "purchase"),
        ("price_out_of_range", "view"),
        ("unknown_event_type", ""),
        ("unknown_event_type", "click"),
        ("unknown_event_type", "hover"),
        ("unknown_event_type", None),
    ]


def test_every_raw_row_is_either_clean_or_quarantined(spark, tmp_path):
    write_raw(tmp_path / "events")
    lake = tmp_path / "lake"
    run_model(spark, ["clean_events", "quarantined_events"], lake,
              variables={"events_path": str(tmp_path / "events")})
    clean = spark.table("clean_events").count()
    quarantined = spark.read.parquet(str(lake / "quarantined_events")).count()
    assert (clean, quarantined) == (7, 11)
    assert clean + quarantined == len(RAW)


def test_max_price_is_a_parameter(spark, tmp_path):
    write_raw(tmp_path / "events")
    lake = tmp_path / "lake"
    run_model(spark, "clean_events", lake,
              variables={"events_path": str(tmp_path / "events"), "max_price": "5"})
    assert view_rows(spark, "clean_events", ["user_id", "price"]) == [
        ("u2", 0.0),
    ]
