"""Lookups of the service catalogue and of deliveries, always inside one organisation.

Other apps read services through the helpers here (``available_service_types``,
``deliveries_for_person``, ``deliveries_for_household``, ``service_label``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404, HttpRequest
from django.template.defaultfilters import floatformat
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy
from django_scopes import scope

from haven.accounts.models import User
from haven.casework.access import household_consents_to_statistics, statistics_consent
from haven.casework.models import Household, Person
from haven.display import ListFormatter
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.services.catalogue import DEFAULT_NAMES
from haven.services.models import (
    Channel,
    HiddenServiceType,
    ServiceCategory,
    ServiceDelivery,
    ServiceType,
)
from haven.text import folded

# The units of the default catalogue, translated; an organisation's own units show as typed.
UNIT_LABELS: dict[str, Promise] = {
    "parcel": _("parcel"),
    "meal": _("meal"),
    "pack": _("pack"),
    "item": _("item"),
    "voucher": _("voucher"),
    "payment": _("payment"),
    "trip": _("trip"),
    "night": _("night"),
    "session": _("session"),
    "consultation": _("consultation"),
    "test": _("test"),
    "accompaniment": _("accompaniment"),
    "hour": _("hour"),
    "contact": _("contact"),
    "card": _("card"),
}

# A quantity with its unit, agreeing with the number: "1 meal", "6 meals".
UNIT_QUANTITIES: dict[str, Promise] = {
    "parcel": ngettext_lazy("%(quantity)s parcel", "%(quantity)s parcels", "number"),
    "meal": ngettext_lazy("%(quantity)s meal", "%(quantity)s meals", "number"),
    "pack": ngettext_lazy("%(quantity)s pack", "%(quantity)s packs", "number"),
    "item": ngettext_lazy("%(quantity)s item", "%(quantity)s items", "number"),
    "voucher": ngettext_lazy("%(quantity)s voucher", "%(quantity)s vouchers", "number"),
    "payment": ngettext_lazy("%(quantity)s payment", "%(quantity)s payments", "number"),
    "trip": ngettext_lazy("%(quantity)s trip", "%(quantity)s trips", "number"),
    "night": ngettext_lazy("%(quantity)s night", "%(quantity)s nights", "number"),
    "session": ngettext_lazy("%(quantity)s session", "%(quantity)s sessions", "number"),
    "consultation": ngettext_lazy(
        "%(quantity)s consultation", "%(quantity)s consultations", "number"
    ),
    "test": ngettext_lazy("%(quantity)s test", "%(quantity)s tests", "number"),
    "accompaniment": ngettext_lazy(
        "%(quantity)s accompaniment", "%(quantity)s accompaniments", "number"
    ),
    "hour": ngettext_lazy("%(quantity)s hour", "%(quantity)s hours", "number"),
    "contact": ngettext_lazy("%(quantity)s contact", "%(quantity)s contacts", "number"),
    "card": ngettext_lazy("%(quantity)s card", "%(quantity)s cards", "number"),
}

RECENT_DELIVERIES = 20


def service_label(service_type: ServiceType) -> str:
    """The name of a service type in the current language (defaults are translated)."""
    return service_label_of(service_type.organisation_id, service_type.code, service_type.name)


def service_label_of(organisation_id: int | None, code: str, name: str) -> str:
    """``service_label`` from a service type's columns (for lists read as values)."""
    if organisation_id is None and code in DEFAULT_NAMES:
        return str(DEFAULT_NAMES[code])
    return name


def unit_label(unit: str) -> str:
    """A unit in the current language when it is one of the catalogue's own."""
    label = UNIT_LABELS.get(unit)
    return str(label) if label is not None else unit


