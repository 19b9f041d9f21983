"""Erasure on request and retention: personal data goes, statistics and the audit chain stay."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.htcds import CaseStatus
from haven.casework.models import (
    Case,
    CaseNote,
    Consent,
    ErasureRecord,
    OrganisationSettings,
    Person,
)
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.privacy.audit import verify_chain
from haven.privacy.models import AuditEvent
from haven.records.access import months_before
from haven.records.actions import apply_retention_to
from haven.records.tasks import apply_retention, run_retention, schedule_retention
from haven.services.models import ServiceDelivery
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer, client_for
from tests.records.conftest import CANARY, Casework, add_history, make_person

pytestmark = pytest.mark.django_db


def erase_path(person: Person) -> str:
    return f"/o/north/people/{person.pk}/erase/"


def test_a_dpo_erases_a_person_who_asked_and_a_record_of_it_remains(
    dana: User, carol: User, casework: Casework
) -> None:
    ana = casework.ana
    with scopes_disabled():
        add_history(ana, carol)
    client = client_for(dana)
    page = client.get(erase_path(ana))
    assert page.status_code == 200
    assert b"P-0001" in page.content
    assert CANARY.encode() not in page.content
    response = client.post(erase_path(ana), {"confirm_code": "P-0001"})
    assert response.status_code == 302
    with scopes_disabled():
        assert not Person.objects.filter(pk=ana.pk).exists()
        assert not Case.objects.exists()
        assert not CaseNote.objects.exists()
        assert not Consent.objects.filter(person_id=ana.pk).exists()
        # Her nights stay in the shelter's history, without her; the stay ends today.
        stay = Stay.objects.get()
        assert (stay.person_id, stay.ends_on) == (None, timezone.localdate())
        # The service stays in the statistics, as one person reached, without the link.
        kept = ServiceDelivery.objects.get(pk=casework.deliveries[0].pk)
        assert kept.person_id is None
        assert kept.people_reached == 1
        call = HelplineCall.objects.get()
        assert call.person_id is None
        assert call.notes == ""
        record = ErasureRecord.objects.get()
    assert record.person_code == "P-0001"
    assert record.reason == "request"
    assert record.erased_by == dana
    assert record.records_removed == {
        "cases": 1,
        "notes": 1,
        "consents": 1,
        "stays": 0,
        "stays_unlinked": 1,
        "services_unlinked": 1,
        "calls_unlinked": 1,
    }
    event = AuditEvent.unscoped.get(action="person.erased")
    assert event.object_id == str(ana.pk)
    assert event.actor_id == dana.pk
    assert CANARY not in json.dumps(event.details)
    report = verify_chain()
    assert report.first_break is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM helpline_helplinecall")
        assert all(CANARY not in (row[0] or "") for row in cursor.fetchall())
    listing = client.get("/o/north/records/erasures/")
    assert listing.status_code == 200
    assert b"P-0001" in listing.content


def test_erasure_needs_the_code_typed_exactly(dana: User, casework: Casework) -> None:
    response = client_for(dana).post(erase_path(casework.ana), {"confirm_code": "P-0002"})
    assert response.status_code == 400
    with scopes_disabled():
        assert Person.objects.filter(pk=casework.ana.pk).exists()
        assert not ErasureRecord.objects.exists()


def test_a_caseworker_may_not_erase_and_an_outsider_gets_404(
    carol: User, bob: User, casework: Casework
) -> None:
    path = erase_path(casework.ana)
    assert client_for(carol).get(path).status_code == 403
    assert client_for(carol).post(path, {"confirm_code": "P-0001"}).status_code == 403
    assert client_for(bob).post(path, {"confirm_code": "P-0001"}).status_code == 404
    headers: dict[str, Any] = bearer(carol)
    api = client_for(carol).post(
        f"/api/orgs/north/people/{casework.ana.pk}/erasure",
        json.dumps({"confirm_code": "P-0001"}),
        content_type="application/json",
        **headers,
    )
    assert api.status_code == 403
    with scopes_disabled():
        assert Person.objects.filter(pk=casework.ana.pk).exists()


def test_a_person_of_another_organisation_is_not_found(
    dana: User, south: Organisation, bob: User
) -> None:
    with scopes_disabled():
        theirs = make_person(south, "S-0001", bob)
    assert client_for(dana).get(erase_path(theirs)).status_code == 404


def test_the_api_erases_and_lists_erasure_records(dana: User, casework: Casework) -> None:
    headers: dict[str, Any] = bearer(dana)
    client = client_for(dana)
    response = client.post(
        f"/api/orgs/north/people/{casework.ben.pk}/erasure",
        json.dumps({"confirm_code": "P-0002"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201
    assert response.json()["person_code"] == "P-0002"
    listing = client.get("/api/orgs/north/erasures?reason=request", **headers).json()
    assert listing["count"] == 1
    assert listing["items"][0]["erased_by"] == "dana"


def _age(person: Person, months: int, days: int = 1) -> None:
    moment = months_before(timezone.now(), months) - timedelta(days=days)
    Person.objects.filter(pk=person.pk).update(last_activity_at=moment)


def test_retention_deletes_exactly_the_expired_persons_and_keeps_the_counts(
    north: Organisation, carol: User, casework: Casework
) -> None:
    with scopes_disabled():
        OrganisationSettings.objects.create(
            organisation=north, person_retention_months=12, call_retention_months=6
        )
        _age(casework.ana, 12)
        _age(casework.ben, 12, days=-2)  # two days short of the period: kept
        old_call = HelplineCall.objects.create(
            organisation=north,
            started_at=months_before(timezone.now(), 7),
            duration_minutes=3,
            caller_type="relative",
            outcome="information_given",
            person=casework.ben,
            notes="old " + CANARY,
        )
        recent_call = HelplineCall.objects.create(
            organisation=north,
            started_at=timezone.now() - timedelta(days=10),
            duration_minutes=3,
            caller_type="relative",
            outcome="information_given",
            person=casework.ben,
            notes="recent",
        )
        deliveries_before = ServiceDelivery.objects.count()
    totals = run_retention()
    assert totals["persons_deleted"] == 1
    assert totals["calls_anonymised"] == 1
    with scopes_disabled():
        assert list(Person.objects.values_list("code", flat=True)) == ["P-0002"]
        assert ServiceDelivery.objects.count() == deliveries_before
        assert ServiceDelivery.objects.filter(person__isnull=True).count() == 3
        old_call.refresh_from_db()
        recent_call.refresh_from_db()
        assert (old_call.person_id, old_call.notes) == (None, "")
        assert recent_call.person_id == casework.ben.pk
        assert recent_call.notes == "recent"
        (record,) = ErasureRecord.objects.all()
        assert (record.person_code, record.reason) == ("P-0001", "retention")
        assert record.erased_by is None
    (event,) = AuditEvent.unscoped.filter(action="retention.applied")
    assert event.organisation_id == north.pk
    assert event.details["persons_deleted"] == 1
    assert event.details["calls_anonymised"] == 1
    assert "P-0001" not in json.dumps(event.details)
    assert verify_chain().first_break is None
    # A second run finds nothing more to do and writes no event.
    assert run_retention()["persons_deleted"] == 0
    assert AuditEvent.unscoped.filter(action="retention.applied").count() == 1


@pytest.mark.parametrize(
    "support",
    ["open_stay", "stay_ending_today", "stay_ending_later", "active_case", "follow_up_case"],
)
def test_retention_keeps_a_person_still_staying_or_with_an_open_case(
    north: Organisation, carol: User, casework: Casework, support: str
) -> None:
    today = timezone.localdate()
    with scopes_disabled():
        _age(casework.ana, 61)
        _age(casework.ben, 61)
        # Ben had a stay that ended and a case that closed: neither keeps him.
        facility = Facility.objects.create(organisation=north, name="House", beds=3)
        Stay.objects.create(
            organisation=north,
            facility=facility,
            person=casework.ben,
            starts_on=today - timedelta(days=30),
            ends_on=today - timedelta(days=1),
        )
        Case.objects.create(
            organisation=north,
            person=casework.ben,
            opened_on=today - timedelta(days=900),
            closed_on=today - timedelta(days=800),
            status=CaseStatus.CLOSED,
        )
        if "stay" in support:
            ends_on = {
                "open_stay": None,
                "stay_ending_today": today,
                "stay_ending_later": today + timedelta(days=5),
            }[support]
            Stay.objects.create(
                organisation=north,
                facility=facility,
                person=casework.ana,
                starts_on=today - timedelta(days=2000),
                ends_on=ends_on,
            )
        else:
            status = CaseStatus.ACTIVE if support == "active_case" else CaseStatus.FOLLOW_UP
            Case.objects.create(
                organisation=north,
                person=casework.ana,
                opened_on=today - timedelta(days=2000),
                status=status,
            )
    totals = run_retention()
    assert totals["persons_deleted"] == 1
    with scopes_disabled():
        assert list(Person.objects.values_list("code", flat=True)) == ["P-0001"]
        assert ErasureRecord.objects.get().person_code == "P-0002"


def test_a_stay_ending_today_in_the_organisations_zone_is_current_when_utc_is_a_day_on(
    north: Organisation, casework: Casework
) -> None:
    # 03:00 UTC on 10 March is still 9 March, 17:00, in Honolulu.
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    with scopes_disabled():
        OrganisationSettings.objects.create(organisation=north, time_zone="Pacific/Honolulu")
        Person.objects.update(last_activity_at=now - timedelta(days=4000))
        facility = Facility.objects.create(organisation=north, name="House", beds=3)
        Stay.objects.create(
            organisation=north,
            facility=facility,
            person=casework.ana,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 9),
        )
        totals = apply_retention_to(organisation=north, person_months=60, call_months=0, now=now)
        assert totals["persons_deleted"] == 1
        assert list(Person.objects.values_list("code", flat=True)) == ["P-0001"]


def test_a_period_of_zero_keeps_everything(north: Organisation, casework: Casework) -> None:
    with scopes_disabled():
        OrganisationSettings.objects.create(
            organisation=north, person_retention_months=0, call_retention_months=0
        )
        _age(casework.ana, 240)
    assert run_retention()["persons_deleted"] == 0
    with scopes_disabled():
        assert Person.objects.count() == 2


def test_organisations_without_settings_use_the_default_periods(
    north: Organisation, casework: Casework
) -> None:
    with scopes_disabled():
        _age(casework.ana, 60)
        _age(casework.ben, 59)
    assert run_retention()["persons_deleted"] == 1
    with scopes_disabled():
        assert list(Person.objects.values_list("code", flat=True)) == ["P-0002"]


def test_months_before_counts_calendar_months_and_clamps_month_ends() -> None:
    moment = timezone.make_aware(datetime(2026, 3, 31, 10, 0))
    assert months_before(moment, 1).date().isoformat() == "2026-02-28"
    assert months_before(moment, 12).date().isoformat() == "2025-03-31"
    assert months_before(moment, 25).date().isoformat() == "2024-02-29"


def test_the_task_runs_with_the_immediate_backend_without_queueing_itself_again(
    north: Organisation, casework: Casework
) -> None:
    with scopes_disabled():
        _age(casework.ana, 61)
    result = apply_retention.enqueue()
    assert result.return_value is not None
    assert result.return_value["persons_deleted"] == 1


def test_the_database_backend_queues_one_nightly_run(settings: Any, db: None) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    when = schedule_retention()
    assert when is not None
    assert when > timezone.now()
    assert timezone.localtime(when).hour == 3
    assert schedule_retention() == when
    assert DBTaskResult.objects.count() == 1
    out = StringIO()
    call_command("schedule_retention", stdout=out)
    assert DBTaskResult.objects.count() == 1


def test_apply_retention_now_runs_here(north: Organisation, casework: Casework) -> None:
    with scopes_disabled():
        _age(casework.ana, 61)
    out = StringIO()
    call_command("apply_retention", "--now", stdout=out)
    assert "1 persons deleted" in out.getvalue()


def test_retention_status_for_the_admin(alice: User, carol: User, casework: Casework) -> None:
    page = client_for(alice).get("/o/north/records/retention/")
    assert page.status_code == 200
    assert b"/o/north/settings/casework/" in page.content
    assert client_for(carol).get("/o/north/records/retention/").status_code == 403
    headers: dict[str, Any] = bearer(alice)
    status = client_for(alice).get("/api/orgs/north/retention", **headers).json()
    assert status["person_retention_months"] == 60
    assert status["last_run"] is None


def test_the_data_protection_officer_reads_retention_but_cannot_change_it(
    dana: User, casework: Casework
) -> None:
    page = client_for(dana).get("/o/north/records/retention/")
    assert page.status_code == 200
    assert b"60 months" in page.content
    assert b"/settings/casework/" not in page.content
    assert b"/records/retention/" in client_for(dana).get("/o/north/").content
    status = client_for(dana).get("/api/orgs/north/retention", **bearer(dana))
    assert status.json()["person_retention_months"] == 60
    assert client_for(dana).get("/o/north/settings/casework/").status_code == 403


def test_after_erasure_no_row_of_any_model_points_at_the_person(
    dana: User, carol: User, casework: Casework
) -> None:
    from django.apps import apps

    ana = casework.ana
    with scopes_disabled():
        add_history(ana, carol)
    client_for(dana).post(erase_path(ana), {"confirm_code": "P-0001"})
    with scopes_disabled():
        for model in apps.get_models():
            for field in model._meta.get_fields():
                if field.many_to_one and field.related_model is Person:
                    leftover = model._base_manager.filter(**{field.name: ana.pk})
                    assert not leftover.exists(), f"{model.__name__}.{field.name} still names her"


def test_the_person_details_page_offers_erasure_to_the_data_protection_officer_only(
    dana: User, carol: User, casework: Casework
) -> None:
    details = f"/o/north/people/{casework.ana.pk}/details/"
    assert erase_path(casework.ana) in client_for(dana).get(details).content.decode()
    assert erase_path(casework.ana) not in client_for(carol).get(details).content.decode()


def _old_call(organisation: Organisation, person: Person) -> HelplineCall:
    return HelplineCall.objects.create(
        organisation=organisation,
        started_at=months_before(timezone.now(), 7),
        duration_minutes=3,
        caller_type="person_concerned",
        outcome="information_given",
        person=person,
    )


def test_what_a_refusal_of_statistics_left_out_stays_out_once_unlinked(
    north: Organisation, carol: User, casework: Casework
) -> None:
    """Erasure and retention unlink rows; a refusal of coalition statistics outlives the
    link (decision 43), consent keeps them counted."""
    from haven.records.actions import erase_person

    with scopes_disabled():
        Consent.objects.create(
            organisation=north,
            person=casework.ben,
            purpose="statistics",
            given_on=date(2025, 1, 1),
            method="written",
            recorded_by=carol,
        )
        cleo = make_person(north, "P-0003", carol)  # no statistics consent, not erased
        ben_delivery = ServiceDelivery.objects.create(
            organisation=north,
            service_type=casework.food,
            delivered_on=date(2026, 1, 11),
            person=casework.ben,
            quantity=1,
            staff=carol,
        )
        ana_call, ben_call, cleo_call = (
            _old_call(north, person) for person in (casework.ana, casework.ben, cleo)
        )
        ana_stay = Stay.objects.create(
            organisation=north,
            facility=Facility.objects.create(organisation=north, name="Port", beds=4),
            person=casework.ana,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 1, 5),
        )
        ana_delivery, household_delivery, anonymous_delivery = casework.deliveries
    # Ana never consented to statistics, and was in the household.
    erase_person(actor=carol, person=casework.ana, confirm_code="P-0001")
    with scopes_disabled():
        apply_retention_to(organisation=north, person_months=0, call_months=6, now=timezone.now())
        for row in (
            ana_delivery,
            household_delivery,
            anonymous_delivery,
            ben_delivery,
            ana_call,
            ben_call,
            cleo_call,
            ana_stay,
        ):
            row.refresh_from_db()
    left_out = {
        "ana's delivery": ana_delivery.left_out_of_statistics,
        "her household's": household_delivery.left_out_of_statistics,
        "a delivery to nobody": anonymous_delivery.left_out_of_statistics,
        "ben's delivery": ben_delivery.left_out_of_statistics,
        "ana's call": ana_call.left_out_of_statistics,
        "ben's call": ben_call.left_out_of_statistics,
        "cleo's call": cleo_call.left_out_of_statistics,
        "ana's stay": ana_stay.left_out_of_statistics,
    }
    assert left_out == {
        "ana's delivery": True,
        "her household's": True,
        "a delivery to nobody": False,
        "ben's delivery": False,
        "ana's call": True,
        "ben's call": False,
        "cleo's call": True,
        "ana's stay": True,
    }
    # Each was unlinked: erasure, then retention of calls.
    assert ana_delivery.person_id is None
    assert ana_stay.person_id is None
    assert (ana_call.person_id, ben_call.person_id, cleo_call.person_id) == (None, None, None)
    assert ben_delivery.person_id == casework.ben.pk
