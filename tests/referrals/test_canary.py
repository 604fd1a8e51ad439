"""The whole journey — search, hold, consent, send, accept, open, complete — with a survivor's
name, phone number and date of birth as canaries: they exist in plaintext only in the answer
that shows the opened packet to the shelter's caseworker (DESIGN.md §2, §7)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from consent.models import Acknowledgement, ConsentRequest
from referrals.models import Packet, Referral
from tests.consent.test_canary import Recorder, database_text, log_records  # noqa: F401
from tests.factories import shelter_with_beds

pytestmark = [pytest.mark.django_db(transaction=True)]

NAME = "Ottoline Wrenshaw-Fairweather"
PHONE = "+1 469 555 0143"
BIRTH = "1987-11-02"
CANARIES = [NAME, "Wrenshaw", PHONE, "4695550143", "555 0143", BIRTH]


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [canary for canary in CANARIES if canary.casefold() in folded]


def stored_bytes() -> bytes:
    """The database as it lies on disk: SQLite's whole file image (free pages included), or
    PostgreSQL's pg_dump of the test database."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        return bytes(connection.connection.serialize())
    settings = connection.settings_dict
    dump = subprocess.run(
        [shutil.which("pg_dump") or "/usr/bin/pg_dump", "--data-only",
         "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
         "-U", settings["USER"], settings["NAME"]],
        capture_output=True, check=True,
    )  # fmt: skip
    return dump.stdout


def byte_leaks(data: bytes) -> list[str]:
    folded = data.lower()
    found = []
    for canary in CANARIES:
        raw = canary.encode()
        if raw.lower() in folded or raw.hex().encode() in folded:
            found.append(canary)
    return found


def test_the_survivors_details_exist_only_inside_the_sealed_packet(keyed, signed_in, log_records):  # noqa: F811
    capacity = shelter_with_beds(keyed.shelter_x, total=2, population="women")
    officer = Recorder(signed_in(keyed.officer_a.user))
    officer.get(reverse("directory:search"), {"near": "75201"})
    held = officer.post(
        "/api/v1/holds", {"location": str(capacity.location.code), "population": "women"},
        content_type="application/json",
    )  # fmt: skip
    assert held.status_code == 201, held.content
    officer.post(
        reverse("consent:request-new"),
        {"recipient": keyed.shelter_x.code, "services": ["emergency_shelter"]},
    )
    consent_request = ConsentRequest.objects.get()
    page = officer.get(reverse("consent:request", kwargs={"code": consent_request.code}))
    secret = re.search(r"/c/([0-9A-Z]{8})/", page.content.decode()).group(1)

    survivor = Recorder(Client())
    survivor.get(reverse("consent:link", kwargs={"secret": secret}))
    signed = survivor.post(reverse("consent:capture"), {
        "items": ["name", "contact", "age"], "days": "7",
        "acknowledgements": list(Acknowledgement.values),
        "pin": "4695550143", "pin2": "4695550143", "signature": NAME,
    })  # fmt: skip
    assert signed.status_code == 200
    consent = consent_request.consent or ConsentRequest.objects.get().consent

    send_url = reverse("referrals:new", kwargs={"consent_code": consent.code})
    form = {
        "urgency": "emergency", "services": ["emergency_shelter"], "adults": "1",
        "children_0_5": "0", "children_6_12": "0", "children_13_17": "0",
        "callback": "Dispatch +1 214 555 0100", "hold": held.json()["id"],
        "item_name": NAME, "item_contact": PHONE, "item_age": "31",
    }  # fmt: skip
    # A mistake first (no service chosen), then sending; the birth date in the notes-free age.
    assert officer.post(send_url, {**form, "services": []}).status_code == 400
    sent = officer.post(send_url, {**form, "item_age": BIRTH})
    assert sent.status_code == 302
    referral = Referral.objects.get()
    officer.get(reverse("referrals:sent"))
    officer.get(reverse("referrals:detail", kwargs={"code": referral.code}))

    caseworker = Recorder(signed_in(keyed.caseworker_x.user))
    caseworker.get(reverse("referrals:inbox"))
    caseworker.get(reverse("referrals:detail", kwargs={"code": referral.code}))
    caseworker.post(reverse("referrals:accept", kwargs={"code": referral.code}))
    opened = caseworker.post(reverse("referrals:open", kwargs={"code": referral.code}))
    shown = opened.content.decode()  # the one place they may be read
    assert NAME in shown
    assert PHONE in shown
    assert BIRTH in shown

    # With the packet stored: nothing in any column or on disk but ciphertext.
    assert Packet.objects.count() == 1
    assert leaks(database_text()) == []
    assert byte_leaks(stored_bytes()) == []

    caseworker.post(reverse("referrals:complete", kwargs={"code": referral.code}))
    officer_pages = [
        officer.get(reverse("referrals:detail", kwargs={"code": referral.code})),
        officer.get(reverse("referrals:sent")),
        officer.get(f"/api/v1/referrals/{referral.code}"),
    ]
    assert all(leaks(page.content.decode()) == [] for page in officer_pages)
    assert not Packet.objects.exists()
    assert leaks(database_text()) == []
    assert byte_leaks(stored_bytes()) == []
    addresses = officer.addresses + survivor.addresses + caseworker.addresses
    assert leaks(" ".join(addresses)) == []
    logged = [f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__!r}" for r in log_records]
    assert any(r.name == "django.request" for r in log_records)  # the 400 was logged
    assert leaks("\n".join(logged)) == []
    assert any("referral is waiting" in m.body for m in mail.outbox)  # the shelter was told
    mails = [f"{m.subject} {m.body} {getattr(m, 'alternatives', [])!r}" for m in mail.outbox]
    assert leaks("\n".join(mails)) == []
    # The scans work: the same canary, put in a column, is found in both.
    Referral.objects.filter(pk=referral.pk).update(callback=NAME)
    assert NAME in leaks(database_text())
    assert NAME in byte_leaks(stored_bytes())
