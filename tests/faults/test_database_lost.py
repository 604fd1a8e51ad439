"""The database connection dies in the middle of a request — a restart, a fail-over, an
operator's ``pg_terminate_backend``: the person is told plainly that nothing was saved (503,
JSON under /api/), nothing of the request is left half-written, and the next request works.

Everything here is real: PostgreSQL, Django's own WSGI handler serving from one thread with
its persistent connection (as a gunicorn worker does), and a real kill of that connection's
backend while its transaction waits on a lock the test holds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
import pytest
import requests
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections

from accounts.services import token_issue
from audit.models import AuditEvent
from consent.models import Disclosure
from directory.models import Capacity, Hold
from idempotency.models import IdempotencyKey
from referrals.models import Notification, Packet, Referral
from tests.consent.conftest import grant
from tests.factories import shelter_with_beds
from tests.referrals.conftest import NAME, PHONE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """Haven served by Django's WSGI handler from one thread, keeping its database
    connection from request to request (DATABASE_CONN_MAX_AGE), like one gunicorn worker."""
    httpd: WSGIServer = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)

    def serve() -> None:
        try:
            httpd.serve_forever()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _dsn() -> str:
    params = connection.get_connection_params()
    keys = ("host", "port", "user", "password", "dbname")
    return " ".join(f"{k}={params[k]}" for k in keys if params.get(k))


@contextmanager
def killed_while_writing(table: str) -> Iterator[list[int]]:
    """Hold a lock that stops writes to ``table``; the first backend that waits on it is
    terminated, as an operator or a fail-over would. Yields the pids killed."""
    killed: list[int] = []
    stop = threading.Event()
    blocker = psycopg.connect(_dsn())
    blocker.execute(f'LOCK TABLE "{table}" IN SHARE MODE')

    def watch() -> None:
        with psycopg.connect(_dsn(), autocommit=True) as watcher:
            deadline = time.monotonic() + 30
            while not stop.is_set() and time.monotonic() < deadline:
                row = watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ).fetchone()
                if row:
                    watcher.execute("SELECT pg_terminate_backend(%s)", row)
                    killed.append(row[0])
                    return
                time.sleep(0.01)

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        yield killed
    finally:
        stop.set()
        thread.join()
        blocker.rollback()
        blocker.close()


def _kill_other_connections() -> int:
    """Terminate every connection to the database but the test's own (and this one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    with psycopg.connect(_dsn(), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s) "
            "AND backend_type = 'client backend'",
            (own,),
        ).fetchall()
    return len(rows)


@pytest.fixture
def beds(cast):
    return shelter_with_beds(cast.shelter_x, total=2, occupied=0)


def _bearer(organization, *scopes: str) -> dict[str, str]:
    issued = token_issue(organization=organization, name="bed board", scopes=list(scopes),
                         issuer=None)  # fmt: skip
    return {"Authorization": f"Bearer {issued.secret}"}


def _hold_body(beds) -> dict[str, str]:
    return {"location": str(beds.location.code), "population": "women"}


def test_a_hold_cut_off_by_a_lost_connection_is_not_kept_and_the_next_one_works(server, cast, beds):
    headers = _bearer(cast.agency_a, "holds:write")
    # The worker's connection is open before the fault, as it is in production.
    assert requests.get(f"{server}/api/v1/me", headers=headers, timeout=10).status_code == 200

    with killed_while_writing(Hold._meta.db_table) as killed:
        response = requests.post(f"{server}/api/v1/holds", json=_hold_body(beds),
                                 headers=headers, timeout=30)  # fmt: skip
    assert killed, "the request never reached the hold insert"
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "nothing you sent was saved" in response.json()["detail"]
    assert response.headers["Retry-After"] == "5"
    # The capacity row was already changed inside the dead transaction: none of it stayed.
    capacity = Capacity.objects.get(pk=beds.pk)
    assert (capacity.held, capacity.available, Hold.objects.count()) == (0, 2, 0)

    again = requests.post(f"{server}/api/v1/holds", json=_hold_body(beds), headers=headers,
                          timeout=10)  # fmt: skip
    assert again.status_code == 201
    capacity.refresh_from_db()
    assert (capacity.held, capacity.available, Hold.objects.count()) == (1, 1, 1)


def test_a_page_cut_off_by_a_lost_connection_says_to_try_again(server, cast, beds, signed_in):
    client = signed_in(cast.officer_a.user)
    session = requests.Session()
    cookie = settings.SESSION_COOKIE_NAME
    session.cookies.set(cookie, client.cookies[cookie].value)
    session.get(f"{server}{beds.location.get_absolute_url()}", timeout=10).raise_for_status()
    csrf = session.cookies[settings.CSRF_COOKIE_NAME]

    with killed_while_writing(Hold._meta.db_table) as killed:
        response = session.post(
            f"{server}/holds/place/",
            data={**_hold_body(beds), "csrfmiddlewaretoken": csrf},
            headers={"Origin": server}, allow_redirects=False, timeout=30,
        )  # fmt: skip
    assert killed
    assert response.status_code == 503
    assert "text/html" in response.headers["Content-Type"]
    assert "Try again in a moment" in response.text
    assert "nothing you sent was saved" in response.text
    assert "911" in response.text  # the page still says where to get help now
    assert Hold.objects.count() == 0
    assert Capacity.objects.get(pk=beds.pk).held == 0

    after = session.post(f"{server}/holds/place/",
                         data={**_hold_body(beds), "csrfmiddlewaretoken": csrf},
                         headers={"Origin": server}, allow_redirects=False, timeout=10)  # fmt: skip
    assert after.status_code == 302
    assert Hold.objects.count() == 1


def test_a_referral_cut_off_mid_send_leaves_nothing_and_its_retry_sends_it_once(
    server, keyed, beds
):
    cast = keyed
    consent = grant(cast.officer_a, cast.shelter_x, items=("name", "contact")).consent
    headers = {**_bearer(cast.agency_a, "referrals:write"), "Idempotency-Key": "send-1"}
    body = {
        "consent": str(consent.code), "recipient": str(cast.shelter_x.code),
        "urgency": "urgent", "services": ["emergency_shelter"], "household": {"adults": 1},
        "callback": "Desk sergeant, +1 214 555 0100", "items": {"name": NAME, "contact": PHONE},
    }  # fmt: skip
    before = {
        model: model.objects.count()
        for model in (Referral, Packet, Disclosure, Notification, AuditEvent, IdempotencyKey)
    }

    # The packet is written after the referral row: the kill lands between the two.
    with killed_while_writing(Packet._meta.db_table) as killed:
        response = requests.post(f"{server}/api/v1/referrals", json=body, headers=headers,
                                 timeout=30)  # fmt: skip
    assert killed
    assert response.status_code == 503
    assert {model: model.objects.count() for model in before} == before

    again = requests.post(f"{server}/api/v1/referrals", json=body, headers=headers, timeout=10)
    assert again.status_code == 201
    twice = requests.post(f"{server}/api/v1/referrals", json=body, headers=headers, timeout=10)
    assert twice.json() == again.json()
    assert Referral.objects.count() == before[Referral] + 1
    assert Packet.objects.count() == before[Packet] + 1


def test_a_connection_killed_between_requests_is_replaced_unnoticed(server, cast, beds):
    headers = _bearer(cast.agency_a, "holds:write")
    assert requests.get(f"{server}/api/v1/me", headers=headers, timeout=10).status_code == 200
    assert _kill_other_connections() >= 1
    response = requests.post(f"{server}/api/v1/holds", json=_hold_body(beds), headers=headers,
                             timeout=10)  # fmt: skip
    assert response.status_code == 201
