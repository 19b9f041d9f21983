"""E-mails to members about their reports: the ask when a period opens, reminders some
days before the deadline, on the day and after it (each sent once, whatever runs them), and
the coordinator's "remind now"; translated, with a plain-text part, to the people who send
the member's reports."""

from __future__ import annotations

import datetime
import threading
from io import StringIO
from typing import Any, cast

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.casework.models import OrganisationSettings
from haven.privacy.models import AuditEvent
from haven.reporting import actions, tasks
from haven.reporting.models import Notice, Source, Submission
from haven.reporting.periods import period_end, previous_periods
from haven.timezones import forget_zone_of
from tests.conftest import client_for, make_user
from tests.marks import concurrent_writers
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


def sent_to(address: str) -> list[Any]:
    return [message for message in mail.outbox if address in message.to]


@pytest.fixture
def open_month(cora, coalition, alice, north):
    """Last month, due in twelve days, first reminder a week before."""
    period = ask(cora, coalition, last_month(), days(12), kind="month")
    tasks.send_waiting_notices()  # the ask
    mail.outbox.clear()
    return period


def test_opening_a_period_asks_the_people_who_send_the_members_reports(
    cora, coalition, north, south, alice, carol, bob, django_capture_on_commit_callbacks
):
    alice.preferred_language = "fr"
    alice.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        period = ask(cora, coalition, last_month(), days(12), kind="month")
    # Only the members were asked (south is a partner), and in north only its admin
    # sends reports: the caseworker gets nothing.
    assert {address for message in mail.outbox for address in message.to} == {"alice@example.org"}
    [message] = mail.outbox
    assert "Coalition" in message.subject
    assert "vos chiffres" in message.subject  # French: alice's own language
    link = reverse(
        "report_detail", kwargs={"org": "north", "submission_id": submission_of(north, period).pk}
    )
    assert link in message.body
    assert "jamais une personne" in message.body
    [(html, kind)] = cast(EmailMultiAlternatives, message).alternatives
    assert kind == "text/html"
    assert link in str(html)
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    with scopes_disabled():
        notice = Notice.objects.get(period=period)
    assert (notice.kind, notice.recipients) == ("asked", 1)
    assert notice.sent_at is not None


def test_a_period_opened_after_its_deadline_emails_nobody(
    cora, coalition, alice, django_capture_on_commit_callbacks
):
    start = previous_periods("month", days(0), 3)[0]
    with django_capture_on_commit_callbacks(execute=True):
        ask(cora, coalition, start, period_end("month", start), kind="month")
    assert mail.outbox == []
    assert Notice.objects.count() == 0


def test_reminders_come_a_week_before_on_the_day_and_after_each_once(open_month, north):
    deadline = open_month.deadline
    sent: list[str] = []
    for day in (
        deadline - datetime.timedelta(days=8),
        deadline - datetime.timedelta(days=7),
        deadline - datetime.timedelta(days=3),
        deadline,
        deadline + datetime.timedelta(days=1),
        deadline + datetime.timedelta(days=2),
        deadline + datetime.timedelta(days=20),
    ):
        for hour in (6, 9, 18):
            tasks.run_reporting(now=at(day, hour))
        sent += [str(message.subject) for message in mail.outbox]
        mail.outbox.clear()
    assert len(sent) == 3, sent
    before, due, late = sent
    assert "Reminder" in before
    assert "today" in due
    assert "late" in late
    with scopes_disabled():
        kinds = sorted(Notice.objects.values_list("kind", flat=True))
    assert kinds == ["asked", "before", "due", "late"]


def in_auckland(north) -> None:
    """North works in Auckland, where 12:30 UTC is already the next day (NZST or NZDT)."""
    with scopes_disabled():
        OrganisationSettings.objects.create(organisation=north, time_zone="Pacific/Auckland")
    forget_zone_of(north.slug)


def test_the_days_left_are_counted_from_the_members_own_date(open_month, north):
    in_auckland(north)
    # Four days before the deadline in UTC, three already in Auckland.
    now = at(open_month.deadline - datetime.timedelta(days=4), 12) + datetime.timedelta(minutes=30)
    tasks.run_reporting(now=now)
    (message,) = sent_to("alice@example.org")
    assert "in 3 days," in message.body


