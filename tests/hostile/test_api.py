"""Every API endpoint, each body field and query parameter tried with every hostile value and
every JSON type (tests/hostile/payloads.py), missing and given twice, and each body sent
broken in every way a parser can be broken: a refusal is a 4xx with ``detail`` and nothing
written, never a server error. The table must name every method of every API route."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.hostile.conftest import World, attempt, is_api, routes, tidy
from tests.hostile.payloads import (
    JSON,
    LONG,
    MARKUP,
    OPTIONAL,
    TEXT,
    VALUES,
    Field,
    JsonField,
    code,
    json_code,
    json_text,
    text,
)

pytestmark = pytest.mark.django_db

JSON_TYPE = "application/json"
# A token's last use is kept to the minute: a refused request still used the token.
TOKEN_NOISE = frozenset({"accounts_apitoken"})


@dataclass(frozen=True)
class ApiCase:
    route: str
    method: str
    prepare: Callable[[World], tuple[Client, str, Any]]  # client, URL, valid body or query
    fields: dict[str, Any] = field(default_factory=dict)  # JsonField, or Field for a query
    ok: int = 200
    refused: tuple[int, ...] = (400,)
    noise: frozenset[str] = frozenset()
    renew: str = "after use"

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.route}"


def session(who: str, url: Callable[[World], str], body: Callable[[World], Any]) -> Any:
    return lambda w: (w.client(who), url(w), body(w))


def token(url: Callable[[World], str], query: dict[str, str]) -> Any:
    """Agency A's integration, with its bearer token."""
    return lambda w: (Client(HTTP_AUTHORIZATION=f"Bearer {w.bearer}"), url(w), dict(query))


def _decline(w: World) -> tuple[Client, str, Any]:
    referral = w.fresh_referral()
    return (
        w.client("caseworker_x"),
        f"/api/v1/referrals/{referral.code}/decline",
        {"reason": "at_capacity"},
    )


def _referral_body(w: World) -> dict[str, Any]:
    return {
        "consent": str(w.consent.code),
        "recipient": str(w.cast.shelter_x.code),
        "urgency": "urgent",
        "services": ["emergency_shelter"],
        "household": {"adults": 1},
        "callback": "Desk, +1 214 555 0100",
        "items": {"name": "A"},
    }


def _action(who: str, kind: str, action: str) -> Any:
    def prepare(w: World) -> tuple[Client, str, Any]:
        made = w.fresh_hold() if kind == "holds" else w.fresh_referral()
        return w.client(who), f"/api/v1/{kind}/{made.code}/{action}", {}

    return prepare


PAGE = Field("code", required=False, numeric=True)
SEARCH_TEXT = text(required=False)
LIST_FILTERS = {"page": PAGE, "per_page": PAGE, "search": SEARCH_TEXT}
TAGGED = {**LIST_FILTERS, "taxonomy_term_id": OPTIONAL, "taxonomy_id": OPTIONAL}
SERVICE_FILTERS = {**TAGGED, "organization_id": OPTIONAL, "modified_after": OPTIONAL,
                   "full": OPTIONAL}  # fmt: skip
NOT_FOUND = (400, 404)
AS_TEXT = frozenset({"a number as text"})  # "2" is text, in quotes

