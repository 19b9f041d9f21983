"""The Redis cache reuses one client per connection pool (no server needed to check it)."""

from __future__ import annotations

from haven.redis_cache import RedisCache


def test_the_redis_cache_hands_out_the_same_client_for_every_call() -> None:
    clients = getattr(RedisCache("redis://127.0.0.1:6379/15", {}), "_cache")  # noqa: B009
    client = clients.get_client("a", write=True)
    assert clients.get_client("b", write=True) is client
    assert clients.get_client("c") is client, "one server: reads use the same pool"
    assert client.connection_pool.connection_kwargs["db"] == 15
