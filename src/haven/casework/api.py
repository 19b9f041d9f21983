"""API of casework: persons, households, consents, cases, notes and the casework settings.

Identifying values are only in ``/persons/{person_id}/identity`` (casework.view_identity),
and each read of it is audited; every other person answer carries the code and neutral
facts. No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import Day
from haven.casework import access, actions
from haven.casework.htcds import (
    CaseStatus,
    Exploitation,
    Gender,
    MeansOfControl,
    Sector,
    TraffickingStatus,
    Vulnerability,
)
from haven.casework.models import (
    AgeBand,
    Case,
    CaseNote,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Household,
    MigrationStatus,
    Need,
    Person,
    RiskLevel,
    Terminology,
)
from haven.casework.terminology import words_for
from haven.organisations.api import Body, Message
from haven.organisations.models import Organisation
from haven.timezones import zone_name_for

router = Router(tags=["casework"])

VIEW_IDENTITY = "casework.view_identity"


class Page(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10_000_000)


# Persons


class PersonOut(Schema):
    id: uuid.UUID
    code: str
    household_id: uuid.UUID | None
    gender: str
    age_band: str
    citizenship: list[str]
    languages: list[str]
    migration_status: str
    trafficking_status: str
    exploitation_types: list[str]
    sector: str
    exploitation_country: str
    means_of_control: list[str]
    in_sex_work: bool | None
    vulnerabilities: list[str]
    created_at: datetime
    last_activity_at: datetime


class PersonPage(Schema):
    count: int
    items: list[PersonOut]


class IdentityOut(Schema):
    id: uuid.UUID
    code: str
    given_name: str
    family_name: str
    alias: str
    birth_date: str
    estimated_age: str
    phone: str
    identity_document: str
    address: str
    notes: str


class PersonFields(Body):
    given_name: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    alias: str | None = Field(None, max_length=200)
    birth_date: Day | None = None
    estimated_age: StrictInt | None = Field(None, ge=0, le=120)
    phone: str | None = Field(None, max_length=40)
    identity_document: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)
    gender: Gender | None = None
    age_band: AgeBand | None = None
    citizenship: list[str] | None = Field(None, max_length=20, description="ISO 3166 alpha-2 codes")
    languages: list[str] | None = Field(None, max_length=50, description="ISO 639 codes")
    migration_status: MigrationStatus | None = None
    trafficking_status: TraffickingStatus | None = None
    exploitation_types: list[Exploitation] | None = Field(None, max_length=20)
    sector: Sector | None = None
    exploitation_country: str | None = Field(None, max_length=2)
    means_of_control: list[MeansOfControl] | None = Field(None, max_length=20)
    in_sex_work: StrictBool | None = None
    vulnerabilities: list[Vulnerability] | None = Field(None, max_length=20)


class IntakeConsent(Schema):
    given_on: date
    method: ConsentMethod


class PersonIn(PersonFields):
    """A new person, with the casework consent given at intake (required)."""

    consent: IntakeConsent
    household_id: uuid.UUID | None = None
    new_household: StrictBool = False


class PersonQuery(Page):
    code: str = Field("", max_length=20, description="Whole code or its start")
    name: str = Field(
        "",
        max_length=200,
        description="Exact given name, family name, alias or phone (casework.view_identity)",
    )
    trafficking_status: TraffickingStatus | None = None
    exploitation_type: Exploitation | None = None
    in_sex_work: bool | None = None
    gender: Gender | None = None
    age_band: AgeBand | None = None
    service: str = Field("", max_length=40, description="Code of a service type received")
    active_from: date | None = None
    active_to: date | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return getattr(value, "value", value)


def _person_values(payload: PersonFields, *, fields: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields & set(actions.PERSON_FIELDS):
        value = _plain(getattr(payload, name))
        if name == "birth_date":
            value = value.isoformat() if value else ""
        elif name == "estimated_age":
            value = "" if value is None else str(value)
        elif name == "exploitation_country":
            value = (value or "").upper()
        elif name == "citizenship" and value:
            value = [str(code).upper() for code in value]
        values[name] = value
    return values


def _person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk,
        code=person.code,
        household_id=person.household_id,
        gender=person.gender,
        age_band=person.age_band,
        citizenship=list(person.citizenship or []),
        languages=list(person.languages or []),
        migration_status=person.migration_status,
        trafficking_status=person.trafficking_status,
        exploitation_types=list(person.exploitation_types or []),
        sector=person.sector,
        exploitation_country=person.exploitation_country.code or "",
        means_of_control=list(person.means_of_control or []),
        in_sex_work=person.in_sex_work,
        vulnerabilities=list(person.vulnerabilities or []),
        created_at=person.created_at,
        last_activity_at=person.last_activity_at,
    )


def _refuse_identity_without_permission(request: OrganisationRequest, fields: set[str]) -> None:
    if fields & set(actions.IDENTITY_FIELDS) and VIEW_IDENTITY not in request.permissions:
        raise PermissionDenied(_("Your roles do not allow identifying details."))


def _household_in_body(request: OrganisationRequest, household_id: uuid.UUID) -> Household:
    try:
        return access.household_for(request.organisation, household_id)
    except Http404:
        raise ValidationError({"household_id": _("Unknown household.")}) from None


def _person_in_body(request: OrganisationRequest, person_id: uuid.UUID) -> Person:
    try:
        return access.person_in(request.organisation, person_id)
    except Http404:
        raise ValidationError({"person_id": _("Unknown person.")}) from None


@router.get("/orgs/{org}/persons", response=PersonPage, summary="Search the persons")
@api_organisation_operation("casework.view_person")
def list_persons(request: OrganisationRequest, org: str, filters: Query[PersonQuery]) -> PersonPage:
    if filters.name and VIEW_IDENTITY not in request.permissions:
        raise PermissionDenied(_("Your roles do not allow searching by name or phone."))
    if filters.active_from and filters.active_to and filters.active_to < filters.active_from:
        raise ValidationError({"active_to": _("The end comes before the start.")})
    persons = access.search_persons(
        request.organisation,
        access.PersonFilters(
            code=filters.code,
            name=filters.name,
            trafficking_status=_plain(filters.trafficking_status) or "",
            exploitation_type=_plain(filters.exploitation_type) or "",
            in_sex_work=filters.in_sex_work,
            gender=_plain(filters.gender) or "",
            age_band=_plain(filters.age_band) or "",
            service=filters.service,
            active_from=filters.active_from,
            active_to=filters.active_to,
        ),
    )
    items = list(persons[filters.offset : filters.offset + filters.limit])
    access.record_listing(
        request, "person.listed", len(items), matched=items if filters.name else None
    )
    return PersonPage(count=persons.count(), items=[_person_out(p) for p in items])


@router.post(
    "/orgs/{org}/persons",
    response={201: PersonOut, 400: Message},
    summary="Record a person with their casework consent",
)
@api_organisation_operation("casework.edit")
def create_person(request: OrganisationRequest, org: str, payload: PersonIn) -> Status[PersonOut]:
    fields = set(payload.model_fields_set)
    _refuse_identity_without_permission(request, fields)
    household = None
    if payload.household_id is not None:
        if payload.new_household:
            raise ValidationError(
                {"household_id": _("Give either household_id or new_household, not both.")}
            )
        household = _household_in_body(request, payload.household_id)
    person = actions.create_person(
        actor=request.user,
        organisation=request.organisation,
        values=_person_values(payload, fields=fields),
        consent_given_on=payload.consent.given_on,
        consent_method=payload.consent.method.value,
        household=household,
        new_household=payload.new_household,
        request=request,
    )
    return Status(201, _person_out(person))


@router.get("/orgs/{org}/persons/{person_id}", response=PersonOut, summary="One person")
@api_organisation_operation("casework.view_person")
def get_person(request: OrganisationRequest, org: str, person_id: uuid.UUID) -> PersonOut:
    return _person_out(access.person_for(request, person_id))


@router.get(
    "/orgs/{org}/persons/{person_id}/identity",
    response=IdentityOut,
    summary="A person's identifying details (audited)",
)
@api_organisation_operation(VIEW_IDENTITY)
def get_identity(request: OrganisationRequest, org: str, person_id: uuid.UUID) -> IdentityOut:
    person = access.person_in(request.organisation, person_id)
    access.reveal_identity(request, person)
    return IdentityOut(
        id=person.pk,
        code=person.code,
        **{name: getattr(person, name) or "" for name in actions.IDENTITY_FIELDS},
    )


@router.patch(
    "/orgs/{org}/persons/{person_id}",
    response={200: PersonOut, 400: Message},
    summary="Change a person's details (null clears a value)",
)
@api_organisation_operation("casework.edit")
def update_person(
    request: OrganisationRequest, org: str, person_id: uuid.UUID, payload: PersonFields
) -> PersonOut:
    fields = set(payload.model_fields_set)
    _refuse_identity_without_permission(request, fields)
    person = access.person_in(request.organisation, person_id)
    actions.update_person(
        actor=request.user,
        person=person,
        values=_person_values(payload, fields=fields),
        request=request,
    )
    return _person_out(person)


# Households


class MemberRef(Schema):
    id: uuid.UUID
    code: str


class HouseholdOut(Schema):
    id: uuid.UUID
    code: str
    other_members: int
    members: list[MemberRef]


class HouseholdPage(Schema):
    count: int
    items: list[HouseholdOut]


MEMBERS = (
    "Each person once; none already in another household (move someone with "
    "POST /households/{household_id}/members)."
)


class HouseholdIn(Body):
    other_members: StrictInt = Field(0, ge=0, le=100)
    person_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description=f"The members with a record. {MEMBERS} A household needs at least one "
        "of these or other_members of 1 or more.",
    )


class HouseholdPatch(Body):
    other_members: StrictInt | None = Field(None, ge=0, le=100)
    person_ids: list[uuid.UUID] | None = Field(
        None,
        max_length=50,
        description=f"The members with a record, replacing the current ones. {MEMBERS}",
    )


class MemberIn(Body):
    person_id: uuid.UUID


def _members_as_person_ids(error: ValidationError) -> ValidationError:
    """An action's refusal of members, under the name the API gives them."""
    if not hasattr(error, "error_dict") or "members" not in error.error_dict:
        return error
    problems = error.message_dict
    problems["person_ids"] = problems.pop("members")
    return ValidationError(problems)


