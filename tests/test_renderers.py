"""The API's JSON renderer writes what DRF's would, only faster (config/renderers.py)."""

import datetime as dt
import json
import uuid
import zoneinfo
from decimal import Decimal

from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from config.renderers import FastJSONRenderer

UTC = dt.UTC
AWARE = dt.datetime(2026, 12, 2, 7, 30, 5, 123456, tzinfo=UTC)

PAYLOAD = {
    "utc": AWARE,
    "utc, whole seconds": AWARE.replace(microsecond=0),
    "utc by zone name": AWARE.astimezone(zoneinfo.ZoneInfo("UTC")),
    "chicago": AWARE.astimezone(zoneinfo.ZoneInfo("America/Chicago")),
    "naive": dt.datetime(2026, 12, 2, 7, 30),
    "date": dt.date(2026, 12, 2),
    "time": dt.time(23, 59, 1),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": Decimal("2.50"),
    "lazy": gettext_lazy("Fresh"),
    "error": [ErrorDetail("Use true or false.", code="invalid_boolean")],
    "text": "emoji 🛏️, right-to-left مأوى, line\u2028and paragraph\u2029separators",
    "numbers": [0, -1, 2**53, 1.5, 1e-05, None, True, False],
    7: "a key that is not text",
    "nested": {"list": [{"deep": [[], {}]}]},
}


def test_it_writes_what_drf_writes():
    fast = FastJSONRenderer().render(PAYLOAD)
    slow = JSONRenderer().render(PAYLOAD)
    assert json.loads(fast) == json.loads(slow)
    # Datetimes, the escapes and the compact form are the very same bytes.
    assert b'"utc":"2026-12-02T07:30:05.123456Z"' in fast
    assert b'"utc by zone name":"2026-12-02T07:30:05.123456Z"' in fast
    assert b'"chicago":"2026-12-02T01:30:05.123456-06:00"' in fast
    assert b"\\u2028" in fast
    assert b"\\u2029" in fast
    assert "\u2028".encode() not in fast
    compact = {"a": [1, 2], "b": {"c": None}}
    assert FastJSONRenderer().render(compact) == JSONRenderer().render(compact)


def test_indented_json_is_drf_s():
    media_type = "application/json; indent=4"
    fast = FastJSONRenderer().render({"a": [1]}, media_type)
    assert fast == JSONRenderer().render({"a": [1]}, media_type)
    assert b'\n    "a"' in fast


def test_nothing_renders_as_nothing():
    assert FastJSONRenderer().render(None) == b""


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)  # fmt: skip


@given(json_values)
def test_any_json_value_reads_back_the_same(value):
    value = [value]  # a bare None renders as no body at all, in both
    assert json.loads(FastJSONRenderer().render(value)) == json.loads(JSONRenderer().render(value))
