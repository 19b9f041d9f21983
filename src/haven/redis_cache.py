"""Django's Redis cache with one client per server and process instead of one per operation.

Django builds a new ``redis.Redis`` for every cache call, copying its table of about 200
response callbacks each time; on a public endpoint that makes half a dozen cache calls
(rate limits, the cached petition and its count) that is a measurable share of the request
(bench/petition_rush.py). Here one client serves every call of a process, on a connection of
its own: borrowing one from the pool and handing it back took a third of a round trip's
client time (redis-py 8 records pool metrics on each), and a process of a sync worker
makes one call at a time anyway. redis-py serialises the threads of a threaded server on
that connection with its lock (since 5.3); a process forked after the first call makes a
client of its own rather than share the parent's socket.
"""

from __future__ import annotations

import hashlib
import os
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
_COUNT_SHA = hashlib.sha1(_COUNT.encode(), usedforsecurity=False).hexdigest()


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[int, int], Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # django-stubs leave out the private helpers of RedisCacheClient.
        index = (self._get_connection_pool_index(write), os.getpid())  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._client(  # type: ignore[attr-defined]
                connection_pool=pool, single_connection_client=True
            )
            self._clients[index] = client
        return client

    def count(self, keys: Sequence[tuple[str, int]]) -> list[int]:
        client = self.get_client(write=True)
        command = (
            "EVALSHA",
            _COUNT_SHA,
            len(keys),
            *[key for key, _seconds in keys],
            *[seconds for _key, seconds in keys],
        )
        reply = _sent_directly(client, command)
        if reply is None:
            # The script is not loaded yet (or Redis restarted), or the connection failed:
            # again through redis-py's whole machinery, with its retries and reconnection.
            if not client.script_exists(_COUNT_SHA)[0]:
                client.script_load(_COUNT)
            reply = client.execute_command(*command)
        return [int(value) for value in reply]


def _sent_directly(client: Any, command: tuple[Any, ...]) -> Any:
    """The reply to one command sent on the client's own connection, or None if it failed.

    Every rate-limited public submission makes this one call (decision 13), and redis-py
    8 wraps each command in retries, timings and metrics that cost it more client CPU than
    sending and reading it (bench/registration_rush.py). A command that fails here is
    answered None and the connection closed, so the caller can send it again the long
    way; an error Redis itself answers (other than a missing script) is raised.
    """
    from redis.exceptions import NoScriptError, ResponseError

    connection = client.connection
    with client.single_connection_lock:
        try:
            connection.send_command(*command)
            return connection.read_response()
        except NoScriptError:
            return None
        except ResponseError:
            raise
        except Exception:
            # A half-read reply must not be read as the next command's.
            connection.disconnect()
            return None


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
        # Only made, not validated: the validation warns of keys that memcached would
        # refuse, and every caller's key is a short hex digest.
        names = [(self.make_key(key), seconds) for key, seconds in keys]
        return self._cache.count(names)  # type: ignore[attr-defined,no-any-return]
