"""Builders of the models' input rows, typed as the lake stores them."""

from datetime import UTC, date, datetime

from pyspark.sql.types import (
    ArrayType,
    DateType,
    DecimalType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

CLEAN_EVENTS = StructType([
    StructField("user_id", StringType()),
    StructField("session_id", StringType()),
    StructField("product_id", StringType()),
    StructField("category", StringType()),
    StructField("event_type", StringType()),
    StructField("timestamp", TimestampType()),
    StructField("price", DoubleType()),
    StructField("date", DateType()),
])
ASSOCIATION_RULES = StructType([
    StructField("confidence", DoubleType()),
    StructField("lift", DoubleType()),
    StructField("support", DoubleType()),
    StructField("antecedent", ArrayType(StringType())),
    StructField("consequent", ArrayType(StringType())),
])
BASKETS = StructType([
    StructField("user_id", StringType()),
    StructField("session_id", StringType()),
    StructField("products", ArrayType(StringType())),
    StructField("item_count", LongType()),
    StructField("total_amount", DecimalType(22, 2)),
])


def clean_events(spark, events):
    """events: (user, session, product, category, event_type, price, day-of-January)."""
    rows = [
        (u, s, p, c, e, datetime(2026, 1, d, 12, tzinfo=UTC), float(price), date(2026, 1, d))
        for u, s, p, c, e, price, d in events
    ]
    return spark.createDataFrame(rows, CLEAN_EVENTS)
