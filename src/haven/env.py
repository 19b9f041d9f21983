"""Strict parsers for configuration read from the environment.

A typo in production configuration must stop the server, never be read as
a default: ``HAVEN_DEBUG=yes`` is an error, not a truthy string.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true"}
_FALSE = {"0", "false"}


def secret(name: str, default: str = "") -> str:
    """Read ``NAME`` or the file named by ``NAME_FILE`` (for container secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc}") from exc
    return os.environ.get(name, default)


def string(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def boolean(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1, 0, true or false, not {raw!r}")


def integer(name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def word_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(?P<count>\d+)/(?P<span>\d*)(?P<unit>[smhd])$")


@dataclass(frozen=True)
class Rate:
    """``count`` attempts per ``seconds``."""

    count: int
    seconds: int


# Kept: every public submission reads its limits from the settings again.
@cache
def parse_rate(text: str) -> Rate:
    """Read ``"10/m"``, ``"100/h"`` or ``"5/15m"``; anything else is a ValueError."""
    match = _RATE.match(text.strip())
    if match is None or int(match["count"]) < 1 or match["span"] == "0":
        raise ValueError(f"a rate looks like 10/m, 100/h or 5/15m, not {text!r}")
    span = int(match["span"] or 1)
    return Rate(count=int(match["count"]), seconds=span * _UNITS[match["unit"]])


def rate(name: str, default: str) -> str:
    """A rate limit such as ``120/10m``, checked now so a typo stops the server."""
    value = os.environ.get(name) or default
    try:
        parse_rate(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    return value
