"""Random sequences of update, hold, cancel, confirm, expire and sweep, against a model of
what the beds should be; every invariant of DESIGN.md §5 is checked after every step."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from directory.beds import active_holds
from directory.models import Capacity, Hold
from directory.services import (
    BedConflict,
    capacity_update,
    hold_cancel,
    hold_confirm,
    hold_place,
    holds_sweep,
)
from tests.factories import AgencyFactory, OrganizationFactory, shelter_with_beds

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
HOLD = timedelta(minutes=90)


class Beds(RuleBasedStateMachine):
    holds = Bundle("holds")

    @initialize(total=st.integers(0, 6), occupied=st.integers(0, 6))
    def open_shelter(self, total, occupied):
        self.clock = time_machine.travel(START, tick=False)
        self.traveller = self.clock.start()
        self.savepoint = transaction.savepoint()
        occupied = min(occupied, total)
        self.capacity = shelter_with_beds(OrganizationFactory(), total=total, occupied=occupied)
        self.agency = AgencyFactory()
        self.total, self.occupied, self.accepting = total, occupied, True
        self.expiry: dict[str, datetime] = {}  # active holds in the model: code → expires at

    def teardown(self):
        if hasattr(self, "savepoint"):
            transaction.savepoint_rollback(self.savepoint)
            self.clock.stop()

    def now(self):
        return datetime.now(tz=UTC)

    def live(self):
        return [code for code, until in self.expiry.items() if until > self.now()]

    def free(self):
        return self.total - self.occupied - len(self.live())

    def forget_expired(self):
        for code in [c for c, until in self.expiry.items() if until <= self.now()]:
            del self.expiry[code]

    @rule(
        total=st.integers(0, 8),
        occupied=st.integers(0, 8),
        which=st.sampled_from(["both", "total", "occupied"]),
    )
    def update(self, total, occupied, which):
        new_total = total if which != "occupied" else self.total
        new_occupied = occupied if which != "total" else self.occupied
        fits = new_occupied + len(self.live()) <= new_total
        kwargs = {"total": total, "occupied": occupied}
        if which != "both":
            kwargs = {which: kwargs[which]}
        try:
            capacity_update(capacity=self.capacity, by=None, source="web", **kwargs)
        except BedConflict:
            assert not fits
        else:
            assert fits
            self.total, self.occupied = new_total, new_occupied
            self.forget_expired()

    @rule(accepting=st.booleans())
    def set_status(self, accepting):
        status = Capacity.Status.ACCEPTING if accepting else Capacity.Status.WAITLIST
        capacity_update(capacity=self.capacity, status=status, by=None, source="web")
        self.accepting = accepting
        self.forget_expired()

    @rule(target=holds)
    def hold(self):
        expected = self.accepting and self.free() >= 1
        try:
            hold = hold_place(capacity=self.capacity, agency=self.agency, placed_by=None)
        except BedConflict:
            assert not expected
            return "none"
        assert expected
        self.forget_expired()
        self.expiry[str(hold.code)] = hold.expires_at
        assert hold.expires_at == self.now() + HOLD
        return str(hold.code)

    @rule(code=holds, arrived=st.booleans())
    def end(self, code, arrived):
        hold = Hold.objects.filter(code=code).first() if code != "none" else None
        if hold is None:
            return
        live = code in self.live()
        try:
            (hold_confirm if arrived else hold_cancel)(hold=hold)
        except BedConflict:
            assert not live
        else:
            assert live
            del self.expiry[code]
            self.occupied += int(arrived)

    @rule(minutes=st.integers(1, 120))
    def wait(self, minutes):
        self.traveller.shift(timedelta(minutes=minutes))

    @rule()
    def sweep(self):
        holds_sweep()
        self.forget_expired()

    @invariant()
    def beds_add_up(self):
        if not hasattr(self, "capacity"):
            return
        self.capacity.refresh_from_db()
        c = self.capacity
        active_rows = Hold.objects.filter(capacity=c, status="active").count()
        assert c.occupied <= c.total
        assert c.held == active_rows, "the counter follows the hold rows"
        assert c.total - c.occupied - c.held >= 0, "never overbooked, even counting overdue holds"
        # What every read sees: holds count until the moment they expire.
        held_now = (
            Capacity.objects.filter(pk=c.pk)
            .annotate(n=Coalesce(active_holds(self.now()), 0))
            .values_list("n", flat=True)
            .get()
        )
        assert c.total - c.occupied - held_now == self.free() >= 0
        assert (c.total, c.occupied) == (self.total, self.occupied)


def test_beds_hold_their_invariants_under_random_sequences():
    run_state_machine_as_test(
        Beds,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
