"""A survivor's name and phone number, typed during capture, end up in no address, no log
record, no e-mail and no database column (DESIGN.md §2)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from consent.models import Acknowledgement, Consent, ConsentRequest

pytestmark = pytest.mark.django_db

NAME = "Zephyrina Quillfeather"
PHONE = "555-867-5309"
CANARIES = [NAME, "Quillfeather", PHONE, "5558675309", "867-5309"]


@pytest.fixture
def log_records(monkeypatch: pytest.MonkeyPatch) -> list[logging.LogRecord]:
    """Every record any logger makes, at any level (as if run with LOG_LEVEL=DEBUG and every
    logger turned up), before any handler sees it."""
    records: list[logging.LogRecord] = []
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    for logger in [logging.root, *loggers]:
        monkeypatch.setattr(logger, "level", logging.DEBUG)
        logger.manager._clear_cache()  # type: ignore[attr-defined]
    monkeypatch.setattr(logging.Logger, "handle", lambda _logger, record: records.append(record))
    return records


class Recorder:
    """A test client that remembers every address it asked for or was sent to."""

    def __init__(self, client: Client) -> None:
        self.client, self.addresses = client, list[str]()

    def __getattr__(self, method: str) -> Any:
        def call(path: str, *args: Any, **kwargs: Any) -> Any:
            response = getattr(self.client, method)(path, *args, **kwargs)
            self.addresses.append(path)
            if response.has_header("Location"):
                self.addresses.append(response["Location"])
            if response.get("Content-Type", "").startswith("text/html"):
                html = response.content.decode()
                self.addresses += re.findall(r'(?:href|action|src)="([^"]*)"', html)
            return response

        return call


def database_text() -> str:
    """Every value of every row of every table, sessions decoded, as one text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(" ".join(repr(value) for value in row))
            if table == "django_session":
                cursor.execute("SELECT session_data FROM django_session")
                chunks += [repr(SessionStore().decode(data)) for (data,) in cursor.fetchall()]
    return "\n".join(chunks)


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [canary for canary in CANARIES if canary.casefold() in folded]


def test_what_a_survivor_types_goes_nowhere_but_the_sealed_packet(cast, signed_in, log_records):
    officer = Recorder(signed_in(cast.officer_a.user))
    officer.post(
        reverse("consent:request-new"),
        {"recipient": cast.shelter_x.code, "services": ["emergency_shelter"]},
    )
    consent_request = ConsentRequest.objects.get()
    page = officer.get(reverse("consent:request", kwargs={"code": consent_request.code}))
    secret = re.search(r"/c/([0-9A-Z]{8})/", page.content.decode()).group(1)

    survivor = Recorder(Client())
    # Typed in the wrong box first: the phone number as a signing code and as a receipt code.
    assert survivor.post(reverse("consent:start"), {"code": PHONE}).status_code == 400
    assert survivor.post(reverse("consent:portal"), {"code": PHONE, "pin": "5558675309"})
    survivor.get(reverse("consent:link", kwargs={"secret": secret}))
    agree = {
        "items": ["name", "contact"], "days": "7", "acknowledgements": list(Acknowledgement.values),
        "pin": "5558675309", "pin2": "5558675309", "signature": f"{NAME} {PHONE}",
    }  # fmt: skip
    # A mistake first (nothing ticked), then agreeing.
    assert survivor.post(reverse("consent:capture"), {**agree, "items": []}).status_code == 400
    receipt = survivor.post(reverse("consent:capture"), agree)
    assert receipt.status_code == 200
    code = re.search(r'class="receipt-code">([0-9A-Z-]{19})<', receipt.content.decode()).group(1)

    # The survivor comes back: portal, shorten, revoke; the officer and the shelter look.
    survivor.post(reverse("consent:portal"), {"code": code, "pin": "5558675309"})
    survivor.get(reverse("consent:portal-consents"))
    consent = Consent.objects.get()
    survivor.post(reverse("consent:portal-shorten", kwargs={"code": consent.code}), {"days": "1"})
    survivor.post(reverse("consent:portal-revoke", kwargs={"code": consent.code}))
    officer.get(reverse("consent:detail", kwargs={"code": consent.code}))
    caseworker = Recorder(signed_in(cast.caseworker_x.user))
    caseworker.get(reverse("consent:list"))
    caseworker.get(reverse("consent:detail", kwargs={"code": consent.code}))

    assert consent.status == "active" or Consent.objects.get().status == "revoked"
    assert leaks(" ".join(officer.addresses + survivor.addresses + caseworker.addresses)) == []
    logged = [f"{r.name} {r.getMessage()} {r.args!r} {r.__dict__!r}" for r in log_records]
    assert any(r.name == "django.request" for r in log_records)  # the 400s were logged
    assert leaks("\n".join(logged)) == []
    assert leaks("\n".join(f"{m.subject} {m.body} {m.alternatives!r}" for m in mail.outbox)) == []
    assert leaks(database_text()) == []
    # The scan itself works: the same canary, put in a column, is found.
    ConsentRequest.objects.filter(pk=consent_request.pk).update(services=[NAME])
    assert leaks(database_text()) == [NAME, "Quillfeather"]
