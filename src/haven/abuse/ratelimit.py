"""Fixed-window rate limits kept in the shared cache, so every worker process counts together.

Keys are hashed before they reach the cache: an e-mail address being counted is never
stored in clear. With the database cache (the default) two simultaneous hits may count
once, which lets a burst exceed a limit by a request or two; Redis (``HAVEN_REDIS_URL``)
counts atomically.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from haven.env import Rate, parse_rate
from haven.privacy.audit import client_ip

__all__ = ["Rate", "RateLimited", "check_public_submission", "hit", "parse_rate"]


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


def hit(scope: str, key: str, rate: Rate, *, now: Callable[[], float] = time.time) -> None:
    """Count one attempt of ``key`` in ``scope``; raise ``RateLimited`` once over ``rate``."""
    moment = now()
    window = int(moment // rate.seconds)
    cache_key = _cache_key(scope, key, window)
    cache.add(cache_key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=rate.seconds + 1)
        count = 1
    if count > rate.count:
        raise RateLimited(retry_after=math.ceil((window + 1) * rate.seconds - moment))


def check_public_submission(request: HttpRequest, *, scope: str, address: str = "") -> None:
    """Count one public submission by its sender's IP address and, if given, its e-mail.

    ``scope`` names the endpoint (``"petition-sign"``); ``address`` should be the
    normalised address (``addresses.normalise_email``) so spellings of one count as one.
    """
    hit(scope, f"ip:{client_ip(request) or 'unknown'}", parse_rate(settings.HAVEN_RATE_PER_IP))
    if address:
        hit(scope, f"address:{address}", parse_rate(settings.HAVEN_RATE_PER_ADDRESS))


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
