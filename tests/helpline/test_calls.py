"""The list of calls, one call's page, who may see them, and what the database holds."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from haven.helpline import access
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from tests.conftest import client_for, token_for
from tests.helpline.conftest import CANARY_NAME, audit_events, call_form, make_call, make_person

pytestmark = pytest.mark.django_db

NOTES_CANARY = "Canary-notes-9931 she is at the old station"


def list_url(organisation: Organisation, **query: str) -> str:
    url = reverse("helpline_calls", kwargs={"org": organisation.slug})
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def detail_url(call: HelplineCall, org: str = "north") -> str:
    return reverse("helpline_call", kwargs={"org": org, "call_id": call.pk})


def test_the_list_filters_by_channel_caller_topic_outcome_and_follow_up(
    north: Organisation, carol: User, olga: User
) -> None:
    today = timezone.localdate()
    sms = make_call(north, carol, channel="sms", topics=["violence", "legal"])
    phone = make_call(
        north, olga, caller_type="professional", outcome="emergency", topics=["mental_health"]
    )
    due = make_call(north, carol, follow_up_on=today - datetime.timedelta(days=2))
    done = make_call(north, carol, follow_up_on=today, follow_up_done=True)
    client = client_for(carol)

    def shown(**query: str) -> set[str]:
        response = client.get(list_url(north, **query))
        assert response.status_code == 200
        page = response.content.decode()
        return {name for name, call in CALLS.items() if detail_url(call) in page}

    CALLS = {"sms": sms, "phone": phone, "due": due, "done": done}
    assert shown() == set(CALLS)
    assert shown(channel="sms") == {"sms"}
    assert shown(caller_type="professional") == {"phone"}
    assert shown(outcome="emergency") == {"phone"}
    assert shown(topic="violence") == {"sms"}
    assert shown(topic="health") == set()
    assert shown(topic="mental_health") == {"phone"}
    assert shown(operator=str(olga.pk)) == {"phone"}
    assert shown(follow_up="due") == {"due"}
    assert shown(follow_up="done") == {"done"}


def test_the_list_filters_by_date_range(north: Organisation, carol: User) -> None:
    now = timezone.now()
    old = make_call(north, carol, started_at=now - datetime.timedelta(days=10))
    recent = make_call(north, carol, started_at=now)
    since = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    page = client_for(carol).get(list_url(north, date_from=since)).content.decode()
    assert detail_url(recent) in page
    assert detail_url(old) not in page
    until = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    page = client_for(carol).get(list_url(north, date_to=until)).content.decode()
    assert detail_url(old) in page
    assert detail_url(recent) not in page


def test_the_list_is_paginated_by_fifty(north: Organisation, carol: User) -> None:
    start = timezone.now() - datetime.timedelta(hours=1)
    for minute in range(51):
        make_call(north, carol, started_at=start + datetime.timedelta(seconds=minute))
    first = client_for(carol).get(list_url(north, channel="phone")).content.decode()
    assert "51 calls" in first
    assert first.count('<th scope="row">') == 50
    assert "channel=phone&amp;page=2" in first
    second = client_for(carol).get(list_url(north, channel="phone", page="2")).content.decode()
    assert second.count('<th scope="row">') == 1
    [event, _second] = audit_events("helpline_call.listed")
    assert event.details == {"count": 50}


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2024-13-45"},
        {"channel": "fax"},
        {"operator": "999999"},
        {"follow_up": "maybe"},
        {"date_from": "2026-02-10", "date_to": "2026-02-01"},
    ],
)
def test_bad_filters_answer_400(north: Organisation, carol: User, query: dict[str, str]) -> None:
    response = client_for(carol).get(list_url(north, **query))
    assert response.status_code == 400
    assert audit_events("helpline_call.listed") == []


def test_a_call_page_shows_the_notes_and_audits_the_read(north: Organisation, carol: User) -> None:
    call = make_call(north, carol, notes=NOTES_CANARY)
    page = client_for(carol).get(detail_url(call)).content.decode()
    assert NOTES_CANARY in page
    [event] = audit_events("helpline_call.viewed")
    assert event.object_id == str(call.pk)
    assert event.actor_id == carol.pk


def test_a_call_can_be_corrected_and_the_change_names_only_fields(
    north: Organisation, carol: User, person: Person
) -> None:
    call = make_call(north, carol, duration_minutes=3)
    data = call_form(
        duration_minutes="25",
        started_at=timezone.localtime(call.started_at).strftime("%Y-%m-%dT%H:%M"),
        person_code="P-0042",
        notes=NOTES_CANARY,
    )
    response = client_for(carol).post(detail_url(call), data)
    assert response.status_code == 302
    with scopes_disabled():
        call.refresh_from_db()
    assert call.duration_minutes == 25
    assert call.person == person
    [event] = audit_events("helpline_call.changed")
    assert "duration_minutes" in event.details["fields"]
    assert "person" in event.details["fields"]
    assert "notes" in event.details["fields"]
    assert NOTES_CANARY not in str(event.details)


def test_a_correction_with_bad_input_changes_nothing(north: Organisation, carol: User) -> None:
    call = make_call(north, carol, duration_minutes=3)
    response = client_for(carol).post(detail_url(call), call_form(duration_minutes="-5"))
    assert response.status_code == 400
    with scopes_disabled():
        call.refresh_from_db()
    assert call.duration_minutes == 3
    assert audit_events("helpline_call.changed") == []


def test_a_helpline_operator_logs_calls_but_never_sees_identifying_fields(
    north: Organisation, olga: User, person: Person
) -> None:
    client = client_for(olga)
    console = reverse("helpline_console", kwargs={"org": "north"})
    assert client.post(console, call_form(person_code="P-0042")).status_code == 302
    with scopes_disabled():
        call = HelplineCall.objects.get()
    api = {"Authorization": f"Bearer {token_for(olga)}"}
    pages = [
        client.get(console).content.decode(),
        client.get(console + "?calls=all").content.decode(),
        client.get(list_url(north)).content.decode(),
        client.get(detail_url(call)).content.decode(),
        client.get(f"/api/orgs/north/helpline/calls/{call.pk}", headers=api).content.decode(),
        client.get("/api/orgs/north/helpline/calls", headers=api).content.decode(),
    ]
    for page in pages:
        assert "P-0042" in page
        assert CANARY_NAME not in page
        assert "44 17" not in page


def test_a_viewer_is_refused_every_helpline_page(north: Organisation, victor: User) -> None:
    call = make_call(north, None)
    client = client_for(victor)
    for url in (
        reverse("helpline_console", kwargs={"org": "north"}),
        list_url(north),
        detail_url(call),
        reverse("helpline_follow_up_done", kwargs={"org": "north", "call_id": call.pk}),
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("helpline_console", kwargs={"org": "north"}), call_form()).status_code
        == 403
    )
    with scopes_disabled():
        assert HelplineCall.objects.count() == 1


def test_an_admin_without_the_helpline_role_is_refused(north: Organisation, alice: User) -> None:
    assert client_for(alice).get(list_url(north)).status_code == 403


def test_another_organisations_staff_get_404_for_north_and_its_calls(
    north: Organisation, south: Organisation, bob: User, carol: User
) -> None:
    north_call = make_call(north, carol)
    client = client_for(bob)
    assert client.get(reverse("helpline_console", kwargs={"org": "north"})).status_code == 404
    assert (
        client.post(reverse("helpline_console", kwargs={"org": "north"}), call_form()).status_code
        == 404
    )
    assert client.get(detail_url(north_call)).status_code == 404
    # Even through bob's own organisation, north's call is not there.
    assert client.get(detail_url(north_call, org="south")).status_code == 404
    done = reverse("helpline_follow_up_done", kwargs={"org": "south", "call_id": north_call.pk})
    assert client.post(done).status_code == 404
    assert client.get(list_url(south)).content.decode().count(str(north_call.pk)) == 0


def test_notes_are_encrypted_in_the_database(north: Organisation, carol: User) -> None:
    console = reverse("helpline_console", kwargs={"org": "north"})
    assert client_for(carol).post(console, call_form(notes=NOTES_CANARY)).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {HelplineCall._meta.db_table}")
        raw = repr(cursor.fetchall())
    assert "Canary-notes-9931" not in raw
    with scopes_disabled():
        assert HelplineCall.objects.get().notes == NOTES_CANARY


def test_access_helpers_for_other_apps(
    north: Organisation, south: Organisation, carol: User
) -> None:
    person = make_person(north, "P-7")
    today = timezone.localdate()
    linked = make_call(north, carol, person=person, started_at=timezone.now(), channel="chat")
    make_call(north, carol, follow_up_on=today + datetime.timedelta(days=1))
    due = make_call(north, carol, follow_up_on=today, started_at=timezone.now())
    make_call(south, None, follow_up_on=today, started_at=timezone.now())
    make_call(north, carol, started_at=timezone.now() - datetime.timedelta(days=60))
    assert list(access.calls_for_person(north, person)) == [linked]
    assert list(access.follow_ups_due(north, today)) == [due]
    since = access.day_bounds(today - datetime.timedelta(days=27))[0]
    counts = access.call_counts(north, since)
    assert counts.total == 3
    assert counts.linked == 1
    assert counts.anonymous == 2
    assert counts.by_channel == {"chat": 1, "phone": 2}
    assert counts.by_outcome == {"information_given": 3}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"date_from": "9999-12-31"}, "Give a date up to"),
        ({"date_to": "9999-12-31"}, "Give a date up to"),
        ({"date_from": "0001-01-01"}, "Give a date from 1 January 2000 on."),
    ],
)
def test_a_far_off_filter_date_answers_400_not_500(
    north: Organisation, carol: User, query: dict[str, str], says: str
) -> None:
    make_call(north, carol)
    response = client_for(carol).get(list_url(north, **query))
    assert response.status_code == 400
    assert says in response.content.decode()
    assert audit_events("helpline_call.listed") == []


def test_a_correction_keeps_a_start_time_with_seconds_left_as_it_was_to_the_minute(
    north: Organisation, carol: User
) -> None:
    started_at = (timezone.now() - datetime.timedelta(minutes=20)).replace(
        second=37, microsecond=123456
    )
    call = make_call(north, carol, started_at=started_at, notes="first")
    shown = timezone.localtime(started_at).strftime("%Y-%m-%dT%H:%M")
    data = call_form(
        started_at=shown,
        duration_minutes="12",
        caller_type=call.caller_type,
        outcome=call.outcome,
        topics=call.topics,
        channel=call.channel,
        language="",
        follow_up_on="",
        notes="second",
    )
    assert client_for(carol).post(detail_url(call), data).status_code == 302
    with scopes_disabled():
        call.refresh_from_db()
    assert call.started_at == started_at
    assert call.notes == "second"
    [event] = audit_events("helpline_call.changed")
    assert event.details == {"fields": ["notes"]}


def test_a_correction_that_moves_the_start_by_a_minute_saves_it(
    north: Organisation, carol: User
) -> None:
    started_at = (timezone.now() - datetime.timedelta(minutes=20)).replace(second=37)
    call = make_call(north, carol, started_at=started_at)
    moved = timezone.localtime(started_at) + datetime.timedelta(minutes=1)
    data = call_form(
        started_at=moved.strftime("%Y-%m-%dT%H:%M"),
        duration_minutes="12",
        caller_type=call.caller_type,
        outcome=call.outcome,
        topics=call.topics,
        channel=call.channel,
        language="",
        follow_up_on="",
    )
    assert client_for(carol).post(detail_url(call), data).status_code == 302
    with scopes_disabled():
        call.refresh_from_db()
    assert call.started_at == moved.replace(second=0, microsecond=0)
    [event] = audit_events("helpline_call.changed")
    assert event.details == {"fields": ["started_at"]}


def test_a_correction_reports_an_unknown_code_with_every_other_problem(
    north: Organisation, carol: User
) -> None:
    call = make_call(north, carol, duration_minutes=3)
    data = call_form(
        person_code="P-NOPE",
        language="qq",
        follow_up_on=(timezone.localdate() - datetime.timedelta(days=400)).isoformat(),
    )
    response = client_for(carol).post(detail_url(call), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "No person has this code here." in page
    assert "is not an ISO 639 language code" in page
    assert "A follow-up cannot come before the call." in page
    assert audit_events("helpline_call.changed") == []


def test_a_correction_may_leave_the_duration_unknown_and_pages_say_so(
    north: Organisation, carol: User, person: Person
) -> None:
    call = make_call(north, carol, duration_minutes=600, person=person)
    data = call_form(
        duration_minutes="",
        started_at=timezone.localtime(call.started_at).strftime("%Y-%m-%dT%H:%M"),
        person_code="P-0042",
    )
    assert client_for(carol).post(detail_url(call), data).status_code == 302
    with scopes_disabled():
        call.refresh_from_db()
    assert call.duration_minutes is None
    # The console, the call's page and the person's timeline show it as unknown.
    console = client_for(carol).get(reverse("helpline_console", kwargs={"org": "north"}))
    assert "duration unknown" in console.content.decode()
    assert client_for(carol).get(detail_url(call)).status_code == 200
    timeline = client_for(carol).get(
        reverse("person_page", kwargs={"org": "north", "person_id": person.pk})
    )
    assert timeline.status_code == 200
    assert "duration unknown" in timeline.content.decode()


def test_logging_without_a_duration_never_guesses_one(north: Organisation, carol: User) -> None:
    from haven.helpline.actions import log_call

    long_ago = timezone.now() - datetime.timedelta(days=2)
    for timed in (False, True):
        call = log_call(
            actor=carol,
            organisation=north,
            caller_type="public",
            outcome="information_given",
            started_at=long_ago,
            timed_from_start=timed,
        )
        # Not 600, the old cap: past 600 minutes a timer has stopped being one.
        assert call.duration_minutes is None
