"""Lookups of casework data, always inside one organisation; anything else is 404.

Reads of a person, a case or a note are audited here, one event per read, so every
page and API operation that shows one leaves a trace without remembering to.

Consent is enforced by the server through ``require_consent``:

- casework consent (purpose "casework") is required by casework.actions for opening or
  editing a case and adding a case note, and by the services, helpline and shelter
  actions before a service, a call linked to a person or a stay is recorded;
- referral consent (purpose "referral", with the named recipient organisation) is
  required before anything about the person is shared with that organisation;
- statistics consent is required before a person is counted in coalition statistics,
  and linkage consent before a record is linked with another member's records.

A consent counts from its date until it is withdrawn; withdrawing it stops every use
above at once, since each use asks again.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from haven.casework.htcds import CaseStatus
from haven.casework.models import (
    AgeBand,
    Case,
    CaseNote,
    Consent,
    ConsentPurpose,
    Household,
    OrganisationSettings,
    Person,
)
from haven.privacy import audit
from haven.privacy.fields import matches

if TYPE_CHECKING:
    from haven.accounts.models import User
    from haven.accounts.tenancy import OrganisationRequest
    from haven.organisations.models import Organisation

OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)


class ConsentRequired(ValidationError):
    """A use of a person's data that their consent does not cover; answered with 400."""


def _as_uuid(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)[:64])
    except ValueError:
        raise Http404 from None


# Consent


def consent_in_force(today: datetime.date) -> Q:
    """Consents given by ``today`` and not withdrawn by then (a withdrawal dated later has
    not taken effect yet)."""
    return Q(given_on__lte=today) & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today))


def active_consents(person: Person) -> QuerySet[Consent]:
    """The person's consents given by today and not withdrawn."""
    today = timezone.localdate()
    with scope(organisation=person.organisation_id):
        return Consent.objects.filter(
            consent_in_force(today), organisation_id=person.organisation_id, person_id=person.pk
        )


def has_consent(person: Person, purpose: str, recipient: Organisation | int | None = None) -> bool:
    """True if the person's consent for ``purpose`` (to ``recipient``, for referrals) holds."""
    consents = active_consents(person).filter(purpose=purpose)
    if purpose == ConsentPurpose.REFERRAL:
        if recipient is None:
            return False
        recipient_id = recipient if isinstance(recipient, int) else recipient.pk
        consents = consents.filter(recipient_id=recipient_id)
    with scope(organisation=person.organisation_id):
        return consents.exists()


def require_consent(
    person: Person, purpose: str, recipient: Organisation | int | None = None
) -> None:
    """Raise ConsentRequired unless the person's consent for ``purpose`` holds."""
    if has_consent(person, purpose, recipient):
        return
    messages: dict[str, str] = {
        ConsentPurpose.CASEWORK: _(
            "%(code)s has no casework consent in force: record their consent before "
            "recording anything about them."
        ),
        ConsentPurpose.REFERRAL: _(
            "%(code)s has not consented to a referral to this organisation."
        ),
        ConsentPurpose.STATISTICS: _("%(code)s has not consented to coalition statistics."),
        ConsentPurpose.LINKAGE: _("%(code)s has not consented to record linkage."),
    }
    message = messages.get(purpose, _("%(code)s has not consented to this use."))
    raise ConsentRequired(message % {"code": person.code}, code="consent_required")


# Persons


def person_in(organisation: Organisation, person_id: uuid.UUID | str) -> Person:
    """One of the organisation's persons, not audited (for actions), or 404."""
    person = (
        Person.objects.select_related("household")
        .filter(organisation=organisation, pk=_as_uuid(person_id))
        .first()
    )
    if person is None:
        raise Http404
    return person


def person_for(
    request: OrganisationRequest, person_id: uuid.UUID | str, *, audited: bool = True
) -> Person:
    """One of the request's organisation's persons, its read audited, or 404."""
    person = person_in(request.organisation, person_id)
    if audited:
        audit.record(
            "person.viewed",
            actor=request.user,
            organisation=request.organisation,
            target=person,
            request=request,
        )
    return person


