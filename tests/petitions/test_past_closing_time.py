"""A petition past its closing time is closed for its owner too, before the nightly run."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.petitions import access, actions
from haven.petitions.models import Petition, PetitionStatus
from tests.conftest import bearer, client_for

MOVES = ("pause", "resume", "close")


def _overdue(petition: Petition, adam: User, *, paused: bool = False) -> Petition:
    if paused:
        actions.move_petition(actor=adam, petition=petition, move="pause")
        petition.refresh_from_db()
    return actions.update_petition(
        actor=adam, petition=petition, changes={"closes_at": timezone.now() - timedelta(hours=1)}
    )


def _buttons(page: str) -> set[str]:
    return {move for move in MOVES if f'name="move" value="{move}"' in page}


def test_the_owner_pages_say_open_and_offer_the_steps_before_the_closing_time(petition, adam):
    owner = client_for(adam)
    detail = owner.get(
        reverse("petition_detail", kwargs={"org": "north", "petition_id": petition.pk})
    ).content.decode()
    assert '<span class="tag">Open</span>' in detail
    assert _buttons(detail) == {"pause", "close"}
    listed = owner.get(reverse("petition_list", kwargs={"org": "north"})).content.decode()
    assert '<span class="tag">Open</span>' in listed


@pytest.mark.parametrize("paused", [False, True])
def test_the_owner_pages_say_closed_past_the_closing_time_and_offer_no_step(petition, adam, paused):
    _overdue(petition, adam, paused=paused)
    owner = client_for(adam)
    detail = owner.get(
        reverse("petition_detail", kwargs={"org": "north", "petition_id": petition.pk})
    ).content.decode()
    assert '<span class="tag">Closed</span>' in detail
    assert '<span class="tag">Open</span>' not in detail
    assert "signing paused" not in detail
    assert _buttons(detail) == set()
    assert "Signatures will be anonymised on" in detail
    listed = owner.get(reverse("petition_list", kwargs={"org": "north"})).content.decode()
    assert '<span class="tag">Closed</span>' in listed
    assert '<span class="tag">Open</span>' not in listed
    assert '<span class="tag">paused</span>' not in listed


def test_a_paused_petition_before_its_closing_time_is_open_and_paused(petition, adam):
    actions.move_petition(actor=adam, petition=petition, move="pause")
    detail = (
        client_for(adam)
        .get(reverse("petition_detail", kwargs={"org": "north", "petition_id": petition.pk}))
        .content.decode()
    )
    assert '<span class="tag">Open</span> <span class="tag">signing paused</span>' in detail
    assert _buttons(detail) == {"resume", "close"}


def _api(adam: User, petition: Petition, path: str = "") -> Any:
    client = Client()
    response = client.get(f"/api/orgs/north/petitions/{petition.pk}{path}", **bearer(adam))
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_the_api_says_closed_past_the_closing_time(petition, adam):
    assert (_api(adam, petition)["status"], _api(adam, petition)["paused"]) == ("open", False)
    _overdue(petition, adam, paused=True)
    one = _api(adam, petition)
    assert (one["status"], one["paused"]) == ("closed", False)
    listed = json.loads(Client().get("/api/orgs/north/petitions", **bearer(adam)).content.decode())
    assert [(item["status"], item["paused"]) for item in listed] == [("closed", False)]
    public = json.loads(Client().get(f"/api/petitions/north/{petition.slug}").content)
    assert (public["status"], public["accepting_signatures"]) == ("closed", False)


@pytest.mark.parametrize("paused", [False, True])
def test_pausing_or_resuming_past_the_closing_time_is_refused_and_changes_nothing(
    petition, adam, paused
):
    _overdue(petition, adam, paused=paused)
    move = "resume" if paused else "pause"
    response = Client().post(
        f"/api/orgs/north/petitions/{petition.pk}/status",
        json.dumps({"move": move}),
        content_type="application/json",
        **bearer(adam),
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": {"__all__": ["A petition that is “Closed” cannot take this step."]}
    }
    page = client_for(adam).post(
        reverse("petition_move", kwargs={"org": "north", "petition_id": petition.pk}),
        {"move": move},
    )
    assert page.status_code == 400
    petition.refresh_from_db()
    assert (petition.status, petition.paused) == (PetitionStatus.OPEN, paused)


def test_closing_past_the_closing_time_records_the_end_as_the_nightly_run_does(petition, adam):
    _overdue(petition, adam)
    response = Client().post(
        f"/api/orgs/north/petitions/{petition.pk}/status",
        json.dumps({"move": "close"}),
        content_type="application/json",
        **bearer(adam),
    )
    assert response.status_code == 200, response.content
    petition.refresh_from_db()
    assert petition.status == PetitionStatus.CLOSED
    assert petition.closed_at is not None


def test_the_status_as_it_stands_follows_the_closing_time(petition):
    moment = timezone.now()
    petition.closes_at = moment
    assert access.status_now(petition, moment - timedelta(seconds=1)) == PetitionStatus.OPEN
    assert access.status_now(petition, moment) == PetitionStatus.CLOSED
    petition.status = PetitionStatus.DRAFT
    assert access.status_now(petition, moment) == PetitionStatus.DRAFT


def test_a_draft_whose_closing_time_has_passed_is_not_opened(adam, north):
    from django.core.exceptions import ValidationError

    from tests.petitions.conftest import draft_petition

    draft = draft_petition(adam, north)
    actions.update_petition(
        actor=adam, petition=draft, changes={"closes_at": timezone.now() - timedelta(minutes=1)}
    )
    with pytest.raises(ValidationError) as refused:
        actions.move_petition(actor=adam, petition=draft, move="open")
    assert "closing time has passed" in str(refused.value.message_dict["closes_at"])
    draft.refresh_from_db()
    assert draft.status == PetitionStatus.DRAFT
    assert draft.opened_at is None
    actions.update_petition(
        actor=adam, petition=draft, changes={"closes_at": timezone.now() + timedelta(days=1)}
    )
    assert actions.move_petition(actor=adam, petition=draft, move="open").status == "open"


def test_past_its_closing_time_the_text_stays_and_the_petition_does_not_open_again(petition, adam):
    overdue = _overdue(petition, adam)
    for changes in ({"title": "Another text"}, {"body": "Another text."}):
        with pytest.raises(ValidationError, match="closed petition"):
            actions.update_petition(actor=adam, petition=overdue, changes=changes)
    for later in (timezone.now() + timedelta(days=3), None):
        with pytest.raises(ValidationError) as refused:
            actions.update_petition(actor=adam, petition=overdue, changes={"closes_at": later})
        assert "does not open again" in str(refused.value.message_dict["closes_at"])
    overdue.refresh_from_db()
    assert overdue.title == "Fund shelters for survivors"
    assert not access.accepts_signatures(overdue)
    # Through the API alike; a setting that opens nothing still changes.
    owner = bearer(adam)
    path = f"/api/orgs/north/petitions/{petition.pk}"
    for body in ({"title": "Another text"}, {"closes_at": "2030-01-01T00:00:00Z"}):
        sent = Client().patch(path, json.dumps(body), content_type="application/json", **owner)
        assert sent.status_code == 400, sent.content
    kept = actions.update_petition(actor=adam, petition=overdue, changes={"goal": 5000})
    assert kept.goal == 5000
