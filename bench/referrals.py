"""Referral benchmark: sends per second in one process, and how long a packet takes to open.

Setup (untimed): a provider with an encryption key and an intake address, an agency officer,
a caseworker at the provider, and one valid consent per send, granted through the consent
service. Then ``referral_send`` is called for each consent, one after another — consent
check, sealing the items, referral and packet rows, ledger, audit chain, outbox row, commit —
and the whole run is timed. Every referral is then accepted (untimed) and ``packet_open`` —
lock, consent check, unwrap the private key, decrypt, ledger, audit — is timed call by call.
A few untimed sends and opens come first (first-call costs are not what is measured).
Prints one JSON object. Run through ``python -m bench`` (SQLite and PostgreSQL).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from datetime import timedelta
from typing import Any

from bench.search import percentile

ITEMS = {"name": "Marisol Quintanilla-Obregón", "contact": "+1 214 555 0199, after 6 pm"}


def setup(count: int) -> tuple[Any, Any, Any, list[Any]]:
    """The organisations, the two people, and ``count`` valid consents."""
    from django.test import override_settings
    from django.utils import timezone

    from consent.models import Acknowledgement, Consent
    from consent.services import consent_grant, consent_request_start
    from directory.models import Membership, Organization
    from referrals.services import org_key_create
    from tests.factories import AgencyFactory, MembershipFactory, OrganizationFactory

    stamp = time.time_ns()
    agency = AgencyFactory.create(name=f"Bench agency {stamp}")
    shelter = OrganizationFactory.create(
        name=f"Bench shelter {stamp}", intake_email="intake@bench-shelter.example.org"
    )
    org_key_create(organization=shelter)

    def member(organization: Organization, role: str, name: str) -> Membership:
        email = f"{name}-{stamp}@example.org"
        return MembershipFactory.create(organization=organization, role=role, user__email=email)

    officer = member(agency, Membership.Role.OFFICER, "bench-officer")
    caseworker = member(shelter, Membership.Role.CASEWORKER, "bench-caseworker")
    consents = []
    # Granting hashes the survivor's PIN, with Argon2 about 0.2 s each: hundreds of them
    # would make this setup the longest part of the run. Sends and opens never read the PIN's
    # hash, so the setup hashes it the quick way.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for _ in range(count):
            request, _secret = consent_request_start(
                requested_by=officer, recipient=shelter, services=["emergency_shelter"]
            )
            granted = consent_grant(
                request=request,
                items=["name", "contact", "age"],
                expires_at=timezone.now() + timedelta(days=7),
                acknowledgements=list(Acknowledgement.values),
                pin="482915",
                signature="A. B.",
                language="en",
                method=Consent.Method.SURVIVOR_DEVICE,
            )
            consents.append(granted.consent)
    return officer, shelter, caseworker, consents


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=400)
    parser.add_argument("--warm-up", type=int, default=20)
    args = parser.parse_args()

    # Delivery is not what is measured. A send writes its outbox row in its own transaction
    # and enqueues delivery on commit; the development task backend (ImmediateBackend) would
    # then send the e-mail inside the timed call. The dummy backend only records the enqueue,
    # and the e-mail backend is locmem in case anything sends all the same.
    os.environ["HAVEN_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django_tasks import task_backends
    from django_tasks.backends.dummy import DummyBackend

    from referrals.models import Notification, Referral, Urgency
    from referrals.services import Tier1, packet_open, referral_accept, referral_send

    backend = task_backends["default"]
    assert isinstance(backend, DummyBackend), type(backend)

    started = time.perf_counter()
    officer, shelter, caseworker, consents = setup(args.warm_up + args.sends)
    setup_seconds = time.perf_counter() - started
    tier1 = Tier1(
        urgency=Urgency.URGENT,
        services=["emergency_shelter"],
        household={"adults": 1, "children_0_5": 1},
        callback="Desk sergeant, +1 214 555 0100",
        needs=["interpreter"],
        language="es",
        safety=["searched_for"],
    )

    def send(consent: Any) -> Referral:
        return referral_send(
            agency=officer.organization, sent_by=officer, recipient=shelter,
            consent=consent, tier1=tier1, items=ITEMS,
        )  # fmt: skip

    warm_up, measured = consents[: args.warm_up], consents[args.warm_up :]
    warm_referrals = [send(consent) for consent in warm_up]
    enqueued = len(backend.results)
    gc.collect()
    send_timings = []
    referrals = []
    started = time.perf_counter()
    for consent in measured:
        began = time.perf_counter()
        referrals.append(send(consent))
        send_timings.append((time.perf_counter() - began) * 1000)
    send_seconds = time.perf_counter() - started

    outbox = Notification.objects.filter(referral__in=referrals).count()
    enqueued = len(backend.results) - enqueued
    if not outbox == enqueued == len(referrals):
        raise SystemExit(f"{len(referrals)} sends wrote {outbox} outbox rows, enqueued {enqueued}")

    for referral in warm_referrals + referrals:
        referral_accept(referral=referral, by=caseworker)
    for referral in warm_referrals:
        packet_open(referral=referral, by=caseworker)
    gc.collect()
    open_timings = []
    for referral in referrals:
        began = time.perf_counter()
        items = packet_open(referral=referral, by=caseworker)
        open_timings.append((time.perf_counter() - began) * 1000)
        if items != ITEMS:
            raise SystemExit(f"packet of {referral.code} opened to other items")
    if getattr(mail, "outbox", []):
        raise SystemExit("an e-mail was sent during the benchmark")

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "suite": settings.HAVEN_PACKET_SUITE,
                "setup_seconds": round(setup_seconds, 1),
                "sends": len(send_timings),
                "send_seconds": round(send_seconds, 2),
                "sends_per_second": round(len(send_timings) / send_seconds, 1),
                "send_p50_ms": round(percentile(send_timings, 0.50), 2),
                "send_p95_ms": round(percentile(send_timings, 0.95), 2),
                "opens": len(open_timings),
                "open_p50_ms": round(percentile(open_timings, 0.50), 2),
                "open_p95_ms": round(percentile(open_timings, 0.95), 2),
                "open_p99_ms": round(percentile(open_timings, 0.99), 2),
                "open_max_ms": round(max(open_timings), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
