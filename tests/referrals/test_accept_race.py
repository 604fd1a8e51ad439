"""Caseworkers accepting the same referral at once, on real PostgreSQL with real threads."""

import threading

import pytest
from django.db import connections

from referrals.models import Referral
from referrals.services import ReferralConflict, referral_accept
from tests.referrals.conftest import a_hold, send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_caseworkers_accepting_at_once_one_wins_the_other_is_told(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    deciders = [keyed.caseworker_x, keyed.admin_x] * 4
    start = threading.Barrier(len(deciders))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(member):
        try:
            start.wait()
            referral_accept(referral=referral, by=member)
            result = "accepted"
        except ReferralConflict as refused:
            result = refused.code
        except Exception as error:  # anything else is a failure the main thread reports
            result = f"error: {error!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=accept, args=(member,)) for member in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted"] + ["already_decided"] * 7
    referral.refresh_from_db()
    hold.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert hold.status == "confirmed"
    capacity = hold.capacity
    capacity.refresh_from_db()
    assert (capacity.occupied, capacity.held) == (1, 0)
