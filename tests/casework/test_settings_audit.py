"""Changes of the casework settings in the audit trail."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.access import settings_of
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for


def last_settings_change() -> AuditEvent:
    with scopes_disabled():
        return AuditEvent.objects.filter(action="casework.settings_changed").latest("seq")


def test_a_retention_change_on_the_page_records_the_periods_before_and_after(
    north: Organisation, alice: User
) -> None:
    with scopes_disabled():
        before = settings_of(north)
    response = client_for(alice).post(
        reverse("casework_settings", kwargs={"org": "north"}),
        {
            "terminology": before.terminology,
            "code_prefix": "NS",
            "person_retention_months": 24,
            "call_retention_months": before.call_retention_months,
        },
    )
    assert response.status_code == 302
    assert last_settings_change().details == {
        "fields": ["code_prefix", "person_retention_months"],
        "person_retention_months_before": before.person_retention_months,
        "person_retention_months_after": 24,
        # A shortening: what the next run removes under the new periods (nobody here).
        "persons_deleted_at_next_run": 0,
        "calls_anonymised_at_next_run": 0,
    }


def test_a_retention_change_through_the_api_records_the_periods_before_and_after(
    north: Organisation, alice: User, client
) -> None:
    with scopes_disabled():
        before = settings_of(north).call_retention_months
    response = client.patch(
        "/api/orgs/north/casework/settings",
        {"call_retention_months": 6},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 200, response.content
    assert last_settings_change().details == {
        "fields": ["call_retention_months"],
        "call_retention_months_before": before,
        "call_retention_months_after": 6,
        "persons_deleted_at_next_run": 0,
        "calls_anonymised_at_next_run": 0,
    }
