"""Background tasks of consent (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from consent.services import consents_expire_sweep


@task()
def sweep_consents() -> int:
    return consents_expire_sweep()
