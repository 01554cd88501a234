"""Great-circle distance for the impossible-travel rule (sql/flink/impossible_travel.sql).

`distance_km` is the seed's calculateDistance: the haversine formula on a sphere of radius
EARTH_RADIUS_KM, in plain Python. Flink SQL calls it as `haversine_km`, declared with
`CREATE TEMPORARY FUNCTION haversine_km AS 'udfs.haversine.haversine_km' LANGUAGE PYTHON`.
impossible_travel.sql's cheap pre-filter writes the same radius; it is sound only while the two
agree, which tests/flink/test_detectors.py checks.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float | None, lon1: float | None, lat2: float | None,
                lon2: float | None) -> float | None:
    """Distance in km between two points given in degrees; None when a coordinate is missing."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    d_lat = math.radians(lat2 - lat1)
    d_lon = math.radians(lon2 - lon1)
    a = (math.sin(d_lat / 2) ** 2
         + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(d_lon / 2) ** 2)
    return EARTH_RADIUS_KM * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def _flink_function():
    try:
        from pyflink.table import DataTypes
        from pyflink.table.udf import udf
    except ImportError:  # the main environment (no PyFlink) still imports this module
        return None
    return udf(distance_km, result_type=DataTypes.DOUBLE(), deterministic=True)


haversine_km = _flink_function()
