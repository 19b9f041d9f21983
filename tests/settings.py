"""Haven's settings plus the test-only apps."""

from haven.settings import *  # noqa: F403
from haven.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.encryption_app"]

# The demo's casework (tens of thousands of rows) is tested on its own in
# tests/test_demo_casework.py; the other demo tests only need the directory.
HAVEN_DEMO_CASEWORK = False

# Test organisations work in UTC, as the tests write their times, unless a test chooses a
# zone: otherwise a French test organisation's "today" would end at 23:00 UTC.
HAVEN_ZONE_FROM_COUNTRY = False
