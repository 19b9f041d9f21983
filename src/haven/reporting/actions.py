"""Every change to reporting: periods, members' submissions, budgets and publications."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.organisations.access import member_countries
from haven.organisations.models import MembershipCategory, Network, Organisation
from haven.privacy import audit
from haven.reporting import access
from haven.reporting.compute import Computed, compute_figures, compute_members
from haven.reporting.disclosure import add_noise
from haven.reporting.models import (
    Figure,
    PrivacyBudget,
    Publication,
    PublicationStatus,
    ReportingPeriod,
    Revision,
    Source,
    Submission,
    SubmissionStatus,
)
from haven.reporting.periods import period_end, start_problem
from haven.reporting.schema import (
    BY_KEY,
    TABLES,
    Figures,
    cell_key,
    parse_cell_key,
)

MIN_THRESHOLD, MAX_THRESHOLD = 2, 100
MAX_EPSILON = Decimal(10)
MAX_BUDGET = Decimal(20)
DEFAULT_CATEGORIES = (MembershipCategory.MEMBER,)


class BudgetSpent(ValidationError):
    """A sending that would take a member past its privacy budget on a period."""


# --- Periods -----------------------------------------------------------------------------


def _check_period(
    *,
    kind: str,
    starts_on: datetime.date,
    deadline: datetime.date,
    threshold: int,
    epsilon: Decimal,
    budget: Decimal,
) -> None:
    errors: dict[str, str] = {}
    problem = start_problem(kind, starts_on)
    if problem:
        errors["starts_on"] = problem
    elif deadline < period_end(kind, starts_on):
        errors["deadline"] = _("The deadline cannot come before the period ends.")
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        errors["threshold"] = _("Choose a number from %(low)d to %(high)d.") % {
            "low": MIN_THRESHOLD,
            "high": MAX_THRESHOLD,
        }
    if epsilon < 0 or epsilon > MAX_EPSILON or (0 < epsilon < Decimal("0.1")):
        errors["epsilon"] = _("Choose 0 (no noise) or a number from 0.1 to 10.")
    if budget < epsilon or budget > MAX_BUDGET:
        errors["budget"] = _(
            "The budget must cover at least one sending (ε) and be at most %(most)s."
        ) % {"most": MAX_BUDGET}
    if errors:
        raise ValidationError(errors)


def create_period(
    *,
    actor: User,
    network: Network,
    kind: str,
    starts_on: datetime.date,
    deadline: datetime.date,
    threshold: int = 10,
    epsilon: Decimal = Decimal("1.00"),
    budget: Decimal = Decimal("2.00"),
    categories: Iterable[str] = DEFAULT_CATEGORIES,
    request: HttpRequest | None = None,
) -> ReportingPeriod:
    """Open a reporting period and ask the network's members in ``categories`` to report."""
    _check_period(
        kind=kind,
        starts_on=starts_on,
        deadline=deadline,
        threshold=threshold,
        epsilon=epsilon,
        budget=budget,
    )
    chosen = [category for category in categories if category in MembershipCategory.values]
    if not chosen:
        raise ValidationError({"categories": _("Ask at least one category of members.")})
    with transaction.atomic():
        if ReportingPeriod.objects.filter(network=network, kind=kind, starts_on=starts_on).exists():
            raise ValidationError({"starts_on": _("The network already has this period.")})
        period = ReportingPeriod.objects.create(
            network=network,
            kind=kind,
            starts_on=starts_on,
            ends_on=period_end(kind, starts_on),
            deadline=deadline,
            threshold=threshold,
            epsilon=epsilon,
            budget=budget,
            created_by=actor,
        )
        members = access.members_to_ask(network, chosen, period.ends_on)
        with scopes_disabled():
            Submission.objects.bulk_create(
                [Submission(organisation=member, period=period) for member in members]
            )
            if period.private:
                PrivacyBudget.objects.bulk_create(
                    [
                        PrivacyBudget(organisation=member, period=period, total=period.budget)
                        for member in members
                    ]
                )
        audit.record(
            "reporting.period_created",
            actor=actor,
            organisation=network.organisation,
            target=period,
            details={
                "kind": kind,
                "starts_on": starts_on.isoformat(),
                "deadline": deadline.isoformat(),
                "threshold": threshold,
                "epsilon": str(epsilon),
                "budget": str(budget),
                "members_asked": len(members),
            },
            request=request,
        )
        transaction.on_commit(lambda: _queue_drafts(period))
    return period


# Members' drafts are computed from their casework the night after the period ends, after
# the nightly retention run (so what retention removed is not counted).
DRAFTS_AT = datetime.time(4, 0)


def _queue_drafts(period: ReportingPeriod) -> None:
    from haven.reporting.tasks import compute_drafts

    when = timezone.make_aware(
        datetime.datetime.combine(period.ends_on + datetime.timedelta(days=1), DRAFTS_AT)
    )
    if when <= timezone.now():
        compute_drafts.enqueue(period.pk)
    elif compute_drafts.get_backend().supports_defer:
        compute_drafts.using(run_after=when).enqueue(period.pk)


