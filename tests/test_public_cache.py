"""Public objects read by every request of a rush: held close, forgotten on every change."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from haven import public_cache
from haven.public_cache import PublicCache


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    cache.clear()
    return {"loads": 0, "value": "first"}


@pytest.fixture
def objects(world: dict[str, Any]) -> PublicCache[str]:
    def load(org: str, slug: str) -> str | None:
        world["loads"] += 1
        return None if slug == "missing" else f"{org}/{slug}: {world['value']}"

    made: PublicCache[str] = PublicCache("test-objects", load, shared_seconds=10)
    made.clock = Clock()
    return made


def test_an_object_is_loaded_once_then_served_from_this_process(
    objects: PublicCache[str], world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    assert objects.get("north", "march") == "north/march: first"
    with django_assert_num_queries(0):  # not even the database cache
        assert objects.get("north", "march") == "north/march: first"
    assert world["loads"] == 1


def test_a_missing_object_is_none_and_not_remembered(
    objects: PublicCache[str], world: dict[str, Any]
) -> None:
    assert objects.get("north", "missing") is None
    assert objects.get("north", "missing") is None
    assert world["loads"] == 2


def test_forget_drops_the_object_here_and_from_the_shared_cache_at_once(
    objects: PublicCache[str], world: dict[str, Any]
) -> None:
    objects.get("north", "march")
    world["value"] = "changed"

    objects.forget("north", "march")

    assert objects.get("north", "march") == "north/march: changed"


def test_a_change_made_in_another_process_is_seen_here_within_the_local_lifetime(
    objects: PublicCache[str], world: dict[str, Any]
) -> None:
    clock = objects.clock
    assert isinstance(clock, Clock)
    objects.get("north", "march")
    world["value"] = "changed"
    # What the other process's forget does: the shared cache loses it; this process's
    # copy is out of its reach.
    cache.delete(objects._key("north", "march"))

    clock.now += public_cache.LOCAL_SECONDS - 0.01
    assert objects.get("north", "march") == "north/march: first"
    clock.now += 0.01
    assert objects.get("north", "march") == "north/march: changed"


def test_another_process_takes_the_object_from_the_shared_cache(
    objects: PublicCache[str], world: dict[str, Any]
) -> None:
    objects.get("north", "march")
    objects.clear_local()  # as another process, which holds nothing yet

    assert objects.get("north", "march") == "north/march: first"
    assert world["loads"] == 1


def test_what_is_held_only_here_never_reaches_the_shared_cache(world: dict[str, Any]) -> None:
    def load(org: str, slug: str) -> list[str]:
        world["loads"] += 1
        return [f"a name shown on {org}/{slug}"]

    names: PublicCache[list[str]] = PublicCache("test-names", load, shared_seconds=0)
    names.clock = clock = Clock()
    assert names.get("north", "march") == ["a name shown on north/march"]
    assert names.get("north", "march") == ["a name shown on north/march"]
    assert world["loads"] == 1
    assert cache.get(names._key("north", "march")) is None
    names.clear_local()  # another process reads them itself
    assert names.get("north", "march") == ["a name shown on north/march"]
    clock.now += public_cache.LOCAL_SECONDS
    names.get("north", "march")
    assert world["loads"] == 3
