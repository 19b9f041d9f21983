"""One rule for a membership "in force today", wherever members are counted or listed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.organisations.models import Membership, Network, Organisation
from tests.conftest import bearer, client_for, make_organisation


@pytest.fixture
def former_and_future(coalition: Network) -> tuple[Organisation, Organisation]:
    """Besides north and south (in force), one member that left and one joining next year."""
    today = timezone.localdate()
    former = make_organisation("former", name="Former Member")
    Membership.objects.create(
        network=coalition, organisation=former, since=date(2015, 1, 1), until=date(2020, 1, 1)
    )
    future = make_organisation("future", name="Future Member")
    Membership.objects.create(
        network=coalition, organisation=future, since=today + timedelta(days=400)
    )
    return former, future


def test_home_directory_and_api_count_the_same_members(client, coalition, former_and_future):
    home = Client().get(reverse("home")).content.decode()
    assert "2 organisations" in home

    directory = client.get("/networks/coalition/").content.decode()
    assert "2 organisations" in directory
    assert "Future Member" not in directory

    [network] = client.get("/api/networks").json()
    assert network["member_count"] == 2


def test_the_dashboard_lists_only_networks_the_organisation_is_a_member_of_today(
    alice, north, coalition, other_network
):
    today = timezone.localdate()
    Membership.objects.create(
        network=other_network, organisation=north, since=date(2015, 1, 1), until=date(2020, 1, 1)
    )
    later = make_organisation("later", name="Later Network", kind="network")
    Membership.objects.create(
        network=Network.objects.create(organisation=later, slug="later"),
        organisation=north,
        since=today + timedelta(days=30),
    )

    page = client_for(alice).get(reverse("organisation_dashboard", kwargs={"org": "north"}))

    body = page.content.decode()
    assert "Member of" in body
    assert 'href="/networks/coalition/"' in body
    assert 'href="/networks/platform/"' not in body
    assert 'href="/networks/later/"' not in body


def test_the_dashboard_has_no_member_of_card_after_the_last_membership_ended(alice, north):
    network = Network.objects.create(
        organisation=make_organisation("gone", name="Gone Network", kind="network"), slug="gone"
    )
    Membership.objects.create(network=network, organisation=north, until=date(2020, 1, 1))
    page = client_for(alice).get(reverse("organisation_dashboard", kwargs={"org": "north"}))
    assert "Member of" not in page.content.decode()


def test_the_coordinators_current_filter_leaves_out_memberships_not_started(
    client, cora, coalition, former_and_future
):
    response = client.get(
        "/api/orgs/coalition/network/members", {"status": "current"}, **bearer(cora)
    )
    names = [item["organisation"]["name"] for item in response.json()["items"]]
    assert names == ["North Shelter", "South Helpline"]

    page = client_for(cora).get(
        reverse("network_members", kwargs={"org": "coalition"}), {"status": "current"}
    )
    body = page.content.decode()
    assert "South Helpline" in body
    assert "Future Member" not in body
    assert "Former Member" not in body