CASES = [
    ApiCase(
        "api:search", "get", token(lambda w: "/api/v1/search", {"near": "75201"}),
        fields={
            "near": code(), "q": SEARCH_TEXT, "category": OPTIONAL, "population": OPTIONAL,
            "radius_mi": Field("code", required=False, numeric=True,
                               accepts=frozenset({"a fraction"})),
            "language": code(required=False, accepts=frozenset({"NaN"})),
            "accessible": OPTIONAL, "open_now": OPTIONAL, "accepts_police_referrals": OPTIONAL,
            "has_beds": OPTIONAL,
            # Far past the end is "no more results", a 404, as any page past the end. Left
            # blank it is left out (page 1), as every optional parameter of search is.
            "page": Field("code", required=False, numeric=True,
                          accepts=frozenset({"blank"}), refuses=frozenset({"spaces"})),
        },
        refused=NOT_FOUND, noise=TOKEN_NOISE,
    ),
    ApiCase(
        "api:holds", "post",
        session("officer_a", lambda w: "/api/v1/holds",
                lambda w: {"location": str(w.capacity.location.code), "population": "women"}),
        fields={"location": json_code(), "population": json_code(),
                "agency": json_code(required=False)},
        ok=201,
    ),
    ApiCase(
        "api:capacity", "post",
        session("caseworker_x", lambda w: f"/api/v1/capacities/{w.capacity.code}",
                lambda w: {"status": "waitlist"}),
        fields={"total": json_code(required=False), "occupied": json_code(required=False),
                "status": json_code(required=False)},
    ),
    ApiCase("api:hold-cancel", "post", _action("officer_a", "holds", "cancel")),
    ApiCase("api:hold-confirm", "post", _action("caseworker_x", "holds", "confirm")),
    ApiCase(
        "api:referrals", "post",
        session("officer_a", lambda w: "/api/v1/referrals", _referral_body),
        fields={
            "consent": json_code(), "recipient": json_code(),
            "location": json_code(required=False, accepts=frozenset({"null"})),
            "hold": json_code(required=False, accepts=frozenset({"null"})),
            "urgency": json_code(),
            "services": JsonField("list", accepts=frozenset({"a list"})),
            "household": JsonField("object"),
            "household.adults": json_code(),
            "household.children_0_5": json_code(required=False),
            "needs": JsonField("list", required=False, accepts=frozenset({"an empty list"})),
            "language": json_code(required=False, accepts=frozenset({"blank"})),
            "safety": JsonField("list", required=False, accepts=frozenset({"an empty list"})),
            "callback": json_text(),
            # No items at all is a referral of coded facts only.
            "items": JsonField("object", accepts=frozenset({"an object", "an empty object"})),
            "items.name": json_text(required=False, accepts=AS_TEXT),
            "items.contact": json_text(required=False, accepts=AS_TEXT),
            "items.age": json_text(required=False, accepts=AS_TEXT),
        },
        ok=201,
    ),
    ApiCase("api:referral-accept", "post", _action("caseworker_x", "referrals", "accept")),
    ApiCase("api:referral-decline", "post", _decline, fields={"reason": json_code()}),
    ApiCase("api:referral-withdraw", "post", _action("officer_a", "referrals", "withdraw")),
    # --- the HSDS read API, open to all ---
    ApiCase("hsds:services", "get", token(lambda w: "/api/hsds/services", {}),
            fields=SERVICE_FILTERS, noise=TOKEN_NOISE),
    ApiCase("hsds:service-at-locations", "get",
            token(lambda w: "/api/hsds/service_at_locations", {}), fields=SERVICE_FILTERS,
            noise=TOKEN_NOISE),
    ApiCase("hsds:organizations", "get", session("anonymous", lambda w: "/api/hsds/organizations",
                                                 lambda w: {}),
            fields={**TAGGED, "full": OPTIONAL, "full_service": OPTIONAL}),
    ApiCase("hsds:organization", "get",
            session("anonymous", lambda w: f"/api/hsds/organizations/{w.cast.shelter_x.code}",
                    lambda w: {}),
            fields={"full_service": OPTIONAL}),
    ApiCase("hsds:service-at-location", "get",
            session("anonymous", lambda w: "/api/hsds/service_at_locations/"
                    f"{w.capacity.location.at_locations.get().code}", lambda w: {}),
            fields={"full": OPTIONAL}),
    ApiCase("hsds:taxonomies", "get", session("anonymous", lambda w: "/api/hsds/taxonomies",
                                              lambda w: {}), fields=LIST_FILTERS),
    ApiCase("hsds:taxonomy-terms", "get",
            session("anonymous", lambda w: "/api/hsds/taxonomy_terms", lambda w: {}),
            fields={**LIST_FILTERS, "taxonomy_id": OPTIONAL, "parent_id": OPTIONAL,
                    "top_only": OPTIONAL}),
]  # fmt: skip

