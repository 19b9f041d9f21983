"""A person's first day of support, kept on the person for coalition statistics, stays equal
to what their records say through every action that records, corrects, removes or unlinks
support, or moves a person between households; and "new" or "continuing" in a computed
submission stays equal to the independent count over the casework (tests/reporting/
test_compute.py) with histories, erasure, retention and withdrawn consent.
"""

from __future__ import annotations

import datetime
import importlib
import random
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions as casework
from haven.casework.models import Case, Consent, Household, Person
from haven.helpline import actions as helpline
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.records.actions import apply_retention_to, erase_person
from haven.reporting.compute import compute_figures
from haven.services import actions as services
from haven.services.models import ServiceDelivery
from haven.shelter import actions as shelter
from haven.shelter.models import Stay
from tests.reporting.conftest import LONG_AGO, default_type
from tests.reporting.test_compute import independent_count

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_north(north: Organisation) -> Iterator[None]:
    # As a request of north's staff would be.
    with scope(organisation=north):
        yield


def expected_first_days(organisation: Organisation) -> dict[object, datetime.date | None]:
    """Each person's first day of support, read from every record in Python."""
    with scopes_disabled():
        persons = list(Person.objects.filter(organisation=organisation))
        deliveries = list(ServiceDelivery.objects.filter(organisation=organisation))
        calls = list(HelplineCall.objects.filter(organisation=organisation))
        stays = list(Stay.objects.filter(organisation=organisation))
        cases = list(Case.objects.filter(organisation=organisation))
    firsts: dict[object, datetime.date | None] = {}
    for person in persons:
        days = [
            delivery.delivered_on
            for delivery in deliveries
            if delivery.person_id == person.pk
            or (delivery.household_id and delivery.household_id == person.household_id)
        ]
        days += [
            timezone.localtime(call.started_at).date()
            for call in calls
            if call.person_id == person.pk
        ]
        days += [stay.starts_on for stay in stays if stay.person_id == person.pk]
        days += [case.opened_on for case in cases if case.person_id == person.pk]
        firsts[person.pk] = min(days, default=None)
    return firsts


def stored_first_days(organisation: Organisation) -> dict[object, datetime.date | None]:
    with scopes_disabled():
        return dict(
            Person.objects.filter(organisation=organisation).values_list("pk", "first_activity_on")
        )


def assert_submission_matches_the_casework(
    organisation: Organisation, quarter: tuple[datetime.date, datetime.date]
) -> None:
    start, end = quarter
    computed = compute_figures(organisation, start, end)
    expected, left_out = independent_count(organisation, start, end)
    differences = {
        cell: (computed.figures.get(cell, Decimal(0)), value)
        for cell, value in {**expected, **computed.figures}.items()
        if computed.figures.get(cell, Decimal(0)) != expected.get(cell, Decimal(0))
    }
    assert not differences
    assert computed.left_out == {kind: left_out.get(kind, 0) for kind in computed.left_out}


