"""The Redis cache reuses one client per server and process."""

from __future__ import annotations

import os

import pytest

from haven.redis_cache import RedisCache
from tests.redis_server import redis_cache  # noqa: F401 (fixture)


def test_the_redis_cache_hands_out_the_same_client_for_every_call() -> None:
    clients = getattr(RedisCache("redis://127.0.0.1:6379/15", {}), "_cache")  # noqa: B009
    client = clients.get_client("a", write=True)
    assert clients.get_client("b", write=True) is client
    assert clients.get_client("c") is client, "one server: reads use the same pool"
    assert client.connection_pool.connection_kwargs["db"] == 15


def test_the_client_keeps_a_connection_of_its_own_and_a_forked_process_gets_another(
    redis_cache: RedisCache,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clients = getattr(redis_cache, "_cache")  # noqa: B009
    client = clients.get_client(write=True)
    assert client.connection is not None, "no connection borrowed from the pool per call"
    assert redis_cache.count([("fork-check", 60)]) == [1]
    parent = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: parent + 1)
    child = clients.get_client(write=True)
    assert child is not client, "a child process must not share its parent's socket"
    assert child.connection is not client.connection
    assert redis_cache.count([("fork-check", 60)]) == [2], "the child counts on its own client"


def test_threads_share_the_client_without_mixing_their_answers(
    redis_cache: RedisCache,  # noqa: F811
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def count(thread: int) -> list[int]:
        return [redis_cache.count([(f"thread-{thread}", 60)])[0] for _ in range(50)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(count, range(8)))
    # Each thread reads back only its own counter, in order: no answer went to another.
    assert answers == [list(range(1, 51))] * 8


def _server() -> object:
    import redis

    from tests.redis_server import REDIS_URL

    return redis.Redis.from_url(REDIS_URL)


def test_a_count_loads_its_script_again_when_redis_has_forgotten_it(
    redis_cache: RedisCache,  # noqa: F811
) -> None:
    assert redis_cache.count([("script", 60)]) == [1]
    _server().script_flush()  # type: ignore[attr-defined]  # as after a restart of Redis
    assert redis_cache.count([("script", 60)]) == [2]
    assert redis_cache.count([("script", 60)]) == [3]


def test_a_count_goes_through_when_its_connection_was_dropped(
    redis_cache: RedisCache,  # noqa: F811
) -> None:
    client = getattr(redis_cache, "_cache").get_client(write=True)  # noqa: B009
    assert redis_cache.count([("dropped", 60)]) == [1]
    _server().client_kill_filter(_id=client.client_id())  # type: ignore[attr-defined]
    assert redis_cache.count([("dropped", 60)]) == [2], "sent again on a new connection"
    assert redis_cache.count([("dropped", 60)]) == [3]


def test_an_error_from_redis_is_raised_and_the_next_count_is_answered_rightly(
    redis_cache: RedisCache,  # noqa: F811
) -> None:
    import redis

    _server().set(redis_cache.make_key("not-a-counter"), "text")  # type: ignore[attr-defined]
    with pytest.raises(redis.ResponseError):
        redis_cache.count([("not-a-counter", 60)])
    assert redis_cache.count([("counter", 60), ("other", 60)]) == [1, 1]