def reveal_identity(request: OrganisationRequest, person: Person) -> None:
    """Record that identifying details of a person were shown (casework.view_identity)."""
    audit.record(
        "person.identity_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=person,
        request=request,
    )


def persons_of(organisation: Organisation) -> QuerySet[Person]:
    """The organisation's persons, most recently active first."""
    return Person.objects.filter(organisation=organisation).select_related("household")


# What the list of persons shows: codes and neutral facts, never an encrypted column.
LISTED_PERSON_COLUMNS = (
    "id",
    "organisation_id",
    "code",
    "gender",
    "age_band",
    "trafficking_status",
    "last_activity_at",
    "household_id",
    "household__id",
    "household__organisation_id",
    "household__code",
)


def for_person_listing(persons: QuerySet[Person]) -> QuerySet[Person]:
    """Persons as the list page shows them: nothing identifying is loaded."""
    return persons.only(*LISTED_PERSON_COLUMNS)


def record_listing(
    request: OrganisationRequest,
    action: str,
    count: int,
    *,
    about: uuid.UUID | str | None = None,
    matched: Iterable[Person] | None = None,
) -> None:
    """One audit event for a list page or list call: the count; the person it was filtered
    to (``about``), so that "who read this person's history?" finds it; and, for a search
    by name or phone, the persons it found (never the words searched)."""
    details: dict[str, Any] = {"count": count}
    if matched is not None:
        # "Is this person with you?" asked through a staff member: the DPO sees who was
        # found, as if each had been opened.
        details["identity_search"] = True
        details["matched"] = [str(person.pk) for person in matched]
    audit.record(
        action,
        actor=request.user,
        organisation=request.organisation,
        object_type="casework.person" if about is not None else "",
        object_id=str(about) if about is not None else "",
        details=details,
        request=request,
    )


# Households


def household_for(organisation: Organisation, household_id: uuid.UUID | str) -> Household:
    """One of the organisation's households, or 404."""
    household = Household.objects.filter(
        organisation=organisation, pk=_as_uuid(household_id)
    ).first()
    if household is None:
        raise Http404
    return household


def households_of(organisation: Organisation, code: str = "") -> QuerySet[Household]:
    """The organisation's households, newest first; those whose code starts with ``code``."""
    households = Household.objects.filter(organisation=organisation)
    if code.strip():
        households = households.filter(code__istartswith=code.strip())
    return households.order_by("-created_at")


# Consents


def consent_for(
    organisation: Organisation, consent_id: uuid.UUID | str, person: Person | None = None
) -> Consent:
    """One of the organisation's consents (of ``person`` if given), or 404."""
    consents = Consent.objects.select_related("person", "recipient").filter(
        organisation=organisation, pk=_as_uuid(consent_id)
    )
    if person is not None:
        consents = consents.filter(person=person)
    consent = consents.first()
    if consent is None:
        raise Http404
    return consent


def consents_of(person: Person) -> list[Consent]:
    """Every consent of a person, newest first, with recipients."""
    with scope(organisation=person.organisation_id):
        return list(
            Consent.objects.filter(organisation_id=person.organisation_id, person=person)
            .select_related("recipient", "recorded_by", "withdrawn_by")
            .order_by("-given_on", "-recorded_at")
        )


# Cases and notes


def case_in(organisation: Organisation, case_id: uuid.UUID | str) -> Case:
    """One of the organisation's cases, not audited (for actions), or 404."""
    case = (
        Case.objects.select_related("person", "assigned_to")
        .filter(organisation=organisation, pk=_as_uuid(case_id))
        .first()
    )
    if case is None:
        raise Http404
    return case


