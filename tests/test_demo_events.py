"""The demo's events: the reference events re-created around today."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.demo import FRONTLINE, GLOBAL, build_demo
from haven.demo_events import (
    COLLOQUIUM,
    COLLOQUIUM_CAPACITY,
    COLLOQUIUM_REGISTRANTS,
    EVENING,
    PAST,
    SIDE_EVENT,
)
from haven.events import actions
from haven.events.models import (
    Event,
    EventStatus,
    PartnerRole,
    RegistrationStatus,
    SessionKind,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_four_reference_events() -> None:
    build_demo(1, casework=False)
    now = timezone.now()
    with scopes_disabled():
        events = {event.title: event for event in Event.objects.select_related("owner")}
        assert {SIDE_EVENT, EVENING, COLLOQUIUM, PAST} <= set(events)
        assert all(event.status == EventStatus.PUBLISHED for event in events.values())

        side = events[SIDE_EVENT]
        assert side.online
        assert not side.in_person
        assert side.owner.slug == GLOBAL
        assert side.languages == ["en", "fr", "es", "de"]
        partners = {(p.organisation.short_name, p.role) for p in side.partners.all()}
        assert {(name, PartnerRole.CO_SPONSOR) for name in ("France", "Iceland", "Sweden")} <= (
            partners
        )
        assert ("OHCHR", PartnerRole.COOPERATION) in partners
        assert actions.secret_of(side).meeting_url.startswith("https://")
        assert side.registrations.count() == 3

        evening = events[EVENING]
        assert evening.owner.slug == FRONTLINE
        assert evening.id_check
        assert evening.interpretation == ["en", "fr"]
        assert evening.questions.count() == 5
        assert evening.registrations.filter(checked_in_at__isnull=False).count() == 3

        colloquium = events[COLLOQUIUM]
        kinds = list(colloquium.sessions.order_by("starts_at").values_list("kind", flat=True))
        assert kinds.count(SessionKind.ROUND_TABLE) == 3
        assert kinds[-1] == SessionKind.PRESS_CONFERENCE

        past = events[PAST]
        assert past.ends_at < now < side.starts_at
        assert past.recording_url.startswith("https://")


def test_the_full_demo_event_has_a_waiting_list() -> None:
    build_demo(1, casework=False)
    with scopes_disabled():
        colloquium = Event.objects.get(title=COLLOQUIUM)
        statuses = list(colloquium.registrations.values_list("status", flat=True))
    assert colloquium.places_taken == COLLOQUIUM_CAPACITY
    assert statuses.count(RegistrationStatus.CONFIRMED) == COLLOQUIUM_CAPACITY
    assert statuses.count(RegistrationStatus.WAITING) == (
        COLLOQUIUM_REGISTRANTS - COLLOQUIUM_CAPACITY
    )


def test_the_meeting_link_is_never_on_the_public_page() -> None:
    build_demo(1, casework=False)
    with scopes_disabled():
        side = Event.objects.select_related("owner").get(title=SIDE_EVENT)
        secret = actions.secret_of(side)
    page = Client().get(f"/events/{side.owner.slug}/{side.slug}/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Championing the elimination" in content
    assert secret.meeting_url not in content
    assert "meet.example.test" not in content
