"""Shortening a retention period: the admin is told how many records the next run would
remove and must confirm, on the page and through the API; admins and DPOs are e-mailed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.access import settings_of
from haven.casework.htcds import CaseStatus
from haven.casework.models import Case, OrganisationSettings, Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.records.access import months_before, removed_by_periods
from haven.records.actions import apply_retention_to
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer, client_for
from tests.records.conftest import make_person

pytestmark = pytest.mark.django_db

SETTINGS = "/api/orgs/north/casework/settings"


@dataclass
class Old:
    """Persons last active 20 months ago: two the next run may delete, two it keeps."""

    expired: list[Person]
    staying: Person
    in_a_case: Person


def _months_ago(months: int) -> datetime:
    return months_before(timezone.now(), months)


def _call(organisation: Organisation, months: int, person: Person | None, notes: str) -> None:
    HelplineCall.objects.create(
        organisation=organisation,
        started_at=_months_ago(months),
        duration_minutes=3,
        caller_type="relative",
        outcome="information_given",
        person=person,
        notes=notes,
    )


@pytest.fixture
def old(north: Organisation, carol: User) -> Old:
    today = timezone.localdate()
    with scopes_disabled():
        aged = {"last_activity_at": _months_ago(20)}
        gone = make_person(north, "P-0101", carol, **aged)
        left = make_person(north, "P-0102", carol, **aged)
        staying = make_person(north, "P-0103", carol, **aged)
        in_a_case = make_person(north, "P-0104", carol, **aged)
        young = make_person(north, "P-0105", carol, last_activity_at=_months_ago(6))
        house = Facility.objects.create(organisation=north, name="House", beds=9)
        # Left's stay is over and her case closed: neither keeps her.
        Stay.objects.create(
            organisation=north,
            facility=house,
            person=left,
            starts_on=today - timedelta(days=40),
            ends_on=today - timedelta(days=10),
        )
        Case.objects.create(
            organisation=north,
            person=left,
            opened_on=today - timedelta(days=900),
            closed_on=today - timedelta(days=700),
            status=CaseStatus.CLOSED,
        )
        Stay.objects.create(
            organisation=north,
            facility=house,
            person=staying,
            starts_on=today - timedelta(days=700),
        )
        Case.objects.create(
            organisation=north,
            person=in_a_case,
            opened_on=today - timedelta(days=900),
            status=CaseStatus.FOLLOW_UP,
        )
        # The stay of someone erased earlier, ending today, names nobody and keeps nobody.
        Stay.objects.create(
            organisation=north,
            facility=house,
            person=None,
            anonymous_guest=uuid.uuid4(),
            starts_on=today - timedelta(days=5),
            ends_on=today,
        )
        _call(north, 30, young, "")  # linked: anonymised after 24 months
        _call(north, 30, None, "notes")  # notes: anonymised after 24 months
        _call(north, 30, None, "")  # nothing left to anonymise
        _call(north, 18, young, "notes")  # anonymised only under a period under 18 months
        _call(north, 3, young, "notes")
    return Old(expired=[gone, left], staying=staying, in_a_case=in_a_case)


def _form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "terminology": "person",
        "code_prefix": "P",
        "person_retention_months": 60,
        "call_retention_months": 24,
        "time_zone": "",
    }
    return {**values, **changes}


def _periods(organisation: Organisation) -> tuple[int, int]:
    with scopes_disabled():
        current = settings_of(organisation)
    return current.person_retention_months, current.call_retention_months


def _settings_events() -> list[AuditEvent]:
    return list(AuditEvent.unscoped.filter(action="casework.settings_changed").order_by("seq"))


def _notices() -> list[Any]:
    # Not the notice of the API token a test makes.
    return [message for message in mail.outbox if "retention periods" in message.subject]


def _patch(user: User, body: Any) -> Any:
    return Client().patch(
        SETTINGS, json.dumps(body), content_type="application/json", **bearer(user)
    )


def test_the_count_leaves_out_people_staying_or_in_an_open_case_and_matches_the_run(
    north: Organisation, old: Old
) -> None:
    now = timezone.now()
    with scopes_disabled():
        counted = removed_by_periods(north, person_months=12, call_months=12, now=now)
        assert counted == (2, 3)
        # Under the current periods nobody is old enough; the calls over 24 months are.
        assert removed_by_periods(north, person_months=60, call_months=24, now=now) == (0, 2)
        assert removed_by_periods(north, person_months=0, call_months=0, now=now) == (0, 0)
        # The run removes exactly what the count said, by the same rules.
        totals = apply_retention_to(organisation=north, person_months=12, call_months=12, now=now)
        assert (totals["persons_deleted"], totals["calls_anonymised"]) == counted
        codes = set(Person.objects.values_list("code", flat=True))
    assert codes == {"P-0103", "P-0104", "P-0105"}


def test_the_page_asks_to_confirm_a_shortening_that_deletes_and_saves_nothing_until_then(
    north: Organisation,
    alice: User,
    dana: User,
    carol: User,
    old: Old,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(alice)
    path = reverse("casework_settings", kwargs={"org": "north"})
    asked = client.post(path, _form(person_retention_months=12))
    assert asked.status_code == 400
    page = asked.content.decode()
    assert "2 people will be deleted" in page
    assert "2 helpline calls will be anonymised" in page
    assert "03:00 UTC" in page
    assert 'name="confirm_removal" value="12:24"' in page
    assert _periods(north) == (60, 24)
    assert _settings_events() == []
    assert _notices() == []
    # A confirmation given for other periods does not count for these.
    other = client.post(path, _form(person_retention_months=12, confirm_removal="6:24"))
    assert other.status_code == 400
    assert _periods(north) == (60, 24)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(path, _form(person_retention_months=12, confirm_removal="12:24"))
    assert confirmed.status_code == 302
    assert confirmed["Location"] == path
    assert _periods(north) == (12, 24)
    (event,) = _settings_events()
    assert event.details == {
        "fields": ["person_retention_months"],
        "person_retention_months_before": 60,
        "person_retention_months_after": 12,
        "persons_deleted_at_next_run": 2,
        "calls_anonymised_at_next_run": 2,
    }
    # The admins and the data protection officer, each once; not the caseworker.
    assert sorted(address for message in _notices() for address in message.to) == [
        "alice@example.org",
        "dana@example.org",
    ]
    message = _notices()[0]
    assert "retention periods of North Shelter were shortened" in message.subject
    assert "60 months → 12 months" in message.body
    assert "24 months (unchanged)" in message.body
    assert "2 people will be deleted" in message.body
    assert "2 helpline calls will be anonymised" in message.body
    assert "/o/north/records/retention/" in message.body
    html = message.alternatives[0]
    assert html[1] == "text/html"
    assert "2 people will be deleted" in html[0]


def test_lengthening_or_a_shortening_that_removes_nothing_saves_at_once(
    north: Organisation, alice: User, dana: User, old: Old, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(alice)
    path = reverse("casework_settings", kwargs={"org": "north"})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, _form(person_retention_months=120)).status_code == 302
    assert _periods(north) == (120, 24)
    assert _notices() == []
    # Nobody was last active more than 48 months ago: nothing more goes at the next run.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path, _form(person_retention_months=48)).status_code == 302
    assert _periods(north) == (48, 24)
    # A shortening all the same: the admins and DPO hear of it.
    assert len(_notices()) == 2
    assert "0 people will be deleted" in _notices()[0].body


def test_the_api_refuses_a_shortening_that_deletes_with_409_until_confirmed(
    north: Organisation, alice: User, dana: User, old: Old, django_capture_on_commit_callbacks: Any
) -> None:
    refused = _patch(alice, {"call_retention_months": 12})
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert (body["persons_deleted"], body["calls_anonymised"]) == (0, 3)
    assert "confirm" in json.dumps(body["detail"])
    run = datetime.fromisoformat(body["next_run"].replace("Z", "+00:00")).astimezone(UTC)
    # The nightly run is at 03:00 UTC, whatever the organisation's zone (Paris here).
    assert (run.hour, run.minute) == (3, 0)
    assert timezone.now() < run <= timezone.now() + timedelta(days=1)
    assert _periods(north) == (60, 24)
    assert _notices() == []
    with django_capture_on_commit_callbacks(execute=True):
        saved = _patch(alice, {"call_retention_months": 12, "confirm": True})
    assert saved.status_code == 200, saved.content
    assert saved.json()["call_retention_months"] == 12
    assert _periods(north) == (60, 12)
    assert len(_notices()) == 2
    assert "24 months → 12 months" in _notices()[0].body


def test_a_period_where_there_was_none_is_a_shortening(
    north: Organisation, alice: User, old: Old, django_capture_on_commit_callbacks: Any
) -> None:
    with scopes_disabled():
        OrganisationSettings.objects.create(
            organisation=north, person_retention_months=0, call_retention_months=24
        )
    refused = _patch(alice, {"person_retention_months": 12})
    assert refused.status_code == 409
    assert refused.json()["persons_deleted"] == 2
    assert _periods(north) == (0, 24)
    with django_capture_on_commit_callbacks(execute=True):
        assert _patch(alice, {"person_retention_months": 12, "confirm": True}).status_code == 200
    assert _periods(north) == (12, 24)
    assert "kept until erased → 12 months" in _notices()[0].body


@pytest.mark.parametrize(
    "body",
    [
        {"person_retention_months": 12, "confirm": "perhaps"},
        {"person_retention_months": -1, "confirm": True},
        {"person_retention_months": 601, "confirm": True},
        {"person_retention_months": None, "confirm": True},
        {"person_retention_months": 12, "confirm": True, "colour": "red"},
        ["person_retention_months", 12],
    ],
)
def test_bad_input_to_the_api_changes_nothing(
    north: Organisation, alice: User, old: Old, body: Any
) -> None:
    assert _patch(alice, body).status_code == 400
    assert _periods(north) == (60, 24)
    assert _settings_events() == []
    assert _notices() == []


# Pydantic's lax mode read true as 1 and "12" as 12: with "confirm" a slip in a client's
# code would keep a year of records for a month.
@pytest.mark.parametrize("field", ["person_retention_months", "call_retention_months"])
@pytest.mark.parametrize("value", [True, False, "12", 12.5])
def test_a_period_must_be_a_json_integer_not_a_boolean_a_string_or_a_fraction(
    north: Organisation, alice: User, old: Old, field: str, value: Any
) -> None:
    refused = _patch(alice, {field: value, "confirm": True})
    assert refused.status_code == 400, refused.content
    assert refused.json()["detail"] == {field: ["Input should be a valid integer"]}
    assert _periods(north) == (60, 24)
    assert _settings_events() == []
    assert _notices() == []


def test_bad_input_on_the_page_changes_nothing(north: Organisation, alice: User, old: Old) -> None:
    path = reverse("casework_settings", kwargs={"org": "north"})
    for form in (
        _form(person_retention_months=-1, confirm_removal="-1:24"),
        _form(person_retention_months="twelve", confirm_removal="twelve:24"),
        _form(person_retention_months=12, confirm_removal="12:24" * 10),
    ):
        assert client_for(alice).post(path, form).status_code == 400
    assert _periods(north) == (60, 24)
    assert _notices() == []


def test_only_the_admin_of_the_organisation_may_confirm(
    north: Organisation, dana: User, carol: User, bob: User, old: Old
) -> None:
    body = {"person_retention_months": 12, "confirm": True}
    assert _patch(dana, body).status_code == 403
    assert _patch(carol, body).status_code == 403
    path = reverse("casework_settings", kwargs={"org": "north"})
    assert client_for(dana).post(path, _form(person_retention_months=12)).status_code == 403
    outsider = Client().patch(
        SETTINGS, json.dumps(body), content_type="application/json", **bearer(bob)
    )
    assert outsider.status_code == 404
    assert _periods(north) == (60, 24)
    assert _notices() == []
