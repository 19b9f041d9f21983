"""API of records: encrypted exports, checked imports, erasure on request, retention.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, StrictBool, model_validator

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import Day
from haven.organisations.api import Body, Message
from haven.privacy.models import AuditEvent
from haven.records import access, actions
from haven.records.export import (
    PASSPHRASE_MAX_LENGTH,
    PASSPHRASE_MIN_LENGTH,
    ExportRequest,
    TooManyRows,
)
from haven.records.imports import (
    MAX_BYTES,
    ImportRefused,
    ParsedImport,
    TicketRefused,
    column_guide,
    parse_import,
    stash,
)
from haven.records.tasks import pending_run

router = Router(tags=["records"])

Kind = Literal["persons", "services"]


class ExportIn(Body):
    kind: Kind
    format: Literal["csv", "xlsx"] = "xlsx"
    include_identity: StrictBool = False
    date_from: Day | None = None
    date_to: Day | None = None
    passphrase: str = Field(
        min_length=PASSPHRASE_MIN_LENGTH,
        max_length=PASSPHRASE_MAX_LENGTH,
        description="The archive's passphrase; Haven does not keep it",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> "ExportIn":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("date_to comes before date_from")
        return self


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class EarlierImportOut(Schema):
    at: datetime
    by: str | None = Field(description="The username of who imported it")


class ImportPreview(Schema):
    kind: str
    format: str
    checksum: str
    rows: int
    valid: bool
    error_count: int
    errors: list[RowErrorOut]
    columns: list[str]
    preview: list[dict[str, str]]
    ticket: str | None = Field(None, description="Send it to the confirm operation to import")
    already_imported: EarlierImportOut | None = Field(
        None,
        description="The latest import of a file with the same SHA-256 in this organisation:"
        " a warning, not a refusal",
    )
    warnings: list[str] = Field(default_factory=list)


class AllowedValueOut(Schema):
    code: str
    label: str


class ImportColumnOut(Schema):
    name: str
    required: Literal["yes", "column", "no"] = Field(
        description="yes: the column and a value in every row; column: the column, but a row"
        " may leave it empty; no: optional"
    )
    format: str = Field(description="What to write, in the reader's language")
    values: list[AllowedValueOut] = Field(description="The allowed codes, if only some are")
    several: bool = Field(description="A cell may hold several values, separated by ';'")


class ImportColumnsQuery(Schema):
    # Optional to ninja so that authorisation answers first; required in the operation.
    kind: Kind | None = None


class ImportConfirmIn(Body):
    ticket: str = Field(min_length=1, max_length=64)


class ImportResult(Schema):
    rows: int
    created: dict[str, int]


class EraseIn(Body):
    confirm_code: str = Field(
        min_length=1, max_length=20, description="The person's code, typed again"
    )


class ErasureOut(Schema):
    id: int
    person_code: str
    reason: str
    erased_at: datetime
    erased_by: str | None
    records_removed: dict[str, int]


class ErasurePage(Schema):
    count: int
    items: list[ErasureOut]


class PageQuery(Schema):
    reason: Literal["request", "retention"] | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class RetentionOut(Schema):
    person_retention_months: int
    call_retention_months: int
    next_run: datetime | None
    last_run: datetime | None
    last_persons_deleted: int | None
    last_calls_anonymised: int | None


@router.post(
    "/orgs/{org}/exports",
    response={200: None, 400: Message},
    summary="An encrypted export (AES-256 ZIP) of persons or services, as a download",
    openapi_extra={
        "responses": {
            200: {
                "description": "The ZIP archive",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
@api_organisation_operation("casework.export")
def create_export(request: OrganisationRequest, org: str, payload: ExportIn) -> HttpResponse:
    wanted = ExportRequest(
        kind=payload.kind,
        format=payload.format,
        include_identity=payload.include_identity,
        date_from=payload.date_from if payload.kind == "services" else None,
        date_to=payload.date_to if payload.kind == "services" else None,
    )
    try:
        exported = actions.create_export(
            actor=request.user,
            organisation=request.organisation,
            wanted=wanted,
            passphrase=payload.passphrase,
            passphrase_generated=False,
            request=request,
        )
    except TooManyRows:
        message = _("This export has too many rows; choose a shorter date range.")
        raise ValidationError(message) from None
    response = HttpResponse(exported.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Haven-Rows"] = str(exported.rows)
    return response


def _preview_out(
    parsed: ParsedImport, ticket: str | None, earlier: AuditEvent | None
) -> ImportPreview:
    already, warnings = None, []
    if earlier is not None:
        by = earlier.actor.username if earlier.actor else None
        already = EarlierImportOut(at=earlier.occurred_at, by=by)
        warnings.append(
            _(
                "This file was already imported on %(when)s by %(who)s. Importing it again"
                " records its rows a second time."
            )
            % {"when": timezone.localdate(earlier.occurred_at).isoformat(), "who": by or "?"}
        )
    return ImportPreview(
        kind=parsed.kind,
        format=parsed.format,
        checksum=parsed.checksum,
        rows=len(parsed.rows),
        valid=parsed.valid,
        error_count=parsed.error_count,
        errors=[RowErrorOut(row=e.row, column=e.column, message=e.message) for e in parsed.errors],
        columns=parsed.columns,
        preview=parsed.preview,
        ticket=ticket,
        already_imported=already,
        warnings=warnings,
    )


@router.get(
    "/orgs/{org}/imports/columns",
    response=list[ImportColumnOut],
    summary="The columns an import file of this kind may have, with their allowed values",
)
@api_organisation_operation("casework.import")
def import_columns(
    request: OrganisationRequest, org: str, query: Query[ImportColumnsQuery]
) -> list[ImportColumnOut]:
    if query.kind is None:
        raise ValidationError({"kind": [_("Say which kind of file: persons or services.")]})
    actions.check_may_import(request.user, request.organisation, query.kind, request)
    guide = column_guide(
        query.kind,
        request.organisation,
        may_import_identity="casework.view_identity" in request.permissions,
    )
    return [
        ImportColumnOut(
            name=column.name,
            required=column.required,
            format=column.format,
            values=[AllowedValueOut(code=code, label=label) for code, label in column.values],
            several=column.several,
        )
        for column in guide
    ]


@router.post(
    "/orgs/{org}/imports/preview",
    response={200: ImportPreview, 400: ImportPreview | Message},
    summary="Check an import file (CSV or XLSX); nothing is written",
)
@api_organisation_operation("casework.import")
def preview_import(
    request: OrganisationRequest,
    org: str,
    # Optional to ninja so that authorisation answers first; required below.
    kind: Form[Kind | None] = None,
    file: File[UploadedFile | None] = None,
) -> Status[ImportPreview] | Status[Message]:
    if kind is None or file is None:
        return Status(400, Message(detail=_("Send the file (multipart field file) and its kind.")))
    actions.check_may_import(request.user, request.organisation, kind, request)
    if file.size is None or file.size > MAX_BYTES:
        # The words of the import page, whose translation exists already.
        return Status(
            400, Message(detail=_("The file is larger than 5 MB; split it into smaller files."))
        )
    content = file.read()
    try:
        parsed = parse_import(
            organisation=request.organisation,
            actor=request.user,
            kind=kind,
            content=content,
            may_import_identity="casework.view_identity" in request.permissions,
        )
    except ImportRefused as refused:
        return Status(400, Message(detail=" ".join(refused.messages)))
    earlier = access.earlier_import_of(request.organisation, parsed.checksum)
    if not parsed.valid:
        return Status(400, _preview_out(parsed, None, earlier))
    ticket = stash(request.organisation, request.user, kind, content)
    return Status(200, _preview_out(parsed, ticket, earlier))


@router.post(
    "/orgs/{org}/imports/confirm",
    response={201: ImportResult, 400: Message},
    summary="Import a previewed file: every row in one transaction, or none",
)
@api_organisation_operation("casework.import")
def confirm_import(
    request: OrganisationRequest, org: str, payload: ImportConfirmIn
) -> Status[ImportResult]:
    try:
        parsed, counts = actions.confirm_import(
            actor=request.user,
            organisation=request.organisation,
            ticket=payload.ticket,
            may_import_identity="casework.view_identity" in request.permissions,
            request=request,
        )
    except TicketRefused as refused:
        if refused.already_claimed:
            message = _(
                "This preview was already confirmed, or is being imported right now: a file"
                " is imported once per preview. Nothing more was written."
            )
        else:
            message = _("This preview has expired or is not yours; preview the file again.")
        raise ValidationError(message) from None
    return Status(201, ImportResult(rows=len(parsed.values), created=counts))


def _erasure_out(record: object) -> ErasureOut:
    from haven.casework.models import ErasureRecord

    assert isinstance(record, ErasureRecord)
    return ErasureOut(
        id=record.pk,
        person_code=record.person_code,
        reason=record.reason,
        erased_at=record.erased_at,
        erased_by=record.erased_by.username if record.erased_by else None,
        records_removed={k: int(v) for k, v in record.records_removed.items()},
    )


@router.post(
    "/orgs/{org}/people/{person_id}/erasure",
    response={201: ErasureOut, 400: Message},
    summary="Erase a person's data on their request",
)
@api_organisation_operation("casework.erase")
def erase_person(
    request: OrganisationRequest, org: str, person_id: UUID, payload: EraseIn
) -> Status[ErasureOut]:
    person = access.person_to_erase(request, person_id)
    record = actions.erase_person(
        actor=request.user, person=person, confirm_code=payload.confirm_code, request=request
    )
    return Status(201, _erasure_out(record))


@router.get("/orgs/{org}/erasures", response=ErasurePage, summary="Erasure records, newest first")
@api_organisation_operation("casework.erase")
def list_erasures(request: OrganisationRequest, org: str, filters: Query[PageQuery]) -> ErasurePage:
    records = access.erasure_records_of(request.organisation)
    if filters.reason:
        records = records.filter(reason=filters.reason)
    window = records[filters.offset : filters.offset + filters.limit]
    return ErasurePage(count=records.count(), items=[_erasure_out(r) for r in window])


@router.get(
    "/orgs/{org}/retention",
    response=RetentionOut,
    summary="Retention periods, the next queued run and the last run that removed something",
)
@api_organisation_operation("casework.view_retention")
def retention_status(request: OrganisationRequest, org: str) -> RetentionOut:
    settings = access.retention_settings_of(request.organisation)
    last = access.last_retention_event(request.organisation)
    return RetentionOut(
        person_retention_months=settings.person_retention_months,
        call_retention_months=settings.call_retention_months,
        next_run=pending_run(),
        last_run=last.occurred_at if last else None,
        last_persons_deleted=int(last.details.get("persons_deleted", 0)) if last else None,
        last_calls_anonymised=int(last.details.get("calls_anonymised", 0)) if last else None,
    )
