"""Background tasks of the idempotency keys (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from idempotency.services import idempotency_keys_sweep


@task()
def sweep_idempotency_keys() -> int:
    """Forget keys (and the answers kept with them) past their 24 hours. Enqueue daily."""
    return idempotency_keys_sweep()
