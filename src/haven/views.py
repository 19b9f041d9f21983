"""Views that belong to no app: health check and the language switcher."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language

from haven.accounts.tenancy import public_view


@public_view
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


set_language = public_view(django_set_language)
