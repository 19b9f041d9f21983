"""Members that join the network while a period is open are asked too (with time enough
to send); members that leave stop being asked, and what they sent stays (decision 37)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.organisations import actions as directory
from haven.organisations.models import Membership
from haven.privacy.models import AuditEvent
from haven.reporting import access, actions, tasks
from haven.reporting.models import Figure, Notice, Source, Submission
from haven.reporting.periods import period_end, previous_periods
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.helpers import ask, at, days, last_month, sample_figures, submission_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def west(db):
    """An organisation outside the network for now, with its admin."""
    organisation = make_organisation("west", name="West Legal Clinic", country="PT")
    make_user("wes", organisation, Role.ORGANISATION_ADMIN)
    return organisation


def asked_members(period) -> set[str]:
    with scopes_disabled():
        return set(
            Submission.objects.filter(period=period, released_at__isnull=True).values_list(
                "organisation__slug", flat=True
            )
        )


def test_a_member_that_joins_while_the_period_is_open_is_asked_by_the_next_run(
    cora, coalition, north, west, alice
):
    period = ask(cora, coalition, last_month(), days(5), kind="month")
    tasks.send_waiting_notices()
    mail.outbox.clear()
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    assert asked_members(period) == {"north"}
    totals = tasks.run_reporting()
    assert totals["periods"] == 1
    assert asked_members(period) == {"north", "west"}
    submission = submission_of(west, period)
    # Five days would be too short for a newcomer: it has two weeks.
    assert submission.due_on == days(14)
    assert submission.period.deadline == days(5)
    [message] = mail.outbox
    assert message.to == ["wes@example.org"]
    assert "asks West Legal Clinic for its figures" in message.body
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="reporting.member_asked").count() == 1
    # Seen at once on its dashboard, and by the coordinator.
    wes = west.role_assignments.get().user
    assert period.label in client_for(wes).get("/o/west/").content.decode()
    assert "west" in {status.organisation.slug for status in access.member_statuses(period)}
    # The next run asks nobody again.
    tasks.run_reporting()
    assert len(mail.outbox) == 1


def test_a_newcomer_keeps_the_periods_deadline_when_it_leaves_time_enough(cora, coalition, west):
    period = ask(cora, coalition, last_month(), days(30), kind="month")
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    actions.reconcile_members(period)
    assert submission_of(west, period).due_on == days(30)
    assert submission_of(west, period).deadline is None


def test_nobody_is_asked_for_a_period_whose_deadline_has_passed(cora, coalition, west):
    start = previous_periods("month", days(0), 3)[0]
    period = ask(cora, coalition, start, period_end("month", start), kind="month")
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    actions.reconcile_members(period)
    assert "west" not in asked_members(period)


def test_only_the_categories_the_period_asks(cora, coalition, west):
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    directory.add_membership(actor=cora, network=coalition, organisation=west, category="partner")
    actions.reconcile_members(period)
    assert asked_members(period) == {"north"}
    assert period.categories == ["member"]


def test_a_member_that_leaves_stops_being_asked_and_what_it_sent_stays(
    cora, coalition, north, alice, west
):
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    earlier = ask(cora, coalition, previous_periods("month", days(0), 2)[0], days(10), kind="month")
    current = ask(cora, coalition, last_month(), days(10), kind="month")
    submission = submission_of(north, earlier)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=alice, submission=submission_of(north, earlier))
    membership = Membership.objects.get(network=coalition, organisation=north)
    directory.end_membership(actor=cora, membership=membership, until=days(-1))
    tasks.send_waiting_notices()
    mail.outbox.clear()
    tasks.run_reporting(now=at(days(3)))
    tasks.run_reporting(now=at(days(10)))
    # North is no longer asked for the month it had not sent; what it sent stays.
    assert asked_members(current) == {"west"}
    assert asked_members(earlier) == {"north", "west"}
    with scopes_disabled():
        assert Figure.objects.filter(revision__period=earlier, organisation=north).exists()
        assert AuditEvent.objects.filter(action="reporting.member_released").count() == 1
    assert {"alice@example.org"}.isdisjoint(a for m in mail.outbox for a in m.to)
    assert [r.submission.period_id for r in access.open_requests(north)] == [earlier.pk]
    statuses = {s.organisation.slug: s for s in access.member_statuses(current)}
    assert statuses["north"].asked is False
    assert statuses["north"].late is False
    review = client_for(cora).get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": current.pk})
    )
    assert "No longer asked" in review.content.decode()
    sent = access.sent_figures([earlier], by="member")
    assert str(north.pk) in sent.columns
    # Its page says so, and nothing more can be prepared or sent for that period.
    released = submission_of(north, current)
    page = client_for(alice).get(
        reverse("report_detail", kwargs={"org": "north", "submission_id": released.pk})
    )
    assert 'id="released"' in page.content.decode()
    with pytest.raises(ValidationError):
        actions.save_figures(
            actor=alice, submission=released, figures=sample_figures(), source=Source.MANUAL
        )
    refused = client_for(alice).post(
        reverse("report_compute", kwargs={"org": "north", "submission_id": released.pk})
    )
    assert refused.status_code == 400


def test_a_member_that_comes_back_is_asked_again(cora, coalition, north, alice):
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    membership = Membership.objects.get(network=coalition, organisation=north)
    directory.end_membership(actor=cora, membership=membership, until=days(-1))
    actions.reconcile_members(period)
    assert asked_members(period) == set()
    directory.add_membership(actor=cora, network=coalition, organisation=north, since=days(0))
    result = actions.reconcile_members(period)
    assert result.asked_again == 1
    assert asked_members(period) == {"north"}


def test_a_member_moved_to_another_category_stops_being_asked(cora, coalition, north):
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    membership = Membership.objects.get(network=coalition, organisation=north)
    directory.update_membership(actor=cora, membership=membership, changes={"category": "partner"})
    assert actions.reconcile_members(period).released == 1
    assert asked_members(period) == set()


def test_reminders_go_to_those_still_asked_only(cora, coalition, north, west, alice):
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    tasks.send_waiting_notices()
    mail.outbox.clear()
    membership = Membership.objects.get(network=coalition, organisation=north)
    directory.end_membership(actor=cora, membership=membership, until=days(-1))
    tasks.run_reporting(now=at(period.deadline))
    assert [m.to for m in mail.outbox] == [["wes@example.org"]]
    with scopes_disabled():
        assert not Notice.objects.filter(organisation=north, kind="due").exists()


def test_remind_now_first_asks_those_who_joined(cora, coalition, west, alice):
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    with scopes_disabled():
        Notice.objects.update(created_at=at(days(-3)))
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    reminded = actions.remind_members(actor=cora, period=period)
    # West was just asked (an e-mail within the day), so only north is reminded.
    assert [o.slug for o in reminded.reminded] == ["north"]
    assert [o.slug for o in reminded.recently] == ["west"]


def test_a_period_without_categories_never_releases_anyone(cora, coalition, north):
    period = ask(cora, coalition, last_month(), days(10), kind="month")
    period.categories = []
    period.save(update_fields=["categories"])
    assert actions.reconcile_members(period).released == 0
    assert asked_members(period) == {"north"}


def test_the_joiners_deadline_is_a_fortnight_from_today(cora, coalition, west):
    period = ask(cora, coalition, last_month(), days(2), kind="month")
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    actions.reconcile_members(period)
    assert submission_of(west, period).due_on - days(0) == datetime.timedelta(days=14)
