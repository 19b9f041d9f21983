"""Every write of the records app: exports (audited), imports, erasure and retention."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from haven.accounts.models import User
from haven.accounts.permissions import permissions_for
from haven.accounts.tenancy import roles_in
from haven.casework.access import consenting_to_casework, consenting_to_statistics
from haven.casework.actions import allocate_person_code, refresh_first_activity, whose
from haven.casework.models import (
    Case,
    CaseNote,
    Consent,
    ConsentPurpose,
    ErasureRecord,
    Household,
    Person,
)
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.records.access import due_for_retention
from haven.records.export import ExportFile, ExportRequest, build_export
from haven.records.imports import (
    IMPORT_PERMISSIONS,
    ParsedImport,
    claim,
    forget,
    noon_of,
    parse_import,
    release,
)
from haven.services.models import ServiceDelivery
from haven.shelter.models import Stay
from haven.timezones import day_in_zone_of

IDENTITY_PERMISSION = "casework.view_identity"


def may_see_identity(actor: User, organisation: Organisation) -> bool:
    """True if the actor's roles in the organisation show identifying fields."""
    return IDENTITY_PERMISSION in permissions_for(roles_in(actor, organisation))


# Export


def create_export(
    *,
    actor: User,
    organisation: Organisation,
    wanted: ExportRequest,
    passphrase: str,
    passphrase_generated: bool,
    request: HttpRequest | None = None,
) -> ExportFile:
    """Build an encrypted export and record it in the audit trail (never its content)."""
    if wanted.include_identity and not may_see_identity(actor, organisation):
        raise PermissionDenied(_("Your roles do not allow exporting identifying fields."))
    with transaction.atomic(), scope(organisation=organisation):
        exported = build_export(organisation, wanted, passphrase)
        details: dict[str, Any] = {
            "kind": wanted.kind,
            "format": wanted.format,
            "rows": exported.rows,
            "identifying": wanted.include_identity,
            "encryption": "zip-aes-256",
            "passphrase": "generated" if passphrase_generated else "chosen",
        }
        if wanted.date_from:
            details["date_from"] = wanted.date_from.isoformat()
        if wanted.date_to:
            details["date_to"] = wanted.date_to.isoformat()
        audit.record(
            "export.created",
            actor=actor,
            organisation=organisation,
            details=details,
            request=request,
        )
    return exported


# Import


def may_import(actor: User, organisation: Organisation, kind: str) -> bool:
    """True if the actor's roles let them record by hand what a file of this kind holds."""
    return IMPORT_PERMISSIONS[kind] in permissions_for(roles_in(actor, organisation))


def check_may_import(
    actor: User, organisation: Organisation, kind: str, request: HttpRequest | None = None
) -> None:
    """Refuse, and audit the refusal, an import of a kind the actor may not record."""
    if may_import(actor, organisation, kind):
        return
    audit.record(
        "access.refused",
        actor=actor,
        organisation=organisation,
        outcome="forbidden",
        details={
            "path": request.path[:200] if request else "",
            "permission": IMPORT_PERMISSIONS[kind],
        },
        request=request,
    )
    if kind == "persons":
        raise PermissionDenied(_("Your roles do not allow recording people, nor importing them."))
    raise PermissionDenied(_("Your roles do not allow recording services, nor importing them."))


def _code_not_in(organisation: Organisation, taken: set[str]) -> str:
    code = allocate_person_code(organisation)
    while code in taken:
        code = allocate_person_code(organisation)
    return code


