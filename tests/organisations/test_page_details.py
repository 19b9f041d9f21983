"""Details of the directory pages: unique ids, messages that fit the case, what a search shows."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.conftest import bearer, client_for, make_organisation
from tests.organisations.helpers import membership_of, snapshot


def test_the_membership_page_gives_each_field_its_own_id(cora, coalition, south):
    membership = membership_of(coalition, south)
    page = (
        client_for(cora)
        .get(
            reverse(
                "network_membership_edit",
                kwargs={"org": "coalition", "membership_id": membership.pk},
            )
        )
        .content.decode()
    )
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="id_until"' in page
    assert 'for="id_end-until"' in page


def test_an_admin_renaming_to_a_taken_name_is_told_to_choose_another(alice, north):
    make_organisation("nord", name="Nord Shelter", country="FR")
    response = client_for(alice).post(
        reverse("organisation_profile", kwargs={"org": "north"}),
        {
            "name": "NORD shelter",
            "short_name": "",
            "kind": "ngo",
            "country": "FR",
            "city": "Paris",
            "website": "",
            "languages": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a name that tells them apart." in page
    assert "as a member" not in page
    assert snapshot(north)["name"] == "North Shelter"


def test_the_api_tells_an_admin_renaming_to_a_taken_name_the_same(client, alice, north):
    make_organisation("nord", name="Nord Shelter", country="FR")
    response = client.patch(
        "/api/orgs/north/profile",
        {"name": "Nord Shelter"},
        content_type="application/json",
        **bearer(alice),
    )
    assert response.status_code == 400
    [message] = response.json()["detail"]["name"]
    assert "Choose a name that tells them apart." in message


def test_the_directory_search_shows_each_organisations_type(cora, coalition, elsewhere):
    make_organisation(
        "strada-network", name="La Strada International", kind="network", country="NL"
    )
    page = (
        client_for(cora)
        .get(reverse("network_member_add_existing", kwargs={"org": "coalition"}), {"q": "strada"})
        .content.decode()
    )
    assert re.search(r"La Strada International.*Network.*Netherlands", page, re.S)
    assert re.search(r"La Strada Moldova \(LSM\).*NGO.*Moldova", page, re.S)
