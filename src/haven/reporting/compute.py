"""Members' figures for a period, computed from their casework.

Everything is read through the aggregate helpers of casework, services, helpline and
shelter (their ``access.py``), which enforce statistics consent and return numbers only:
no person, case or call reaches this module. The helpers count many members at once, one
query per source grouped by member, so a whole network's drafts cost about what one
member's did; each member's figures are built from its own rows only and go into its own
draft (``haven.reporting.actions``).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from haven.casework import access as casework
from haven.helpline import access as helpline
from haven.organisations.models import Organisation
from haven.reporting.periods import read_side_by_side, short_queries
from haven.reporting.schema import Figures, empty_figures
from haven.services import access as services
from haven.shelter import access as shelter

# Submission tables fed by each person dimension of casework.access.person_counts.
_PERSON_TABLES = {
    "trafficking_status": "persons.trafficking",
    "in_sex_work": "persons.sex_work",
    "gender": "persons.gender",
    "age_band": "persons.age_band",
    "citizenship": "persons.citizenship",
    "sector": "persons.sector",
    "exploitation": "persons.exploitation",
}


@dataclass
class Computed:
    figures: Figures
    # Records left out for want of statistics consent, by kind (the member sees these).
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing recorded in the period at all: a member keeping its casework elsewhere."""
        return not any(self.figures.values()) and not any(self.left_out.values())


def _support_filters(members: Sequence[int], start: datetime.date, end: datetime.date) -> list[Q]:
    return [
        services.served_filter(members, start, end),
        helpline.called_filter(members, start, end),
        shelter.sheltered_filter(members, start, end),
        casework.open_case_filter(members, start, end),
    ]


def compute_members(
    members: Sequence[Organisation], start: datetime.date, end: datetime.date
) -> dict[int, Computed]:
    """Each member's figures from ``start`` to ``end`` (both included), by organisation id,
    consent enforced; one query per source for all of them."""
    ids = sorted({member.pk for member in members})
    if not ids:
        return {}

    def persons_and_calls() -> tuple[
        dict[int, casework.PersonCounts], dict[int, helpline.CallFigures]
    ]:
        supported = _support_filters(ids, start, end)
        return (
            casework.person_counts(ids, supported=supported, start=start),
            helpline.call_figures(ids, start, end),
        )

    def services_and_shelter() -> tuple[
        dict[int, services.ServiceFigures], dict[int, shelter.ShelterFigures]
    ]:
        return services.service_figures(ids, start, end), shelter.shelter_figures(ids, start, end)

    if len(ids) == 1:
        with short_queries():
            (persons, calls), (given, sheltered) = persons_and_calls(), services_and_shelter()
    else:
        # A network's sources are large: read on two connections at once, from one
        # snapshot (decision 34).
        (persons, calls), (given, sheltered) = read_side_by_side(
            persons_and_calls, services_and_shelter
        )
    return {
        member: _figures(persons[member], given[member], calls[member], sheltered[member])
        for member in ids
    }


def compute_figures(
    organisation: Organisation, start: datetime.date, end: datetime.date
) -> Computed:
    """The member's figures from ``start`` to ``end`` (both included), consent enforced."""
    return compute_members([organisation], start, end)[organisation.pk]


def _figures(
    persons: casework.PersonCounts,
    given: services.ServiceFigures,
    calls: helpline.CallFigures,
    sheltered: shelter.ShelterFigures,
) -> Computed:
    figures = empty_figures()
    figures["persons.status", "new"] = Decimal(persons.new)
    figures["persons.status", "continuing"] = Decimal(persons.continuing)
    for dimension, table_key in _PERSON_TABLES.items():
        for category, n in persons.by[dimension].items():
            figures[table_key, category] = Decimal(n)
    for table_key, values in (
        ("services.deliveries", given.deliveries),
        ("services.quantity", given.quantity),
        ("services.amount", given.amount),
        ("services.persons", given.persons),
        ("services.households", given.households),
        ("reach.people", given.people_reached),
        ("reach.households", given.households_reached),
        ("calls.channel", calls.by_channel),
        ("calls.caller_type", calls.by_caller_type),
        ("calls.topic", calls.by_topic),
    ):
        for category, value in values.items():
            figures[table_key, category] = Decimal(value)
    figures["shelter.households", "households"] = Decimal(sheltered.households)
    figures["shelter.nights", "nights"] = Decimal(sheltered.people_nights)
    return Computed(
        figures=figures,
        left_out={
            "persons": persons.left_out,
            "services": given.left_out,
            "calls": calls.left_out,
            "stays": sheltered.left_out,
        },
    )
