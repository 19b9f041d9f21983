"""Every write to casework data: persons, households, consent, cases, notes and settings.

Each action takes keyword arguments with the acting user, runs in one transaction and
writes one audit event whose details name the fields changed, never their values.
Invalid input raises ValidationError before anything is written.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateField, Expression, Min, Model, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Least, NullIf, TruncDate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries
from django_scopes import scope

from haven.accounts.models import RoleAssignment
from haven.accounts.permissions import ROLE_PERMISSIONS
from haven.casework.access import OPEN_STATUSES, require_consent
from haven.casework.htcds import (
    CaseStatus,
    Exploitation,
    MeansOfControl,
    Vulnerability,
)
from haven.casework.models import (
    Case,
    CaseNote,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Household,
    Need,
    OrganisationSettings,
    Person,
    RiskLevel,
    Terminology,
)
from haven.casework.tasks import send_retention_shortened_notice
from haven.dates import OLDEST_AGE, birth_date_problem, follow_up_problem, too_early
from haven.organisations.languages import validate_language_codes
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.privacy.fields import BlindIndexField
from haven.timezones import forget_zone_of, known_zones

if TYPE_CHECKING:
    from haven.accounts.models import User

IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "alias",
    "birth_date",
    "estimated_age",
    "phone",
    "identity_document",
    "address",
    "notes",
)
FACT_FIELDS = (
    "gender",
    "age_band",
    "citizenship",
    "languages",
    "migration_status",
    "trafficking_status",
    "exploitation_types",
    "sector",
    "exploitation_country",
    "means_of_control",
    "in_sex_work",
    "vulnerabilities",
)
PERSON_FIELDS = IDENTITY_FIELDS + FACT_FIELDS
CASE_FIELDS = ("assigned_to", "needs", "risk_level", "follow_up_on", "status", "opened_on")
CODE_PREFIX = re.compile(r"^[A-Za-z0-9]{1,8}$")
CODE_DIGITS = 5

# Multiple-choice facts and the vocabulary each must come from.
_LIST_CHOICES: dict[str, Iterable[str]] = {
    "exploitation_types": Exploitation.values,
    "means_of_control": MeansOfControl.values,
    "vulnerabilities": Vulnerability.values,
}


def caseworker_roles() -> list[str]:
    """Roles whose holders can be assigned cases (those that may edit casework)."""
    return [role for role, granted in ROLE_PERMISSIONS.items() if "casework.edit" in granted]


def _today() -> datetime.date:
    return timezone.localdate()


def _not_future(value: datetime.date | None, field: str) -> None:
    if value is not None and value > _today():
        raise ValidationError({field: _("This date is in the future.")})


def _not_too_early(value: datetime.date, field: str) -> None:
    """Refuse, keyed by ``field``, a date before the oldest a record may carry."""
    problem = too_early(value)
    if problem:
        raise ValidationError({field: problem})


# Codes


def _settings_locked(organisation: Organisation) -> OrganisationSettings:
    with scope(organisation=organisation):
        try:
            with transaction.atomic():
                OrganisationSettings.objects.get_or_create(organisation=organisation)
        except IntegrityError:
            pass  # created at the same moment by another request; lock that one below
        return OrganisationSettings.objects.select_for_update().get(organisation=organisation)


def allocate_person_code(organisation: Organisation) -> str:
    """The next free person code, e.g. "P-00042" (call inside a transaction)."""
    settings = _settings_locked(organisation)
    number = settings.next_person_number
    with scope(organisation=organisation):
        while True:
            code = f"{settings.code_prefix}-{number:0{CODE_DIGITS}d}"
            number += 1
            # Codes imported from elsewhere may already use the next number: skip them.
            if not Person.objects.filter(organisation=organisation, code=code).exists():
                break
        OrganisationSettings.objects.filter(pk=settings.pk).update(next_person_number=number)
    return code


def allocate_household_code(organisation: Organisation) -> str:
    """The next free household code, e.g. "H-00007" (call inside a transaction)."""
    settings = _settings_locked(organisation)
    number = settings.next_household_number
    with scope(organisation=organisation):
        while True:
            code = f"H-{number:0{CODE_DIGITS}d}"
            number += 1
            if not Household.objects.filter(organisation=organisation, code=code).exists():
                break
        OrganisationSettings.objects.filter(pk=settings.pk).update(next_household_number=number)
    return code


# Locks


def lock_person(person: Person) -> Person:
    """The person's row, locked until the transaction ends (call inside one).

    A withdrawal of consent takes this lock: a write that checks consent after taking it
    sees a withdrawal committed meanwhile, and a withdrawal waits for the write to commit.
    """
    with scope(organisation=person.organisation_id):
        return Person.objects.select_for_update().get(
            organisation_id=person.organisation_id, pk=person.pk
        )


def lock_consenting(person: Person) -> Person:
    """The person's row, locked, or ConsentRequired without their casework consent (call
    inside the transaction that writes)."""
    locked = lock_person(person)
    require_consent(locked, ConsentPurpose.CASEWORK)
    return locked


# Persons


def _clean_list(field: str, value: Any, allowed: Iterable[str]) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({field: _("Give a list of codes.")})
    allowed_set = set(allowed)
    unknown = [v for v in value if v not in allowed_set]
    if unknown:
        raise ValidationError(
            {field: _("Unknown value: %(values)s.") % {"values": ", ".join(unknown[:5])[:200]}}
        )
    return list(dict.fromkeys(value))


def _clean_person_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    cleaned = dict(values)
    for field in IDENTITY_FIELDS:
        if field in cleaned:
            value = cleaned[field]
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ValidationError({field: _("Give text.")})
            cleaned[field] = value.strip()
    for field, allowed in _LIST_CHOICES.items():
        if field in cleaned:
            cleaned[field] = _clean_list(field, cleaned[field], allowed)
    if "citizenship" in cleaned:
        cleaned["citizenship"] = _clean_list(
            "citizenship", cleaned["citizenship"], (code for code, _name in countries)
        )
    if "languages" in cleaned:
        languages = cleaned["languages"] or []
        try:
            validate_language_codes(languages)
        except ValidationError as error:
            raise ValidationError({"languages": error.messages}) from error
        cleaned["languages"] = list(dict.fromkeys(languages))
    if "in_sex_work" in cleaned and cleaned["in_sex_work"] not in (None, True, False):
        raise ValidationError({"in_sex_work": _("Give yes, no or nothing.")})
    birth_date = cleaned.get("birth_date")
    if birth_date:
        try:
            born = datetime.date.fromisoformat(birth_date)
        except ValueError:
            raise ValidationError(
                {"birth_date": _("Give the date of birth as YYYY-MM-DD.")}
            ) from None
        problem = birth_date_problem(born, _today())
        if problem:
            raise ValidationError({"birth_date": problem})
        cleaned["birth_date"] = born.isoformat()
    if cleaned.get("estimated_age"):
        try:
            cleaned["estimated_age"] = clean_estimated_age(cleaned["estimated_age"])
        except ValidationError as error:
            raise ValidationError({"estimated_age": error.messages}) from None
    for field in FACT_FIELDS:
        if field in cleaned and cleaned[field] is None and field != "in_sex_work":
            cleaned[field] = [] if field in ("citizenship", "languages", *_LIST_CHOICES) else ""
    return cleaned


def clean_estimated_age(text: str) -> str:
    """An estimated age as stored: whole years in ASCII digits, without leading zeros.

    ``str.isdigit`` alone lets through "²", which ``int`` refuses, and Arabic-Indic or
    full-width digits, which the person form's number input cannot show, so that its next
    save would erase them. The import checks its cells here too: it is no back door.
    """
    if not text:
        return ""
    years = text.lstrip("0") or "0"
    if not (years.isascii() and years.isdigit()) or len(years) > 3 or int(years) > OLDEST_AGE:
        raise ValidationError(_("Give an age in years, from 0 to 120."))
    return years


def _validate_person(person: Person) -> None:
    person.full_clean(
        exclude=["organisation", "code", "household", "created_by", "last_activity_at"],
        validate_unique=False,
        validate_constraints=False,
    )


def create_person(
    *,
    actor: User,
    organisation: Organisation,
    values: Mapping[str, Any],
    consent_given_on: datetime.date,
    consent_method: str,
    household: Household | None = None,
    new_household: bool = False,
    request: HttpRequest | None = None,
) -> Person:
    """Record a new person with their casework consent, and their household if any."""
    cleaned = _clean_person_values(values)
    _not_future(consent_given_on, "consent_given_on")
    _not_too_early(consent_given_on, "consent_given_on")
    if consent_method not in ConsentMethod.values:
        raise ValidationError({"consent_method": _("Choose how consent was obtained.")})
    if household is not None and household.organisation_id != organisation.pk:
        raise ValidationError({"household": _("Unknown household.")})
    now = timezone.now()
    with transaction.atomic(), scope(organisation=organisation):
        person = Person(organisation=organisation, created_by=actor, last_activity_at=now)
        for field, value in cleaned.items():
            setattr(person, field, value)
        _validate_person(person)
        if new_household:
            household = Household.objects.create(
                organisation=organisation, code=allocate_household_code(organisation)
            )
        person.household = household
        person.code = allocate_person_code(organisation)
        person.save()
        if household is not None and not new_household:
            # The household's services count for its new member too.
            refresh_first_activity(organisation.pk, Q(pk=person.pk))
            person.refresh_from_db(fields=["first_activity_on"])
        Consent.objects.create(
            organisation=organisation,
            person=person,
            purpose=ConsentPurpose.CASEWORK,
            given_on=consent_given_on,
            method=consent_method,
            recorded_by=actor,
        )
        audit.record(
            "person.created",
            actor=actor,
            organisation=organisation,
            target=person,
            details={
                "fields": sorted(f for f, v in cleaned.items() if v not in ("", [], None)),
                "new_household": new_household,
                "household": household is not None,
            },
            request=request,
        )
    return person


def update_person(
    *,
    actor: User,
    person: Person,
    values: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> list[str]:
    """Change a person's recorded details; returns the names of the fields changed."""
    cleaned = _clean_person_values(values)
    changed = [field for field, value in cleaned.items() if getattr(person, field) != value]
    if not changed:
        return []
    with transaction.atomic(), scope(organisation=person.organisation_id):
        if any(cleaned[field] not in ("", [], None) for field in changed):
            # Recording or correcting a fact needs consent; clearing one only takes data away,
            # which a person who withdrew may well ask for.
            lock_consenting(person)
        for field in changed:
            setattr(person, field, cleaned[field])
        _validate_person(person)
        # Only what changed (with the blind indexes of changed names): activity dates are
        # kept by other actions meanwhile, and an old copy must not write them back.
        indexes = [
            field.name
            for field in Person._meta.concrete_fields
            if isinstance(field, BlindIndexField) and field.source in changed
        ]
        person.save(update_fields=[*changed, *indexes, "updated_at"])
        audit.record(
            "person.updated",
            actor=actor,
            organisation=person.organisation,
            target=person,
            details={"fields": sorted(changed)},
            request=request,
        )
    return changed