# --- A member's submission -----------------------------------------------------------------


def _locked(submission: Submission) -> Submission:
    with scope(organisation=submission.organisation_id):
        return (
            Submission.objects.select_for_update()
            .select_related("period", "organisation")
            .get(pk=submission.pk)
        )


def _refuse_if_sent(submission: Submission) -> None:
    if submission.status == SubmissionStatus.SENT:
        raise ValidationError(
            _("This submission was sent and is locked; start a correction to change it.")
        )


def _store_draft(
    *,
    actor: User | None,
    submission: Submission,
    figures: Figures,
    source: str,
    left_out: dict[str, int],
    action: str,
    request: HttpRequest | None,
    details: dict[str, object] | None = None,
    only_if_due: bool = False,
) -> Submission:
    with transaction.atomic():
        locked = _locked(submission)
        if only_if_due and locked.status != SubmissionStatus.DUE:
            raise _NoLongerDue
        _refuse_if_sent(locked)
        locked.draft = {cell_key(cell): str(value) for cell, value in figures.items()}
        locked.left_out = left_out
        locked.source = source
        locked.status = SubmissionStatus.DRAFT
        locked.prepared_at = timezone.now()
        locked.prepared_by = actor
        locked.save(
            update_fields=["draft", "left_out", "source", "status", "prepared_at", "prepared_by"]
        )
        audit.record(
            action,
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            details={"period": locked.period_id, "cells": len(figures), **(details or {})},
            request=request,
        )
    return locked


def prepare_from_casework(
    *, actor: User, submission: Submission, request: HttpRequest | None = None
) -> Submission:
    """Compute the draft from the member's casework (consenting persons only)."""
    period = submission.period
    computed = compute_figures(submission.organisation, period.starts_on, period.ends_on)
    return _store_computed(actor=actor, submission=submission, computed=computed, request=request)


class _NoLongerDue(Exception):
    """The member prepared or sent its submission while the network's drafts were computed."""


def _store_computed(
    *,
    actor: User | None,
    submission: Submission,
    computed: Computed,
    request: HttpRequest | None = None,
    only_if_due: bool = False,
) -> Submission:
    return _store_draft(
        actor=actor,
        submission=submission,
        figures=computed.figures,
        source=Source.COMPUTED,
        left_out=computed.left_out,
        action="reporting.submission_computed",
        request=request,
        only_if_due=only_if_due,
    )


def prepare_drafts(*, period: ReportingPeriod) -> int:
    """Compute the draft of every member still due on the period, all in one run (the
    background task once the period is over); returns how many drafts were prepared.

    Each member's figures go into its own draft, as if it had computed them itself; a
    member with nothing recorded in the period (casework kept elsewhere) stays due, and
    a draft already prepared, computed or typed in, is left as it is.
    """
    due = access.due_submissions_of_period(period)
    computed = compute_members(
        [submission.organisation for submission in due], period.starts_on, period.ends_on
    )
    prepared = 0
    for submission in due:
        figures = computed[submission.organisation_id]
        if figures.empty:
            continue
        try:
            _store_computed(actor=None, submission=submission, computed=figures, only_if_due=True)
        except _NoLongerDue:
            continue
        prepared += 1
    return prepared


def save_figures(
    *,
    actor: User,
    submission: Submission,
    figures: Figures,
    source: str,
    request: HttpRequest | None = None,
    checksum: str = "",
) -> Submission:
    """Keep figures the member typed in or uploaded (already checked by haven.reporting.entry)."""
    if source not in (Source.MANUAL, Source.UPLOAD):
        raise ValidationError(_("Figures are typed in or uploaded."))
    unknown = [cell for cell in figures if cell[0] not in BY_KEY]
    if unknown:
        raise ValidationError(_("There is no table of this name."))
    return _store_draft(
        actor=actor,
        submission=submission,
        figures=figures,
        source=source,
        left_out={},
        action="reporting.submission_entered",
        request=request,
        details={"source": source, **({"sha256": checksum} if checksum else {})},
    )


def draft_figures(submission: Submission) -> Figures:
    """The submission's draft as figures."""
    return {parse_cell_key(key): Decimal(value) for key, value in submission.draft.items()}


def spend_budget(
    *, organisation: Organisation, period: ReportingPeriod, epsilon: Decimal
) -> PrivacyBudget:
    """Take ε from the member's budget on the period under a row lock, or BudgetSpent."""
    with transaction.atomic(), scope(organisation=organisation):
        PrivacyBudget.objects.get_or_create(
            organisation=organisation, period=period, defaults={"total": period.budget}
        )
        budget = PrivacyBudget.objects.select_for_update().get(
            organisation=organisation, period=period
        )
        if budget.spent + epsilon > budget.total:
            raise BudgetSpent(
                _(
                    "The privacy budget of this period is spent (%(spent)s of %(total)s): "
                    "the figures already sent stay as they are."
                )
                % {"spent": budget.spent, "total": budget.total},
                code="budget_spent",
            )
        budget.spent += epsilon
        budget.save(update_fields=["spent"])
    return budget


