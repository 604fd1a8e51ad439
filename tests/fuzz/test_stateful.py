"""Chains of calls along the schema's links (a hold placed, then read, cancelled, confirmed; a
referral sent, then read, decided, withdrawn): what one call made, the next finds, and every
answer still holds to the schema (schemathesis' stateful phase with all its checks, among
them ensure_resource_availability and use_after_free)."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.generation.stateful import run_state_machine_as_test

from tests.fuzz.conftest import DETERMINISTIC, EXAMPLES, Role

pytestmark = pytest.mark.django_db

# The roles that make something through the API for the links to lead from.
MAKERS = ["officer", "caseworker", "agency_token", "shelter_token"]
MINIMUM_STEPS = 40


@pytest.mark.parametrize("role", MAKERS, indirect=True)
def test_what_a_call_makes_the_linked_calls_find(fuzz_schema, role: Role):
    machine = fuzz_schema.as_state_machine()

    class Recorded(machine):  # type: ignore[misc, valid-type]
        """Each scenario starts from the same world (and replays as it was found)."""

        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return dict(role.transport)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            role.record(case.operation.label, response.status_code)
            super().validate_response(response, case, additional_checks, **kwargs)

    run_state_machine_as_test(
        Recorded,
        settings=settings(
            max_examples=max(EXAMPLES, 10),
            stateful_step_count=8,
            derandomize=DETERMINISTIC,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert role.cases >= MINIMUM_STEPS
