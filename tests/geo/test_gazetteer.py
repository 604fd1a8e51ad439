import pytest

from geo.distance import Point
from geo.gazetteer import city_key, gazetteer, state_code, time_zone_at


def test_it_knows_a_zip_code():
    record = gazetteer().zip_code("75201")
    assert record is not None
    assert (record.city, record.state, record.time_zone) == ("Dallas", "TX", "America/Chicago")


def test_it_finds_cities_however_they_are_written():
    assert city_key("St. Louis") == city_key("Saint Louis") == city_key("ST LOUIS")
    assert gazetteer().city("st. louis", "mo") is not None
    assert gazetteer().city("Fort McCoy", "FL") == gazetteer().city("Fort Mc Coy", "FL")


@pytest.mark.parametrize(
    ("text", "code"),
    [("TX", "TX"), ("tx", "TX"), ("Texas", "TX"), ("new  york", "NY"), ("XX", None)],
)
def test_it_reads_state_names_and_codes(text, code):
    assert state_code(text) == code


@pytest.mark.parametrize(
    ("point", "zone"),
    [
        (Point(34.05, -118.24), "America/Los_Angeles"),
        (Point(32.78, -96.80), "America/Chicago"),
        (Point(25.77, -80.19), "America/New_York"),
        (Point(33.45, -112.07), "America/Phoenix"),
        (Point(21.31, -157.86), "Pacific/Honolulu"),
    ],
)
def test_it_gives_the_time_zone_of_a_place(point, zone):
    assert time_zone_at(point) == zone


def test_it_holds_every_civilian_zip_code_of_the_package():
    """Read a first digit at a time (to keep the package's own copy out of memory), yet
    nothing is left out."""
    import zipcodes

    expected = {
        row["zip_code"]
        for row in zipcodes.list_all()
        if row["zip_code_type"] != "MILITARY" and row["lat"]
    }
    assert {record.zip_code for record in gazetteer().zips()} == expected
    assert len(expected) > 40_000
