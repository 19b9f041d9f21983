"""API of the service catalogue and of services given (deliveries and distributions).

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from haven.accounts.models import RoleAssignment, User
from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import Day
from haven.organisations.api import Body, Message
from haven.organisations.models import Organisation
from haven.services import access, actions
from haven.services.models import Channel, ServiceCategory, ServiceDelivery, ServiceType

router = Router(tags=["services"])

LARGEST_ID = 2**63 - 1


class ServiceTypeOut(Schema):
    id: int
    code: str
    name: str
    category: str
    unit: str
    counts_money: bool
    default: bool = Field(description="Part of the network-wide default catalogue")
    hidden: bool = Field(description="Hidden from this organisation's forms")


class ServiceTypePage(Schema):
    count: int
    items: list[ServiceTypeOut]


class ServiceTypeQuery(Schema):
    include_hidden: bool = True
    limit: int = Field(100, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ServiceTypeIn(Body):
    name: str = Field(..., min_length=1, max_length=100)
    category: ServiceCategory = ServiceCategory.OTHER
    unit: str = Field(..., min_length=1, max_length=30)
    counts_money: StrictBool = False


class ServiceTypePatch(Body):
    """Own services: any field. Default services: only ``hidden``."""

    name: str | None = Field(None, min_length=1, max_length=100)
    category: ServiceCategory | None = None
    unit: str | None = Field(None, min_length=1, max_length=30)
    counts_money: StrictBool | None = None
    hidden: StrictBool | None = None


class DeliveryOut(Schema):
    id: uuid.UUID
    service_type_id: int
    service: str
    unit: str
    delivered_on: date
    person_id: uuid.UUID | None
    person_code: str | None
    household_id: uuid.UUID | None
    household_code: str | None
    quantity: Decimal
    amount: Decimal | None
    currency: str
    people_reached: int | None
    households_reached: int | None
    channel: str
    language: str
    city: str
    staff_id: int | None
    created_at: datetime


class UnitTotal(Schema):
    unit: str
    quantity: Decimal


class CurrencyTotal(Schema):
    currency: str
    amount: Decimal


class Totals(Schema):
    count: int
    quantities: list[UnitTotal]
    amounts: list[CurrencyTotal]
    people_reached: int = Field(
        description="Named people, each once, plus people counted in distributions"
    )
    households_reached: int = Field(
        description="Named households, each once, plus households counted in distributions"
    )


class DeliveryPage(Schema):
    count: int
    items: list[DeliveryOut]
    totals: Totals


class DeliveryQuery(Schema):
    service_type_id: int | None = Field(None, ge=1, le=LARGEST_ID)
    date_from: date | None = None
    date_to: date | None = None
    channel: Channel | None = None
    city: str = Field("", max_length=100)
    staff_id: int | None = Field(None, ge=1, le=LARGEST_ID)
    person_code: str = Field("", max_length=20)
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


class DeliveryIn(Body):
    """A service to a person (``person_id``), a household (``household_id``), or to no one in
    particular: a bulk distribution or group session gives ``people_reached`` and/or
    ``households_reached`` instead. A delivery with none of these four is refused."""

    service_type_id: StrictInt = Field(..., ge=1, le=LARGEST_ID)
    delivered_on: Day
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    quantity: Decimal = Field(Decimal(1), gt=0, max_digits=12, decimal_places=2)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str = Field("", max_length=3, description="ISO 4217 code, with an amount")
    people_reached: StrictInt | None = Field(None, ge=1, le=10_000_000)
    households_reached: StrictInt | None = Field(None, ge=1, le=10_000_000)
    channel: Channel = Channel.IN_PERSON
    language: str = Field("", max_length=3, description="ISO 639 code")
    city: str = Field("", max_length=100)
    staff_id: StrictInt | None = Field(None, ge=1, le=LARGEST_ID, description="Default: you")


class DeliveryPatch(Body):
    service_type_id: StrictInt | None = Field(None, ge=1, le=LARGEST_ID)
    delivered_on: Day | None = None
    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    quantity: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=2)
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    people_reached: StrictInt | None = Field(None, ge=1, le=10_000_000)
    households_reached: StrictInt | None = Field(None, ge=1, le=10_000_000)
    channel: Channel | None = None
    language: str | None = Field(None, max_length=3)
    city: str | None = Field(None, max_length=100)
    staff_id: StrictInt | None = Field(None, ge=1, le=LARGEST_ID)


def _service_type_out(service_type: ServiceType, hidden: set[int]) -> ServiceTypeOut:
    return ServiceTypeOut(
        id=service_type.pk,
        code=service_type.code,
        name=access.service_label(service_type),
        category=service_type.category,
        unit=service_type.unit,
        counts_money=service_type.counts_money,
        default=service_type.organisation_id is None,
        hidden=service_type.pk in hidden,
    )


def _delivery_out(delivery: ServiceDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.pk,
        service_type_id=delivery.service_type_id,
        service=access.service_label(delivery.service_type),
        unit=delivery.service_type.unit,
        delivered_on=delivery.delivered_on,
        person_id=delivery.person_id,
        person_code=delivery.person.code if delivery.person else None,
        household_id=delivery.household_id,
        household_code=delivery.household.code if delivery.household else None,
        quantity=delivery.quantity,
        amount=delivery.amount,
        currency=delivery.currency,
        people_reached=delivery.people_reached,
        households_reached=delivery.households_reached,
        channel=delivery.channel,
        language=delivery.language,
        city=delivery.city,
        staff_id=delivery.staff_id,
        created_at=delivery.created_at,
    )


def _references(organisation: Organisation, values: dict[str, Any]) -> dict[str, Any]:
    """Turn the ids of a body into objects of the organisation; unknown ones are a 400."""
    resolved = dict(values)
    errors: dict[str, str] = {}
    if "service_type_id" in resolved:
        service_type_id = resolved.pop("service_type_id")
        found = (
            access.available_service_type(organisation, service_type_id)
            if service_type_id is not None
            else None
        )
        if found is None:
            errors["service_type_id"] = "Choose a service your catalogue offers."
        resolved["service_type"] = found
    if "person_id" in resolved:
        person_id = resolved.pop("person_id")
        person = access.person_in(organisation, person_id) if person_id else None
        if person_id and person is None:
            errors["person_id"] = "No person with this id in your organisation."
        resolved["person"] = person
    if "household_id" in resolved:
        household_id = resolved.pop("household_id")
        household = access.household_in(organisation, household_id) if household_id else None
        if household_id and household is None:
            errors["household_id"] = "No household with this id in your organisation."
        resolved["household"] = household
    if "staff_id" in resolved:
        staff_id = resolved.pop("staff_id")
        staff = (
            User.objects.filter(
                pk=staff_id,
                pk__in=RoleAssignment.objects.filter(organisation=organisation).values("user"),
            ).first()
            if staff_id
            else None
        )
        if staff_id and staff is None:
            errors["staff_id"] = "Choose a member of your staff."
        resolved["staff"] = staff
    for name in ("channel", "category"):
        if name in resolved and resolved[name] is not None:
            resolved[name] = getattr(resolved[name], "value", resolved[name])
    if errors:
        raise ValidationError(errors)
    return resolved


# --- catalogue ---------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/services/types",
    response=ServiceTypePage,
    summary="The service catalogue: default services and the organisation's own",
)
@api_organisation_operation("casework.view_person")
def list_service_types(
    request: OrganisationRequest, org: str, filters: Query[ServiceTypeQuery]
) -> ServiceTypePage:
    hidden = access.hidden_ids(request.organisation)
    entries = [
        entry
        for entry in access.catalogue_for(request.organisation)
        if filters.include_hidden or not entry.hidden
    ]
    page = entries[filters.offset : filters.offset + filters.limit]
    return ServiceTypePage(
        count=len(entries),
        items=[_service_type_out(entry.service_type, hidden) for entry in page],
    )


@router.post(
    "/orgs/{org}/services/types",
    response={201: ServiceTypeOut, 400: Message},
    summary="Add a service of the organisation's own (its code is made from the name); a name "
    "already in the catalogue, in any language it is shown in, is refused",
)
@api_organisation_operation("casework.manage_settings")
def create_service_type(
    request: OrganisationRequest, org: str, payload: ServiceTypeIn
) -> Status[ServiceTypeOut]:
    service_type = actions.create_service_type(
        actor=request.user,
        organisation=request.organisation,
        name=payload.name,
        category=payload.category.value,
        unit=payload.unit,
        counts_money=payload.counts_money,
        request=request,
    )
    return Status(201, _service_type_out(service_type, set()))


@router.get(
    "/orgs/{org}/services/types/{service_type_id}",
    response=ServiceTypeOut,
    summary="One service type of the catalogue",
)
@api_organisation_operation("casework.view_person")
def get_service_type(
    request: OrganisationRequest, org: str, service_type_id: int
) -> ServiceTypeOut:
    service_type = access.service_type_for(request.organisation, service_type_id)
    return _service_type_out(service_type, access.hidden_ids(request.organisation))


@router.patch(
    "/orgs/{org}/services/types/{service_type_id}",
    response={200: ServiceTypeOut, 400: Message},
    summary="Change an own service, or hide or show any service (`hidden`)",
)
@api_organisation_operation("casework.manage_settings")
def update_service_type(
    request: OrganisationRequest, org: str, service_type_id: int, payload: ServiceTypePatch
) -> ServiceTypeOut:
    organisation = request.organisation
    service_type = access.service_type_for(organisation, service_type_id)
    changes = _references(organisation, payload.model_dump(exclude_unset=True))
    hidden = changes.pop("hidden", None)
    if changes:
        if service_type.organisation_id is None:
            raise ValidationError(
                {"__all__": "Default services cannot be changed, only hidden or shown."}
            )
        if any(value is None for value in changes.values()):
            raise ValidationError({"__all__": "These fields cannot be emptied."})
        service_type = actions.update_service_type(
            actor=request.user, service_type=service_type, changes=changes, request=request
        )
    if hidden is not None:
        actions.set_service_type_hidden(
            actor=request.user,
            organisation=organisation,
            service_type=service_type,
            hidden=hidden,
            request=request,
        )
    return _service_type_out(service_type, access.hidden_ids(organisation))


# --- deliveries --------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/services/deliveries",
    response=DeliveryPage,
    summary="Services given, newest first, filtered, with totals for the whole filtered set",
)
@api_organisation_operation("casework.view_person")
def list_deliveries(
    request: OrganisationRequest, org: str, query: Query[DeliveryQuery]
) -> DeliveryPage:
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise ValidationError({"date_to": "The end date is before the start date."})
    filters = access.DeliveryFilters(
        service_type_id=query.service_type_id,
        date_from=query.date_from,
        date_to=query.date_to,
        channel=query.channel.value if query.channel else "",
        city=query.city,
        staff_id=query.staff_id,
        person_code=query.person_code,
        person_id=query.person_id,
        household_id=query.household_id,
    )
    deliveries = access.deliveries_matching(request.organisation, filters)
    totals = access.totals_of(deliveries)
    page = list(access.for_listing(deliveries)[query.offset : query.offset + query.limit])
    access.note_listing(
        actor=request.user,
        organisation=request.organisation,
        filters=filters,
        count=len(page),
        request=request,
    )
    return DeliveryPage(
        count=totals.count,
        items=[_delivery_out(delivery) for delivery in page],
        totals=Totals(
            count=totals.count,
            quantities=[UnitTotal(unit=unit, quantity=total) for unit, total in totals.quantities],
            amounts=[
                CurrencyTotal(currency=currency, amount=total) for currency, total in totals.amounts
            ],
            people_reached=totals.people_reached,
            households_reached=totals.households_reached,
        ),
    )


@router.post(
    "/orgs/{org}/services/deliveries",
    response={201: DeliveryOut, 400: Message},
    summary="Record a service given, or a bulk distribution or group session (no person)",
)
@api_organisation_operation("casework.record_service")
def create_delivery(
    request: OrganisationRequest, org: str, payload: DeliveryIn
) -> Status[DeliveryOut]:
    values = _references(request.organisation, payload.model_dump())
    if values["staff"] is None:
        values["staff"] = request.user
    delivery = actions.record_delivery(
        actor=request.user, organisation=request.organisation, request=request, **values
    )
    return Status(201, _delivery_out(delivery))


@router.get(
    "/orgs/{org}/services/deliveries/{delivery_id}",
    response=DeliveryOut,
    summary="One service given",
)
@api_organisation_operation("casework.view_person")
def get_delivery(request: OrganisationRequest, org: str, delivery_id: uuid.UUID) -> DeliveryOut:
    delivery = access.delivery_for(
        request.organisation, delivery_id, viewer=request.user, request=request
    )
    return _delivery_out(delivery)


@router.patch(
    "/orgs/{org}/services/deliveries/{delivery_id}",
    response={200: DeliveryOut, 400: Message},
    summary="Correct a service given (null clears an optional field)",
)
@api_organisation_operation("casework.record_service")
def update_delivery(
    request: OrganisationRequest, org: str, delivery_id: uuid.UUID, payload: DeliveryPatch
) -> DeliveryOut:
    delivery = access.delivery_for(request.organisation, delivery_id)
    changes = payload.model_dump(exclude_unset=True)
    required = ("service_type_id", "delivered_on", "quantity", "channel")
    emptied = [name for name in required if name in changes and changes[name] is None]
    if emptied:
        raise ValidationError(dict.fromkeys(emptied, "This field cannot be emptied."))
    for name in ("currency", "language", "city"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    if "service_type_id" in changes and changes["service_type_id"] == delivery.service_type_id:
        # Keeping a service that has since been hidden is fine.
        del changes["service_type_id"]
    updated = actions.update_delivery(
        actor=request.user,
        delivery=delivery,
        changes=_references(request.organisation, changes),
        request=request,
    )
    return _delivery_out(updated)


@router.delete(
    "/orgs/{org}/services/deliveries/{delivery_id}",
    response={204: None},
    summary="Delete a service recorded by mistake (audited)",
)
@api_organisation_operation("casework.record_service")
def delete_delivery(request: OrganisationRequest, org: str, delivery_id: uuid.UUID) -> Status[None]:
    delivery = access.delivery_for(request.organisation, delivery_id)
    actions.delete_delivery(actor=request.user, delivery=delivery, request=request)
    return Status(204, None)