def case_for(
    request: OrganisationRequest, case_id: uuid.UUID | str, *, audited: bool = True
) -> Case:
    """One of the request's organisation's cases, its read audited, or 404."""
    case = case_in(request.organisation, case_id)
    if audited:
        audit.record(
            "case.viewed",
            actor=request.user,
            organisation=request.organisation,
            target=case,
            request=request,
        )
    return case


def cases_of(organisation: Organisation) -> QuerySet[Case]:
    """The organisation's cases with their persons and staff."""
    return Case.objects.filter(organisation=organisation).select_related("person", "assigned_to")


def cases_of_person(person: Person) -> list[Case]:
    """A person's cases, newest first."""
    with scope(organisation=person.organisation_id):
        return list(
            Case.objects.filter(organisation_id=person.organisation_id, person=person)
            .select_related("assigned_to")
            .order_by("-opened_on", "-created_at")
        )


def open_cases_of_person(person: Person) -> list[Case]:
    """A person's cases still open, newest first."""
    return [case for case in cases_of_person(person) if case.status in OPEN_STATUSES]


def notes_of(organisation: Organisation, case: Case) -> QuerySet[CaseNote]:
    """The notes of a case, newest first, not yet read: slice it to one page first."""
    return (
        CaseNote.objects.filter(organisation=organisation, case=case)
        .select_related("author")
        .order_by("-written_at", "-pk")
    )


def notes_read(
    request: OrganisationRequest, case: Case, notes: Iterable[CaseNote]
) -> list[CaseNote]:
    """One page of a case's notes, read and audited once with the count of those read."""
    # Only the page shown is read: the trail counts the notes seen, not the whole case's.
    page = list(notes)
    audit.record(
        "case.notes_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=case,
        details={"count": len(page)},
        request=request,
    )
    return page


def note_for(request: OrganisationRequest, case: Case, note_id: uuid.UUID | str) -> CaseNote:
    """One note of a case, its read audited, or 404."""
    note = (
        CaseNote.objects.select_related("author")
        .filter(organisation=request.organisation, case=case, pk=_as_uuid(note_id))
        .first()
    )
    if note is None:
        raise Http404
    audit.record(
        "case.note_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=note,
        request=request,
    )
    return note


def open_cases_assigned_to(organisation: Organisation, user: User) -> QuerySet[Case]:
    """The user's open cases in the organisation, soonest follow-up first."""
    with scope(organisation=organisation):
        return (
            Case.objects.filter(
                organisation=organisation, assigned_to=user, status__in=OPEN_STATUSES
            )
            .select_related("person")
            # SQLite and PostgreSQL disagree on where nulls sort; a case without a
            # follow-up date is never the soonest.
            .order_by(F("follow_up_on").asc(nulls_last=True), "-opened_on")
        )


def cases_due_for_follow_up(organisation: Organisation, on_date: datetime.date) -> QuerySet[Case]:
    """Open cases whose follow-up date is on or before ``on_date``."""
    with scope(organisation=organisation):
        return (
            Case.objects.filter(
                organisation=organisation,
                status__in=OPEN_STATUSES,
                follow_up_on__isnull=False,
                follow_up_on__lte=on_date,
            )
            .select_related("person", "assigned_to")
            .order_by("follow_up_on")
        )


# Settings


def settings_of(organisation: Organisation) -> OrganisationSettings:
    """The organisation's casework settings, defaults if none were saved yet (unsaved)."""
    with scope(organisation=organisation):
        found = OrganisationSettings.objects.filter(organisation=organisation).first()
    return found if found is not None else OrganisationSettings(organisation=organisation)


def assignable_staff(organisation: Organisation) -> QuerySet[User]:
    """Users of the organisation whose roles let them work on cases."""
    from haven.accounts.models import User
    from haven.casework.actions import caseworker_roles

    return (
        User.objects.filter(
            role_assignments__organisation=organisation,
            role_assignments__role__in=caseworker_roles(),
        )
        .distinct()
        .order_by("username")
    )


