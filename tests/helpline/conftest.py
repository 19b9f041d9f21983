"""Helpline personas and people: olga answers north's helpline; persons with and without
casework consent, each with a canary name that must never show on helpline pages."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.models import Consent, Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import make_user

CANARY_NAME = "Canary-Zelda-4417"


@pytest.fixture
def olga(north: Organisation) -> User:
    return make_user("olga", north, Role.HELPLINE_OPERATOR)


def make_person(organisation: Organisation, code: str, *, consent: bool = True) -> Person:
    with scopes_disabled():
        person = Person.objects.create(
            organisation=organisation,
            code=code,
            given_name=CANARY_NAME,
            phone="+33 6 00 00 44 17",
            last_activity_at=timezone.now() - datetime.timedelta(days=30),
        )
        if consent:
            Consent.objects.create(
                organisation=organisation,
                person=person,
                purpose="casework",
                given_on=timezone.localdate() - datetime.timedelta(days=30),
                method="verbal",
            )
    return person


@pytest.fixture
def person(north: Organisation) -> Person:
    return make_person(north, "P-0042")


@pytest.fixture
def person_without_consent(north: Organisation) -> Person:
    return make_person(north, "P-0099", consent=False)


def make_call(organisation: Organisation, operator: User | None, **fields: Any) -> HelplineCall:
    values: dict[str, Any] = {
        "started_at": timezone.now() - datetime.timedelta(minutes=20),
        "duration_minutes": 12,
        "caller_type": "person_concerned",
        "outcome": "information_given",
        "topics": ["housing"],
        **fields,
    }
    with scopes_disabled():
        return HelplineCall.objects.create(organisation=organisation, operator=operator, **values)


def call_form(**overrides: Any) -> dict[str, Any]:
    """A full console submission, as a browser sends it."""
    # This minute: the call is today's whenever the test runs.
    started = timezone.localtime()
    data: dict[str, Any] = {
        "caller_type": "relative",
        "topics": ["violence", "housing"],
        "outcome": "referred_external",
        "duration_minutes": "14",
        "channel": "sms",
        "language": "fr",
        "started_at": started.strftime("%Y-%m-%dT%H:%M"),
        "follow_up_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        "person_code": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def audit_events(action: str, **filters: Any) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))
