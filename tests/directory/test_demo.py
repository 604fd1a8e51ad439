import pytest
from django.core.management import call_command

from directory.demo import demo_directory_load
from directory.models import Location, Organization, Service

pytestmark = pytest.mark.django_db


def snapshot():
    return [
        list(model.objects.order_by("pk").values()) for model in (Organization, Location, Service)
    ]


def test_loading_the_demo_twice_changes_nothing():
    assert demo_directory_load() > 0
    before = snapshot()
    assert demo_directory_load() == 0
    assert snapshot() == before


def test_the_demo_covers_three_regions_with_confidential_shelters(capsys):
    call_command("seed_demo")
    assert "Demo directory ready" in capsys.readouterr().out
    states = set(Location.objects.values_list("addresses__state_province", flat=True))
    assert states == {"TX", "CA", "FL"}
    assert Location.objects.filter(confidential=True).count() >= 5
    assert Organization.objects.filter(kind=Organization.Kind.AGENCY).count() == 3


def test_the_search_index_agrees_with_a_rebuild_after_the_demo_loads(capsys):
    demo_directory_load()
    call_command("refresh_search_index")
    assert "0 locations changed" in capsys.readouterr().out
