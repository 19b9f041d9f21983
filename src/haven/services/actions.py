"""Every change to the service catalogue and to service deliveries."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope

from haven.accounts.models import RoleAssignment, User
from haven.casework.actions import (
    lock_consenting,
    note_activity,
    refresh_first_activity,
    whose,
)
from haven.casework.models import Household, Person
from haven.dates import too_early
from haven.organisations.languages import validate_language_codes
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.services.access import available_service_types, name_clash
from haven.services.models import (
    Channel,
    HiddenServiceType,
    ServiceCategory,
    ServiceDelivery,
    ServiceType,
)

LARGEST_DECIMAL = Decimal("9999999999.99")
LARGEST_COUNT = 10_000_000
SERVICE_TYPE_FIELDS = ("name", "category", "unit", "counts_money")
DELIVERY_FIELDS = (
    "service_type",
    "delivered_on",
    "person",
    "household",
    "quantity",
    "amount",
    "currency",
    "people_reached",
    "households_reached",
    "channel",
    "language",
    "city",
    "staff",
)


# --- catalogue ---------------------------------------------------------------------------


def _clean_service_type_values(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = dict(values)
    limits = {
        "name": (100, _("Give a name of 1 to 100 characters.")),
        "unit": (30, _("Give a unit of 1 to 30 characters.")),
    }
    for name, (limit, message) in limits.items():
        if name in cleaned:
            text = str(cleaned[name] or "").strip()
            if not text or len(text) > limit:
                errors[name] = message
            cleaned[name] = text
    if "category" in cleaned and cleaned["category"] not in ServiceCategory.values:
        errors["category"] = _("Choose one of the categories.")
    if "counts_money" in cleaned and not isinstance(cleaned["counts_money"], bool):
        errors["counts_money"] = _("Say yes or no.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _free_code(organisation: Organisation, name: str) -> str:
    base = slugify(name)[:40].strip("-") or "service"
    taken = set(
        ServiceType.objects.filter(
            Q(organisation=organisation) | Q(organisation__isnull=True)
        ).values_list("code", flat=True)
    )
    code, number = base, 2
    while code in taken:
        suffix = f"-{number}"
        code = base[: 40 - len(suffix)] + suffix
        number += 1
    return code


def _check_name_free(organisation: Organisation, name: str, exclude_id: int | None) -> None:
    # Two services of one name split the forms and the statistics between them.
    with scope(organisation=organisation):
        clash = name_clash(organisation, name, exclude_id=exclude_id)
    if clash is None:
        return
    if clash.hidden:
        message = _(
            "Your catalogue already has “%(name)s”, hidden: offer it again from the "
            "catalogue instead of adding a service of the same name."
        )
    elif clash.language:
        message = _(
            "“%(typed)s” is the %(language)s name of “%(name)s”, already in your catalogue: "
            "record under that service, or choose another name."
        )
    else:
        message = _(
            "Your catalogue already has “%(name)s”: record under that service, "
            "or choose another name."
        )
    language = str(dict(settings.LANGUAGES).get(clash.language, clash.language))
    raise ValidationError(
        {"name": message % {"name": clash.label, "typed": name, "language": language}}
    )


def create_service_type(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    category: str,
    unit: str,
    counts_money: bool = False,
    request: HttpRequest | None = None,
) -> ServiceType:
    """Add a service of the organisation's own to its catalogue; the code comes from the name."""
    values = _clean_service_type_values(
        {"name": name, "category": category, "unit": unit, "counts_money": counts_money}
    )
    _check_name_free(organisation, values["name"], None)
    try:
        with transaction.atomic():
            service_type = ServiceType.objects.create(
                organisation=organisation, code=_free_code(organisation, values["name"]), **values
            )
            audit.record(
                "service_type.created",
                actor=actor,
                organisation=organisation,
                target=service_type,
                details={"code": service_type.code},
                request=request,
            )
    except IntegrityError as error:
        # Another admin added the same name at the same moment.
        raise ValidationError(
            {"name": _("Your catalogue already has a service of this name.")}
        ) from error
    return service_type


