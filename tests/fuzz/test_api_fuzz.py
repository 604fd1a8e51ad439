"""The API holds to the OpenAPI schema it publishes, whoever calls it and whatever they send
(schemathesis: the schema's examples, boundary cases and generated requests, valid and
invalid, with every check it has), once per role; tests/fuzz/conftest.py sets the stage."""

import pytest
import schemathesis

from tests.fuzz.conftest import rolled_back

pytestmark = pytest.mark.django_db

schema = schemathesis.pytest.from_fixture("fuzz_schema")


@pytest.fixture(autouse=True)
def _enough_cases(role):
    """Each run makes its share of the 2,000 cases promised, or fails (tests/fuzz/conftest.py)."""
    yield
    minimum = role.spec.minimum_cases
    assert role.cases >= minimum, f"the {role.name} run made {role.cases} cases, not {minimum}"


@schema.parametrize()
def test_the_api_answers_every_role_as_its_schema_says(case, role):
    # Every case meets the same world, so that any failure replays (and shrinks) as it was
    # found; chains of calls are test_stateful's.
    with rolled_back():
        response = case.call_and_validate(**role.transport)
    role.record(case.operation.label, response.status_code)
