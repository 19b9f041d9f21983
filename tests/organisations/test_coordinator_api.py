"""The coordinator's API for a network's members, and an organisation's own profile."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client

from haven.organisations.models import Membership, Organisation
from tests.conftest import bearer, make_organisation
from tests.organisations.helpers import audit_events, coalition_today, membership_of, snapshot

MEMBERS = "/api/orgs/coalition/network/members"


def send(client: Client, method: str, path: str, user: Any, body: object = None) -> Any:
    return getattr(client, method)(
        path, body if body is not None else {}, content_type="application/json", **bearer(user)
    )


def test_coordinator_lists_members_with_filters_and_pages(client, cora, coalition, north):
    Membership.objects.filter(organisation=north).update(until=date(2020, 1, 1))
    for number in range(3):
        Membership.objects.create(
            network=coalition,
            organisation=make_organisation(f"m{number}", name=f"Member {number}", country="DE"),
        )
    headers = bearer(cora)

    everyone = client.get(MEMBERS, **headers).json()
    assert everyone["count"] == 5
    assert everyone["items"][0]["organisation"]["name"] == "Member 0"
    page = client.get(MEMBERS, {"limit": 2, "offset": 2}, **headers).json()
    assert [m["organisation"]["name"] for m in page["items"]] == ["Member 2", "North Shelter"]
    assert page["count"] == 5

    def names(**query: object) -> list[str]:
        response = client.get(MEMBERS, query, **headers)
        assert response.status_code == 200, response.content
        return [m["organisation"]["name"] for m in response.json()["items"]]

    assert names(status="ended") == ["North Shelter"]
    assert names(category="partner") == ["South Helpline"]
    assert names(country="es") == ["South Helpline"]
    assert names(q="member 1") == ["Member 1"]


def test_coordinator_creates_an_organisation_and_its_membership(client, cora, coalition):
    response = send(
        client,
        "post",
        MEMBERS,
        cora,
        {
            "name": "Open Gate",
            "short_name": "OG",
            "kind": "ngo",
            "country": "MK",
            "city": "Skopje",
            "website": "https://opengate.example.org",
            "languages": ["mk", "en"],
            "category": "partner",
            "since": "2018-06-01",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["category"] == "partner"
    assert body["since"] == "2018-06-01"
    assert body["organisation"]["slug"] == "open-gate"
    assert body["organisation"]["languages"] == ["mk", "en"]
    organisation = Organisation.objects.get(pk=body["organisation"]["id"])
    assert membership_of(coalition, organisation).pk == body["id"]
    [event] = audit_events("directory.organisation_created", organisation=coalition.organisation)
    assert (event.actor, event.organisation) == (cora, coalition.organisation)


def test_coordinator_adds_an_existing_organisation_once(client, cora, coalition, elsewhere):
    payload = {"organisation_id": elsewhere.pk, "category": "domestic_ngo"}
    response = send(client, "post", MEMBERS, cora, payload)
    assert response.status_code == 201, response.content
    assert membership_of(coalition, elsewhere).category == "domestic_ngo"

    again = send(client, "post", MEMBERS, cora, payload)
    assert again.status_code == 400
    assert "already a member" in again.json()["detail"]["organisation"][0]
    assert Membership.objects.filter(organisation=elsewhere).count() == 1
    assert len(audit_events("directory.membership_added", organisation=coalition.organisation)) == 1


def test_coordinator_finds_an_organisation_to_add_by_name(client, cora, coalition, elsewhere):
    response = client.get(
        "/api/orgs/coalition/network/organisations", {"q": "strada"}, **bearer(cora)
    )
    assert response.status_code == 200
    assert [found["id"] for found in response.json()] == [elsewhere.pk]


def test_giving_both_an_existing_organisation_and_new_fields_is_refused(
    client, cora, coalition, elsewhere
):
    response = send(
        client, "post", MEMBERS, cora, {"organisation_id": elsewhere.pk, "name": "Confusion"}
    )
    assert response.status_code == 400
    assert "organisation_id" in response.json()["detail"]
    assert not Membership.objects.filter(organisation=elsewhere).exists()


def test_a_duplicate_organisation_is_refused_naming_the_existing_one(
    client, cora, coalition, elsewhere
):
    response = send(
        client, "post", MEMBERS, cora, {"name": "LA STRADA \u2013 Moldova", "country": "MD"}
    )
    assert response.status_code == 400
    message = response.json()["detail"]["name"][0]
    assert "La Strada Moldova" in message
    assert f"id {elsewhere.pk}" in message
    assert "add it as a member instead" in message
    assert Organisation.objects.filter(country="MD").count() == 1


def test_unknown_organisation_id_is_404(client, cora, coalition):
    assert send(client, "post", MEMBERS, cora, {"organisation_id": 999_999}).status_code == 404


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"name": "N" * 10_000}, "name"),
        ({"name": "Fine", "website": "not a url"}, "website"),
        ({"name": "Fine", "website": "javascript:alert(1)"}, "website"),
        ({"name": "Fine", "languages": ["en", "klingon"]}, "languages"),
        ({"name": "Fine", "category": "overlord"}, "category"),
        ({"name": "Fine", "kind": "company"}, "kind"),
        ({"name": "Fine", "country": "ZZ"}, "country"),
        ({"name": "Fine", "languages": "en"}, "languages"),
        ({"name": "Fine", "since": "yesterday"}, "since"),
        ({}, "name"),
    ],
)
def test_bad_new_member_input_is_400_and_creates_nothing(client, cora, coalition, bad, field):
    organisations = Organisation.objects.count()
    response = send(client, "post", MEMBERS, cora, bad)
    assert response.status_code == 400, response.content
    assert field in str(response.json()["detail"])
    assert Organisation.objects.count() == organisations
    assert audit_events("directory.organisation_created") == []


def test_coordinator_reads_and_changes_a_membership(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    path = f"{MEMBERS}/{membership.pk}"
    assert client.get(path, **bearer(cora)).json()["category"] == "partner"

    response = send(client, "patch", path, cora, {"category": "supporter", "since": "2019-01-01"})

    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert (membership.category, membership.since) == ("supporter", date(2019, 1, 1))
    [event] = audit_events("directory.membership_updated", organisation=coalition.organisation)
    assert event.details == {"fields": ["category", "since"]}


@pytest.mark.parametrize(
    "bad",
    [
        {"since": "2020-01-01", "until": "2019-01-01"},
        {"category": "overlord"},
        {"category": None},
        {"until": "31/12/2020"},
    ],
)
def test_bad_membership_changes_are_400_and_change_nothing(client, cora, coalition, south, bad):
    membership = membership_of(coalition, south)
    response = send(client, "patch", f"{MEMBERS}/{membership.pk}", cora, bad)
    assert response.status_code == 400, response.content
    membership.refresh_from_db()
    assert (membership.category, membership.since, membership.until) == ("partner", None, None)
    assert audit_events("directory.membership_updated") == []


def test_reopening_a_membership_next_to_an_open_one_is_refused(client, cora, coalition, south):
    old = Membership.objects.create(
        network=coalition,
        organisation=south,
        category="member",
        since=date(2010, 1, 1),
        until=date(2012, 1, 1),
    )
    response = send(client, "patch", f"{MEMBERS}/{old.pk}", cora, {"until": None})
    assert response.status_code == 400
    old.refresh_from_db()
    assert old.until == date(2012, 1, 1)


def test_coordinator_ends_a_membership(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    response = send(client, "post", f"{MEMBERS}/{membership.pk}/end", cora)
    assert response.status_code == 200, response.content
    assert response.json()["until"] == coalition_today().isoformat()
    assert len(audit_events("directory.membership_ended", organisation=coalition.organisation)) == 1


def test_a_membership_cannot_end_before_it_started(client, cora, coalition, south):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(since=date(2020, 1, 1))
    response = send(client, "post", f"{MEMBERS}/{membership.pk}/end", cora, {"until": "2019-12-31"})
    assert response.status_code == 400
    assert "until" in response.json()["detail"]
    membership.refresh_from_db()
    assert membership.until is None


def test_coordinator_changes_a_member_organisations_entry(client, cora, coalition, north):
    response = send(
        client,
        "patch",
        f"/api/orgs/coalition/network/organisations/{north.pk}",
        cora,
        {"city": "Lille", "languages": ["FR", "fr", "en"], "short_name": None},
    )
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Lille"
    assert snapshot(north)["languages"] == ["fr", "en"]
    [event] = audit_events("directory.organisation_updated", organisation=coalition.organisation)
    assert event.details == {"fields": ["city", "languages"]}


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "N" * 10_000},
        {"name": ""},
        {"name": None},
        {"website": "www.example.org"},
        {"languages": ["xx"]},
        {"country": "France"},
        {"slug": "hijack"},
    ],
)
def test_bad_organisation_changes_are_400_and_change_nothing(client, cora, coalition, north, bad):
    before = snapshot(north)
    response = send(
        client, "patch", f"/api/orgs/coalition/network/organisations/{north.pk}", cora, bad
    )
    assert response.status_code == 400, response.content
    if "slug" in bad:
        # An unknown field is refused, never applied nor dropped in silence.
        assert response.json()["detail"] == {
            "slug": ["Unknown field: this operation does not take it."]
        }
        assert Organisation.objects.get(pk=north.pk).slug == "north"
    assert snapshot(north) == before


def test_coordinator_gets_404_outside_the_network(
    client, cora, coalition, elsewhere, other_network
):
    foreign = other_network.memberships.get()
    headers = bearer(cora)
    assert client.get(f"{MEMBERS}/{foreign.pk}", **headers).status_code == 404
    response = send(client, "patch", f"{MEMBERS}/{foreign.pk}", cora, {"category": "supporter"})
    assert response.status_code == 404
    assert send(client, "post", f"{MEMBERS}/{foreign.pk}/end", cora).status_code == 404
    path = f"/api/orgs/coalition/network/organisations/{elsewhere.pk}"
    assert client.get(path, **headers).status_code == 404
    assert send(client, "patch", path, cora, {"name": "Hijacked"}).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.category, foreign.until) == ("member", None)
    assert snapshot(elsewhere)["name"] == "La Strada Moldova"


def test_members_api_of_another_organisation_is_404_and_without_permission_403(
    client, cora, carol, bob, coalition
):
    assert client.get("/api/orgs/north/network/members", **bearer(cora)).status_code == 404
    assert client.get(MEMBERS, **bearer(carol)).status_code == 404
    assert client.get("/api/orgs/north/network/members", **bearer(carol)).status_code == 403
    assert client.get("/api/orgs/south/network/members", **bearer(bob)).status_code == 403
    assert client.get(MEMBERS).status_code == 401


def test_admin_reads_and_changes_their_profile(client, alice, north):
    assert client.get("/api/orgs/north/profile", **bearer(alice)).json()["name"] == "North Shelter"
    response = send(
        client, "patch", "/api/orgs/north/profile", alice, {"website": "http://north.example"}
    )
    assert response.status_code == 200, response.content
    assert snapshot(north)["website"] == "http://north.example"
    [event] = audit_events("directory.organisation_updated")
    assert (event.actor, event.organisation) == (alice, north)


def test_profile_changes_need_the_permission_and_stay_in_the_organisation(
    client, carol, bob, north
):
    before = snapshot(north)
    assert send(client, "patch", "/api/orgs/north/profile", carol, {"city": "X"}).status_code == 403
    assert send(client, "patch", "/api/orgs/north/profile", bob, {"city": "X"}).status_code == 404
    assert client.get("/api/orgs/north/profile", **bearer(bob)).status_code == 404
    assert snapshot(north) == before