def test_the_deadline_comes_on_the_members_own_day(open_month, north):
    in_auckland(north)
    # The day before the deadline in UTC, the deadline itself in Auckland.
    now = at(open_month.deadline - datetime.timedelta(days=1), 12) + datetime.timedelta(minutes=30)
    tasks.run_reporting(now=now)
    (message,) = sent_to("alice@example.org")
    assert "today" in message.subject
    with scopes_disabled():
        assert Notice.objects.filter(kind="due").exists()


def test_the_late_reminder_reaches_a_member_behind_utc_on_its_last_day(open_month, north):
    with scopes_disabled():
        OrganisationSettings.objects.create(organisation=north, time_zone="America/Los_Angeles")
    forget_zone_of(north.slug)
    # 03:00 UTC a day past the late window is still its last day in Los Angeles.
    last_day = open_month.deadline + actions.LATE_WINDOW
    now = at(last_day + datetime.timedelta(days=1), 3)
    tasks.run_reporting(now=now)
    (message,) = sent_to("alice@example.org")
    assert "deadline" in message.body
    with scopes_disabled():
        assert Notice.objects.filter(kind="late").exists()
    # A day later there, nothing more.
    mail.outbox.clear()
    tasks.run_reporting(now=now + datetime.timedelta(days=1))
    assert sent_to("alice@example.org") == []


def test_no_reminder_once_the_figures_are_sent(open_month, north, alice):
    submission = submission_of(north, open_month)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=alice, submission=submission_of(north, open_month))
    for offset in (-7, 0, 1):
        tasks.run_reporting(now=at(open_month.deadline + datetime.timedelta(days=offset)))
    assert mail.outbox == []


def test_a_reminder_queued_before_the_figures_are_sent_is_dropped(open_month, north, alice):
    with scopes_disabled():
        actions.queue_reminders(open_month, now=at(open_month.deadline))
    submission = submission_of(north, open_month)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=alice, submission=submission_of(north, open_month))
    assert tasks.send_waiting_notices() == 0
    assert mail.outbox == []
    with scopes_disabled():
        notice = Notice.objects.get(kind="due")
    assert notice.sent_at is not None
    assert notice.recipients == 0


def test_the_days_before_are_the_periods_choice(cora, coalition, alice):
    period = ask(cora, coalition, last_month(), days(20), kind="month", remind_days_before=0)
    tasks.send_waiting_notices()
    mail.outbox.clear()
    for offset in range(-19, 0):
        tasks.run_reporting(now=at(period.deadline + datetime.timedelta(days=offset)))
    assert mail.outbox == []
    tasks.run_reporting(now=at(period.deadline))
    assert len(mail.outbox) == 1


def test_no_early_reminder_when_the_ask_came_within_that_week(cora, coalition, alice):
    period = ask(cora, coalition, last_month(), days(3), kind="month")
    tasks.send_waiting_notices()
    assert len(mail.outbox) == 1  # the ask
    mail.outbox.clear()
    tasks.run_reporting(now=at(days(1)))
    assert mail.outbox == []
    tasks.run_reporting(now=at(period.deadline))
    assert len(mail.outbox) == 1