def touch_person(person: Person, when: datetime.datetime | None = None) -> None:
    """Move a person's last activity forward (services, notes and calls call this)."""
    when = when or timezone.now()
    with scope(organisation=person.organisation_id):
        Person.objects.filter(pk=person.pk, last_activity_at__lt=when).update(last_activity_at=when)
    if person.last_activity_at < when:
        person.last_activity_at = when


# First activity: the first day of support recorded for a person, kept on the person so
# that coalition statistics tell new persons from continuing ones without reading anyone's
# history. A new record can only move it earlier (note_activity, one UPDATE); a record
# changed, deleted or unlinked, or a person changing household, can move it later, so those
# recompute it from everything recorded (refresh_first_activity).


def _never() -> datetime.date:
    return datetime.date.max


def first_activity_of(
    delivery: type[Model], call: type[Model], stay: type[Model], case: type[Model]
) -> Expression:
    """The first day of support of the person of each row of an update of persons.

    Takes the models so that the migration that filled the column can use its own.
    Services count for each member of the household they were given to, as the period
    figures count them; a call counts on its day in the current time zone.
    """

    def earliest(model: type[Model], link: str, outer: str, day: Any) -> Subquery:
        # MIN over the person's own rows (found by the link's index), not ORDER BY ... LIMIT 1,
        # which the planner may serve by walking an organisation's records in date order.
        rows = model._default_manager.filter(**{link: OuterRef(outer)}).order_by()
        return Subquery(
            rows.values(link).annotate(first=Min(day)).values("first"), output_field=DateField()
        )

    candidates = [
        earliest(delivery, "person_id", "pk", "delivered_on"),
        earliest(delivery, "household_id", "household_id", "delivered_on"),
        earliest(call, "person_id", "pk", TruncDate("started_at")),
        earliest(stay, "person_id", "pk", "starts_on"),
        earliest(case, "person_id", "pk", "opened_on"),
    ]
    # LEAST skips NULLs on PostgreSQL but not on SQLite: stand in a sentinel for "none".
    sentinel = Value(_never(), output_field=DateField())
    first = Least(*(Coalesce(candidate, sentinel) for candidate in candidates))
    return NullIf(first, sentinel)


