"""Haven's settings plus the test-only apps."""

from haven.settings import *  # noqa: F403
from haven.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.encryption_app"]
