"""Public endpoints are rate limited per IP address and per e-mail address."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import translation

from haven.abuse.ratelimit import (
    RateLimited,
    check_public_submission,
    hit,
    hit_all,
    parse_rate,
    too_many_requests,
)
from haven.env import Rate
from tests.redis_server import redis_cache

__all__ = ["redis_cache"]


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(params=["database", "redis"])
def backend(request):
    """Each test using it runs on the database cache (the default) and on Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


def _request(ip: str = "203.0.113.7", forwarded: str = "") -> HttpRequest:
    request = RequestFactory().post("/sign/", REMOTE_ADDR=ip)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/m", Rate(10, 60)),
        ("100/h", Rate(100, 3600)),
        ("5/15m", Rate(5, 900)),
        ("1/d", Rate(1, 86400)),
    ],
)
def test_rates_are_read_from_their_short_form(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "10", "ten/m", "0/m", "5/0m", "5/w", "-1/m"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="a rate looks like"):
        parse_rate(text)


def test_the_attempt_over_the_limit_is_refused_until_the_window_ends(backend):
    clock = [1_000_040.0]
    rate = Rate(3, 60)
    for _ in range(3):
        hit("sign", "ip:1", rate, now=lambda: clock[0])
    with pytest.raises(RateLimited) as refused:
        hit("sign", "ip:1", rate, now=lambda: clock[0])
    # 1,000,040 is 20 s into its minute: 40 s remain.
    assert refused.value.retry_after == 40
    clock[0] += 40
    hit("sign", "ip:1", rate, now=lambda: clock[0])


def test_limits_are_counted_per_key_and_per_scope(backend):
    rate = Rate(1, 60)
    hit("sign", "ip:1", rate)
    hit("sign", "ip:2", rate)
    hit("register", "ip:1", rate)
    with pytest.raises(RateLimited):
        hit("sign", "ip:1", rate)


def test_one_address_is_limited_across_ip_addresses(settings, backend):
    settings.HAVEN_RATE_PER_IP, settings.HAVEN_RATE_PER_ADDRESS = "100/h", "2/h"
    check_public_submission(_request("198.51.100.1"), scope="sign", address="a@example.org")
    check_public_submission(_request("198.51.100.2"), scope="sign", address="a@example.org")
    with pytest.raises(RateLimited):
        check_public_submission(_request("198.51.100.3"), scope="sign", address="a@example.org")
    check_public_submission(_request("198.51.100.3"), scope="sign", address="b@example.org")


def test_one_address_has_an_allowance_per_target_and_a_looser_one_across_them(settings, backend):
    settings.HAVEN_RATE_PER_IP = "100/h"
    settings.HAVEN_RATE_PER_ADDRESS, settings.HAVEN_RATE_PER_ADDRESS_ALL = "2/h", "5/h"
    # Registering for five of a network's events in one hour is fine...
    for event in range(1, 6):
        check_public_submission(_request(), scope="register", address="a@example.org", target=event)
    # ...and the sixth target is refused by the limit across targets, so that nobody can
    # have an address flooded with confirmations from every petition of a network.
    with pytest.raises(RateLimited):
        check_public_submission(_request(), scope="register", address="a@example.org", target=6)
    settings.HAVEN_RATE_PER_ADDRESS_ALL = "100/h"
    check_public_submission(_request(), scope="register", address="b@example.org", target=1)
    check_public_submission(_request(), scope="register", address="b@example.org", target=1)
    with pytest.raises(RateLimited):
        check_public_submission(_request(), scope="register", address="b@example.org", target=1)
    check_public_submission(_request(), scope="register", address="b@example.org", target=2)


def test_one_ip_address_is_limited_across_e_mail_addresses(settings, backend):
    settings.HAVEN_RATE_PER_IP, settings.HAVEN_RATE_PER_ADDRESS = "2/h", "100/h"
    for address in ("a@example.org", "b@example.org"):
        check_public_submission(_request(), scope="sign", address=address)
    with pytest.raises(RateLimited):
        check_public_submission(_request(), scope="sign", address="c@example.org")


