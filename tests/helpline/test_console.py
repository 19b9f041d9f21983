"""The helpline console: one form, one POST, anonymous unless a consenting person is named."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from tests.conftest import client_for
from tests.helpline.conftest import CANARY_NAME, audit_events, call_form, make_call

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def console_url(organisation: Organisation) -> str:
    return reverse("helpline_console", kwargs={"org": organisation.slug})


def calls() -> list[HelplineCall]:
    with scopes_disabled():
        return list(HelplineCall.objects.select_related("person", "operator"))


def test_console_offers_the_call_form_autofocused_with_smart_defaults(
    north: Organisation, carol: User
) -> None:
    north.languages = ["ro", "fr"]
    north.save()
    page = client_for(carol).get(console_url(north)).content.decode()
    assert re.search(
        r'<input type="radio" name="caller_type" value="person_concerned"[^>]*autofocus', page
    )
    assert re.search(r'name="channel" value="phone"[^>]* checked', page)
    assert re.search(r'name="language" value="ro"', page)
    started = re.search(r'name="started_at" value="([0-9T:-]+)"', page)
    assert started is not None
    assert started.group(1).startswith(timezone.localdate().isoformat()[:4])
    assert 'src="/static/haven/helpline.js"' in page
    assert "<script>" not in page


def test_the_operators_language_is_the_default_when_the_organisation_has_none(
    north: Organisation, carol: User
) -> None:
    carol.preferred_language = "es"
    carol.save()
    page = client_for(carol).get(console_url(north)).content.decode()
    assert re.search(r'name="language" value="es"', page)


def test_console_saves_a_full_call_in_one_post(north: Organisation, carol: User) -> None:
    client = client_for(carol)
    response = client.post(console_url(north), call_form(notes="call back after 6pm"))
    assert response.status_code == 302
    assert response["Location"] == console_url(north)
    [call] = calls()
    assert (call.caller_type, call.outcome, call.channel) == (
        "relative",
        "referred_external",
        "sms",
    )
    assert call.topics == ["violence", "housing"]
    assert call.duration_minutes == 14
    assert call.language == "fr"
    assert call.follow_up_on == timezone.localdate() + datetime.timedelta(days=2)
    assert call.notes == "call back after 6pm"
    assert call.operator == carol
    assert call.person is None
    page = client.get(console_url(north)).content.decode()
    assert "Call saved." in page
    assert f'id="call-{call.pk}"' in page


def test_the_htmx_console_answers_with_a_fresh_form_and_the_new_row(
    north: Organisation, carol: User
) -> None:
    response = client_for(carol).post(console_url(north), call_form(notes="nothing"), headers=HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    [call] = calls()
    form = page.split('hx-swap-oob="afterbegin:#today-calls"')[0]
    assert 'id="call-form"' in form
    assert "autofocus" in form
    assert 'name="notes"' in form
    assert "nothing</textarea>" not in form
    assert not re.search(r'name="caller_type" value="relative"[^>]* checked', form)
    assert "Call saved" in form
    row = page.split('hx-swap-oob="afterbegin:#today-calls"')[1]
    assert f'id="call-{call.pk}"' in row
    assert 'id="call-counts" class="call-counts" hx-swap-oob="true"' in page


def out_of_band_targets(fragment: str) -> list[str]:
    """The ids an htmx answer swaps out of band (by its own id or by a selector)."""
    targets = []
    for tag in re.findall(r"<[^>]*hx-swap-oob=[^>]*>", fragment):
        swap = re.search(r'hx-swap-oob="([^"]*)"', tag)
        assert swap is not None
        if swap.group(1) == "true":
            own = re.search(r'\sid="([^"]+)"', tag)
            assert own is not None, tag
            targets.append(own.group(1))
        else:
            targets.append(swap.group(1).split(":", 1)[-1].removeprefix("#"))
    return targets


@pytest.mark.parametrize("calls_already", [0, 1])
def test_every_out_of_band_target_of_a_save_is_on_the_console(
    north: Organisation, carol: User, calls_already: int
) -> None:
    for _ in range(calls_already):
        make_call(north, carol, started_at=timezone.now())
    client = client_for(carol)
    console = client.get(console_url(north)).content.decode()
    saved = client.post(console_url(north), call_form(), headers=HTMX).content.decode()
    targets = out_of_band_targets(saved)
    assert "no-calls-today" in targets
    for target in targets:
        assert f'id="{target}"' in console, target
    shown = re.search(r'<p id="no-calls-today"[^>]*>', console)
    assert shown is not None
    assert (" hidden" in shown.group()) == bool(calls_already)


def test_an_anonymous_call_needs_no_person_and_says_so_in_the_audit_trail(
    north: Organisation, olga: User
) -> None:
    data = call_form(duration_minutes="0", outcome="call_dropped", topics=[], follow_up_on="")
    assert client_for(olga).post(console_url(north), data).status_code == 302
    [call] = calls()
    assert call.person is None
    assert call.topics == []
    assert call.follow_up_on is None
    [event] = audit_events("helpline_call.logged")
    assert event.object_id == str(call.pk)
    assert event.actor_id == olga.pk
    assert event.details == {"anonymous": True, "follow_up": False, "notes": False}


def test_a_call_linked_to_a_consenting_person_marks_them_active(
    north: Organisation, carol: User, person: Person
) -> None:
    before = person.last_activity_at
    data = call_form(person_code="p-0042")
    assert client_for(carol).post(console_url(north), data).status_code == 302
    [call] = calls()
    assert call.person == person
    with scopes_disabled():
        person.refresh_from_db()
    assert person.last_activity_at > before
    [event] = audit_events("helpline_call.logged")
    assert event.details["anonymous"] is False
    assert CANARY_NAME not in str(event.details)


def test_a_person_without_casework_consent_cannot_be_linked(
    north: Organisation, carol: User, person_without_consent: Person
) -> None:
    response = client_for(carol).post(console_url(north), call_form(person_code="P-0099"))
    assert response.status_code == 400
    assert "no casework consent" in response.content.decode()
    assert calls() == []


def test_an_unknown_person_code_is_refused(north: Organisation, carol: User) -> None:
    response = client_for(carol).post(console_url(north), call_form(person_code="P-NOPE"))
    assert response.status_code == 400
    assert "No person has this code here." in response.content.decode()
    assert calls() == []


def test_a_person_of_another_organisation_cannot_be_linked(
    north: Organisation, south: Organisation, carol: User
) -> None:
    from tests.helpline.conftest import make_person

    make_person(south, "P-SOUTH")
    response = client_for(carol).post(console_url(north), call_form(person_code="P-SOUTH"))
    assert response.status_code == 400
    assert calls() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("started_at", "in two hours", "Enter a valid date/time."),
        ("duration_minutes", "601", "less than or equal to 600"),
        ("duration_minutes", "-1", "greater than or equal to 0"),
        ("channel", "fax", "Select a valid choice."),
        ("caller_type", "alien", "Select a valid choice."),
        ("caller_type", "", "This field is required."),
        ("outcome", "", "This field is required."),
        ("topics", ["housing", "gossip"], "Select a valid choice."),
        ("notes", "x" * 5001, "at most 5000 characters"),
        ("language", "xx", "is not an ISO 639 language code"),
        # A language is typed as its code or its name: a word that names none is refused.
        ("language", "toolong", "is not an ISO 639 language code, nor a language"),
        ("language", "x" * 81, "at most 80 characters"),
        ("follow_up_on", "2024-13-45", "Enter a valid date."),
        ("person_code", "P" * 21, "at most 20 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(
    north: Organisation, carol: User, field: str, value: object, message: str
) -> None:
    if value == "in two hours":
        value = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        message = "more than an hour from now"
    response = client_for(carol).post(console_url(north), call_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert calls() == []
    assert audit_events("helpline_call.logged") == []


def test_the_htmx_console_shows_refusals_in_the_form_with_a_400(
    north: Organisation, carol: User
) -> None:
    response = client_for(carol).post(
        console_url(north), call_form(duration_minutes="9999"), headers=HTMX
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert page.lstrip().startswith("<form")
    assert re.search(r'name="duration_minutes"[^>]*autofocus', page)
    assert calls() == []


def test_an_empty_duration_is_timed_from_the_start_the_console_offered(
    north: Organisation, carol: User
) -> None:
    # The form opened as the call began, ten minutes ago, and its start was left as offered.
    started = (timezone.localtime() - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    data = call_form(duration_minutes="", started_at=started, opened_at=started)
    assert client_for(carol).post(console_url(north), data).status_code == 302
    [call] = calls()
    assert call.duration_minutes is not None
    assert 10 <= call.duration_minutes <= 12


def test_the_fresh_console_form_carries_the_start_it_offered(
    north: Organisation, carol: User
) -> None:
    page = client_for(carol).get(console_url(north)).content.decode()
    started = re.search(r'name="started_at"[^>]*value="([^"]+)"', page)
    opened = re.search(r'type="hidden" name="opened_at" value="([^"]+)"', page)
    assert started
    assert opened
    assert opened.group(1) == started.group(1)


@pytest.mark.parametrize("hours_ago", [3, 30])
def test_a_call_logged_afterwards_without_a_duration_has_an_unknown_one(
    north: Organisation, carol: User, hours_ago: int
) -> None:
    # The operator typed the start of a call that ended long ago: its length is not the time
    # since it started (nor 600 minutes), it is not known.
    now = timezone.localtime()
    started = (now - datetime.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")
    data = call_form(
        duration_minutes="",
        started_at=started,
        opened_at=now.strftime("%Y-%m-%dT%H:%M"),
        follow_up_on="",
    )
    response = client_for(carol).post(console_url(north), data, headers=HTMX)
    assert response.status_code == 200
    assert "duration unknown" in response.content.decode()
    [call] = calls()
    assert call.duration_minutes is None
    listing = client_for(carol).get(reverse("helpline_calls", kwargs={"org": north.slug}))
    assert listing.status_code == 200
    assert re.search(r"<td>\s*unknown\s*</td>", listing.content.decode())


def test_a_submission_without_the_offered_start_leaves_an_empty_duration_unknown(
    north: Organisation, carol: User
) -> None:
    started = (timezone.localtime() - datetime.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    data = call_form(duration_minutes="", started_at=started)
    assert client_for(carol).post(console_url(north), data).status_code == 302
    [call] = calls()
    assert call.duration_minutes is None


def test_todays_calls_are_mine_unless_i_ask_for_everyones(
    north: Organisation, carol: User, olga: User
) -> None:
    mine = make_call(north, carol, started_at=timezone.now())
    theirs = make_call(north, olga, started_at=timezone.now())
    yesterday = make_call(north, carol, started_at=timezone.now() - datetime.timedelta(days=1))
    client = client_for(carol)
    page = client.get(console_url(north)).content.decode()
    assert f'id="call-{mine.pk}"' in page
    assert f'id="call-{theirs.pk}"' not in page
    assert f'id="call-{yesterday.pk}"' not in page
    everyone = client.get(console_url(north) + "?calls=all").content.decode()
    assert f'id="call-{theirs.pk}"' in everyone
    assert "olga" in everyone


def test_the_console_counts_calls_today_and_in_four_weeks(north: Organisation, carol: User) -> None:
    for _ in range(3):
        make_call(north, carol, started_at=timezone.now())
    make_call(north, carol, started_at=timezone.now() - datetime.timedelta(days=3))
    make_call(north, carol, started_at=timezone.now() - datetime.timedelta(days=40))
    page = client_for(carol).get(console_url(north)).content.decode()
    assert "3 calls today" in page
    assert "4 calls in the last 28 days" in page


def test_follow_ups_due_are_listed_and_can_be_marked_done(north: Organisation, carol: User) -> None:
    today = timezone.localdate()
    due = make_call(north, carol, follow_up_on=today - datetime.timedelta(days=1))
    later = make_call(north, carol, follow_up_on=today + datetime.timedelta(days=3))
    client = client_for(carol)
    page = client.get(console_url(north)).content.decode()
    done_url = reverse("helpline_follow_up_done", kwargs={"org": "north", "call_id": due.pk})
    assert done_url in page
    assert (
        reverse("helpline_follow_up_done", kwargs={"org": "north", "call_id": later.pk}) not in page
    )
    response = client.post(done_url + "?from=console")
    assert response.status_code == 302
    assert response["Location"] == console_url(north)
    with scopes_disabled():
        due.refresh_from_db()
    assert due.follow_up_done
    assert audit_events("helpline_call.follow_up_done", object_id=str(due.pk))
    assert done_url not in client.get(console_url(north)).content.decode()


def test_the_htmx_done_button_removes_the_row(north: Organisation, carol: User) -> None:
    due = make_call(north, carol, follow_up_on=timezone.localdate())
    url = reverse("helpline_follow_up_done", kwargs={"org": "north", "call_id": due.pk})
    response = client_for(carol).post(url, headers=HTMX)
    assert response.status_code == 200
    assert response.content == b""
    with scopes_disabled():
        due.refresh_from_db()
    assert due.follow_up_done


def test_a_call_without_follow_up_cannot_be_marked_done(north: Organisation, carol: User) -> None:
    call = make_call(north, carol)
    url = reverse("helpline_follow_up_done", kwargs={"org": "north", "call_id": call.pk})
    assert client_for(carol).post(url).status_code == 400
    with scopes_disabled():
        call.refresh_from_db()
    assert not call.follow_up_done


def test_the_console_reads_a_busy_day_in_a_fixed_number_of_queries(
    north: Organisation, carol: User, django_assert_max_num_queries: Any
) -> None:
    from tests.helpline.conftest import make_person

    person = make_person(north, "P-1")
    for _ in range(30):
        make_call(north, carol, started_at=timezone.now(), person=person)
        make_call(
            north,
            carol,
            started_at=timezone.now(),
            follow_up_on=timezone.localdate(),
            person=person,
        )
    client = client_for(carol)
    client.get(console_url(north))
    with django_assert_max_num_queries(20):
        page = client.get(console_url(north) + "?calls=all").content.decode()
    assert page.count('class="call-row') == 60 + 30


def errors_of(page: str) -> dict[str, str]:
    """Each field's error list on a refused form, by field name."""
    found = {}
    for name in ("person_code", "language", "started_at", "duration_minutes", "follow_up_on"):
        match = re.search(rf'class="field field-{name} has-error">(.*?)</div>', page, re.S)
        if match:
            found[name] = match.group(1)
    return found


