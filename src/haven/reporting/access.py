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
from typing import Literal

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.organisations.models import Membership, Network, Organisation
from haven.reporting.models import (
    Figure,
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
from haven.reporting.schema import Figures

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
    """The organisation's submissions not sent yet, soonest deadline first."""
    return list(
        submissions_of(organisation)
        .exclude(status=SubmissionStatus.SENT)
        .order_by("period__deadline", "period__starts_on")
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
    """The period's submissions no member has prepared yet (crosses members: only for the
    background run that computes each member's draft from its own casework)."""
    with scopes_disabled():
        return list(
            Submission.objects.filter(period=period, status=SubmissionStatus.DUE)
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
        statuses.append(
            MemberStatus(
                submission_id=submission.pk,
                organisation=submission.organisation,
                # A coordinator does not see drafts: until it is sent, a submission is due.
                status=SubmissionStatus.SENT if sent else SubmissionStatus.DUE,
                revision=revision.number if revision else 0,
                sent_at=revision.sent_at if revision else None,
                source=revision.source if revision else "",
                late=not sent and period.deadline < today,
            )
        )
    return statuses


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


def sent_figures(periods: Iterable[ReportingPeriod], by: Column) -> Sent:
    """Current sent figures of the periods, summed by ``by`` (crosses members: sent only)."""
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
        rows = (
            Figure.objects.filter(revision_id__in=[revision["pk"] for revision in revisions])
            .values(*_GROUPED[by])
            .annotate(total=Sum("value"))
            .order_by()
        )
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


def published_trend(network: Network, table_key: str) -> list[tuple[Publication, PublishedFigure]]:
    """One table's network total in each publication in force, oldest period first."""
    rows = (
        PublishedFigure.objects.filter(
            publication__network=network,
            publication__status=PublicationStatus.PUBLISHED,
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
