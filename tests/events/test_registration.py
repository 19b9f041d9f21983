"""Registration by the rules: exact capacity, the waiting list and its offers, check-in once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions, tasks
from haven.events.models import CheckInResult, Event, Registration, RegistrationStatus
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import make_user
from tests.events.world import published_event
from tests.marks import concurrent_writers, postgresql_only

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


@pytest.fixture
def door(north: Organisation) -> User:
    return make_user("dora", north, Role.DOOR_STAFF, mfa=False)


def held(event: Event) -> tuple[int, int]:
    """The counter on the event row and the places held by rows: they must agree."""
    event.refresh_from_db()
    return event.places_taken, access.places_held(event)


def test_registrations_fill_the_capacity_then_wait(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=2)
    statuses = [
        actions.register(event=event, name=f"P{n}", email=f"p{n}@example.org").status
        for n in range(4)
    ]
    assert statuses == ["confirmed", "confirmed", "waiting", "waiting"]
    assert held(event) == (2, 2)
    assert access.counts(event)["waiting"] == 2


def test_an_event_that_looks_full_asks_for_the_place_first(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=2)
    first = actions.register(event=event, name="First", email="first@example.org").booker
    actions.register(event=event, name="Second", email="second@example.org")
    assert first
    # Registering reads the event as it was held (possibly stale): here, full.
    stale = Event.objects.get(pk=event.pk)
    assert stale.full

    # A place freed since then is still given to whoever asks for it, but not to a repeated
    # address: its place, taken first, is given back with its refused rows.
    actions.cancel_registrations(event=event, registrations=[first])
    assert held(event) == (1, 1)
    assert actions.register(event=stale, name="Second", email="Second@Example.org").status == ""
    assert held(event) == (1, 1)
    assert actions.register(event=stale, name="Third", email="third@example.org").status == (
        RegistrationStatus.CONFIRMED
    )
    assert held(event) == (2, 2)
    # Full as it looks: the rows go in waiting at once (no second write to move them there),
    # and a repeated address adds nothing.
    with CaptureQueriesContext(connection) as queries:
        fourth = actions.register(event=stale, name="Fourth", email="fourth@example.org")
    assert fourth.status == RegistrationStatus.WAITING
    table = Registration._meta.db_table
    assert not [q for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    assert actions.register(event=stale, name="Fourth", email="Fourth@Example.org").status == ""
    assert held(event) == (2, 2)
    assert sorted(Registration.objects.filter(event=event).values_list("status", flat=True)) == [
        "cancelled",
        "confirmed",
        "confirmed",
        "waiting",
    ]


def test_a_full_event_without_waiting_list_refuses_and_keeps_nothing(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1, waiting_list=False)
    actions.register(event=event, name="First", email="first@example.org")
    with pytest.raises(ValidationError, match="full"):
        actions.register(event=event, name="Second", email="second@example.org")
    assert Registration.objects.filter(event=event).count() == 1
    assert held(event) == (1, 1)


def test_a_group_takes_one_place_each_and_never_splits(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=3, group_size=3)
    group = actions.register(
        event=event, name="Lead", email="lead@example.org", companions=["Two", "Three"]
    )
    assert [row.booker for row in group.registrations] == [True, False, False]
    assert group.status == "confirmed"
    late = actions.register(event=event, name="Late", email="late@example.org", companions=["B"])
    assert late.status == "waiting"
    assert held(event) == (3, 3)
    with pytest.raises(ValidationError):
        actions.register(
            event=event, name="Big", email="big@example.org", companions=["1", "2", "3"]
        )


def test_the_same_address_registers_once_whatever_its_spelling(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=5)
    actions.register(event=event, name="Ana", email="ana.lopez@gmail.com")
    again = actions.register(event=event, name="Ana", email="AnaLopez+events@GMAIL.com")
    assert again.registrations == []
    assert Registration.objects.filter(event=event).count() == 1
    assert held(event) == (1, 1)


def test_cancelling_offers_the_place_to_the_first_waiting(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1, offer_hours=24)
    first = actions.register(event=event, name="First", email="first@example.org").booker
    waiting = actions.register(event=event, name="Second", email="second@example.org").booker
    third = actions.register(event=event, name="Third", email="third@example.org").booker
    assert first
    assert waiting
    assert third

    assert actions.cancel_registrations(event=event, registrations=[first]) == 1
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.OFFERED
    assert waiting.offer_expires_at is not None
    assert held(event) == (1, 1)

    actions.accept_offer(registration=waiting)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    third.refresh_from_db()
    assert third.status == RegistrationStatus.WAITING


def test_an_unanswered_offer_expires_and_passes_on(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=1, offer_hours=2)
    first = actions.register(event=event, name="First", email="first@example.org").booker
    second = actions.register(event=event, name="Second", email="second@example.org").booker
    third = actions.register(event=event, name="Third", email="third@example.org").booker
    assert first
    assert second
    assert third
    actions.cancel_registrations(event=event, registrations=[first])

    assert actions.expire_offers(timezone.now() + timedelta(hours=1)) == 0
    assert actions.expire_offers(timezone.now() + timedelta(hours=3)) == 1
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == RegistrationStatus.EXPIRED
    assert third.status == RegistrationStatus.OFFERED
    with pytest.raises(ValidationError):
        actions.accept_offer(registration=second)
    assert held(event) == (1, 1)


def test_a_larger_capacity_offers_the_new_places(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=1)
    actions.register(event=event, name="First", email="first@example.org")
    actions.register(event=event, name="Second", email="second@example.org")
    actions.update_event(actor=officer, event=event, changes={"capacity": 2})
    assert access.counts(event)["offered"] == 1
    with pytest.raises(ValidationError, match="already taken"):
        actions.update_event(actor=officer, event=event, changes={"capacity": 1})


def test_every_status_change_is_e_mailed_once(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=1, offer_hours=24)
    first = actions.register(event=event, name="First", email="first@example.org").booker
    actions.register(event=event, name="Second", email="second@example.org")
    assert first is not None
    mail.outbox.clear()
    assert tasks.send_notices.call() == 2
    confirmed = next(message for message in mail.outbox if message.to == ["first@example.org"])
    names = [name for name, _content, _type in confirmed.attachments]
    assert "event.ics" in names
    assert "ticket-1.png" in names
    assert tasks.send_notices.call() == 0

    actions.cancel_registrations(event=event, registrations=[first])
    mail.outbox.clear()
    assert tasks.send_notices.call() == 2
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.org",
        "second@example.org",
    ]


def test_closed_registration_is_refused(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, registration_open=False)
    with pytest.raises(ValidationError, match="closed"):
        actions.register(event=event, name="Late", email="late@example.org")
    draft = actions.create_event(
        actor=officer,
        owner=north,
        title="Draft",
        language="en",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    with pytest.raises(ValidationError, match="closed"):
        actions.register(event=draft, name="Early", email="early@example.org")


def test_invitation_only_events_need_a_code_and_count_its_uses(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, visibility="invitation")
    code = actions.create_invitation_code(actor=officer, event=event, uses_allowed=1)
    with pytest.raises(ValidationError):
        actions.register(event=event, name="No code", email="a@example.org")
    actions.register(event=event, name="Invited", email="b@example.org", code=code.code)
    with pytest.raises(ValidationError, match="used up"):
        actions.register(event=event, name="Second", email="c@example.org", code=code.code)
    assert Registration.objects.filter(event=event).count() == 1


def test_bad_answers_are_refused_per_question(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, interpretation=["fr"])
    role = actions.save_question(actor=officer, event=event, label="Role", required=True)
    language = actions.save_question(
        actor=officer, event=event, label="Interpretation", kind="language"
    )
    with pytest.raises(ValidationError) as refused:
        actions.register(
            event=event,
            name="Ana",
            email="ana@example.org",
            answers={str(language.pk): "de"},
        )
    assert set(refused.value.message_dict) == {f"question_{role.pk}", f"question_{language.pk}"}
    assert not Registration.objects.filter(event=event).exists()
    registered = actions.register(
        event=event,
        name="Ana",
        email="ana@example.org",
        answers={str(role.pk): "Journalist", str(language.pk): "fr"},
    )
    assert registered.booker is not None
    assert registered.booker.answers == {str(role.pk): "Journalist", str(language.pk): "fr"}


def test_a_ticket_admits_once_and_says_why_not(
    officer: User, door: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=1)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    waiting = actions.register(event=event, name="Ben", email="ben@example.org").booker
    assert booker
    assert waiting
    code = access.ticket_code(booker)

    assert actions.check_in(actor=door, event=event, code=code).result == CheckInResult.ADMITTED
    again = actions.check_in(actor=door, event=event, code=code)
    assert again.result == CheckInResult.ALREADY
    assert again.checked_in_at is not None
    waiting_code = access.ticket_code(waiting)
    assert (
        actions.check_in(actor=door, event=event, code=waiting_code).result
        == CheckInResult.NOT_CONFIRMED
    )
    assert actions.check_in(actor=door, event=event, code="0" * 32).result == CheckInResult.UNKNOWN
    assert AuditEvent.objects.filter(action="event.checked_in").count() == 1


def test_a_revoked_ticket_no_longer_admits(officer: User, door: User, north: Organisation) -> None:
    event = published_event(north, officer)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    old = access.ticket_code(booker)
    old_join = access.join_token(booker)
    actions.revoke_link(actor=officer, registration=booker)
    assert access.registration_from_join_token(event, old_join) is None
    assert actions.check_in(actor=door, event=event, code=old).result == CheckInResult.UNKNOWN
    new = access.ticket_code(booker)
    assert actions.check_in(actor=door, event=event, code=new).admitted


def test_cancelled_tickets_and_the_id_check_step(
    officer: User, door: User, north: Organisation
) -> None:
    event = published_event(north, officer, id_check=True)
    ana = actions.register(event=event, name="Ana", email="ana@example.org").booker
    ben = actions.register(event=event, name="Ben", email="ben@example.org").booker
    assert ana
    assert ben
    actions.cancel_registrations(event=event, registrations=[ben])
    assert (
        actions.check_in(actor=door, event=event, code=access.ticket_code(ben)).result
        == CheckInResult.CANCELLED
    )
    unchecked = actions.check_in(actor=door, event=event, code=access.ticket_code(ana))
    assert unchecked.result == CheckInResult.ID_REQUIRED
    ana.refresh_from_db()
    assert ana.checked_in_at is None
    checked = actions.check_in(
        actor=door, event=event, code=access.ticket_code(ana), id_checked=True
    )
    assert checked.admitted
    ana.refresh_from_db()
    assert ana.id_checked
    with pytest.raises(ValidationError):
        actions.cancel_registrations(event=event, registrations=[ana])


def test_another_events_ticket_is_unknown(officer: User, door: User, north: Organisation) -> None:
    one = published_event(north, officer, title="One")
    other = published_event(north, officer, title="Other")
    booker = actions.register(event=one, name="Ana", email="ana@example.org").booker
    assert booker is not None
    code = access.ticket_code(booker)
    assert actions.check_in(actor=door, event=other, code=code).result == CheckInResult.UNKNOWN


def test_anonymisation_blanks_registrants_and_keeps_attendance(
    officer: User, door: User, north: Organisation
) -> None:
    event = published_event(north, officer, anonymise_after_days=30)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    actions.check_in(actor=door, event=event, code=access.ticket_code(booker))
    assert tasks.run_anonymisation(event.ends_at + timedelta(days=29))["events"] == 0
    totals = tasks.run_anonymisation(event.ends_at + timedelta(days=31))
    assert totals == {"events": 1, "registrations": 1}
    booker.refresh_from_db()
    assert booker.personal == ""
    assert booker.name == ""
    assert booker.email_key == ""
    assert access.counts(event)["checked_in"] == 1


def test_reminders_go_out_once_the_day_before(officer: User, north: Organisation) -> None:
    event = published_event(north, officer)
    actions.register(event=event, name="Ana", email="ana@example.org")
    mail.outbox.clear()
    assert tasks.send_reminders(event.starts_at - timedelta(days=3)) == 0
    assert tasks.send_reminders(event.starts_at - timedelta(hours=20)) == 1
    assert tasks.send_reminders(event.starts_at - timedelta(hours=19)) == 0
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]


def test_a_change_of_time_tells_everyone_registered(officer: User, north: Organisation) -> None:
    event = published_event(north, officer)
    actions.register(event=event, name="Ana", email="ana@example.org")
    mail.outbox.clear()
    actions.update_event(
        actor=officer, event=event, changes={"starts_at": event.starts_at + timedelta(hours=1)}
    )
    assert tasks.send_event_update.call(event.pk, ["starts_at"]) == 1
    assert mail.outbox[0].to == ["ana@example.org"]


def test_cancelling_the_event_needs_a_reason(officer: User, north: Organisation) -> None:
    event = published_event(north, officer)
    with pytest.raises(ValidationError):
        actions.move_event(actor=officer, event=event, move="cancel")
    cancelled = actions.move_event(actor=officer, event=event, move="cancel", reason="Strike")
    assert cancelled.status == "cancelled"
    with pytest.raises(ValidationError, match="closed"):
        actions.register(event=cancelled, name="Ana", email="ana@example.org")


def test_event_rules_refuse_bad_values(officer: User, north: Organisation) -> None:
    start = timezone.now() + timedelta(days=3)
    cases: list[tuple[dict[str, object], str]] = [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"kind": "party"}, "kind"),
        ({"in_person": False, "online": False}, "online"),
        ({"recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"languages": ["xx-nonsense"]}, "languages"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as refused:
            actions.create_event(
                actor=officer,
                owner=north,
                title="Bad",
                language="en",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                values=values,
            )
        assert field in refused.value.message_dict, values
    with pytest.raises(ValidationError):
        actions.create_event(
            actor=officer,
            owner=north,
            title="Backwards",
            language="en",
            starts_at=start,
            ends_at=start - timedelta(hours=1),
        )
    assert not Event.objects.exists()


def _race(event: Event, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def attempt(number: int) -> None:
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                outcomes.append(
                    actions.register(
                        event=event, name=f"R{number}", email=f"r{number}@example.org"
                    ).status
                )
        except ValidationError as error:
            outcomes.append("refused: " + " ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_concurrent_registrations_never_exceed_capacity(north: Organisation) -> None:
    officer = make_user("olga-race", north, Role.ADVOCACY_OFFICER)
    with scopes_disabled():
        event = published_event(north, officer, capacity=5)
    outcomes = _race(event, 16)
    assert len(outcomes) == 16
    assert outcomes.count("confirmed") == 5, outcomes
    assert outcomes.count("waiting") == 11, outcomes
    with scopes_disabled():
        assert held(event) == (5, 5)


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_two_doors_scanning_one_ticket_admit_it_once(north: Organisation) -> None:
    officer = make_user("olga-doors", north, Role.ADVOCACY_OFFICER)
    with scopes_disabled():
        event = published_event(north, officer)
        booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    code = access.ticket_code(booker)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def scan() -> None:
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                results.append(actions.check_in(actor=officer, event=event, code=code).result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["admitted", "already", "already", "already"], results


@postgresql_only("PostgreSQL writes a registration and its places as one statement")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_on_postgresql_a_registration_and_its_places_are_one_statement(
    north: Organisation,
) -> None:
    officer = make_user("olga-one", north, Role.ADVOCACY_OFFICER)
    with scopes_disabled():
        event = published_event(north, officer, capacity=2, group_size=2)

        def register(email: str, companions: tuple[str, ...] = ()) -> tuple[str, bool]:
            """The status, and whether the rows and the places were one statement alone."""
            with CaptureQueriesContext(connection) as queries:
                status = actions.register(
                    event=event, name="Lead", email=email, companions=companions
                ).status
            sqls = [q["sql"] for q in queries]
            writes = [
                sql
                for sql in sqls
                if not sql.startswith("SELECT")
                and ('"events_event"' in sql or 'INSERT INTO "events_registration"' in sql)
            ]
            alone = len(writes) == 1 and writes[0].startswith("WITH taken AS (UPDATE")
            at = sqls.index(writes[0])
            return status, alone and (at == 0 or sqls[at - 1] != "BEGIN")

        # No BEGIN, no COMMIT, one statement each: the group takes both places...
        assert register("lead@example.org", ("Two",)) == ("confirmed", True)
        # ... the next waits, and a repeated address fails whole, taking no place.
        assert register("late@example.org") == ("waiting", True)
        assert register("Lead@Example.org") == ("", True)
        assert held(event) == (2, 2)
        rows = Registration.objects.filter(event=event).order_by("created_at", "booker")
        assert [(row.status, row.confirmed_at is not None) for row in rows] == [
            ("confirmed", True),
            ("confirmed", True),
            ("waiting", False),
        ]
