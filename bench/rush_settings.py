"""Settings of the server that bench/petition_rush.py starts: Haven's, plus one route."""

from haven.settings import *  # noqa: F403

ROOT_URLCONF = "bench.rush_urls"