def household_by_code(organisation: Organisation, code: str) -> Household | None:
    """The organisation's household with this code (case does not matter), if any."""
    # Imported here: services.access imports this module. The same lookup as a service's,
    # so a code typed in lower case finds the household when a person joins it too.
    from haven.services.access import household_by_code as services_household_by_code

    return services_household_by_code(organisation, code)


@dataclass(frozen=True)
class PersonFilters:
    """What a person search asks for; empty values are not filters."""

    code: str = ""
    name: str = ""
    trafficking_status: str = ""
    exploitation_type: str = ""
    in_sex_work: bool | None = None
    gender: str = ""
    age_band: str = ""
    service: str = ""
    active_from: datetime.date | None = None
    active_to: datetime.date | None = None


SEARCHABLE_IDENTITY = ("given_name", "family_name", "alias", "phone")


# A full name is tried cut into a given and a family name at each space, both ways round:
# "Elena Thistle", "Maria José Garcia". Longer ones are no one's name typed at a search box.
FULL_NAME_WORDS = 5


def _persons_named(organisation: Organisation, name: str) -> set[uuid.UUID]:
    """The persons whose given name, family name, alias or phone is ``name``, or whose given
    and family names together are, in either order (each compared whole, blind-indexed)."""
    found: set[uuid.UUID] = set()
    for field in SEARCHABLE_IDENTITY:
        found.update(
            person.pk
            for person in matches(Person.objects.all(), field, name, organisation=organisation)
        )
    words = name.split()
    if not 1 < len(words) <= FULL_NAME_WORDS:
        return found
    for cut in range(1, len(words)):
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        for given, family in ((first, rest), (rest, first)):
            with_given = [
                person.pk
                for person in matches(
                    Person.objects.all(), "given_name", given, organisation=organisation
                )
            ]
            if with_given:
                found.update(
                    person.pk
                    for person in matches(
                        Person.objects.filter(pk__in=with_given),
                        "family_name",
                        family,
                        organisation=organisation,
                    )
                )
    return found


def search_persons(organisation: Organisation, filters: PersonFilters) -> QuerySet[Person]:
    """The organisation's persons matching every filter; names match exactly, blind-indexed."""
    from haven.services.models import ServiceDelivery

    persons = persons_of(organisation)
    if filters.code:
        # A prefix match covers the exact code too; on PostgreSQL it uses the
        # UPPER(code) text_pattern_ops index of migration 0003.
        persons = persons.filter(code__istartswith=filters.code.strip())
    if filters.name:
        persons = persons.filter(pk__in=_persons_named(organisation, filters.name))
    if filters.trafficking_status:
        persons = persons.filter(trafficking_status=filters.trafficking_status)
    if filters.exploitation_type:
        # JSON containment is not on SQLite; the codes are quoted words, so a text match on
        # the quoted code is exact.
        persons = persons.filter(exploitation_types__icontains=f'"{filters.exploitation_type}"')
    if filters.in_sex_work is not None:
        persons = persons.filter(in_sex_work=filters.in_sex_work)
    if filters.gender:
        persons = persons.filter(gender=filters.gender)
    if filters.age_band:
        persons = persons.filter(age_band=filters.age_band)
    if filters.service:
        given = ServiceDelivery.objects.filter(
            organisation=organisation,
            person=OuterRef("pk"),
            service_type__code=filters.service,
        )
        persons = persons.filter(Exists(given))
    if filters.active_from:
        persons = persons.filter(last_activity_at__date__gte=filters.active_from)
    if filters.active_to:
        persons = persons.filter(last_activity_at__date__lte=filters.active_to)
    return persons


# Coalition statistics: numbers only, and only of persons who consented to them.
#
# Reporting (haven.reporting) composes these with the services, helpline and shelter
# helpers of the same kind; none of them returns a person. They take the ids of the member
# organisations counted at once (a whole network's, or one), read inside a scope of exactly
# those, and every figure is grouped by organisation, so each member's figures are its own.
# The filters are SQL expressions over persons, evaluated inside the same query.