def _write_persons(
    actor: User, organisation: Organisation, values: list[dict[str, Any]]
) -> dict[str, int]:
    now = timezone.now()
    # The rows are written together at the end, so the database does not know yet the
    # codes the file gives: an empty code must not be given one of them.
    named = {row["code"] for row in values if row.get("code")}
    households = {h.code: h for h in Household.objects.filter(organisation=organisation)}
    created_households = 0
    persons: list[Person] = []
    consents: list[Consent] = []
    for row in values:
        household = None
        if row.get("household_code"):
            household = households.get(row["household_code"])
            if household is None:
                household = Household.objects.create(
                    organisation=organisation, code=row["household_code"]
                )
                households[household.code] = household
                created_households += 1
        person = Person(
            organisation=organisation,
            code=row.get("code") or _code_not_in(organisation, named),
            household=household,
            created_by=actor,
            last_activity_at=row.get("last_activity_at") or now,
        )
        for name in (
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
            "given_name",
            "family_name",
            "alias",
            "birth_date",
            "estimated_age",
            "phone",
            "identity_document",
            "address",
            "notes",
        ):
            if name in row:
                setattr(person, name, row[name])
        persons.append(person)
        if row.get("casework_consent_on"):
            consents.append(
                Consent(
                    organisation=organisation,
                    person=person,
                    purpose=ConsentPurpose.CASEWORK,
                    given_on=row["casework_consent_on"],
                    method=row["casework_consent_method"],
                    recorded_by=actor,
                )
            )
    Person.objects.bulk_create(persons, batch_size=500)
    Consent.objects.bulk_create(consents, batch_size=500)
    # Joining a household that was already given services is support already recorded.
    refresh_first_activity(
        organisation.pk, whose(persons=[person.pk for person in persons if person.household_id])
    )
    return {
        "persons": len(persons),
        "households": created_households,
        "consents": len(consents),
    }


def _lock_consenting(organisation: Organisation, values: list[dict[str, Any]]) -> None:
    # The file was checked against the consents read before this transaction: decided again
    # on the locked rows of everyone it records a service for (households' members too), as
    # every casework write decides it, so that a withdrawal committed meanwhile stops it.
    persons = {row["person"].pk for row in values if row["person"] is not None}
    households = {row["household"].pk for row in values if row["household"] is not None}
    if not persons and not households:
        return
    locked = list(
        Person.objects.select_for_update()
        .filter(organisation=organisation)
        .filter(Q(pk__in=persons) | Q(household_id__in=households))
        .order_by("pk")
        .values_list("pk", "code")
    )
    consenting = consenting_to_casework(organisation.pk, [pk for pk, _code in locked])
    withdrawn = sorted(code for pk, code in locked if pk not in consenting)
    if withdrawn:
        raise ValidationError(
            _(
                "Casework consent was withdrawn meanwhile for %(codes)s: nothing was imported. "
                "Check the file and try again."
            )
            % {"codes": ", ".join(withdrawn)}
        )


def _write_services(organisation: Organisation, values: list[dict[str, Any]]) -> dict[str, int]:
    _lock_consenting(organisation, values)
    deliveries = [
        ServiceDelivery(
            organisation=organisation,
            service_type=row["service_type"],
            delivered_on=row["date"],
            person=row["person"],
            household=row["household"],
            quantity=row.get("quantity", 1),
            amount=row.get("amount"),
            currency=row.get("currency", "") if row.get("amount") is not None else "",
            people_reached=row.get("people_reached"),
            households_reached=row.get("households_reached"),
            channel=row.get("channel") or "in_person",
            language=row.get("language", ""),
            city=row.get("city", ""),
            staff=row["staff"],
        )
        for row in values
    ]
    ServiceDelivery.objects.bulk_create(deliveries, batch_size=1000)
    refresh_first_activity(
        organisation.pk,
        whose(
            persons={delivery.person_id for delivery in deliveries},
            households={delivery.household_id for delivery in deliveries},
        ),
    )
    # A service counts as activity of the person, as the retention period reads it.
    latest: dict[uuid.UUID, datetime] = {}
    for row in values:
        person = row["person"]
        if person is not None:
            moment = noon_of(row["date"])
            if person.pk not in latest or moment > latest[person.pk]:
                latest[person.pk] = moment
    for person_id, moment in latest.items():
        Person.objects.filter(
            organisation=organisation, pk=person_id, last_activity_at__lt=moment
        ).update(last_activity_at=moment)
    return {"deliveries": len(deliveries)}