def test_behind_the_proxy_the_client_is_the_last_forwarded_address(settings, backend):
    settings.HAVEN_BEHIND_PROXY = True
    settings.HAVEN_RATE_PER_IP = "1/h"
    # Same proxy address, two clients: each has its own allowance. A forged first hop
    # (what the client itself sent) does not make a new client.
    check_public_submission(_request("10.0.0.1", "1.1.1.1, 198.51.100.9"), scope="sign")
    check_public_submission(_request("10.0.0.1", "198.51.100.10"), scope="sign")
    with pytest.raises(RateLimited):
        check_public_submission(_request("10.0.0.1", "9.9.9.9, 198.51.100.9"), scope="sign")


def test_the_cache_never_holds_an_address_in_clear(settings):
    settings.HAVEN_RATE_PER_ADDRESS = "5/h"
    check_public_submission(_request(), scope="sign", address="secret.person@example.org")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM haven_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert keys
    assert not any("secret" in key or "example" in key for key in keys)


def test_the_429_page_says_what_happened_and_when_to_try_again(db):
    with translation.override("en"):  # whatever an earlier test left active
        response = too_many_requests(_request(), RateLimited(retry_after=125))
    assert response.status_code == 429
    assert response["Retry-After"] == "125"
    assert "Please wait 3 minutes and try again." in response.content.decode()


def test_every_limit_counts_the_attempt_and_the_longest_wait_is_given(backend):
    clock = [1_000_040.0]  # 20 s into its minute, 2,840 s into its hour
    per_minute, per_hour = Rate(1, 60), Rate(2, 3600)
    limits = [("ip:1", per_minute), ("address:a", per_hour)]
    hit_all("sign", limits, now=lambda: clock[0])
    with pytest.raises(RateLimited) as refused:
        hit_all("sign", limits, now=lambda: clock[0])
    assert refused.value.retry_after == 40, "only the per-minute limit is over"
    clock[0] += 40
    # A new minute, but the refused attempt counted against the hour too: 3 > 2.
    with pytest.raises(RateLimited) as refused:
        hit_all("sign", limits, now=lambda: clock[0])
    assert refused.value.retry_after == 720


def test_with_redis_every_limit_of_a_submission_is_one_round_trip(
    redis_cache, settings, monkeypatch
):
    settings.HAVEN_RATE_PER_IP, settings.HAVEN_RATE_PER_ADDRESS = "100/h", "100/h"
    check_public_submission(_request(), scope="sign", address="a@example.org")  # loads the script
    commands = []
    connection = type(redis_cache._cache.get_client(write=True).connection)
    sent = connection.send_command

    def counting(self, *args, **options):
        commands.append(args[0])
        return sent(self, *args, **options)

    monkeypatch.setattr(connection, "send_command", counting)
    check_public_submission(_request(), scope="sign", address="b@example.org")
    assert commands == ["EVALSHA"]


def test_with_redis_concurrent_attempts_are_counted_exactly(redis_cache):
    rate = Rate(10, 3600)
    allowed, refused = [], []
    start = threading.Barrier(30)

    def attempt():
        start.wait()
        try:
            hit_all("sign", [("ip:1", rate), ("address:a", Rate(1000, 3600))])
        except RateLimited as error:
            refused.append(error.retry_after)
        else:
            allowed.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(allowed), len(refused)) == (10, 20)
    assert all(0 < wait <= 3600 for wait in refused)


def test_with_redis_a_counter_lives_as_long_as_its_window(redis_cache):
    import redis

    from haven.abuse.ratelimit import _cache_key
    from tests.redis_server import REDIS_URL

    clock = [1_000_040.0]
    hit("sign", "ip:1", Rate(5, 60), now=lambda: clock[0])
    key = redis_cache.make_and_validate_key(_cache_key("sign", "ip:1", int(clock[0] // 60)))
    assert redis.Redis.from_url(REDIS_URL).ttl(key) in (60, 61)
