"""Every casework write that needs casework consent decides it on the person's locked row,
in the transaction that writes; a withdrawal takes that lock too. A withdrawal committed
while a write waits for the lock is seen (tests.casework.consent_race); one race of real
threads, on PostgreSQL, is at the end."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions
from haven.casework.access import ConsentRequired
from haven.casework.models import Case, CaseNote, Consent, Household, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.casework.conftest import intake
from tests.casework.consent_race import withdraw_on_lock
from tests.marks import concurrent_writers

pytestmark = pytest.mark.django_db


def casework_consent(person: Person) -> Consent:
    with scope(organisation=person.organisation_id):
        return Consent.objects.get(person=person, purpose="casework")


def logged(action: str) -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action=action).count()


def test_a_withdrawal_seen_on_the_lock_stops_a_new_case(
    north: Organisation, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = intake(carol, north)
    withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ConsentRequired):
        actions.open_case(actor=carol, person=person)
    with scopes_disabled():
        assert not Case.objects.filter(person=person).exists()


def test_a_withdrawal_seen_on_the_lock_stops_a_change_of_case_and_a_note(
    north: Organisation, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person)
    withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ConsentRequired):
        actions.update_case(actor=carol, case=case, values={"risk_level": "high"})
    with pytest.raises(ConsentRequired):
        actions.add_note(actor=carol, case=case, text="Met at the station.")
    with scopes_disabled():
        case.refresh_from_db()
        assert case.risk_level != "high"
        assert not CaseNote.objects.filter(case=case).exists()


def test_a_case_form_with_a_wrong_field_says_so_before_the_consent_refusal(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person)
    actions.withdraw_consent(actor=carol, consent=casework_consent(person))
    with pytest.raises(ValidationError) as refused:
        actions.update_case(actor=carol, case=case, values={"risk_level": "nope"})
    assert "risk_level" in refused.value.message_dict
    with pytest.raises(ConsentRequired):
        actions.update_case(actor=carol, case=case, values={})


def test_a_withdrawal_seen_on_the_lock_stops_new_facts(
    north: Organisation, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = intake(carol, north)
    withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ConsentRequired):
        actions.update_person(actor=carol, person=person, values={"gender": "Feminine"})
    with scope(organisation=north):
        person.refresh_from_db()
    assert person.gender == ""


def test_a_withdrawal_seen_on_the_lock_keeps_the_person_out_of_a_household(
    north: Organisation, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person, other = intake(carol, north), intake(carol, north)
    household = actions.create_household(actor=carol, organisation=north, members=[other])
    withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ConsentRequired):
        actions.add_to_household(actor=carol, household=household, person=person)
    for attempt in (
        lambda: actions.create_household(actor=carol, organisation=north, members=[person]),
        lambda: actions.update_household(actor=carol, household=household, members=[other, person]),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert person.code in refused.value.message_dict["members"][0]
    with scope(organisation=north):
        person.refresh_from_db()
        assert person.household_id is None
        assert Household.objects.count() == 1


def test_a_withdrawal_takes_the_persons_lock_and_decides_under_it(
    north: Organisation, carol: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = intake(carol, north)
    consent = casework_consent(person)
    # Another caseworker withdraws it while this one waits for the person's lock.
    locked = withdraw_on_lock(monkeypatch, person)
    with pytest.raises(ValidationError) as refused:
        actions.withdraw_consent(
            actor=carol, consent=consent, withdrawn_on=datetime.date(2025, 2, 1)
        )
    assert refused.value.messages == ["This consent was already withdrawn."]
    assert locked == ["person"]
    assert logged("consent.withdrawn") == 0
    consent = casework_consent(person)
    assert consent.withdrawn_on != datetime.date(2025, 2, 1)


# Real threads: only PostgreSQL runs two writers at once.


def _wait_until_blocked(done: threading.Event) -> None:
    """Return once another connection waits for a row lock (or the writer ended)."""
    for _ in range(200):
        if done.is_set():
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        done.wait(0.05)


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_a_case_opened_while_consent_is_being_withdrawn_waits_and_is_refused(
    flushable_audit_trail: None, north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    consent = casework_consent(person)
    withdrawn, release, opened = threading.Event(), threading.Event(), threading.Event()
    outcome: list[str] = []

    def withdraw() -> None:
        try:
            with transaction.atomic():
                actions.withdraw_consent(actor=carol, consent=consent)
                withdrawn.set()
                # Holds the person's lock, uncommitted, until the opening waits for it.
                release.wait(timeout=20)
        finally:
            withdrawn.set()
            connections.close_all()

    def open_case() -> None:
        try:
            actions.open_case(actor=carol, person=person)
            outcome.append("opened")
        except ConsentRequired:
            outcome.append("refused")
        finally:
            opened.set()
            connections.close_all()

    withdrawer = threading.Thread(target=withdraw)
    withdrawer.start()
    assert withdrawn.wait(timeout=20)
    opener = threading.Thread(target=open_case)
    opener.start()
    _wait_until_blocked(opened)
    release.set()
    withdrawer.join(timeout=30)
    opener.join(timeout=30)

    assert outcome == ["refused"]
    with scopes_disabled():
        assert not Case.objects.filter(person=person).exists()
