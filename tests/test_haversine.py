"""udfs/haversine.py: the seed's formula, and the same function registered for Spark SQL."""

from __future__ import annotations

import pytest

from udfs.haversine import distance_km, register_spark


def test_new_york_to_london():
    assert distance_km(40.7128, -74.006, 51.5074, -0.1278) == pytest.approx(5570.22, abs=0.01)
    assert distance_km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert distance_km(None, 0.0, 1.0, 1.0) is None


def test_spark_sql_calls_the_same_function(spark):
    register_spark(spark)
    row = spark.sql("SELECT haversine_km(40.7128D, -74.006D, 51.5074D, -0.1278D) AS km").first()
    assert row.km == distance_km(40.7128, -74.006, 51.5074, -0.1278)
