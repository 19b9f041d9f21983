"""Marks for tests that only PostgreSQL can run; the suite runs on SQLite too."""

from __future__ import annotations

import pytest
from django.db import connection


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """Skip the test on any other database, saying why it needs PostgreSQL."""
    return pytest.mark.skipif(connection.vendor != "postgresql", reason=reason)


# Races need writers that really run at once.
concurrent_writers = postgresql_only(
    "needs concurrent writers: SQLite runs one write transaction at a time, so no race"
)
