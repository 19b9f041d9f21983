"""Public objects that every request of a rush reads: held close, forgotten on every change.

A petition or an event is read by each signature or registration. ``PublicCache`` keeps
what its loader returned in this process for ``LOCAL_SECONDS`` and in the shared cache for
``shared_seconds``; the owner's actions call ``forget``, which drops it from the shared
cache and from this process at once. Another process still holds its own copy for at most
``LOCAL_SECONDS``, so a change (a pause, a closed registration) reaches every process
within that time (decision 13). What is cached is shared by the requests of a process:
callers read it and never change it. With ``shared_seconds=0`` nothing goes to the shared
cache: for what holds personal data (the names a petition shows), which stays in the
memory of the process that read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

LOCAL_SECONDS = 1.0
_LOCAL_ENTRIES = 256  # per cache; a rush reads one or two objects, so this is plenty
_every: list[PublicCache[object]] = []


def clear_local_caches() -> None:
    """Forget what this process holds in every public cache (tests run many worlds)."""
    for each in _every:
        each.clear_local()


class PublicCache(Generic[T]):
    """Objects found by ``(org, slug)`` through ``load``, or None when there is none."""

    def __init__(
        self, name: str, load: Callable[[str, str], T | None], *, shared_seconds: int
    ) -> None:
        self.name = name
        self.load = load
        self.shared_seconds = shared_seconds
        self._local: dict[tuple[str, str], tuple[T, float]] = {}
        self.clock: Callable[[], float] = time.monotonic
        _every.append(self)  # type: ignore[arg-type]

    def _key(self, org: str, slug: str) -> str:
        return f"haven:{self.name}:{org}:{slug}"

    def get(self, org: str, slug: str) -> T | None:
        """The object, from this process, the shared cache or ``load``; None if missing."""
        org, slug = org[:60], slug[:60]
        now = self.clock()
        held = self._local.get((org, slug))
        if held is not None and held[1] > now:
            return held[0]
        key = self._key(org, slug)
        value: T | None = cache.get(key) if self.shared_seconds else None
        if value is None:
            value = self.load(org, slug)
            if value is None:
                return None
            if self.shared_seconds:
                cache.set(key, value, timeout=self.shared_seconds)
        if len(self._local) >= _LOCAL_ENTRIES:
            self._local.clear()
        self._local[org, slug] = (value, now + LOCAL_SECONDS)
        return value

    def forget(self, org: str, slug: str) -> None:
        """Drop the object now and again once the transaction commits: a request in
        between may have cached the state from before the change."""

        def drop() -> None:
            self._local.pop((org, slug), None)
            if self.shared_seconds:
                cache.delete(self._key(org, slug))

        drop()
        transaction.on_commit(drop)

    def clear_local(self) -> None:
        """Forget what this process holds, as another process would not have it."""
        self._local.clear()
