"""The search FilterSet shares what never changes between searches and nothing else."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.http import QueryDict

from directory.filters import LocationSearchFilter
from directory.models import Location

ASKS = [
    "near=75201",
    "near=75201&radius_mi=10&category=emergency_shelter",
    "near=92101&population=women&has_beds=true",
    "near=33101&open_now=true&language=es",
    "near=32801&accessible=wheelchair&accepts_police_referrals=true",
    "near=75201&q=legal+aid&category=legal_aid&population=men",
]


def _sql(ask: str) -> str:
    filterset = LocationSearchFilter(data=QueryDict(ask), queryset=Location.objects.all())
    assert filterset.is_valid(), filterset.form.errors
    return str(filterset.qs.query)


def test_each_search_has_its_own_filters_pointing_at_itself():
    one = LocationSearchFilter(data=QueryDict(ASKS[0]), queryset=Location.objects.all())
    two = LocationSearchFilter(data=QueryDict(ASKS[1]), queryset=Location.objects.all())
    for name in ("has_beds", "open_now", "category"):
        assert one.filters[name] is not two.filters[name]
        assert one.filters[name].parent is one
        assert one.filters[name].filter.method.__self__ is one
        assert not hasattr(LocationSearchFilter.base_filters[name], "parent")


def test_fields_are_shared_but_each_form_has_its_own_values():
    one = LocationSearchFilter(data=QueryDict("near=75201"), queryset=Location.objects.all())
    two = LocationSearchFilter(data=QueryDict("near=nowhere"), queryset=Location.objects.all())
    assert one.form.fields["near"] is two.form.fields["near"]
    assert one.form.fields is not two.form.fields
    assert one.is_valid()
    assert not two.is_valid()
    assert one.form.cleaned_data["near"].label != two.form.data["near"]


@pytest.mark.django_db
@time_machine.travel("2026-12-02 02:00 -06:00", tick=False)  # beds and hours ask about now
def test_searches_at_once_build_what_they_build_alone():
    alone = {ask: _sql(ask) for ask in ASKS}
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(_sql, ASKS * 20))
    assert together == [alone[ask] for ask in ASKS * 20]
