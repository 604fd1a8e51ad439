"""Every form of every page, each field tried with every hostile value (tests/hostile/
payloads.py), missing, and sent twice: a refusal is a 400 with the reason on the page (or, on
a post/redirect/get page, an error message) and nothing written; what a field is for is
accepted; nothing is ever a server error. A new page is not served untested: the table below
must name every route the URLconfs have."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from axes.utils import reset as axes_reset
from django.contrib.admin import site
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.selectors import pending_authenticator
from accounts.services import token_issue
from consent.models import Acknowledgement
from consent.services import consent_request_start
from tests.conftest import verify_session
from tests.consent.test_canary import NAME as CANARY_NAME
from tests.consent.test_canary import PHONE as CANARY_PHONE
from tests.consent.test_canary import Recorder, database_text, log_records  # noqa: F401
from tests.consent.test_canary import leaks as canary_leaks
from tests.factories import PASSWORD, current_code, totp_device
from tests.hostile.conftest import (
    Outcome,
    World,
    attempt,
    is_admin,
    is_api,
    routes,
    tidy,
)
from tests.hostile.payloads import (
    FLAG,
    LONG,
    MARKUP,
    NAV,
    NUL,
    NUMBER,
    OPTIONAL,
    TEXT,
    VALUES,
    Field,
    choices,
    code,
    text,
)
from tests.hostile.test_uploads import UPLOAD_ROUTES

pytestmark = pytest.mark.django_db

Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Case:
    route: str
    prepare: Callable[[World], tuple[Client, str, dict[str, Any]]]  # client, URL, valid data
    fields: dict[str, Field] = field(default_factory=dict)
    method: str = "post"
    ok: int = 302
    refused: tuple[int, ...] = (400,)
    noise: frozenset[str] = frozenset()  # tables a refusal still writes (failure counters)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.route} {self.label}".strip()


# Too short for a password (12 characters at least).
SHORT = frozenset({"right-to-left"})
AXES = frozenset({"axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"})
AUDIT = frozenset({"audit_auditevent", "audit_audithead"})


def signed_in(who: str, url: Callable[[World], str], data: Any = None) -> Any:
    """A cast member's client, an address and the valid data (or a function of the world);
    making them writes nothing (once the client exists)."""

    def prepare(w: World) -> tuple[Client, str, dict[str, Any]]:
        return w.client(who), url(w), dict((data(w) if callable(data) else data) or {})

    prepare.renew = "never"  # type: ignore[attr-defined]
    return prepare


def _verify(w: World) -> tuple[Client, str, dict[str, Any]]:
    user = w.cast.officer_a.user
    device = totp_device(user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    client = Client()
    client.force_login(user)
    return client, "/accounts/sign-in/verify/", {"code": current_code(device)}


_verify.renew = "always"  # type: ignore[attr-defined]  # failures slow the next code down


def _mfa_setup(w: World) -> tuple[Client, str, dict[str, Any]]:
    client = verify_session(Client(), w.cast.officer_b.user)
    assert client.get("/accounts/sign-in/authenticator/").status_code == 200
    device = pending_authenticator(user=w.cast.officer_b.user)
    return client, "/accounts/sign-in/authenticator/", {"code": current_code(device)}


def _sign_in(w: World) -> tuple[Client, str, dict[str, Any]]:
    axes_reset()  # each try starts afresh: five failures in a row pause signing in
    data = {"email": w.cast.officer_a.user.email, "password": PASSWORD}
    return Client(), "/accounts/sign-in/", data


_sign_in.renew = "always"  # type: ignore[attr-defined]


def _capture(w: World) -> tuple[Client, str, dict[str, Any]]:
    return (
        w.capture_client(),
        "/c/sign/",
        {
            "items": ["name", "contact"],
            "days": "7",
            "acknowledgements": list(Acknowledgement.values),
            "pin": "482915",
            "pin2": "482915",
            "signature": "A. B.",
        },
    )


def _start(w: World) -> tuple[Client, str, dict[str, Any]]:
    _request, secret = consent_request_start(
        requested_by=w.cast.officer_a, recipient=w.cast.shelter_x, services=["emergency_shelter"]
    )
    return Client(), "/c/", {"code": secret}


def _portal(path: str, data: dict[str, Any] | None = None) -> Any:
    def prepare(w: World) -> tuple[Client, str, dict[str, Any]]:
        granted = w.fresh_grant()
        client = w.portal_client(granted.receipt_code)
        return client, path.format(code=granted.consent.code), dict(data or {})

    return prepare


def _referral_form(w: World) -> tuple[Client, str, dict[str, Any]]:
    return (
        w.client("officer_a"),
        f"/referrals/new/{w.consent.code}/",
        {
            "urgency": "urgent",
            "services": ["emergency_shelter"],
            "adults": "1",
            "children_0_5": "0",
            "children_6_12": "0",
            "children_13_17": "0",
            "callback": "Desk, +1 214 555 0100",
            "item_name": "A",
            "item_contact": "B",
        },
    )


def _referral_action(who: str, action: str, *, accepted: bool = False) -> Any:
    def prepare(w: World) -> tuple[Client, str, dict[str, Any]]:
        referral = w.fresh_referral(accepted=accepted)
        return w.client(who), f"/referrals/{referral.code}/{action}/", {}

    return prepare


def _hold_action(who: str, action: str) -> Any:
    return lambda w: (w.client(who), f"/holds/{w.fresh_hold().code}/{action}/", {})


def _token(w: World) -> str:
    issued = token_issue(
        organization=w.cast.shelter_x, name="old", scopes=["capacity:write"], issuer=None
    )
    return f"/accounts/orgs/{w.cast.shelter_x.code}/tokens/{issued.token.code}/revoke/"


def _sign_out(w: World) -> tuple[Client, str, dict[str, Any]]:
    return verify_session(Client(), w.cast.caseworker_y.user), "/accounts/sign-out/", {}


CASES = [
    # --- directory ---
    Case(
        "directory:search",
        signed_in("officer_a", lambda w: "/", {"near": "75201"}),
        method="get",
        ok=200,
        fields={
            # Nothing at all asked is the empty search page, not a mistake.
            "near": code(accepts=frozenset({"missing"})),
            "radius_mi": code(required=False, numeric=True, accepts=frozenset({"a fraction"})),
            "q": text(required=False),
            "category": OPTIONAL,
            "population": OPTIONAL,
            # Any two or three letters have the shape of an ISO 639 code ("nan": none found).
            "language": code(required=False, accepts=frozenset({"NaN"})),
            "accessible": OPTIONAL,
            # Strict: true/false, 1/0, on/off, yes/no and nothing else.
            "open_now": OPTIONAL,
            "accepts_police_referrals": OPTIONAL,
            "has_beds": OPTIONAL,
            "page": Field("nav", numeric=True),
        },
    ),
    Case(
        "directory:hold-place",
        signed_in(
            "officer_a",
            lambda w: "/holds/place/",
            lambda w: {"location": str(w.capacity.location.code), "population": "women"},
        ),
        fields={"location": code(), "population": code(), "agency": OPTIONAL},
    ),
    Case("directory:hold-cancel", _hold_action("officer_a", "cancel")),
    Case("directory:hold-confirm", _hold_action("caseworker_x", "confirm")),
    Case(
        "directory:beds-update",
        signed_in("caseworker_x", lambda w: f"/beds/{w.capacity.code}/", {"adjust": "occupied:+1"}),
        fields={"adjust": code()},
        refused=(303, 400),
        label="adjust",
    ),
    Case(
        "directory:beds-update",
        signed_in("caseworker_x", lambda w: f"/beds/{w.capacity.code}/", {"status": "waitlist"}),
        fields={"status": code()},
        refused=(303, 400),
        label="status",
    ),
    Case(
        "directory:beds-update",
        signed_in("caseworker_x", lambda w: f"/beds/{w.capacity.code}/", {"confirm": "1"}),
        # The "still right" button: that it was pressed is what counts, whatever its value.
        fields={"confirm": code(accepts=frozenset(TEXT) | {"repeated"})},
        refused=(303, 400),
        label="confirm",
    ),
    # --- accounts ---
    Case(
        "accounts:sign-in",
        _sign_in,
        fields={"email": code(), "password": code(), "next": NAV},
        noise=AXES | AUDIT,
    ),
    Case(
        "accounts:verify",
        _verify,
        fields={"code": code()},
        noise=frozenset({"otp_totp_totpdevice"}) | AUDIT,
    ),
    Case(
        "accounts:mfa-setup",
        _mfa_setup,
        fields={"code": code()},
        ok=200,
        noise=frozenset({"otp_totp_totpdevice"}) | AUDIT,
    ),
    Case("accounts:sign-out", _sign_out),
    Case(
        "accounts:password-reset",
        lambda w: (Client(), "/accounts/password-reset/", {"email": "someone@example.org"}),
        fields={"email": code()},
        ok=200,
    ),
    Case(
        "accounts:password-reset-confirm",
        lambda w: (
            Client(),
            w.reset_path(),
            {"password1": "a new long passphrase", "password2": "a new long passphrase"},
        ),
        fields={"password1": text(refuses=SHORT, also=("password2",)), "password2": code()},
    ),
    Case(
        "accounts:invitation",
        lambda w: (
            Client(),
            f"/accounts/invitations/{w.invitation_secret()}/",
            {
                "name": "Dana",
                "password1": "a new long passphrase",
                "password2": "a new long passphrase",
            },
        ),
        fields={
            "name": text(),
            "password1": text(refuses=SHORT, also=("password2",)),
            "password2": code(),
        },
    ),
    Case(
        "accounts:member-invite",
        signed_in(
            "admin_x",
            lambda w: f"/accounts/orgs/{w.cast.shelter_x.code}/members/invite/",
            {"email": "new.person@example.org", "role": "caseworker"},
        ),
        fields={"email": code(), "role": code()},
    ),
    Case(
        "accounts:member-role",
        signed_in(
            "admin_x",
            lambda w: (
                f"/accounts/orgs/{w.cast.shelter_x.code}/members/{w.cast.caseworker_x.code}/role/"
            ),
            {"role": "caseworker"},
        ),
        fields={"role": code()},
    ),
    Case(
        "accounts:member-deactivate",
        lambda w: (
            w.client("admin_x"),
            f"/accounts/orgs/{w.cast.shelter_x.code}/members/{w.fresh_member().code}/deactivate/",
            {},
        ),
    ),
    Case(
        "accounts:token-issue",
        signed_in(
            "admin_x",
            lambda w: f"/accounts/orgs/{w.cast.shelter_x.code}/tokens/issue/",
            {"name": "bed board", "scopes": ["capacity:write"]},
        ),
        fields={"name": text(), "scopes": choices()},
        ok=200,
    ),
    Case("accounts:token-revoke", lambda w: (w.client("admin_x"), _token(w), {})),
    # --- consent: the survivor's pages ---
    Case("consent:start", _start, fields={"code": code()}),
    Case(
        "consent:capture",
        _capture,
        ok=200,
        fields={
            "items": choices(),
            "days": NUMBER,
            "acknowledgements": choices(),
            "interpreter_used": FLAG,
            "show_recipient": FLAG,
            "pin": code(also=("pin2",)),
            "pin2": code(),
            "signature": text(),
        },
    ),
    Case(
        "consent:portal",
        lambda w: (Client(), "/my/", {"code": w.receipt_code, "pin": "482915"}),
        fields={"code": code(), "pin": code()},
        noise=AUDIT | frozenset({"consent_receipt"}),
    ),
    Case(
        "consent:portal-shorten",
        _portal("/my/consents/{code}/shorten/", {"days": "1"}),
        fields={"days": NUMBER},
        refused=(302, 400),
    ),
    Case("consent:portal-revoke", _portal("/my/consents/{code}/revoke/")),
    Case("consent:portal-revoke-all", _portal("/my/revoke-all/")),
    Case("consent:portal-sign-out", _portal("/my/sign-out/")),
    Case(
        "consent:language",
        lambda w: (Client(), "/my/language/", {"language": "es", "next": "/c/"}),
        fields={"language": NAV, "next": NAV},
    ),
    # --- consent: staff pages ---
    Case(
        "consent:request-new",
        signed_in(
            "officer_a",
            lambda w: "/consent/new/",
            lambda w: {"recipient": str(w.cast.shelter_x.code), "services": ["emergency_shelter"]},
        ),
        fields={"recipient": code(), "services": choices()},
    ),
    Case(
        "consent:request-new",
        signed_in("officer_a", lambda w: "/consent/new/", {"recipient": "", "services": []}),
        method="get",
        ok=200,
        fields={"recipient": NAV, "services": NAV},
        label="prefilled",
    ),
    Case(
        "consent:revoke-by-phone",
        lambda w: (
            w.client("officer_a"),
            f"/consent/{w.fresh_grant().consent.code}/revoke/",
            {"confirm": "yes"},
        ),
        fields={"confirm": code()},
        refused=(302, 400),
    ),
    # --- referrals ---
    Case(
        "referrals:new",
        _referral_form,
        fields={
            "location": OPTIONAL,
            "hold": OPTIONAL,
            "urgency": code(),
            "services": choices(),
            "adults": NUMBER,
            "children_0_5": NUMBER,
            "children_6_12": NUMBER,
            "children_13_17": NUMBER,
            "needs": choices(required=False),
            "language": OPTIONAL,
            "safety": choices(required=False),
            "callback": text(),
            "item_name": text(required=False),
            "item_contact": text(required=False),
            "item_age": text(required=False),
        },
    ),
    Case("referrals:accept", _referral_action("caseworker_x", "accept")),
    Case(
        "referrals:decline",
        lambda w: (
            w.client("caseworker_x"),
            f"/referrals/{w.fresh_referral().code}/decline/",
            {"reason": "at_capacity"},
        ),
        fields={"reason": code()},
        refused=(302, 400),
    ),
    Case("referrals:withdraw", _referral_action("officer_a", "withdraw")),
    Case("referrals:open", _referral_action("caseworker_x", "open", accepted=True), ok=200),
    Case("referrals:complete", _referral_action("caseworker_x", "complete", accepted=True)),
    Case(
        "referrals:keys",
        signed_in(
            "admin_x",
            lambda w: f"/organizations/{w.cast.shelter_x.code}/keys/",
            {"action": "contacts", "intake_email": "intake@example.org", "on_call_email": ""},
        ),
        fields={
            "action": code(),
            "intake_email": code(required=False),
            "on_call_email": code(required=False),
        },
        refused=(400, 302),
        label="contacts",
    ),
    Case(
        "referrals:keys",
        signed_in(
            "admin_x", lambda w: f"/organizations/{w.cast.shelter_x.code}/keys/", {"confirm": "yes"}
        ),
        fields={"confirm": code()},
        refused=(302, 400),
        label="new key",
    ),
]

# Pages that show and take nothing but their address: they answer GET (and HEAD) only.
PAGES: dict[str, Callable[[World], tuple[str, str]]] = {
    "directory:location": lambda w: ("anonymous", f"/locations/{w.capacity.location.code}/"),
    "directory:holds": lambda w: ("officer_a", "/holds/"),
    "directory:hold": lambda w: ("officer_a", f"/holds/{w.hold.code}/"),
    "directory:beds": lambda w: ("caseworker_x", "/beds/"),
    "accounts:home": lambda w: ("officer_a", "/accounts/"),
    "accounts:members": lambda w: ("admin_x", f"/accounts/orgs/{w.cast.shelter_x.code}/members/"),
    "accounts:tokens": lambda w: ("admin_x", f"/accounts/orgs/{w.cast.shelter_x.code}/tokens/"),
    "consent:link": lambda w: ("anonymous", "/c/ABCD2345/"),
    "consent:portal-consents": lambda w: ("anonymous", "/my/consents/"),
    "consent:list": lambda w: ("officer_a", "/consent/"),
    "consent:request": lambda w: ("officer_a", f"/consent/requests/{w.consent.request.code}/"),
    "consent:detail": lambda w: ("officer_a", f"/consent/{w.consent.code}/"),
    "referrals:inbox": lambda w: ("caseworker_x", "/referrals/"),
    "referrals:sent": lambda w: ("officer_a", "/referrals/sent/"),
    "referrals:detail": lambda w: ("officer_a", f"/referrals/{w.referral.code}/"),
    "healthz": lambda w: ("anonymous", "/healthz"),
}
# Junk an action that takes no fields must ignore: it does what it does without it.
JUNK: dict[str, Pairs] = {
    "a NUL byte in a name": [("no\x00te", "x")],
    "a NUL byte in a value": [("note", NUL)],
    "10,000 characters": [("note", LONG)],
    "markup in a name": [(MARKUP, MARKUP)],
    "a repeated field": [("note", "1"), ("note", "2")],
}


def test_every_page_of_the_urlconfs_is_in_the_table():
    """A new page with a form (or without one) fails here until it is given a case. (The
    admin's pages are tried model by model, from its registry, at the end of this file.)"""
    served = {
        name
        for name, pattern, _view in routes()
        if not is_api(name, pattern) and not is_admin(name)
    }
    tabled = {case.route for case in CASES} | set(PAGES) | set(UPLOAD_ROUTES)
    assert served - tabled == set(), "add these to tests/hostile/test_forms.py"
    assert tabled - served == set(), "these routes are gone"


def _pairs(data: dict[str, Any]) -> Pairs:
    pairs: Pairs = []
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        pairs += [(name, str(v)) for v in values]
    return pairs


def _mutate(data: dict[str, Any], name: str, spec: Field, payload: str) -> Pairs:
    names = (name, *spec.also)
    base = {k: v for k, v in data.items() if k not in names}
    pairs = _pairs(base)
    if payload == "missing":
        return pairs
    valid = data.get(name, "")
    if payload == "repeated":
        if spec.kind == "choices":
            return pairs + [(n, str(v)) for n in names for v in [*valid, *valid]]
        # Junk first, the valid value last: Django reads the last, so only a check that the
        # field came twice can refuse this.
        other = "x" if valid != "x" else "y"
        return pairs + [(n, v) for n in names for v in (other, str(valid))]
    return pairs + [(n, VALUES[payload]) for n in names]


def _send(client: Client, method: str, url: str, pairs: Pairs) -> Any:
    body = urlencode(pairs)
    if method == "get":
        return client.get(f"{url}?{body}" if body else url)
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def _judge(case: Case, what: str, accepted: bool | None, outcome: Outcome) -> str | None:
    """None if the answer is right, else what is wrong with it."""
    if outcome.crash or outcome.status >= 500:
        return f"{what}: server error {outcome.crash}"
    if accepted is None and outcome.status == case.ok and not outcome.error_shown:
        return None
    if accepted:
        if outcome.status != case.ok or (case.ok in (302, 303) and outcome.error_shown):
            return f"{what}: refused ({outcome.status}) where it should be taken: " + tidy(
                outcome.body
            )
        return None
    if outcome.status not in case.refused:
        return f"{what}: answered {outcome.status} where a refusal {case.refused} was expected"
    if outcome.status in (302, 303, 400) and not outcome.error_shown:
        return f"{what}: refused without saying why: {tidy(outcome.body)}"
    if outcome.changed - case.noise:
        return f"{what}: refused, yet wrote to {sorted(outcome.changed - case.noise)}"
    return None


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_field_refuses_what_it_cannot_take_and_keeps_what_it_can(case, world):
    # The valid form first: the cases are only worth something if it is accepted.
    client, url, data = case.prepare(world)
    baseline = attempt(lambda: _send(client, case.method, url, _pairs(data)), watch=False)
    if baseline.status != case.ok or baseline.crash:
        pytest.fail(
            f"the valid form answers {baseline.status}: {baseline.crash or tidy(baseline.body)}"
        )
    # What a case prepares is made again only when a request used it up (a consent revoked,
    # an invitation taken) — or every time, for a case that resets a lockout counter.
    renew = getattr(case.prepare, "renew", "after use")
    problems, before, state = [], None, None
    for name, spec in case.fields.items() or [("", Field("nav"))]:
        for payload in spec.payloads() if name else list(JUNK):
            if state is None or renew == "always":
                state, before = case.prepare(world), None
            client, url, data = state
            if name:
                pairs, accepted = _mutate(data, name, spec, payload), spec.takes(payload)
            else:
                pairs, accepted = _pairs(data) + JUNK[payload], True
            outcome = attempt(
                lambda: _send(client, case.method, url, pairs),  # noqa: B023
                watch=accepted is not True,
                before=before,
            )
            before = outcome.after
            if outcome.status == case.ok and not outcome.error_shown and renew != "never":
                state = None
            problem = _judge(case, f"{name or 'junk'} = {payload}", accepted, outcome)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_pages_without_a_form_take_nothing_else(world):
    problems = []
    for route, make in sorted(PAGES.items()):
        who, url = make(world)
        client = world.client(who)
        if client.post(url, {"note": MARKUP}).status_code != 405:
            problems.append(f"{route}: a POST is answered")
        for payload, value in TEXT.items():
            query = {"page": value, "next": value, value[:50]: value}
            outcome = attempt(lambda: client.get(url, query))  # noqa: B023
            if outcome.status >= 500 or outcome.changed:
                problems.append(f"{route} {payload}: {outcome.status} {outcome.crash}")
    assert not problems, "\n".join(problems)


# --- Nothing a survivor typed goes into an address or a log ---------------------------------

# The consent canary test's survivor (tests/consent/test_canary.py), typed wrongly this time:
# in the wrong box, with a NUL, too long, twice, as markup — at every level of logging.
CANARY = {
    "as typed": CANARY_NAME,
    "with a NUL byte": f"{CANARY_NAME}\x00",
    "10,000 characters": (f"{CANARY_NAME} {CANARY_PHONE} " * 300)[:10_000],
    "as markup": f"<b>{CANARY_NAME}</b> {CANARY_PHONE}",
}


def _canary_posts(recorder: Recorder, url: str, valid: dict[str, Any], *, replace: bool) -> None:
    """Each field of a form given each canary in turn, once more given twice."""
    headers = {"HTTP_X_HAVEN_REPLACE": "1"} if replace else {}
    for name in valid:
        for value in CANARY.values():
            recorder.post(url, {**valid, name: value}, **headers)
        recorder.post(url, {**valid, name: [CANARY_NAME, CANARY_PHONE]}, **headers)


def test_what_a_survivor_types_wrongly_reaches_no_address_and_no_log(world, log_records):  # noqa: F811
    survivor = Recorder(world.capture_client())
    capture = {
        "items": "name", "days": "7", "acknowledgements": list(Acknowledgement.values),
        "pin": "48", "pin2": "48", "signature": "A. B.", "interpreter_used": "on",
    }  # fmt: skip
    _canary_posts(survivor, "/c/sign/", capture, replace=False)
    _canary_posts(survivor, "/c/sign/", capture, replace=True)
    stranger = Recorder(Client())
    _canary_posts(stranger, "/c/", {"code": "ABCD2345"}, replace=True)
    _canary_posts(stranger, "/my/", {"code": "ABCD-EFGH-JKMN-PQRS", "pin": "000000"}, replace=False)
    _canary_posts(stranger, "/my/language/", {"language": "es", "next": "/c/"}, replace=False)
    stranger.get("/c/", {"code": CANARY_NAME})
    portal = Recorder(world.portal_client())
    _canary_posts(portal, f"/my/consents/{world.consent.code}/shorten/", {"days": "1"},
                  replace=True)  # fmt: skip
    officer = Recorder(world.client("officer_a"))
    _, url, referral = _referral_form(world)
    _canary_posts(officer, url, {k: v for k, v in referral.items() if k.startswith("item_")}
                  | {"adults": "0"}, replace=False)  # fmt: skip
    # Over the API too, with an Idempotency-Key (a refusal quoting the canary is not kept).
    body = {"consent": str(world.consent.code), "recipient": str(world.cast.shelter_x.code),
            "urgency": CANARY_NAME, "services": [CANARY_PHONE], "household": {"adults": 1},
            "callback": "Desk, +1 214 555 0100", "items": {"name": CANARY_NAME}}  # fmt: skip
    for number, value in enumerate(CANARY.values()):
        officer.post(
            "/api/v1/referrals", {**body, "items": {"contact": value}},
            content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"canary-{number}",
        )  # fmt: skip

    recorders = (survivor, stranger, portal, officer)
    addresses = [address for recorder in recorders for address in recorder.addresses]
    assert any("/referrals/" in address for address in addresses)  # the recorder recorded
    assert canary_leaks(" ".join(addresses)) == []
    logged = [f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__!r}" for r in log_records]
    assert any(r.name == "django.request" for r in log_records)  # the 400s were logged
    assert canary_leaks("\n".join(logged)) == []
    assert canary_leaks(database_text()) == []
    # The net catches what it is meant to: a record at DEBUG, from any logger.
    logging.getLogger("haven.anything").debug("typed: %s", CANARY_PHONE)
    assert CANARY_PHONE in canary_leaks(log_records[-1].getMessage())


# --- The steward's admin ----------------------------------------------------------------------

ADMIN_NOISE = frozenset({"django_admin_log"})


def _label(model: Any) -> str:
    return str(model._meta.label)


@pytest.mark.parametrize("model", sorted(site._registry, key=_label), ids=_label)
def test_every_admin_page_takes_hostile_input_without_breaking(model, world):
    """Search boxes, filters and add forms of every model the admin shows (the registry is
    read, so a newly registered model is covered the day it is)."""
    admin = site._registry[model]
    steward = world.client("steward")
    opts = model._meta
    changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
    problems = []
    for value in TEXT.values():
        for query in ({"q": value}, {"o": value, "p": value, f"{opts.pk.name}__exact": value}):
            outcome = attempt(lambda: steward.get(changelist, query), watch=False)  # noqa: B023
            if outcome.crash or outcome.status >= 500:
                problems.append(f"list {query}: {outcome.crash}")
    request = steward.get(f"{changelist}add/").wsgi_request
    if admin.has_add_permission(request):
        form = admin.get_form(request)()
        for payload, value in TEXT.items():
            data = dict.fromkeys(form.fields, value)
            outcome = attempt(lambda: steward.post(f"{changelist}add/", data))  # noqa: B023
            if outcome.crash or outcome.status >= 500:
                problems.append(f"add {payload}: {outcome.crash}")
            elif outcome.status != 200 and payload in ("10,000 characters", "a NUL byte"):
                problems.append(f"add {payload}: taken ({outcome.status})")
            elif outcome.status == 200 and outcome.changed - ADMIN_NOISE:
                problems.append(f"add {payload}: refused, yet wrote {sorted(outcome.changed)}")
    assert not problems, "\n".join(problems)