def _households_out(
    request: OrganisationRequest, households: list[Household]
) -> list[HouseholdOut]:
    members: dict[uuid.UUID, list[MemberRef]] = {h.pk: [] for h in households}
    for person_id, code, household_id in (
        Person.objects.filter(organisation=request.organisation, household__in=households)
        .order_by("code")
        .values_list("pk", "code", "household_id")
    ):
        members[household_id].append(MemberRef(id=person_id, code=code))
    return [
        HouseholdOut(id=h.pk, code=h.code, other_members=h.other_members, members=members[h.pk])
        for h in households
    ]


class HouseholdQuery(Page):
    code: str = Field("", max_length=20, description="Whole code or its start")


@router.get("/orgs/{org}/households", response=HouseholdPage, summary="The households")
@api_organisation_operation("casework.view_person")
def list_households(
    request: OrganisationRequest, org: str, page: Query[HouseholdQuery]
) -> HouseholdPage:
    households = access.households_of(request.organisation, page.code)
    items = list(households[page.offset : page.offset + page.limit])
    access.record_listing(request, "household.listed", len(items))
    return HouseholdPage(count=households.count(), items=_households_out(request, items))


@router.post(
    "/orgs/{org}/households",
    response={201: HouseholdOut, 400: Message},
    summary="Start a household: with persons not yet in one, or a count of other members",
)
@api_organisation_operation("casework.edit")
def create_household(
    request: OrganisationRequest, org: str, payload: HouseholdIn
) -> Status[HouseholdOut]:
    members = [_person_in_body(request, person_id) for person_id in payload.person_ids]
    try:
        household = actions.create_household(
            actor=request.user,
            organisation=request.organisation,
            other_members=payload.other_members,
            members=members,
            request=request,
        )
    except ValidationError as error:
        raise _members_as_person_ids(error) from None
    return Status(201, _households_out(request, [household])[0])


