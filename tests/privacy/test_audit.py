"""The audit trail is append-only and hash-chained, and audit_verify finds any tampering.

The tampering tests play a database owner who switches the append-only triggers off (see
``triggers_off``) and edits, removes or reorders rows; ``audit_verify`` must name the first
broken link each time. Everything happens inside the test's transaction, which rolls back.
"""

from __future__ import annotations

import importlib
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.privacy.models import AppendOnlyError, AuditChainHead, AuditEvent
from tests.conftest import PASSWORD, client_for
from tests.marks import postgresql_only

TABLE = "privacy_auditevent"
_triggers = importlib.import_module("haven.privacy.migrations.0002_audit_append_only")

PASSWORD_CANARY = "Canary-Pa55word-zq7"
LOGIN_CANARY = "canary-login-xw4"


@contextmanager
def triggers_off() -> Iterator[None]:
    """Act as the database's owner: switch the append-only triggers off, then on again."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER {TABLE}_no_update")
            cursor.execute(f"DROP TRIGGER {TABLE}_no_delete")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
            else:
                for statement in _triggers.SQLITE_UP:
                    cursor.execute(
                        statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
                    )


def tamper(sql: str, *params: str | int) -> None:
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE}")
        return repr(cursor.fetchall())


def verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue().strip()


def broken(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", *args, stdout=StringIO())
    assert failure.value.returncode == 1
    return str(failure.value)


def head_line() -> str:
    out = StringIO()
    call_command("audit_head", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def chain(db: None) -> list[AuditEvent]:
    """Five events: #1 to #5 on a fresh chain."""
    assert AuditChainHead.objects.get(pk=1).last_seq == 0
    return [
        audit.record(
            f"test.step{number}",
            actor=None,
            object_type="test.thing",
            object_id=number,
            details={"step": number, "fields": ["name", "notes"]},
        )
        for number in range(1, 6)
    ]


# The chain itself


