"""fraud/fraud_training_set.sql: the logged features old enough for their label, labelled with
what is known by as_of, split by time (given rows, expect rows).

as_of 2026-01-10 00:00 UTC, the defaults' 7 days of label wait and 1 held-out day: a transaction
is in when it is before 2026-01-03 00:00, held out from 2026-01-02 00:00; each bound is met
exactly and missed by a millisecond, and so is a label's time against as_of.
"""

import datetime as dt

from tests.spark.harness import rows, run_model

FEATURES = ("amount", "amount_to_mean", "amount_zscore", "previous_count",
            "seconds_since_previous", "km_from_previous", "km_from_first", "speed_kmh",
            "recent_count", "previous_small", "high_risk_merchant", "hour_of_day")


def millis(day: int, extra_ms: int = 0) -> int:
    """2026-01-<day> 00:00 UTC, in epoch milliseconds, plus extra_ms."""
    start = dt.datetime(2026, 1, day, tzinfo=dt.UTC)
    return int(start.timestamp() * 1000) + extra_ms


LABELLED_BEFORE, HOLDOUT_FROM, AS_OF = millis(3), millis(2), millis(10)


def logged(transaction_id: str, time: int, version: str = "v1") -> tuple:
    return (transaction_id, "u1", time, *[1.0] * len(FEATURES), 0.25, version, "2026-01-01")


def test_the_training_set(spark, tmp_path):
    from pyspark.sql.types import (
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    feature_schema = StructType(
        [StructField("transaction_id", StringType()), StructField("user_id", StringType()),
         StructField("transaction_time", LongType()),
         *[StructField(name, DoubleType()) for name in FEATURES],
         StructField("fraud_score", DoubleType()), StructField("model_version", StringType()),
         StructField("day", StringType())])
    features = spark.createDataFrame([
        logged("last-in", LABELLED_BEFORE - 1),  # held out, the last one old enough
        logged("too-new", LABELLED_BEFORE),  # its label may still come: left out
        logged("first-held-out", HOLDOUT_FROM),  # labelled exactly at as_of: fraud
        logged("last-trained", HOLDOUT_FROM - 1),  # labelled 1 ms after as_of: not yet known
        logged("twice", millis(1), "none"),  # a backfill and a live run logged it: once
        logged("twice", millis(1), "v1"),
        logged("disputed", millis(1)),  # a label that is not 'fraud'
    ], feature_schema)
    labels = spark.createDataFrame([
        ("first-held-out", "fraud", AS_OF), ("first-held-out", "fraud", AS_OF),  # one row
        ("last-trained", "fraud", AS_OF + 1), ("disputed", "genuine", millis(2)),
        ("twice", "fraud", millis(5)),
    ], "transaction_id STRING, label STRING, label_time BIGINT")
    run_model(spark, "fraud/fraud_training_set", tmp_path,
              {"logged_features": features, "fraud_labels": labels})
    assert rows(spark, tmp_path, "fraud_training_set",
                ["transaction_id", "is_fraud", "split", "logged_model_version",
                 "transaction_time"]) == [
        ("disputed", 0, "train", "v1", millis(1)),
        ("first-held-out", 1, "holdout", "v1", HOLDOUT_FROM),
        ("last-in", 0, "holdout", "v1", LABELLED_BEFORE - 1),
        ("last-trained", 0, "train", "v1", HOLDOUT_FROM - 1),
        ("twice", 1, "train", "none", millis(1)),
    ]
    assert rows(spark, tmp_path, "fraud_training_set", list(FEATURES) + ["logged_score"]) \
        == [tuple([1.0] * len(FEATURES) + [0.25])] * 5
