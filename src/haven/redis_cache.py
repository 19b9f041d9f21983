"""Django's Redis cache with one client per connection pool instead of one per operation.

Django builds a new ``redis.Redis`` for every cache call, copying its table of about 200
response callbacks each time; on a public endpoint that makes half a dozen cache calls
(rate limits, the cached petition and its count) that is a measurable share of the request
(bench/petition_rush.py). A ``redis.Redis`` is thread-safe and only borrows connections
from its pool, so one per pool serves every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Add one to each counter; a counter made by this call gets its lifetime (ARGV, seconds).
# A script runs atomically, so no counter can expire between its INCR and its EXPIRE.
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._count: Any = None

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # django-stubs leave out the private helpers of RedisCacheClient.
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            self._clients[index] = client
        return client

    def count(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        if self._count is None:
            self._count = self.get_client(write=True).register_script(_COUNT)
        names = [key for key, _seconds in keys]
        lifetimes = [seconds for _key, seconds in keys]
        return [int(value) for value in self._count(keys=names, args=lifetimes)]


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache``, reusing its clients."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    def count(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        """Add one to each ``(key, lifetime in seconds)`` counter in one round trip.

        A counter that did not exist starts at 1 and lives ``lifetime`` seconds; the new
        values come back in order. Values are plain integers, as ``incr`` keeps them.
        """
        names = [(self.make_and_validate_key(key), seconds) for key, seconds in keys]
        return self._cache.count(names)  # type: ignore[attr-defined,no-any-return]