@router.get("/orgs/{org}/households/{household_id}", response=HouseholdOut, summary="One household")
@api_organisation_operation("casework.view_person")
def get_household(request: OrganisationRequest, org: str, household_id: uuid.UUID) -> HouseholdOut:
    household = access.household_for(request.organisation, household_id)
    out = _households_out(request, [household])[0]
    access.record_listing(request, "person.listed", len(out.members))
    return out


@router.patch(
    "/orgs/{org}/households/{household_id}",
    response={200: HouseholdOut, 400: Message},
    summary="Change the count of members without a record, or the list of members",
)
@api_organisation_operation("casework.edit")
def update_household(
    request: OrganisationRequest, org: str, household_id: uuid.UUID, payload: HouseholdPatch
) -> HouseholdOut:
    household = access.household_for(request.organisation, household_id)
    members = None
    if payload.person_ids is not None:
        members = [_person_in_body(request, person_id) for person_id in payload.person_ids]
    try:
        actions.update_household(
            actor=request.user,
            household=household,
            other_members=payload.other_members,
            members=members,
            request=request,
        )
    except ValidationError as error:
        raise _members_as_person_ids(error) from None
    return _households_out(request, [household])[0]


@router.post(
    "/orgs/{org}/households/{household_id}/members",
    response={200: HouseholdOut, 400: Message},
    summary="Add a person to a household (they leave any other)",
)
@api_organisation_operation("casework.edit")
def add_member(
    request: OrganisationRequest, org: str, household_id: uuid.UUID, payload: MemberIn
) -> HouseholdOut:
    household = access.household_for(request.organisation, household_id)
    person = _person_in_body(request, payload.person_id)
    actions.add_to_household(
        actor=request.user, household=household, person=person, request=request
    )
    return _households_out(request, [household])[0]


