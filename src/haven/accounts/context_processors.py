"""What every page needs to draw its header: the user's organisations and the demo banner."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from haven.accounts.tenancy import organisations_of


def haven(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"haven_demo": settings.HAVEN_DEMO}
    if user is not None and user.is_authenticated:
        context["my_organisations"] = organisations_of(user, request)
        context["current_organisation"] = getattr(request, "organisation", None)
        context["current_permissions"] = getattr(request, "permissions", frozenset())
    return context
