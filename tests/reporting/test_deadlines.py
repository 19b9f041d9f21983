"""The coordinator changes a period's deadline: extended for everyone or for one member,
shortened only before anyone sends and with a week's notice; the members concerned are
told by e-mail, the change is audited, and both sides see it."""

from __future__ import annotations

import datetime
from typing import cast

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.organisations.models import Membership
from haven.privacy.models import AuditEvent
from haven.reporting import access, actions, tasks
from haven.reporting.models import DeadlineChange, Notice, Source
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.helpers import (
    api_headers,
    ask,
    at,
    days,
    last_month,
    sample_figures,
    submission_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def east(coalition):
    """A second member, with its own admin."""
    organisation = make_organisation("east", name="East Outreach", country="RO")
    Membership.objects.create(network=coalition, organisation=organisation, category="member")
    make_user("erin", organisation, Role.ORGANISATION_ADMIN)
    return organisation


@pytest.fixture
def month(cora, coalition, alice, north, east):
    period = ask(cora, coalition, last_month(), days(12), kind="month")
    tasks.send_waiting_notices()
    mail.outbox.clear()
    return period


def send(admin, organisation, period) -> None:
    submission = submission_of(organisation, period)
    actions.save_figures(
        actor=admin, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=admin, submission=submission_of(organisation, period))


def deadline_page(period) -> str:
    return reverse("period_deadline", kwargs={"org": "coalition", "period_id": period.pk})


def test_extending_for_everyone_tells_those_who_have_not_sent(
    month, north, east, alice, cora, django_capture_on_commit_callbacks
):
    send(alice, north, month)
    new = days(30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cora).post(
            deadline_page(month), {"deadline": new.isoformat(), "reason": "Holidays."}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    month.refresh_from_db()
    assert month.deadline == new
    # North has sent: only east is told.
    [message] = mail.outbox
    assert message.to == ["erin@example.org"]
    assert "extended" in message.body
    assert "Holidays." in message.body
    assert "Holidays." in str(cast(EmailMultiAlternatives, message).alternatives[0][0])
    with scopes_disabled():
        change = DeadlineChange.objects.get(period=month)
        event = AuditEvent.objects.get(action="reporting.deadline_changed")
    assert (change.previous, change.deadline, change.organisation) == (days(12), new, None)
    assert event.actor == cora
    assert event.details["members_told"] == 1
    review = client_for(cora).get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": month.pk})
    )
    assert "Holidays." in review.content.decode()


def test_the_member_sees_the_new_deadline_and_what_it_was(month, east, cora):
    actions.change_deadline(actor=cora, period=month, deadline=days(30))
    [request] = access.open_requests(east)
    assert request.deadline == days(30)
    assert request.previous_deadline == days(12)
    erin = east.role_assignments.get().user
    submission = submission_of(east, month)
    page = client_for(erin).get(
        reverse("report_detail", kwargs={"org": "east", "submission_id": submission.pk})
    )
    assert 'id="deadline-changes"' in page.content.decode()


def test_shortening_is_allowed_before_anyone_sends_with_a_weeks_notice(month, cora):
    with pytest.raises(ValidationError) as refused:
        actions.change_deadline(actor=cora, period=month, deadline=days(6))
    assert "leave members a week" in str(refused.value)
    change = actions.change_deadline(actor=cora, period=month, deadline=days(7))
    assert not change.extended
    month.refresh_from_db()
    assert month.deadline == days(7)


def test_shortening_is_refused_once_a_member_has_sent(month, north, alice, cora):
    send(alice, north, month)
    response = client_for(cora).post(deadline_page(month), {"deadline": days(10).isoformat()})
    assert response.status_code == 400
    assert "can only be extended now" in response.content.decode()
    month.refresh_from_db()
    assert month.deadline == days(12)
    assert DeadlineChange.objects.count() == 0


def test_never_before_the_period_ends_nor_the_same_date(month, cora):
    for deadline, message in (
        (month.ends_on - datetime.timedelta(days=1), "before the period ends"),
        (days(12), "already the deadline"),
    ):
        with pytest.raises(ValidationError) as refused:
            actions.change_deadline(actor=cora, period=month, deadline=deadline)
        assert message in str(refused.value)


def test_one_member_gets_a_later_deadline_of_its_own(
    month, north, east, cora, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cora).post(
            deadline_page(month), {"member": str(east.pk), "deadline": days(40).isoformat()}
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["erin@example.org"]
    month.refresh_from_db()
    assert month.deadline == days(12)
    assert submission_of(east, month).due_on == days(40)
    assert submission_of(north, month).due_on == days(12)
    statuses = {s.organisation.slug: s for s in access.member_statuses(month)}
    assert statuses["east"].deadline == days(40)
    # Past the network's deadline north is late, east is not.
    later = days(20)
    assert access.report_state(submission_of(north, month), False, later) == "late"
    assert access.report_state(submission_of(east, month), False, later) == "not_started"
    # Its own deadline never counts for less than the network's.
    actions.change_deadline(actor=cora, period=month, deadline=days(50))
    assert submission_of(east, month).due_on == days(50)


def test_a_members_own_deadline_is_never_earlier_than_the_networks(month, east, cora):
    with pytest.raises(ValidationError) as refused:
        actions.change_deadline(actor=cora, period=month, deadline=days(10), organisation=east)
    assert "only be later than the network's" in str(refused.value)


def test_no_own_deadline_for_a_member_that_has_sent_or_is_not_asked(
    month, north, south, alice, cora
):
    send(alice, north, month)
    with pytest.raises(ValidationError) as refused:
        actions.change_deadline(actor=cora, period=month, deadline=days(40), organisation=north)
    assert "has sent its figures already" in str(refused.value)
    with pytest.raises(ValidationError):
        actions.change_deadline(actor=cora, period=month, deadline=days(40), organisation=south)


def test_the_deadline_form_refuses_bad_input_and_changes_nothing(month, cora, south):
    client = client_for(cora)
    page = client.get(deadline_page(month) + f"?member={south.pk}")
    assert page.status_code == 200
    for data in (
        {"deadline": "2026-13-45"},
        {"deadline": days(30).isoformat(), "member": str(south.pk)},
        {"deadline": days(30).isoformat(), "reason": "x" * 501},
        {},
    ):
        assert client.post(deadline_page(month), data).status_code == 400
    month.refresh_from_db()
    assert month.deadline == days(12)


def test_changing_the_deadline_through_the_api(month, east, cora, alice):
    path = f"/api/orgs/coalition/reporting/periods/{month.pk}/deadline"
    client = client_for(cora)
    response = client.post(
        path,
        {"deadline": days(40).isoformat(), "organisation_id": east.pk, "reason": "Staff away"},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organisation_id"] == east.pk
    assert (body["previous"], body["deadline"]) == (days(12).isoformat(), days(40).isoformat())
    review = client.get(
        f"/api/orgs/coalition/reporting/periods/{month.pk}", headers=api_headers(cora)
    )
    assert [c["id"] for c in review.json()["deadline_changes"]] == [body["id"]]
    shorter = client.post(
        path,
        {"deadline": days(2).isoformat()},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert shorter.status_code == 400
    assert "deadline" in shorter.json()["detail"]
    erin_token = api_headers(east.role_assignments.get().user)
    mine = client_for(alice).get("/api/orgs/east/reports/due", headers=erin_token).json()
    assert mine[0]["deadline"] == days(40).isoformat()
    assert mine[0]["previous_deadline"] == days(12).isoformat()


def test_a_dated_reminder_for_a_deadline_since_moved_is_dropped(month, north, cora):
    actions.queue_reminders(month, now=at(month.deadline))
    actions.change_deadline(actor=cora, period=month, deadline=days(30))
    tasks.send_waiting_notices()
    subjects = [message.subject for message in mail.outbox]
    assert subjects
    assert all("New deadline" in subject for subject in subjects)
    with scopes_disabled():
        dropped = {n.kind: n.recipients for n in Notice.objects.filter(period=month)}
    assert dropped["due"] == 0
    assert dropped["deadline"] == 1
