"""Lookups of reporting data: a member's own submissions, and a coordinator's view of them.

A member sees its submissions through the scoped managers, like any private data. A
coordinator must see every member's *sent* figures for the network it runs, so the
helpers marked "crosses members" below disable the scopes, in this one place, and read
only what was sent: revisions, their figures and statuses, never a draft, never the
records left out for want of consent, and nothing of casework.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from haven.organisations.models import Membership, Network, Organisation
from haven.reporting.models import (
    DeadlineChange,
    Figure,
    Notice,
    PrivacyBudget,
    Publication,
    PublicationStatus,
    PublishedFigure,
    ReportingPeriod,
    Revision,
    Submission,
    SubmissionStatus,
)
from haven.reporting.periods import short_queries
from haven.reporting.schema import Figures, Table, with_followed

# --- A member's own ----------------------------------------------------------------------


def submissions_of(organisation: Organisation) -> QuerySet[Submission]:
    """The organisation's submissions to every network, latest period first."""
    with scope(organisation=organisation):
        return (
            Submission.objects.filter(organisation=organisation)
            .select_related("period", "period__network", "period__network__organisation")
            .order_by("-period__starts_on", "period__network__slug")
        )


def due_submissions(organisation: Organisation) -> list[Submission]:
    """The organisation's submissions still asked and not sent yet, soonest deadline first."""
    due = (
        submissions_of(organisation)
        .exclude(status=SubmissionStatus.SENT)
        .filter(released_at__isnull=True)
    )
    return sorted(due, key=lambda submission: (submission.due_on, submission.period.starts_on))


# Where a member stands with one report, as its card and the API say it.
ReportState = Literal["not_started", "draft", "sent", "late"]


@dataclass(frozen=True)
class OpenRequest:
    """A report a network asks of the member, as the "Reports due" card shows it."""

    submission: Submission
    deadline: datetime.date
    state: ReportState
    # The deadline before the latest change that concerned this member, if any.
    previous_deadline: datetime.date | None


def report_state(submission: Submission, ever_sent: bool, today: datetime.date) -> ReportState:
    """Not started, draft, sent or late: a correction in progress of figures already sent is
    a draft, never late (the network has the figures)."""
    if submission.status == SubmissionStatus.SENT:
        return "sent"
    if not ever_sent and submission.due_on < today:
        return "late"
    if submission.status == SubmissionStatus.DRAFT:
        return "draft"
    return "not_started"


def open_requests(
    organisation: Organisation, today: datetime.date | None = None
) -> list[OpenRequest]:
    """What the member's networks ask of it now: every report still asked and not sent, and
    those sent whose deadline has not passed yet; soonest deadline first."""
    today = today or timezone.localdate()
    with scope(organisation=organisation):
        submissions = list(
            submissions_of(organisation)
            .filter(released_at__isnull=True)
            .filter(
                ~Q(status=SubmissionStatus.SENT)
                | Q(period__deadline__gte=today)
                | Q(deadline__gte=today)
            )
        )
        ever_sent = set(
            Revision.objects.filter(submission__in=submissions).values_list(
                "submission_id", flat=True
            )
        )
    changes = _latest_changes(submissions)
    requests = [
        OpenRequest(
            submission=submission,
            deadline=submission.due_on,
            state=report_state(submission, submission.pk in ever_sent, today),
            previous_deadline=changes.get(submission.pk),
        )
        for submission in submissions
    ]
    return sorted(requests, key=lambda item: (item.deadline, item.submission.period.starts_on))


def _latest_changes(submissions: list[Submission]) -> dict[int, datetime.date]:
    """The previous deadline of the latest change concerning each submission."""
    if not submissions:
        return {}
    by_period: dict[int, list[Submission]] = defaultdict(list)
    for submission in submissions:
        by_period[submission.period_id].append(submission)
    previous: dict[int, datetime.date] = {}
    changes = DeadlineChange.objects.filter(period_id__in=list(by_period)).order_by("changed_at")
    for change in changes:
        for submission in by_period[change.period_id]:
            if change.organisation_id in (None, submission.organisation_id):
                previous[submission.pk] = change.previous
    return previous


def deadline_changes_for(submission: Submission) -> list[DeadlineChange]:
    """The changes of the period's deadline that concern the member, latest first."""
    return list(
        DeadlineChange.objects.filter(period=submission.period_id)
        .filter(Q(organisation__isnull=True) | Q(organisation=submission.organisation_id))
        .order_by("-changed_at", "-pk")
    )


def submission_for(organisation: Organisation, submission_id: int) -> Submission:
    """One of the organisation's submissions, or 404."""
    found = submissions_of(organisation).filter(pk=submission_id).first()
    if found is None:
        raise Http404
    return found


