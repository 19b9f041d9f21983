"""Every change to reporting: periods and who is asked, deadlines, reminders, members'
submissions, budgets and publications."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope, scopes_disabled

from haven.accounts.access import organisations_with_nobody_holding
from haven.accounts.models import User
from haven.accounts.permissions import Role, roles_with
from haven.organisations.access import member_countries
from haven.organisations.models import MembershipCategory, Network, Organisation
from haven.privacy import audit
from haven.reporting import access
from haven.reporting.compute import Computed, compute_figures, compute_members
from haven.reporting.disclosure import add_noise
from haven.reporting.models import (
    DeadlineChange,
    Figure,
    Notice,
    NoticeKind,
    PrivacyBudget,
    Publication,
    PublicationStatus,
    ReportingPeriod,
    Revision,
    Source,
    Submission,
    SubmissionStatus,
)
from haven.reporting.periods import deadline_problem, period_end, start_problem
from haven.reporting.schema import (
    BY_KEY,
    TABLES,
    Figures,
    cell_key,
    parse_cell_key,
)
from haven.timezones import day_in_zone_of

MIN_THRESHOLD, MAX_THRESHOLD = 2, 100
MAX_EPSILON = Decimal(10)
MAX_BUDGET = Decimal(20)
DEFAULT_CATEGORIES = (MembershipCategory.MEMBER,)
DEFAULT_REMIND_DAYS, MAX_REMIND_DAYS = 7, 60
# A shorter deadline must leave members this long from the day it is set (decision 37).
SHORTENING_NOTICE = datetime.timedelta(days=7)
# A member asked after the period opened has at least this long to send (decision 37).
LATE_JOINER_TIME = datetime.timedelta(days=14)
# Late members are reminded once within this long after their deadline; the run stops
# looking at a period this long after its last deadline.
LATE_WINDOW = datetime.timedelta(days=7)
# Nobody is reminded (automatically or by the coordinator) within a day of an e-mail.
REMIND_AGAIN_AFTER = datetime.timedelta(hours=24)
# Figures sent by fewer members than this are published only when the coordinator confirms
# it: one member's are the network's, and of two, either can work out the other's.
FEW_MEMBERS = 3


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
    remind_days_before: int,
    today: datetime.date,
) -> None:
    errors: dict[str, str] = {}
    problem = start_problem(kind, starts_on, today)
    if problem:
        errors["starts_on"] = problem
    elif problem := deadline_problem(period_end(kind, starts_on), deadline):
        errors["deadline"] = problem
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
    if not 0 <= remind_days_before <= MAX_REMIND_DAYS:
        errors["remind_days_before"] = _("Choose a number of days from 0 to %(most)d.") % {
            "most": MAX_REMIND_DAYS
        }
    if errors:
        raise ValidationError(errors)


def _asking_day(period: ReportingPeriod, today: datetime.date) -> datetime.date:
    """The day whose membership decides who is asked (decision 37): the period's last day,
    or today once it is over, so that members who left are not asked and those who joined
    since are."""
    return max(period.ends_on, today)


def _ask(
    period: ReportingPeriod,
    members: Iterable[Organisation],
    *,
    today: datetime.date,
    joining: bool = False,
    dispatch: bool = True,
) -> list[Submission]:
    """Create the members' submissions (and budgets) and, while the period is open, the
    e-mails that ask them; members ``joining`` an open period get time enough to send."""
    own_deadline = today + LATE_JOINER_TIME if joining else None
    with scopes_disabled():
        submissions = Submission.objects.bulk_create(
            [
                Submission(
                    organisation=member,
                    period=period,
                    deadline=own_deadline
                    if own_deadline is not None and own_deadline > period.deadline
                    else None,
                )
                for member in members
            ]
        )
        if period.private:
            PrivacyBudget.objects.bulk_create(
                [
                    PrivacyBudget(organisation=s.organisation, period=period, total=period.budget)
                    for s in submissions
                ],
                ignore_conflicts=True,
            )
    if period.deadline >= today:
        _queue_notices(
            [(s, f"asked:{today.isoformat()}") for s in submissions],
            NoticeKind.ASKED,
            dispatch=dispatch,
        )
    return submissions


def _queue_notices(
    occasions: Iterable[tuple[Submission, str]],
    kind: str,
    *,
    change: DeadlineChange | None = None,
    requested_by: User | None = None,
    note: str = "",
    dispatch: bool = True,
) -> None:
    """Create a notice for each (submission, key) not created yet, and (``dispatch``) have
    the notices sent after the commit."""
    from haven.reporting.tasks import dispatch_notices

    rows = [
        Notice(
            submission=submission,
            organisation_id=submission.organisation_id,
            period_id=submission.period_id,
            kind=kind,
            key=key,
            deadline=submission.due_on,
            change=change,
            requested_by=requested_by,
            note=note,
        )
        for submission, key in occasions
    ]
    if not rows:
        return
    # Another worker may be creating the same notices: the unique key keeps one of each.
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    if dispatch:
        dispatch_notices()


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
    remind_days_before: int = DEFAULT_REMIND_DAYS,
    request: HttpRequest | None = None,
    today: datetime.date | None = None,
) -> ReportingPeriod:
    """Open a reporting period and ask the network's members in ``categories`` to report,
    by e-mail while its deadline is ahead."""
    today = today or timezone.localdate()
    _check_period(
        kind=kind,
        starts_on=starts_on,
        deadline=deadline,
        threshold=threshold,
        epsilon=epsilon,
        budget=budget,
        remind_days_before=remind_days_before,
        today=today,
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
            categories=chosen,
            remind_days_before=remind_days_before,
            created_by=actor,
        )
        # A period opened after its deadline (a backfill) asks those who were members at
        # its end, and e-mails nobody.
        on = _asking_day(period, today) if deadline >= today else period.ends_on
        members = access.members_to_ask(network, chosen, on)
        _ask(period, members, today=today)
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
                "categories": chosen,
                "remind_days_before": remind_days_before,
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
            .select_related("period__network__organisation", "organisation")
            .get(pk=submission.pk)
        )


def _refuse_if_sent(submission: Submission) -> None:
    if not submission.asked:
        raise ValidationError(
            _(
                "%(network)s no longer asks your organisation for this report: your "
                "organisation left the network before sending it."
            )
            % {"network": submission.period.network.organisation.name}
        )
    if submission.status == SubmissionStatus.SENT:
        raise ValidationError(
            _("This report was sent and is locked; start a correction to change it.")
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
        if not budget.covers(epsilon):
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
        locked.before_correction = {}
        locked.save(update_fields=["status", "before_correction"])
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
        from haven.reporting.tasks import tell_coordinators_after_commit

        tell_coordinators_after_commit(revision)
    return revision


def start_correction(
    *, actor: User, submission: Submission, request: HttpRequest | None = None
) -> Submission:
    """Unlock a sent submission's draft so a corrected revision can be sent; refused when
    the privacy budget could not pay for sending it."""
    with transaction.atomic():
        locked = _locked(submission)
        if locked.status != SubmissionStatus.SENT:
            raise ValidationError(_("Only a sent report can be corrected."))
        period = locked.period
        if period.private:
            budget = access.budget_of(locked.organisation, period)
            # Unlocked, the report would show as a draft for good: it could never be sent.
            if not budget.covers(period.epsilon):
                raise BudgetSpent(
                    _(
                        "The privacy budget of this period is spent (%(spent)s of %(total)s): "
                        "a correction could not be sent, so none can be started. The figures "
                        "already sent stay as they are."
                    )
                    % {"spent": budget.spent, "total": budget.total},
                    code="budget_spent",
                )
        locked.before_correction = {
            "draft": locked.draft,
            "left_out": locked.left_out,
            "source": locked.source,
            "prepared_at": locked.prepared_at.isoformat() if locked.prepared_at else None,
            "prepared_by": locked.prepared_by_id,
        }
        locked.status = SubmissionStatus.DRAFT
        locked.save(update_fields=["status", "before_correction"])
        audit.record(
            "reporting.correction_started",
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            details={"period": locked.period_id},
            request=request,
        )
    return locked


def cancel_correction(
    *, actor: User, submission: Submission, request: HttpRequest | None = None
) -> Submission:
    """Drop a correction in progress: the report is sent and locked again, with the draft
    it was sent with."""
    with transaction.atomic():
        locked = _locked(submission)
        if not access.correction_in_progress(locked):
            raise ValidationError(_("There is no correction in progress to cancel."))
        kept = locked.before_correction
        # Corrections started before the draft was kept leave the draft as it is now.
        if kept:
            locked.draft = kept["draft"]
            locked.left_out = kept["left_out"]
            locked.source = kept["source"]
            when = kept["prepared_at"]
            locked.prepared_at = datetime.datetime.fromisoformat(when) if when else None
            locked.prepared_by_id = kept["prepared_by"]
        locked.status = SubmissionStatus.SENT
        locked.before_correction = {}
        locked.save(
            update_fields=[
                "draft",
                "left_out",
                "source",
                "prepared_at",
                "prepared_by",
                "status",
                "before_correction",
            ]
        )
        audit.record(
            "reporting.correction_cancelled",
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            details={"period": locked.period_id},
            request=request,
        )
    return locked


# --- Who is asked: members who join and leave ------------------------------------------------


@dataclass(frozen=True)
class Reconciled:
    """What keeping a period's members up to date changed."""

    asked: int
    released: int
    asked_again: int


