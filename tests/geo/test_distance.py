import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.distance import (
    EARTH_RADIUS_MI,
    Point,
    bounding_box,
    chord_squared_for_miles,
    coarsen,
    haversine_mi,
    miles_for_chord_squared,
    unit_vector,
)

latitudes = st.floats(min_value=-80, max_value=80, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.builds(Point, latitudes, longitudes)


def chord2(a: Point, b: Point) -> float:
    ax, ay, az = unit_vector(a.latitude, a.longitude)
    bx, by, bz = unit_vector(b.latitude, b.longitude)
    return (ax - bx) ** 2 + (ay - by) ** 2 + (az - bz) ** 2


def test_it_measures_dallas_to_fort_worth():
    dallas, fort_worth = Point(32.7767, -96.7970), Point(32.7555, -97.3308)
    assert haversine_mi(dallas, fort_worth) == pytest.approx(31.0, abs=0.5)


def test_it_refuses_impossible_coordinates():
    with pytest.raises(ValueError, match="latitude"):
        Point(91, 0)
    with pytest.raises(ValueError, match="longitude"):
        Point(0, 181)


@given(points, points)
def test_the_chord_gives_back_the_great_circle_distance(a, b):
    assert miles_for_chord_squared(chord2(a, b)) == pytest.approx(haversine_mi(a, b), abs=1e-6)


@given(st.floats(min_value=0, max_value=math.pi * EARTH_RADIUS_MI))
def test_chord_and_miles_are_inverse(miles):
    assert miles_for_chord_squared(chord_squared_for_miles(miles)) == pytest.approx(miles, abs=1e-6)


@given(
    points,
    st.floats(min_value=0.01, max_value=1.0),
    st.floats(min_value=0, max_value=360),
    st.floats(min_value=1, max_value=200),
)
def test_the_bounding_box_holds_every_point_within_the_radius(center, fraction, bearing, radius):
    # Walk `fraction * radius` miles from the centre on an arbitrary bearing.
    angular = fraction * radius / EARTH_RADIUS_MI
    lat1, lng1, theta = (
        math.radians(center.latitude),
        math.radians(center.longitude),
        math.radians(bearing),
    )
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(theta)
    )
    lng2 = lng1 + math.atan2(
        math.sin(theta) * math.sin(angular) * math.cos(lat1),
        math.cos(angular) - math.sin(lat1) * math.sin(lat2),
    )
    lng_deg = (math.degrees(lng2) + 540) % 360 - 180
    box = bounding_box(center, radius)
    lat_deg = math.degrees(lat2)
    assert box.min_lat - 1e-9 <= lat_deg <= box.max_lat + 1e-9
    if box.wraps:
        assert lng_deg >= box.min_lng - 1e-9 or lng_deg <= box.max_lng + 1e-9
    else:
        assert box.min_lng - 1e-9 <= lng_deg <= box.max_lng + 1e-9


def test_a_box_across_the_antimeridian_wraps():
    box = bounding_box(Point(51.8, 179.9), 25)
    assert box.wraps
    assert box.min_lng > 179
    assert box.max_lng < -179


@given(points)
def test_coarsening_is_stable_and_stays_within_the_cell(point):
    coarse = coarsen(point, 5.0)
    assert coarsen(point, 5.0) == coarse
    # Half the diagonal of a 5 km cell is about 3.54 km (2.2 mi).
    assert haversine_mi(point, coarse) <= 2.25


def test_nearby_points_share_a_cell():
    a = coarsen(Point(32.79610, -96.78100), 5.0)
    b = coarsen(Point(32.79611, -96.78101), 5.0)
    assert a == b
    assert a != Point(32.79610, -96.78100)