def test_every_field_in_error_is_reported_at_once_an_unknown_code_included(
    north: Organisation, carol: User
) -> None:
    ahead = (timezone.localtime() + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    data = call_form(person_code="P-NOPE", language="qq", started_at=ahead, duration_minutes="-4")
    response = client_for(carol).post(console_url(north), data)
    assert response.status_code == 400
    errors = errors_of(response.content.decode())
    assert "No person has this code here." in errors["person_code"]
    assert "is not an ISO 639 language code" in errors["language"]
    assert "more than an hour from now" in errors["started_at"]
    assert "greater than or equal to 0" in errors["duration_minutes"]
    assert calls() == []


def test_a_refused_consent_and_a_wrong_language_are_reported_together_beside_their_fields(
    north: Organisation, carol: User, person_without_consent: Person
) -> None:
    data = call_form(person_code="P-0099", language="qq", duration_minutes="")
    response = client_for(carol).post(console_url(north), data, headers=HTMX)
    assert response.status_code == 400
    errors = errors_of(response.content.decode())
    assert "no casework consent" in errors["person_code"]
    assert "is not an ISO 639 language code" in errors["language"]
    assert calls() == []


def test_the_language_box_suggests_a_short_list_and_takes_any_language_by_code_or_name(
    north: Organisation, carol: User
) -> None:
    north.languages = ["ro", "pcm"]
    north.save()
    client = client_for(carol)
    page = client.get(console_url(north)).content.decode()
    suggestions = re.search(r'<datalist id="helpline-languages">(.*?)</datalist>', page, re.S)
    assert suggestions is not None
    codes = re.findall(r'<option value="([^"]*)"', suggestions.group(1))
    # The organisation's languages first, then the ISO 639-1 ones: not the 7,000.
    assert codes[:2] == ["ro", "pcm"]
    assert "uk" in codes
    assert "alu" not in codes
    assert 150 < len(codes) < 400
    assert len(page) < 60_000
    # A language outside the suggestions, typed as its code or its name.
    for typed in ("BIN", "Bini", "romany"):
        response = client.post(console_url(north), call_form(language=typed), headers=HTMX)
        assert response.status_code == 200, typed
        # The suggestions stay on the page: each save does not send them again.
        assert "<datalist" not in response.content.decode()
    assert [call.language for call in calls()] == ["bin", "bin", "rom"]


def test_the_call_page_suggests_the_same_short_list(north: Organisation, carol: User) -> None:
    call = make_call(north, carol, language="pcm")
    url = reverse("helpline_call", kwargs={"org": north.slug, "call_id": call.pk})
    page = client_for(carol).get(url).content.decode()
    assert re.search(r'name="language" value="pcm"', page)
    assert '<datalist id="helpline-languages">' in page
    assert page.count("<option") < 400
