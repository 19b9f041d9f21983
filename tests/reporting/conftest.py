"""Reporting fixtures: a quarter of the coalition, and north's casework in and around it.

Casework is recorded through the casework, services, helpline and shelter actions, the way
staff record it, with persons who did and did not consent to coalition statistics.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions as casework
from haven.casework.models import Household, Person
from haven.helpline import actions as helpline
from haven.organisations.models import Network, Organisation
from haven.reporting.models import ReportingPeriod
from haven.reporting.periods import period_end, previous_periods
from haven.services import actions as services
from haven.services.catalogue import DEFAULT_SERVICES
from haven.services.models import ServiceType
from haven.shelter import actions as shelter
from tests.reporting.helpers import open_period

LONG_AGO = datetime.date(2024, 1, 8)


def last_quarter() -> tuple[datetime.date, datetime.date]:
    start = previous_periods("quarter", timezone.localdate(), 1)[0]
    return start, period_end("quarter", start)


@pytest.fixture
def quarter() -> tuple[datetime.date, datetime.date]:
    return last_quarter()


@pytest.fixture
def period(
    cora: User, coalition: Network, quarter: tuple[datetime.date, datetime.date]
) -> ReportingPeriod:
    """Last quarter, asked of the coalition's members (north; south is only a partner)."""
    return open_period(cora, coalition, quarter[0])


@pytest.fixture
def plain_period(
    cora: User, coalition: Network, quarter: tuple[datetime.date, datetime.date]
) -> ReportingPeriod:
    """Last quarter without differential privacy: figures leave as computed."""
    return open_period(cora, coalition, quarter[0], epsilon=Decimal(0), budget=Decimal(0))


def default_type(code: str) -> ServiceType:
    """A service of the default catalogue; it comes from a data migration, which the flush
    after a transactional (browser) test empties, so it is put back if need be."""
    service = next(service for service in DEFAULT_SERVICES if service.code == code)
    found, _created = ServiceType.objects.get_or_create(
        organisation=None,
        code=code,
        defaults={
            "name": str(service.name),
            "category": service.category,
            "unit": service.unit,
            "counts_money": service.counts_money,
        },
    )
    return found


@dataclass
class Casework:
    persons: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def build_casework(
    organisation: Organisation,
    staff: User,
    quarter: tuple[datetime.date, datetime.date],
    *,
    persons: int = 40,
    seed: int = 6,
) -> Casework:
    """Persons of every kind, half with statistics consent, and their services, calls,
    cases and stays before, during and after the quarter."""
    rng = random.Random(seed)
    start, end = quarter
    world = Casework()
    genders = ["Feminine", "Masculine", "TransgenderFeminine", ""]
    ages = ["18-24", "25-34", "35-49", ""]
    kinds = [[], ["SexualExploitation"], ["ForcedLabour", "Servitude"],
             ["ForcedLabour", "ForcedBegging", "Other"]]  # fmt: skip
    food, rent, group = (
        default_type(code) for code in ("food_parcel", "emergency_rent", "support_group")
    )
    own = services.create_service_type(
        actor=staff, organisation=organisation, name="Bike repair", category="other", unit="bike"
    )
    facility = shelter.create_facility(
        actor=staff, organisation=organisation, name="House", beds=30
    )
    with scope(organisation=organisation):
        for index in range(persons):
            values = {
                "gender": rng.choice(genders),
                "age_band": rng.choice(ages),
                "citizenship": rng.choice([[], ["FR"], ["RO", "FR"], ["NG"]]),
                "trafficking_status": rng.choice(
                    ["", "PossibleVictimOfTrafficking", "ActualVictimOfTrafficking"]
                ),
                "exploitation_types": rng.choice(kinds),
                "sector": rng.choice(["", "F_Construction", "S_OtherServiceActivities"]),
                "in_sex_work": rng.choice([True, False, None]),
            }
            person = casework.create_person(
                actor=staff,
                organisation=organisation,
                values=values,
                consent_given_on=LONG_AGO,
                consent_method="written",
                new_household=index % 9 == 0,
            )
            world.persons.append(person)
            if index % 2 == 0:
                casework.record_consent(
                    actor=staff,
                    person=person,
                    purpose="statistics",
                    given_on=LONG_AGO,
                    method="verbal",
                )
            if index % 13 == 0:
                # Given, then withdrawn: no longer counted.
                consent = (
                    casework.record_consent(
                        actor=staff,
                        person=person,
                        purpose="statistics",
                        given_on=LONG_AGO,
                        method="verbal",
                    )
                    if index % 2
                    else None
                )
                if consent is not None:
                    casework.withdraw_consent(actor=staff, consent=consent)
            if person.household is not None:
                world.households.append(person.household)
            roll = rng.random()
            when = (
                _day(rng, start, end)
                if roll < 0.7
                else _day(rng, LONG_AGO, start - datetime.timedelta(days=1))
            )
            for _ in range(rng.randint(0, 3)):
                services.record_delivery(
                    actor=staff,
                    organisation=organisation,
                    service_type=rng.choice([food, own]),
                    delivered_on=when,
                    person=person,
                    quantity=Decimal(rng.randint(1, 3)),
                )
            if rng.random() < 0.3:
                services.record_delivery(
                    actor=staff,
                    organisation=organisation,
                    service_type=rent,
                    delivered_on=_day(rng, start, end),
                    person=person,
                    amount=Decimal(rng.randint(50, 500)),
                    currency=rng.choice(["EUR", "GBP"]),
                )
            if rng.random() < 0.25:
                earlier = _day(rng, LONG_AGO, start - datetime.timedelta(days=1))
                services.record_delivery(
                    actor=staff,
                    organisation=organisation,
                    service_type=food,
                    delivered_on=earlier,
                    person=person,
                )
            if rng.random() < 0.2:
                helpline.log_call(
                    actor=staff,
                    organisation=organisation,
                    caller_type="person_concerned",
                    outcome="support_given",
                    started_at=timezone.make_aware(
                        datetime.datetime.combine(_day(rng, start, end), datetime.time(10))
                    ),
                    duration_minutes=5,
                    channel=rng.choice(["phone", "chat"]),
                    topics=rng.choice([["housing"], ["money", "health"]]),
                    person=person,
                )
            if rng.random() < 0.2:
                casework.open_case(actor=staff, person=person, opened_on=_day(rng, LONG_AGO, end))
            if rng.random() < 0.15:
                arrives = _day(rng, start - datetime.timedelta(days=20), end)
                shelter.book_stay(
                    actor=staff,
                    facility=facility,
                    person=person,
                    starts_on=arrives,
                    ends_on=arrives + datetime.timedelta(days=rng.randint(1, 40)),
                    accompanying=rng.randint(0, 2),
                )
        for household in {h.pk: h for h in world.households}.values():
            services.record_delivery(
                actor=staff,
                organisation=organisation,
                service_type=food,
                delivered_on=_day(rng, start, end),
                household=household,
            )
        for _ in range(6):
            services.record_delivery(
                actor=staff,
                organisation=organisation,
                service_type=group,
                delivered_on=_day(rng, start, end),
                people_reached=rng.randint(3, 20),
            )
            helpline.log_call(
                actor=staff,
                organisation=organisation,
                caller_type=rng.choice(["public", "relative"]),
                outcome="information_given",
                started_at=timezone.make_aware(
                    datetime.datetime.combine(_day(rng, start, end), datetime.time(15))
                ),
                duration_minutes=3,
                topics=["information"],
            )
    return world


@pytest.fixture
def unscoped() -> Iterator[None]:
    with scopes_disabled():
        yield
