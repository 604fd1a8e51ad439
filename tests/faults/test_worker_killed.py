"""The task worker is killed (SIGKILL) while it is handing an e-mail to the ESP, then
restarted: every notification still goes out, none is marked sent twice, and a copy sent
again after the crash carries the same Message-ID as the first, so a mailbox takes it as the
same message.

Real parts: PostgreSQL (both processes share it), `manage.py db_worker` as its own process,
anymail's Postmark backend speaking HTTP; only the ESP itself — which lives outside the
machine — is played by a small local HTTP server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import connection

from referrals.models import Notification
from tests.referrals.conftest import NAME, send

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 10


class FakePostmark(ThreadingHTTPServer):
    """Accepts e-mails as Postmark's API does. The first one it receives, it keeps answering
    until ``release`` is set — long enough for the test to kill the worker waiting on it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _PostmarkHandler)
        self.received: list[dict] = []
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()


class _PostmarkHandler(BaseHTTPRequestHandler):
    server: FakePostmark

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        message = json.loads(self.rfile.read(length))
        with self.server.lock:
            self.server.received.append(message)
            first = len(self.server.received) == 1
        if first:
            self.server.first_arrived.set()
            self.server.release.wait(30)
        answer = json.dumps({
            "To": message["To"], "SubmittedAt": "2026-12-02T02:00:00Z", "ErrorCode": 0,
            "MessageID": f"pm-{len(self.server.received)}", "Message": "OK",
        }).encode()  # fmt: skip
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the worker that asked is gone

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def esp() -> Iterator[FakePostmark]:
    server = FakePostmark()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def haven_process(esp: FakePostmark) -> Iterator[Callable[..., subprocess.Popen]]:
    """haven_process(*manage_args) → a manage.py process on the test database, sending
    e-mail through anymail's Postmark backend to the local ESP."""
    params = connection.settings_dict
    url = (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )
    env = {
        **os.environ,
        "HAVEN_ENV": "test",
        "DATABASE_URL": url,
        "HAVEN_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL": json.dumps(
            {
                "POSTMARK_SERVER_TOKEN": "server-token",
                "POSTMARK_API_URL": f"http://127.0.0.1:{esp.server_port}/",
            }
        ),
        "HAVEN_NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(20)


def _wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _sent() -> int:
    return Notification.objects.filter(status=Notification.Status.SENT).count()


def test_a_worker_killed_mid_delivery_loses_nothing_and_marks_nothing_twice(
    keyed, esp, haven_process, settings
):
    # The cast's key announcements went out in-process while it was set up; what follows
    # goes through the database queue and the worker.
    Notification.objects.all().delete()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for _ in range(4):
        send(keyed)
    notifications = list(Notification.objects.all())
    assert len(notifications) >= 4
    worker = ["db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload"]

    first = haven_process(*worker)
    assert esp.first_arrived.wait(60), "the worker never reached the ESP"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    esp.release.set()
    interrupted = esp.received[0]

    haven_process(*worker)
    _wait_for(lambda: _sent() == len(notifications) - 1, 60, "the other e-mails")
    # The interrupted e-mail waits out its worker's lease, then the periodic sweep sends it.
    claimed = Notification.objects.get(status=Notification.Status.PENDING)
    assert claimed.attempts == 1
    _wait_for(lambda: time.time() > claimed.next_attempt_at.timestamp(), LEASE_SECONDS + 5,
              "the lease")  # fmt: skip
    sweep = haven_process("sweep_referrals")
    assert sweep.wait(60) == 0, sweep.stderr.read().decode() if sweep.stderr else ""

    assert _sent() == len(notifications)
    by_header = {n.message_header: n for n in Notification.objects.all()}
    received = [
        {h["Name"]: h["Value"] for h in message["Headers"]}["Message-ID"]
        for message in esp.received
    ]
    # Every notification reached the ESP; only the one in flight at the kill went twice,
    # both times as the same message.
    assert set(received) == set(by_header)
    repeated = {header for header in received if received.count(header) > 1}
    assert repeated == {{h["Name"]: h["Value"] for h in interrupted["Headers"]}["Message-ID"]}
    assert received.count(next(iter(repeated))) == 2
    again = by_header[next(iter(repeated))]
    assert (again.attempts, again.status) == (2, Notification.Status.SENT)
    for notification in by_header.values():
        assert parseaddr(notification.to)[1]
        assert NAME not in notification.body
    assert all(NAME not in json.dumps(message) for message in esp.received)
