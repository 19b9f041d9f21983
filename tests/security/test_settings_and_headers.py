"""Production refuses unsafe configuration; every answer carries the security headers."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from haven.accounts.models import User
from tests.conftest import bearer, client_for

ROOT = Path(__file__).resolve().parents[2]


def api_headers(user: User) -> dict[str, Any]:
    return bearer(user)


def production_environment(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete, valid production configuration, with some variables changed or removed."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HAVEN_", "DJANGO_")) and name != "DATABASE_URL"
    }
    environment = {
        **inherited,
        "HAVEN_ENV": "production",
        "HAVEN_SECRET_KEY": secrets.token_urlsafe(50),
        "HAVEN_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "HAVEN_ALLOWED_HOSTS": "haven.example.org",
        "HAVEN_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'haven.sqlite3'}",
        "HAVEN_SMTP_HOST": "smtp.example.org",
        "HAVEN_BASE_URL": "https://haven.example.org",
    }
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_complete_production_configuration_passes_the_deployment_checks(tmp_path):
    result = check_deploy(production_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("HAVEN_SECRET_KEY", None, "HAVEN_SECRET_KEY"),
        ("HAVEN_SECRET_KEY", "too-short", "HAVEN_SECRET_KEY"),
        ("HAVEN_MASTER_KEY", None, "HAVEN_MASTER_KEY"),
        ("HAVEN_MASTER_KEY", base64.b64encode(b"sixteen bytes!!!").decode(), "HAVEN_MASTER_KEY"),
        ("HAVEN_MASTER_KEY", "not base64 at all!", "HAVEN_MASTER_KEY"),
        ("HAVEN_ALLOWED_HOSTS", None, "HAVEN_ALLOWED_HOSTS"),
        ("HAVEN_ALLOWED_HOSTS", "*", "HAVEN_ALLOWED_HOSTS"),
        ("DATABASE_URL", None, "DATABASE_URL"),
        ("HAVEN_DEBUG", "1", "HAVEN_DEBUG"),
        ("HAVEN_DEBUG", "yes", "HAVEN_DEBUG"),
        ("HAVEN_SSL_REDIRECT", "0", "HAVEN_SSL_REDIRECT"),
        ("HAVEN_HSTS_SECONDS", "3600", "HAVEN_HSTS_SECONDS"),
        ("HAVEN_DEMO", "1", "HAVEN_DEMO"),
        ("HAVEN_ENV", "prod", "HAVEN_ENV"),
        ("HAVEN_SMTP_HOST", None, "HAVEN_SMTP_HOST"),
        ("HAVEN_BASE_URL", None, "HAVEN_BASE_URL"),
        ("HAVEN_BASE_URL", "http://haven.example.org", "HAVEN_BASE_URL"),
        ("HAVEN_SMTP_SSL", "maybe", "HAVEN_SMTP_SSL"),
        ("HAVEN_RATE_PER_IP", "lots", "HAVEN_RATE_PER_IP"),
        ("HAVEN_RATE_PER_ADDRESS", "0/h", "HAVEN_RATE_PER_ADDRESS"),
    ],
)
def test_production_refuses_to_start_with_a_missing_or_unsafe_setting(
    tmp_path, variable, value, complaint
):
    result = check_deploy(production_environment(tmp_path, **{variable: value}))
    assert result.returncode != 0
    assert complaint in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_production_refuses_tls_and_starttls_together(tmp_path):
    environment = production_environment(tmp_path, HAVEN_SMTP_SSL="1", HAVEN_SMTP_STARTTLS="1")
    result = check_deploy(environment)
    assert result.returncode != 0
    assert "HAVEN_SMTP_SSL and HAVEN_SMTP_STARTTLS cannot both be on" in result.stderr


def test_production_cookies_are_secure_and_http_only(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", script],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "False"]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_no_inline_code(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_pages_send_a_strict_content_security_policy(victor):
    for response in (Client().get("/accounts/login/"), client_for(victor).get("/o/north/")):
        assert response.status_code == 200
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["default-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
        assert_no_inline_code(response.content.decode())


def test_allauth_pages_keep_to_the_policy_too(north):
    from tests.conftest import make_user

    caseworker = make_user("policy", north, "caseworker")
    client = Client()
    assert_no_inline_code(client.get("/accounts/login/").content.decode())
    response = client.post(
        "/accounts/login/", {"login": "policy", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    second_step = client.get(response["Location"])
    assert second_step.status_code == 200
    assert_no_inline_code(second_step.content.decode())
    overview = client_for(caseworker).get("/accounts/2fa/")
    assert overview.status_code == 200
    assert_no_inline_code(overview.content.decode())


def test_pages_send_nosniff_referrer_policy_and_frame_denial(db):
    response = Client().get("/accounts/login/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_authenticated_pages_are_never_stored(victor):
    response = client_for(victor).get("/o/north/")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_api_answers_are_never_stored_even_refusals(victor):
    response = Client().get("/api/me", **api_headers(victor))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    refused = Client().get("/api/me")
    assert refused.status_code == 401
    assert "no-store" in refused.headers["Cache-Control"]


def test_never_cache_headers_are_exactly_djangos_whether_or_not_the_view_set_some(rf):
    from django.http import HttpResponse
    from django.utils.cache import add_never_cache_headers

    from haven.accounts.middleware import NoStoreForAuthenticatedMiddleware

    expected = HttpResponse()
    add_never_cache_headers(expected)
    fresh = NoStoreForAuthenticatedMiddleware(lambda request: HttpResponse())(rf.get("/api/x"))
    assert fresh["Cache-Control"] == expected["Cache-Control"]
    assert fresh["Expires"][-3:] == "GMT"

    def cacheable(request):
        response = HttpResponse()
        response["Cache-Control"] = "public, max-age=30"
        return response

    merged = NoStoreForAuthenticatedMiddleware(cacheable)(rf.get("/api/x"))
    assert "public" not in merged["Cache-Control"]
    assert {"max-age=0", "no-store", "private"} <= set(merged["Cache-Control"].split(", "))


def test_the_public_directory_may_be_cached_for_anonymous_visitors(coalition):
    response = Client().get("/networks/coalition/")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_hsts_is_sent_over_https_under_production_settings(settings, db):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/accounts/login/"


def test_development_sends_no_hsts(db):
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/").headers