class Walk:
    """Random support recorded, corrected and removed through the actions, as staff do."""

    def __init__(
        self, organisation: Organisation, staff: User, quarter: tuple[datetime.date, datetime.date]
    ) -> None:
        self.organisation = organisation
        self.staff = staff
        self.start, self.end = quarter
        self.rng = random.Random()
        self.food = default_type("food_parcel")
        self.facility = shelter.create_facility(
            actor=staff, organisation=organisation, name="House", beds=30
        )
        self.persons: list[Person] = []
        self.households: list[Household] = []
        for index in range(10):
            person = casework.create_person(
                actor=staff,
                organisation=organisation,
                values={"gender": "Feminine"},
                consent_given_on=LONG_AGO,
                consent_method="written",
                new_household=index % 4 == 0,
            )
            if index % 3:
                casework.record_consent(
                    actor=staff,
                    person=person,
                    purpose="statistics",
                    given_on=LONG_AGO,
                    method="verbal",
                )
            self.persons.append(person)
            if person.household is not None:
                self.households.append(person.household)

    def day(self) -> datetime.date:
        # Mostly around the quarter's start, where "new" and "continuing" part.
        first = self.start - datetime.timedelta(days=40)
        return first + datetime.timedelta(days=self.rng.randint(0, (self.end - first).days))

    def moment(self) -> datetime.datetime:
        # Late in the evening too: a call counts on its day in the local time zone.
        hour = self.rng.choice([datetime.time(9), datetime.time(23, 40), datetime.time(0, 10)])
        return timezone.make_aware(datetime.datetime.combine(self.day(), hour))

    def person(self) -> Person:
        with scopes_disabled():
            return Person.objects.get(pk=self.rng.choice(self.persons).pk)

    def living(self) -> list[Person]:
        with scopes_disabled():
            self.persons = list(Person.objects.filter(organisation=self.organisation))
        return self.persons

    def some(self, model: type) -> object | None:
        with scopes_disabled():
            rows = list(model.objects.filter(organisation=self.organisation))  # type: ignore[attr-defined]
        return self.rng.choice(rows) if rows else None

    # The steps -------------------------------------------------------------------------

    def serve_person(self) -> None:
        services.record_delivery(
            actor=self.staff,
            organisation=self.organisation,
            service_type=self.food,
            delivered_on=self.day(),
            person=self.person(),
        )

    def serve_household(self) -> None:
        with scopes_disabled():
            households = list(Household.objects.filter(organisation=self.organisation))
        if households:
            services.record_delivery(
                actor=self.staff,
                organisation=self.organisation,
                service_type=self.food,
                delivered_on=self.day(),
                household=self.rng.choice(households),
            )

    def redate_delivery(self) -> None:
        delivery = self.some(ServiceDelivery)
        if isinstance(delivery, ServiceDelivery):
            services.update_delivery(
                actor=self.staff, delivery=delivery, changes={"delivered_on": self.day()}
            )

    def give_delivery_to_another(self) -> None:
        delivery = self.some(ServiceDelivery)
        if isinstance(delivery, ServiceDelivery) and delivery.person_id:
            services.update_delivery(
                actor=self.staff, delivery=delivery, changes={"person": self.person()}
            )

    def delete_delivery(self) -> None:
        delivery = self.some(ServiceDelivery)
        if isinstance(delivery, ServiceDelivery):
            services.delete_delivery(actor=self.staff, delivery=delivery)

    def call(self) -> None:
        helpline.log_call(
            actor=self.staff,
            organisation=self.organisation,
            caller_type="person_concerned",
            outcome="support_given",
            started_at=self.moment(),
            duration_minutes=4,
            person=self.person(),
        )

    def relink_call(self) -> None:
        call = self.some(HelplineCall)
        if isinstance(call, HelplineCall):
            changes: list[dict[str, object]] = [
                {"person": self.person()},
                {"person": None},
                {"started_at": self.moment()},
            ]
            change = self.rng.choice(changes)
            helpline.update_call(actor=self.staff, call=call, changes=change)

    def stay(self) -> None:
        arrives = self.day()
        shelter.book_stay(
            actor=self.staff,
            facility=self.facility,
            person=self.person(),
            starts_on=arrives,
            ends_on=arrives + datetime.timedelta(days=self.rng.randint(1, 20)),
        )

    def move_stay(self) -> None:
        stay = self.some(Stay)
        if isinstance(stay, Stay):
            ends = stay.ends_on or self.end
            arrives = ends - datetime.timedelta(days=self.rng.randint(1, 30))
            shelter.change_stay(actor=self.staff, stay=stay, changes={"starts_on": arrives})

    def cancel_stay(self) -> None:
        stay = self.some(Stay)
        if isinstance(stay, Stay):
            shelter.cancel_stay(actor=self.staff, stay=stay)

    def open_case(self) -> None:
        casework.open_case(actor=self.staff, person=self.person(), opened_on=self.day())

    def redate_case(self) -> None:
        case = self.some(Case)
        if isinstance(case, Case):
            with scopes_disabled():
                case = Case.objects.select_related("person", "organisation").get(pk=case.pk)
            casework.update_case(actor=self.staff, case=case, values={"opened_on": self.day()})

    def join_household(self) -> None:
        with scopes_disabled():
            households = list(Household.objects.filter(organisation=self.organisation))
        if households:
            casework.add_to_household(
                actor=self.staff, household=self.rng.choice(households), person=self.person()
            )

    def leave_household(self) -> None:
        person = self.person()
        if person.household is not None:
            casework.remove_from_household(
                actor=self.staff, household=person.household, person=person
            )

    def new_household(self) -> None:
        casework.create_household(
            actor=self.staff, organisation=self.organisation, members=[self.person()]
        )

    def withdraw_consent(self) -> None:
        with scopes_disabled():
            consent = (
                Consent.objects.filter(
                    organisation=self.organisation, purpose="statistics", withdrawn_on__isnull=True
                )
                .select_related("person")
                .first()
            )
        if consent is not None:
            casework.withdraw_consent(actor=self.staff, consent=consent)

    def erase(self) -> None:
        if len(self.living()) > 4:
            person = self.person()
            erase_person(actor=self.staff, person=person, confirm_code=person.code)
            self.living()

    def retention(self) -> None:
        # Calls older than about two months lose their person.
        apply_retention_to(
            organisation=self.organisation, person_months=0, call_months=2, now=timezone.now()
        )

    def steps(self) -> list[Callable[[], None]]:
        return [
            self.serve_person,
            self.serve_person,
            self.serve_household,
            self.redate_delivery,
            self.give_delivery_to_another,
            self.delete_delivery,
            self.call,
            self.relink_call,
            self.stay,
            self.move_stay,
            self.cancel_stay,
            self.open_case,
            self.redate_case,
            self.join_household,
            self.leave_household,
            self.new_household,
            self.withdraw_consent,
            self.erase,
            self.retention,
        ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_first_day_of_support_follows_every_action(north, carol, quarter, seed):
    walk = Walk(north, carol, quarter)
    walk.rng.seed(seed)
    steps = walk.steps()
    done = []
    for _index in range(60):
        step = walk.rng.choice(steps)
        try:
            step()
        except ValidationError:
            continue  # refused (a full shelter, a closed case…): changes nothing
        done.append(step.__name__)
        assert stored_first_days(north) == expected_first_days(north), done
    assert len(set(done)) > 12
    assert_submission_matches_the_casework(north, quarter)


def test_a_person_whose_only_earlier_service_is_deleted_becomes_new(north, carol, quarter):
    start, _end = quarter
    walk = Walk(north, carol, quarter)
    with scope(organisation=north):
        person = Person.objects.get(pk=walk.persons[1].pk)
    before = services.record_delivery(
        actor=carol,
        organisation=north,
        service_type=walk.food,
        delivered_on=start - datetime.timedelta(days=3),
        person=person,
    )
    services.record_delivery(
        actor=carol, organisation=north, service_type=walk.food, delivered_on=start, person=person
    )
    assert compute_figures(north, *quarter).figures["persons.status", "continuing"] == 1
    services.delete_delivery(actor=carol, delivery=before)
    figures = compute_figures(north, *quarter).figures
    assert figures["persons.status", "continuing"] == 0
    assert figures["persons.status", "new"] == 1
    assert_submission_matches_the_casework(north, quarter)


def test_joining_a_household_served_before_makes_a_person_continuing(north, carol, quarter):
    start, _end = quarter
    walk = Walk(north, carol, quarter)
    with scope(organisation=north):
        household = Household.objects.get(pk=walk.households[0].pk)
        newcomer = Person.objects.get(pk=walk.persons[2].pk)
    services.record_delivery(
        actor=carol,
        organisation=north,
        service_type=walk.food,
        delivered_on=start - datetime.timedelta(days=100),
        household=household,
    )
    services.record_delivery(
        actor=carol, organisation=north, service_type=walk.food, delivered_on=start, person=newcomer
    )
    assert stored_first_days(north)[newcomer.pk] == start
    casework.add_to_household(actor=carol, household=household, person=newcomer)
    assert stored_first_days(north)[newcomer.pk] == start - datetime.timedelta(days=100)
    assert_submission_matches_the_casework(north, quarter)
    casework.remove_from_household(actor=carol, household=household, person=newcomer)
    assert stored_first_days(north)[newcomer.pk] == start
    assert_submission_matches_the_casework(north, quarter)


def test_retention_unlinking_an_old_call_makes_its_person_new(north, carol, quarter):
    start, _end = quarter
    walk = Walk(north, carol, quarter)
    with scope(organisation=north):
        person = Person.objects.get(pk=walk.persons[1].pk)
    helpline.log_call(
        actor=carol,
        organisation=north,
        caller_type="person_concerned",
        outcome="support_given",
        started_at=timezone.make_aware(
            datetime.datetime.combine(start - datetime.timedelta(days=2), datetime.time(12))
        ),
        duration_minutes=4,
        person=person,
    )
    services.record_delivery(
        actor=carol, organisation=north, service_type=walk.food, delivered_on=start, person=person
    )
    assert compute_figures(north, *quarter).figures["persons.status", "continuing"] == 1
    days_since = (timezone.localdate() - start).days + 1
    apply_retention_to(
        organisation=north,
        person_months=0,
        call_months=max(1, days_since // 31),
        now=timezone.now(),
    )
    assert stored_first_days(north)[person.pk] == start
    assert compute_figures(north, *quarter).figures["persons.status", "new"] == 1
    assert_submission_matches_the_casework(north, quarter)


def test_erasing_a_household_member_keeps_the_others_history(north, carol, dana, quarter):
    start, _end = quarter
    walk = Walk(north, carol, quarter)
    with scope(organisation=north):
        household = Household.objects.get(pk=walk.households[0].pk)
        first, second = (Person.objects.get(pk=walk.persons[index].pk) for index in (1, 2))
    for member in (first, second):
        casework.add_to_household(actor=carol, household=household, person=member)
    services.record_delivery(
        actor=carol,
        organisation=north,
        service_type=walk.food,
        delivered_on=start - datetime.timedelta(days=9),
        household=household,
    )
    for member in (first, second):
        services.record_delivery(
            actor=carol,
            organisation=north,
            service_type=walk.food,
            delivered_on=start,
            person=member,
        )
    with scope(organisation=north):
        first = Person.objects.get(pk=first.pk)
    erase_person(actor=dana, person=first, confirm_code=first.code)
    assert stored_first_days(north)[second.pk] == start - datetime.timedelta(days=9)
    assert stored_first_days(north) == expected_first_days(north)
    assert_submission_matches_the_casework(north, quarter)


def test_the_first_days_filled_for_existing_records_equal_the_kept_ones(north, carol, quarter):
    walk = Walk(north, carol, quarter)
    walk.rng.seed(9)
    for _index in range(30):
        try:
            walk.rng.choice(walk.steps()[:16])()
        except ValidationError:
            continue
    kept = stored_first_days(north)
    assert any(day is not None for day in kept.values())
    with scopes_disabled():
        Person.objects.update(first_activity_on=None)
        # What the migration that added the column does for records already there.
        importlib.import_module("haven.casework.migrations.0004_person_first_activity_on").fill(
            django_apps, None
        )
    assert stored_first_days(north) == kept


def test_a_changed_name_is_found_by_its_new_name_and_activity_is_kept(north, carol, quarter):
    from haven.casework.access import PersonFilters, search_persons

    start, _end = quarter
    walk = Walk(north, carol, quarter)
    stale = Person.objects.get(pk=walk.persons[1].pk)  # read before the service below
    services.record_delivery(
        actor=carol, organisation=north, service_type=walk.food, delivered_on=start, person=stale
    )
    casework.update_person(actor=carol, person=stale, values={"given_name": "Renamed"})
    found = search_persons(north, PersonFilters(name="Renamed"))
    assert [person.pk for person in found] == [stale.pk]
    # The update wrote only the name: the first day recorded meanwhile stays.
    assert stored_first_days(north)[stale.pk] == start
