"""The advocacy staff's pages: draft, programme, publish, registrations, export."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import pyzipper  # type: ignore[import-untyped]
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import Event, EventStatus, Question, Session, SessionSpeaker, Speaker
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.events.world import event_objects, published_event

pytestmark = pytest.mark.usefixtures("unscoped")

EVENT_FORM = {
    "language": "en",
    "kind": "seminar",
    "title": "Evening on exit programmes",
    "description": "A *panel* with survivors' advocates.",
    "timezone": "Europe/Paris",
    "starts_at": "2027-01-15T18:00",
    "ends_at": "2027-01-15T21:00",
    "in_person": "on",
    "venue_name": "Maison des associations",
    "city": "Paris",
    "country": "FR",
    "languages": "en, fr",
    "interpretation": "fr",
    "visibility": "public",
    "registration_open": "on",
    "capacity": "80",
    "waiting_list": "on",
    "offer_hours": "48",
    "group_size": "1",
    "id_check": "on",
    "anonymise_after_days": "90",
}


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)


@pytest.fixture
def staff(officer: User) -> Client:
    return client_for(officer)


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "north", **kwargs})


def test_create_edit_programme_question_publish_through_the_pages(
    staff: Client, north: Organisation
) -> None:
    response = staff.post(url("event_create"), EVENT_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(owner=north)
    # Typed in Paris time, stored in UTC (Paris is UTC+1 in January).
    assert event.starts_at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)
    assert (event.languages, event.interpretation, event.id_check) == (["en", "fr"], ["fr"], True)
    assert response["Location"] == url("event_detail", event_id=event.pk)

    edited = {**EVENT_FORM, "title": "Evening on exit programmes (2nd)", "capacity": "100"}
    assert staff.post(url("event_edit", event_id=event.pk), edited).status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity) == ("Evening on exit programmes (2nd)", 100)

    session_form = {
        "kind": "panel",
        "title": "Round table",
        "starts_at": "2027-01-15T18:30",
        "ends_at": "2027-01-15T19:30",
        "room": "Salle 2",
    }
    assert (
        staff.post(url("event_programme_edit", event_id=event.pk), session_form).status_code == 302
    )
    session = Session.objects.get(event=event)
    assert session.starts_at == datetime(2027, 1, 15, 17, 30, tzinfo=UTC)

    speaker_form = {"name": "Dr. A. Martin", "title": "Researcher", "organisation": north.pk}
    assert staff.post(url("speaker_list"), speaker_form).status_code == 302
    speaker = Speaker.objects.get(owner=north)
    session_url = url("event_session", event_id=event.pk, session_id=session.pk)
    placed = {
        "action": "add_speaker",
        "speaker": speaker.pk,
        "role": "moderator",
        "talk_title": "Exit",
    }
    assert staff.post(session_url, placed).status_code == 302
    assert SessionSpeaker.objects.filter(session=session, role="moderator").exists()

    question = {"label": "Organisation", "kind": "text", "required": "on"}
    assert staff.post(url("event_questions", event_id=event.pk), question).status_code == 302
    assert Question.objects.filter(event=event, label="Organisation", required=True).exists()

    assert staff.post(url("event_move", event_id=event.pk), {"move": "publish"}).status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED
    page = staff.get(url("event_detail", event_id=event.pk))
    assert page.status_code == 200
    assert "Evening on exit programmes" in page.content.decode()


def test_every_page_renders_for_an_advocacy_officer(
    staff: Client, officer: User, north: Organisation
) -> None:
    objects = event_objects(north, officer)
    event_id = objects["event_id"]
    event = access.event_for(north, int(str(event_id)))
    actions.set_secret(actor=officer, event=event, meeting_url="https://meet.example.org/secret")
    pages = [
        url("event_list"),
        url("event_create"),
        url("event_detail", event_id=event_id),
        url("event_edit", event_id=event_id),
        url("event_texts", event_id=event_id),
        url("event_partners", event_id=event_id),
        url("speaker_list"),
        url("speaker_edit", speaker_id=objects["speaker_id"]),
        url("event_programme_edit", event_id=event_id),
        url("event_session", event_id=event_id, session_id=objects["session_id"]),
        url("event_questions", event_id=event_id),
        url("event_codes", event_id=event_id),
        url("event_registrations", event_id=event_id),
        url(
            "event_registration_detail",
            event_id=event_id,
            registration_id=objects["registration_id"],
        ),
        url("event_export", event_id=event_id),
    ]
    for page in pages:
        response = staff.get(page)
        assert response.status_code == 200, page
    texts = staff.get(url("event_texts", event_id=event_id)).content.decode()
    assert "https://meet.example.org/secret" in texts
    registrations = staff.get(url("event_registrations", event_id=event_id)).content.decode()
    assert "Matrix Visitor" in registrations


def test_bad_input_is_refused_with_400_and_changes_nothing(
    staff: Client, officer: User, north: Organisation
) -> None:
    bad = {**EVENT_FORM, "ends_at": "2027-01-15T17:00"}  # ends before it starts
    assert staff.post(url("event_create"), bad).status_code == 400
    assert (
        staff.post(url("event_create"), {**EVENT_FORM, "timezone": "Mars/Base"}).status_code == 400
    )
    assert staff.post(url("event_create"), {**EVENT_FORM, "languages": "xx, zz"}).status_code == 400
    assert not Event.objects.filter(owner=north).exists()

    event = published_event(north, officer)
    edit = {**EVENT_FORM, "title": "", "capacity": "-3"}
    assert staff.post(url("event_edit", event_id=event.pk), edit).status_code == 400
    outside = {
        "kind": "panel",
        "title": "Late",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T11:00",
    }
    assert staff.post(url("event_programme_edit", event_id=event.pk), outside).status_code == 400
    assert staff.post(url("event_move", event_id=event.pk), {"move": "cancel"}).status_code == 400
    assert staff.post(url("event_move", event_id=event.pk), {"move": "explode"}).status_code == 400
    assert (
        staff.post(
            url("event_questions", event_id=event.pk), {"label": "Pick", "kind": "choice"}
        ).status_code
        == 400
    )
    assert (
        staff.post(url("event_questions", event_id=event.pk), {"remove": "abc"}).status_code == 400
    )
    assert (
        staff.post(
            url("event_partners", event_id=event.pk), {"organisation": north.pk, "role": "co_host"}
        ).status_code
        == 400
    )
    assert (
        staff.post(url("event_codes", event_id=event.pk), {"uses_allowed": "0"}).status_code == 400
    )
    assert (
        staff.post(
            url("event_meeting", event_id=event.pk), {"meeting_url": "javascript:alert(1)"}
        ).status_code
        == 400
    )
    assert (
        staff.get(url("event_registrations", event_id=event.pk), {"status": "bogus"}).status_code
        == 400
    )
    event.refresh_from_db()
    assert (event.title, event.status) == ("Matrix event", EventStatus.PUBLISHED)
    assert not Session.objects.filter(event=event).exists()
    assert not Question.objects.filter(event=event).exists()
    assert actions.secret_of(event).meeting_url == ""


def test_another_organisations_staff_get_404(
    officer: User, north: Organisation, south: Organisation
) -> None:
    objects = event_objects(north, officer)
    other = client_for(make_user("sam", south, Role.ADVOCACY_OFFICER, mfa=False))
    event_id = objects["event_id"]
    for name, kwargs in [
        ("event_detail", {"event_id": event_id}),
        ("event_edit", {"event_id": event_id}),
        ("event_registrations", {"event_id": event_id}),
        ("event_export", {"event_id": event_id}),
        ("speaker_edit", {"speaker_id": objects["speaker_id"]}),
        ("event_session", {"event_id": event_id, "session_id": objects["session_id"]}),
    ]:
        assert other.get(reverse(name, kwargs={"org": "south", **kwargs})).status_code == 404, name
    response = other.post(
        reverse("event_move", kwargs={"org": "south", "event_id": event_id}),
        {"move": "cancel", "reason": "x"},
    )
    assert response.status_code == 404


def test_registrations_view_is_audited_and_searches_decrypted_names(
    staff: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=10)
    actions.register(event=event, name="Amina Diallo", email="amina@example.org")
    actions.register(event=event, name="Bruno Costa", email="bruno@example.org")
    page = staff.get(url("event_registrations", event_id=event.pk), {"q": "amina"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Amina Diallo" in body
    assert "Bruno Costa" not in body
    entry = AuditEvent.objects.get(action="event.registrations_viewed")
    assert entry.details["count"] == 1
    assert "Amina" not in str(entry.details)


def test_cancel_and_revoke_from_the_registration_page(
    staff: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1)
    first = actions.register(event=event, name="First", email="first@example.org").booker
    second = actions.register(event=event, name="Second", email="second@example.org").booker
    assert first is not None
    assert second is not None
    detail = url("event_registration_detail", event_id=event.pk, registration_id=first.pk)
    old_nonce = first.link_nonce
    assert staff.post(detail, {"action": "revoke_link"}).status_code == 302
    first.refresh_from_db()
    assert first.link_nonce != old_nonce
    assert staff.post(detail, {"action": "cancel"}).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "offered")
    assert staff.post(detail, {"action": "nonsense"}).status_code == 400


def test_the_export_is_encrypted_audited_and_has_the_attendance_summary(
    staff: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=10)
    actions.register(event=event, name="Amina Diallo", email="amina@example.org")
    export = url("event_export", event_id=event.pk)
    response = staff.post(export, {"file_format": "csv", "passphrase": "a long passphrase"})
    assert response["Content-Type"] == "application/zip"
    assert b"Amina" not in response.content
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        archive.setpassword(b"a long passphrase")
        [name] = archive.namelist()
        text = archive.read(name).decode("utf-8-sig")
    assert "Amina Diallo" in text
    assert "total_registered,1" in text
    assert "total_checked_in,0" in text
    entry = AuditEvent.objects.get(action="event.registrations_exported")
    assert entry.details["rows"] == 1
    assert staff.post(export, {"file_format": "pdf", "passphrase": "short"}).status_code == 400
    assert AuditEvent.objects.filter(action="event.registrations_exported").count() == 1


def test_answers_read_as_labels_in_the_list_the_registration_and_the_export(
    staff: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, interpretation=["fr"])
    press = actions.save_question(actor=officer, event=event, label="Press", kind="yes_no")
    into = actions.save_question(actor=officer, event=event, label="Into", kind="language")
    amina = actions.register(
        event=event,
        name="Amina Diallo",
        email="amina@example.org",
        answers={str(press.pk): "yes", str(into.pk): "fr"},
    ).booker
    assert amina is not None
    listed = staff.get(url("event_registrations", event_id=event.pk)).content.decode()
    detail = url("event_registration_detail", event_id=event.pk, registration_id=amina.pk)
    shown = staff.get(detail).content.decode()
    for page in (listed, shown):
        assert "Yes" in page
        assert "French" in page
        assert ">yes<" not in page
        assert " fr<" not in page
    response = staff.post(
        url("event_export", event_id=event.pk),
        {"file_format": "csv", "passphrase": "a long passphrase"},
    )
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        archive.setpassword(b"a long passphrase")
        [name] = archive.namelist()
        row = archive.read(name).decode("utf-8-sig").splitlines()[1]
    assert row.endswith(",Yes,French")


def test_staff_pages_name_the_time_zone_as_people_read_it(
    north: Organisation, officer: User
) -> None:
    event = published_event(north, officer, timezone="Asia/Tokyo")
    Session.objects.create(
        event=event,
        title="Opening",
        kind="opening",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    client = client_for(officer)
    zone = '<span class="event-zone" title="Asia/Tokyo">JST, UTC+9</span>'
    for name, kwargs in (
        ("event_list", {"org": "north"}),
        ("event_detail", {"org": "north", "event_id": event.pk}),
        ("event_programme_edit", {"org": "north", "event_id": event.pk}),
    ):
        page = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert zone in page, name
    programme = client.get(
        reverse("event_programme_edit", kwargs={"org": "north", "event_id": event.pk})
    ).content.decode()
    assert "Times in the event's time zone, JST, UTC+9." in programme