def reconcile_members(
    period: ReportingPeriod, *, today: datetime.date | None = None, dispatch: bool = True
) -> Reconciled:
    """Ask the members that joined the network since the period opened (while it is open),
    and stop asking those that left without sending (decision 37); audited per member."""
    today = today or timezone.localdate()
    network = period.network
    if not period.categories:
        return Reconciled(asked=0, released=0, asked_again=0)
    wanted = {
        member.pk: member
        for member in access.members_to_ask(network, period.categories, _asking_day(period, today))
    }
    open_ = period.deadline >= today
    with transaction.atomic():
        # One reconciliation of a period at a time: two workers would both ask a newcomer.
        ReportingPeriod.objects.select_for_update().filter(pk=period.pk).first()
        with scopes_disabled():
            submissions = {
                submission.organisation_id: submission
                for submission in Submission.objects.select_for_update().filter(period=period)
            }
            ever_sent = set(
                Revision.objects.filter(period=period).values_list("submission_id", flat=True)
            )
            released = [
                submission
                for organisation_id, submission in submissions.items()
                if organisation_id not in wanted
                and submission.asked
                and submission.pk not in ever_sent
                and submission.status != SubmissionStatus.SENT
            ]
            back = [
                submission
                for organisation_id, submission in submissions.items()
                if organisation_id in wanted and not submission.asked and open_
            ]
            now = timezone.now()
            Submission.objects.filter(pk__in=[s.pk for s in released]).update(released_at=now)
            Submission.objects.filter(pk__in=[s.pk for s in back]).update(released_at=None)
        joining = [member for pk, member in wanted.items() if pk not in submissions and open_]
        asked = _ask(period, joining, today=today, joining=True, dispatch=dispatch)
        for submission in back:
            submission.released_at = None
            submission.period = period
        if back:
            _queue_notices(
                [(s, f"asked:{today.isoformat()}") for s in back],
                NoticeKind.ASKED,
                dispatch=dispatch,
            )
        for action, changed in (
            ("reporting.member_asked", [*asked, *back]),
            ("reporting.member_released", released),
        ):
            for submission in changed:
                audit.record(
                    action,
                    actor=None,
                    organisation=network.organisation,
                    target=submission,
                    details={"period": period.pk, "member": submission.organisation_id},
                )
    return Reconciled(asked=len(asked), released=len(released), asked_again=len(back))


