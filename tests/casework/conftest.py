"""Casework personas and helpers: a helpline operator of north, and persons made by intake."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate
from django_scopes import scope

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework import actions
from haven.casework.models import Person
from haven.organisations.models import Organisation
from tests.conftest import make_user


@pytest.fixture
def hana(north: Organisation) -> User:
    return make_user("hana", north, Role.HELPLINE_OPERATOR)


def intake(actor: User, organisation: Organisation, **values: Any) -> Person:
    """A person recorded the way the intake form records them, with casework consent."""
    with scope(organisation=organisation):
        return actions.create_person(
            actor=actor,
            organisation=organisation,
            values=values,
            consent_given_on=datetime.date(2025, 1, 10),
            consent_method="written",
        )


def _audit_migration() -> Any:
    return importlib.import_module("haven.privacy.migrations.0002_audit_append_only")


@pytest.fixture
def flushable_audit_trail(transactional_db: None) -> Iterator[None]:
    """Let the final flush empty the append-only audit table (as tests/browser does)."""
    privacy = apps.get_app_config("privacy")

    def restore(**kwargs: Any) -> None:
        post_migrate.disconnect(restore, sender=privacy)
        with connection.schema_editor() as editor:
            _audit_migration().install_triggers(apps, editor)
        apps.get_model("privacy", "AuditChainHead").objects.get_or_create(pk=1)

    yield
    with connection.schema_editor() as editor:
        _audit_migration().remove_triggers(apps, editor)
    post_migrate.connect(restore, sender=privacy, weak=False)