def test_each_event_is_chained_to_the_one_before_it(chain):
    assert [event.seq for event in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    assert len({event.hash for event in chain}) == 5
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (5, chain[-1].hash)


def test_an_empty_chain_verifies(db):
    assert verify() == f"OK: 0 events, head #0 {audit.GENESIS_HASH}"


def test_audit_verify_says_ok_for_an_intact_chain(chain):
    assert verify() == f"OK: 5 events, head #5 {chain[-1].hash}"


def test_audit_head_prints_the_head_to_ship_elsewhere(chain):
    assert head_line() == f"5 {chain[-1].hash}"
    out = StringIO()
    call_command("audit_head", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"seq": 5, "hash": chain[-1].hash}


def test_a_shipped_head_still_in_the_chain_verifies_after_the_chain_grew(chain):
    shipped = head_line().split()[1]
    audit.record("test.later", actor=None)
    assert verify("--expect-head", shipped).startswith("OK: 6 events, head #6 ")


def test_the_whole_line_audit_head_printed_is_accepted_too(chain):
    shipped = head_line()
    audit.record("test.later", actor=None)
    assert verify("--expect-head", shipped).startswith("OK: 6 events")


def test_a_shipped_head_must_sit_at_its_own_seq(chain):
    assert broken("--expect-head", f"4 {chain[-1].hash}") == (
        "BROKEN at event #4: the shipped chain head is not in the chain"
    )


def test_a_head_shipped_while_the_trail_was_empty_still_verifies(db):
    empty = head_line()
    assert empty == f"0 {audit.GENESIS_HASH}"
    audit.record("test.first", actor=None)
    assert verify("--expect-head", empty).startswith("OK: 1 events")
    assert verify("--expect-head", audit.GENESIS_HASH).startswith("OK: 1 events")


def test_an_expected_head_must_look_like_a_hash(chain):
    for bad in ("not-a-hash", "x" * 1000, f"-1 {'a' * 64}", "a" * 63):
        with pytest.raises(CommandError, match="64-character"):
            call_command("audit_verify", "--expect-head", bad)


# Append-only, in Python and in the database


def test_python_code_cannot_change_or_remove_an_event(chain):
    event = AuditEvent.unscoped.get(seq=3)
    event.action = "test.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.unscoped.filter(seq=3).update(action="test.forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.unscoped.filter(seq=3).delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.unscoped.bulk_update([event], ["action"])
    assert AuditEvent.unscoped.get(seq=3).action == "test.step3"
    assert verify().startswith("OK: 5 events")


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET action = 'test.forged' WHERE seq = 3",
        f"UPDATE {TABLE} SET details = '{{}}' WHERE seq = 3",
        f"DELETE FROM {TABLE} WHERE seq = 3",
        f"DELETE FROM {TABLE}",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(chain, statement):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(statement)
    assert AuditEvent.unscoped.count() == 5
    assert AuditEvent.unscoped.get(seq=3).action == "test.step3"
    assert verify().startswith("OK: 5 events")


@postgresql_only("TRUNCATE is PostgreSQL's; SQLite's DELETE goes through the trigger")
def test_postgresql_refuses_to_truncate_the_trail(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(f"TRUNCATE {TABLE}")
    assert AuditEvent.unscoped.count() == 5


def test_the_triggers_refuse_again_once_the_owner_switches_them_back_on(chain):
    tamper(f"UPDATE {TABLE} SET object_id = 'x' WHERE seq = 1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(f"DELETE FROM {TABLE} WHERE seq = 2")


# What audit_verify finds when the database owner tampers anyway


def test_an_edited_row_is_the_first_broken_link(chain):
    tamper(f"UPDATE {TABLE} SET action = 'test.harmless' WHERE seq = 3")
    assert broken() == "BROKEN at event #3: was changed after it was written"


def test_an_edited_outcome_or_ip_address_breaks_the_chain_too(chain):
    tamper(f"UPDATE {TABLE} SET outcome = 'refused', ip_address = '10.0.0.9' WHERE seq = 4")
    assert broken() == "BROKEN at event #4: was changed after it was written"


def test_edited_details_are_the_first_broken_link(chain):
    forged = json.dumps({"step": 99, "fields": ["name", "notes"]})
    tamper(f"UPDATE {TABLE} SET details = %s WHERE seq = 2", forged)
    assert broken() == "BROKEN at event #2: its details were changed"


def test_details_blanked_by_an_erasure_still_verify(chain):
    # DESIGN.md: an erasure keeps the chain and loses the data; the hash covers the digest.
    tamper(f"UPDATE {TABLE} SET details = %s WHERE seq = 2", "{}")
    assert verify().startswith("OK: 5 events")


def test_a_deleted_middle_row_is_found(chain):
    tamper(f"DELETE FROM {TABLE} WHERE seq = 3")
    assert broken() == "BROKEN at event #4: events 3 to 3 are missing"


def test_a_deleted_middle_row_with_the_rest_renumbered_is_found(chain):
    tamper(f"DELETE FROM {TABLE} WHERE seq = 3")
    tamper(f"UPDATE {TABLE} SET seq = 3 WHERE seq = 4")
    tamper(f"UPDATE {TABLE} SET seq = 4 WHERE seq = 5")
    assert broken().startswith("BROKEN at event #3: does not follow the event before it")


def test_a_deleted_last_row_is_found_through_the_head(chain):
    tamper(f"DELETE FROM {TABLE} WHERE seq = 5")
    message = broken()
    assert message.startswith("BROKEN at event #5: the chain ends at 4 but its head says 5")
    assert "latest events were removed" in message


def test_two_swapped_rows_are_found(chain):
    columns = ["action", "object_id", "details", "details_digest", "prev_hash", "hash"]
    second, third = (AuditEvent.unscoped.filter(seq=seq).values(*columns)[0] for seq in (2, 3))
    for seq, row in ((2, third), (3, second)):
        tamper(
            f"UPDATE {TABLE} SET action = %s, object_id = %s, details = %s, "
            "details_digest = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            row["action"],
            row["object_id"],
            json.dumps(row["details"]),
            row["details_digest"],
            row["prev_hash"],
            row["hash"],
            seq,
        )
    assert AuditEvent.unscoped.get(seq=2).action == "test.step3"
    assert broken() == (
        "BROKEN at event #2: does not follow the event before it (removed or reordered)"
    )


def test_two_rows_with_swapped_actions_and_hashes_are_found(chain):
    tamper(
        f"UPDATE {TABLE} SET action = CASE seq WHEN 2 THEN 'test.step3' ELSE 'test.step2' END, "
        f"hash = CASE seq WHEN 2 THEN %s ELSE %s END WHERE seq IN (2, 3)",
        chain[2].hash,
        chain[1].hash,
    )
    assert broken().startswith("BROKEN at event #2: ")


def test_a_truncated_chain_with_a_rewritten_head_is_caught_by_the_shipped_head(chain):
    shipped = head_line()
    tamper(f"DELETE FROM {TABLE} WHERE seq >= 4")
    AuditChainHead.objects.filter(pk=1).update(last_seq=3, last_hash=chain[2].hash)
    # Without the head kept elsewhere the shortened chain looks whole: that is why we ship it.
    assert verify() == f"OK: 3 events, head #3 {chain[2].hash}"
    assert broken("--expect-head", shipped.split()[1]) == (
        "BROKEN at event #3: the shipped chain head is not in the chain"
    )
    assert broken("--expect-head", shipped) == (
        "BROKEN at event #3: the shipped chain head is not in the chain"
    )


# What is audited, and what never is


def events_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.unscoped.filter(seq__gt=before).order_by("seq"))


def last_seq() -> int:
    return AuditChainHead.objects.get(pk=1).last_seq


def test_a_login_writes_one_event_without_the_password(victor):
    before = last_seq()
    response = Client().post(reverse("account_login"), {"login": "victor", "password": PASSWORD})
    assert response.status_code == 302
    [event] = events_since(before)
    assert (event.action, event.actor_id, event.outcome) == ("auth.login", victor.pk, "ok")
    assert PASSWORD not in raw_rows()


def test_a_failed_login_writes_one_event_without_the_password(victor):
    before = last_seq()
    response = Client().post(
        reverse("account_login"), {"login": "victor", "password": PASSWORD_CANARY}
    )
    assert response.status_code == 200
    [event] = events_since(before)
    assert (event.action, event.actor_id, event.outcome) == ("auth.login_failed", None, "refused")
    assert (event.object_type, event.object_id) == ("accounts.user", str(victor.pk))
    assert event.details == {"known_account": True}
    assert PASSWORD_CANARY not in raw_rows()


def test_a_failed_login_with_an_unknown_name_stores_neither_name_nor_password(db):
    before = last_seq()
    response = Client().post(
        reverse("account_login"), {"login": LOGIN_CANARY, "password": PASSWORD_CANARY}
    )
    assert response.status_code == 200
    [event] = events_since(before)
    assert (event.action, event.object_id, event.outcome) == ("auth.login_failed", "", "refused")
    assert event.details == {"known_account": False}
    rows = raw_rows().lower()
    assert LOGIN_CANARY not in rows
    assert PASSWORD_CANARY.lower() not in rows


def test_an_email_typed_as_login_is_not_stored_either(victor):
    before = last_seq()
    Client().post(
        reverse("account_login"), {"login": f"{LOGIN_CANARY}@example.org", "password": "x"}
    )
    assert [event.action for event in events_since(before)] == ["auth.login_failed"]
    assert LOGIN_CANARY not in raw_rows().lower()


def test_a_permission_refusal_writes_one_event(victor, north: Organisation):
    client = client_for(victor)
    before = last_seq()
    response = client.get(reverse("audit_trail", kwargs={"org": "north"}))
    assert response.status_code == 403
    [event] = events_since(before)
    assert (event.action, event.outcome) == ("access.refused", "forbidden")
    assert (event.actor_id, event.organisation_id) == (victor.pk, north.pk)
    assert event.details == {"path": "/o/north/audit/", "permission": "audit.view"}


def test_the_whole_trail_of_logins_and_refusals_verifies(victor: User):
    Client().post(reverse("account_login"), {"login": "victor", "password": PASSWORD})
    Client().post(reverse("account_login"), {"login": "victor", "password": "wrong"})
    client_for(victor).get(reverse("audit_trail", kwargs={"org": "north"}))
    assert verify().startswith(f"OK: {last_seq()} events")