def import_records(
    *,
    actor: User,
    organisation: Organisation,
    parsed: ParsedImport,
    request: HttpRequest | None = None,
) -> dict[str, int]:
    """Write every row of a checked import in one transaction, or nothing."""
    check_may_import(actor, organisation, parsed.kind, request)
    if not parsed.valid or not parsed.values:
        raise ValidationError(_("The file has errors; nothing was imported."))
    try:
        with transaction.atomic(), scope(organisation=organisation):
            if parsed.kind == "persons":
                counts = _write_persons(actor, organisation, parsed.values)
            else:
                counts = _write_services(organisation, parsed.values)
            audit.record(
                "records.imported",
                actor=actor,
                organisation=organisation,
                details={
                    "kind": parsed.kind,
                    "format": parsed.format,
                    "rows": len(parsed.values),
                    "checksum": parsed.checksum,
                    **counts,
                },
                request=request,
            )
    except IntegrityError as error:
        raise ValidationError(
            _("Someone recorded a conflicting code meanwhile; check the file and try again.")
        ) from error
    return counts


class ImportNotWritten(ValidationError):
    """A confirmed file's rows could not be written; ``parsed`` has the errors by row."""

    def __init__(self, messages: list[str], parsed: ParsedImport) -> None:
        super().__init__(messages)
        self.parsed = parsed


def confirm_import(
    *,
    actor: User,
    organisation: Organisation,
    ticket: str,
    may_import_identity: bool,
    request: HttpRequest | None = None,
) -> tuple[ParsedImport, dict[str, int]]:
    """Import the file a preview ticket names, once: a second confirmation writes nothing.

    Raises ``TicketRefused`` for a ticket that is expired, not the actor's or already
    claimed, and ``ImportNotWritten`` (the ticket given back) if the rows cannot be written.
    """
    kind, content = claim(organisation, actor, ticket)
    try:
        parsed = parse_import(
            organisation=organisation,
            actor=actor,
            kind=kind,
            content=content,
            may_import_identity=may_import_identity,
        )
        try:
            counts = import_records(
                actor=actor, organisation=organisation, parsed=parsed, request=request
            )
        except ValidationError as error:
            raise ImportNotWritten(error.messages, parsed) from error
    except BaseException:
        release(actor, ticket)
        raise
    forget(ticket)
    return parsed, counts


# Erasure


def _erase(person: Person, today: date) -> dict[str, int]:
    """Delete a person and their personal data; services, calls and past stays stay, unlinked."""
    organisation_id = person.organisation_id
    # Unlinked rows name nobody, but a refusal of coalition statistics still holds for
    # them: what it left out stays left out (decision 43).
    left_out = person.pk not in consenting_to_statistics(organisation_id, [person.pk])
    cases = Case.objects.filter(organisation_id=organisation_id, person=person)
    stays = Stay.objects.filter(organisation_id=organisation_id, person=person)
    removed = {
        "cases": cases.count(),
        "notes": CaseNote.objects.filter(organisation_id=organisation_id, case__in=cases).count(),
        "consents": Consent.objects.filter(organisation_id=organisation_id, person=person).count(),
        # A stay not begun yet is no history: it goes, as a cancelled booking would.
        "stays": stays.filter(starts_on__gte=today).delete()[0],
    }
    # Deliveries keep counting in statistics, as one person reached, without the link.
    removed["services_unlinked"] = ServiceDelivery.objects.filter(
        organisation_id=organisation_id, person=person
    ).update(
        person=None,
        people_reached=Coalesce(F("people_reached"), Value(1)),
        left_out_of_statistics=left_out,
    )
    if left_out and person.household_id is not None:
        # The household's deliveries were left out while a member refused (every member
        # must consent); the refusal outlives the member.
        ServiceDelivery.objects.filter(
            organisation_id=organisation_id, household_id=person.household_id
        ).update(left_out_of_statistics=True)
    # Nights already spent keep counting in occupancy and reports (Stay holds nothing
    # else of the person); one still going ends today, as the person is no longer known.
    stays.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today)).update(ends_on=today)
    removed["stays_unlinked"] = stays.update(
        person=None, anonymous_guest=uuid.uuid4(), left_out_of_statistics=left_out
    )
    calls = list(HelplineCall.objects.filter(organisation_id=organisation_id, person=person))
    for call in calls:
        call.person = None
        call.notes = ""
        call.left_out_of_statistics = left_out
        call.save(update_fields=["person", "notes", "left_out_of_statistics"])
    removed["calls_unlinked"] = len(calls)
    person.delete()
    return removed


