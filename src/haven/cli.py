"""``haven dev``: everything ``make run`` does after installing.

Migrates the SQLite database, loads the demo network the first time, then runs the
web server and the task worker side by side until Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

MANAGE = [sys.executable, "-m", "django"]


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
    import django

    django.setup()


def _prepare(seed: int) -> None:
    from django.core.management import call_command

    from haven.organisations.models import Organisation

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("schedule_retention", verbosity=0)
    call_command("schedule_anonymisation", verbosity=0)
    call_command("schedule_events", verbosity=0)
    call_command("schedule_reporting", verbosity=0)
    if not Organisation.objects.exists():
        print("Loading the demo network (first run only)…", flush=True)
        call_command("demo", seed=seed, verbosity=0)


def _print_logins(address: str) -> None:
    from haven.accounts.models import User
    from haven.demo import DEMO_PASSWORD, demo_logins

    print(f"\nHaven is running on http://{address}/  (Ctrl-C stops it)\n")
    existing = set(User.objects.values_list("username", flat=True))
    logins = [login for login in demo_logins() if login[0] in existing]
    if logins:
        print(f"Demo logins — every password is: {DEMO_PASSWORD}")
    for username, role, organisation in logins:
        print(f"  {username:<22} {role:<26} {organisation}")
    print("\nDemo mode waives the two-factor requirement; never put real data here.\n", flush=True)


def _serve_at(address: str) -> None:
    """Make the links of pages and e-mails point at ``address``, unless told otherwise."""
    # Read by the settings, in this process and the two it starts: on another port the
    # links would otherwise lead to the default one.
    os.environ.setdefault("HAVEN_BASE_URL", f"http://{address}")


def dev(address: str, seed: int) -> int:
    _serve_at(address)
    _setup()
    _prepare(seed)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="haven.settings", PYTHONUNBUFFERED="1")
    server = subprocess.Popen([*MANAGE, "runserver", address, "--noreload"], env=env)  # noqa: S603
    worker = subprocess.Popen([*MANAGE, "db_worker", "--interval", "1"], env=env)  # noqa: S603
    processes = [server, worker]
    _print_logins(address)

    asked_to_stop = False

    def stop(*_args: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    def on_sigterm(*_args: object) -> None:
        nonlocal asked_to_stop
        asked_to_stop = True
        stop()

    signal.signal(signal.SIGTERM, on_sigterm)
    status = 0
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        if not asked_to_stop:
            # One of them stopped on its own (say, the port was taken): stop the other too.
            print("haven dev: the web server or the task worker stopped.", file=sys.stderr)
            status = 1
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="haven")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("dev", help="serve the demo with a task worker")
    run.add_argument("--address", default="127.0.0.1:8000")
    run.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(Path.cwd()))
    return dev(arguments.address, arguments.seed)


if __name__ == "__main__":
    raise SystemExit(main())
