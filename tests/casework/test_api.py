"""The casework API: persons, identity, households, consents, cases, notes and settings."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import Client
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions
from haven.casework.access import has_consent
from haven.casework.models import Case, Consent, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.casework.conftest import intake
from tests.conftest import bearer

INTAKE = {"consent": {"given_on": "2025-01-02", "method": "written"}, "gender": "Feminine"}


def call(user: User, method: str, path: str, body: Any = None, **query: Any) -> Any:
    extra: dict[str, Any] = bearer(user)
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    elif query:
        extra["data"] = query
    return getattr(Client(), method)(f"/api/orgs/north{path}", **extra)


def audit_actions() -> list[str]:
    with scopes_disabled():
        return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_create_get_patch_and_list_persons(north: Organisation, carol: User) -> None:
    created = call(
        carol, "post", "/persons", {**INTAKE, "given_name": "Ana", "new_household": True}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["code"] == "P-00001"
    assert body["household_id"]
    assert "given_name" not in body
    fetched = call(carol, "get", f"/persons/{body['id']}")
    assert fetched.json()["gender"] == "Feminine"
    patched = call(
        carol, "patch", f"/persons/{body['id']}", {"in_sex_work": True, "languages": ["fr"]}
    )
    assert patched.status_code == 200
    assert patched.json()["in_sex_work"] is True
    assert patched.json()["languages"] == ["fr"]
    listed = call(carol, "get", "/persons", in_sex_work="true")
    assert listed.json()["count"] == 1
    assert (
        call(carol, "get", "/persons", trafficking_status="ActualVictimOfTrafficking").json()[
            "count"
        ]
        == 0
    )
    with scope(organisation=north):
        assert Consent.objects.filter(purpose="casework").count() == 1


def test_identity_is_only_in_its_own_audited_operation(
    north: Organisation, carol: User, hana: User
) -> None:
    person = intake(carol, north, given_name="Zoé", phone="0612")
    before = len(audit_actions())
    identity = call(carol, "get", f"/persons/{person.pk}/identity")
    assert identity.status_code == 200
    assert identity.json()["given_name"] == "Zoé"
    new = [action for action in audit_actions()[before:] if not action.startswith("api_token")]
    assert new == ["person.identity_viewed"]
    assert call(hana, "get", f"/persons/{person.pk}/identity").status_code == 403
    as_operator = call(hana, "get", f"/persons/{person.pk}")
    assert as_operator.status_code == 200
    assert "Zoé" not in as_operator.content.decode()
    assert call(hana, "get", "/persons", name="Zoé").status_code == 403
    assert call(carol, "get", "/persons", name="zoé").json()["items"][0]["code"] == person.code


def test_bad_person_input_is_a_400_and_changes_nothing(north: Organisation, carol: User) -> None:
    for body in (
        {"gender": "Feminine"},  # no consent
        {**INTAKE, "given_name": "x" * 201},
        {**INTAKE, "exploitation_types": ["NotAType"]},
        {**INTAKE, "citizenship": ["XX"]},
        {**INTAKE, "languages": ["zz-not"]},
        {**INTAKE, "birth_date": "2999-01-01"},
        {**INTAKE, "consent": {"given_on": "2999-01-01", "method": "written"}},
        {**INTAKE, "household_id": "00000000-0000-0000-0000-000000000000"},
        [INTAKE],
    ):
        response = call(carol, "post", "/persons", body)
        assert response.status_code == 400, (body, response.content)
    with scopes_disabled():
        assert not Person.objects.exists()


def test_outsider_gets_404_and_viewer_403(
    north: Organisation, carol: User, bob: User, victor: User
) -> None:
    person = intake(carol, north)
    assert call(bob, "get", f"/persons/{person.pk}").status_code == 404
    assert call(bob, "get", "/persons").status_code == 404
    headers: dict[str, Any] = bearer(bob)
    south = Client().get(f"/api/orgs/south/persons/{person.pk}", **headers)
    assert south.status_code == 404
    assert call(victor, "get", f"/persons/{person.pk}").status_code == 403
    assert call(victor, "post", "/persons", INTAKE).status_code == 403


def test_consents_withdrawal_and_cases_and_notes(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    opened = call(
        carol,
        "post",
        "/cases",
        {"person_id": str(person.pk), "assigned_to_id": carol.pk, "needs": ["food"]},
    )
    assert opened.status_code == 201, opened.content
    case_id = opened.json()["id"]
    note = call(carol, "post", f"/cases/{case_id}/notes", {"text": "first"})
    assert note.status_code == 201
    notes = call(carol, "get", f"/cases/{case_id}/notes")
    assert [n["text"] for n in notes.json()["items"]] == ["first"]
    mine = call(carol, "get", "/cases", mine="true", open="true")
    assert [c["id"] for c in mine.json()["items"]] == [case_id]
    consents = call(carol, "get", f"/persons/{person.pk}/consents").json()
    assert [c["purpose"] for c in consents] == ["casework"]
    assert consents[0]["in_force"]
    withdrawn = call(
        carol, "post", f"/persons/{person.pk}/consents/{consents[0]['id']}/withdraw", {}
    )
    assert withdrawn.status_code == 200
    assert not withdrawn.json()["in_force"]
    assert not has_consent(person, "casework")
    refused = call(carol, "post", f"/cases/{case_id}/notes", {"text": "second"})
    assert refused.status_code == 400
    assert "consent" in refused.content.decode()
    closed = call(carol, "post", f"/cases/{case_id}/close", {"status": "Closed"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "Closed"
    again = call(carol, "post", f"/cases/{case_id}/close", {})
    assert again.status_code == 400


def test_case_closing_before_opening_is_refused(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person, opened_on=datetime.date(2025, 5, 1))
    response = call(carol, "post", f"/cases/{case.pk}/close", {"closed_on": "2025-04-30"})
    assert response.status_code == 400
    with scope(organisation=north):
        assert Case.objects.get().status == "Active"


def test_referral_consent_through_the_api(
    north: Organisation, south: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    body = {"purpose": "referral", "recipient_id": south.pk, "given_on": "2025-02-02"}
    created = call(carol, "post", f"/persons/{person.pk}/consents", {**body, "method": "verbal"})
    assert created.status_code == 201
    assert has_consent(person, "referral", south)
    unknown = {**body, "recipient_id": 999999, "method": "verbal"}
    assert call(carol, "post", f"/persons/{person.pk}/consents", unknown).status_code == 400


def test_households_through_the_api(north: Organisation, carol: User) -> None:
    first, second = intake(carol, north), intake(carol, north)
    created = call(
        carol, "post", "/households", {"other_members": 1, "person_ids": [str(first.pk)]}
    )
    assert created.status_code == 201
    household_id = created.json()["id"]
    added = call(
        carol, "post", f"/households/{household_id}/members", {"person_id": str(second.pk)}
    )
    assert {m["code"] for m in added.json()["members"]} == {first.code, second.code}
    removed = call(carol, "delete", f"/households/{household_id}/members/{first.pk}")
    assert [m["code"] for m in removed.json()["members"]] == [second.code]
    assert call(carol, "get", "/households").json()["count"] == 1
    replaced = call(
        carol,
        "patch",
        f"/households/{household_id}",
        {"person_ids": [str(first.pk)], "other_members": 3},
    )
    assert [m["code"] for m in replaced.json()["members"]] == [first.code]
    assert replaced.json()["other_members"] == 3
    assert (
        call(carol, "patch", f"/households/{household_id}", {"other_members": -1}).status_code
        == 400
    )


def test_a_new_household_takes_nobody_from_another_or_twice_and_is_not_empty(
    north: Organisation, carol: User
) -> None:
    first, second = intake(carol, north), intake(carol, north)
    existing = call(carol, "post", "/households", {"person_ids": [str(first.pk)]}).json()
    taken = call(carol, "post", "/households", {"person_ids": [str(first.pk), str(second.pk)]})
    assert taken.status_code == 400
    [message] = taken.json()["detail"]["person_ids"]
    assert message == (
        f"{first.code} is already in household {existing['code']}: take them out of it first."
    )
    twice = call(carol, "post", "/households", {"person_ids": [str(second.pk)] * 2})
    assert twice.status_code == 400
    assert twice.json()["detail"]["person_ids"] == [f"{second.code} is listed more than once."]
    empty = call(carol, "post", "/households", {"other_members": 0})
    assert empty.status_code == 400
    assert "needs a member" in empty.json()["detail"]["__all__"][0]
    assert call(carol, "get", "/households").json()["count"] == 1
    with scope(organisation=north):
        first.refresh_from_db()
        second.refresh_from_db()
    assert str(first.household_id) == existing["id"]
    assert second.household_id is None
    others = call(carol, "post", "/households", {"other_members": 2})
    assert others.status_code == 201


def test_replacing_members_takes_nobody_from_another_household(
    north: Organisation, carol: User
) -> None:
    first, second = intake(carol, north), intake(carol, north)
    mine = call(carol, "post", "/households", {"person_ids": [str(first.pk)]}).json()
    theirs = call(carol, "post", "/households", {"person_ids": [str(second.pk)]}).json()
    url = f"/households/{mine['id']}"
    taken = call(carol, "patch", url, {"person_ids": [str(first.pk), str(second.pk)]})
    assert taken.status_code == 400
    assert theirs["code"] in taken.json()["detail"]["person_ids"][0]
    twice = call(carol, "patch", url, {"person_ids": [str(first.pk)] * 2})
    assert twice.status_code == 400
    assert [m["code"] for m in call(carol, "get", url).json()["members"]] == [first.code]
    moved = call(carol, "post", f"{url}/members", {"person_id": str(second.pk)})
    assert moved.status_code == 200
    assert call(carol, "get", f"/households/{theirs['id']}").json()["members"] == []


def test_settings_through_the_api(north: Organisation, alice: User, carol: User) -> None:
    assert call(carol, "get", "/casework/settings").status_code == 403
    patched = call(alice, "patch", "/casework/settings", {"terminology": "beneficiary"})
    assert patched.status_code == 200
    assert patched.json()["people_word"] == "beneficiaries"
    bad = call(alice, "patch", "/casework/settings", {"code_prefix": "has space"})
    assert bad.status_code == 400
    assert call(alice, "get", "/casework/settings").json()["code_prefix"] == "P"


def test_without_casework_consent_the_api_adds_no_fact_nor_household(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north, alias="Nightingale")
    other = intake(carol, north)
    household = call(carol, "post", "/households", {"person_ids": [str(other.pk)]}).json()
    with scope(organisation=north):
        consent = Consent.objects.get(person=person, purpose="casework")
    actions.withdraw_consent(actor=carol, consent=consent)
    refused = call(carol, "patch", f"/persons/{person.pk}", {"gender": "Masculine"})
    assert refused.status_code == 400
    assert "no casework consent" in json.dumps(refused.json())
    joined = call(
        carol, "post", f"/households/{household['id']}/members", {"person_id": str(person.pk)}
    )
    assert joined.status_code == 400
    started = call(carol, "post", "/households", {"person_ids": [str(person.pk)]})
    assert started.status_code == 400
    with scope(organisation=north):
        person.refresh_from_db()
    assert (person.gender, person.household_id) == ("", None)
    cleared = call(carol, "patch", f"/persons/{person.pk}", {"alias": None})
    assert cleared.status_code == 200
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.alias == ""


def test_the_api_says_a_consent_is_in_force_by_the_organisations_calendar(
    north: Organisation, carol: User
) -> None:
    from unittest import mock

    from django.utils import timezone

    person = intake(carol, north)
    # Two days on, as a clock ahead of the server's date would read it (an organisation
    # east of the server's zone, in the morning): consent given "today" holds already.
    ahead = timezone.now() + datetime.timedelta(days=2)
    with mock.patch.object(timezone, "now", return_value=ahead):
        with scope(organisation=north):
            given = Consent.objects.create(
                organisation=north,
                person=person,
                purpose="statistics",
                given_on=timezone.localdate(),
                method="verbal",
            )
        listed = {
            item["id"]: item["in_force"]
            for item in call(carol, "get", f"/persons/{person.pk}/consents").json()
        }
        assert has_consent(person, "statistics")
    assert listed[str(given.pk)] is True


def test_households_are_found_by_code_in_the_api_and_the_list_page(
    north: Organisation, carol: User
) -> None:
    from django.urls import reverse

    from tests.conftest import client_for

    wanted = actions.create_household(actor=carol, organisation=north, other_members=1)
    for _index in range(3):
        actions.create_household(actor=carol, organisation=north, other_members=2)
    found = call(carol, "get", "/households", code=wanted.code.lower())
    assert found.status_code == 200
    assert [item["code"] for item in found.json()["items"]] == [wanted.code]
    assert found.json()["count"] == 1
    assert call(carol, "get", "/households", code="X" * 21).status_code == 400
    page = client_for(carol).get(
        reverse("household_list", kwargs={"org": "north"}), {"code": wanted.code}
    )
    assert page.status_code == 200
    assert [household.code for household, _count in page.context["rows"]] == [wanted.code]
    none = client_for(carol).get(
        reverse("household_list", kwargs={"org": "north"}), {"code": "NOPE"}
    )
    assert b"No household has this code." in none.content
    oversized = client_for(carol).get(
        reverse("household_list", kwargs={"org": "north"}), {"code": "H" * 21}
    )
    assert oversized.status_code == 400
    assert oversized.context["rows"] == []
