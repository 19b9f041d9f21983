"""The background run that computes every due member's draft at once: each member's figures
are exactly those of its own computation and go into its own draft only; members with
nothing recorded, and drafts already prepared, are left alone; the run is queued for the
night after the period ends."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from haven.accounts.models import User
from haven.organisations.models import Membership, Network, Organisation
from haven.privacy.models import AuditEvent
from haven.reporting import actions, periods, tasks
from haven.reporting.compute import compute_figures, compute_members
from haven.reporting.models import Source, Submission
from haven.reporting.periods import period_end
from tests.conftest import make_organisation, make_user
from tests.marks import postgresql_only
from tests.reporting.conftest import build_casework
from tests.reporting.helpers import open_period, quarters_back, sample_figures, submission_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def east(coalition: Network) -> Organisation:
    organisation = make_organisation("east", name="East Outreach", country="DE")
    Membership.objects.create(network=coalition, organisation=organisation, category="member")
    return organisation


@pytest.fixture
def erin(east: Organisation) -> User:
    return make_user("erin", east, "caseworker")


@pytest.fixture
def west(coalition: Network) -> Organisation:
    """A member that keeps its casework elsewhere: nothing recorded in Haven."""
    organisation = make_organisation("west", name="West Clinic", country="IT")
    Membership.objects.create(network=coalition, organisation=organisation, category="member")
    return organisation


def test_each_members_draft_is_its_own_computation(
    coalition, cora, north, east, west, carol, erin, quarter
):
    build_casework(north, carol, quarter, persons=30, seed=1)
    build_casework(east, erin, quarter, persons=24, seed=2)
    period = open_period(cora, coalition, quarter[0])
    own = {member.pk: compute_figures(member, *quarter) for member in (north, east)}
    assert own[north.pk].figures != own[east.pk].figures

    assert tasks.compute_drafts.call(period.pk) == 2

    for member in (north, east):
        submission = submission_of(member, period)
        assert (submission.status, submission.source) == ("draft", Source.COMPUTED)
        assert submission.prepared_by is None
        assert actions.draft_figures(submission) == own[member.pk].figures
        assert submission.left_out == own[member.pk].left_out
    # Nothing recorded: left due for the member to type in or upload.
    assert submission_of(west, period).status == "due"
    with scopes_disabled():
        computed = AuditEvent.objects.filter(action="reporting.submission_computed")
        assert sorted(computed.values_list("organisation_id", flat=True)) == sorted(
            [north.pk, east.pk]
        )
        assert all(event.actor_id is None for event in computed)


def test_one_query_per_source_gives_what_each_member_alone_gives(
    north, east, south, carol, erin, quarter
):
    build_casework(north, carol, quarter, persons=20, seed=3)
    build_casework(east, erin, quarter, persons=20, seed=4)
    together = compute_members([north, east, south], *quarter)
    for member in (north, east, south):
        alone = compute_figures(member, *quarter)
        assert together[member.pk].figures == alone.figures
        assert together[member.pk].left_out == alone.left_out
    assert together[south.pk].empty


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_a_network_read_on_two_connections_gives_what_each_member_alone_gives(
    north, east, south, carol, erin, quarter, monkeypatch
):
    # Outside any transaction, as the background run is: on PostgreSQL the sources are read
    # on two connections at once (on SQLite, one after the other).
    build_casework(north, carol, quarter, persons=20, seed=7)
    build_casework(east, erin, quarter, persons=20, seed=8)
    beside: list[object] = []
    read = periods._read_in_snapshot

    def read_beside(snapshot: str, work: Any) -> Any:
        beside.append(snapshot)
        return read(snapshot, work)

    monkeypatch.setattr(periods, "_read_in_snapshot", read_beside)
    together = compute_members([north, east, south], *quarter)
    assert len(beside) == (1 if connection.vendor == "postgresql" else 0)
    for member in (north, east, south):
        alone = compute_figures(member, *quarter)
        assert together[member.pk].figures == alone.figures
        assert together[member.pk].left_out == alone.left_out


@postgresql_only("SQLite reads both sides one after the other, in one transaction")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_both_connections_read_one_snapshot(north):
    committed, counted = threading.Event(), threading.Event()

    def create_elsewhere() -> None:
        make_organisation("late", name="Late Arrival", country="PT")
        connection.close()

    def first() -> tuple[int, int]:
        before = Organisation.objects.count()
        writer = threading.Thread(target=create_elsewhere)
        writer.start()
        writer.join()
        committed.set()
        assert counted.wait(10)
        return before, Organisation.objects.count()

    def second() -> int:
        assert committed.wait(10)
        # Read after the other connection committed, from the snapshot taken before.
        seen = Organisation.objects.count()
        counted.set()
        return seen

    (before, after), beside = periods.read_side_by_side(first, second)
    assert before == after == beside == 1
    assert Organisation.objects.count() == 2


def test_drafts_already_prepared_or_sent_are_left_as_they_are(
    coalition, cora, north, east, alice, carol, erin, quarter
):
    build_casework(north, carol, quarter, persons=12, seed=5)
    build_casework(east, erin, quarter, persons=12, seed=6)
    period = open_period(cora, coalition, quarter[0])
    typed = sample_figures()
    actions.save_figures(
        actor=alice, submission=submission_of(north, period), figures=typed, source=Source.MANUAL
    )
    assert actions.prepare_drafts(period=period) == 1
    kept = submission_of(north, period)
    assert (kept.source, actions.draft_figures(kept)) == (Source.MANUAL, typed)
    assert submission_of(east, period).source == Source.COMPUTED
    # A second run finds nothing due any more.
    assert actions.prepare_drafts(period=period) == 0


def test_the_run_is_queued_for_the_night_after_the_period_ends(
    coalition, cora, north, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    today = timezone.localdate()
    month = today.replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        current = actions.create_period(
            actor=cora,
            network=coalition,
            kind="month",
            starts_on=month,
            deadline=period_end("month", month) + datetime.timedelta(days=10),
            epsilon=Decimal(0),
            budget=Decimal(0),
        )
    (queued,) = DBTaskResult.objects.filter(task_path=tasks.compute_drafts.module_path)
    assert queued.args_kwargs["args"] == [current.pk]
    night = period_end("month", month) + datetime.timedelta(days=1)
    assert timezone.localtime(queued.run_after).date() == night
    assert timezone.localtime(queued.run_after).time() == actions.DRAFTS_AT

    # A period asked after it ended: its drafts are computed at once.
    with django_capture_on_commit_callbacks(execute=True):
        ended = open_period(cora, coalition, quarters_back(3)[0])
    ready = DBTaskResult.objects.ready().filter(task_path=tasks.compute_drafts.module_path)
    assert [task.args_kwargs["args"] for task in ready] == [[ended.pk]]


def test_a_member_that_left_before_the_run_gets_no_draft(
    coalition, cora, north, east, carol, erin, quarter
):
    build_casework(north, carol, quarter, persons=12, seed=3)
    build_casework(east, erin, quarter, persons=12, seed=4)
    with scopes_disabled():
        period = open_period(cora, coalition, quarter[0])
        # East left the network before sending (the hourly run releases it).
        Submission.objects.filter(period=period, organisation=east).update(
            released_at=timezone.now()
        )

    assert tasks.compute_drafts.call(period.pk) == 1
    with scopes_disabled():
        assert submission_of(north, period).status == "draft"
        assert submission_of(east, period).status == "due"