def revisions_of(submission: Submission) -> list[Revision]:
    """A submission's sent revisions, newest first."""
    with scope(organisation=submission.organisation_id):
        return list(
            Revision.objects.filter(submission=submission)
            .select_related("sent_by")
            .order_by("-number")
        )


def revision_figures(revision: Revision) -> Figures:
    """The cells of one sent revision."""
    with scope(organisation=revision.organisation_id):
        return {
            (row.table, row.category): row.value for row in Figure.objects.filter(revision=revision)
        }


def budget_of(organisation: Organisation, period: ReportingPeriod) -> PrivacyBudget:
    """The member's privacy budget on the period (unsaved, untouched, if none yet)."""
    with scope(organisation=organisation):
        found = PrivacyBudget.objects.filter(organisation=organisation, period=period).first()
    return found or PrivacyBudget(organisation=organisation, period=period, total=period.budget)


def correction_in_progress(submission: Submission, revisions: list[Revision] | None = None) -> bool:
    """Whether figures already sent are being corrected (unlocked, not sent again yet)."""
    if submission.status == SubmissionStatus.SENT:
        return False
    return bool(revisions if revisions is not None else revisions_of(submission))


def can_correct(submission: Submission) -> bool:
    """Whether a correction of the member's report could still be sent: the period spends
    no privacy budget, or the member's budget covers one more sending."""
    period = submission.period
    return not period.private or budget_of(submission.organisation, period).covers(period.epsilon)


# --- A coordinator's: periods and statuses -------------------------------------------------


def network_of(organisation: Organisation) -> Network:
    """The network the organisation runs, or 404."""
    found = Network.objects.select_related("organisation").filter(organisation=organisation).first()
    if found is None:
        raise Http404
    return found


def periods_of(network: Network) -> QuerySet[ReportingPeriod]:
    """The network's reporting periods, latest first."""
    return ReportingPeriod.objects.filter(network=network).order_by("-starts_on", "kind")


def period_for(network: Network, period_id: int) -> ReportingPeriod:
    """One of the network's periods, or 404."""
    found = periods_of(network).filter(pk=period_id).first()
    if found is None:
        raise Http404
    return found


def members_to_ask(
    network: Network, categories: Iterable[str], on: datetime.date
) -> list[Organisation]:
    """Organisations in the network on ``on`` with one of the membership categories."""
    memberships = (
        Membership.objects.filter(network=network, category__in=list(categories))
        .filter(Q(since__isnull=True) | Q(since__lte=on))
        .filter(Q(until__isnull=True) | Q(until__gte=on))
        .select_related("organisation")
        .order_by("organisation__name")
    )
    seen: dict[int, Organisation] = {}
    for membership in memberships:
        seen.setdefault(membership.organisation_id, membership.organisation)
    return list(seen.values())


def due_submissions_of_period(period: ReportingPeriod) -> list[Submission]:
    """The period's submissions no member has prepared yet, of members still asked (crosses
    members: only for the background run that computes each member's draft)."""
    with scopes_disabled():
        return list(
            Submission.objects.filter(
                period=period, status=SubmissionStatus.DUE, released_at__isnull=True
            )
            .select_related("period", "organisation")
            .order_by("organisation_id")
        )


@dataclass(frozen=True)
class MemberStatus:
    """What a coordinator may know of one member's submission: whether and when it came."""

    submission_id: int
    organisation: Organisation
    status: str
    revision: int
    sent_at: datetime.datetime | None
    source: str
    late: bool
    # The member's deadline (its own when later than the network's).
    deadline: datetime.date | None = None
    # False once the member left the network without sending: it is no longer asked.
    asked: bool = True


def member_statuses(period: ReportingPeriod) -> list[MemberStatus]:
    """Each asked member's status for the period (crosses members: statuses only)."""
    today = timezone.localdate()
    with scopes_disabled():
        submissions = list(
            Submission.objects.filter(period=period)
            .select_related("organisation")
            .order_by("organisation__name")
        )
        current = {
            revision.submission_id: revision
            for revision in Revision.objects.filter(period=period, is_current=True)
        }
    statuses = []
    for submission in submissions:
        revision = current.get(submission.pk)
        sent = revision is not None
        submission.period = period
        asked = submission.released_at is None
        statuses.append(
            MemberStatus(
                submission_id=submission.pk,
                organisation=submission.organisation,
                # A coordinator does not see drafts: until it is sent, a submission is due.
                status=SubmissionStatus.SENT if sent else SubmissionStatus.DUE,
                revision=revision.number if revision else 0,
                sent_at=revision.sent_at if revision else None,
                source=revision.source if revision else "",
                late=not sent and asked and submission.due_on < today,
                deadline=submission.due_on,
                asked=asked,
            )
        )
    return statuses


