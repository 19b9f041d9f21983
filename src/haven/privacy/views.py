"""The data protection officer's view of the audit trail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.privacy import audit
from haven.privacy.access import audit_events_for
from haven.privacy.forms import AuditFilterForm


@organisation_view("audit.view")
@require_GET
def audit_trail(request: OrganisationRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        events = audit_events_for(request.organisation, {})
        status = 400
    else:
        events = audit_events_for(request.organisation, form.cleaned_data if form.is_bound else {})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    audit.record(
        "audit.viewed", actor=request.user, organisation=request.organisation, request=request
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "privacy/audit_trail.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "organisation": request.organisation,
        },
        status=status,
    )
