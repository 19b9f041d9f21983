"""The network coordinator's pages, and an organisation admin's own directory entry."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.accounts.permissions import Role
from haven.organisations.models import Membership, Organisation
from tests.conftest import client_for, make_organisation, make_user
from tests.organisations.helpers import audit_events, coalition_today, membership_of, snapshot


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "coalition", **kwargs})


NEW_MEMBER = {
    "name": "Animus Association",
    "short_name": "Animus",
    "kind": "ngo",
    "country": "BG",
    "city": "Sofia",
    "website": "https://animusassociation.org",
    "languages": "bg, en",
    "category": "member",
    "since": "2020-01-01",
}


def test_coordinator_adds_a_new_organisation_as_a_member(cora, coalition):
    response = client_for(cora).post(url("network_member_add"), NEW_MEMBER)

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Animus Association")
    assert organisation.slug == "animus-association"
    assert organisation.languages == ["bg", "en"]
    assert organisation.country.code == "BG"
    membership = membership_of(coalition, organisation)
    assert (membership.category, membership.since) == ("member", date(2020, 1, 1))
    [event] = audit_events("directory.organisation_created", organisation=coalition.organisation)
    assert event.actor == cora
    assert event.organisation == coalition.organisation
    assert "name" in event.details["fields"]
    assert "Animus Association" not in str(event.details)


def test_a_second_organisation_with_the_same_slug_gets_a_suffix(cora, coalition):
    client = client_for(cora)
    client.post(url("network_member_add"), NEW_MEMBER)
    client.post(
        url("network_member_add"), {**NEW_MEMBER, "country": "RO", "confirm_duplicate": "on"}
    )

    slugs = sorted(
        Organisation.objects.filter(name="Animus Association").values_list("slug", flat=True)
    )
    assert slugs == ["animus-association", "animus-association-2"]


def test_an_organisation_already_in_the_directory_is_refused_with_a_way_to_add_it(
    cora, coalition, elsewhere
):
    response = client_for(cora).post(
        url("network_member_add"),
        {**NEW_MEMBER, "name": "  la STRADA, moldova! ", "country": "MD"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "La Strada Moldova" in page
    assert f"{url('network_member_add_existing')}?organisation={elsewhere.pk}" in page
    assert Organisation.objects.filter(country="MD").count() == 1
    assert audit_events("directory.organisation_created") == []


def test_the_same_name_in_another_country_is_a_different_organisation_once_confirmed(
    cora, coalition, elsewhere
):
    response = client_for(cora).post(
        url("network_member_add"),
        {**NEW_MEMBER, "name": "La Strada Moldova", "country": "UA", "confirm_duplicate": "on"},
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(name="La Strada Moldova").count() == 2


def test_coordinator_finds_and_adds_an_organisation_already_in_the_directory(
    cora, coalition, elsewhere
):
    client = client_for(cora)
    search = client.get(url("network_member_add_existing"), {"q": "strada"})
    assert search.status_code == 200
    assert f"?organisation={elsewhere.pk}" in search.content.decode()

    chosen = client.get(url("network_member_add_existing"), {"organisation": elsewhere.pk})
    assert f'name="organisation" value="{elsewhere.pk}"' in chosen.content.decode()

    response = client.post(
        url("network_member_add_existing"),
        {"organisation": elsewhere.pk, "category": "domestic_ngo", "since": "2021-05-01"},
    )

    assert response.status_code == 302
    assert membership_of(coalition, elsewhere).category == "domestic_ngo"
    [event] = audit_events("directory.membership_added", organisation=coalition.organisation)
    assert event.organisation == coalition.organisation


def test_the_search_answers_htmx_with_just_the_results(cora, coalition, elsewhere):
    response = client_for(cora).get(
        url("network_member_add_existing"), {"q": "LSM"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "La Strada Moldova" in page
    assert "<html" not in page


def test_an_organisation_with_an_open_membership_cannot_join_twice(cora, coalition, north):
    response = client_for(cora).post(
        url("network_member_add_existing"), {"organisation": north.pk, "category": "supporter"}
    )

    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    assert list(Membership.objects.filter(network=coalition, organisation=north)) == [
        membership_of(coalition, north)
    ]
    assert membership_of(coalition, north).category == "member"


def test_coordinator_changes_a_membership(cora, coalition, south):
    membership = membership_of(coalition, south)
    response = client_for(cora).post(
        url("network_membership_edit", membership_id=membership.pk),
        {"category": "supporter", "since": "2019-03-01", "until": ""},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.category, membership.since) == ("supporter", date(2019, 3, 1))
    [event] = audit_events("directory.membership_updated", organisation=coalition.organisation)
    assert event.details == {"fields": ["category", "since"]}


def test_a_membership_cannot_end_before_it_starts(cora, coalition, south):
    membership = membership_of(coalition, south)
    response = client_for(cora).post(
        url("network_membership_edit", membership_id=membership.pk),
        {"category": "partner", "since": "2020-01-01", "until": "2019-12-31"},
    )

    assert response.status_code == 400
    membership.refresh_from_db()
    assert (membership.since, membership.until) == (None, None)
    assert audit_events("directory.membership_updated") == []


def test_coordinator_ends_a_membership_today_and_it_leaves_the_public_directory(
    cora, coalition, south, client
):
    membership = membership_of(coalition, south)
    response = client_for(cora).post(
        url("network_membership_end", membership_id=membership.pk), {"end-confirmed": "yes"}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.until == coalition_today()
    assert audit_events("directory.membership_ended")[0].details == {"fields": ["until"]}
    # It still counts on its last day, and no longer the day after.
    assert "South Helpline" in client.get("/networks/coalition/").content.decode()
    yesterday = timezone.localdate() - timedelta(days=1)
    Membership.objects.filter(pk=membership.pk).update(until=yesterday)
    assert "South Helpline" not in client.get("/networks/coalition/").content.decode()


def test_ending_an_ended_membership_is_refused(cora, coalition, south):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(until=date(2020, 1, 1))
    response = client_for(cora).post(url("network_membership_end", membership_id=membership.pk))
    assert response.status_code == 400
    assert "already ended" in response.content.decode()
    membership.refresh_from_db()
    assert membership.until == date(2020, 1, 1)
    assert audit_events("directory.membership_ended") == []


@pytest.mark.parametrize("until", ["31/12/2020", "2" * 5000, "2019-12-31"])
def test_ending_on_a_malformed_or_too_early_date_is_refused(cora, coalition, south, until):
    membership = membership_of(coalition, south)
    Membership.objects.filter(pk=membership.pk).update(since=date(2020, 1, 1))
    response = client_for(cora).post(
        url("network_membership_end", membership_id=membership.pk), {"end-until": until}
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.until is None


def test_coordinator_edits_a_member_organisation(cora, coalition, north):
    response = client_for(cora).post(
        url("network_organisation_edit", organisation_id=north.pk),
        {
            "name": "North Shelter",
            "short_name": "NS",
            "kind": "ngo",
            "country": "FR",
            "city": "Lyon",
            "website": "https://north.example.org",
            "languages": "fr en, ar",
        },
    )

    assert response.status_code == 302
    assert snapshot(north) == {
        "name": "North Shelter",
        "short_name": "NS",
        "kind": "ngo",
        "country": "FR",
        "city": "Lyon",
        "website": "https://north.example.org",
        "languages": ["fr", "en", "ar"],
    }
    [event] = audit_events("directory.organisation_updated", organisation=coalition.organisation)
    assert event.organisation == coalition.organisation
    assert event.details == {"fields": ["city", "languages", "short_name", "website"]}


VALID_ORGANISATION = {
    "name": "North Shelter",
    "short_name": "",
    "kind": "ngo",
    "country": "FR",
    "city": "Paris",
    "website": "",
    "languages": "",
}


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "N" * 10_000},
        {"name": "   "},
        {"short_name": "S" * 51},
        {"website": "javascript:alert(1)"},
        {"website": "ftp://files.example.org"},
        {"languages": "fr, xx"},
        {"languages": "en," * 300},
        {"kind": "company"},
        {"country": "XX"},
    ],
)
def test_bad_organisation_input_is_refused_and_changes_nothing(cora, coalition, north, bad):
    before = snapshot(north)
    response = client_for(cora).post(
        url("network_organisation_edit", organisation_id=north.pk), {**VALID_ORGANISATION, **bad}
    )

    assert response.status_code == 400
    assert snapshot(north) == before
    assert audit_events("directory.organisation_updated") == []


def test_a_new_member_in_a_wrong_category_is_refused(cora, coalition):
    response = client_for(cora).post(
        url("network_member_add"), {**NEW_MEMBER, "category": "overlord"}
    )
    assert response.status_code == 400
    assert not Organisation.objects.filter(name="Animus Association").exists()


def test_coordinator_gets_404_for_organisations_outside_the_network(cora, coalition, elsewhere):
    client = client_for(cora)
    target = url("network_organisation_edit", organisation_id=elsewhere.pk)
    assert client.get(target).status_code == 404
    assert client.post(target, {**VALID_ORGANISATION, "name": "Hijacked"}).status_code == 404
    assert snapshot(elsewhere)["name"] == "La Strada Moldova"


def test_coordinator_gets_404_for_memberships_of_another_network(cora, coalition, other_network):
    foreign = other_network.memberships.get()
    client = client_for(cora)
    assert client.get(url("network_membership_edit", membership_id=foreign.pk)).status_code == 404
    end = client.post(url("network_membership_end", membership_id=foreign.pk))
    assert end.status_code == 404
    foreign.refresh_from_db()
    assert foreign.until is None


def test_coordinator_of_coalition_gets_404_on_another_organisations_pages(cora, north):
    response = client_for(cora).get(reverse("network_members", kwargs={"org": "north"}))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["network_members", "network_member_add"])
def test_staff_of_a_member_without_the_permission_get_403(carol, alice, coalition, name):
    for user in (carol, alice):
        assert client_for(user).get(reverse(name, kwargs={"org": "north"})).status_code == 403


def test_network_pages_of_an_organisation_that_runs_no_network_are_404(db):
    loose = make_organisation("loose", kind="network")
    coordinator = make_user("lou", loose, Role.NETWORK_COORDINATOR, mfa=False)
    client = client_for(coordinator)
    assert client.get(reverse("network_members", kwargs={"org": "loose"})).status_code == 404
    response = client.post(reverse("network_member_add", kwargs={"org": "loose"}), NEW_MEMBER)
    assert response.status_code == 404
    assert not Organisation.objects.filter(name="Animus Association").exists()


def test_members_list_filters_by_category_country_status_and_name(cora, coalition, north, south):
    Membership.objects.filter(organisation=north).update(until=date(2020, 1, 1))
    client = client_for(cora)

    def names(**query: str) -> list[str]:
        response = client.get(url("network_members"), query)
        assert response.status_code == 200
        page = response.content.decode()
        return [name for name in ("North Shelter", "South Helpline") if name in page]

    assert names() == ["North Shelter", "South Helpline"]
    assert names(category="partner") == ["South Helpline"]
    assert names(country="FR") == ["North Shelter"]
    assert names(status="ended") == ["North Shelter"]
    assert names(status="current") == ["South Helpline"]
    assert names(q="helpl") == ["South Helpline"]


def test_members_list_is_paginated(cora, coalition):
    for number in range(55):
        organisation = make_organisation(f"member-{number:02}", name=f"Member {number:02}")
        Membership.objects.create(network=coalition, organisation=organisation)
    client = client_for(cora)
    first = client.get(url("network_members")).content.decode()
    second = client.get(url("network_members"), {"page": "2"}).content.decode()
    assert "Member 00" in first
    assert "Member 49" not in second
    assert "South Helpline" in second


def test_members_list_refuses_a_malformed_filter(cora, coalition):
    assert client_for(cora).get(url("network_members"), {"category": "x"}).status_code == 400
    assert client_for(cora).get(url("network_members"), {"q": "q" * 500}).status_code == 400


def test_admin_edits_their_own_organisations_directory_entry(alice, north):
    dashboard = client_for(alice).get(reverse("organisation_dashboard", kwargs={"org": "north"}))
    assert reverse("organisation_profile", kwargs={"org": "north"}) in dashboard.content.decode()
    response = client_for(alice).post(
        reverse("organisation_profile", kwargs={"org": "north"}),
        {**VALID_ORGANISATION, "short_name": "NS", "languages": "fr"},
    )

    assert response.status_code == 302
    assert snapshot(north)["short_name"] == "NS"
    assert snapshot(north)["languages"] == ["fr"]
    [event] = audit_events("directory.organisation_updated")
    assert (event.actor, event.organisation) == (alice, north)


def test_profile_refuses_a_website_that_is_not_http(alice, north):
    response = client_for(alice).post(
        reverse("organisation_profile", kwargs={"org": "north"}),
        {**VALID_ORGANISATION, "website": "mailto:x@example.org"},
    )
    assert response.status_code == 400
    assert snapshot(north)["website"] == ""


def test_profile_needs_the_edit_profile_permission(carol, bob, north):
    target = reverse("organisation_profile", kwargs={"org": "north"})
    assert client_for(carol).post(target, VALID_ORGANISATION).status_code == 403
    assert client_for(bob).post(target, VALID_ORGANISATION).status_code == 404


def test_an_organisation_may_not_take_the_name_of_another_in_its_country(alice, north):
    make_organisation("nord", name="Nord Shelter", country="FR")
    response = client_for(alice).post(
        reverse("organisation_profile", kwargs={"org": "north"}),
        {**VALID_ORGANISATION, "name": "NORD shelter"},
    )
    assert response.status_code == 400
    assert snapshot(north)["name"] == "North Shelter"