def quantity_label(quantity: Decimal, unit: str) -> str:
    """A quantity and its unit in the current language, the unit agreeing with the number
    ("6 meals"); an organisation's own unit is given as it wrote it."""
    shown = floatformat(quantity, "-2")
    phrase = UNIT_QUANTITIES.get(unit)
    if phrase is None:
        return f"{shown} {unit}"
    # Plural rules count whole numbers; a fraction ("1.5 hours") reads as more than one.
    number = int(quantity) if quantity == quantity.to_integral_value() else 2
    return str(phrase % {"number": number, "quantity": shown})


def _catalogue_of(organisation: Organisation) -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True))


def hidden_ids(organisation: Organisation) -> set[int]:
    """Ids of the service types the organisation has hidden from its forms."""
    return set(
        HiddenServiceType.objects.filter(organisation=organisation).values_list(
            "service_type_id", flat=True
        )
    )


def available_service_types(organisation: Organisation) -> QuerySet[ServiceType]:
    """The default services the organisation has not hidden, and its own."""
    hidden = HiddenServiceType.objects.filter(organisation=organisation).values("service_type_id")
    return _catalogue_of(organisation).exclude(pk__in=hidden)


@dataclass(frozen=True)
class CatalogueEntry:
    service_type: ServiceType
    label: str
    unit: str
    is_default: bool
    hidden: bool


def catalogue_for(organisation: Organisation) -> list[CatalogueEntry]:
    """Every service type the organisation may use or hide, by category then name."""
    hidden = hidden_ids(organisation)
    order = {value: index for index, value in enumerate(ServiceCategory.values)}
    entries = [
        CatalogueEntry(
            service_type=service_type,
            label=service_label(service_type),
            unit=unit_label(service_type.unit),
            is_default=service_type.organisation_id is None,
            hidden=service_type.pk in hidden,
        )
        for service_type in _catalogue_of(organisation)
    ]
    return sorted(
        entries,
        key=lambda entry: (order.get(entry.service_type.category, 99), entry.label.casefold()),
    )


def name_key(name: str) -> str:
    """A service name as compared for duplicates: case, accents and spacing do not count."""
    return " ".join(folded(name.replace("’", "'").replace("‘", "'")).split())


@dataclass(frozen=True)
class NameClash:
    """A service of the catalogue that already has a name, and in which language."""

    service_type: ServiceType
    label: str
    hidden: bool
    # The language whose name matched, when not the reader's own ("" if it is).
    language: str


def name_clash(
    organisation: Organisation, name: str, *, exclude_id: int | None = None
) -> NameClash | None:
    """The catalogue's service with this name in any language the catalogue shows, or None;
    one the organisation offers comes before a hidden one."""
    wanted = name_key(name)
    current = translation.get_language() or settings.LANGUAGE_CODE
    languages = [current, *(code for code, _name in settings.LANGUAGES if code != current)]
    found: list[NameClash] = []
    for entry in catalogue_for(organisation):
        if entry.service_type.pk == exclude_id:
            continue
        if not entry.is_default:
            if name_key(entry.service_type.name) == wanted:
                found.append(NameClash(entry.service_type, entry.label, entry.hidden, ""))
            continue
        for language in languages:
            with translation.override(language):
                translated = service_label(entry.service_type)
            if name_key(translated) == wanted:
                shown_in = "" if language == current else language
                found.append(NameClash(entry.service_type, entry.label, entry.hidden, shown_in))
                break
    return min(found, key=lambda clash: (clash.hidden, clash.language != ""), default=None)


