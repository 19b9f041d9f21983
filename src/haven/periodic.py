"""Runs that queue themselves again: a django-tasks task deferred with ``run_after``.

A periodic run (retention, anonymisation, events, reporting) ends by queueing its next run;
a command queues the first one. Only the database backend can defer, and a run is never
queued twice: whoever asks while one waits gets the time of the one waiting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tasks import TaskResultStatus


def queued_run(task: Any) -> datetime | None:
    """When the next queued run of ``task`` is due, if one is queued (database backend)."""
    if not task.get_backend().supports_defer:
        return None
    from django_tasks_db.models import DBTaskResult

    queued: datetime | None = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=task.module_path)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    return queued


def schedule_once(task: Any, when: datetime) -> datetime | None:
    """Queue ``task`` to run at ``when`` unless a run is queued; None where the backend
    cannot defer."""
    if not task.get_backend().supports_defer:
        return None
    queued = queued_run(task)
    if queued is not None:
        return queued
    task.using(run_after=when).enqueue()
    return when
