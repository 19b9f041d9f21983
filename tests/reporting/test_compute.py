"""A member's computed submission equals an independent count over its casework.

The independent count reads the casework tables directly in Python, row by row, with the
rules written out again here: supported in the period, statistics consent in force, new
when nothing happened before the period, and the rest.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.casework.models import Case, Consent, Person
from haven.helpline.models import HelplineCall
from haven.reporting.compute import compute_figures
from haven.reporting.schema import Figures, empty_figures
from haven.services.models import ServiceDelivery
from haven.shelter.models import Stay
from tests.reporting.conftest import build_casework

pytestmark = pytest.mark.django_db


def _consenting(organisation) -> set[object]:
    today = timezone.localdate()
    return {
        consent.person_id
        for consent in Consent.objects.filter(organisation=organisation, purpose="statistics")
        if consent.given_on <= today
        and (consent.withdrawn_on is None or consent.withdrawn_on > today)
    }


def independent_count(
    organisation, start: datetime.date, end: datetime.date
) -> tuple[Figures, dict[str, int]]:
    figures = empty_figures()
    with scopes_disabled():
        consenting = _consenting(organisation)
        persons = list(Person.objects.filter(organisation=organisation))
        deliveries = list(
            ServiceDelivery.objects.filter(organisation=organisation).select_related("service_type")
        )
        calls = list(HelplineCall.objects.filter(organisation=organisation))
        stays = list(Stay.objects.filter(organisation=organisation))
        cases = list(Case.objects.filter(organisation=organisation))
    household_members: dict[object, list[object]] = {}
    for person in persons:
        if person.household_id:
            household_members.setdefault(person.household_id, []).append(person.pk)

    def active(person, first: datetime.date, last: datetime.date) -> bool:
        for delivery in deliveries:
            if first <= delivery.delivered_on <= last and (
                delivery.person_id == person.pk
                or (delivery.household_id and delivery.household_id == person.household_id)
            ):
                return True
        for call in calls:
            day = timezone.localtime(call.started_at).date()
            if call.person_id == person.pk and first <= day <= last:
                return True
        for stay in stays:
            leaves = stay.ends_on or datetime.date.max
            if stay.person_id == person.pk and stay.starts_on <= last and leaves > first:
                return True
        for case in cases:
            closed = case.closed_on or datetime.date.max
            if case.person_id == person.pk and case.opened_on <= last and closed >= first:
                return True
        return False

    left_out: Counter[str] = Counter()
    for person in persons:
        if not active(person, start, end):
            continue
        if person.pk not in consenting:
            left_out["persons"] += 1
            continue
        new = not active(person, datetime.date(1900, 1, 1), start - datetime.timedelta(days=1))
        figures["persons.status", "new" if new else "continuing"] += 1
        figures["persons.gender", person.gender or "NonSpecifiedUnknown"] += 1
        figures["persons.age_band", person.age_band or "unknown"] += 1
        figures["persons.trafficking", person.trafficking_status or "unrecorded"] += 1
        sex_work = {True: "yes", False: "no", None: "unrecorded"}[person.in_sex_work]
        figures["persons.sex_work", sex_work] += 1
        figures["persons.sector", person.sector or "unrecorded"] += 1
        citizenship = person.citizenship[0] if person.citizenship else "unknown"
        figures.setdefault(("persons.citizenship", citizenship), Decimal(0))
        figures["persons.citizenship", citizenship] += 1
        for kind in person.exploitation_types[:2] or ["none"]:
            figures["persons.exploitation", kind] += 1

    served_persons: dict[str, set[object]] = {}
    served_households: dict[str, set[object]] = {}
    for delivery in deliveries:
        if not start <= delivery.delivered_on <= end:
            continue
        if delivery.person_id and delivery.person_id not in consenting:
            left_out["services"] += 1
            continue
        # Unlinked from someone who had refused (erasure, retention): still left out.
        if delivery.left_out_of_statistics:
            left_out["services"] += 1
            continue
        if delivery.household_id and any(
            member not in consenting for member in household_members.get(delivery.household_id, [])
        ):
            left_out["services"] += 1
            continue
        code = (
            delivery.service_type.code if delivery.service_type.organisation_id is None else "other"
        )
        figures["services.deliveries", code] += 1
        figures["services.quantity", code] += delivery.quantity
        if delivery.amount is not None:
            key = ("services.amount", f"{code}:{delivery.currency}")
            figures[key] = figures.get(key, Decimal(0)) + delivery.amount
        if delivery.person_id:
            served_persons.setdefault(code, set()).add(delivery.person_id)
        if delivery.household_id:
            served_households.setdefault(code, set()).add(delivery.household_id)
        figures["reach.people", code] += delivery.people_reached or 0
        figures["reach.households", code] += delivery.households_reached or 0
    for code, ids in served_persons.items():
        figures["services.persons", code] = Decimal(len(ids))
    for code, ids in served_households.items():
        figures["services.households", code] = Decimal(len(ids))

    for call in calls:
        day = timezone.localtime(call.started_at).date()
        if not start <= day <= end:
            continue
        if (call.person_id and call.person_id not in consenting) or call.left_out_of_statistics:
            left_out["calls"] += 1
            continue
        figures["calls.channel", call.channel] += 1
        figures["calls.caller_type", call.caller_type] += 1
        for topic in call.topics:
            figures["calls.topic", topic] += 1

    sheltered = set()
    following = end + datetime.timedelta(days=1)
    for stay in stays:
        leaves = stay.ends_on or following
        first, last = max(stay.starts_on, start), min(leaves, following)
        if last <= first:
            continue
        # A stay of an erased person names nobody: it counts, as one household per guest,
        # unless that person had refused.
        if (
            stay.person_id is not None and stay.person_id not in consenting
        ) or stay.left_out_of_statistics:
            left_out["stays"] += 1
            continue
        figures["shelter.nights", "nights"] += (last - first).days * (1 + stay.accompanying)
        sheltered.add(stay.person_id or stay.anonymous_guest)
    figures["shelter.households", "households"] = Decimal(len(sheltered))
    return figures, dict(left_out)


def test_a_computed_submission_equals_an_independent_count_of_the_casework(north, carol, quarter):
    build_casework(north, carol, quarter, persons=60)
    start, end = quarter
    computed = compute_figures(north, start, end)
    expected, left_out = independent_count(north, start, end)
    differences = {
        cell: (computed.figures.get(cell, Decimal(0)), value)
        for cell, value in {**expected, **computed.figures}.items()
        if computed.figures.get(cell, Decimal(0)) != expected.get(cell, Decimal(0))
    }
    assert not differences
    assert computed.left_out == {kind: left_out.get(kind, 0) for kind in computed.left_out}
    # The world is rich enough for the comparison to mean something.
    assert computed.figures["persons.status", "new"] > 0
    assert computed.figures["persons.status", "continuing"] > 0
    assert computed.left_out["persons"] > 0
    assert computed.figures["shelter.nights", "nights"] > 0
    assert computed.figures["services.deliveries", "other"] > 0


def test_persons_without_statistics_consent_are_counted_nowhere(north, carol, quarter):
    world = build_casework(north, carol, quarter, persons=30)
    start, end = quarter
    before = compute_figures(north, start, end)
    with scopes_disabled():
        Consent.objects.filter(person__in=world.persons, purpose="statistics").update(
            withdrawn_on=timezone.localdate()
        )
    after = compute_figures(north, start, end)
    persons = [cell for cell in after.figures if cell[0].startswith("persons.")]
    assert all(after.figures[cell] == 0 for cell in persons)
    assert after.figures["calls.caller_type", "person_concerned"] == 0
    assert after.figures["shelter.households", "households"] == 0
    assert after.left_out["persons"] > before.left_out["persons"]
    # Anonymous calls and group sessions name nobody, so they still count.
    assert after.figures["calls.topic", "information"] == 6
    assert after.figures["reach.people", "support_group"] > 0


def test_another_organisations_casework_never_counts(north, south, carol, quarter):
    from tests.conftest import make_user

    build_casework(south, make_user("sara", south, "caseworker"), quarter, persons=20)
    start, end = quarter
    computed = compute_figures(north, start, end)
    assert all(value == 0 for value in computed.figures.values())


def test_erasing_someone_who_refused_statistics_changes_no_figure(north, carol, quarter):
    """Their unlinked services, calls and stays name nobody, and still stay out (decision 43)."""
    from haven.casework.access import consenting_to_statistics
    from haven.records.actions import erase_person

    world = build_casework(north, carol, quarter, persons=40)
    start, end = quarter
    before = compute_figures(north, start, end)
    with scopes_disabled():
        consenting = consenting_to_statistics(north.pk, [person.pk for person in world.persons])
        # Half of them: the rest, still named, are left out alongside the erased ones.
        refusing = [person for person in world.persons if person.pk not in consenting][::2]
        given = {
            kind: model.objects.filter(person__in=refusing).count()
            for kind, model in (
                ("services", ServiceDelivery),
                ("calls", HelplineCall),
                ("stays", Stay),
            )
        }
        # The world is rich enough for the comparison to mean something.
        assert all(given.values()), given
        for person in refusing:
            erase_person(actor=carol, person=person, confirm_code=person.code)
    after = compute_figures(north, start, end)
    assert after.figures == before.figures
    for kind in ("services", "calls", "stays"):
        assert after.left_out[kind] == before.left_out[kind]
    expected, left_out = independent_count(north, start, end)
    assert {cell: value for cell, value in after.figures.items() if value} == {
        cell: value for cell, value in expected.items() if value
    }
    assert after.left_out == {kind: left_out.get(kind, 0) for kind in after.left_out}


def test_erasing_someone_who_consented_keeps_their_services_counted(north, carol, quarter):
    from haven.casework.access import consenting_to_statistics
    from haven.records.actions import erase_person

    world = build_casework(north, carol, quarter, persons=30)
    start, end = quarter
    before = compute_figures(north, start, end)
    with scopes_disabled():
        consenting = consenting_to_statistics(north.pk, [person.pk for person in world.persons])
        person = next(
            person
            for person in world.persons
            if person.pk in consenting
            and person.household_id is None
            and ServiceDelivery.objects.filter(
                person=person, delivered_on__range=(start, end)
            ).exists()
        )
        erase_person(actor=carol, person=person, confirm_code=person.code)
    after = compute_figures(north, start, end)
    deliveries = [cell for cell in before.figures if cell[0] == "services.deliveries"]
    assert sum(after.figures[cell] for cell in deliveries) == sum(
        before.figures[cell] for cell in deliveries
    )
    expected, _left_out = independent_count(north, start, end)
    assert {cell: value for cell, value in after.figures.items() if value} == {
        cell: value for cell, value in expected.items() if value
    }