# --- Deadlines -----------------------------------------------------------------------------


def change_deadline(
    *,
    actor: User,
    period: ReportingPeriod,
    deadline: datetime.date,
    organisation: Organisation | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    today: datetime.date | None = None,
) -> DeadlineChange:
    """Move the period's deadline for every member, or give one member its own; the members
    concerned who have not sent are told by e-mail (decision 37 has the rules)."""
    today = today or timezone.localdate()
    reason = reason.strip()
    if len(reason) > 500:
        raise ValidationError({"reason": _("At most 500 characters.")})
    if problem := deadline_problem(period.ends_on, deadline):
        raise ValidationError({"deadline": problem})
    with transaction.atomic():
        locked = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        member = access.asked_member(locked, organisation.pk) if organisation is not None else None
        if member is not None:
            member.period = locked
        previous = member.due_on if member is not None else locked.deadline
        if deadline == previous:
            raise ValidationError({"deadline": _("This is already the deadline.")})
        with scopes_disabled():
            sent = Revision.objects.filter(period=locked)
            if member is not None:
                sent = sent.filter(submission=member)
            anyone_sent = sent.exists()
        if member is not None and (anyone_sent or member.status == SubmissionStatus.SENT):
            raise ValidationError(
                _("%(name)s has sent its figures already.") % {"name": member.organisation.name}
            )
        if member is not None and deadline < locked.deadline:
            raise ValidationError(
                {
                    "deadline": _(
                        "A member's own deadline can only be later than the network's "
                        "(%(date)s); change the deadline for everyone instead."
                    )
                    % {"date": locked.deadline.isoformat()}
                }
            )
        if deadline < previous:
            if anyone_sent:
                raise ValidationError(
                    {
                        "deadline": _(
                            "A member has sent its figures already: the deadline can only be "
                            "extended now."
                        )
                    }
                )
            earliest = today + SHORTENING_NOTICE
            if deadline < earliest:
                raise ValidationError(
                    {
                        "deadline": _(
                            "A shorter deadline must leave members a week: choose %(date)s "
                            "or later."
                        )
                        % {"date": earliest.isoformat()}
                    }
                )
        if member is not None:
            with scope(organisation=member.organisation_id):
                Submission.objects.filter(pk=member.pk).update(
                    deadline=None if deadline == locked.deadline else deadline
                )
            member.deadline = None if deadline == locked.deadline else deadline
            concerned = [member]
        else:
            locked.deadline = deadline
            locked.save(update_fields=["deadline"])
            concerned = [
                submission
                for submission in access.waiting_submissions(locked)
                if submission.due_on != max(previous, submission.deadline or previous)
            ]
        change = DeadlineChange.objects.create(
            period=locked,
            organisation=member.organisation if member is not None else None,
            previous=previous,
            deadline=deadline,
            reason=reason,
            changed_by=actor,
        )
        _queue_notices(
            [(submission, f"deadline:{change.pk}") for submission in concerned],
            NoticeKind.DEADLINE,
            change=change,
            requested_by=actor,
        )
        audit.record(
            "reporting.deadline_changed",
            actor=actor,
            organisation=locked.network.organisation,
            target=change,
            details={
                "period": locked.pk,
                "member": member.organisation_id if member is not None else "all",
                "previous": previous.isoformat(),
                "deadline": deadline.isoformat(),
                "members_told": len(concerned),
            },
            request=request,
        )
    return change


