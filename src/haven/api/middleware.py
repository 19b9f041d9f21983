"""The API's own errors for paths it has no route or no method for."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


class ApiErrorsAsJsonMiddleware:
    """Answer a 404 or 405 under /api/ in JSON, as the API answers everything else.

    Django's URL resolver answers an unknown path with the site's HTML page and ninja a
    wrong method with a bare text body: a client reading ``detail`` got neither.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (404, 405) or not request.path.startswith(API_PREFIX):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # the API's own 404 (an object it would not show)
        if response.status_code == 404:
            detail = "Not found."
        else:
            detail = f"Method not allowed. Allowed: {response.get('Allow', '')}."
        replacement = HttpResponse(
            json.dumps({"detail": detail}),
            status=response.status_code,
            content_type="application/json; charset=utf-8",
        )
        if "Allow" in response:
            replacement["Allow"] = response["Allow"]
        return replacement
