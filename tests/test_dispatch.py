"""A rush of public writes queues one delayed dispatcher run and asks the cache rarely."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from haven import dispatch
from haven.petitions.tasks import DISPATCH_FLAG, send_confirmations

# Real commits: the "committed" path runs only outside a transaction. The final flush must
# empty the append-only audit table too.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("flushable_audit_trail"),
]


class CountingCache:
    """The shared cache, counting the calls that reach it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def add(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append("add")
        return cache.add(*args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append("get")
        return cache.get(*args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append("set")
        return cache.set(*args, **kwargs)


@pytest.fixture
def world(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cache.clear()
    dispatch.forget_queued_runs()
    clock = [1_800_000_000.0]
    counting = CountingCache()
    monkeypatch.setattr(dispatch, "_clock", lambda: clock[0])
    monkeypatch.setattr(dispatch, "cache", counting)
    yield {"clock": clock, "cache": counting}
    dispatch.forget_queued_runs()
    cache.clear()


def queue() -> None:
    dispatch.queue_once(DISPATCH_FLAG, send_confirmations, timeout=60)


def test_a_burst_queues_one_delayed_run_and_asks_the_cache_once(world: dict[str, Any]) -> None:
    clock = world["clock"]
    for _ in range(20):
        queue()
        clock[0] += 0.05  # 20 writes within a second

    [run] = DBTaskResult.objects.all()
    assert run.run_after == datetime.fromtimestamp(1_800_000_000 + dispatch.DELAY_SECONDS, UTC)
    assert world["cache"].calls == ["add"]


def test_a_run_about_to_start_or_late_gets_a_successor_and_the_flag_moves_on(
    world: dict[str, Any],
) -> None:
    clock = world["clock"]
    queue()
    clock[0] += dispatch.DELAY_SECONDS - dispatch.MARGIN_SECONDS
    queue()  # the flag is still there, but its run may start any moment: queue the next
    for _ in range(10):
        clock[0] += 0.1
        queue()

    assert world["cache"].calls == ["add", "add", "get", "set"]
    runs = list(DBTaskResult.objects.order_by("run_after").values_list("run_after", flat=True))
    assert [(run - runs[0]).total_seconds() for run in runs] == [0, 1.5]
    assert cache.get(DISPATCH_FLAG) == 1_800_000_000 + 1.5 + dispatch.DELAY_SECONDS


def test_a_started_run_clears_the_flag_and_the_next_write_queues_another(
    world: dict[str, Any],
) -> None:
    clock = world["clock"]
    queue()
    cache.delete(DISPATCH_FLAG)  # the run started
    clock[0] += dispatch.DELAY_SECONDS
    queue()

    assert world["cache"].calls == ["add", "add"]
    assert DBTaskResult.objects.count() == 2


def test_another_process_learns_when_the_queued_run_starts(world: dict[str, Any]) -> None:
    queue()
    dispatch.forget_queued_runs()  # as another process, which has learnt nothing yet

    queue()
    queue()

    assert world["cache"].calls == ["add", "add", "get"]
    assert DBTaskResult.objects.count() == 1


def test_inside_a_transaction_every_call_asks_the_cache(world: dict[str, Any]) -> None:
    queue()
    with transaction.atomic():
        queue()
        queue()

    assert world["cache"].calls == ["add", "add", "add"]


def test_with_a_backend_that_runs_at_once_every_write_asks_the_cache(
    world: dict[str, Any], settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    queue()
    queue()

    # Each run started at once and cleared the flag, so each write queued its own.
    assert world["cache"].calls == ["add", "add"]
    assert not DBTaskResult.objects.exists()