def test_a_member_with_nobody_to_send_reports_gets_no_email(open_month, north, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    tasks.run_reporting(now=at(open_month.deadline))
    assert mail.outbox == []


def test_a_failed_sending_is_tried_again_by_the_next_run(open_month, north, monkeypatch):
    calls = {"n": 0}
    from haven.mail.compose import send_templated as real

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("SMTP server away")
        real(*args, **kwargs)

    monkeypatch.setattr("haven.reporting.tasks.send_templated", flaky)
    with pytest.raises(OSError, match="SMTP server away"):
        tasks.run_reporting(now=at(open_month.deadline))
    with scopes_disabled():
        assert Notice.objects.get(kind="due").sent_at is None
    tasks.run_reporting(now=at(open_month.deadline, 10))
    assert len(mail.outbox) == 1


def test_a_notice_is_claimed_by_one_worker_only(open_month):
    with scopes_disabled():
        actions.queue_reminders(open_month, now=at(open_month.deadline))
        notice = Notice.objects.get(kind="due")
    assert tasks._claim(notice, timezone.now())
    assert not tasks._claim(notice, timezone.now())


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_two_workers_at_the_same_moment_send_each_reminder_once(cora, coalition, north, alice):
    from tests.conftest import make_organisation

    for index in range(8):
        member = make_organisation(f"member-{index}")
        coalition.memberships.create(organisation=member, category="member")
        make_user(f"admin-{index}", member, Role.ORGANISATION_ADMIN, mfa=False)
    period = ask(cora, coalition, last_month(), days(12), kind="month")
    # A newcomer both workers find at once: asked once.
    newcomer = make_organisation("newcomer")
    coalition.memberships.create(organisation=newcomer, category="member")
    make_user("new-admin", newcomer, Role.ORGANISATION_ADMIN, mfa=False)
    contenders = 2
    barrier = threading.Barrier(contenders)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            tasks.run_reporting(now=at(period.deadline))
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with scopes_disabled():
        assert Submission.objects.filter(period=period, organisation=newcomer).count() == 1
    sent = [(str(m.to[0]), str(m.subject)) for m in mail.outbox]
    assert len(sent) == len(set(sent))
    # Each first member's admin: the ask and the day's reminder, once each.
    for index in range(8):
        assert sum(1 for to, _subject in sent if to == f"admin-{index}@example.org") == 2
    assert Notice.objects.filter(sent_at__isnull=True).count() == 0
    assert sum(Notice.objects.values_list("recipients", flat=True)) == len(sent)


def test_the_coordinator_reminds_now_and_not_twice_in_a_day(
    open_month, north, alice, cora, django_capture_on_commit_callbacks
):
    review = reverse("period_review", kwargs={"org": "coalition", "period_id": open_month.pk})
    remind = reverse("period_remind", kwargs={"org": "coalition", "period_id": open_month.pk})
    client = client_for(cora)
    page = client.get(review).content.decode()
    assert remind in page
    # The ask went out less than a day ago: nobody to remind yet.
    refused = client.post(remind)
    assert refused.status_code == 400
    assert "less than a day ago" in refused.content.decode()
    with scopes_disabled():
        Notice.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remind)
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "coordinator reminds" in message.body
    with scopes_disabled():
        audited = AuditEvent.objects.filter(action="reporting.reminder_sent", actor=cora)
        assert audited.count() == 1
    again = client.post(remind, {"member": str(north.pk)})
    assert again.status_code == 400
    assert "North Shelter was e-mailed about this report less than a day ago" in (
        again.content.decode()
    )
    assert len(mail.outbox) == 1


def test_remind_now_refuses_a_member_that_has_sent_or_is_not_asked(
    open_month, north, south, alice, cora
):
    remind = reverse("period_remind", kwargs={"org": "coalition", "period_id": open_month.pk})
    client = client_for(cora)
    assert client.post(remind, {"member": str(south.pk)}).status_code == 400
    assert client.post(remind, {"member": "x" * 5000}).status_code == 400
    submission = submission_of(north, open_month)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=alice, submission=submission_of(north, open_month))
    response = client.post(remind)
    assert response.status_code == 400
    assert "Every member asked has sent its figures" in response.content.decode()
    assert Notice.objects.filter(kind="manual").count() == 0