@router.delete(
    "/orgs/{org}/households/{household_id}/members/{person_id}",
    response={200: HouseholdOut, 400: Message},
    summary="Take a person out of a household",
)
@api_organisation_operation("casework.edit")
def remove_member(
    request: OrganisationRequest, org: str, household_id: uuid.UUID, person_id: uuid.UUID
) -> HouseholdOut:
    household = access.household_for(request.organisation, household_id)
    person = access.person_in(request.organisation, person_id)
    if person.household_id != household.pk:
        raise Http404
    actions.remove_from_household(
        actor=request.user, household=household, person=person, request=request
    )
    return _households_out(request, [household])[0]


# Consents


class ConsentOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    purpose: str
    recipient_id: int | None
    given_on: date
    method: str
    recorded_by_id: int | None
    recorded_at: datetime
    withdrawn_on: date | None
    withdrawn_by_id: int | None
    in_force: bool


class ConsentIn(Body):
    purpose: ConsentPurpose
    recipient_id: StrictInt | None = Field(
        None, ge=1, le=2**31 - 1, description="Organisation, for a referral only"
    )
    given_on: Day
    method: ConsentMethod


class WithdrawIn(Body):
    withdrawn_on: Day | None = None


def _consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut(
        id=consent.pk,
        person_id=consent.person_id,
        purpose=consent.purpose,
        recipient_id=consent.recipient_id,
        given_on=consent.given_on,
        method=consent.method,
        recorded_by_id=consent.recorded_by_id,
        recorded_at=consent.recorded_at,
        withdrawn_on=consent.withdrawn_on,
        withdrawn_by_id=consent.withdrawn_by_id,
        # The rule of access.active_consents, by the organisation's calendar, not the server's.
        in_force=consent.given_on <= timezone.localdate()
        and (consent.withdrawn_on is None or consent.withdrawn_on > timezone.localdate()),
    )


@router.get(
    "/orgs/{org}/persons/{person_id}/consents",
    response=list[ConsentOut],
    summary="A person's consents, withdrawn ones included",
)
@api_organisation_operation("casework.view_person")
def list_consents(request: OrganisationRequest, org: str, person_id: uuid.UUID) -> list[ConsentOut]:
    person = access.person_for(request, person_id)
    return [_consent_out(consent) for consent in access.consents_of(person)]


