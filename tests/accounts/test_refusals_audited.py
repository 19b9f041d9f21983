"""Every permission refusal is in the audit trail, including those made inside an
operation (identifying fields, a search by name), once per request."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.accounts.tenancy import OrganisationRequest, authorise, organisation_view
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, make_user


def refusals() -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action="access.refused").order_by("seq"))


def test_a_search_by_name_refused_inside_the_operation_is_audited(north: Organisation, client):
    hana = make_user("hana", north, Role.HELPLINE_OPERATOR)
    response = client.get("/api/orgs/north/persons", {"name": "Maria"}, **bearer(hana))
    assert response.status_code == 403
    (event,) = refusals()
    assert (event.actor_id, event.organisation_id, event.outcome) == (
        hana.pk,
        north.pk,
        "forbidden",
    )
    # The path only: the name searched for never reaches the trail.
    assert event.details == {
        "path": "/api/orgs/north/persons",
        "permission": "casework.view_person",
    }
    assert "Maria" not in json.dumps(event.details)


def test_an_export_of_identifying_fields_refused_inside_the_action_is_audited(
    alice, north: Organisation, client
):
    response = client.post(
        "/api/orgs/north/exports",
        json.dumps(
            {"kind": "persons", "include_identity": True, "passphrase": "x" * 20},
        ),
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 403, response.content
    (event,) = refusals()
    assert (event.actor_id, event.organisation_id) == (alice.pk, north.pk)
    assert event.details == {"path": "/api/orgs/north/exports", "permission": "casework.export"}


def test_a_refusal_by_the_routes_own_permission_is_recorded_once(victor, client):
    response = client.get("/api/orgs/north/audit", **bearer(victor))
    assert response.status_code == 403
    (event,) = refusals()
    assert event.details == {"path": "/api/orgs/north/audit", "permission": "audit.view"}


def _refusing_page(request: OrganisationRequest) -> HttpResponse:
    raise PermissionDenied("Not this part.")


def test_a_page_refusing_inside_its_view_is_audited_once(victor, north: Organisation):
    view: Callable[..., HttpResponse] = organisation_view("organisation.view_dashboard")(
        _refusing_page
    )
    request = RequestFactory().get("/o/north/some-part/")
    request.user = victor
    try:
        view(request, org="north")
    except PermissionDenied:
        pass
    else:
        raise AssertionError("the page should refuse")
    (event,) = refusals()
    assert (event.actor_id, event.organisation_id, event.outcome) == (
        victor.pk,
        north.pk,
        "forbidden",
    )
    assert event.details == {
        "path": "/o/north/some-part/",
        "permission": "organisation.view_dashboard",
    }


def _checking_again(request: HttpRequest) -> HttpResponse:
    # A body that asks ``authorise`` for a finer permission, which records its own refusal.
    authorise(request, request.user, "north", "audit.view")  # type: ignore[arg-type]
    return HttpResponse()


def test_a_refusal_recorded_by_authorise_inside_the_view_is_not_recorded_twice(
    victor, north: Organisation
):
    view: Callable[..., HttpResponse] = organisation_view("organisation.view_dashboard")(
        _checking_again
    )
    request = RequestFactory().get("/o/north/")
    request.user = victor
    with contextlib.suppress(PermissionDenied):
        view(request, org="north")
    (event,) = refusals()
    assert event.details == {"path": "/o/north/", "permission": "audit.view"}