# Reads that take nothing but their address: query parameters are not theirs to read.
READS: dict[tuple[str, str], Callable[[World], tuple[str, str]]] = {
    ("api:capacity", "get"): lambda w: ("caseworker_x", f"/api/v1/capacities/{w.capacity.code}"),
    ("api:hold", "get"): lambda w: ("officer_a", f"/api/v1/holds/{w.hold.code}"),
    ("api:me", "get"): lambda w: ("officer_a", "/api/v1/me"),
    ("api:referral", "get"): lambda w: ("officer_a", f"/api/v1/referrals/{w.referral.code}"),
    ("hsds:root", "get"): lambda w: ("anonymous", "/api/hsds/"),
    ("hsds:profile", "get"): lambda w: ("anonymous", "/api/hsds/profile"),
    ("hsds:service", "get"): lambda w: (
        "anonymous",
        f"/api/hsds/services/{w.capacity.location.at_locations.get().service.code}",
    ),
    ("hsds:taxonomy", "get"): lambda w: ("anonymous", f"/api/hsds/taxonomies/{_taxonomy(w)}"),
    ("hsds:taxonomy-term", "get"): lambda w: ("anonymous", f"/api/hsds/taxonomy_terms/{_term(w)}"),
    ("schema", "get"): lambda w: ("anonymous", "/api/schema/"),
    ("api-docs", "get"): lambda w: ("anonymous", "/api/docs/"),
}


def _taxonomy(w: World) -> str:
    from directory.models import Taxonomy

    return str(Taxonomy.objects.get_or_create(name="Hostile", defaults={"uri": ""})[0].code)


def _term(w: World) -> str:
    from directory.models import Taxonomy, TaxonomyTerm

    taxonomy = Taxonomy.objects.get_or_create(name="Hostile", defaults={"uri": ""})[0]
    term = TaxonomyTerm.objects.get_or_create(taxonomy=taxonomy, term_code="x", name="X")[0]
    return str(term.code)


METHODS = ("get", "post", "put", "patch", "delete")


def test_every_api_endpoint_and_method_is_in_the_table():
    """A new endpoint (or a new method on one) fails here until it is given a case."""
    served = set()
    for name, pattern, view in routes():
        if is_api(name, pattern):
            methods = [m for m in METHODS if hasattr(getattr(view, "view_class", None), m)]
            served |= {(name, method) for method in methods}
    tabled = {(case.route, case.method) for case in CASES} | set(READS)
    assert served - tabled == set(), "add these to tests/hostile/test_api.py"
    assert tabled - served == set(), "these endpoints are gone"


def _with(body: Any, path: str, payload: str) -> Any:
    """The valid body with one field (``a.b`` for a nested one) replaced or left out."""
    body = json.loads(json.dumps(body))
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        target = target[parent]
    if payload == "missing":
        target.pop(name, None)
    else:
        target[name] = JSON[payload]
    return body


def _query(params: dict[str, str], name: str, spec: Field, payload: str) -> list[tuple[str, str]]:
    pairs = [(k, v) for k, v in params.items() if k != name]
    if payload == "missing":
        return pairs
    if payload == "repeated":
        return [*pairs, (name, params.get(name, "1")), (name, "2")]
    return [*pairs, (name, VALUES[payload])]


def _call(client: Client, case: ApiCase, url: str, payload: Any) -> Any:
    if case.method == "get":
        query = urlencode(payload) if payload else ""
        return client.get(f"{url}?{query}" if query else url)
    return client.post(url, payload, content_type=JSON_TYPE)


