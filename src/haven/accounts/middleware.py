"""Session renewal and the response headers that keep a signed-in user's pages out of caches."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date

# What add_never_cache_headers writes on a response that has no caching headers yet.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


class NoStoreForAuthenticatedMiddleware:
    """Pages seen by a signed-in user, and every API answer, must never be stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            if "Cache-Control" in response or "Expires" in response:
                add_never_cache_headers(response)  # merged with what the view said
            else:
                # The same headers written out: parsing and rebuilding an absent
                # Cache-Control was a few per cent of a registration's time.
                response["Expires"] = http_date(time.time())
                response["Cache-Control"] = NEVER_CACHE
        return response


# The idle deadline moves at most once a minute: saving the session on every request
# would write a row per page view for no one's benefit.
SESSION_RENEWED_KEY = "_haven_renewed_at"
RENEW_AFTER_SECONDS = 60
# Requests a page makes on its own (the door page refreshing its counts and list) send
# this header: they are not a person at the keyboard, so they must not keep a phone left
# on an open page signed in for ever.
BACKGROUND_HEADER = "HTTP_X_HAVEN_BACKGROUND"


class IdleSessionMiddleware:
    """Push a session's idle deadline (SESSION_COOKIE_AGE) forward, at most once a minute."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.META.get(BACKGROUND_HEADER) == "1":
            return response
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if now - int(session.get(SESSION_RENEWED_KEY, 0)) >= RENEW_AFTER_SECONDS:
                # Marks the session modified: SessionMiddleware saves it with a new expiry.
                session[SESSION_RENEWED_KEY] = now
        return response