def note_activity(organisation_id: int, persons: Q, day: datetime.date) -> None:
    """Bring the first day of support of the persons matching ``persons`` back to ``day``."""
    with scope(organisation=organisation_id):
        Person.objects.filter(persons, organisation_id=organisation_id).filter(
            Q(first_activity_on__isnull=True) | Q(first_activity_on__gt=day)
        ).update(first_activity_on=day)


def refresh_first_activity(organisation_id: int, persons: Q) -> None:
    """Recompute the first day of support of the persons matching ``persons`` from their
    records, after one was changed, deleted or unlinked, or they changed household."""
    # Casework sits below services, helpline and shelter; this one computation reads them.
    from haven.helpline.models import HelplineCall
    from haven.services.models import ServiceDelivery
    from haven.shelter.models import Stay

    with scope(organisation=organisation_id):
        Person.objects.filter(persons, organisation_id=organisation_id).update(
            first_activity_on=first_activity_of(ServiceDelivery, HelplineCall, Stay, Case)
        )


def whose(*, persons: Iterable[object] = (), households: Iterable[object] = ()) -> Q:
    """Persons among ``persons`` (ids) or members of ``households`` (ids); None is skipped."""
    person_ids = [pk for pk in persons if pk is not None]
    household_ids = [pk for pk in households if pk is not None]
    return Q(pk__in=person_ids) | Q(household_id__in=household_ids)


