"""Writing to the audit log. Call inside the transaction of the action being audited."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from audit.models import AuditEvent, AuditHead


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_content(event: AuditEvent) -> dict[str, Any]:
    """Everything an event says, as hashed. Changing any of it breaks the chain."""
    return {
        "sequence": event.sequence,
        "created_at": event.created_at.isoformat(),
        "action": event.action,
        "actor": event.actor,
        "organization": event.organization,
        "target": event.target,
        "data": event.data,
        "ip_address": event.ip_address,
    }


def chain_hash(previous_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(content)).hexdigest()


@transaction.atomic(savepoint=False)  # the caller's transaction is the one that counts
def audit_record(
    *,
    action: str,
    actor: str = "",
    organization: str = "",
    target: str = "",
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    ``actor``, ``organization`` and ``target`` are opaque codes (``user:<uuid>``); ``data``
    holds further codes or counts. Never pass names, e-mail addresses or anything a survivor
    said. The head row is locked for the rest of the transaction, so concurrent appends queue
    and the chain stays single.

    Every audited action pays for this, so it is three plain statements — read and lock the
    head, insert the event, move the head — rather than the ORM's compiled queries (which
    cost several times what the database takes to run these).
    """
    connection = connections[router.db_for_write(AuditEvent)]
    quote = connection.ops.quote_name
    head_table, event_table = quote(AuditHead._meta.db_table), quote(AuditEvent._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sequence, hash FROM {head_table} WHERE id = 1{lock}")  # noqa: S608
        row = cursor.fetchone()
        if row is None:
            head = AuditHead.objects.select_for_update().get_or_create(pk=1)[0]
            row = (head.sequence, head.hash)
        previous_sequence, previous_hash = row
        event = AuditEvent(
            sequence=previous_sequence + 1,
            created_at=timezone.now(),
            action=action,
            actor=actor,
            organization=organization,
            target=target,
            data=data or {},
            ip_address=ip_address,
            previous_hash=previous_hash,
        )
        event.hash = chain_hash(previous_hash, event_content(event))
        fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
        values = [
            field.get_db_prep_save(getattr(event, field.attname), connection) for field in fields
        ]
        returning = connection.features.can_return_columns_from_insert
        cursor.execute(
            f"INSERT INTO {event_table} ({', '.join(quote(str(f.column)) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})" + (" RETURNING id" if returning else ""),
            values,
        )
        event.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
        event._state.adding, event._state.db = False, connection.alias
        cursor.execute(
            f"UPDATE {head_table} SET sequence = %s, hash = %s WHERE id = 1",  # noqa: S608
            [event.sequence, event.hash],
        )
    return event
