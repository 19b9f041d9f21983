"""One person signs once: addresses are compared in the form their provider reads them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from haven.abuse.addresses import checked_email, is_blocked_domain, normalise_email


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Jane.Doe+petition@Gmail.com", "janedoe@gmail.com"),
        ("j.a.n.e.doe@googlemail.com", "janedoe@gmail.com"),
        ("jane+news@outlook.com", "jane@outlook.com"),
        ("Jane.Doe@Outlook.com", "jane.doe@outlook.com"),
        ("jane+x@proton.me", "jane@proton.me"),
        # An unknown provider may give +tags and dots meaning: keep them.
        ("jane+x@ngo.example.org", "jane+x@ngo.example.org"),
        ("Jane.Doe@NGO.example.org", "jane.doe@ngo.example.org"),
        ("  jane@example.org ", "jane@example.org"),
    ],
)
def test_addresses_are_normalised_as_their_provider_reads_them(typed, canonical):
    assert normalise_email(typed) == canonical


@pytest.mark.parametrize(
    "typed", ["", "jane", "jane@", "@example.org", "jane@@example.org", "a b@example.org"]
)
def test_a_malformed_address_gets_a_clear_error(typed):
    with pytest.raises(ValidationError, match=r"Enter a valid e-mail address\."):
        normalise_email(typed)


def test_a_checked_address_keeps_the_local_part_as_typed():
    assert checked_email("Jane.Doe+x@Example.ORG") == "Jane.Doe+x@example.org"


def test_throw_away_domains_and_their_subdomains_are_blocked():
    assert is_blocked_domain("someone@mailinator.com")
    assert is_blocked_domain("someone@eu.mailinator.com")
    assert not is_blocked_domain("someone@example.org")


def test_an_operator_and_an_owner_can_block_more_domains(settings):
    settings.HAVEN_BLOCKED_EMAIL_DOMAINS = ["spam.example"]
    assert is_blocked_domain("a@spam.example")
    assert is_blocked_domain("a@bulk.example", extra=["bulk.example"])
    assert not is_blocked_domain("a@fine.example", extra=["bulk.example"])


def test_an_address_checked_again_comes_out_the_same_without_checking_it_again(monkeypatch):
    from haven.abuse import addresses

    typed = "  Repeat.Signer@Example.ORG "
    first = checked_email(typed)
    calls = []
    monkeypatch.setattr(addresses, "validate_email", lambda *a, **k: calls.append(a))
    # The typed spelling and the checked form both come back from memory.
    assert checked_email(typed) == first == "Repeat.Signer@example.org"
    assert checked_email(first) == first
    assert calls == []


def test_a_malformed_address_is_refused_every_time_and_never_kept():
    from haven.abuse import addresses

    for _attempt in range(2):
        with pytest.raises(ValidationError):
            checked_email("jane@@example.org")
    assert "jane@@example.org" not in addresses._CHECKED


def test_the_checked_addresses_kept_in_memory_are_bounded():
    from haven.abuse import addresses

    for number in range(3 * addresses.CHECKED_KEPT):
        checked_email(f"bounded.{number}@example.org")
    assert len(addresses._CHECKED) <= addresses.CHECKED_KEPT + 1


def test_no_checked_address_is_kept_past_its_minute(monkeypatch):
    from haven.abuse import addresses

    clock = [1000.0]
    monkeypatch.setattr("haven.abuse.addresses.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(addresses, "_cleared_at", clock[0])
    checked_email("quiet.site@example.org")
    assert "quiet.site@example.org" in addresses._CHECKED
    clock[0] += addresses.CHECKED_SECONDS + 1
    checked_email("next.signer@example.org")
    assert "quiet.site@example.org" not in addresses._CHECKED
