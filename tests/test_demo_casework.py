"""Demo casework: realistic, varied, neutral in what it records, and the same for a seed."""

from __future__ import annotations

import datetime
import itertools
import re
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.casework.actions import CODE_DIGITS
from haven.casework.models import Case, Consent, OrganisationSettings, Person
from haven.demo import build_demo
from haven.demo_casework import BUSY_CALLS, BUSY_HELPLINE, build_casework
from haven.helpline.models import HelplineCall
from haven.organisations.models import Membership, Network, Organisation
from haven.services.catalogue import DEFAULT_SERVICES
from haven.services.models import ServiceDelivery
from haven.shelter.models import Facility, Stay
from tests.conftest import make_organisation

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


class _Undo(Exception):
    pass


def _small_world() -> None:
    network_org = make_organisation("net", kind="network")
    network = Network.objects.create(organisation=network_org, slug="global-coalition")
    for slug, country in (("harbour-light", "GB"), ("lantern-path", "IN")):
        member = make_organisation(slug, country=country, city="Town", languages=["en", "hi"])
        Membership.objects.create(network=network, organisation=member, category="member")


def _snapshot() -> tuple[list[Any], ...]:
    with scopes_disabled():
        persons = sorted(
            (
                (person.code, person.gender, person.age_band, person.in_sex_work,
                 person.trafficking_status, person.sector, person.given_name)
                for person in Person.objects.all()
            ),
            key=repr,
        )  # fmt: skip
        services = sorted(
            ServiceDelivery.objects.values_list(
                "organisation__slug", "service_type__code", "delivered_on", "person__code",
                "household__code", "quantity", "amount", "currency", "channel", "people_reached",
            ), key=repr
        )  # fmt: skip
        calls = sorted(
            HelplineCall.objects.values_list("started_at", "duration_minutes", "person__code"),
            key=repr,
        )
        stays = sorted(Stay.objects.values_list("facility__name", "person__code", "starts_on"))
    return persons, services, calls, stays


def _build_and_undo(seed: int) -> tuple[list[Any], ...]:
    try:
        with transaction.atomic():
            build_casework(seed, today=TODAY)
            snapshot = _snapshot()
            raise _Undo
    except _Undo:
        pass
    return snapshot


def test_the_same_seed_gives_the_same_casework_and_another_seed_differs() -> None:
    _small_world()
    first, again, other = _build_and_undo(3), _build_and_undo(3), _build_and_undo(4)
    assert first == again
    assert first[1] != other[1]
    assert len(first[1]) >= 2000


def test_the_demo_has_realistic_casework_for_its_frontline_members() -> None:
    build_demo(1, casework=True)
    with scopes_disabled():
        per_member = dict(
            ServiceDelivery.objects.values_list("organisation__slug").annotate(n=Count("id"))
        )
        assert sum(1 for count in per_member.values() if count >= 1000) >= 5
        assert "quiet-harbour-fund" not in per_member  # a funder supports nobody directly
        used = set(ServiceDelivery.objects.values_list("service_type__code", flat=True))
        assert {service.code for service in DEFAULT_SERVICES} <= used
        spread = ServiceDelivery.objects.values_list("delivered_on", flat=True)
        assert (max(spread) - min(spread)).days >= 700
        assert ServiceDelivery.objects.filter(households_reached__gte=2400, city="Kolkata").exists()
        assert ServiceDelivery.objects.filter(
            person__isnull=True, household__isnull=True, people_reached__gt=0,
            service_type__code="support_group", channel="online",
        ).exists()  # fmt: skip
        currencies = set(
            ServiceDelivery.objects.exclude(currency="").values_list("currency", flat=True)
        )
        assert {"GBP", "EUR", "INR", "KES"} <= currencies
        phone_support = ServiceDelivery.objects.filter(
            service_type__code__in=["psychological_support", "legal_support"], channel="phone"
        )
        assert phone_support.values("language").distinct().count() >= 5

        persons = Person.objects.all()
        assert 40 * len(per_member) <= persons.count() <= 150 * len(per_member)
        in_sex_work = persons.filter(in_sex_work=True)
        assert in_sex_work.filter(trafficking_status="").count() > 50
        trafficked = persons.filter(
            trafficking_status__in=["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking"]
        )
        sectors = set(trafficked.values_list("sector", flat=True))
        assert {
            "A_AgricultureForestryAndFishing",
            "F_Construction",
            "T_ActivitiesOfHouseholdsAsEmployers",
        } <= sectors
        assert not trafficked.filter(exploitation_types=[]).exists()
        # Trafficking is recorded as its own fact, with what staff found; never assumed.
        assert in_sex_work.filter(trafficking_status="NotAVictimOfTrafficking").exists()
        assert not trafficked.filter(in_sex_work=True, sector="").exists()

        consents = Consent.objects.filter(purpose="casework")
        assert consents.count() >= 0.8 * persons.count()
        assert Consent.objects.filter(purpose="statistics").count() >= 0.4 * persons.count()
        served = set(
            ServiceDelivery.objects.filter(person__isnull=False).values_list("person", flat=True)
        )
        consented = set(consents.values_list("person", flat=True))
        assert served <= consented

        words = set(OrganisationSettings.objects.values_list("terminology", flat=True))
        assert len(words) >= 4

        busy = HelplineCall.objects.filter(organisation__slug=BUSY_HELPLINE)
        assert busy.count() >= BUSY_CALLS
        by_day = sorted(busy.values_list("started_at", flat=True))
        best_window = max(
            sum(1 for moment in by_day if start <= moment < start + datetime.timedelta(days=28))
            for start in by_day[:: max(len(by_day) // 200, 1)]
        )
        assert best_window >= 1000
        for facility in Facility.objects.all():
            assert Stay.objects.filter(facility=facility).exists()
        assert Stay.objects.filter(family_room=True, accompanying__gt=0).exists()
        # The demo keeps the app's own rules: one bed a night per person, codes as the app
        # gives them, nothing recorded ahead of now.
        far = datetime.date.max
        stays: dict[Any, list[tuple[datetime.date, datetime.date]]] = {}
        for person, starts, ends in Stay.objects.values_list("person", "starts_on", "ends_on"):
            stays.setdefault(person, []).append((starts, ends or far))
        for spans in stays.values():
            spans.sort()
            assert all(ended <= begun for (_s, ended), (begun, _e) in itertools.pairwise(spans))
        width = re.compile(rf"[A-Z]+-\d{{{CODE_DIGITS}}}")
        assert all(width.fullmatch(code) for code in persons.values_list("code", flat=True))
        assert not HelplineCall.objects.filter(started_at__gt=timezone.now()).exists()
        assert not Case.objects.filter(follow_up_on__lt=F("opened_on")).exists()

        identifying = Person.objects.exclude(given_name_index="")[:20]
        assert all("(demo)" in person.given_name for person in identifying)
        assert all(
            person.phone.startswith("+000")
            for person in Person.objects.exclude(phone_index="")[:20]
        )
    assert Organisation.objects.filter(slug=BUSY_HELPLINE).exists()
