"""Consent, households, cases, notes and settings through the web pages and the actions."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import access, actions
from haven.casework.access import ConsentRequired, has_consent, require_consent
from haven.casework.models import Case, CaseNote, Consent, Household, Person
from haven.casework.terminology import people_words
from haven.organisations.models import Network, Organisation
from haven.privacy.models import AuditEvent
from tests.casework.conftest import intake
from tests.conftest import client_for

TODAY = datetime.date.today()


def actions_logged() -> list[str]:
    with scopes_disabled():
        return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def casework_consent(person: Person) -> Consent:
    with scope(organisation=person.organisation_id):
        return Consent.objects.get(person=person, purpose="casework")


def test_withdrawing_casework_consent_makes_require_consent_fail(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    require_consent(person, "casework")
    response = client_for(carol).post(
        reverse(
            "consent_withdraw",
            kwargs={
                "org": "north",
                "person_id": person.pk,
                "consent_id": casework_consent(person).pk,
            },
        ),
        {"withdrawn_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    assert not has_consent(person, "casework")
    with pytest.raises(ConsentRequired) as refused:
        require_consent(person, "casework")
    assert person.code in refused.value.messages[0]
    assert "consent.withdrawn" in actions_logged()


def test_without_casework_consent_no_case_and_no_note_can_be_recorded(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person, assigned_to=carol)
    actions.withdraw_consent(actor=carol, consent=casework_consent(person))
    with pytest.raises(ConsentRequired):
        actions.open_case(actor=carol, person=person)
    response = client_for(carol).post(
        reverse("note_add", kwargs={"org": "north", "case_id": case.pk}), {"text": "after"}
    )
    assert response.status_code == 400
    assert b"no casework consent" in response.content
    with scopes_disabled():
        assert not CaseNote.objects.exists()


def test_referral_consent_holds_only_for_its_named_recipient(
    north: Organisation, south: Organisation, coalition: Network, carol: User
) -> None:
    person = intake(carol, north)
    response = client_for(carol).post(
        reverse("consent_add", kwargs={"org": "north", "person_id": person.pk}),
        {
            "purpose": "referral",
            "recipient": south.pk,
            "given_on": TODAY.isoformat(),
            "method": "verbal",
        },
    )
    assert response.status_code == 302
    assert has_consent(person, "referral", south)
    assert not has_consent(person, "referral", coalition.organisation)
    assert not has_consent(person, "referral")
    assert not has_consent(person, "statistics")


def test_referral_consent_without_recipient_is_refused(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    response = client_for(carol).post(
        reverse("consent_add", kwargs={"org": "north", "person_id": person.pk}),
        {"purpose": "referral", "given_on": TODAY.isoformat(), "method": "verbal"},
    )
    assert response.status_code == 400
    with scope(organisation=north):
        assert Consent.objects.filter(person=person).count() == 1


def test_withdrawal_before_the_consent_was_given_is_refused(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    consent = casework_consent(person)
    with pytest.raises(Exception, match="before it was given"):
        actions.withdraw_consent(
            actor=carol, consent=consent, withdrawn_on=datetime.date(2000, 1, 1)
        )
    assert has_consent(person, "casework")


def test_caseworker_opens_edits_and_closes_a_case(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    client = client_for(carol)
    response = client.post(
        reverse("case_open", kwargs={"org": "north", "person_id": person.pk}),
        {
            "assigned_to": carol.pk,
            "needs": ["housing", "legal"],
            "risk_level": "high",
            "opened_on": "2025-03-01",
            "follow_up_on": "2025-03-10",
        },
    )
    assert response.status_code == 302, response.content
    with scopes_disabled():
        case = Case.objects.get()
    assert case.needs == ["housing", "legal"]
    assert case.assigned_to == carol
    assert list(access.open_cases_assigned_to(north, carol)) == [case]
    assert list(access.cases_due_for_follow_up(north, datetime.date(2025, 3, 10))) == [case]
    assert list(access.cases_due_for_follow_up(north, datetime.date(2025, 3, 9))) == []
    early = client.post(
        reverse("case_close", kwargs={"org": "north", "case_id": case.pk}),
        {"status": "Closed", "closed_on": "2025-02-01"},
    )
    assert early.status_code == 400
    closed = client.post(
        reverse("case_close", kwargs={"org": "north", "case_id": case.pk}),
        {"status": "ClosedReferred", "closed_on": "2025-04-01"},
    )
    assert closed.status_code == 302
    with scopes_disabled():
        case.refresh_from_db()
    assert case.status == "ClosedReferred"
    assert case.closed_on == datetime.date(2025, 4, 1)
    assert list(access.open_cases_assigned_to(north, carol)) == []


def test_opening_a_second_case_warns_and_links_the_open_one(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    client = client_for(carol)
    page = reverse("case_open", kwargs={"org": "north", "person_id": person.pk})
    assert 'id="open-cases"' not in client.get(page).content.decode()
    first = actions.open_case(actor=carol, person=person, opened_on=datetime.date(2025, 3, 1))
    warned = client.get(page).content.decode()
    assert f"{person.code} already has an open case:" in warned
    assert reverse("case_detail", kwargs={"org": "north", "case_id": first.pk}) in warned
    assert "opened on 1 March 2025" in warned
    with scope(organisation=north.pk):
        first.status = "Closed"
        first.save()
    assert 'id="open-cases"' not in client.get(page).content.decode()


def test_a_case_edited_in_french_keeps_its_dates(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    client = client_for(carol)
    client.post(
        reverse("case_open", kwargs={"org": "north", "person_id": person.pk}),
        {"assigned_to": carol.pk, "needs": ["housing"], "risk_level": "low",
         "opened_on": "2025-03-01", "follow_up_on": "2025-03-10"},
    )  # fmt: skip
    with scopes_disabled():
        case = Case.objects.get()
    edit = reverse("case_edit", kwargs={"org": "north", "case_id": case.pk})
    page = client.get(edit, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    # The browser's date box takes only ISO dates: "10/03/2025" showed as an empty box, and
    # saving the form in French then erased the follow-up.
    assert 'value="2025-03-01"' in page
    assert 'value="2025-03-10"' in page


def test_my_cases_come_soonest_follow_up_first_and_those_without_one_last(
    north: Organisation, carol: User
) -> None:
    def case(follow_up_on: datetime.date | None) -> Case:
        return actions.open_case(
            actor=carol, person=intake(carol, north), assigned_to=carol, follow_up_on=follow_up_on
        )

    undated = case(None)
    later = case(TODAY + datetime.timedelta(days=9))
    sooner = case(TODAY + datetime.timedelta(days=2))
    page = client_for(carol).get(reverse("case_list", kwargs={"org": "north"}), {"mine": "1"})
    assert list(page.context["page"].object_list) == [sooner, later, undated]


def test_a_case_cannot_be_assigned_to_someone_outside_casework(
    north: Organisation, carol: User, victor: User, bob: User
) -> None:
    person = intake(carol, north)
    for stranger in (victor, bob):
        with pytest.raises(Exception, match="caseworker"):
            actions.open_case(actor=carol, person=person, assigned_to=stranger)
    with scopes_disabled():
        assert not Case.objects.exists()


def test_case_notes_are_encrypted_listed_and_their_reading_audited(
    north: Organisation, carol: User, hana: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person, assigned_to=carol)
    client = client_for(carol)
    response = client.post(
        reverse("note_add", kwargs={"org": "north", "case_id": case.pk}),
        {"text": "Canarynote met at the station"},
    )
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM casework_casenote")
        stored = cursor.fetchone()[0]
    assert "Canarynote" not in stored
    page = client.get(reverse("case_detail", kwargs={"org": "north", "case_id": case.pk}))
    assert b"Canarynote met at the station" in page.content
    logged = actions_logged()
    assert logged[-2:] == ["case.viewed", "case.notes_viewed"]
    operator_page = client_for(hana).get(
        reverse("case_detail", kwargs={"org": "north", "case_id": case.pk})
    )
    assert operator_page.status_code == 200
    assert b"Canarynote" not in operator_page.content


def test_case_page_links_to_the_person_page_and_to_the_details(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person, assigned_to=carol)
    page = client_for(carol).get(
        reverse("case_detail", kwargs={"org": "north", "case_id": case.pk})
    )
    content = page.content.decode()
    for name in ("person_page", "person_details"):
        assert f'href="{reverse(name, kwargs={"org": "north", "person_id": person.pk})}"' in content


def test_case_page_shows_the_labels_of_the_needs_in_the_language_of_the_page(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(
        actor=carol, person=person, assigned_to=carol, needs=["mental_health", "income"]
    )
    page = client_for(carol).get(
        reverse("case_detail", kwargs={"org": "north", "case_id": case.pk}),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    content = page.content.decode()
    assert '<span class="tag">Santé mentale</span> <span class="tag">Revenus</span>' in content
    assert "mental_health" not in content


def test_household_members_can_be_added_and_removed(north: Organisation, carol: User) -> None:
    first, second = intake(carol, north), intake(carol, north)
    household = actions.create_household(
        actor=carol, organisation=north, members=[first], other_members=2
    )
    client = client_for(carol)
    joined = client.post(
        reverse("person_household", kwargs={"org": "north", "person_id": second.pk}),
        {"choice": "existing", "household_code": household.code},
    )
    assert joined.status_code == 302
    page = client.get(
        reverse("household_detail", kwargs={"org": "north", "household_id": household.pk})
    )
    assert first.code.encode() in page.content
    assert second.code.encode() in page.content
    assert b"2 other members" in page.content
    removed = client.post(
        reverse(
            "household_member_remove",
            kwargs={"org": "north", "household_id": household.pk, "person_id": first.pk},
        )
    )
    assert removed.status_code == 302
    with scope(organisation=north):
        assert list(Person.objects.filter(household=household)) == [second]
    edited = client.post(
        reverse("household_edit", kwargs={"org": "north", "household_id": household.pk}),
        {"other_members": "-1"},
    )
    assert edited.status_code == 400
    with scope(organisation=north):
        assert Household.objects.get().other_members == 2


def test_admin_changes_terminology_and_prefix_and_bad_values_are_refused(
    north: Organisation, alice: User, carol: User
) -> None:
    client = client_for(alice)
    path = reverse("casework_settings", kwargs={"org": "north"})
    bad = client.post(
        path,
        {
            "terminology": "client",
            "code_prefix": "NO SPACES",
            "person_retention_months": "12",
            "call_retention_months": "6",
        },
    )
    assert bad.status_code == 400
    assert people_words(north)["people"] == "people"
    good = client.post(
        path,
        {
            "terminology": "client",
            "code_prefix": "CL",
            "person_retention_months": "12",
            "call_retention_months": "6",
        },
    )
    assert good.status_code == 302
    assert people_words(north) == {
        "person": "client",
        "people": "clients",
        "Person": "Client",
        "People": "Clients",
    }
    assert intake(carol, north).code == "CL-00001"
    assert client_for(carol).get(path).status_code == 403


def test_people_words_are_translated(north: Organisation, alice: User) -> None:
    from django.utils import translation

    actions.save_settings(actor=alice, organisation=north, values={"terminology": "survivor"})
    with translation.override("fr"):
        words = people_words(north)
    assert set(words) == {"person", "people", "Person", "People"}


def test_outsider_gets_404_on_cases_households_and_consents(
    north: Organisation, carol: User, bob: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person)
    household = actions.create_household(actor=carol, organisation=north, other_members=1)
    client = client_for(bob)
    for org in ("north", "south"):
        for path in (
            reverse("case_detail", kwargs={"org": org, "case_id": case.pk}),
            reverse("household_detail", kwargs={"org": org, "household_id": household.pk}),
            reverse(
                "consent_withdraw",
                kwargs={
                    "org": org,
                    "person_id": person.pk,
                    "consent_id": casework_consent(person).pk,
                },
            ),
        ):
            assert client.get(path).status_code == 404, path


def test_starting_a_household_for_someone_in_one_is_refused_naming_it(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    household = actions.create_household(actor=carol, organisation=north, members=[person])
    client = client_for(carol)
    url = reverse("person_household", kwargs={"org": "north", "person_id": person.pk})
    refused = client.post(url, {"choice": "new"})
    assert refused.status_code == 400
    assert f"is already in household {household.code}" in refused.content.decode()
    with scope(organisation=north):
        assert Household.objects.count() == 1
        person.refresh_from_db()
    assert person.household == household
    assert client.post(url, {"choice": "leave"}).status_code == 302
    assert client.post(url, {"choice": "new"}).status_code == 302
    with scope(organisation=north):
        person.refresh_from_db()
        assert Household.objects.count() == 2
    assert person.household is not None
    assert person.household != household


@pytest.mark.parametrize("listed", ["twice", "nobody"])
def test_a_household_of_nobody_or_of_someone_listed_twice_is_refused(
    north: Organisation, carol: User, listed: str
) -> None:
    person = intake(carol, north)
    members = [person, person] if listed == "twice" else []
    with pytest.raises(ValidationError) as refused:
        actions.create_household(actor=carol, organisation=north, members=members)
    assert ("listed more than once" in str(refused.value)) == (listed == "twice")
    with scope(organisation=north):
        assert Household.objects.count() == 0


def test_joining_another_household_is_audited_on_the_one_left(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    first = actions.create_household(actor=carol, organisation=north, members=[person])
    second = actions.create_household(actor=carol, organisation=north, other_members=2)
    actions.add_to_household(actor=carol, household=second, person=person)
    with scopes_disabled():
        [removed] = AuditEvent.objects.filter(action="household.member_removed")
    assert removed.object_id == str(first.pk)
    assert removed.details == {"person": str(person.pk), "moved_to": str(second.pk)}


def test_without_casework_consent_a_person_gets_no_new_facts_but_may_lose_some(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north, given_name="Before", phone="+33 6 11 22 33 44")
    actions.withdraw_consent(actor=carol, consent=casework_consent(person))
    url = reverse("person_edit", kwargs={"org": "north", "person_id": person.pk})
    typed = {"given_name": "Before", "phone": "+33 6 11 22 33 44", "gender": "Feminine"}
    response = client_for(carol).post(url, typed)
    assert response.status_code == 400
    assert b"no casework consent" in response.content
    # What was typed stays in the form.
    assert b'<option value="Feminine" selected>' in response.content
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.gender == ""
    assert "person.updated" not in actions_logged()
    # Taking data away (here the phone) needs no consent.
    response = client_for(carol).post(url, {"given_name": "Before", "phone": ""})
    assert response.status_code == 302
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.phone == ""
    assert person.given_name == "Before"


def test_without_casework_consent_a_person_joins_no_household(
    north: Organisation, carol: User
) -> None:
    person, other = intake(carol, north), intake(carol, north)
    household = actions.create_household(actor=carol, organisation=north, members=[other])
    actions.withdraw_consent(actor=carol, consent=casework_consent(person))
    with pytest.raises(ConsentRequired):
        actions.add_to_household(actor=carol, household=household, person=person)
    with pytest.raises(ValidationError) as refused:
        actions.create_household(actor=carol, organisation=north, members=[person])
    assert person.code in refused.value.message_dict["members"][0]
    with pytest.raises(ValidationError):
        actions.update_household(actor=carol, household=household, members=[other, person])
    url = reverse("person_household", kwargs={"org": "north", "person_id": person.pk})
    response = client_for(carol).post(url, {"choice": "existing", "household_code": household.code})
    assert response.status_code == 400
    assert b"no casework consent" in response.content
    with scope(organisation=north):
        person.refresh_from_db()
        assert person.household_id is None
        assert Household.objects.count() == 1
    # A member who withdrew stays listed when the others change, and may leave.
    actions.add_to_household(actor=carol, household=household, person=other)
    actions.withdraw_consent(actor=carol, consent=casework_consent(other))
    assert actions.update_household(actor=carol, household=household, other_members=2)
    actions.update_household(actor=carol, household=household, members=[other])
    actions.remove_from_household(actor=carol, household=household, person=other)