def update_service_type(
    *,
    actor: User,
    service_type: ServiceType,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> ServiceType:
    """Change the name, category, unit or money flag of one of the organisation's own services."""
    organisation = service_type.organisation
    if organisation is None:
        raise ValidationError(_("Default services cannot be changed; hide them instead."))
    unknown = sorted(set(changes) - set(SERVICE_TYPE_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    values = _clean_service_type_values(changes)
    changed = sorted(name for name, value in values.items() if getattr(service_type, name) != value)
    if not changed:
        return service_type
    if "name" in changed:
        _check_name_free(organisation, values["name"], service_type.pk)
    updated = copy.copy(service_type)
    for name in changed:
        setattr(updated, name, values[name])
    with transaction.atomic():
        updated.save(update_fields=changed)
        audit.record(
            "service_type.updated",
            actor=actor,
            organisation=organisation,
            target=updated,
            details={"fields": changed},
            request=request,
        )
    return updated


def set_service_type_hidden(
    *,
    actor: User,
    organisation: Organisation,
    service_type: ServiceType,
    hidden: bool,
    request: HttpRequest | None = None,
) -> None:
    """Hide a service from the organisation's forms, or offer it again; past records stay."""
    if service_type.organisation_id not in (None, organisation.pk):
        raise ValidationError(_("This service is not in your catalogue."))
    with transaction.atomic():
        existing = HiddenServiceType.objects.filter(
            organisation=organisation, service_type=service_type
        )
        if hidden == existing.exists():
            return
        if hidden:
            HiddenServiceType.objects.create(organisation=organisation, service_type=service_type)
        else:
            existing.delete()
        audit.record(
            "service_type.hidden" if hidden else "service_type.shown",
            actor=actor,
            organisation=organisation,
            target=service_type,
            details={"code": service_type.code},
            request=request,
        )


# --- deliveries --------------------------------------------------------------------------


def _require_casework_consent(person: Person) -> None:
    try:
        lock_consenting(person)
    except ValidationError as error:
        raise ValidationError({"person": error.messages}) from error


def _check_consent(person: Person | None, household: Household | None) -> None:
    """Refuse unless the receivers' casework consent holds, decided on their locked rows
    (call inside the transaction that writes)."""
    if person is not None:
        _require_casework_consent(person)
    if household is not None:
        # A service to a family is given to each member with a record of their own. Locked
        # one by one in the order of their codes, as households lock them.
        for member in Person.objects.filter(household=household).order_by("code"):
            try:
                _require_casework_consent(member)
            except ValidationError as error:
                raise ValidationError({"household": error.message_dict["person"]}) from error


def _decimal_problem(value: Decimal, *, positive: bool) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return _("Give a number.")
    if positive and value <= 0:
        return _("Give a quantity greater than zero.")
    if value < 0:
        return _("An amount cannot be negative.")
    if value > LARGEST_DECIMAL or value != value.quantize(Decimal("0.01")):
        return _("Give a number below 10,000,000,000 with at most two decimals.")
    return None


def _count_problem(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= LARGEST_COUNT:
        return _("Give a whole number from 1 to 10,000,000.")
    return None


def reach_problem(
    *,
    person: object | None,
    household: object | None,
    people_reached: object | None,
    households_reached: object | None,
) -> str | None:
    """Why a delivery names no one and counts no one reached, or None if it reaches someone."""
    if person is not None or household is not None or people_reached or households_reached:
        return None
    # A delivery to nobody would add to the service totals without anyone behind it.
    return _(
        "Give the person or household who received the service, or, for a distribution "
        "or group session, the number of people or households reached."
    )


def _check_delivery(organisation: Organisation, delivery: ServiceDelivery) -> None:
    """Refuse anything impossible, all problems at once, keyed by field."""
    errors: dict[str, str] = {}
    service_type = delivery.service_type
    if service_type.organisation_id not in (None, organisation.pk):
        errors["service_type"] = _("Choose a service from your catalogue.")
    on = delivery.delivered_on
    if not isinstance(on, date):
        errors["delivered_on"] = _("Give the date the service was given.")
    elif on > timezone.localdate() + timedelta(days=1):
        errors["delivered_on"] = _("A service cannot be recorded more than a day ahead.")
    elif early := too_early(on):
        errors["delivered_on"] = early
    for name, owner in (("person", delivery.person), ("household", delivery.household)):
        if owner is not None and owner.organisation_id != organisation.pk:
            errors[name] = _("No such record in your organisation.")
    if delivery.person is not None and delivery.household is not None:
        errors["household"] = _("Give a person or a household, not both.")
    problem = _decimal_problem(delivery.quantity, positive=True)
    if problem:
        errors["quantity"] = problem
    if delivery.amount is not None:
        problem = _decimal_problem(delivery.amount, positive=False)
        if problem:
            errors["amount"] = problem
        elif not service_type.counts_money:
            errors["amount"] = _("This service does not record an amount of money.")
        elif not delivery.currency:
            errors["currency"] = _("Give the currency of the amount.")
    if delivery.currency:
        if pycountry.currencies.get(alpha_3=delivery.currency) is None:
            errors["currency"] = _("Give an ISO 4217 currency code, such as EUR or INR.")
        elif delivery.amount is None:
            errors["amount"] = _("Give the amount in this currency, or no currency.")
    named = delivery.person is not None or delivery.household is not None
    for name in ("people_reached", "households_reached"):
        value = getattr(delivery, name)
        problem = _count_problem(value)
        if problem:
            errors[name] = problem
        elif value is not None and named:
            errors[name] = _("Counts are for services given to no one in particular.")
    nobody = reach_problem(
        person=delivery.person,
        household=delivery.household,
        people_reached=delivery.people_reached,
        households_reached=delivery.households_reached,
    )
    if nobody and not errors.keys() & {"people_reached", "households_reached"}:
        errors[NON_FIELD_ERRORS] = nobody
    if delivery.channel not in Channel.values:
        errors["channel"] = _("Choose one of the channels.")
    if delivery.language:
        try:
            validate_language_codes([delivery.language])
        except ValidationError as error:
            errors["language"] = " ".join(error.messages)
    if len(delivery.city) > 100:
        errors["city"] = _("Give a city of at most 100 characters.")
    if (
        delivery.staff is not None
        and not RoleAssignment.objects.filter(
            user=delivery.staff, organisation=organisation
        ).exists()
    ):
        errors["staff"] = _("Choose a member of your staff.")
    if errors:
        raise ValidationError(errors)


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("currency", "language", "city"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "").strip()
    if "currency" in cleaned:
        cleaned["currency"] = cleaned["currency"].upper()
    if "language" in cleaned:
        cleaned["language"] = cleaned["language"].lower()
    return cleaned


def _kind(delivery: ServiceDelivery) -> str:
    if delivery.person_id is not None:
        return "person"
    if delivery.household_id is not None:
        return "household"
    if delivery.people_reached is not None or delivery.households_reached is not None:
        return "distribution"
    return "anonymous"


def _touch(person: Person | None, household: Household | None) -> None:
    now = timezone.now()
    if person is not None:
        Person.objects.filter(pk=person.pk).update(last_activity_at=now)
    if household is not None:
        Person.objects.filter(household=household).update(last_activity_at=now)


def _receivers(*deliveries: ServiceDelivery) -> Q:
    return whose(
        persons=[delivery.person_id for delivery in deliveries],
        households=[delivery.household_id for delivery in deliveries],
    )


def record_delivery(
    *,
    actor: User,
    organisation: Organisation,
    service_type: ServiceType,
    delivered_on: date,
    person: Person | None = None,
    household: Household | None = None,
    quantity: Decimal = Decimal(1),
    amount: Decimal | None = None,
    currency: str = "",
    people_reached: int | None = None,
    households_reached: int | None = None,
    channel: str = Channel.IN_PERSON,
    language: str = "",
    city: str = "",
    staff: User | None = None,
    request: HttpRequest | None = None,
) -> ServiceDelivery:
    """Record a service given to a person, a household, or counted without names."""
    values = _normalised({"currency": currency, "language": language, "city": city})
    delivery = ServiceDelivery(
        organisation=organisation,
        service_type=service_type,
        delivered_on=delivered_on,
        person=person,
        household=household,
        quantity=quantity,
        amount=amount,
        people_reached=people_reached,
        households_reached=households_reached,
        channel=str(channel),
        staff=staff,
        **values,
    )
    _check_delivery(organisation, delivery)
    if not available_service_types(organisation).filter(pk=service_type.pk).exists():
        raise ValidationError({"service_type": _("This service is hidden in your catalogue.")})
    with transaction.atomic():
        # Checked in the transaction that writes, as casework's actions do, so that a
        # withdrawal recorded meanwhile is seen.
        _check_consent(person, household)
        delivery.save(force_insert=True)
        _touch(person, household)
        if person is not None or household is not None:
            note_activity(organisation.pk, _receivers(delivery), delivered_on)
        audit.record(
            "service.recorded",
            actor=actor,
            organisation=organisation,
            target=delivery,
            details={"kind": _kind(delivery), "service_type": service_type.code},
            request=request,
        )
    return delivery


def update_delivery(
    *,
    actor: User,
    delivery: ServiceDelivery,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> ServiceDelivery:
    """Correct a recorded delivery; the same rules as recording apply."""
    unknown = sorted(set(changes) - set(DELIVERY_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    values = _normalised(changes)
    changed = sorted(name for name, value in values.items() if getattr(delivery, name) != value)
    if not changed:
        return delivery
    organisation = delivery.organisation
    updated = copy.copy(delivery)
    for name in changed:
        setattr(updated, name, values[name])
    _check_delivery(organisation, updated)
    if (
        "service_type" in changed
        and not available_service_types(organisation).filter(pk=updated.service_type.pk).exists()
    ):
        raise ValidationError({"service_type": _("This service is hidden in your catalogue.")})
    with transaction.atomic():
        _check_consent(updated.person, updated.household)
        updated.save(update_fields=changed)
        _touch(updated.person, updated.household)
        if {"delivered_on", "person", "household"} & set(changed):
            refresh_first_activity(organisation.pk, _receivers(delivery, updated))
        audit.record(
            "service.updated",
            actor=actor,
            organisation=organisation,
            target=updated,
            details={"fields": changed},
            request=request,
        )
    return updated


def delete_delivery(
    *, actor: User, delivery: ServiceDelivery, request: HttpRequest | None = None
) -> None:
    """Remove a delivery recorded by mistake; the audit trail keeps that it existed."""
    with transaction.atomic():
        audit.record(
            "service.deleted",
            actor=actor,
            organisation=delivery.organisation,
            target=delivery,
            details={"kind": _kind(delivery), "service_type": delivery.service_type.code},
            request=request,
        )
        receivers = _receivers(delivery)
        delivery.delete()
        refresh_first_activity(delivery.organisation_id, receivers)