@router.post(
    "/orgs/{org}/persons/{person_id}/consents",
    response={201: ConsentOut, 400: Message},
    summary="Record a consent (a referral names its recipient organisation)",
)
@api_organisation_operation("casework.edit")
def create_consent(
    request: OrganisationRequest, org: str, person_id: uuid.UUID, payload: ConsentIn
) -> Status[ConsentOut]:
    person = access.person_in(request.organisation, person_id)
    recipient = None
    if payload.recipient_id is not None:
        recipient = Organisation.objects.filter(pk=payload.recipient_id).first()
        if recipient is None:
            raise ValidationError({"recipient_id": _("Unknown organisation.")})
    consent = actions.record_consent(
        actor=request.user,
        person=person,
        purpose=payload.purpose.value,
        given_on=payload.given_on,
        method=payload.method.value,
        recipient=recipient,
        request=request,
    )
    return Status(201, _consent_out(consent))


@router.post(
    "/orgs/{org}/persons/{person_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, 400: Message},
    summary="Withdraw a consent (today, unless withdrawn_on says otherwise)",
)
@api_organisation_operation("casework.edit")
def withdraw_consent(
    request: OrganisationRequest,
    org: str,
    person_id: uuid.UUID,
    consent_id: uuid.UUID,
    payload: WithdrawIn,
) -> ConsentOut:
    person = access.person_in(request.organisation, person_id)
    consent = access.consent_for(request.organisation, consent_id, person=person)
    actions.withdraw_consent(
        actor=request.user, consent=consent, withdrawn_on=payload.withdrawn_on, request=request
    )
    return _consent_out(consent)


# Cases


class CaseOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    person_code: str
    status: str
    opened_on: date
    closed_on: date | None
    assigned_to_id: int | None
    needs: list[str]
    risk_level: str
    follow_up_on: date | None


class CasePage(Schema):
    count: int
    items: list[CaseOut]


class CaseQuery(Page):
    person_id: uuid.UUID | None = None
    status: CaseStatus | None = None
    open: bool | None = Field(None, description="Only open (true) or closed (false) cases")
    mine: bool = Field(False, description="Only cases assigned to me")
    due_on: date | None = Field(None, description="Open cases to follow up by this date")


class CaseIn(Body):
    person_id: uuid.UUID
    opened_on: Day | None = None
    assigned_to_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)
    needs: list[Need] = Field(default_factory=list, max_length=20)
    risk_level: RiskLevel = RiskLevel.LOW
    follow_up_on: Day | None = None


class CasePatch(Body):
    opened_on: Day | None = None
    assigned_to_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)
    needs: list[Need] | None = Field(None, max_length=20)
    risk_level: RiskLevel | None = None
    follow_up_on: Day | None = None
    status: CaseStatus | None = None


class CloseIn(Body):
    closed_on: Day | None = None
    status: CaseStatus = CaseStatus.CLOSED


def _case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.pk,
        person_id=case.person_id,
        person_code=case.person.code,
        status=case.status,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        assigned_to_id=case.assigned_to_id,
        needs=list(case.needs or []),
        risk_level=case.risk_level,
        follow_up_on=case.follow_up_on,
    )


def _assignee(request: OrganisationRequest, user_id: int | None) -> Any:
    if user_id is None:
        return None
    found = access.assignable_staff(request.organisation).filter(pk=user_id).first()
    if found is None:
        raise ValidationError({"assigned_to_id": _("Choose a caseworker of your organisation.")})
    return found


@router.get("/orgs/{org}/cases", response=CasePage, summary="The cases, filtered")
@api_organisation_operation("casework.view_person")
def list_cases(request: OrganisationRequest, org: str, filters: Query[CaseQuery]) -> CasePage:
    cases: QuerySet[Case]
    if filters.due_on is not None:
        cases = access.cases_due_for_follow_up(request.organisation, filters.due_on)
    else:
        cases = access.cases_of(request.organisation).order_by("-opened_on", "-created_at")
    if filters.mine:
        cases = cases.filter(assigned_to=request.user)
    if filters.person_id is not None:
        cases = cases.filter(person_id=filters.person_id)
    if filters.status is not None:
        cases = cases.filter(status=filters.status.value)
    if filters.open is not None:
        cases = (
            cases.filter(status__in=access.OPEN_STATUSES)
            if filters.open
            else cases.exclude(status__in=access.OPEN_STATUSES)
        )
    items = list(cases[filters.offset : filters.offset + filters.limit])
    access.record_listing(request, "case.listed", len(items), about=filters.person_id)
    return CasePage(count=cases.count(), items=[_case_out(case) for case in items])