def asked_member(period: ReportingPeriod, organisation_id: int) -> Submission:
    """The submission of a member the period still asks (crosses members: the request
    itself, never its draft), or a ValidationError naming the problem."""
    with scopes_disabled():
        found = (
            Submission.objects.select_related("organisation", "period__network__organisation")
            .filter(period=period, organisation_id=organisation_id, released_at__isnull=True)
            .first()
        )
    if found is None:
        raise ValidationError(
            {"organisation": _("This organisation is not asked for a report for this period.")}
        )
    return found


def waiting_submissions(period: ReportingPeriod) -> list[Submission]:
    """The submissions the period still asks for and never received (crosses members: the
    requests, never their drafts), by member name."""
    with scopes_disabled():
        waiting = list(
            Submission.objects.filter(period=period, released_at__isnull=True)
            .exclude(status=SubmissionStatus.SENT)
            .exclude(Exists(Revision.objects.filter(submission=OuterRef("pk"))))
            .select_related("organisation")
            .order_by("organisation__name")
        )
    for submission in waiting:
        submission.period = period
    return waiting


def last_emailed_at(period: ReportingPeriod) -> dict[int, datetime.datetime]:
    """When each member was last e-mailed (or is about to be) about the period, by
    submission; a notice that found nobody to write to is no e-mail."""
    rows = (
        Notice.objects.filter(period=period)
        .filter(Q(sent_at__isnull=True) | Q(recipients__gt=0))
        .values("submission_id")
        .annotate(last=Max("created_at"))
        .order_by()
    )
    return {row["submission_id"]: row["last"] for row in rows}


@dataclass(frozen=True)
class Remindable:
    """Which members that have not sent may be reminded now, and when the others may be."""

    submissions: set[int]
    # The moment the first of the others may be reminded, if none may be now.
    opens_at: datetime.datetime | None


def remindable(
    period: ReportingPeriod,
    waiting: Iterable[int],
    now: datetime.datetime,
    wait: datetime.timedelta,
) -> Remindable:
    """Of the ``waiting`` submissions, those with no e-mail about the period for ``wait``
    (reminded now by the coordinator's button), and when the next of the others may be."""
    waiting = set(waiting)
    last = {pk: when for pk, when in last_emailed_at(period).items() if pk in waiting}
    recent = {pk: when for pk, when in last.items() if when >= now - wait}
    opens_at = min(recent.values()) + wait if recent and recent.keys() == waiting else None
    return Remindable(submissions=waiting - recent.keys(), opens_at=opens_at)


def periods_in_play(today: datetime.date, window: datetime.timedelta) -> list[ReportingPeriod]:
    """Every network's periods whose deadline, or one member's own, is at most ``window``
    ago: those whose members may still be asked or reminded."""
    cutoff = today - window
    with scopes_disabled():
        own = Submission.objects.filter(deadline__gte=cutoff).values("period_id")
        return list(
            ReportingPeriod.objects.filter(Q(deadline__gte=cutoff) | Q(pk__in=own))
            .select_related("network__organisation")
            .order_by("deadline", "pk")
        )


