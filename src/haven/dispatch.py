"""One background run for a burst of public writes, without asking the cache on every write.

A signature or a registration needs its e-mail sent by a dispatcher task that reads
everything still to send. A flag in the shared cache says a run is queued and has not
started (the run clears it first), so a rush queues one run, not one per request.

Where the task backend can delay a task (the database backend), the run is queued to start
``DELAY_SECONDS`` later and the flag holds that moment. A process that has learnt it
skips the cache until ``MARGIN_SECONDS`` before it: its writes are committed and the run
has not started, so the run will read them (decision 13). A process that finds the queued
run about to start, or late (no worker has taken it yet), queues the next one and moves
the flag on, so it asks again only once per ``DELAY_SECONDS`` whatever the workers do;
a run that finds nothing to send costs one query. Inside a transaction, and with backends
that run tasks at once, every call asks the cache, as before.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django_tasks.base import Task

DELAY_SECONDS = 2.0
# Clock differences between this machine and the task workers' that are tolerated.
MARGIN_SECONDS = 0.5

# flag -> until when (time.time()) a queued run is known to start later than now
_starts_later_until: dict[str, float] = {}
_clock = time.time


def forget_queued_runs() -> None:
    """Forget what this process learnt about queued runs (tests play several processes)."""
    _starts_later_until.clear()


def _learn(flag: str, starts: float) -> None:
    _starts_later_until[flag] = starts - MARGIN_SECONDS


def queue_once(flag: str, task: Task[Any, Any], *, timeout: int) -> None:
    """Make sure a run of ``task`` starts after the current writes commit (one per burst)."""
    now = _clock()
    committed = not connection.in_atomic_block
    if committed and _starts_later_until.get(flag, 0.0) > now:
        return
    if not task.get_backend().supports_defer:
        if cache.add(flag, 0, timeout=timeout):
            transaction.on_commit(task.enqueue)
        return
    starts = now + DELAY_SECONDS
    if not committed:
        # The caller commits later: as before, queue a run (after the commit) unless one is.
        if cache.add(flag, starts, timeout=timeout):
            transaction.on_commit(lambda: _queue(flag, task, starts, timeout))
        return
    if cache.add(flag, starts, timeout=timeout):
        _queue(flag, task, starts, timeout)
        return
    queued = cache.get(flag)
    if isinstance(queued, float) and queued - now > MARGIN_SECONDS:
        _learn(flag, queued)
        return
    # The queued run is about to start, or late (no worker yet): queue the next one, so
    # this process need not ask on every write until a worker clears the flag.
    _queue(flag, task, starts, timeout, replace=True)


def _queue(
    flag: str, task: Task[Any, Any], starts: float, timeout: int, *, replace: bool = False
) -> None:
    task.using(run_after=datetime.fromtimestamp(starts, tz=UTC)).enqueue()
    if replace:
        cache.set(flag, starts, timeout=timeout)
    _learn(flag, starts)