@router.post("/orgs/{org}/cases", response={201: CaseOut, 400: Message}, summary="Open a case")
@api_organisation_operation("casework.edit")
def open_case(request: OrganisationRequest, org: str, payload: CaseIn) -> Status[CaseOut]:
    person = _person_in_body(request, payload.person_id)
    case = actions.open_case(
        actor=request.user,
        person=person,
        opened_on=payload.opened_on,
        assigned_to=_assignee(request, payload.assigned_to_id),
        needs=[need.value for need in payload.needs],
        risk_level=payload.risk_level.value,
        follow_up_on=payload.follow_up_on,
        request=request,
    )
    return Status(201, _case_out(case))


@router.get("/orgs/{org}/cases/{case_id}", response=CaseOut, summary="One case (audited)")
@api_organisation_operation("casework.view_person")
def get_case(request: OrganisationRequest, org: str, case_id: uuid.UUID) -> CaseOut:
    return _case_out(access.case_for(request, case_id))


@router.patch(
    "/orgs/{org}/cases/{case_id}",
    response={200: CaseOut, 400: Message},
    summary="Change an open case",
)
@api_organisation_operation("casework.edit")
def update_case(
    request: OrganisationRequest, org: str, case_id: uuid.UUID, payload: CasePatch
) -> CaseOut:
    case = access.case_in(request.organisation, case_id)
    values: dict[str, Any] = {}
    for name in payload.model_fields_set:
        value = _plain(getattr(payload, name))
        if name == "assigned_to_id":
            values["assigned_to"] = _assignee(request, value)
        elif name in ("risk_level", "status", "opened_on") and value is None:
            raise ValidationError({name: _("This field cannot be empty.")})
        elif name == "needs":
            values["needs"] = value or []
        else:
            values[name] = value
    actions.update_case(actor=request.user, case=case, values=values, request=request)
    return _case_out(case)


@router.post(
    "/orgs/{org}/cases/{case_id}/close",
    response={200: CaseOut, 400: Message},
    summary="Close a case (today, unless closed_on says otherwise)",
)
@api_organisation_operation("casework.edit")
def close_case(
    request: OrganisationRequest, org: str, case_id: uuid.UUID, payload: CloseIn
) -> CaseOut:
    case = access.case_in(request.organisation, case_id)
    actions.close_case(
        actor=request.user,
        case=case,
        closed_on=payload.closed_on,
        status=payload.status.value,
        request=request,
    )
    return _case_out(case)


# Notes


class NoteOut(Schema):
    id: uuid.UUID
    case_id: uuid.UUID
    text: str
    author_id: int | None
    written_at: datetime


class NotePage(Schema):
    count: int
    items: list[NoteOut]


class NoteIn(Body):
    text: str = Field(..., min_length=1, max_length=20_000)


def _note_out(note: CaseNote) -> NoteOut:
    return NoteOut(
        id=note.pk,
        case_id=note.case_id,
        text=note.text,
        author_id=note.author_id,
        written_at=note.written_at,
    )


@router.get(
    "/orgs/{org}/cases/{case_id}/notes",
    response=NotePage,
    summary="The notes of a case, newest first (audited)",
)
@api_organisation_operation(VIEW_IDENTITY)
def list_notes(
    request: OrganisationRequest, org: str, case_id: uuid.UUID, page: Query[Page]
) -> NotePage:
    case = access.case_in(request.organisation, case_id)
    notes = access.notes_of(request.organisation, case)
    items = access.notes_read(request, case, notes[page.offset : page.offset + page.limit])
    return NotePage(count=notes.count(), items=[_note_out(n) for n in items])