def service_choices(
    organisation: Organisation, *, also: ServiceType | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Available services grouped by category, for a select; ``also`` keeps a hidden one."""
    categories = dict(ServiceCategory.choices)
    groups: dict[str, list[tuple[str, str]]] = {}
    for entry in catalogue_for(organisation):
        if entry.hidden and (also is None or entry.service_type.pk != also.pk):
            continue
        service_type = entry.service_type
        label = f"{entry.label} ({entry.unit})"
        group = str(categories.get(service_type.category, service_type.category))
        groups.setdefault(group, []).append((str(service_type.pk), label))
    return list(groups.items())


def service_type_for(organisation: Organisation, service_type_id: int) -> ServiceType:
    """A default service type or one of the organisation's own, or 404."""
    found = _catalogue_of(organisation).filter(pk=service_type_id).first()
    if found is None:
        raise Http404
    return found


def own_service_type_for(organisation: Organisation, service_type_id: int) -> ServiceType:
    """One of the organisation's own service types (defaults are not its to edit), or 404."""
    found = ServiceType.objects.filter(organisation=organisation, pk=service_type_id).first()
    if found is None:
        raise Http404
    return found


def available_service_type(organisation: Organisation, service_type_id: int) -> ServiceType | None:
    """The service type if the organisation may record it now, else None."""
    found: ServiceType | None = (
        available_service_types(organisation).filter(pk=service_type_id).first()
    )
    return found


def person_by_code(organisation: Organisation, code: str) -> Person | None:
    """The organisation's person with this code (case does not matter), or None."""
    code = code.strip()
    if not code:
        return None
    people = Person.objects.filter(organisation=organisation)
    found: Person | None = (
        people.filter(code=code).first() or people.filter(code=code.upper()).first()
    )
    return found


def household_by_code(organisation: Organisation, code: str) -> Household | None:
    """The organisation's household with this code (case does not matter), or None."""
    code = code.strip()
    if not code:
        return None
    households = Household.objects.filter(organisation=organisation)
    found: Household | None = (
        households.filter(code=code).first() or households.filter(code=code.upper()).first()
    )
    return found


def person_in(organisation: Organisation, person_id: uuid.UUID) -> Person | None:
    """The organisation's person with this id, or None (an API body names it)."""
    found: Person | None = Person.objects.filter(organisation=organisation, pk=person_id).first()
    return found


def household_in(organisation: Organisation, household_id: uuid.UUID) -> Household | None:
    """The organisation's household with this id, or None (an API body names it)."""
    found: Household | None = Household.objects.filter(
        organisation=organisation, pk=household_id
    ).first()
    return found


def person_for(organisation: Organisation, person_id: uuid.UUID) -> Person:
    """The organisation's person named in an address, or 404."""
    found = person_in(organisation, person_id)
    if found is None:
        raise Http404
    return found


def household_for(organisation: Organisation, household_id: uuid.UUID) -> Household:
    """The organisation's household named in an address, or 404."""
    found = household_in(organisation, household_id)
    if found is None:
        raise Http404
    return found


def _columns(model: Any, prefix: str = "") -> list[str]:
    return [f"{prefix}{field.name}" for field in model._meta.concrete_fields]


def for_listing(deliveries: QuerySet[ServiceDelivery]) -> QuerySet[ServiceDelivery]:
    """Deliveries as lists show them: who got a service by code and staff by name only.

    Lists never load a person's or household's identifying (encrypted) fields, which
    would cost a decryption-ready object each for nothing on the page.
    """
    return deliveries.only(
        *_columns(ServiceDelivery),
        *_columns(ServiceType, "service_type__"),
        "person__id",
        "person__organisation_id",
        "person__code",
        "household__id",
        "household__organisation_id",
        "household__code",
        *(f"staff__{name}" for name in ("id", "username", "first_name", "last_name")),
    )


@dataclass(frozen=True)
class DeliveryRow:
    """One line of a list of deliveries, formatted for the page: codes, never identities."""

    id: uuid.UUID
    delivered_on: str
    service: str
    recipient: str
    quantity: str
    amount: str
    channel: str
    city: str
    staff: str


_ROW_COLUMNS = (
    "id",
    "delivered_on",
    "service_type__organisation_id",
    "service_type__code",
    "service_type__name",
    "person__code",
    "household__code",
    "people_reached",
    "households_reached",
    "quantity",
    "amount",
    "currency",
    "channel",
    "city",
    "staff__username",
    "staff__first_name",
    "staff__last_name",
)


def listing_values(deliveries: QuerySet[ServiceDelivery]) -> QuerySet[Any]:
    """Deliveries as the values a list shows (no model objects, no encrypted column)."""
    return deliveries.values_list(*_ROW_COLUMNS)


def listing_rows(values: Iterable[tuple[Any, ...]]) -> list[DeliveryRow]:
    """Format rows of ``listing_values`` for a page in the current language."""
    formatter = ListFormatter()
    rows = []
    for (
        pk,
        delivered_on,
        type_organisation_id,
        type_code,
        type_name,
        person_code,
        household_code,
        people_reached,
        households_reached,
        quantity,
        amount,
        currency,
        channel,
        city,
        username,
        first_name,
        last_name,
    ) in values:
        rows.append(
            DeliveryRow(
                id=pk,
                delivered_on=formatter.date(delivered_on),
                service=service_label_of(type_organisation_id, type_code, type_name),
                recipient=person_code
                or household_code
                or _counted(people_reached, households_reached),
                quantity=formatter.number(quantity, "-2"),
                amount=f"{formatter.number(amount, '2')} {currency}" if amount is not None else "",
                channel=formatter.choice(Channel, channel),
                city=city,
                staff=User.name_of(username, first_name, last_name) if username else "",
            )
        )
    return rows


def _counted(people: int | None, households: int | None) -> str:
    """How many a delivery to no one in particular reached, in words ("" for none)."""
    parts = []
    if people:
        parts.append(
            ngettext("%(counter)s person", "%(counter)s people", people) % {"counter": people}
        )
    if households:
        parts.append(
            ngettext("%(counter)s household", "%(counter)s households", households)
            % {"counter": households}
        )
    return ", ".join(parts)


def _deliveries(organisation: Organisation) -> QuerySet[ServiceDelivery]:
    return ServiceDelivery.objects.filter(organisation=organisation).select_related(
        "service_type", "person", "household", "staff"
    )


def delivery_for(
    organisation: Organisation,
    delivery_id: uuid.UUID,
    *,
    viewer: User | None = None,
    request: HttpRequest | None = None,
) -> ServiceDelivery:
    """One of the organisation's deliveries, or 404; shown to a ``viewer``, the read is audited."""
    delivery = _deliveries(organisation).filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404
    if viewer is not None:
        audit.record(
            "service.viewed",
            actor=viewer,
            organisation=organisation,
            target=delivery,
            request=request,
        )
    return delivery


def deliveries_for_person(
    organisation: Organisation, person: Person, limit: int = RECENT_DELIVERIES
) -> list[ServiceDelivery]:
    """The person's latest deliveries, newest first."""
    if person.organisation_id != organisation.pk:
        return []
    return list(_deliveries(organisation).filter(person=person)[:limit])


def deliveries_for_household(
    organisation: Organisation, household: Household, limit: int = RECENT_DELIVERIES
) -> list[ServiceDelivery]:
    """The household's latest deliveries, newest first."""
    if household.organisation_id != organisation.pk:
        return []
    return list(_deliveries(organisation).filter(household=household)[:limit])


@dataclass(frozen=True)
class DeliveryFilters:
    """What a list of deliveries is narrowed to; None or "" means any."""

    service_type_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    channel: str = ""
    city: str = ""
    staff_id: int | None = None
    person_code: str = ""
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None

    def applied(self) -> list[str]:
        """The names of the filters in use, for the audit trail (never their values)."""
        return sorted(name for name, value in vars(self).items() if value not in (None, ""))


def deliveries_matching(
    organisation: Organisation, filters: DeliveryFilters
) -> QuerySet[ServiceDelivery]:
    """The organisation's deliveries that pass the filters, newest first."""
    deliveries = _deliveries(organisation)
    if filters.service_type_id is not None:
        deliveries = deliveries.filter(service_type_id=filters.service_type_id)
    if filters.date_from is not None:
        deliveries = deliveries.filter(delivered_on__gte=filters.date_from)
    if filters.date_to is not None:
        deliveries = deliveries.filter(delivered_on__lte=filters.date_to)
    if filters.channel:
        deliveries = deliveries.filter(channel=filters.channel)
    if filters.city:
        deliveries = deliveries.filter(city__iexact=filters.city.strip())
    if filters.staff_id is not None:
        deliveries = deliveries.filter(staff_id=filters.staff_id)
    if filters.person_code:
        person = person_by_code(organisation, filters.person_code)
        deliveries = deliveries.filter(person=person) if person else deliveries.none()
    if filters.person_id is not None:
        deliveries = deliveries.filter(person_id=filters.person_id)
    if filters.household_id is not None:
        deliveries = deliveries.filter(household_id=filters.household_id)
    return deliveries


@dataclass
class DeliveryTotals:
    """Sums over a set of deliveries. People reached: named people (each once) plus the
    people counted in distributions; households likewise."""

    count: int = 0
    quantities: list[tuple[str, Decimal]] = field(default_factory=list)
    amounts: list[tuple[str, Decimal]] = field(default_factory=list)
    people_reached: int = 0
    households_reached: int = 0


def totals_of(deliveries: QuerySet[ServiceDelivery]) -> DeliveryTotals:
    """Count, quantity per unit, amount per currency, and people and households reached."""
    plain = deliveries.order_by().select_related(None)
    sums: dict[str, Any] = plain.aggregate(
        count=Count("pk"),
        counted_people=Sum("people_reached"),
        counted_households=Sum("households_reached"),
        named_people=Count("person", distinct=True),
        named_households=Count("household", distinct=True),
    )
    # Quantities per unit and amounts per currency from one grouped pass over the rows.
    quantities: dict[str, Decimal] = {}
    amounts: dict[str, Decimal] = {}
    for unit, currency, quantity, amount in (
        plain.values_list("service_type__unit", "currency")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by()
    ):
        quantities[unit] = quantities.get(unit, Decimal(0)) + quantity
        if amount is not None:
            amounts[currency] = amounts.get(currency, Decimal(0)) + amount
    return DeliveryTotals(
        count=sums["count"] or 0,
        quantities=[(unit_label(unit), quantities[unit]) for unit in sorted(quantities)],
        amounts=sorted(amounts.items()),
        people_reached=(sums["counted_people"] or 0) + (sums["named_people"] or 0),
        households_reached=(sums["counted_households"] or 0) + (sums["named_households"] or 0),
    )


def note_listing(
    *,
    actor: User,
    organisation: Organisation,
    filters: DeliveryFilters,
    count: int,
    request: HttpRequest | None = None,
) -> None:
    """Audit one read of a list of deliveries: how many, which filters (names only), and
    the person or household it was narrowed to."""
    # A list narrowed to one person is a read of that person's history: "who read this
    # person's history?" must find it, as it finds the person page.
    object_type, object_id = "", ""
    person_id = filters.person_id
    if person_id is None and filters.person_code:
        person = person_by_code(organisation, filters.person_code)
        person_id = person.pk if person is not None else None
    if person_id is not None:
        object_type, object_id = "casework.person", str(person_id)
    elif filters.household_id is not None:
        object_type, object_id = "casework.household", str(filters.household_id)
    audit.record(
        "service.listed",
        actor=actor,
        organisation=organisation,
        object_type=object_type,
        object_id=object_id,
        details={"count": count, "filters": filters.applied()},
        request=request,
    )


# Coalition statistics: numbers only (see casework.access for the person counts).

# Deliveries of an organisation's own service types count under this code.
OWN_SERVICE_CODE = "other"


def _delivered_between(members: Sequence[int], start: date, end: date) -> QuerySet[ServiceDelivery]:
    with scope(organisation=list(members)):
        return ServiceDelivery.objects.filter(
            organisation_id__in=members, delivered_on__gte=start, delivered_on__lte=end
        )


def served_filter(members: Sequence[int], start: date, end: date) -> Q:
    """Persons given a service from ``start`` to ``end``, themselves or with their household."""
    deliveries = _delivered_between(members, start, end)
    return Q(pk__in=deliveries.filter(person__isnull=False).values("person_id")) | Q(
        household_id__in=deliveries.filter(household__isnull=False).values("household_id")
    )


@dataclass
class ServiceFigures:
    """What was given in a period, by service code (an organisation's own ones as "other")."""

    deliveries: dict[str, int] = field(default_factory=dict)
    quantity: dict[str, Decimal] = field(default_factory=dict)
    # By "<code>:<currency>".
    amount: dict[str, Decimal] = field(default_factory=dict)
    persons: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    people_reached: dict[str, int] = field(default_factory=dict)
    households_reached: dict[str, int] = field(default_factory=dict)
    # Deliveries not counted: to a person, or a household member, without statistics consent.
    left_out: int = 0


def service_figures(members: Sequence[int], start: date, end: date) -> dict[int, ServiceFigures]:
    """Deliveries from ``start`` to ``end`` counted for coalition statistics, member by
    member, consent enforced."""
    # A delivery unlinked from someone who refused stays out (decision 43). The flag is
    # its own conjunct: inside the OR, a flagged row without a person would read NULL
    # (FALSE OR NULL IN …) rather than FALSE, and group apart from the rows left out.
    counted = (
        Q(left_out_of_statistics=False)
        & (Q(person__isnull=True) | statistics_consent(members, "person_id"))
        & (Q(household__isnull=True) | household_consents_to_statistics(members))
    )
    with scope(organisation=list(members)):
        codes = {
            pk: code if owner is None else OWN_SERVICE_CODE
            for pk, code, owner in ServiceType.objects.filter(
                Q(organisation__isnull=True) | Q(organisation_id__in=members)
            ).values_list("pk", "code", "organisation_id")
        }
        deliveries = _delivered_between(members, start, end).order_by()
        kept = ExpressionWrapper(counted, output_field=BooleanField())
        # Read from the (organisation, date) index that covers every column used here, in
        # member order: grouped by member and service type id (not by code, which would
        # need a join), the distinct counts sort each member's period, not the network's.
        # Consent is a grouping column, evaluated once per delivery: the deliveries it
        # leaves out come back in groups of their own, counted only.
        given = list(
            deliveries.annotate(kept=kept)
            .values("organisation_id", "kept", "service_type_id")
            .annotate(
                n=Count("*"),
                quantity=Sum("quantity"),
                persons=Count("person", distinct=True),
                households=Count("household", distinct=True),
                people=Sum("people_reached"),
                reached=Sum("households_reached"),
            )
        )
        # Money by currency, from the deliveries with an amount only (a partial index of
        # their own, services migration 0004).
        money = list(
            deliveries.filter(counted, amount__isnull=False)
            .values("organisation_id", "service_type_id", "currency")
            .annotate(total=Sum("amount"))
        )
    figures = {member: ServiceFigures() for member in members}

    def add(table: dict[str, Any], key: str, value: Any) -> None:
        if value:
            table[key] = table.get(key, 0) + value

    for row in given:
        found = figures[row["organisation_id"]]
        if not row["kept"]:
            found.left_out += int(row["n"])
            continue
        code = codes[row["service_type_id"]]
        add(found.deliveries, code, int(row["n"]))
        add(found.quantity, code, row["quantity"] or Decimal(0))
        add(found.persons, code, int(row["persons"]))
        add(found.households, code, int(row["households"]))
        add(found.people_reached, code, int(row["people"] or 0))
        add(found.households_reached, code, int(row["reached"] or 0))
    for row in money:
        found = figures[row["organisation_id"]]
        add(found.amount, f"{codes[row['service_type_id']]}:{row['currency']}", row["total"])
    return figures
