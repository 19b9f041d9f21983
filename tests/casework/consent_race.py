"""A withdrawal of casework consent committed while a write waits for the person's lock.

On PostgreSQL, a write that decided consent before taking the person's row lock would miss a
withdrawal committed meanwhile. ``withdraw_on_lock`` stands in for that moment on any
database: the consent is withdrawn just before the person's row is locked, so only a write
that decides consent after taking the lock refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.casework.models import Consent, Person


def withdraw_on_lock(monkeypatch: pytest.MonkeyPatch, person: Person) -> list[str]:
    """Withdraw the person's casework consent as soon as any person's row gets locked;
    returns the list of what was locked, each as "person"."""
    locked: list[str] = []
    real = QuerySet.select_for_update

    def lock(queryset: QuerySet[Any], *args: Any, **kwargs: Any) -> QuerySet[Any]:
        if queryset.model is Person:
            locked.append("person")
            with scopes_disabled():
                Consent.objects.filter(
                    person_id=person.pk, purpose="casework", withdrawn_on__isnull=True
                ).update(withdrawn_on=timezone.localdate())
        return real(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", lock)
    return locked