@router.post(
    "/orgs/{org}/cases/{case_id}/notes",
    response={201: NoteOut, 400: Message},
    summary="Add a note to a case",
)
@api_organisation_operation("casework.edit")
def create_note(
    request: OrganisationRequest, org: str, case_id: uuid.UUID, payload: NoteIn
) -> Status[NoteOut]:
    case = access.case_in(request.organisation, case_id)
    note = actions.add_note(actor=request.user, case=case, text=payload.text, request=request)
    return Status(201, _note_out(note))


# Settings


class SettingsOut(Schema):
    terminology: str
    person_word: str
    people_word: str
    code_prefix: str
    person_retention_months: int
    call_retention_months: int
    time_zone: str = Field(description="The zone chosen; empty: the country's main zone")
    time_zone_in_use: str = Field(description="The zone the organisation's pages work in")


class SettingsPatch(Body):
    terminology: Terminology | None = None
    code_prefix: str | None = Field(None, min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")
    person_retention_months: StrictInt | None = Field(None, ge=0, le=600)
    call_retention_months: StrictInt | None = Field(None, ge=0, le=600)
    time_zone: str | None = Field(
        None, max_length=64, description="An IANA zone such as Europe/Paris; empty: the country's"
    )
    confirm: StrictBool = Field(
        False,
        description=(
            "Shorter retention periods under which the next retention run would delete "
            "persons or anonymise calls that the current periods keep are refused with 409 "
            "unless this is true"
        ),
    )


class RetentionRemovalRefusal(Schema):
    """Shorter retention periods refused until confirmed, with what the next run would remove."""

    detail: Any
    persons_deleted: int = Field(description="Persons the next run would delete")
    calls_anonymised: int = Field(description="Helpline calls the next run would anonymise")
    next_run: datetime = Field(description="When the next retention run is (03:00 UTC)")


def _settings_out(request: OrganisationRequest) -> SettingsOut:
    current = access.settings_of(request.organisation)
    words = words_for(current.terminology)
    return SettingsOut(
        terminology=current.terminology,
        person_word=words["person"],
        people_word=words["people"],
        code_prefix=current.code_prefix,
        person_retention_months=current.person_retention_months,
        call_retention_months=current.call_retention_months,
        time_zone=current.time_zone,
        time_zone_in_use=zone_name_for(current.time_zone, request.organisation.country.code or ""),
    )


@router.get("/orgs/{org}/casework/settings", response=SettingsOut, summary="The casework settings")
@api_organisation_operation("casework.manage_settings")
def get_settings(request: OrganisationRequest, org: str) -> SettingsOut:
    return _settings_out(request)


@router.patch(
    "/orgs/{org}/casework/settings",
    response={200: SettingsOut, 400: Message, 409: RetentionRemovalRefusal},
    summary="Change terminology, code prefix, retention periods or time zone",
    description=(
        "Only the fields sent change. Retention periods that are shorter (or a period where "
        "0 kept everything until erased) under which the next retention run, at 03:00 UTC, "
        "would delete persons or anonymise helpline calls that the current periods keep are "
        "refused with 409, nothing saved, and the answer says how many; send the same "
        'values again with `"confirm": true` to save them. Once a shortening is saved, the '
        "organisation's admins and data protection officers are e-mailed."
    ),
)
@api_organisation_operation("casework.manage_settings")
def update_settings(
    request: OrganisationRequest, org: str, payload: SettingsPatch
) -> SettingsOut | Status[RetentionRemovalRefusal]:
    names = payload.model_fields_set - {"confirm"}
    values = {name: _plain(getattr(payload, name)) for name in names}
    for name, value in values.items():
        if value is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    try:
        actions.save_settings(
            actor=request.user,
            organisation=request.organisation,
            values=values,
            confirm_removal=payload.confirm,
            request=request,
        )
    except actions.RetentionRemovesRecords as refused:
        return Status(
            409,
            RetentionRemovalRefusal(
                detail={"__all__": refused.messages},
                persons_deleted=refused.removal.persons_deleted,
                calls_anonymised=refused.removal.calls_anonymised,
                next_run=refused.removal.run_at,
            ),
        )
    return _settings_out(request)