def send_submission(
    *,
    actor: User,
    submission: Submission,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Revision:
    """Send the draft to the network as a new, locked revision, noised first if the period
    uses differential privacy; a correction (any revision after the first) needs a reason."""
    reason = reason.strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": _("At most 2,000 characters.")})
    with transaction.atomic():
        locked = _locked(submission)
        _refuse_if_sent(locked)
        if not locked.draft:
            raise ValidationError(_("There is nothing to send yet: prepare the figures first."))
        period = locked.period
        with scope(organisation=locked.organisation_id):
            previous = Revision.objects.filter(submission=locked).aggregate(n=Max("number"))["n"]
        if previous and not reason:
            raise ValidationError({"reason": _("Say why the figures are corrected.")})
        figures = draft_figures(locked)
        epsilon = scale = Decimal(0)
        if period.private:
            spend_budget(organisation=locked.organisation, period=period, epsilon=period.epsilon)
            countries = member_countries(period.network)
            noised = add_noise(figures, period.epsilon, countries)
            figures, epsilon, scale = noised.figures, noised.epsilon, noised.scale
        with scope(organisation=locked.organisation_id):
            Revision.objects.filter(submission=locked, is_current=True).update(is_current=False)
            revision = Revision.objects.create(
                organisation=locked.organisation,
                submission=locked,
                period=period,
                number=(previous or 0) + 1,
                source=locked.source or Source.MANUAL,
                reason=reason,
                epsilon=epsilon,
                noise_scale=scale,
                sent_at=timezone.now(),
                sent_by=actor,
            )
            Figure.objects.bulk_create(
                [
                    Figure(
                        organisation=locked.organisation,
                        revision=revision,
                        table=table_key,
                        category=category,
                        value=value,
                    )
                    for (table_key, category), value in sorted(figures.items())
                    if value != 0
                ],
                batch_size=1000,
            )
        locked.status = SubmissionStatus.SENT
        locked.save(update_fields=["status"])
        audit.record(
            "reporting.submission_sent",
            actor=actor,
            organisation=locked.organisation,
            target=revision,
            details={
                "period": period.pk,
                "revision": revision.number,
                "source": revision.source,
                "epsilon": str(epsilon),
                "correction": bool(previous),
            },
            request=request,
        )
    return revision


def start_correction(
    *, actor: User, submission: Submission, request: HttpRequest | None = None
) -> Submission:
    """Unlock a sent submission's draft so a corrected revision can be sent."""
    with transaction.atomic():
        locked = _locked(submission)
        if locked.status != SubmissionStatus.SENT:
            raise ValidationError(_("Only a sent submission can be corrected."))
        locked.status = SubmissionStatus.DRAFT
        locked.save(update_fields=["status"])
        audit.record(
            "reporting.correction_started",
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            details={"period": locked.period_id},
            request=request,
        )
    return locked


# --- Publications ----------------------------------------------------------------------


def request_publication(
    *,
    actor: User,
    period: ReportingPeriod,
    tables: Iterable[str] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Publication:
    """Start generating the period's public figures; a background task does the work."""
    from haven.reporting.tasks import generate_publication

    chosen = [key for key in (tables if tables is not None else BY_KEY) if key in BY_KEY]
    if not chosen:
        raise ValidationError({"tables": _("Choose at least one table to publish.")})
    if len(note) > 2000:
        raise ValidationError({"note": _("At most 2,000 characters.")})
    with transaction.atomic():
        if not any(status.revision for status in access.member_statuses(period)):
            raise ValidationError(_("No member has sent figures for this period yet."))
        publication = Publication.objects.create(
            network=period.network,
            period=period,
            tables=[table_.key for table_ in TABLES if table_.key in chosen],
            note=note.strip(),
            requested_by=actor,
        )
        audit.record(
            "reporting.publication_requested",
            actor=actor,
            organisation=period.network.organisation,
            target=publication,
            details={"period": period.pk, "tables": len(chosen)},
            request=request,
        )
        transaction.on_commit(lambda: generate_publication.enqueue(publication.pk))
    return publication


def withdraw_publication(
    *, actor: User, publication: Publication, request: HttpRequest | None = None
) -> Publication:
    """Take a publication off the public pages (its figures are kept, unpublished)."""
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        if locked.status != PublicationStatus.PUBLISHED:
            raise ValidationError(_("Only published figures can be withdrawn."))
        locked.status = PublicationStatus.WITHDRAWN
        locked.save(update_fields=["status"])
        audit.record(
            "reporting.publication_withdrawn",
            actor=actor,
            organisation=locked.network.organisation,
            target=locked,
            request=request,
        )
    return locked
