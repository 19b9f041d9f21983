"""Ending a membership after a confirmation, and deleting one entered by mistake."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.organisations.models import Membership
from tests.conftest import bearer, client_for
from tests.organisations.helpers import audit_events, coalition_today, membership_of
from tests.reporting.helpers import open_period, quarters_back, sample_figures, send_figures

MEMBERS = "/api/orgs/coalition/network/members"


def url(name: str, membership: Membership) -> str:
    return reverse(name, kwargs={"org": "coalition", "membership_id": membership.pk})


def delete(client: Client, user: Any, membership: Membership) -> Any:
    return client.delete(f"{MEMBERS}/{membership.pk}", **bearer(user))


def test_ending_a_membership_asks_for_confirmation_first(cora, coalition, south):
    membership = membership_of(coalition, south)
    client = client_for(cora)
    last_day = coalition_today() + timedelta(days=10)

    asked = client.post(url("network_membership_end", membership), {"end-until": last_day})

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "End the membership of South Helpline?" in page
    assert f'name="end-until" value="{last_day.isoformat()}"' in page
    membership.refresh_from_db()
    assert membership.until is None
    assert audit_events("directory.membership_ended") == []

    done = client.post(
        url("network_membership_end", membership),
        {"end-until": last_day.isoformat(), "end-confirmed": "yes"},
    )

    assert done.status_code == 302
    membership.refresh_from_db()
    assert membership.until == last_day


def test_the_confirmation_step_refuses_a_bad_date_before_asking(cora, coalition, south):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(since=date(2020, 1, 1))
    response = client_for(cora).post(
        url("network_membership_end", membership), {"end-until": "2019-12-31"}
    )
    assert response.status_code == 400
    assert "End the membership of" not in response.content.decode()


def test_a_membership_not_started_cannot_end_and_says_to_delete_it(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(
        since=timezone.localdate() + timedelta(days=200)
    )
    response = client.post(
        f"{MEMBERS}/{membership.pk}/end", {}, content_type="application/json", **bearer(cora)
    )
    assert response.status_code == 400
    assert "has not started yet" in response.json()["detail"]["until"][0]
    membership.refresh_from_db()
    assert membership.until is None


def test_a_membership_entered_by_mistake_is_deleted_after_confirmation(cora, coalition, south):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(
        since=timezone.localdate() + timedelta(days=200)
    )
    client = client_for(cora)
    assert url("network_membership_delete", membership) in (
        client.get(url("network_membership_edit", membership)).content.decode()
    )
    confirm = client.get(url("network_membership_delete", membership))
    assert confirm.status_code == 200
    assert "Delete the membership of South Helpline?" in confirm.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()

    response = client.post(url("network_membership_delete", membership))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    events = audit_events("directory.membership_deleted")
    assert {event.organisation for event in events} == {coalition.organisation, south}
    assert events[0].object_id == str(membership.pk)
    assert events[0].details["category"] == "partner"


def test_the_api_deletes_a_membership_nothing_rests_on(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    response = delete(client, cora, membership)
    assert response.status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert len(audit_events("directory.membership_deleted")) == 2


def test_a_membership_the_members_sent_figures_rest_on_is_kept(
    client, cora, alice, coalition, north
):
    period = open_period(cora, coalition, quarters_back(1)[0])
    send_figures(alice, north, period, sample_figures())
    membership = membership_of(coalition, north)

    response = delete(client, cora, membership)

    assert response.status_code == 400
    assert "end it instead" in response.json()["detail"]["__all__"][0]
    assert Membership.objects.filter(pk=membership.pk).exists()
    page = client_for(cora).get(url("network_membership_delete", membership))
    assert "end it instead" in page.content.decode()
    assert "Delete the membership</button>" not in page.content.decode()
    refused = client_for(cora).post(url("network_membership_delete", membership))
    assert refused.status_code == 400
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert audit_events("directory.membership_deleted") == []


def test_a_second_membership_entered_by_mistake_goes_though_figures_rest_on_the_first(
    client, cora, alice, coalition, north
):
    period = open_period(cora, coalition, quarters_back(1)[0])
    send_figures(alice, north, period, sample_figures())
    Membership.objects.filter(network=coalition, organisation=north).update(since=date(2015, 1, 1))
    mistake = Membership.objects.create(
        network=coalition, organisation=north, since=date(2010, 1, 1), until=date(2012, 1, 1)
    )
    assert delete(client, cora, mistake).status_code == 204


def test_memberships_of_another_network_cannot_be_deleted(client, cora, coalition, other_network):
    foreign = other_network.memberships.get()
    assert delete(client, cora, foreign).status_code == 404
    assert client_for(cora).post(url("network_membership_delete", foreign)).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_a_confirmation_that_is_not_yes_ends_nothing(cora, coalition, south):
    membership = membership_of(coalition, south)
    response = client_for(cora).post(
        url("network_membership_end", membership), {"end-confirmed": "x" * 5000}
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.until is None
