"""Writing to the audit log. Call inside the transaction of the action being audited."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
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
    """
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
    event = AuditEvent(
        sequence=head.sequence + 1,
        created_at=timezone.now(),
        action=action,
        actor=actor,
        organization=organization,
        target=target,
        data=data or {},
        ip_address=ip_address,
        previous_hash=head.hash,
    )
    event.hash = chain_hash(head.hash, event_content(event))
    event.save()
    head.sequence, head.hash = event.sequence, event.hash
    head.save(update_fields=["sequence", "hash"])
    return event
