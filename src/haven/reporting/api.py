"""API of coalition reporting: a member's submissions, a coordinator's periods and
publications, and a network's published figures (public).

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)

from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_public_operation,
)
from haven.api.schemas import Day
from haven.organisations.access import network_by_slug
from haven.organisations.api import Body, Message
from haven.organisations.models import Organisation
from haven.records.imports import MAX_BYTES, ImportRefused, checksum_of
from haven.reporting import access, actions, entry
from haven.reporting.dashboard import public_figures
from haven.reporting.models import (
    DeadlineChange,
    PeriodKind,
    Publication,
    ReportingPeriod,
    Source,
    Submission,
)
from haven.reporting.report import TableView, review_views
from haven.reporting.schema import TABLES

router = Router(tags=["reporting"])


# A cell's value as JSON has it: a number, or a string as the entry form takes it. A true or
# false is taken too, so that the cell's own check refuses it, naming the cell.
CellValue = Annotated[
    Annotated[StrictStr, StringConstraints(max_length=40)]
    | StrictInt
    | StrictFloat
    | StrictBool
    | None,
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 40}, {"type": "null"}]}
    ),
]


class CellIn(Schema):
    table: str = Field(max_length=40)
    category: str = Field(max_length=60)
    value: CellValue = Field(description="A number (or a string); empty or null for zero")


class CellOut(Schema):
    table: str
    category: str
    value: Decimal


class FiguresIn(Body):
    cells: list[CellIn] = Field(max_length=2000)


class SendIn(Body):
    reason: str = Field("", max_length=2000, description="Needed for a correction")


class CellErrorOut(Schema):
    row: int
    cell: str
    message: str


class EntryRefused(Schema):
    detail: str
    errors: list[CellErrorOut]


class PeriodOut(Schema):
    id: int
    network: str
    kind: str
    label: str
    starts_on: date
    ends_on: date
    deadline: date = Field(description="The network's deadline (a member may have a later one)")
    threshold: int
    epsilon: Decimal
    budget: Decimal
    categories: list[str] = Field(description="The membership categories asked")
    remind_days_before: int


class RevisionOut(Schema):
    number: int
    sent_at: datetime
    source: str
    reason: str
    epsilon: Decimal
    current: bool


class SubmissionOut(Schema):
    id: int
    period: PeriodOut
    status: str
    source: str
    prepared_at: datetime | None
    # Seen by the member only: records left out for want of consent, and budget spent.
    left_out: dict[str, int]
    budget_spent: Decimal
    draft: list[CellOut]
    revisions: list[RevisionOut]
    deadline: date = Field(description="This member's deadline")
    state: Literal["not_started", "draft", "sent", "late"]
    asked: bool = Field(description="False once the member left the network before sending")


class DueReportOut(Schema):
    id: int
    network: str
    period: PeriodOut
    deadline: date = Field(description="This member's deadline")
    previous_deadline: date | None = Field(
        description="The deadline before the latest change that concerned this member"
    )
    state: Literal["not_started", "draft", "sent", "late"]


class PeriodIn(Body):
    kind: PeriodKind
    starts_on: Day
    deadline: Day
    threshold: StrictInt = Field(10, ge=2, le=100)
    epsilon: Decimal = Field(Decimal("1.00"), ge=0, le=10, decimal_places=2)
    budget: Decimal = Field(Decimal("2.00"), ge=0, le=20, decimal_places=2)
    categories: list[Literal["member", "partner", "international_network", "domestic_ngo",
                             "supporter"]] = Field(["member"], max_length=5)  # fmt: skip
    remind_days_before: StrictInt = Field(7, ge=0, le=60)


class DeadlineIn(Body):
    deadline: Day
    organisation_id: StrictInt | None = Field(
        None, description="A member that gets a later deadline of its own; none: everyone"
    )
    reason: str = Field("", max_length=500, description="A note sent to the members")


class RemindIn(Body):
    organisation_id: StrictInt | None = Field(None, description="One member; none: every member")
    note: str = Field("", max_length=500, description="Added to the reminder")


class RemindedOut(Schema):
    reminded: list[int] = Field(description="The members e-mailed")
    left_out: list[int] = Field(description="Members e-mailed about it less than a day ago")
    unreachable: list[int] = Field(
        description="Members left out because nobody there may send reports: nobody to e-mail"
    )


class DeadlineChangeOut(Schema):
    id: int
    organisation_id: int | None = Field(description="None: the network's deadline")
    previous: date
    deadline: date
    reason: str
    changed_at: datetime


class MemberStatusOut(Schema):
    organisation_id: int
    organisation: str
    country: str
    status: str
    revision: int
    sent_at: datetime | None
    late: bool
    deadline: date | None
    asked: bool = Field(description="False once the member left the network before sending")
    last_emailed_at: datetime | None


# Plain pydantic models: a table has thousands of cells, and ninja's Schema wraps each one
# in a getter for Django objects these do not need.
class ShownOut(BaseModel):
    category: str
    column: str
    value: Decimal | None = Field(description="None when withheld")
    accuracy: Decimal | None = Field(description="Half-width of the 95% interval of the noise")


class TableOut(BaseModel):
    table: str
    title: str
    cells: list[ShownOut]


class ReviewOut(Schema):
    period: PeriodOut
    members: list[MemberStatusOut]
    deadline_changes: list[DeadlineChangeOut]
    tables: list[TableOut]


class PublishIn(Body):
    tables: list[str] | None = Field(None, max_length=50)
    note: str = Field("", max_length=2000)
    confirm_few_members: StrictBool = Field(
        False, description="Needed to publish the figures of fewer than 3 members"
    )


class PublicationOut(Schema):
    id: int
    period: PeriodOut
    status: str
    progress: int
    published_at: datetime | None
    members: int
    countries: int
    persons: int = Field(description="More than this many persons: the headline's number")
    headline: str
    note: str


class PublishedOut(Schema):
    publication: PublicationOut
    tables: list[TableOut]


def _period_out(period: ReportingPeriod) -> PeriodOut:
    return PeriodOut(
        id=period.pk,
        network=period.network.slug,
        kind=period.kind,
        label=period.label,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        deadline=period.deadline,
        threshold=period.threshold,
        epsilon=period.epsilon,
        budget=period.budget,
        categories=list(period.categories),
        remind_days_before=period.remind_days_before,
    )


def _change_out(change: DeadlineChange) -> DeadlineChangeOut:
    return DeadlineChangeOut(
        id=change.pk,
        organisation_id=change.organisation_id,
        previous=change.previous,
        deadline=change.deadline,
        reason=change.reason,
        changed_at=change.changed_at,
    )


def _submission_out(submission: Submission) -> SubmissionOut:
    figures = actions.draft_figures(submission)
    current = access.revisions_of(submission)
    budget = access.budget_of(submission.organisation, submission.period)
    state = access.report_state(submission, bool(current), timezone.localdate())
    return SubmissionOut(
        id=submission.pk,
        period=_period_out(submission.period),
        status=submission.status,
        source=submission.source,
        prepared_at=submission.prepared_at,
        left_out={str(k): int(v) for k, v in (submission.left_out or {}).items()},
        budget_spent=budget.spent,
        draft=[
            CellOut(table=table_key, category=category, value=value)
            for (table_key, category), value in sorted(figures.items())
            if value
        ],
        revisions=[
            RevisionOut(
                number=revision.number,
                sent_at=revision.sent_at,
                source=revision.source,
                reason=revision.reason,
                epsilon=revision.epsilon,
                current=revision.is_current,
            )
            for revision in current
        ],
        deadline=submission.due_on,
        state=state,
        asked=submission.asked,
    )


def _tables_out(views: list[TableView]) -> list[TableOut]:
    return [
        TableOut(
            table=view.table.key,
            title=str(view.table.title),
            cells=[
                ShownOut(category=row, column=column, value=shown.value, accuracy=shown.accuracy)
                for (row, column), shown in view.cells.items()
            ],
        )
        for view in views
    ]


def _refused(checked: entry.Entry) -> Status[EntryRefused]:
    return Status(
        400,
        EntryRefused(
            detail="Some cells need fixing; nothing was saved.",
            errors=[
                CellErrorOut(row=e.row, cell=e.cell, message=e.message) for e in checked.errors
            ],
        ),
    )


def _keep(
    request: OrganisationRequest,
    submission: Submission,
    checked: entry.Entry,
    source: str,
    checksum: str = "",
) -> Status[SubmissionOut] | Status[EntryRefused]:
    if not checked.valid:
        return _refused(checked)
    saved = actions.save_figures(
        actor=request.user,
        submission=submission,
        figures=checked.figures,
        source=source,
        checksum=checksum,
        request=request,
    )
    return Status(200, _submission_out(saved))


# --- A member's submissions -------------------------------------------------------------


@router.get(
    "/orgs/{org}/reports", response=list[SubmissionOut], summary="The organisation's reports"
)
@api_organisation_operation("reporting.submit")
def list_reports(request: OrganisationRequest, org: str) -> list[SubmissionOut]:
    return [_submission_out(s) for s in access.submissions_of(request.organisation)[:200]]


@router.get(
    "/orgs/{org}/reports/due",
    response=list[DueReportOut],
    summary="What the organisation's networks ask of it now, soonest deadline first",
)
@api_organisation_operation("reporting.submit")
def due_reports(request: OrganisationRequest, org: str) -> list[DueReportOut]:
    return [
        DueReportOut(
            id=item.submission.pk,
            network=item.submission.period.network.slug,
            period=_period_out(item.submission.period),
            deadline=item.deadline,
            previous_deadline=item.previous_deadline,
            state=item.state,
        )
        for item in access.open_requests(request.organisation)[:200]
    ]


@router.get(
    "/orgs/{org}/reports/{submission_id}",
    response=SubmissionOut,
    summary="One report, with its draft",
)
@api_organisation_operation("reporting.submit")
def get_report(request: OrganisationRequest, org: str, submission_id: int) -> SubmissionOut:
    return _submission_out(access.submission_for(request.organisation, submission_id))


@router.post(
    "/orgs/{org}/reports/{submission_id}/compute",
    response={200: SubmissionOut, 400: Message},
    summary="Compute the draft from casework (persons who consented to statistics only)",
)
@api_organisation_operation("reporting.submit")
def compute_report(request: OrganisationRequest, org: str, submission_id: int) -> SubmissionOut:
    submission = access.submission_for(request.organisation, submission_id)
    return _submission_out(
        actions.prepare_from_casework(actor=request.user, submission=submission, request=request)
    )


@router.put(
    "/orgs/{org}/reports/{submission_id}/figures",
    response={200: SubmissionOut, 400: EntryRefused | Message},
    summary="Replace the draft with figures entered by hand; every cell is checked",
)
@api_organisation_operation("reporting.submit")
def put_figures(
    request: OrganisationRequest, org: str, submission_id: int, payload: FiguresIn
) -> Status[SubmissionOut] | Status[EntryRefused]:
    submission = access.submission_for(request.organisation, submission_id)
    checked = entry.from_cells((c.table, c.category, c.value) for c in payload.cells)
    return _keep(request, submission, checked, Source.MANUAL)


@router.post(
    "/orgs/{org}/reports/{submission_id}/upload",
    response={200: SubmissionOut, 400: EntryRefused | Message},
    summary="Replace the draft with an uploaded CSV or XLSX file (columns table, category, value)",
)
@api_organisation_operation("reporting.submit")
def upload_figures(
    request: OrganisationRequest,
    org: str,
    submission_id: int,
    # Optional to ninja so that authorisation answers first; required below.
    file: File[UploadedFile | None] = None,
) -> Status[SubmissionOut] | Status[EntryRefused] | Status[Message]:
    submission = access.submission_for(request.organisation, submission_id)
    if file is None:
        return Status(400, Message(detail=_("Send the file as the multipart field file.")))
    if file.size is None or file.size > MAX_BYTES:
        return Status(
            400, Message(detail=_("The file is larger than 5 MB; split it into smaller files."))
        )
    content = file.read()
    try:
        checked = entry.from_file(content)
    except ImportRefused as refused:
        return Status(400, Message(detail=" ".join(refused.messages)))
    return _keep(request, submission, checked, Source.UPLOAD, checksum_of(content))


@router.post(
    "/orgs/{org}/reports/{submission_id}/send",
    response={200: SubmissionOut, 400: Message},
    summary="Send the draft as a locked revision (noised first under differential privacy)",
)
@api_organisation_operation("reporting.submit")
def send_report(
    request: OrganisationRequest, org: str, submission_id: int, payload: SendIn
) -> SubmissionOut:
    submission = access.submission_for(request.organisation, submission_id)
    actions.send_submission(
        actor=request.user, submission=submission, reason=payload.reason, request=request
    )
    return _submission_out(access.submission_for(request.organisation, submission_id))


@router.post(
    "/orgs/{org}/reports/{submission_id}/correction",
    response={200: SubmissionOut, 400: Message},
    summary="Unlock a sent report's draft for a corrected revision",
)
@api_organisation_operation("reporting.submit")
def correct_report(request: OrganisationRequest, org: str, submission_id: int) -> SubmissionOut:
    submission = access.submission_for(request.organisation, submission_id)
    return _submission_out(
        actions.start_correction(actor=request.user, submission=submission, request=request)
    )


@router.delete(
    "/orgs/{org}/reports/{submission_id}/correction",
    response={200: SubmissionOut, 400: Message},
    summary="Cancel a correction in progress: the report is sent again as it was",
)
@api_organisation_operation("reporting.submit")
def cancel_correction(request: OrganisationRequest, org: str, submission_id: int) -> SubmissionOut:
    submission = access.submission_for(request.organisation, submission_id)
    return _submission_out(
        actions.cancel_correction(actor=request.user, submission=submission, request=request)
    )


# --- A coordinator's periods and publications ----------------------------------------------


@router.get(
    "/orgs/{org}/reporting/periods",
    response=list[PeriodOut],
    summary="The network's reporting periods",
)
@api_organisation_operation("reporting.coordinate")
def list_periods(request: OrganisationRequest, org: str) -> list[PeriodOut]:
    network = access.network_of(request.organisation)
    return [_period_out(period) for period in access.periods_of(network)[:200]]


@router.post(
    "/orgs/{org}/reporting/periods",
    response={201: PeriodOut, 400: Message},
    summary="Open a period and ask the members for a report by its deadline",
)
@api_organisation_operation("reporting.coordinate")
def create_period(request: OrganisationRequest, org: str, payload: PeriodIn) -> Status[PeriodOut]:
    network = access.network_of(request.organisation)
    period = actions.create_period(
        actor=request.user,
        network=network,
        kind=payload.kind.value,
        starts_on=payload.starts_on,
        deadline=payload.deadline,
        threshold=payload.threshold,
        epsilon=payload.epsilon,
        budget=payload.budget,
        categories=payload.categories,
        remind_days_before=payload.remind_days_before,
        request=request,
    )
    return Status(201, _period_out(period))


@router.get(
    "/orgs/{org}/reporting/periods/{period_id}",
    response=ReviewOut,
    summary="Who sent figures, and the figures received by country, disclosure-controlled",
)
@api_organisation_operation("reporting.coordinate")
def review_period(request: OrganisationRequest, org: str, period_id: int) -> ReviewOut:
    network = access.network_of(request.organisation)
    period = access.period_for(network, period_id)
    statuses = access.member_statuses(period)
    sent_any = any(status.revision for status in statuses)
    views = review_views(period, "country", TABLES, statuses) if sent_any else []
    emailed = access.last_emailed(period)
    return ReviewOut(
        period=_period_out(period),
        deadline_changes=[_change_out(change) for change in access.deadline_changes_of(period)],
        members=[
            MemberStatusOut(
                organisation_id=status.organisation.pk,
                organisation=status.organisation.name,
                country=status.organisation.country.code or "",
                status=status.status,
                revision=status.revision,
                sent_at=status.sent_at,
                late=status.late,
                deadline=status.deadline,
                asked=status.asked,
                last_emailed_at=emailed.get(status.submission_id),
            )
            for status in statuses
        ],
        tables=_tables_out(views),
    )


def _member_of(period: ReportingPeriod, organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    return access.asked_member(period, organisation_id).organisation


@router.post(
    "/orgs/{org}/reporting/periods/{period_id}/deadline",
    response={200: DeadlineChangeOut, 400: Message},
    summary="Change the period's deadline for everyone, or give one member a later one; "
    "the members concerned are told by e-mail",
)
@api_organisation_operation("reporting.coordinate")
def change_deadline(
    request: OrganisationRequest, org: str, period_id: int, payload: DeadlineIn
) -> DeadlineChangeOut:
    period = access.period_for(access.network_of(request.organisation), period_id)
    change = actions.change_deadline(
        actor=request.user,
        period=period,
        deadline=payload.deadline,
        organisation=_member_of(period, payload.organisation_id),
        reason=payload.reason,
        request=request,
    )
    return _change_out(change)


@router.post(
    "/orgs/{org}/reporting/periods/{period_id}/reminders",
    response={202: RemindedOut, 400: Message},
    summary="Remind now, by e-mail, every member (or one) that has not sent its figures, "
    "except those e-mailed about it less than a day ago",
)
@api_organisation_operation("reporting.coordinate")
def remind_members(
    request: OrganisationRequest, org: str, period_id: int, payload: RemindIn
) -> Status[RemindedOut]:
    period = access.period_for(access.network_of(request.organisation), period_id)
    reminded = actions.remind_members(
        actor=request.user,
        period=period,
        organisation=_member_of(period, payload.organisation_id),
        note=payload.note,
        request=request,
    )
    return Status(
        202,
        RemindedOut(
            reminded=[member.pk for member in reminded.reminded],
            left_out=[member.pk for member in reminded.recently],
            unreachable=[member.pk for member in reminded.unreachable],
        ),
    )


def _publication_out(publication: Publication) -> PublicationOut:
    from haven.reporting.dashboard import headline_text

    return PublicationOut(
        id=publication.pk,
        period=_period_out(publication.period),
        status=publication.status,
        progress=publication.progress,
        published_at=publication.published_at,
        members=publication.members,
        countries=publication.countries,
        persons=publication.persons,
        headline=headline_text(publication) if publication.published_at else "",
        note=publication.note,
    )


@router.post(
    "/orgs/{org}/reporting/periods/{period_id}/publish",
    response={202: PublicationOut, 400: Message},
    summary="Generate and publish the period's figures (a background task; poll the result)",
)
@api_organisation_operation("reporting.coordinate")
def publish_period(
    request: OrganisationRequest, org: str, period_id: int, payload: PublishIn
) -> Status[PublicationOut]:
    network = access.network_of(request.organisation)
    period = access.period_for(network, period_id)
    publication = actions.request_publication(
        actor=request.user,
        period=period,
        tables=payload.tables,
        note=payload.note,
        few_members_confirmed=payload.confirm_few_members,
        request=request,
    )
    return Status(202, _publication_out(publication))


@router.get(
    "/orgs/{org}/reporting/publications/{publication_id}",
    response=PublicationOut,
    summary="A publication and its progress",
)
@api_organisation_operation("reporting.coordinate")
def get_publication(request: OrganisationRequest, org: str, publication_id: int) -> PublicationOut:
    network = access.network_of(request.organisation)
    publication = access.publication_for(network, publication_id)
    publication.refresh_from_db()
    return _publication_out(publication)


@router.post(
    "/orgs/{org}/reporting/publications/{publication_id}/withdraw",
    response={200: PublicationOut, 400: Message},
    summary="Take a publication off the public pages",
)
@api_organisation_operation("reporting.coordinate")
def withdraw_publication(
    request: OrganisationRequest, org: str, publication_id: int
) -> PublicationOut:
    network = access.network_of(request.organisation)
    publication = access.publication_for(network, publication_id)
    return _publication_out(
        actions.withdraw_publication(actor=request.user, publication=publication, request=request)
    )


# --- Public ------------------------------------------------------------------------------


@router.get(
    "/networks/{network}/figures",
    response=list[PublicationOut],
    auth=None,
    summary="A network's published figures: its publications in force, latest first (public)",
)
@api_public_operation
def public_publications(request: HttpRequest, network: str) -> list[PublicationOut]:
    found = network_by_slug(network)
    return [_publication_out(publication) for publication in access.published(found)[:100]]


@router.get(
    "/networks/{network}/figures/{publication_id}",
    response=PublishedOut,
    auth=None,
    summary="One publication's tables, after disclosure control (public)",
)
@api_public_operation
def public_publication(request: HttpRequest, network: str, publication_id: int) -> PublishedOut:
    found = network_by_slug(network)
    publication = access.public_publication(found, publication_id)
    return PublishedOut(
        publication=_publication_out(publication),
        tables=_tables_out(public_figures(publication).views),
    )
