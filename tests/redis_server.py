"""A Redis cache for the tests that check behaviour with Redis (``HAVEN_REDIS_URL``).

The server is the one on this machine (127.0.0.1:6379, or ``HAVEN_TEST_REDIS_URL``); each
test gets keys under a prefix of its own and removes them, so it never clears a database
others may use. Without a server the test is skipped, and says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from haven.redis_cache import RedisCache

REDIS_URL = os.environ.get("HAVEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[RedisCache]:
    """The default cache is Redis for this test."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis server at {REDIS_URL}")
    prefix = f"haven-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "haven.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    yield backend
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
