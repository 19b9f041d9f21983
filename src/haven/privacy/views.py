"""The data protection officer's view of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.privacy import audit
from haven.privacy.access import (
    applied_filters,
    audit_events_for,
    audit_outcomes_for,
    usernames_of_subjects,
)
from haven.privacy.forms import AuditFilterForm
from haven.privacy.models import AuditEvent, outcome_label

PAGE_SIZE = 50


@dataclass(frozen=True)
class TrailRow:
    event: AuditEvent
    subject: str | None
    outcome: str
    details: list[tuple[str, str]]


def _shown(value: object) -> str:
    if value is None or value in ("", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value)
    return str(value)


def _rows(events: list[AuditEvent]) -> list[TrailRow]:
    subjects = usernames_of_subjects(events)
    return [
        TrailRow(
            event=event,
            subject=subjects.get(event.object_id) if event.object_type == "accounts.user" else None,
            outcome=outcome_label(event.outcome),
            details=[(key, _shown(value)) for key, value in sorted(event.details.items())],
        )
        for event in events
    ]


@organisation_view("audit.view")
@require_GET
def audit_trail(request: OrganisationRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, outcomes=audit_outcomes_for(request.organisation))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "organisation": request.organisation, "query": query.urlencode()}
    if form.is_bound and not form.is_valid():
        # Nothing is shown for filters we cannot read, so nothing was viewed either.
        return render(request, "privacy/audit_trail.html", {**context, "page": None}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    page = Paginator(audit_events_for(request.organisation, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Read the page now: the paginator sized it before this view's own event is appended.
    rows = _rows(list(page.object_list))
    audit.record(
        "audit.viewed",
        actor=request.user,
        organisation=request.organisation,
        details={**applied_filters(filters), "page": page.number},
        request=request,
    )
    return render(request, "privacy/audit_trail.html", {**context, "page": page, "rows": rows})
