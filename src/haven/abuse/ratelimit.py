"""Fixed-window rate limits kept in the shared cache, so every worker process counts together.

Keys are hashed before they reach the cache: an e-mail address being counted is never
stored in clear. With the database cache (the default) two simultaneous hits may count
once, which lets a burst exceed a limit by a request or two; Redis (``HAVEN_REDIS_URL``)
counts atomically, every limit of a request in one round trip (one script).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haven.env import Rate, parse_rate
from haven.privacy.audit import client_ip
from haven.redis_cache import RedisCache

__all__ = ["Rate", "RateLimited", "check_public_submission", "hit", "hit_all", "parse_rate"]


class RateLimited(Exception):
    """Too many attempts; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = max(1, retry_after)

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        return ngettext(
            "Too many attempts. Please wait %(minutes)d minute and try again.",
            "Too many attempts. Please wait %(minutes)d minutes and try again.",
            minutes,
        ) % {"minutes": minutes}


def _cache_key(scope: str, key: str, window: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}|{scope}|{key}".encode()).hexdigest()[:32]
    return f"haven:ratelimit:{digest}:{window}"


def _count_one(cache_key: str, seconds: int) -> int:
    cache.add(cache_key, 0, timeout=seconds)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=seconds)
        return 1


def hit_all(
    scope: str, limits: Sequence[tuple[str, Rate]], *, now: Callable[[], float] = time.time
) -> None:
    """Count one attempt against each ``(key, rate)`` of ``scope``; ``RateLimited`` if any
    is over, with the longest wait among them. Every limit counts the attempt, refused or
    not; with Redis all of them in one round trip."""
    moment = now()
    windows = [int(moment // rate.seconds) for _key, rate in limits]
    keys = [
        (_cache_key(scope, key, window), rate.seconds + 1)
        for (key, rate), window in zip(limits, windows, strict=True)
    ]
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        counts = backend.count(keys)
    else:
        counts = [_count_one(*key) for key in keys]
    waits = [
        math.ceil((window + 1) * rate.seconds - moment)
        for (_key, rate), window, counted in zip(limits, windows, counts, strict=True)
        if counted > rate.count
    ]
    if waits:
        raise RateLimited(retry_after=max(waits))


def hit(scope: str, key: str, rate: Rate, *, now: Callable[[], float] = time.time) -> None:
    """Count one attempt of ``key`` in ``scope``; raise ``RateLimited`` once over ``rate``."""
    hit_all(scope, [(key, rate)], now=now)


def check_public_submission(
    request: HttpRequest, *, scope: str, address: str = "", target: object = ""
) -> None:
    """Count one public submission by its sender's IP address and, if given, its e-mail.

    ``scope`` names the endpoint (``"petition-sign"``) and ``target`` what is signed or
    registered for (its primary key); ``address`` should be the normalised address
    (``addresses.normalise_email``) so spellings of one count as one.
    """
    limits = [(f"ip:{client_ip(request) or 'unknown'}", parse_rate(settings.HAVEN_RATE_PER_IP))]
    if address:
        # Per target, so that someone registering for a network's six events in an hour
        # is not turned away from the sixth; across targets, more loosely, so that nobody
        # has an address flooded with confirmation e-mails from every petition at once.
        limits.append((f"address:{target}:{address}", parse_rate(settings.HAVEN_RATE_PER_ADDRESS)))
        limits.append((f"address:{address}", parse_rate(settings.HAVEN_RATE_PER_ADDRESS_ALL)))
    hit_all(scope, limits)


def too_many_requests(request: HttpRequest, error: RateLimited) -> HttpResponse:
    """The 429 page: what happened and when to try again."""
    response = render(
        request, "429.html", {"message": error.message, "title": _("Too many attempts")}, status=429
    )
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimitMiddleware:
    """Turn a ``RateLimited`` raised by any view into the 429 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return too_many_requests(request, exception)
        return None