def _judge(case: ApiCase, what: str, accepted: bool | None, outcome: Any) -> str | None:
    if outcome.crash or outcome.status >= 500:
        return f"{what}: server error {outcome.crash}"
    if accepted is None and outcome.status == case.ok:
        return None
    if accepted:
        if outcome.status != case.ok:
            return f"{what}: refused ({outcome.status}) where it should be taken: " + tidy(
                outcome.body
            )
        return None
    if outcome.status not in case.refused:
        return f"{what}: answered {outcome.status} where a refusal {case.refused} was expected"
    if not outcome.error_shown:
        return f"{what}: refused without a detail: {tidy(outcome.body)}"
    if outcome.changed - case.noise:
        return f"{what}: refused, yet wrote to {sorted(outcome.changed - case.noise)}"
    return None


JUNK = {
    "an unknown field": {"note": MARKUP},
    "10,000 characters": {"note": LONG},
    "a list": [1, 2],
}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_parameter_refuses_what_it_cannot_take_and_keeps_what_it_can(case, world):
    client, url, valid = case.prepare(world)
    baseline = attempt(lambda: _call(client, case, url, valid), watch=False)
    if baseline.status != case.ok or baseline.crash:
        pytest.fail(f"the valid call answers {baseline.status}: {baseline.crash or baseline.body}")
    problems, state, before = [], None, None
    renew = "never" if case.method == "get" else case.renew
    for name, spec in case.fields.items() or [("", None)]:
        for payload in spec.payloads() if spec else list(JUNK):
            if state is None:
                state, before = case.prepare(world), None
            client, url, valid = state
            if spec is None:
                sent, accepted = JUNK[payload], True
            elif case.method == "get":
                sent, accepted = _query(valid, name, spec, payload), spec.takes(payload)
            else:
                sent, accepted = _with(valid, name, payload), spec.takes(payload)
            outcome = attempt(
                lambda: _call(client, case, url, sent),  # noqa: B023
                watch=accepted is not True,
                before=before,
            )
            before = outcome.after
            if outcome.status == case.ok and renew != "never":
                state = None
            problem = _judge(case, f"{name or 'junk'} = {payload}", accepted, outcome)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_reads_take_nothing_but_their_address(world):
    problems = []
    for (route, _method), make in sorted(READS.items()):
        who, url = make(world)
        client = world.client(who)
        plain = client.get(url)
        if plain.status_code != 200:
            problems.append(f"{route}: {plain.status_code} {tidy(plain.content.decode())}")
        for payload, value in TEXT.items():
            query = {"page": value, value[:50]: value}
            outcome = attempt(lambda: client.get(url, query))  # noqa: B023
            if outcome.status != 200 or outcome.changed:
                problems.append(f"{route} {payload}: {outcome.status} {outcome.crash}")
        if client.delete(url).status_code != 405:
            problems.append(f"{route}: DELETE is answered")
    assert not problems, "\n".join(problems)


# --- Bodies broken as a whole ---------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
BODIES: dict[str, tuple[bytes | str, str]] = {
    "not JSON": ("{", JSON_TYPE),
    "empty": ("", JSON_TYPE),
    "a list": ("[]", JSON_TYPE),
    "a string": ('"x"', JSON_TYPE),
    "a number": ("1", JSON_TYPE),
    "null": ("null", JSON_TYPE),
    "NaN": ('{"adults": NaN}', JSON_TYPE),
    "Infinity": ('{"adults": -Infinity}', JSON_TYPE),
    "nested 100,000 deep": (DEEP, JSON_TYPE),
    "nested 50 deep": ('{"a": ' + "[" * 50 + "]" * 50 + "}", JSON_TYPE),
    "a number of 5,000 digits": ('{"adults": ' + "9" * 5000 + "}", JSON_TYPE),
    "invalid UTF-8": (b'{"callback": "\xff\xfe\xc3("}', JSON_TYPE),
    "UTF-16": ('{"callback": "x"}'.encode("utf-16"), JSON_TYPE),
    "a NUL escape": ('{"callback": "a\\u0000b"}', JSON_TYPE),
    "a NUL in a key": ('{"call\\u0000back": "x"}', JSON_TYPE),
    "half a surrogate pair": ('{"callback": "\\ud800"}', JSON_TYPE),
    "half a pair in a key": ('{"\\udfff": "x"}', JSON_TYPE),
    "a form": ("callback=x", "application/x-www-form-urlencoded"),
    "plain text": ("callback", "text/plain"),
    "3 MB": ('{"callback": "' + "x" * 3_000_000 + '"}', JSON_TYPE),
}
POSTS = [case for case in CASES if case.method == "post" and case.fields]


