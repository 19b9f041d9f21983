"""The public pages of events: listing and feed, an event, registering, a registrant's links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from haven.abuse.honeypot import HONEYPOT_FIELD
from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions, content, tasks
from haven.events.models import Event, Registration, RegistrationStatus
from haven.organisations.models import Organisation
from tests.conftest import make_user
from tests.events.world import published_event
from tests.letters.conftest import html_part

pytestmark = pytest.mark.usefixtures("unscoped")

SECRET_URL = "https://meet.example.net/very-secret-room"


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


def url(event: Event, name: str, **extra: str) -> str:
    return reverse(name, kwargs={"org": event.owner.slug, "event": event.slug, **extra})


def register(client: Client, event: Event, **changes: str) -> Any:
    form = {"name": "Ana Example", "email": "ana@example.org", **changes}
    return client.post(url(event, "event_register"), form)


def manage_path(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/events/\S+/r/\S+/)", str(message.body))
    assert found is not None
    return found.group(1)


def only_message_to(address: str) -> Any:
    [message] = [message for message in mail.outbox if message.to == [address]]
    return message


def online_event(north: Organisation, officer: User, **values: object) -> Event:
    event = published_event(north, officer, in_person=False, online=True, **values)
    actions.set_secret(
        actor=officer, event=event, meeting_url=SECRET_URL, joining_details="PIN 4242"
    )
    return event


def test_registering_confirms_and_e_mails_ticket_and_calendar(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=5)
    response = register(client, event)
    assert response.status_code == 302
    assert response["Location"] == url(event, "event_registered")
    assert "Check your e-mail" in client.get(response["Location"]).content.decode()
    mail.outbox.clear()
    tasks.send_notices.call()
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    kinds = {name: kind for name, _content, kind in message.attachments}
    assert kinds == {"event.ics": "text/calendar", "ticket-1.png": "image/png"}
    page = client.get(manage_path(message)).content.decode()
    assert "<svg" in page
    assert "Registered" in page
    # Under each QR code, its code to type at the door, in groups of four.
    [booker] = Registration.objects.filter(event=event)
    printed = content.grouped_code(access.ticket_code(booker))
    assert len(printed) == 39
    assert f'<code class="ticket-code" translate="no">{printed}</code>' in page
    assert f": {printed}" in str(message.body)
    assert printed in html_part(message)


def test_a_full_event_puts_people_on_the_waiting_list_and_offers_freed_places(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1, offer_hours=24)
    register(client, event)
    assert "waiting list" in client.get(url(event, "event_public")).content.decode()
    assert register(client, event, name="Bo", email="bo@example.org").status_code == 302
    bo = Registration.objects.get(email_key=actions.email_key(event.pk, "bo@example.org"))
    assert bo.status == RegistrationStatus.WAITING
    mail.outbox.clear()
    tasks.send_notices.call()
    first = next(message for message in mail.outbox if message.to == ["ana@example.org"])
    # GET changes nothing (mail scanners); the button POSTs.
    manage = manage_path(first)
    client.get(manage)
    assert Registration.objects.filter(status=RegistrationStatus.CONFIRMED).count() == 1
    # Done, the page is shown again by GET (Back or reload cannot send it twice).
    cancelled = client.post(manage, {"action": "cancel", "confirm": "yes"})
    assert cancelled.status_code == 302
    assert cancelled["Location"] == manage
    assert "Cancelled. Thank you" in client.get(manage).content.decode()
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.OFFERED
    mail.outbox.clear()
    tasks.send_notices.call()
    offer = next(message for message in mail.outbox if message.to == ["bo@example.org"])
    assert "A place" in offer.subject
    assert client.post(manage_path(offer), {"action": "accept"}).status_code == 302
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.CONFIRMED


def test_a_full_event_without_waiting_list_refuses_and_saves_nothing(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1, waiting_list=False)
    register(client, event)
    response = register(client, event, name="Bo", email="bo@example.org")
    assert response.status_code == 400
    assert "full" in response.content.decode()
    assert Registration.objects.count() == 1


def test_the_join_link_opens_the_meeting_until_it_is_revoked(
    client: Client, officer: User, north: Organisation
) -> None:
    event = online_event(north, officer)
    register(client, event)
    row = Registration.objects.get()
    join = url(event, "event_join", token=access.join_token(row))
    response = client.get(join)
    assert response.status_code == 200
    assert SECRET_URL in response.content.decode()
    assert "PIN 4242" in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    actions.revoke_link(actor=officer, registration=row)
    refused = client.get(join)
    assert refused.status_code == 400
    assert SECRET_URL not in refused.content.decode()
    forged = client.get(url(event, "event_join", token="forged"))
    assert forged.status_code == 400


def test_a_cancelled_registration_cannot_join(
    client: Client, officer: User, north: Organisation
) -> None:
    event = online_event(north, officer)
    register(client, event)
    row = Registration.objects.get()
    actions.cancel_registrations(event=event, registrations=[row])
    response = client.get(url(event, "event_join", token=access.join_token(row)))
    assert response.status_code == 403
    assert SECRET_URL not in response.content.decode()


def test_the_meeting_link_is_on_no_public_page(
    client: Client, officer: User, north: Organisation
) -> None:
    event = online_event(north, officer)
    session = actions.save_session(
        actor=officer,
        event=event,
        values={
            "kind": "panel",
            "title": "Opening panel",
            "starts_at": event.starts_at,
            "ends_at": event.starts_at + timedelta(hours=1),
        },
    )
    speaker = actions.save_speaker(actor=officer, owner=north, name="Dr Mira", title="Director")
    actions.add_session_speaker(
        actor=officer, session=session, speaker=speaker, role="moderator", talk_title="Hello"
    )
    pages = [
        url(event, "event_public"),
        url(event, "event_programme"),
        url(event, "event_calendar"),
        url(event, "event_register"),
        reverse("events_public"),
        reverse("events_feed"),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"very-secret-room" not in response.content, path
    programme = client.get(url(event, "event_programme")).content.decode()
    assert "Dr Mira" in programme
    assert "Director" in programme
    assert "Hello" in programme


def test_invitation_only_needs_a_valid_code(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, visibility="invitation")
    code = actions.create_invitation_code(actor=officer, event=event)
    assert register(client, event).status_code == 400
    assert register(client, event, code="wrong").status_code == 400
    assert Registration.objects.count() == 0
    assert register(client, event, code=code.code).status_code == 302
    assert Registration.objects.count() == 1


def test_the_honeypot_rejects(client: Client, officer: User, north: Organisation) -> None:
    event = published_event(north, officer)
    response = register(client, event, **{HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 400
    assert Registration.objects.count() == 0


def test_registering_twice_answers_the_same_and_adds_nothing(
    client: Client, officer: User, north: Organisation, django_capture_on_commit_callbacks
) -> None:
    event = published_event(north, officer)
    first = register(client, event)
    with django_capture_on_commit_callbacks(execute=True):
        again = register(client, event, name="Someone Else", email="ANA@example.org")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Registration.objects.count() == 1


def test_bad_answers_are_refused_and_nothing_saved(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    meal = actions.save_question(
        actor=officer, event=event, label="Meal", kind="choice", choices="Vegan\nAny"
    )
    needed = actions.save_question(actor=officer, event=event, label="Role", required=True)
    response = register(client, event, **{f"question_{meal.pk}": "Steak"})
    assert response.status_code == 400
    assert Registration.objects.count() == 0
    response = register(client, event, **{f"question_{meal.pk}": "Vegan"})
    assert response.status_code == 400
    assert Registration.objects.count() == 0
    ok = register(client, event, **{f"question_{meal.pk}": "Vegan", f"question_{needed.pk}": "NGO"})
    assert ok.status_code == 302
    assert Registration.objects.get().answers == {str(meal.pk): "Vegan", str(needed.pk): "NGO"}


def test_group_registration_brings_companions(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2, capacity=5)
    assert register(client, event, companion_1="Companion").status_code == 302
    assert sorted(row.name for row in Registration.objects.all()) == ["Ana Example", "Companion"]


def test_listing_filters_and_feed(client: Client, officer: User, north: Organisation) -> None:
    published_event(north, officer, title="Paris seminar", kind="seminar", languages=["fr"])
    published_event(north, officer, title="Webinar on rights", kind="webinar", languages=["en"])
    page = client.get(reverse("events_public")).content.decode()
    assert "Paris seminar" in page
    assert "Webinar on rights" in page
    page = client.get(reverse("events_public"), {"kind": "webinar"}).content.decode()
    assert "Paris seminar" not in page
    assert "Webinar on rights" in page
    page = client.get(reverse("events_public"), {"language": "fr"}).content.decode()
    assert "Paris seminar" in page
    assert "Webinar on rights" not in page
    assert (
        "Paris seminar"
        not in client.get(reverse("events_public"), {"when": "past"}).content.decode()
    )
    feed = client.get(reverse("events_feed"), {"kind": "seminar"})
    assert feed["Content-Type"].startswith("text/calendar")
    assert b"Paris seminar" in feed.content
    assert b"Webinar on rights" not in feed.content
    # A filter no form offers is said to be ignored, and is: the others still apply.
    odd = client.get(reverse("events_public"), {"country": "F1", "kind": "webinar"})
    assert odd.status_code == 400
    body = odd.content.decode()
    assert "not understood and are ignored" in body
    assert "Webinar on rights" in body
    assert "Paris seminar" not in body
    # The filter's own field, not the header's language switcher, is what its label names.
    assert body.count('id="event-language"') == 1
    assert '<label for="event-language">' in body


def test_a_cancelled_event_shows_why(client: Client, officer: User, north: Organisation) -> None:
    event = published_event(north, officer)
    event.cancel_reason = "Storm warning"
    event.status = "cancelled"
    event.save()
    page = client.get(url(event, "event_public")).content.decode()
    assert "cancelled" in page
    assert "Storm warning" in page
    assert register(client, event).status_code == 400


def test_an_invalid_manage_link_is_refused(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    assert client.get(url(event, "event_registration", token="nope")).status_code == 400


def test_times_are_shown_in_the_event_time_zone(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, timezone="Asia/Tokyo")
    local = content.local_time(event, event.starts_at)
    page = client.get(url(event, "event_public")).content.decode()
    assert date_format(local, "DATETIME_FORMAT") in page


def test_the_event_page_names_the_events_languages(
    client: Client, officer: User, north: Organisation
) -> None:
    # base.html's language switcher names its own list "languages"; the page's must differ.
    event = published_event(north, officer, languages=["en", "fr"])
    page = client.get(url(event, "event_public")).content.decode()
    assert "Languages: English, French</p>" in page
    assert "'bidi'" not in page
    # Named in the visitor's language.
    french = client.get(url(event, "event_public"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Langues\u00a0: Anglais, Français</p>" in french
    spanish = client.get(url(event, "event_public"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Inglés, Francés</p>" in spanish


def test_partners_are_named_with_the_languages_punctuation(
    client: Client, officer: User, north: Organisation, south: Organisation
) -> None:
    event = published_event(north, officer)
    actions.add_partner(actor=officer, event=event, organisation=south, role="co_host")
    english = client.get(url(event, "event_public")).content.decode()
    assert "<p>Co-host: South Helpline</p>" in english
    # French sets a space before the colon.
    french = client.get(url(event, "event_public"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<p>Co-hôte\u00a0: South Helpline</p>" in french


def _carl_and_cora_wait_behind_ann_and_bob(
    officer: User, north: Organisation
) -> tuple[Event, dict[str, Registration]]:
    """Capacity 2: Ann and Bob hold the places; Carl with Cora, then Dana, wait."""
    event = published_event(north, officer, capacity=2, group_size=2, offer_hours=24)
    people: dict[str, Registration] = {}
    for name in ("Ann", "Bob"):
        booker = actions.register(event=event, name=name, email=f"{name}@example.org").booker
        assert booker is not None
        people[name] = booker
    carl, cora = actions.register(
        event=event, name="Carl", email="carl@example.org", companions=["Cora"]
    ).registrations
    dana = actions.register(event=event, name="Dana", email="dana@example.org").booker
    assert dana is not None
    people.update(Carl=carl, Cora=cora, Dana=dana)
    assert {people[name].status for name in ("Carl", "Cora", "Dana")} == {"waiting"}
    tasks.send_notices.call()
    return event, people


def test_a_place_offered_to_a_companion_reaches_the_booker_who_accepts_it(
    client: Client, officer: User, north: Organisation
) -> None:
    event, people = _carl_and_cora_wait_behind_ann_and_bob(officer, north)
    actions.cancel_registrations(event=event, registrations=[people["Ann"]])
    mail.outbox.clear()
    tasks.send_notices.call()
    first_offer = only_message_to("carl@example.org")
    # The first offer says whom the place is for: Carl, not his group.
    assert "for Carl," in str(first_offer.body)
    assert "Cora" not in str(first_offer.body)
    manage = manage_path(first_offer)
    assert client.post(manage, {"action": "accept"}, follow=True).status_code == 200
    tasks.send_notices.call()

    actions.cancel_registrations(event=event, registrations=[people["Bob"]])
    cora = people["Cora"]
    cora.refresh_from_db()
    assert cora.status == RegistrationStatus.OFFERED
    mail.outbox.clear()
    tasks.send_notices.call()
    offer = only_message_to("carl@example.org")
    assert "A place" in offer.subject
    assert "for Cora," in str(offer.body)
    assert "for Cora," in html_part(offer)
    manage = manage_path(offer)
    page = client.get(manage).content.decode()
    assert "Accept the place for Cora" in page
    assert "Accept the place for Carl" not in page

    response = client.post(manage, {"action": "accept", "member": str(cora.pk)}, follow=True)
    assert response.status_code == 200
    assert "The place is yours" in response.content.decode()
    cora.refresh_from_db()
    assert cora.status == RegistrationStatus.CONFIRMED
    event.refresh_from_db()
    assert (event.places_taken, access.places_held(event)) == (2, 2)
    mail.outbox.clear()
    tasks.send_notices.call()
    confirmed = only_message_to("carl@example.org")
    assert "The place of Cora" in str(confirmed.body)
    tickets = [name for name, _c, kind in confirmed.attachments if kind == "image/png"]
    assert tickets == ["ticket-1.png", "ticket-2.png"]
    assert "Accept the place" not in client.get(manage).content.decode()


def test_a_companions_offer_that_lapses_goes_to_the_next_in_line(
    client: Client, officer: User, north: Organisation
) -> None:
    event, people = _carl_and_cora_wait_behind_ann_and_bob(officer, north)
    actions.cancel_registrations(event=event, registrations=[people["Ann"], people["Bob"]])
    for name in ("Carl", "Cora"):
        people[name].refresh_from_db()
        assert people[name].status == RegistrationStatus.OFFERED
    mail.outbox.clear()
    tasks.send_notices.call()
    # One e-mail for both places, naming both.
    assert "for Carl, Cora," in str(only_message_to("carl@example.org").body)
    manage = manage_path(only_message_to("carl@example.org"))
    client.post(manage, {"action": "accept", "member": str(people["Carl"].pk)})
    tasks.send_notices.call()

    assert actions.expire_offers(timezone.now() + timedelta(hours=25)) == 1
    cora, dana = people["Cora"], people["Dana"]
    cora.refresh_from_db()
    dana.refresh_from_db()
    assert (cora.status, dana.status) == (RegistrationStatus.EXPIRED, RegistrationStatus.OFFERED)
    event.refresh_from_db()
    assert (event.places_taken, access.places_held(event)) == (2, 2)
    mail.outbox.clear()
    tasks.send_notices.call()
    assert "The place offered for Cora" in str(only_message_to("carl@example.org").body)
    assert "A place" in only_message_to("dana@example.org").subject
    response = client.post(manage, {"action": "accept", "member": str(cora.pk)})
    assert response.status_code == 400
    cora.refresh_from_db()
    assert cora.status == RegistrationStatus.EXPIRED


def test_the_privacy_notice_says_when_the_registrants_data_is_erased(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, anonymise_after_days=30, timezone="Pacific/Auckland")
    page = client.get(url(event, "event_register")).content.decode()
    erased = content.local_time(event, event.ends_at + timedelta(days=30))
    assert (
        f"Your name, e-mail address and answers are erased 30 days after the event, "
        f"on {date_format(erased, 'DATE_FORMAT')}." in page
    )
    assert "deleted after the event" not in page


def test_the_deadline_is_on_the_event_page_and_the_form_in_the_events_time_zone(
    client: Client, officer: User, north: Organisation
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(days=7)
    event = published_event(
        north, officer, timezone="Asia/Tokyo", registration_closes_at=start - timedelta(days=1)
    )
    assert event.registration_closes_at is not None
    closes = content.local_time(event, event.registration_closes_at)
    zone = '<span class="event-zone" title="Asia/Tokyo">JST, UTC+9</span>'
    said = f"Registration closes on {date_format(closes, 'DATETIME_FORMAT')} ({zone})."
    assert said in client.get(url(event, "event_public")).content.decode()
    assert said in client.get(url(event, "event_register")).content.decode()


def test_optional_questions_are_marked_and_an_optional_yes_or_no_can_be_left_blank(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    needed = actions.save_question(actor=officer, event=event, label="Organisation", required=True)
    press = actions.save_question(actor=officer, event=event, label="Press", kind="yes_no")
    sure = actions.save_question(
        actor=officer, event=event, label="Photos allowed", kind="yes_no", required=True
    )
    page = client.get(url(event, "event_register")).content.decode()
    assert "Press (optional)" in page
    assert "Organisation (optional)" not in page
    assert "Photos allowed (optional)" not in page
    assert page.count("No answer") == 1
    answers = {f"question_{needed.pk}": "North", f"question_{press.pk}": ""}
    response = register(client, event, **answers, **{f"question_{sure.pk}": "no"})
    assert response.status_code == 302
    [registration] = Registration.objects.filter(event=event)
    assert registration.answers == {str(needed.pk): "North", str(sure.pk): "no"}


def test_cancelling_asks_first_and_cancels_only_when_confirmed(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2)
    carl, cora = actions.register(
        event=event, name="Carl", email="carl@example.org", companions=["Cora"]
    ).registrations
    manage = url(event, "event_registration", token=access.manage_token(carl))
    asked = client.post(manage, {"action": "cancel", "member": str(cora.pk)})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Yes, cancel for Cora" in page
    assert 'name="confirm" value="yes"' in page
    assert asked["Cache-Control"] == "no-store"
    cora.refresh_from_db()
    assert cora.status == RegistrationStatus.CONFIRMED
    assert "Yes, cancel for everyone" in client.post(manage, {"action": "cancel"}).content.decode()

    done = client.post(
        manage, {"action": "cancel", "member": str(cora.pk), "confirm": "yes"}, follow=True
    )
    assert "Cancelled." in done.content.decode()
    carl.refresh_from_db()
    cora.refresh_from_db()
    assert (carl.status, cora.status) == (RegistrationStatus.CONFIRMED, "cancelled")


def test_a_same_day_event_gives_its_date_once(
    client: Client, officer: User, north: Organisation
) -> None:
    evening = datetime(2027, 12, 20, 17, tzinfo=UTC)
    event = actions.update_event(
        actor=officer,
        event=published_event(north, officer),
        changes={"starts_at": evening, "ends_at": evening + timedelta(hours=2)},
    )
    starts = content.local_time(event, event.starts_at)
    ends = content.local_time(event, event.ends_at)
    once = (
        f"{date_format(starts, 'DATE_FORMAT')}, {date_format(starts, 'TIME_FORMAT')} – "
        f"{date_format(ends, 'TIME_FORMAT')}"
    )
    # The zone as people read it, its IANA name in the title.
    zone = '<span class="event-zone" title="Europe/Paris">CET, UTC+1</span>'
    assert f">{once}</time> ({zone})" in client.get(url(event, "event_public")).content.decode()
    actions.register(event=event, name="Ana", email="ana@example.org")
    mail.outbox.clear()
    tasks.send_notices.call()
    message = only_message_to("ana@example.org")
    assert f"{once} (CET, UTC+1)" in str(message.body)
    assert f"{once} (CET, UTC+1)" in html_part(message)
    # Over two days, both dates.
    longer = actions.update_event(
        actor=officer, event=event, changes={"ends_at": event.ends_at + timedelta(days=1)}
    )
    page = client.get(url(longer, "event_public")).content.decode()
    later = content.local_time(longer, longer.ends_at)
    assert f"{date_format(later, 'DATETIME_FORMAT')}</time> ({zone})" in page


def test_the_calendar_file_describes_the_event_in_plain_text(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(
        north,
        officer,
        description="A *panel* with [advocates](https://example.org) & friends.\n\n"
        "Then **drinks**.",
    )
    body = client.get(url(event, "event_calendar")).content
    [entry] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    described = str(entry["DESCRIPTION"])
    assert described.startswith("A panel with advocates & friends.\n\nThen drinks.\n\n")
    assert described.endswith(content.public_url(event))
