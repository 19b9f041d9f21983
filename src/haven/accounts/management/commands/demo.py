"""Load the fictional demo network: ``python manage.py demo [--seed N] [--force]``.

Refuses a directory that already holds organisations unless ``--force`` is given, so
a real installation is never mixed with demo data by accident.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.demo import DEFAULT_SEED, DEMO_PASSWORD, DemoError, build_demo, demo_logins


class Command(BaseCommand):
    help = "Load a fictional demo network with users for every role, and print their logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="same seed, same demo data"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="load even though the directory already holds organisations",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            build_demo(options["seed"], force=options["force"])
        except DemoError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] < 1:
            return
        self.stdout.write(f"Demo network loaded. Every password is: {DEMO_PASSWORD}")
        for username, role, organisation in demo_logins():
            self.stdout.write(f"  {username:<18} {role:<26} {organisation}")
