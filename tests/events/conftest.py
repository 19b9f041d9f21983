"""Events tests start from a clean shared cache and key cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from haven.privacy import crypto


@pytest.fixture(autouse=True)
def _forget_between_tests(db: None) -> Iterator[None]:
    # Executed on-commit callbacks cache the data keys of organisations that the test then
    # rolls back, and the dispatch flag stays in the shared cache: forget both before and
    # after, or a later test with the same ids fails (as tests/letters/conftest.py does).
    cache.clear()
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()
