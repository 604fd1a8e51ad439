"""The audit log: a hash chain that shows any edit, deletion or reordering."""

import itertools
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from audit.models import AuditEvent, AuditHead
from audit.selectors import audit_chain_verify
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return [audit_record(action="test.event", actor=f"user:{n}", data={"n": n}) for n in range(5)]


def tamper(sql, params=()):
    """Write to the log as someone with the database owner's rights would: on PostgreSQL
    that means switching the append-only trigger off first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def test_an_untouched_chain_verifies(chain, capsys):
    report = audit_chain_verify()
    assert report.ok
    assert report.events == 5
    assert report.head_hash == chain[-1].hash
    call_command("audit_verify")
    assert "Audit chain intact: 5 events" in capsys.readouterr().out


def test_each_event_hashes_the_one_before(chain):
    assert chain[0].previous_hash == "0" * 64
    for before, after in itertools.pairwise(chain):
        assert after.previous_hash == before.hash
        assert after.sequence == before.sequence + 1


def test_an_edited_event_is_found(chain):
    tamper("UPDATE audit_auditevent SET actor = %s WHERE sequence = 3", ["user:someone-else"])
    report = audit_chain_verify()
    assert (report.broken_at, report.problem) == (3, "its content was changed after it was written")
    with pytest.raises(CommandError, match="broken at event #3"):
        call_command("audit_verify")


def test_a_deleted_event_is_found(chain):
    tamper("DELETE FROM audit_auditevent WHERE sequence = 2")
    report = audit_chain_verify()
    assert report.broken_at == 2
    assert "missing" in report.problem


def test_a_deleted_last_event_is_found_from_the_head(chain):
    tamper("DELETE FROM audit_auditevent WHERE sequence = 5")
    report = audit_chain_verify()
    assert report.broken_at == 5
    assert "the log ends early" in report.problem


def test_reordered_events_are_found(chain):
    tamper("UPDATE audit_auditevent SET sequence = 99 WHERE sequence = 2")
    tamper("UPDATE audit_auditevent SET sequence = 2 WHERE sequence = 4")
    tamper("UPDATE audit_auditevent SET sequence = 4 WHERE sequence = 99")
    report = audit_chain_verify()
    assert report.broken_at == 2
    assert "does not follow" in report.problem


def test_a_rewritten_hash_does_not_hide_an_edit(chain):
    # Recomputing one event's hash breaks the next link instead.
    from audit.services import chain_hash, event_content

    event = AuditEvent.objects.get(sequence=3)
    event.actor = "user:forged"
    forged = chain_hash(event.previous_hash, event_content(event))
    tamper(
        "UPDATE audit_auditevent SET actor = %s, hash = %s WHERE sequence = 3",
        [event.actor, forged],
    )
    report = audit_chain_verify()
    assert report.broken_at == 4


@pytest.mark.postgres
def test_postgresql_refuses_to_change_or_delete_events(chain):
    for statement in ("UPDATE audit_auditevent SET actor = 'x'", "DELETE FROM audit_auditevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert audit_chain_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    """8 threads × 50 appends, each in its own transaction on its own connection."""
    barrier = threading.Barrier(8)
    errors = []

    def append(worker):
        try:
            barrier.wait()
            for n in range(50):
                with transaction.atomic():
                    audit_record(action="test.concurrent", actor=f"worker:{worker}", data={"n": n})
        except Exception as error:  # collected and reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.events == 400
    assert AuditHead.objects.get().sequence == 400