# Households


def _member_problems(
    organisation_id: int, members: list[Person], household: Household | None = None
) -> list[str]:
    """Why these persons cannot be the members of ``household`` (a new one if None): another
    organisation's, listed twice, or already in another household, which they would leave
    unnoticed (moving someone is done one person at a time)."""
    if any(person.organisation_id != organisation_id for person in members):
        return [_("Unknown person.")]
    problems: list[str] = []
    seen: set[object] = set()
    for person in members:
        if person.pk in seen:
            message = _("%(code)s is listed more than once.") % {"code": person.code}
            if message not in problems:
                problems.append(message)
        seen.add(person.pk)
    elsewhere = Person.objects.filter(
        organisation_id=organisation_id, pk__in=seen, household__isnull=False
    ).select_related("household")
    if household is not None:
        elsewhere = elsewhere.exclude(household=household)
    for person in elsewhere.order_by("code"):
        problems.append(
            _("%(code)s is already in household %(household)s: take them out of it first.")
            % {"code": person.code, "household": person.household.code if person.household else ""}
        )
    for person in sorted(members, key=lambda member: member.code):
        joining = household is None or person.household_id != household.pk
        if joining and (refusal := _consent_refusal(person)) and refusal not in problems:
            problems.append(refusal)
    return problems


def _consent_refusal(person: Person) -> str:
    """Why nothing new may be recorded about the person (no casework consent), or "";
    decided on their locked row (call inside the transaction that writes)."""
    try:
        lock_consenting(person)
    except ValidationError as refusal:
        return refusal.messages[0]
    return ""


def create_household(
    *,
    actor: User,
    organisation: Organisation,
    other_members: int = 0,
    members: Iterable[Person] = (),
    request: HttpRequest | None = None,
) -> Household:
    """Start a household with at least one member: persons not yet in a household, or a
    count of others without records."""
    members = list(members)
    errors: dict[str, Any] = {}
    if not 0 <= other_members <= 100:
        errors["other_members"] = _("Give a number from 0 to 100.")
    elif not members and other_members == 0:
        errors[NON_FIELD_ERRORS] = _(
            "A household needs a member: a person with a record or other members to count."
        )
    with transaction.atomic(), scope(organisation=organisation):
        if problems := _member_problems(organisation.pk, members):
            errors["members"] = problems
        if errors:
            raise ValidationError(errors)
        household = Household.objects.create(
            organisation=organisation,
            code=allocate_household_code(organisation),
            other_members=other_members,
        )
        for person in members:
            person.household = household
            person.save(update_fields=["household", "updated_at"])
        refresh_first_activity(organisation.pk, whose(persons=[p.pk for p in members]))
        audit.record(
            "household.created",
            actor=actor,
            organisation=organisation,
            target=household,
            details={"members": len(members), "other_members": other_members},
            request=request,
        )
    return household