def test_remind_now_through_the_api(open_month, north, south, cora, alice):
    with scopes_disabled():
        Notice.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    path = f"/api/orgs/coalition/reporting/periods/{open_month.pk}/reminders"
    client = client_for(cora)
    response = client.post(
        path,
        {"organisation_id": north.pk, "note": "We publish on the 20th <b>sharp</b>."},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert response.status_code == 202, response.content
    assert response.json() == {"reminded": [north.pk], "left_out": [], "unreachable": []}
    tasks.send_waiting_notices()
    [message] = mail.outbox
    assert "We publish on the 20th <b>sharp</b>." in message.body
    html = str(cast(EmailMultiAlternatives, message).alternatives[0][0])
    assert "&lt;b&gt;sharp&lt;/b&gt;" in html
    again = client.post(path, {}, content_type="application/json", headers=api_headers(cora))
    assert again.status_code == 400
    not_asked = client.post(
        path,
        {"organisation_id": south.pk},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert not_asked.status_code == 400
    refused = client_for(alice).post(
        "/api/orgs/north/reporting/periods/1/reminders",
        {},
        content_type="application/json",
        headers=api_headers(alice),
    )
    assert refused.status_code == 403


def test_the_review_shows_when_each_member_was_last_emailed(open_month, north, cora):
    review = reverse("period_review", kwargs={"org": "coalition", "period_id": open_month.pk})
    response = client_for(cora).get(review)
    row = response.content.decode().split("North Shelter", 1)[1].split("</tr>", 1)[0]
    assert "—" not in row.split("<td>")[6]
    api = client_for(cora).get(
        f"/api/orgs/coalition/reporting/periods/{open_month.pk}", headers=api_headers(cora)
    )
    [member] = api.json()["members"]
    assert member["last_emailed_at"] is not None
    assert member["deadline"] == open_month.deadline.isoformat()


def test_the_database_backend_queues_one_hourly_run(settings: Any, db: None) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    when = tasks.schedule_reporting()
    assert when is not None
    assert when > timezone.now()
    assert tasks.schedule_reporting() == when
    assert tasks.pending_run() == when
    out = StringIO()
    call_command("schedule_reporting", stdout=out)
    assert DBTaskResult.objects.count() == 1
    assert "queued" in out.getvalue()


def test_the_run_now_from_the_command_line(open_month, north):
    out = StringIO()
    call_command("schedule_reporting", "--now", stdout=out)
    assert "Looked at 1 periods" in out.getvalue()


def test_haven_dev_queues_the_reporting_run(monkeypatch: pytest.MonkeyPatch, north) -> None:
    from django.core import management

    from haven import cli

    called: list[str] = []
    monkeypatch.setattr(management, "call_command", lambda name, **_: called.append(name))
    cli._prepare(seed=1)
    assert "schedule_reporting" in called
    assert "schedule_events" in called


def test_a_failing_hourly_run_still_queues_the_next(
    settings: Any, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def away(now: Any = None) -> dict[str, int]:
        raise OSError("SMTP server away")

    monkeypatch.setattr(tasks, "run_reporting", away)
    with pytest.raises(OSError, match="away"):
        tasks.reporting_hourly.call()
    assert tasks.pending_run() is not None


def test_remind_now_is_disabled_and_explained_while_everyone_was_just_e_mailed(
    open_month, north, cora
):
    review = reverse("period_review", kwargs={"org": "coalition", "period_id": open_month.pk})
    client = client_for(cora)
    page = client.get(review).content.decode()
    form = page[page.index('id="remind"') : page.index("</form>", page.index('id="remind"'))]
    assert '<button type="submit" disabled aria-describedby="remind-later">' in form
    with scopes_disabled():
        asked_at = Notice.objects.get().created_at
    opens_at = timezone.localtime(asked_at + actions.REMIND_AGAIN_AFTER)
    opens = date_format(opens_at, "DATETIME_FORMAT")
    assert f"you can remind them from {opens}." in form
    # North's own button too.
    assert 'disabled title="E-mailed about the report less than a day ago"' in page

    with scopes_disabled():
        Notice.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    page = client.get(review).content.decode()
    assert "Remind those that have not sent (1)</button>" in page
    assert "disabled" not in page[page.index('id="remind"') :].split("</table>")[0]


def test_a_member_with_nobody_to_e_mail_is_named_and_not_reminded(
    cora, coalition, north, alice, django_capture_on_commit_callbacks
):
    from haven.accounts.models import RoleAssignment

    with scopes_disabled():
        RoleAssignment.objects.filter(user=alice, organisation=north).delete()
    with django_capture_on_commit_callbacks(execute=True):
        period = ask(cora, coalition, last_month(), days(12), kind="month")
    # The ask found nobody: it is no e-mail, so it holds back no reminder.
    with scopes_disabled():
        assert Notice.objects.get(period=period).recipients == 0
    assert mail.outbox == []
    review = reverse("period_review", kwargs={"org": "coalition", "period_id": period.pk})
    remind = reverse("period_remind", kwargs={"org": "coalition", "period_id": period.pk})
    client = client_for(cora)
    page = client.get(review).content.decode()
    assert "Nobody to e-mail" in page
    assert 'disabled title="Nobody to e-mail"' in page
    assert "Nobody can be e-mailed at the members that have not sent" in page
    refused = client.post(remind, {"member": str(north.pk)})
    assert refused.status_code == 400
    assert "Nobody at North Shelter can be e-mailed" in refused.content.decode()
    assert "(Organisation admin)" in refused.content.decode()
    api = client.post(
        f"/api/orgs/coalition/reporting/periods/{period.pk}/reminders",
        {},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert api.status_code == 400
    assert Notice.objects.filter(kind="manual").count() == 0

    # Once someone there may send reports, the member can be reminded at once.
    with scopes_disabled():
        RoleAssignment.objects.create(user=alice, organisation=north, role=Role.ORGANISATION_ADMIN)
    page = client.get(review).content.decode()
    assert "Nobody to e-mail" not in page
    assert "Remind those that have not sent (1)</button>" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remind, {"member": str(north.pk)}).status_code == 302
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]