def erase_person(
    *, actor: User, person: Person, confirm_code: str, request: HttpRequest | None = None
) -> ErasureRecord:
    """Erase a person on their request, leaving a record that it was done."""
    if confirm_code.strip() != person.code:
        raise ValidationError(_("Type the person's code exactly to confirm the erasure."))
    organisation = person.organisation
    person_id = person.pk
    with transaction.atomic(), scope(organisation=organisation):
        removed = _erase(person, day_in_zone_of(organisation.slug, timezone.now()))
        record = ErasureRecord.objects.create(
            organisation=organisation,
            person_code=person.code,
            reason=ErasureRecord.Reason.REQUEST,
            erased_by=actor,
            records_removed=removed,
        )
        audit.record(
            "person.erased",
            actor=actor,
            organisation=organisation,
            object_type="casework.person",
            object_id=person_id,
            details={"reason": "request", **removed},
            request=request,
        )
    return record


# Retention


def apply_retention_to(
    *, organisation: Organisation, person_months: int, call_months: int, now: datetime
) -> dict[str, int]:
    """Delete expired persons (not staying nor in an open case) and anonymise expired calls."""
    totals = {
        "persons_deleted": 0,
        "calls_anonymised": 0,
        "services_unlinked": 0,
        "cases": 0,
        "notes": 0,
        "consents": 0,
        "stays": 0,
        "stays_unlinked": 0,
    }
    with transaction.atomic(), scope(organisation=organisation):
        due = due_for_retention(
            organisation, person_months=person_months, call_months=call_months, now=now
        )
        today = day_in_zone_of(organisation.slug, now)
        for person in due.persons.order_by("last_activity_at"):
            removed = _erase(person, today)
            ErasureRecord.objects.create(
                organisation=organisation,
                person_code=person.code,
                reason=ErasureRecord.Reason.RETENTION,
                erased_by=None,
                records_removed=removed,
            )
            totals["persons_deleted"] += 1
            for key in totals.keys() & removed.keys():
                totals[key] += removed[key]
        stale_calls = list(due.calls.values_list("pk", "person_id"))
        to_anonymise = [pk for pk, _person in stale_calls]
        unlinked = list({person for _pk, person in stale_calls if person is not None})
        consenting: set[Any] = set()
        for start in range(0, len(unlinked), 1000):
            consenting |= consenting_to_statistics(organisation.pk, unlinked[start : start + 1000])
        # A call of someone who refused coalition statistics stays out of them (decision 43).
        refused = {
            pk for pk, person in stale_calls if person is not None and person not in consenting
        }
        for start in range(0, len(to_anonymise), 1000):
            chunk = to_anonymise[start : start + 1000]
            HelplineCall.objects.filter(pk__in=[pk for pk in chunk if pk not in refused]).update(
                person=None, notes=""
            )
            HelplineCall.objects.filter(pk__in=[pk for pk in chunk if pk in refused]).update(
                person=None, notes="", left_out_of_statistics=True
            )
        # An unlinked call is no longer the person's support.
        for start in range(0, len(unlinked), 1000):
            refresh_first_activity(organisation.pk, whose(persons=unlinked[start : start + 1000]))
        totals["calls_anonymised"] = len(to_anonymise)
        if totals["persons_deleted"] or totals["calls_anonymised"]:
            audit.record(
                "retention.applied",
                actor=None,
                organisation=organisation,
                details={
                    **totals,
                    "person_retention_months": person_months,
                    "call_retention_months": call_months,
                },
            )
    return totals
