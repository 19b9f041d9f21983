"""A member's figures for a period, computed from its casework.

Everything is read through the aggregate helpers of casework, services, helpline and
shelter (their ``access.py``), which enforce statistics consent and return numbers only:
no person, case or call reaches this module.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django_scopes import scope

from haven.casework import access as casework
from haven.helpline import access as helpline
from haven.organisations.models import Organisation
from haven.reporting.periods import short_queries
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


def _support_filters(
    organisation: Organisation, start: datetime.date, end: datetime.date
) -> list[Q]:
    return [
        services.served_filter(organisation, start, end),
        helpline.called_filter(organisation, start, end),
        shelter.sheltered_filter(organisation, start, end),
        casework.open_case_filter(organisation, start, end),
    ]


def _earlier_filters(organisation: Organisation, start: datetime.date) -> list[Q]:
    return [
        services.served_before(organisation, start),
        helpline.called_before(organisation, start),
        shelter.sheltered_before(organisation, start),
        casework.case_opened_before(organisation, start),
    ]


def compute_figures(
    organisation: Organisation, start: datetime.date, end: datetime.date
) -> Computed:
    """The member's figures from ``start`` to ``end`` (both included), consent enforced."""
    figures = empty_figures()
    with scope(organisation=organisation), short_queries():
        persons = casework.person_counts(
            organisation,
            supported=_support_filters(organisation, start, end),
            earlier=_earlier_filters(organisation, start),
        )
        given = services.service_figures(organisation, start, end)
        calls = helpline.call_figures(organisation, start, end)
        sheltered = shelter.shelter_figures(organisation, start, end)

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
