"""Haven's routes, plus the baseline of bench/petition_rush.py: one INSERT, same stack."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from haven.accounts.tenancy import public_view
from haven.urls import urlpatterns as haven_urlpatterns

BASELINE_TABLE = "bench_rush_insert"


@public_view
@csrf_exempt
@require_POST
def insert_one(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (payload, created_at) VALUES (%s, now())",
            [request.POST.get("payload", "")[:200]],
        )
    return HttpResponse(status=204)


urlpatterns = [path("bench/insert/", insert_one, name="bench_insert"), *haven_urlpatterns]
