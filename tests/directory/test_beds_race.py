"""Officers racing for the last beds, on real PostgreSQL with real threads."""

import threading

import pytest
from django.db import connections

from directory.models import Hold
from directory.services import BedConflict, hold_place
from tests.factories import AgencyFactory, OrganizationFactory, shelter_with_beds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_officers_racing_for_three_beds_get_exactly_three_holds():
    capacity = shelter_with_beds(OrganizationFactory(), total=3, occupied=0)
    agencies = [AgencyFactory() for _ in range(20)]
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(agency):
        try:
            start.wait()
            hold_place(capacity=capacity, agency=agency, placed_by=None)
            result = "held"
        except BedConflict as refused:
            result = refused.code
        except Exception as error:  # anything else is a failure the main thread reports
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(agency,)) for agency in agencies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["held"] * 3 + ["no_bed"] * 17
    capacity.refresh_from_db()
    assert (capacity.held, capacity.available) == (3, 0)
    assert Hold.objects.filter(capacity=capacity, status="active").count() == 3