def last_emailed(period: ReportingPeriod) -> dict[int, datetime.datetime]:
    """When each member was last e-mailed about the period, by submission (crosses members:
    dates only)."""
    rows = (
        Notice.objects.filter(period=period, sent_at__isnull=False, recipients__gt=0)
        .values("submission_id")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    return {row["submission_id"]: row["last"] for row in rows}


def deadline_changes_of(period: ReportingPeriod) -> list[DeadlineChange]:
    """Every change of the period's deadline, latest first."""
    return list(
        DeadlineChange.objects.filter(period=period)
        .select_related("organisation", "changed_by")
        .order_by("-changed_at", "-pk")
    )


# --- A coordinator's: sent figures, aggregated ----------------------------------------------

Column = Literal["member", "country", "period", "network"]
# The one column of figures summed over the whole network.
NETWORK_COLUMN = "all"


@dataclass
class Sent:
    """Sent figures summed by column (a member's id, a country, a period's id, or "")."""

    columns: dict[str, Figures]
    # The noise scale of every revision summed into each column, for its accuracy.
    scales: dict[str, list[Decimal]]
    members: dict[str, set[int]]
    labels: dict[str, str]


def current_revisions(periods: Iterable[ReportingPeriod]) -> list[tuple[Any, ...]]:
    """Each current revision of the periods, with its member's name and country, in order."""
    with scopes_disabled():
        return list(
            Revision.objects.filter(
                period_id__in=[period.pk for period in periods], is_current=True
            )
            .order_by("pk")
            .values_list("pk", "organisation__name", "organisation__country")
        )


def revision_numbers(periods: Iterable[ReportingPeriod]) -> dict[int, list[tuple[int, int]]]:
    """Each member asked for each period with the number of its current revision (0 until it
    sends), by the period's id, as ``member_statuses`` has them (crosses members: numbers
    only)."""
    period_ids = [period.pk for period in periods]
    with scopes_disabled():
        numbers = dict(
            Revision.objects.filter(period_id__in=period_ids, is_current=True).values_list(
                "submission_id", "number"
            )
        )
        asked = Submission.objects.filter(period_id__in=period_ids).values_list(
            "period_id", "organisation_id", "pk"
        )
        found: dict[int, list[tuple[int, int]]] = {period_id: [] for period_id in period_ids}
        for period_id, organisation_id, submission_id in asked:
            found[period_id].append((organisation_id, numbers.get(submission_id, 0)))
    return found


def sent_figures(
    periods: Iterable[ReportingPeriod], by: Column, tables: Iterable[Table] | None = None
) -> Sent:
    """Current sent figures of the periods, summed by ``by`` (crosses members: sent only),
    of every table or only of ``tables`` (and those their volume tables follow)."""
    period_ids = [period.pk for period in periods]
    with scopes_disabled(), short_queries():
        revisions = list(
            Revision.objects.filter(period_id__in=period_ids, is_current=True).values(
                "pk",
                "organisation_id",
                "organisation__name",
                "organisation__country",
                "period_id",
                "noise_scale",
            )
        )
        sent = Sent(columns={}, scales=defaultdict(list), members=defaultdict(set), labels={})
        starts = {period.pk: period for period in periods}
        for revision in revisions:
            column = _column(
                by,
                revision["organisation_id"],
                revision["organisation__country"],
                revision["period_id"],
            )
            if by == "member":
                sent.labels[column] = revision["organisation__name"]
            elif by == "period":
                sent.labels[column] = starts[revision["period_id"]].starts_on.isoformat()
            sent.scales[column].append(revision["noise_scale"])
            sent.members[column].add(revision["organisation_id"])
        figures_of = Figure.objects.filter(
            revision_id__in=[revision["pk"] for revision in revisions]
        )
        if tables is not None:
            # A view of a few tables reads only theirs: a period's figures hold every table.
            figures_of = figures_of.filter(table__in=with_followed(tables))
        rows = figures_of.values(*_GROUPED[by]).annotate(total=Sum("value")).order_by()
        for row in rows:
            column = _column(
                by,
                row.get("revision__organisation_id"),
                row.get("revision__organisation__country"),
                row.get("revision__period_id"),
            )
            figures = sent.columns.setdefault(column, {})
            figures[row["table"], row["category"]] = row["total"]
    return sent


_GROUPED: dict[str, tuple[str, ...]] = {
    "member": ("table", "category", "revision__organisation_id"),
    "country": ("table", "category", "revision__organisation__country"),
    "period": ("table", "category", "revision__period_id"),
    "network": ("table", "category"),
}


def _column(by: Column, organisation_id: object, country: object, period_id: object) -> str:
    if by == "member":
        return str(organisation_id)
    if by == "country":
        return str(country or "??")
    if by == "period":
        return str(period_id)
    return NETWORK_COLUMN


# --- Publications ---------------------------------------------------------------------------


def publications_of(network: Network) -> QuerySet[Publication]:
    """Every publication of the network, latest period first."""
    return Publication.objects.filter(network=network).select_related("period")


def publication_for(network: Network, publication_id: int) -> Publication:
    """One of the network's publications, in any status, or 404."""
    found = publications_of(network).filter(pk=publication_id).first()
    if found is None:
        raise Http404
    return found


def published(network: Network) -> QuerySet[Publication]:
    """The network's publications in force, latest period first."""
    return publications_of(network).filter(status=PublicationStatus.PUBLISHED)


def public_publication(network: Network, publication_id: int | None = None) -> Publication:
    """A publication in force (the latest if no id), or 404."""
    publications = published(network)
    found = (
        publications.filter(pk=publication_id).first()
        if publication_id is not None
        else publications.first()
    )
    if found is None:
        raise Http404
    return found


def published_figures(publication: Publication) -> list[PublishedFigure]:
    """Every published cell of a publication."""
    return list(PublishedFigure.objects.filter(publication=publication).order_by("pk"))


def published_trend(
    network: Network, table_key: str, kind: str
) -> list[tuple[Publication, PublishedFigure]]:
    """One table's network total in each publication in force of periods of ``kind`` (a
    quarter among months would count its persons as if it were one), oldest period first."""
    rows = (
        PublishedFigure.objects.filter(
            publication__network=network,
            publication__status=PublicationStatus.PUBLISHED,
            publication__period__kind=kind,
            table=table_key,
            category="",
            column="",
        )
        .select_related("publication", "publication__period")
        .order_by("publication__period__starts_on", "publication__requested_at")
    )
    latest: dict[int, tuple[Publication, PublishedFigure]] = {}
    for row in rows:
        latest[row.publication.period_id] = (row.publication, row)
    return list(latest.values())