def _duplicated(body: dict[str, Any], nested: bool) -> str:
    """The valid body as text with its first key (or a nested object's) given twice."""
    text = json.dumps(body)
    if nested:
        for _name, value in body.items():
            if isinstance(value, dict) and value:
                inner = next(iter(value))
                first = json.dumps({inner: value[inner]})[1:-1]
                return text.replace(first, f"{first}, {first}", 1)
    first = next(iter(body))
    pair = json.dumps({first: body[first]})[1:-1]
    return "{" + pair + ", " + text[1:]


@pytest.mark.parametrize("case", POSTS, ids=lambda case: case.id)
def test_a_broken_body_is_refused_with_a_reason(case, world):
    client, url, valid = case.prepare(world)
    bodies = {**BODIES, "a key twice": (_duplicated(valid, nested=False), JSON_TYPE)}
    # Nothing sent is nothing changed, where every field may be left out ("still right").
    empty_is_fine = not any(spec.required for spec in case.fields.values())
    if any(isinstance(value, dict) for value in valid.values()):
        bodies["a nested key twice"] = (_duplicated(valid, nested=True), JSON_TYPE)
    problems = []
    for name, (body, content_type) in bodies.items():
        outcome = attempt(
            lambda: client.post(url, body, content_type=content_type)  # noqa: B023
        )
        if outcome.crash or outcome.status >= 500:
            problems.append(f"{name}: server error {outcome.crash}")
        elif name == "empty" and empty_is_fine and outcome.status == case.ok:
            continue
        elif outcome.status not in (400, 413, 415) or not outcome.error_shown:
            problems.append(f"{name}: {outcome.status} {tidy(outcome.body)}")
        elif outcome.changed:
            problems.append(f"{name}: refused, yet wrote to {sorted(outcome.changed)}")
    assert not problems, "\n".join(problems)


def test_a_key_twice_is_named_in_the_answer(world):
    client = world.client("caseworker_x")
    answer = client.post(
        f"/api/v1/capacities/{world.capacity.code}",
        '{"total": 9, "status": "waitlist", "total": 500}',
        content_type=JSON_TYPE,
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "parse_error"
    assert "“total” appears twice" in answer.json()["detail"]


# --- Headers --------------------------------------------------------------------------------


def test_a_hostile_idempotency_key_is_refused(world):
    client = world.client("officer_a")
    body = {"location": str(world.capacity.location.code), "population": "women"}
    for payload, value in TEXT.items():
        outcome = attempt(
            lambda: client.post(
                "/api/v1/holds",
                body,
                content_type=JSON_TYPE,
                HTTP_IDEMPOTENCY_KEY=value,  # noqa: B023
            )
        )
        assert outcome.status == 400, (payload, outcome.crash, tidy(outcome.body))
        assert "Idempotency-Key" in outcome.body
        assert outcome.changed == set()


def test_a_hostile_bearer_token_is_refused(cast):
    for payload, value in VALUES.items():
        for header in (
            f"Bearer {value}",
            f"Bearer hvn_{value}_x",
            f"Bearer hvn_abcdef123456_{value}",
        ):
            outcome = attempt(lambda: Client(HTTP_AUTHORIZATION=header).get("/api/v1/me"))  # noqa: B023
            assert outcome.status == 401, (payload, outcome.crash, tidy(outcome.body))
            assert outcome.error_shown
            assert outcome.changed == set()