def statistics_consent(members: Sequence[int], person_ref: str = "pk") -> Q:
    """True where the person named by ``person_ref`` has statistics consent in force today.

    One list of the members' consenting persons, which the database hashes once, rather
    than a lookup per row: these filters run over hundreds of thousands of rows.
    """
    today = timezone.localdate()
    with scope(organisation=list(members)):
        consents = Consent.objects.filter(
            consent_in_force(today), organisation_id__in=members, purpose=ConsentPurpose.STATISTICS
        )
    return Q(**{f"{person_ref}__in": consents.values("person_id")})


def consenting_to_casework(organisation_id: int, person_ids: Collection[Any]) -> set[Any]:
    """Those of ``person_ids`` (the organisation's persons) with casework consent in force."""
    today = timezone.localdate()
    with scope(organisation=organisation_id):
        return set(
            Consent.objects.filter(
                consent_in_force(today),
                organisation_id=organisation_id,
                person_id__in=list(person_ids),
                purpose=ConsentPurpose.CASEWORK,
            ).values_list("person_id", flat=True)
        )


def consenting_to_statistics(organisation_id: int, person_ids: Collection[Any]) -> set[Any]:
    """Those of ``person_ids`` (the organisation's persons) with statistics consent in force."""
    with scope(organisation=organisation_id):
        return set(
            Person.objects.filter(organisation_id=organisation_id, pk__in=list(person_ids))
            .filter(statistics_consent([organisation_id]))
            .values_list("pk", flat=True)
        )


def household_consents_to_statistics(
    members: Sequence[int], household_ref: str = "household_id"
) -> Q:
    """True where every recorded member of the household has statistics consent."""
    with scope(organisation=list(members)):
        refusing = Person.objects.filter(
            organisation_id__in=members, household__isnull=False
        ).exclude(statistics_consent(members))
    return ~Q(**{f"{household_ref}__in": refusing.values("household_id")})


def open_case_filter(members: Sequence[int], start: datetime.date, end: datetime.date) -> Q:
    """Persons with a case open on at least one day from ``start`` to ``end``."""
    with scope(organisation=list(members)):
        cases = Case.objects.filter(organisation_id__in=members, opened_on__lte=end)
    return Q(
        pk__in=cases.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=start)).values("person_id")
    )


# The dimensions persons are counted by, with the value a blank field counts as.
PERSON_DIMENSIONS: dict[str, str] = {
    "gender": "NonSpecifiedUnknown",
    "age_band": "unknown",
    "trafficking_status": "unrecorded",
    "in_sex_work": "unrecorded",
    "sector": "unrecorded",
    "citizenship": "unknown",
    "exploitation": "none",
}
# A person counts under at most this many of their recorded types of exploitation (the
# first ones recorded), so one person adds at most this much to that table.
EXPLOITATION_TYPES_COUNTED = 2


@dataclass(frozen=True)
class PersonCounts:
    """How many consenting persons were supported in a period, in all and by dimension."""

    total: int
    new: int
    by: dict[str, dict[str, int]]
    # Persons supported in the period who are not counted, for want of statistics consent.
    left_out: int

    @property
    def continuing(self) -> int:
        return self.total - self.new


def _either(filters: list[Q]) -> Q:
    combined = Q(pk__in=[])
    for one in filters:
        combined |= one
    return combined


