"""Reading the audit log: verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass

from audit.models import GENESIS_HASH, AuditEvent, AuditHead
from audit.services import chain_hash, event_content


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_hash: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_chain_verify() -> ChainReport:
    """Walk the chain from the first event; report the first broken link, if any."""
    expected_sequence, expected_previous = 1, GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        count += 1
        problem = ""
        if event.sequence != expected_sequence:
            problem = f"event #{expected_sequence} is missing (found #{event.sequence})"
        elif event.previous_hash != expected_previous:
            problem = "it does not follow the event before it (deleted or reordered)"
        elif chain_hash(event.previous_hash, event_content(event)) != event.hash:
            problem = "its content was changed after it was written"
        if problem:
            return ChainReport(count, expected_previous, expected_sequence, problem)
        expected_sequence, expected_previous = event.sequence + 1, event.hash
    head = AuditHead.objects.filter(pk=1).first()
    last = (expected_sequence - 1, expected_previous)
    if head is not None and (head.sequence, head.hash) != last:
        problem = f"the log ends early: the head says #{head.sequence}"
        return ChainReport(count, expected_previous, expected_sequence, problem)
    return ChainReport(count, expected_previous)
