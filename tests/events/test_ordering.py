"""Staff put partners, a session's speakers and the questions in order, and change a
question in place without making the answers already given meaningless."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events import actions
from haven.events.models import Event, EventPartner, Question, Session, SessionSpeaker
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_organisation
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _auth(user: User) -> dict[str, Any]:
    return dict(bearer(user))


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "north", **kwargs})


@pytest.fixture
def staff(adam: User) -> Client:
    return client_for(adam)


@pytest.fixture
def event(north: Organisation, adam: User) -> Event:
    return published_event(north, adam, title="Side event", interpretation=["fr", "es"])


def _sponsors(event: Event, adam: User) -> list[EventPartner]:
    names = ("France", "Iceland", "Sweden")
    states = [make_organisation(name.lower(), name=name, kind="state") for name in names]
    for state in states:
        actions.add_partner(actor=adam, event=event, organisation=state, role="co_sponsor")
    return list(EventPartner.objects.filter(event=event).order_by("position", "pk"))


def _public_order(client: Client, event: Event, names: tuple[str, ...]) -> list[str]:
    page = client.get(f"/events/north/{event.slug}/").content.decode()
    return sorted(names, key=page.index)


def test_a_partner_moves_up_without_javascript_and_the_public_page_follows(
    staff: Client, adam: User, event: Event
) -> None:
    france, _iceland, sweden = _sponsors(event, adam)
    names = ("France", "Iceland", "Sweden")
    assert _public_order(Client(), event, names) == ["France", "Iceland", "Sweden"]

    answer = staff.post(
        url("event_partners", event_id=event.pk), {"move": sweden.pk, "direction": "up"}
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"#partner-{sweden.pk}")
    assert _public_order(Client(), event, names) == ["France", "Sweden", "Iceland"]
    assert AuditEvent.objects.filter(action="event.partners_reordered").count() == 1

    # Already first: nothing moves, and nothing is recorded.
    staff.post(url("event_partners", event_id=event.pk), {"move": france.pk, "direction": "up"})
    assert _public_order(Client(), event, names) == ["France", "Sweden", "Iceland"]
    assert AuditEvent.objects.filter(action="event.partners_reordered").count() == 1


def test_htmx_gets_the_list_back_with_a_status_line_and_the_same_button_ids(
    staff: Client, adam: User, event: Event
) -> None:
    france, _iceland, _sweden = _sponsors(event, adam)
    page = staff.get(url("event_partners", event_id=event.pk)).content.decode()
    assert f'id="partner-{france.pk}-down"' in page
    assert 'id="order-status"' in page
    answer = staff.post(
        url("event_partners", event_id=event.pk),
        {"move": france.pk, "direction": "down"},
        **HTMX,
    )
    assert answer.status_code == 200
    fragment = answer.content.decode()
    assert fragment.lstrip().startswith('<div id="partner-list">')
    assert "<html" not in fragment
    # htmx puts the focus back on the button that was pressed: it keeps its id.
    assert f'id="partner-{france.pk}-down"' in fragment
    assert 'hx-swap-oob="innerHTML"' in fragment
    assert "Moved." in fragment
    assert fragment.index("Iceland") < fragment.index("France")


def test_bad_moves_are_refused_and_change_nothing(
    staff: Client, adam: User, event: Event, south: Organisation
) -> None:
    partners = _sponsors(event, adam)
    before = [(p.pk, p.position) for p in partners]
    target = url("event_partners", event_id=event.pk)
    for data in (
        {"move": partners[1].pk, "direction": "sideways"},
        {"move": partners[1].pk},
        {"move": "x" * 5000, "direction": "up"},
        {"move": 10**30, "direction": "up"},
    ):
        assert staff.post(target, data).status_code == 400, data
    # A partner of another event is not on this one.
    other = published_event(south, adam, title="Elsewhere")
    stray = actions.add_partner(
        actor=adam, event=other, organisation=make_organisation("norway"), role="co_host"
    )
    assert staff.post(target, {"move": stray.pk, "direction": "up"}).status_code == 400
    after = list(
        EventPartner.objects.filter(event=event).order_by("pk").values_list("pk", "position")
    )
    assert after == sorted(before)


def test_the_speakers_of_a_session_are_put_in_order(
    staff: Client, adam: User, event: Event, north: Organisation
) -> None:
    session = actions.save_session(
        actor=adam,
        event=event,
        values={
            "title": "Panel",
            "starts_at": event.starts_at,
            "ends_at": event.starts_at + timedelta(hours=1),
        },
    )
    placements = [
        actions.add_session_speaker(
            actor=adam,
            session=session,
            speaker=actions.save_speaker(actor=adam, owner=north, name=name),
        )
        for name in ("Ada Moderator", "Bea Panelist", "Cy Keynote")
    ]
    target = url("event_session", event_id=event.pk, session_id=session.pk)
    moved = staff.post(
        target, {"action": "move_speaker", "placement": placements[2].pk, "direction": "up"}
    )
    assert moved.status_code == 302
    programme = Client().get(f"/events/north/{event.slug}/programme/").content.decode()
    assert programme.index("Cy Keynote") < programme.index("Bea Panelist")
    # Through the API: the whole order at once.
    client = Client()
    order = [placements[1].pk, placements[0].pk, placements[2].pk]
    answer = client.put(
        f"/api/orgs/north/events/{event.pk}/sessions/{session.pk}/speakers/order",
        json.dumps({"ids": order}),
        content_type="application/json",
        **_auth(adam),
    )
    assert answer.status_code == 200, answer.content
    assert [row["id"] for row in answer.json()["speakers"]] == order
    assert (
        list(
            SessionSpeaker.objects.filter(session=session)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
        == order
    )
    htmx = staff.post(
        target,
        {"action": "move_speaker", "placement": placements[0].pk, "direction": "down"},
        **HTMX,
    )
    assert htmx.content.decode().lstrip().startswith('<ol id="speaker-list"')


def _questions(event: Event, adam: User) -> list[Question]:
    return [
        actions.save_question(actor=adam, event=event, label=label, kind=kind, choices=choices)
        for label, kind, choices in (
            ("Organisation", "text", ""),
            ("Role", "choice", "Speaker\nPress\nParticipant"),
            ("Interpretation", "language", ""),
        )
    ]


def test_questions_are_put_in_order_on_the_page_and_through_the_api(
    staff: Client, adam: User, event: Event
) -> None:
    organisation, role, interpretation = _questions(event, adam)
    assert (
        staff.post(
            url("event_questions", event_id=event.pk), {"move": role.pk, "direction": "up"}
        ).status_code
        == 302
    )
    form = Client().get(f"/events/north/{event.slug}/register/").content.decode()
    assert form.index("Role") < form.index("Organisation") < form.index("Interpretation")

    client = Client()
    path = f"/api/orgs/north/events/{event.pk}/questions/order"
    wanted = [interpretation.pk, organisation.pk, role.pk]
    answer = client.put(
        path, json.dumps({"ids": wanted}), content_type="application/json", **_auth(adam)
    )
    assert answer.status_code == 200, answer.content
    assert [row["id"] for row in answer.json()] == wanted
    # Not a permutation of the questions: refused, nothing changes.
    for ids in ([interpretation.pk, organisation.pk], [*wanted, wanted[0]], [*wanted[:2], 10**9]):
        refused = client.put(
            path, json.dumps({"ids": ids}), content_type="application/json", **_auth(adam)
        )
        assert refused.status_code == 400, ids
        assert "ids" in refused.json()["detail"]
    assert (
        list(Question.objects.filter(event=event).order_by("position").values_list("pk", flat=True))
        == wanted
    )


def test_the_partners_are_put_in_order_through_the_api(adam: User, event: Event) -> None:
    partners = _sponsors(event, adam)
    wanted = [partners[2].pk, partners[0].pk, partners[1].pk]
    answer = Client().put(
        f"/api/orgs/north/events/{event.pk}/partners/order",
        json.dumps({"ids": wanted}),
        content_type="application/json",
        **_auth(adam),
    )
    assert answer.status_code == 200, answer.content
    assert [row["id"] for row in answer.json()] == wanted
    assert _public_order(Client(), event, ("France", "Iceland", "Sweden")) == [
        "Sweden",
        "France",
        "Iceland",
    ]


def _edit(question: Question, **changes: Any) -> dict[str, Any]:
    values = {
        "label": question.label,
        "kind": question.kind,
        "help_text": question.help_text,
        "choices": question.choices,
        **changes,
    }
    data = {f"q{question.pk}-{name}": value for name, value in values.items()}
    return {"edit": question.pk, **data}


def test_a_question_is_changed_in_place_before_anyone_answers(
    staff: Client, adam: User, event: Event
) -> None:
    _organisation, role, _interpretation = _questions(event, adam)
    page = staff.get(url("event_questions", event_id=event.pk)).content.decode()
    assert f'name="q{role.pk}-label"' in page
    answer = staff.post(
        url("event_questions", event_id=event.pk),
        _edit(role, label="Your role", kind="text", choices="", required="on"),
    )
    assert answer.status_code == 302
    role.refresh_from_db()
    assert (role.label, role.kind, role.required) == ("Your role", "text", True)
    assert AuditEvent.objects.filter(action="event.question_updated").count() == 1


def test_once_answered_the_wording_may_change_but_not_the_type_or_a_chosen_choice(
    staff: Client, adam: User, event: Event
) -> None:
    _organisation, role, _interpretation = _questions(event, adam)
    actions.register(
        event=event, name="Ines", email="ines@example.org", answers={str(role.pk): "Press"}
    )
    target = url("event_questions", event_id=event.pk)

    retyped = staff.post(target, _edit(role, kind="text", choices=""))
    assert retyped.status_code == 400
    assert "cannot change" in retyped.content.decode()
    dropped = staff.post(target, _edit(role, choices="Speaker\nParticipant"))
    assert dropped.status_code == 400
    assert "“Press”" in dropped.content.decode()
    # The rejected form stays open with its errors.
    assert "<details open>" in dropped.content.decode()
    role.refresh_from_db()
    assert (role.kind, role.choice_list()) == ("choice", ["Speaker", "Press", "Participant"])

    # Rewording, a new choice, another order, dropping a choice nobody picked: all fine.
    reworded = staff.post(
        target,
        _edit(role, label="Your role at the event", choices="Press\nSpeaker\nOrganiser"),
    )
    assert reworded.status_code == 302
    role.refresh_from_db()
    assert role.label == "Your role at the event"
    assert role.choice_list() == ["Press", "Speaker", "Organiser"]


def test_the_api_keeps_answers_consistent_too(adam: User, event: Event) -> None:
    _organisation, role, _interpretation = _questions(event, adam)
    actions.register(
        event=event, name="Ines", email="ines@example.org", answers={str(role.pk): "Speaker"}
    )
    answer = Client().post(
        f"/api/orgs/north/events/{event.pk}/questions",
        json.dumps({"question_id": role.pk, "label": "Role", "kind": "yes_no"}),
        content_type="application/json",
        **_auth(adam),
    )
    assert answer.status_code == 400
    assert "kind" in answer.json()["detail"]
    role.refresh_from_db()
    assert role.kind == "choice"


def test_an_anonymised_registration_no_longer_holds_a_question_back(
    adam: User, event: Event
) -> None:
    _organisation, role, _interpretation = _questions(event, adam)
    actions.register(
        event=event, name="Ines", email="ines@example.org", answers={str(role.pk): "Speaker"}
    )
    Event.objects.filter(pk=event.pk).update(
        starts_at=event.starts_at - timedelta(days=400),
        ends_at=event.ends_at - timedelta(days=400),
    )
    event.refresh_from_db()
    actions.anonymise_event(event=event)
    changed = actions.save_question(
        actor=adam, event=event, question=role, label="Role", kind="text"
    )
    assert changed.kind == "text"


def test_a_session_of_another_event_cannot_be_reordered(
    adam: User, event: Event, north: Organisation
) -> None:
    other = published_event(north, adam, title="Another")
    session = Session.objects.create(
        event=other, title="Elsewhere", starts_at=other.starts_at, ends_at=other.ends_at
    )
    answer = Client().put(
        f"/api/orgs/north/events/{event.pk}/sessions/{session.pk}/speakers/order",
        json.dumps({"ids": []}),
        content_type="application/json",
        **_auth(adam),
    )
    assert answer.status_code == 404