def _dimension_counts() -> dict[str, Any]:
    """Conditional counts of persons, one per category of gender, age band, trafficking,
    sex work and sector (a blank field counts under the dimension's blank value), so that
    the database sums them. They count a column that is never null, since COUNT(*) takes
    no filter."""
    from django.db.models import Count

    from haven.casework.htcds import Gender, Sector, TraffickingStatus

    def blank(field: str) -> Q:
        return Q(**{f"{field}__isnull": True}) | Q(**{field: ""})

    counts: dict[str, Any] = {}
    for dimension, values in (
        ("gender", Gender.values),
        ("age_band", AgeBand.values),
        (
            "trafficking_status",
            [*TraffickingStatus.values, PERSON_DIMENSIONS["trafficking_status"]],
        ),
        ("sector", [*Sector.values, PERSON_DIMENSIONS["sector"]]),
    ):
        for value in values:
            matches = Q(**{dimension: value})
            if value == PERSON_DIMENSIONS[dimension]:
                matches |= blank(dimension)
            counts[f"{dimension}|{value}"] = Count("organisation_id", filter=matches)
    for value, matches in (
        ("yes", Q(in_sex_work=True)),
        ("no", Q(in_sex_work=False)),
        (PERSON_DIMENSIONS["in_sex_work"], Q(in_sex_work__isnull=True)),
    ):
        counts[f"in_sex_work|{value}"] = Count("organisation_id", filter=matches)
    return counts


def person_counts(
    members: Sequence[int], *, supported: list[Q], start: datetime.date
) -> dict[int, PersonCounts]:
    """Counts, member by member, of the persons matching any ``supported`` filter; new if
    nothing was recorded for them before ``start`` (their first day of support).

    Only persons with statistics consent in force are counted; the others are counted
    in ``left_out`` and nowhere else. Each person adds one to every dimension but
    exploitation, where they add one for each of their first two recorded types.
    """
    from django.db.models import BooleanField, Count, ExpressionWrapper
    from django.db.models.fields.json import KeyTextTransform

    counts = _dimension_counts()
    with scope(organisation=list(members)):
        persons = Person.objects.filter(organisation_id__in=members).filter(_either(supported))
        # One pass over the persons supported, in a few thousand groups: persons without
        # consent come out as their own groups, counted only. Citizenship and the first
        # two types of exploitation are grouping columns (read from JSON once per person);
        # every other dimension is a conditional count, since grouping by all of them would
        # make a group of nearly each person.
        rows = (
            persons.annotate(
                consented=ExpressionWrapper(
                    statistics_consent(members), output_field=BooleanField()
                ),
                first_citizenship=KeyTextTransform("0", "citizenship"),
                first_type=KeyTextTransform("0", "exploitation_types"),
                second_type=KeyTextTransform("1", "exploitation_types"),
                returning=ExpressionWrapper(
                    Q(first_activity_on__lt=start), output_field=BooleanField()
                ),
            )
            .values(
                "organisation_id",
                "consented",
                "returning",
                "first_citizenship",
                "first_type",
                "second_type",
            )
            .annotate(n=Count("*"), **counts)
            .order_by()
        )
        tallies = {member: _Tally() for member in members}
        for row in rows:
            tallies[row["organisation_id"]].add(row, counts)
    return {member: tally.counts() for member, tally in tallies.items()}


class _Tally:
    """One member's person counts, summed from its grouped rows."""

    def __init__(self) -> None:
        self.by: dict[str, dict[str, int]] = {name: {} for name in PERSON_DIMENSIONS}
        self.total = self.new = self.left_out = 0

    def _add(self, dimension: str, key: str, n: int) -> None:
        if n:
            counts = self.by[dimension]
            counts[key] = counts.get(key, 0) + n

    def add(self, row: dict[str, Any], counts: dict[str, Any]) -> None:
        n = int(row["n"])
        if not row["consented"]:
            self.left_out += n
            return
        self.total += n
        if not row["returning"]:
            self.new += n
        citizenship = (row["first_citizenship"] or "").upper()
        self._add("citizenship", citizenship or PERSON_DIMENSIONS["citizenship"], n)
        types = [kind for kind in (row["first_type"], row["second_type"]) if kind]
        for kind in types[:EXPLOITATION_TYPES_COUNTED] or [PERSON_DIMENSIONS["exploitation"]]:
            self._add("exploitation", kind, n)
        for name in counts:
            dimension, key = name.split("|")
            self._add(dimension, key, int(row[name]))

    def counts(self) -> PersonCounts:
        return PersonCounts(total=self.total, new=self.new, by=self.by, left_out=self.left_out)