def update_household(
    *,
    actor: User,
    household: Household,
    other_members: int | None = None,
    members: Iterable[Person] | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change the count of members without a record and, if given, who the members are."""
    if other_members is not None and not 0 <= other_members <= 100:
        raise ValidationError({"other_members": _("Give a number from 0 to 100.")})
    listed = None if members is None else list(members)
    wanted = None if listed is None else {person.pk: person for person in listed}
    changed: list[str] = []
    with transaction.atomic(), scope(organisation=household.organisation_id):
        if listed is not None and (
            problems := _member_problems(household.organisation_id, listed, household)
        ):
            raise ValidationError({"members": problems})
        if other_members is not None and other_members != household.other_members:
            household.other_members = other_members
            household.save(update_fields=["other_members"])
            changed.append("other_members")
        if wanted is not None:
            current = set(Person.objects.filter(household=household).values_list("pk", flat=True))
            leaving = current - set(wanted)
            for person in wanted.values():
                if person.household_id != household.pk:
                    person.household = household
                    person.save(update_fields=["household", "updated_at"])
            Person.objects.filter(pk__in=leaving).update(household=None)
            if leaving or set(wanted) - current:
                changed.append("members")
                refresh_first_activity(
                    household.organisation_id, whose(persons=[*leaving, *wanted])
                )
        if changed:
            audit.record(
                "household.updated",
                actor=actor,
                organisation=household.organisation,
                target=household,
                details={"fields": changed},
                request=request,
            )
    return changed


def add_to_household(
    *, actor: User, household: Household, person: Person, request: HttpRequest | None = None
) -> None:
    """Make a person a member of a household, moving them out of any other (audited there)."""
    if person.organisation_id != household.organisation_id:
        raise ValidationError(_("Unknown person."))
    with transaction.atomic():
        if person.household_id != household.pk:
            lock_consenting(person)
        left = person.household
        person.household = household
        person.save(update_fields=["household", "updated_at"])
        refresh_first_activity(person.organisation_id, Q(pk=person.pk))
        if left is not None and left.pk != household.pk:
            audit.record(
                "household.member_removed",
                actor=actor,
                organisation=household.organisation,
                target=left,
                details={"person": str(person.pk), "moved_to": str(household.pk)},
                request=request,
            )
        audit.record(
            "household.member_added",
            actor=actor,
            organisation=household.organisation,
            target=household,
            details={"person": str(person.pk)},
            request=request,
        )


def remove_from_household(
    *, actor: User, household: Household, person: Person, request: HttpRequest | None = None
) -> None:
    """Take a person out of their household."""
    if person.household_id != household.pk:
        raise ValidationError(_("This person is not a member of this household."))
    with transaction.atomic():
        person.household = None
        person.save(update_fields=["household", "updated_at"])
        refresh_first_activity(person.organisation_id, Q(pk=person.pk))
        audit.record(
            "household.member_removed",
            actor=actor,
            organisation=household.organisation,
            target=household,
            details={"person": str(person.pk)},
            request=request,
        )


# Consent


def record_consent(
    *,
    actor: User,
    person: Person,
    purpose: str,
    given_on: datetime.date,
    method: str,
    recipient: Organisation | None = None,
    request: HttpRequest | None = None,
) -> Consent:
    """Record a person's consent to one purpose (a referral names its recipient)."""
    errors: dict[str, str] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Choose a purpose.")
    if method not in ConsentMethod.values:
        errors["method"] = _("Choose how consent was obtained.")
    if given_on > _today():
        errors["given_on"] = _("This date is in the future.")
    elif early := too_early(given_on):
        errors["given_on"] = early
    if purpose == ConsentPurpose.REFERRAL and recipient is None:
        errors["recipient"] = _("A referral consent names the organisation it is for.")
    if purpose != ConsentPurpose.REFERRAL and recipient is not None:
        errors["recipient"] = _("Only a referral consent names an organisation.")
    if recipient is not None and recipient.pk == person.organisation_id:
        errors["recipient"] = _("Choose another organisation than your own.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), scope(organisation=person.organisation_id):
        consent = Consent.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            purpose=purpose,
            recipient=recipient,
            given_on=given_on,
            method=method,
            recorded_by=actor,
        )
        audit.record(
            "consent.recorded",
            actor=actor,
            organisation=person.organisation,
            target=consent,
            details={"purpose": purpose, "method": method, "person": str(person.pk)},
            request=request,
        )
    return consent


def withdraw_consent(
    *,
    actor: User,
    consent: Consent,
    withdrawn_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Record that a consent was withdrawn; every later use it covered is refused."""
    withdrawn_on = withdrawn_on or _today()
    with transaction.atomic():
        # Every write that needs the person's consent takes this lock before checking it: one
        # in flight commits first, and one that follows sees this withdrawal.
        lock_person(consent.person)
        with scope(organisation=consent.organisation_id):
            consent.refresh_from_db(fields=["withdrawn_on", "withdrawn_by"])
        if consent.withdrawn_on is not None:
            raise ValidationError(_("This consent was already withdrawn."))
        if withdrawn_on > _today():
            raise ValidationError({"withdrawn_on": _("This date is in the future.")})
        if withdrawn_on < consent.given_on:
            raise ValidationError(
                {"withdrawn_on": _("A consent cannot be withdrawn before it was given.")}
            )
        consent.withdrawn_on = withdrawn_on
        consent.withdrawn_by = actor
        consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
        audit.record(
            "consent.withdrawn",
            actor=actor,
            organisation=consent.organisation,
            target=consent,
            details={"purpose": consent.purpose, "person": str(consent.person_id)},
            request=request,
        )


# Cases


def _check_assignee(organisation: Organisation, user: User | None) -> None:
    if user is None:
        return
    if not RoleAssignment.objects.filter(
        organisation=organisation, user=user, role__in=caseworker_roles()
    ).exists():
        raise ValidationError({"assigned_to": _("Choose a caseworker of your organisation.")})


def _clean_case_values(case: Case, values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(CASE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    cleaned = dict(values)
    if "needs" in cleaned:
        cleaned["needs"] = _clean_list("needs", cleaned["needs"], Need.values)
    if "risk_level" in cleaned and cleaned["risk_level"] not in RiskLevel.values:
        raise ValidationError({"risk_level": _("Choose a risk level.")})
    if "status" in cleaned and cleaned["status"] not in OPEN_STATUSES:
        raise ValidationError({"status": _("Close a case with the close action.")})
    if "opened_on" in cleaned:
        if cleaned["opened_on"] is None:
            raise ValidationError({"opened_on": _("Give the date the case opened.")})
        _not_future(cleaned["opened_on"], "opened_on")
        _not_too_early(cleaned["opened_on"], "opened_on")
        if case.closed_on is not None and cleaned["opened_on"] > case.closed_on:
            raise ValidationError({"opened_on": _("A case opens before it closes.")})
    if cleaned.get("follow_up_on") is not None and (
        problem := follow_up_problem(cleaned["follow_up_on"])
    ):
        raise ValidationError({"follow_up_on": problem})
    if "opened_on" in cleaned or "follow_up_on" in cleaned:
        opened_on = cleaned.get("opened_on", case.opened_on)
        follow_up_on = cleaned.get("follow_up_on", case.follow_up_on)
        if follow_up_on is not None and follow_up_on < opened_on:
            # When only the opening date moved, it is the one to correct.
            field = "follow_up_on" if "follow_up_on" in cleaned else "opened_on"
            raise ValidationError({field: _("A follow-up cannot come before the case opened.")})
    if "assigned_to" in cleaned:
        _check_assignee(case.organisation, cleaned["assigned_to"])
    return cleaned


def open_case(
    *,
    actor: User,
    person: Person,
    opened_on: datetime.date | None = None,
    assigned_to: User | None = None,
    needs: Iterable[str] = (),
    risk_level: str = RiskLevel.LOW,
    follow_up_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Open an episode of support for a person who consented to casework."""
    case = Case(
        organisation_id=person.organisation_id,
        person=person,
        status=CaseStatus.ACTIVE,
    )
    case.organisation = person.organisation
    cleaned = _clean_case_values(
        case,
        {
            "opened_on": opened_on or _today(),
            "assigned_to": assigned_to,
            "needs": list(needs),
            "risk_level": risk_level,
            "follow_up_on": follow_up_on,
        },
    )
    with transaction.atomic(), scope(organisation=person.organisation_id):
        lock_consenting(person)
        for field, value in cleaned.items():
            setattr(case, field, value)
        case.save()
        touch_person(person)
        note_activity(person.organisation_id, Q(pk=person.pk), case.opened_on)
        audit.record(
            "case.opened",
            actor=actor,
            organisation=person.organisation,
            target=case,
            details={"person": str(person.pk), "fields": sorted(cleaned)},
            request=request,
        )
    return case


def update_case(
    *, actor: User, case: Case, values: Mapping[str, Any], request: HttpRequest | None = None
) -> list[str]:
    """Change an open case; returns the names of the fields changed."""
    if case.status not in OPEN_STATUSES:
        raise ValidationError(_("This case is closed."))
    cleaned = _clean_case_values(case, values)
    changed = [field for field, value in cleaned.items() if getattr(case, field) != value]
    with transaction.atomic():
        lock_consenting(case.person)
        if not changed:
            return []
        for field in changed:
            setattr(case, field, cleaned[field])
        case.save(update_fields=changed)
        if "opened_on" in changed:
            refresh_first_activity(case.organisation_id, Q(pk=case.person_id))
        audit.record(
            "case.updated",
            actor=actor,
            organisation=case.organisation,
            target=case,
            details={"fields": sorted(changed)},
            request=request,
        )
    return changed


def close_case(
    *,
    actor: User,
    case: Case,
    closed_on: datetime.date | None = None,
    status: str = CaseStatus.CLOSED,
    request: HttpRequest | None = None,
) -> None:
    """Close a case, on or after the day it opened, as closed or closed-referred."""
    closed_on = closed_on or _today()
    if case.status not in OPEN_STATUSES:
        raise ValidationError(_("This case is already closed."))
    if status not in (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED):
        raise ValidationError({"status": _("Choose closed or closed, referred.")})
    _not_future(closed_on, "closed_on")
    if closed_on < case.opened_on:
        raise ValidationError({"closed_on": _("A case cannot close before it opened.")})
    with transaction.atomic():
        case.status = status
        case.closed_on = closed_on
        case.save(update_fields=["status", "closed_on"])
        audit.record(
            "case.closed",
            actor=actor,
            organisation=case.organisation,
            target=case,
            details={"status": status},
            request=request,
        )


def add_note(*, actor: User, case: Case, text: str, request: HttpRequest | None = None) -> CaseNote:
    """Add an encrypted note to a case of a person who consented to casework."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > 20_000:
        raise ValidationError({"text": _("Keep a note under 20,000 characters.")})
    now = timezone.now()
    with transaction.atomic(), scope(organisation=case.organisation_id):
        lock_consenting(case.person)
        note = CaseNote.objects.create(
            organisation_id=case.organisation_id, case=case, text=text, author=actor, written_at=now
        )
        touch_person(case.person, now)
        audit.record(
            "case.note_added",
            actor=actor,
            organisation=case.organisation,
            target=note,
            details={"case": str(case.pk)},
            request=request,
        )
    return note


# Settings

RETENTION_FIELDS = ("person_retention_months", "call_retention_months")


@dataclass(frozen=True)
class RetentionRemoval:
    """What the next retention run would remove under the retention periods asked for."""

    run_at: datetime.datetime
    persons_deleted: int
    calls_anonymised: int


class RetentionRemovesRecords(ValidationError):
    """Refusal, until confirmed, of shorter retention periods under which the next run would
    delete persons or anonymise calls that the current periods keep; says how many."""

    def __init__(self, removal: RetentionRemoval) -> None:
        self.removal = removal
        persons = ngettext(
            "With these periods, the next retention run would delete %(count)d person.",
            "With these periods, the next retention run would delete %(count)d people.",
            removal.persons_deleted,
        ) % {"count": removal.persons_deleted}
        calls = ngettext(
            "It would anonymise %(count)d helpline call.",
            "It would anonymise %(count)d helpline calls.",
            removal.calls_anonymised,
        ) % {"count": removal.calls_anonymised}
        # Outside the f-string, where makemessages would not find it.
        unsaved = _("Nothing was saved: confirm to save them.")
        super().__init__(f"{persons} {calls} {unsaved}")


def _shortens(before: int, after: int) -> bool:
    # 0 keeps until erased: turning it into a period shortens it, and 0 lengthens any.
    return after != 0 and (before == 0 or after < before)


def _retention_removal(
    organisation: Organisation, current: Mapping[str, int], wanted: Mapping[str, int]
) -> tuple[RetentionRemoval, bool]:
    """What the next run removes under ``wanted``, and whether that is more than under
    ``current`` for a period that is shortened."""
    # Casework sits below records, which holds the retention rules and their schedule
    # (decision 6): the count is theirs, so that it cannot differ from what the run does.
    from haven.records.access import removed_by_periods
    from haven.records.tasks import next_run_after

    run_at = next_run_after(timezone.now())
    after = removed_by_periods(
        organisation,
        person_months=wanted["person_retention_months"],
        call_months=wanted["call_retention_months"],
        now=run_at,
    )
    before = removed_by_periods(
        organisation,
        person_months=current["person_retention_months"],
        call_months=current["call_retention_months"],
        now=run_at,
    )
    removes_more = any(
        _shortens(current[field], wanted[field]) and after[index] > before[index]
        for index, field in enumerate(RETENTION_FIELDS)
    )
    return RetentionRemoval(run_at, *after), removes_more


def save_settings(
    *,
    actor: User,
    organisation: Organisation,
    values: Mapping[str, Any],
    confirm_removal: bool = False,
    request: HttpRequest | None = None,
) -> list[str]:
    """Change the organisation's terminology, code prefix, retention periods or time zone.

    Shorter retention periods under which the next retention run would remove records the
    current ones keep are refused with ``RetentionRemovesRecords`` unless ``confirm_removal``;
    once saved, the organisation's admins and data protection officers are e-mailed.
    """
    allowed = ("terminology", "code_prefix", *RETENTION_FIELDS, "time_zone")
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    errors: dict[str, str] = {}
    if "terminology" in values and values["terminology"] not in Terminology.values:
        errors["terminology"] = _("Choose one of the words offered.")
    if "code_prefix" in values and not CODE_PREFIX.match(str(values["code_prefix"])):
        errors["code_prefix"] = _("Use 1 to 8 letters or digits.")
    for field in RETENTION_FIELDS:
        if field in values:
            months = values[field]
            if isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= 600:
                errors[field] = _("Give a number of months from 0 to 600 (0 keeps until erased).")
    if "time_zone" in values and values["time_zone"] not in {"", *known_zones()}:
        errors["time_zone"] = _("Choose a time zone of the list, such as Europe/Paris.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        settings = _settings_locked(organisation)
        changed = [f for f in allowed if f in values and getattr(settings, f) != values[f]]
        if not changed:
            return []
        current = {field: getattr(settings, field) for field in RETENTION_FIELDS}
        wanted = {field: values.get(field, current[field]) for field in RETENTION_FIELDS}
        shortened = [f for f in RETENTION_FIELDS if _shortens(current[f], wanted[f])]
        removal: RetentionRemoval | None = None
        if shortened:
            removal, removes_more = _retention_removal(organisation, current, wanted)
            if removes_more and not confirm_removal:
                raise RetentionRemovesRecords(removal)
        # Retention periods decide when data is deleted, so the DPO sees what they were and
        # became, and what the next run removes after a shortening; none is personal data.
        periods: dict[str, int] = {}
        for field in changed:
            if field in RETENTION_FIELDS:
                periods[f"{field}_before"] = current[field]
                periods[f"{field}_after"] = wanted[field]
            setattr(settings, field, values[field])
        if removal is not None:
            periods["persons_deleted_at_next_run"] = removal.persons_deleted
            periods["calls_anonymised_at_next_run"] = removal.calls_anonymised
        settings.save(update_fields=changed)
        audit.record(
            "casework.settings_changed",
            actor=actor,
            organisation=organisation,
            target=settings,
            object_id=str(settings.pk),
            details={"fields": sorted(changed), **periods},
            request=request,
        )
        if removal is not None:
            notice = partial(
                send_retention_shortened_notice.enqueue,
                organisation_id=organisation.pk,
                actor_id=actor.pk,
                before=current,
                after=wanted,
                persons_deleted=removal.persons_deleted,
                calls_anonymised=removal.calls_anonymised,
                run_at=removal.run_at.isoformat(),
            )
            transaction.on_commit(notice)
    if "time_zone" in changed:
        forget_zone_of(organisation.slug)
    return changed
