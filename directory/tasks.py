"""Background tasks of the directory (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from directory.services import holds_sweep


@task()
def sweep_holds() -> int:
    """Mark overdue holds expired. Holds stop counting the moment they expire whether or not
    this runs; it keeps records and counters tidy. Enqueue it every few minutes."""
    return holds_sweep()
