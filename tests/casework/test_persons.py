"""Persons through the web pages: intake, details, identity, editing and search."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions
from haven.casework.models import Consent, Household, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.casework.conftest import intake
from tests.conftest import client_for
from tests.marks import concurrent_writers

CANARIES = {
    "given_name": "Canarygiven",
    "family_name": "Canaryfamily",
    "alias": "Canaryalias",
    "phone": "+33 6 99 88 77 66",
    "identity_document": "CANARYPASSPORT123",
    "address": "12 rue Canaryaddress",
    "notes": "Canarynotes text",
}


def intake_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "gender": "Feminine",
        "age_band": "25-34",
        "household_choice": "none",
        "consent_given_on": "2025-02-01",
        "consent_method": "verbal",
        **overrides,
    }
    return data


def raw_dump() -> str:
    """Every value of every casework table as the database holds it."""
    with connection.cursor() as cursor:
        parts: list[str] = []
        for table in ("casework_person", "casework_casenote", "privacy_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")
            parts.extend(str(row) for row in cursor.fetchall())
    return "\n".join(parts)


def events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def audit_count() -> int:
    with scopes_disabled():
        return AuditEvent.objects.count()


def events_since(count: int) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.order_by("seq")[count:])


def test_caseworker_records_a_person_and_gets_a_code_and_consent(
    north: Organisation, carol: User
) -> None:
    response = client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}), intake_form(**CANARIES)
    )
    assert response.status_code == 302
    with scopes_disabled():
        person = Person.objects.get()
        consent = Consent.objects.get()
    assert person.code == "P-00001"
    assert person.given_name == "Canarygiven"
    assert consent.purpose == "casework"
    assert consent.method == "verbal"
    assert consent.given_on == datetime.date(2025, 2, 1)
    assert response["Location"] == reverse(
        "person_details", kwargs={"org": "north", "person_id": person.pk}
    )
    created = events("person.created")
    assert len(created) == 1
    assert "Canary" not in str(created[0].details)


def test_canary_plaintexts_never_reach_the_database_through_the_form_or_the_api(
    north: Organisation, carol: User
) -> None:
    from tests.conftest import bearer

    client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}), intake_form(**CANARIES)
    )
    api_values = {key: value.replace("Canary", "Apicanary") for key, value in CANARIES.items()}
    headers: dict[str, Any] = bearer(carol)
    response = client_for(carol).post(
        "/api/orgs/north/persons",
        {**api_values, "consent": {"given_on": "2025-02-01", "method": "written"}},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content
    dump = raw_dump()
    for value in (*CANARIES.values(), *api_values.values()):
        assert value not in dump
    assert "99 88 77" not in dump
    with scopes_disabled():
        assert Person.objects.count() == 2


def test_intake_without_consent_is_refused_and_records_nothing(
    north: Organisation, carol: User
) -> None:
    response = client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}),
        intake_form(consent_given_on="", consent_method=""),
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not Person.objects.exists()


def test_consent_dated_in_the_future_is_refused(north: Organisation, carol: User) -> None:
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}),
        intake_form(consent_given_on=tomorrow),
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not Person.objects.exists()


def test_oversized_name_is_refused_with_a_message(north: Organisation, carol: User) -> None:
    response = client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}), intake_form(given_name="x" * 201)
    )
    assert response.status_code == 400
    assert b"at most 200 characters" in response.content
    with scopes_disabled():
        assert not Person.objects.exists()


def test_intake_can_start_a_household_and_another_person_can_join_it(
    north: Organisation, carol: User
) -> None:
    client = client_for(carol)
    client.post(
        reverse("person_create", kwargs={"org": "north"}), intake_form(household_choice="new")
    )
    with scopes_disabled():
        household = Household.objects.get()
    response = client.post(
        reverse("person_create", kwargs={"org": "north"}),
        intake_form(household_choice="existing", household_code=household.code),
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert Person.objects.filter(household=household).count() == 2


def test_joining_an_unknown_household_is_refused(north: Organisation, carol: User) -> None:
    response = client_for(carol).post(
        reverse("person_create", kwargs={"org": "north"}),
        intake_form(household_choice="existing", household_code="H-99999"),
    )
    assert response.status_code == 400
    assert b"No household has this code" in response.content


def test_a_household_code_typed_in_lower_case_is_found_at_intake_and_when_joining(
    north: Organisation, carol: User
) -> None:
    # Codes are stored in upper case; services, helpline and search accept any case.
    first, second = intake(carol, north), intake(carol, north)
    with scope(organisation=north):
        household = actions.create_household(actor=carol, organisation=north, members=[first])
    typed = household.code.lower()
    assert typed != household.code
    client = client_for(carol)
    created = client.post(
        reverse("person_create", kwargs={"org": "north"}),
        intake_form(household_choice="existing", household_code=typed),
    )
    assert created.status_code == 302
    joined = client.post(
        reverse("person_household", kwargs={"org": "north", "person_id": second.pk}),
        {"choice": "existing", "household_code": f" {typed} "},
    )
    assert joined.status_code == 302
    with scopes_disabled():
        assert Person.objects.filter(household=household).count() == 3


@pytest.mark.parametrize("age", ["²", "3²", "٣٠", "３０", "121", "1000", "-1", "3.5"])
def test_an_estimated_age_in_other_than_the_digits_0_to_9_is_refused(
    north: Organisation, carol: User, age: str
) -> None:
    # "²".isdigit() is true, and int("²") raised a ValueError; "٣٠" was stored as typed
    # and erased by the next save of the form, whose number input cannot show it.
    person = intake(carol, north)
    with scope(organisation=north), pytest.raises(ValidationError) as refused:
        actions.update_person(actor=carol, person=person, values={"estimated_age": age})
    assert refused.value.message_dict == {"estimated_age": ["Give an age in years, from 0 to 120."]}


def test_an_estimated_age_is_stored_without_leading_zeros(north: Organisation, carol: User) -> None:
    person = intake(carol, north, estimated_age="030")
    assert person.estimated_age == "30"
    with scope(organisation=north):
        actions.update_person(actor=carol, person=person, values={"estimated_age": "000"})
        person.refresh_from_db()
    assert person.estimated_age == "0"


def test_codes_use_the_organisation_prefix_and_stay_unique(
    north: Organisation, south: Organisation, carol: User, bob: User, alice: User
) -> None:
    actions.save_settings(actor=alice, organisation=north, values={"code_prefix": "NS"})
    codes = [intake(carol, north).code for _ in range(30)]
    assert codes[0] == "NS-00001"
    assert codes[-1] == "NS-00030"
    assert len(set(codes)) == 30
    assert intake(bob, south).code == "P-00001"


def test_code_generation_skips_codes_already_taken(north: Organisation, carol: User) -> None:
    from django.utils import timezone

    with scope(organisation=north):
        Person.objects.create(organisation=north, code="P-00001", last_activity_at=timezone.now())
    assert intake(carol, north).code == "P-00002"


def test_details_page_shows_facts_without_identity_and_audits_one_read(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north, given_name="Secretname", gender="Masculine")
    client = client_for(carol)
    before = audit_count()
    response = client.get(
        reverse("person_details", kwargs={"org": "north", "person_id": person.pk})
    )
    assert response.status_code == 200
    assert person.code.encode() in response.content
    assert b"Secretname" not in response.content
    assert b"Show identity" in response.content
    assert audit_count() == before + 1
    assert events("person.viewed")[-1].object_id == str(person.pk)


def test_details_page_shows_the_labels_of_the_recorded_codes_in_the_language_of_the_page(
    north: Organisation, carol: User
) -> None:
    person = intake(
        carol,
        north,
        citizenship=["UA"],
        exploitation_types=["ForcedLabour"],
        means_of_control=["ThreatensChildrenFamily", "WithholdsDocuments"],
        vulnerabilities=["DisabilityAndPhysicalHealth"],
    )
    path = reverse("person_details", kwargs={"org": "north", "person_id": person.pk})
    page = client_for(carol).get(path, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<dd>Ukraine</dd>" in page
    assert "<dd>Travail forcé</dd>" in page
    assert "<dd>Menaces envers les enfants ou la famille, Confiscation des papiers</dd>" in page
    assert "<dd>Handicap et santé physique</dd>" in page
    for code in ("ForcedLabour", "ThreatensChildrenFamily", "DisabilityAndPhysicalHealth"):
        assert code not in page


def test_every_read_of_a_person_writes_exactly_one_audit_event(
    north: Organisation, carol: User
) -> None:
    from tests.conftest import bearer

    person = intake(carol, north, given_name="Once")
    headers: dict[str, Any] = bearer(carol)
    reads = [
        ("web", reverse("person_details", kwargs={"org": "north", "person_id": person.pk})),
        ("web", reverse("person_identity", kwargs={"org": "north", "person_id": person.pk})),
        ("web", reverse("person_edit", kwargs={"org": "north", "person_id": person.pk})),
        ("api", f"/api/orgs/north/persons/{person.pk}"),
        ("api", f"/api/orgs/north/persons/{person.pk}/identity"),
    ]
    client = client_for(carol)
    for kind, path in reads:
        before = audit_count()
        response = client.get(path, **(headers if kind == "api" else {}))
        assert response.status_code == 200, path
        new = events_since(before)
        assert len(new) == 1, (path, [e.action for e in new])
        assert new[0].object_id == str(person.pk)
        assert new[0].action in ("person.viewed", "person.identity_viewed")


def test_showing_identity_is_a_separate_audited_action_with_an_htmx_fragment(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north, given_name="Revealme", phone="0600000000")
    path = reverse("person_identity", kwargs={"org": "north", "person_id": person.pk})
    fragment = client_for(carol).get(path, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"Revealme" in fragment.content
    assert b"<html" not in fragment.content
    page = client_for(carol).get(path)
    assert b"Revealme" in page.content
    assert b"<html" in page.content
    revealed = events("person.identity_viewed")
    assert len(revealed) == 2
    assert "Revealme" not in str([e.details for e in revealed])


def test_helpline_operator_sees_the_code_but_never_the_identity(
    north: Organisation, carol: User, hana: User
) -> None:
    person = intake(carol, north, given_name="Hiddenname", phone="0611111111")
    client = client_for(hana)
    details = client.get(reverse("person_details", kwargs={"org": "north", "person_id": person.pk}))
    assert details.status_code == 200
    assert person.code.encode() in details.content
    assert b"Hiddenname" not in details.content
    assert b"Show identity" not in details.content
    identity = client.get(
        reverse("person_identity", kwargs={"org": "north", "person_id": person.pk})
    )
    assert identity.status_code == 403
    # Without the right to see identity, searching by name is not offered and is ignored.
    listing = client.get(reverse("person_list", kwargs={"org": "north"}), {"name": "Nobody"})
    assert b'name="name"' not in listing.content
    assert [p.code for p in listing.context["page"]] == [person.code]
    assert b"0611111111" not in listing.content


def test_outsider_gets_404_and_viewer_gets_403(
    north: Organisation, carol: User, bob: User, victor: User
) -> None:
    person = intake(carol, north)
    path = reverse("person_details", kwargs={"org": "north", "person_id": person.pk})
    assert client_for(bob).get(path).status_code == 404
    south_path = reverse("person_details", kwargs={"org": "south", "person_id": person.pk})
    assert client_for(bob).get(south_path).status_code == 404
    assert client_for(victor).get(path).status_code == 403
    assert (
        client_for(victor).get(reverse("person_list", kwargs={"org": "north"})).status_code == 403
    )


def test_editing_a_person_changes_facts_and_audits_field_names_only(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north, given_name="Before", gender="Feminine")
    response = client_for(carol).post(
        reverse("person_edit", kwargs={"org": "north", "person_id": person.pk}),
        {"given_name": "Aftername", "gender": "Feminine", "in_sex_work": "yes"},
    )
    assert response.status_code == 302
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.given_name == "Aftername"
    assert person.in_sex_work is True
    updated = events("person.updated")[-1]
    assert updated.details == {"fields": ["given_name", "in_sex_work"]}


def test_bad_edit_changes_nothing(north: Organisation, carol: User) -> None:
    person = intake(carol, north, gender="Feminine")
    response = client_for(carol).post(
        reverse("person_edit", kwargs={"org": "north", "person_id": person.pk}),
        {"gender": "no-such-gender", "birth_date": "2024-13-45"},
    )
    assert response.status_code == 400
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.gender == "Feminine"


def search(user: User, **params: Any) -> Any:
    return client_for(user).get(reverse("person_list", kwargs={"org": "north"}), params)


def test_blind_index_search_finds_a_name_whatever_its_case_spaces_and_accents(
    north: Organisation, carol: User
) -> None:
    maria = intake(carol, north, given_name="  MARÍA  ")
    other = intake(carol, north, given_name="Marianne")
    found = search(carol, name="maría")
    assert maria.code.encode() in found.content
    assert other.code.encode() not in found.content
    # Accents count: "maria" is another name.
    assert search(carol, name="maria").context["page"].paginator.count == 0
    assert search(carol, name="  maRÍa ").context["page"].paginator.count == 1
    by_phone = intake(carol, north, phone="+33 6 12 34 56 78")
    assert by_phone.code.encode() in search(carol, name="+33612345678").content


def test_a_full_name_finds_the_person_in_either_order_and_never_half_a_match(
    north: Organisation, carol: User
) -> None:
    elena = intake(carol, north, given_name="Elena", family_name="Thistle-Fictional")
    maria = intake(carol, north, given_name="Maria José", family_name="García López")
    namesake = intake(carol, north, given_name="Elena", family_name="Other")
    for typed in ("Elena Thistle-Fictional", "thistle-fictional  ELENA"):
        page = search(carol, name=typed)
        assert elena.code.encode() in page.content, typed
        assert namesake.code.encode() not in page.content, typed
    assert search(carol, name="Maria José García López").context["page"].paginator.count == 1
    assert maria.code.encode() in search(carol, name="García López Maria José").content
    assert search(carol, name="Elena Thistle").context["page"].paginator.count == 0


def test_search_by_code_prefix_and_exact(north: Organisation, carol: User) -> None:
    people = [intake(carol, north) for _ in range(12)]
    exact = search(carol, code="p-00012").context["page"]
    assert [p.code for p in exact.object_list] == ["P-00012"]
    prefix = search(carol, code="P-0001").context["page"]
    assert {p.code for p in prefix.object_list} == {p.code for p in people[9:]}


def test_a_sex_worker_is_not_counted_as_trafficked(north: Organisation, carol: User) -> None:
    sex_worker = intake(carol, north, in_sex_work=True)
    trafficked = intake(
        carol,
        north,
        trafficking_status="ActualVictimOfTrafficking",
        exploitation_types=["SexualExploitation"],
    )
    for status in ("ActualVictimOfTrafficking", "PossibleVictimOfTrafficking"):
        codes = {p.code for p in search(carol, trafficking_status=status).context["page"]}
        assert sex_worker.code not in codes
    codes = {p.code for p in search(carol, exploitation_type="SexualExploitation").context["page"]}
    assert codes == {trafficked.code}
    codes = {p.code for p in search(carol, in_sex_work="yes").context["page"]}
    assert codes == {sex_worker.code}
    with scope(organisation=north):
        sex_worker.refresh_from_db()
    assert sex_worker.trafficking_status == ""
    assert sex_worker.exploitation_types == []


def test_filters_by_gender_age_band_and_activity_dates(north: Organisation, carol: User) -> None:
    woman = intake(carol, north, gender="Feminine", age_band="18-24")
    man = intake(carol, north, gender="Masculine", age_band="18-24")
    assert {p.code for p in search(carol, gender="Feminine").context["page"]} == {woman.code}
    assert {p.code for p in search(carol, age_band="18-24").context["page"]} == {
        woman.code,
        man.code,
    }
    today = datetime.date.today().isoformat()
    assert search(carol, active_from=today).context["page"].paginator.count == 2
    assert search(carol, active_to="2000-01-01").context["page"].paginator.count == 0
    assert search(carol, active_from=today, active_to="2000-01-01").status_code == 400


def test_filter_by_service_received(north: Organisation, carol: User) -> None:
    from haven.services.models import ServiceDelivery, ServiceType

    helped = intake(carol, north)
    intake(carol, north)
    food = ServiceType.objects.get(code="food_parcel", organisation__isnull=True)
    with scope(organisation=north):
        ServiceDelivery.objects.create(
            organisation=north,
            service_type=food,
            delivered_on=datetime.date(2025, 3, 1),
            person=helped,
            staff=carol,
        )
    page = search(carol, service="food_parcel").context["page"]
    assert [p.code for p in page.object_list] == [helped.code]
    assert search(carol, service="no-such-service").status_code == 400


def test_the_code_in_the_results_opens_the_person_page_and_the_details_link_back(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    person_page = reverse("person_page", kwargs={"org": "north", "person_id": person.pk})
    details = reverse("person_details", kwargs={"org": "north", "person_id": person.pk})
    listing = search(carol).content.decode()
    assert f'<a href="{person_page}">{person.code}</a>' in listing
    assert f'href="{details}"' not in listing
    assert f'href="{person_page}"' in client_for(carol).get(details).content.decode()


def test_service_filter_offers_the_names_of_services_in_the_language_of_the_page(
    north: Organisation, carol: User
) -> None:
    listing = client_for(carol).get(
        reverse("person_list", kwargs={"org": "north"}), HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert '<option value="food_parcel">Colis alimentaire</option>' in listing.content.decode()


def test_list_is_paginated_by_fifty_and_audited_once_with_the_count(
    north: Organisation, carol: User
) -> None:
    for _ in range(55):
        intake(carol, north)
    first = search(carol)
    assert len(first.context["page"].object_list) == 50
    second = search(carol, page=2)
    assert len(second.context["page"].object_list) == 5
    listed = events("person.listed")
    assert [e.details["count"] for e in listed] == [50, 5]


def test_list_heading_uses_the_organisation_terminology(
    north: Organisation, carol: User, alice: User
) -> None:
    actions.save_settings(actor=alice, organisation=north, values={"terminology": "survivor"})
    response = search(carol)
    assert b"<h1>Survivors</h1>" in response.content


@pytest.mark.parametrize("bad", [{"code": "x" * 21}, {"gender": "nope"}, {"active_from": "x"}])
def test_bad_search_is_a_400(north: Organisation, carol: User, bad: dict[str, str]) -> None:
    person = intake(carol, north)
    response = search(carol, **bad)
    assert response.status_code == 400
    # Nobody is listed for a search that could not be read (it listed everyone).
    assert person.code not in response.content.decode()


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_codes_stay_unique_when_many_intakes_run_at_once(flushable_audit_trail: None) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from haven.accounts.permissions import Role
    from tests.conftest import make_organisation, make_user

    organisation = make_organisation("busy")
    worker = make_user("busy-carol", organisation, Role.CASEWORKER)

    def record(_: int) -> str:
        try:
            return intake(worker, organisation).code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(record, range(40)))
    assert len(set(codes)) == 40
    assert sorted(codes) == [f"P-{n:05d}" for n in range(1, 41)]


def test_the_list_of_persons_reads_no_identity_and_no_query_a_row(
    north: Organisation, carol: User
) -> None:
    from django.test.utils import CaptureQueriesContext

    def person(given_name: str, household: Household | None = None) -> Person:
        with scope(organisation=north):
            return actions.create_person(
                actor=carol,
                organisation=north,
                values={"given_name": given_name},
                consent_given_on=datetime.date(2025, 1, 10),
                consent_method="written",
                household=household,
                new_household=household is None,
            )

    first_person = person("Listedname")
    client = client_for(carol)
    url = reverse("person_list", kwargs={"org": "north"})
    client.get(url)  # the first request of a session renews it
    with CaptureQueriesContext(connection) as one:
        first = client.get(url)
    for number in range(12):
        person(f"Other{number}", first_person.household)
    with CaptureQueriesContext(connection) as thirteen:
        client.get(url)
    assert len(thirteen) == len(one)
    assert first_person.household is not None
    assert first_person.household.code.encode() in first.content
    assert b"Listedname" not in first.content
    person_reads = [query["sql"] for query in thirteen if 'FROM "casework_person"' in query["sql"]]
    assert person_reads
    assert all('"given_name"' not in sql for sql in person_reads)
