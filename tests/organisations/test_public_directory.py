"""The public directory of a network's members, on the web and through the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from haven.organisations.models import Membership, Network
from tests.conftest import client_for, make_organisation


def _join(network: Network, slug: str, category: str, **fields: object) -> None:
    organisation = make_organisation(slug, **fields)
    Membership.objects.create(network=network, organisation=organisation, category=category)


def _headings(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, re.S)]


def test_directory_groups_members_by_category_in_the_networks_order(client, coalition):
    _join(coalition, "gaatw", "international_network", name="GAATW", country="TH")
    _join(coalition, "fondation", "supporter", name="Fondation Scelles", country="FR")
    _join(
        coalition,
        "picum",
        "international_network",
        name="Platform for International Cooperation on Undocumented Migrants",
        short_name="PICUM",
        country="BE",
    )

    page = client.get("/networks/coalition/").content.decode()

    assert [re.sub(r"<.*?>", "", h) for h in _headings(page)] == [
        "Members (1)",
        "Partners (1)",
        "International networks (2)",
        "Supporters (1)",
    ]
    assert "5 organisations in 4 countries" in page
    assert (
        "Platform for International Cooperation on Undocumented Migrants (PICUM) — Belgium" in page
    )
    assert page.index("GAATW") < page.index("PICUM")


def test_directory_lists_only_memberships_in_force_today(client, coalition, north, south):
    today = timezone.localdate()
    Membership.objects.filter(organisation=north).update(until=today - timedelta(days=1))
    Membership.objects.filter(organisation=south).update(since=today + timedelta(days=1))
    page = client.get("/networks/coalition/").content.decode()
    assert "North Shelter" not in page
    assert "South Helpline" not in page
    assert "This network lists no members yet." in page


def test_directory_filters_by_country(client, coalition):
    page = client.get("/networks/coalition/", {"country": "ES"}).content.decode()
    assert "South Helpline — Spain" in page
    assert "North Shelter" not in page
    assert "1 organisation in 1 country" in page


def test_directory_refuses_a_country_code_that_is_markup(client, coalition):
    response = client.get("/networks/coalition/", {"country": "<script>"})
    assert response.status_code == 400
    assert "<script>" not in response.content.decode().split("<main", 1)[1]


def test_unknown_network_is_404(client, db):
    assert client.get("/networks/nowhere/").status_code == 404
    assert client.get("/api/networks/nowhere/members").status_code == 404


def test_api_lists_networks_with_their_member_counts(client, coalition, other_network):
    Membership.objects.filter(network=coalition).update(until=date(2020, 1, 1))
    response = client.get("/api/networks")
    assert response.status_code == 200
    assert [(n["slug"], n["member_count"]) for n in response.json()] == [
        ("coalition", 0),
        ("platform", 1),
    ]


def test_api_lists_a_networks_current_members_by_country(client, coalition):
    everyone = client.get("/api/networks/coalition/members").json()
    assert {member["name"] for member in everyone} == {"North Shelter", "South Helpline"}
    spanish = client.get("/api/networks/coalition/members", {"country": "es"}).json()
    assert [member["name"] for member in spanish] == ["South Helpline"]
    assert client.get("/api/networks/coalition/members", {"country": "ESP"}).status_code == 400


def test_directory_takes_a_country_code_in_any_case(client, coalition):
    response = client.get("/networks/coalition/", {"country": "es"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "South Helpline — Spain" in page
    assert "North Shelter" not in page
    assert '<option value="ES" selected>' in page


def test_directory_keeps_a_country_no_member_is_in_and_lists_nobody(client, coalition):
    # A link to a country whose last member left: an empty list, not an error.
    response = client.get("/networks/coalition/", {"country": "gb"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "No member organisation in this country." in page
    assert '<option value="GB" selected>United Kingdom</option>' in page
    assert "Show every country" in page
    assert "South Helpline" not in page


def test_directory_explains_a_code_that_is_no_country(client, coalition):
    response = client.get("/networks/coalition/", {"country": "ZZ"})
    assert response.status_code == 400
    assert "There is no country with the code ZZ." in response.content.decode()


def test_coordinators_member_list_takes_a_lowercase_country(cora, coalition):
    response = client_for(cora).get(
        reverse("network_members", kwargs={"org": "coalition"}), {"country": "fr"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "North Shelter" in page
    assert "South Helpline" not in page
