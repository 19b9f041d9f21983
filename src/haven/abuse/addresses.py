"""E-mail addresses as a person owns them: one canonical form for many spellings.

``normalise_email`` is for finding duplicates (one person signs once); send mail to the
address as the person typed it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from disposable_email_domains import blocklist as _DISPOSABLE
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

# Providers that deliver name+anything@ to name@ ...
_PLUS_TAGS = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "fastmail.com",
    "yandex.com",
    "yandex.ru",
}
# ... and the ones that also ignore dots in the name.
_DOTS_IGNORED = {"gmail.com", "googlemail.com"}
_SAME_MAILBOXES = {"googlemail.com": "gmail.com"}


# The addresses this process checked last, with what each came out as (also under that
# form, which checks to itself). One request checks its address at several steps (the
# form, the rate limit's key, the digest that makes one person one signature), and
# email_validator is the costliest of them on the public rushes (decision 13). Only what
# one request needs is worth keeping: at most a few hundred addresses, in this process's
# memory only, and none for longer than a minute, however quiet the site.
_CHECKED: dict[str, str] = {}
CHECKED_KEPT = 512
CHECKED_SECONDS = 60.0
_cleared_at = time.monotonic()


def checked_email(address: str) -> str:
    """The address if it is well formed (domain in lower case), else a ValidationError."""
    global _cleared_at
    now = time.monotonic()
    if len(_CHECKED) >= CHECKED_KEPT or now - _cleared_at > CHECKED_SECONDS:
        _CHECKED.clear()
        _cleared_at = now
    address = address.strip()
    found = _CHECKED.get(address)
    if found is not None:
        return found
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid") from None
    checked = str(result.normalized)
    _CHECKED[address] = _CHECKED[checked] = checked
    return checked


def normalise_email(address: str) -> str:
    """The canonical form of a valid address: case, dots and +tags as its provider reads them."""
    return canonical_email(checked_email(address))


def canonical_email(checked: str) -> str:
    """``normalise_email`` of an address that ``checked_email`` already returned."""
    local, _at, domain = checked.rpartition("@")
    domain = domain.lower()
    local = local.lower()
    if domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    if domain in _DOTS_IGNORED:
        local = local.replace(".", "")
    return f"{local}@{_SAME_MAILBOXES.get(domain, domain)}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_blocked_domain(address: str, extra: Iterable[str] = ()) -> bool:
    """True for throw-away e-mail domains, those in ``HAVEN_BLOCKED_EMAIL_DOMAINS`` and ``extra``.

    A subdomain of a blocked domain is blocked too.
    """
    domain = domain_of(address)
    blocked = {d.lower().strip() for d in [*settings.HAVEN_BLOCKED_EMAIL_DOMAINS, *extra]}
    parts = domain.split(".")
    candidates = {".".join(parts[i:]) for i in range(len(parts) - 1)}
    return bool(candidates & blocked) or bool(candidates & _DISPOSABLE)
