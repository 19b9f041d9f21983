"""A refused passkey login (passwordless WebAuthn) is on the audit trail like a refused
password: against the account the answer named, if any, and never with what was sent."""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.http import int_to_base36
from fido2.utils import websafe_encode

from haven.privacy.access import audit_events_for
from haven.privacy.models import AuditChainHead, AuditEvent

PASSKEY_LOGIN = reverse("mfa_login_webauthn")
CANARY = "canary-passkey-answer"


def last_seq() -> int:
    return AuditChainHead.objects.get(pk=1).last_seq


def refusals_since(before: int) -> list[tuple[object, ...]]:
    return [
        (event.action, event.actor_id, event.object_id, event.outcome, event.details)
        for event in AuditEvent.unscoped.filter(seq__gt=before).order_by("seq")
    ]


def stored_trail() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")
        return repr(cursor.fetchall())


def answer_naming(user_pk: int) -> str:
    # Well formed, naming the account through its handle, but signed by no key of it.
    handle = websafe_encode(int_to_base36(user_pk).encode())  # allauth's handle
    encoded = websafe_encode(CANARY.encode())
    return json.dumps(
        {
            "id": encoded,
            "rawId": encoded,
            "type": "public-key",
            "response": {
                "clientDataJSON": encoded,
                "authenticatorData": encoded,
                "signature": encoded,
                "userHandle": handle,
            },
        }
    )


def post_answer(answer: str) -> None:
    client = Client()
    client.get(PASSKEY_LOGIN, HTTP_ACCEPT="application/json")
    response = client.post(PASSKEY_LOGIN, {"credential": answer})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_a_refused_passkey_naming_an_account_is_on_its_trail(dana, victor, north):
    before = last_seq()
    post_answer(answer_naming(victor.pk))
    assert refusals_since(before) == [
        ("auth.passkey_login_failed", None, str(victor.pk), "refused", {"known_account": True})
    ]
    assert CANARY not in stored_trail()
    # The organisation's DPO sees it against their staff.
    assert [e.action for e in audit_events_for(north, {"action": "auth.passkey"})] == [
        "auth.passkey_login_failed"
    ]


def test_a_refused_passkey_naming_nobody_is_audited_without_an_account(db):
    # An unknown id, and one beyond any database's integers.
    for user_pk in (987654, 2**64):
        before = last_seq()
        post_answer(answer_naming(user_pk))
        assert refusals_since(before) == [
            ("auth.passkey_login_failed", None, "", "refused", {"known_account": False})
        ]


def test_a_malformed_or_unreadable_passkey_answer_is_audited_too(db):
    for answer in ('{"id": "' + CANARY + '", "type": "public-key"}', "{" + CANARY, ""):
        before = last_seq()
        post_answer(answer)
        assert refusals_since(before) == [
            ("auth.passkey_login_failed", None, "", "refused", {"known_account": False})
        ]
    assert CANARY not in stored_trail()
