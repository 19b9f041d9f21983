"""Resident memory of one production gunicorn worker after serving every page once.

Starts gunicorn (one sync worker, HAVEN_ENV=production) on a copy of the demo database,
signs in one demo user per role by writing a session (the login flow itself is covered by
the tests), requests every GET page each role can reach plus the public pages and the API,
then reads the worker's VmRSS. The baseline, in the same run, is the same worker after
serving only /healthz: the cost of Python, Django and the installed apps at rest.

    .venv/bin/python bench/memory.py            # needs the demo database (make run once)
"""

from __future__ import annotations

import base64
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def _environment(database: Path, static_root: Path) -> dict[str, str]:
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="haven.settings",
        HAVEN_ENV="production",
        HAVEN_SECRET_KEY=secrets.token_urlsafe(50),
        HAVEN_MASTER_KEY=_master_key(),
        HAVEN_ALLOWED_HOSTS="127.0.0.1",
        HAVEN_BEHIND_PROXY="1",
        # Production refuses to start without them; the bench sends no e-mail.
        HAVEN_SMTP_HOST="127.0.0.1",
        HAVEN_BASE_URL="https://haven.example.org",
        HAVEN_VAR_DIR=str(static_root.parent),
        DATABASE_URL=f"sqlite:///{database}",
    )


def _master_key() -> str:
    dev_key = ROOT / "var" / "dev-master-key"
    if dev_key.exists():
        return dev_key.read_text().strip()
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _sessions(env: dict[str, str]) -> dict[str, tuple[str, list[str]]]:
    """One session cookie per demo role, and the pages that role can open."""
    script = r"""
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from haven.accounts.models import RoleAssignment
from haven.accounts.permissions import permissions_for
from haven.accounts.tenancy import has_second_factor
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
out = {}
for assignment in RoleAssignment.objects.select_related("user", "organisation").order_by("role"):
    if assignment.role in out:
        continue
    user, org = assignment.user, assignment.organisation
    # Production settings require a second factor for roles that see persons.
    if not has_second_factor(user):
        TOTP.activate(user, generate_totp_secret())
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    perms = permissions_for([assignment.role])
    pages = [reverse("organisation_dashboard", kwargs={"org": org.slug}),
             reverse("account_settings"), reverse("mfa_index")]
    if "accounts.manage_users" in perms:
        pages.append(reverse("staff_list", kwargs={"org": org.slug}))
    if "audit.view" in perms:
        pages.append(reverse("audit_trail", kwargs={"org": org.slug}))
    if "network.manage_members" in perms:
        pages.append(reverse("network_members", kwargs={"org": org.slug}))
    out[assignment.role] = [session.session_key, pages]
print(json.dumps(out))
"""
    import json

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return {role: (key, pages) for role, (key, pages) in json.loads(result.stdout).items()}


def _get(path: str, cookie: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"__Secure-sessionid={cookie}; sessionid={cookie}"
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def _worker_rss_kib(master_pid: int) -> int:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


def _serve(env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "haven.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    for _ in range(100):
        try:
            if _get("/healthz") == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not answer /healthz")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def main() -> None:
    source = ROOT / "var" / "haven.sqlite3"
    if not source.exists():
        raise SystemExit("No demo database: run `make run` once first.")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "haven.sqlite3"
        shutil.copy(source, database)
        static_root = Path(tmp) / "static"
        env = _environment(database, static_root)
        subprocess.run(
            [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"],
            env=env,
            check=True,
        )
        sessions = _sessions(env)

        server = _serve(env)
        baseline = _worker_rss_kib(server.pid)
        _stop(server)

        server = _serve(env)
        statuses: dict[int, int] = {}
        requests = 0
        public = ["/", "/accounts/login/", "/api/openapi.json", "/api/docs"]
        public += [f"/networks/{slug}/" for slug in _network_slugs(env)]
        public += [f"/api/networks/{slug}/members" for slug in _network_slugs(env)]
        for path in public:
            status = _get(path)
            statuses[status] = statuses.get(status, 0) + 1
            requests += 1
        for _role, (cookie, pages) in sessions.items():
            for path in pages:
                status = _get(path, cookie)
                statuses[status] = statuses.get(status, 0) + 1
                requests += 1
        served = _worker_rss_kib(server.pid)
        _stop(server)

    print(f"pages served: {requests} (status codes {dict(sorted(statuses.items()))})")
    print(f"baseline worker RSS after /healthz only: {baseline / 1024:.1f} MiB")
    print(f"worker RSS after every page once:      {served / 1024:.1f} MiB")
    print(f"ratio to baseline: {served / baseline:.2f}; target: under 150 MiB")


def _network_slugs(env: dict[str, str]) -> list[str]:
    script = (
        "import django; django.setup(); from haven.organisations.models import Network; "
        "print(' '.join(Network.objects.values_list('slug', flat=True)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


if __name__ == "__main__":
    main()