# --- Reminders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminded:
    """What a coordinator's "remind now" did: members reminded, and those left out because
    they had an e-mail about the report within the day."""

    reminded: list[Organisation]
    recently: list[Organisation]
    # Members where nobody may send reports, so nobody to e-mail.
    unreachable: list[Organisation]


def nobody_to_email(member: Organisation) -> str:
    """Why a member cannot be reminded: no one there may send its reports."""
    roles = ", ".join(str(Role(role).label) for role in roles_with("reporting.submit"))
    return _(
        "Nobody at %(name)s can be e-mailed: no one there holds a role that sends reports "
        "(%(roles)s)."
    ) % {"name": member.name, "roles": roles}


def remind_members(
    *,
    actor: User,
    period: ReportingPeriod,
    organisation: Organisation | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Reminded:
    """Remind now every member (or one) that has not sent, with the coordinator's note,
    except those e-mailed about the report within the day; refused when that leaves
    nobody."""
    note = note.strip()
    if len(note) > 500:
        raise ValidationError({"note": _("At most 500 characters.")})
    now = timezone.now()
    reconcile_members(period)
    with transaction.atomic():
        locked = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
        if organisation is not None:
            member = access.asked_member(locked, organisation.pk)
            waiting = [s for s in access.waiting_submissions(locked) if s.pk == member.pk]
            if not waiting:
                raise ValidationError(
                    _("%(name)s has sent its figures already.") % {"name": member.organisation.name}
                )
        else:
            waiting = access.waiting_submissions(locked)
            if not waiting:
                raise ValidationError(_("Every member asked has sent its figures."))
        nobody = organisations_with_nobody_holding(
            [s.organisation_id for s in waiting], "reporting.submit"
        )
        unreachable = [s.organisation for s in waiting if s.organisation_id in nobody]
        waiting = [s for s in waiting if s.organisation_id not in nobody]
        allowed = access.remindable(
            locked, [s.pk for s in waiting], now, REMIND_AGAIN_AFTER
        ).submissions
        due = [s for s in waiting if s.pk in allowed]
        skipped = [s.organisation for s in waiting if s.pk not in allowed]
        if not due:
            if organisation is not None and unreachable:
                raise ValidationError(nobody_to_email(unreachable[0]))
            raise ValidationError(
                _("%(name)s was e-mailed about this report less than a day ago.")
                % {"name": skipped[0].name}
                if organisation is not None
                else _(
                    "Every member that has not sent was e-mailed less than a day ago or has "
                    "nobody to e-mail."
                )
            )
        _queue_notices(
            [(submission, f"manual:{now.isoformat()}") for submission in due],
            NoticeKind.MANUAL,
            requested_by=actor,
            note=note,
        )
        audit.record(
            "reporting.reminder_sent",
            actor=actor,
            organisation=locked.network.organisation,
            target=locked,
            details={
                "member": organisation.pk if organisation is not None else "all",
                "members_reminded": len(due),
                "members_skipped": len(skipped),
                "members_unreachable": len(unreachable),
            },
            request=request,
        )
    return Reminded(
        reminded=[s.organisation for s in due], recently=skipped, unreachable=unreachable
    )


def reminder_due(
    submission: Submission, *, now: datetime.datetime, last_email: datetime.datetime | None
) -> tuple[str, str] | None:
    """The automatic reminder a waiting submission should get now, as (kind, key), or None:
    some days before its deadline (unless it had an e-mail since that window opened), on
    the day, and once after it; never within a day of another e-mail about the report (the
    reminder then waits, and the one of the day becomes the late one). Days are the
    member's own, in its time zone."""
    slug = submission.organisation.slug
    today = day_in_zone_of(slug, now)
    deadline = submission.due_on
    days_before = submission.period.remind_days_before
    if today < deadline:
        window = deadline - datetime.timedelta(days=days_before)
        if days_before == 0 or today < window:
            return None
        if last_email is not None and day_in_zone_of(slug, last_email) >= window:
            return None
        return NoticeKind.BEFORE, f"before:{deadline.isoformat()}"
    if last_email is not None and now - last_email < REMIND_AGAIN_AFTER:
        return None
    if today == deadline:
        return NoticeKind.DUE, f"due:{deadline.isoformat()}"
    if today <= deadline + LATE_WINDOW:
        return NoticeKind.LATE, f"late:{deadline.isoformat()}"
    return None


def queue_reminders(period: ReportingPeriod, *, now: datetime.datetime) -> None:
    """Keep the period's members up to date and create the reminders due now (each once,
    whoever runs this and however often); the caller sends them."""
    reconcile_members(period, today=timezone.localdate(now), dispatch=False)
    last = access.last_emailed_at(period)
    occasions: dict[str, list[tuple[Submission, str]]] = {}
    for submission in access.waiting_submissions(period):
        due = reminder_due(submission, now=now, last_email=last.get(submission.pk))
        if due is not None:
            occasions.setdefault(due[0], []).append((submission, due[1]))
    for kind, items in occasions.items():
        _queue_notices(items, kind, dispatch=False)


# --- Publications ----------------------------------------------------------------------


def few_members_warning(sent: int, asked: int) -> str:
    """What publishing the figures of only ``sent`` of the ``asked`` members means."""
    return ngettext(
        "Only %(sent)d of the %(asked)d members asked has sent figures: the network's "
        "figures would be that member's own, for anyone to read.",
        "Only %(sent)d of the %(asked)d members asked have sent figures: with so few, the "
        "network's figures come close to each member's own.",
        sent,
    ) % {"sent": sent, "asked": asked}


def request_publication(
    *,
    actor: User,
    period: ReportingPeriod,
    tables: Iterable[str] | None = None,
    note: str = "",
    few_members_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> Publication:
    """Start generating the period's public figures; a background task does the work.
    Figures of fewer than ``FEW_MEMBERS`` members need ``few_members_confirmed``."""
    from haven.reporting.tasks import generate_publication

    chosen = list(tables if tables is not None else BY_KEY)
    unknown = [key for key in chosen if key not in BY_KEY]
    if unknown:
        raise ValidationError(
            {
                "tables": ngettext(
                    "There is no table %(keys)s.", "There are no tables %(keys)s.", len(unknown)
                )
                % {"keys": ", ".join(f"“{key[:40]}”" for key in unknown[:10])}
            }
        )
    if not chosen:
        raise ValidationError({"tables": _("Choose at least one table to publish.")})
    if len(note) > 2000:
        raise ValidationError({"note": _("At most 2,000 characters.")})
    with transaction.atomic():
        statuses = access.member_statuses(period)
        sent = sum(1 for status in statuses if status.revision)
        if not sent:
            raise ValidationError(_("No member has sent figures for this period yet."))
        if sent < FEW_MEMBERS and not few_members_confirmed:
            asked = sum(1 for status in statuses if status.asked or status.revision)
            raise ValidationError(
                {
                    "confirm_few_members": few_members_warning(sent, asked)
                    + " "
                    + _("Confirm that they are to be published all the same.")
                }
            )
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
            details={"period": period.pk, "tables": len(chosen), "members": sent},
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
