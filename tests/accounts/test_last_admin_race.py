"""Two admins taking each other's admin role at the same moment leave one admin, not none."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from haven.accounts import actions
from haven.accounts.models import RoleAssignment
from haven.accounts.permissions import Role
from tests.conftest import make_organisation, make_user
from tests.marks import concurrent_writers


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_two_admins_demoting_each_other_at_once_leave_one_admin(monkeypatch):
    north = make_organisation("north")
    alice = make_user("alice", north, Role.ORGANISATION_ADMIN)
    ben = make_user("ben", north, Role.ORGANISATION_ADMIN)
    # Each change waits, once it has checked that another admin is left, until the other
    # has checked too: without a lock on the organisation both checks pass. With it, the
    # second change waits for the first to commit, and the first stops waiting.
    both_checked = threading.Barrier(2, timeout=3)
    check = actions._keeps_an_admin

    def checked_then_waiting(*args: Any, **kwargs: Any) -> bool:
        kept = check(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return kept

    monkeypatch.setattr(actions, "_keeps_an_admin", checked_then_waiting)
    outcomes: list[str] = []

    def demote(actor: Any, user: Any) -> None:
        try:
            actions.set_roles(actor=actor, organisation=north, user=user, roles=[Role.CASEWORKER])
        except ValidationError:
            outcomes.append("refused")
        else:
            outcomes.append("done")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(alice, ben)),
        threading.Thread(target=demote, args=(ben, alice)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    assert (
        RoleAssignment.objects.filter(organisation=north, role=Role.ORGANISATION_ADMIN).count() == 1
    )
