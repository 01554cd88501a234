"""udfs/haversine.py: the seed's formula, on distances known from outside the project."""

from __future__ import annotations

import pytest

from udfs.haversine import distance_km


def test_new_york_to_london():
    # 5,570 km between the two city centres on a 6,371 km sphere (the seed's radius).
    assert distance_km(40.7128, -74.006, 51.5074, -0.1278) == pytest.approx(5570.22, abs=0.01)


def test_a_quarter_of_the_equator_and_the_same_place():
    assert distance_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(6371 * 3.141592653589793 / 2)
    assert distance_km(10.0, 20.0, 10.0, 20.0) == 0.0


def test_a_missing_coordinate_gives_none():
    assert distance_km(None, 0.0, 1.0, 1.0) is None
