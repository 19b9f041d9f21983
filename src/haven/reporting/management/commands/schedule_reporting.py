"""Queue the hourly run of reporting (members who join or leave, reminders, e-mails)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from haven.reporting.tasks import run_reporting, schedule_reporting


class Command(BaseCommand):
    help = (
        "Queue the hourly run that asks members who joined a network while a period is open, "
        "stops asking those who left, and e-mails the reminders due before, on and after "
        "each deadline, unless one is queued; --now runs it at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="Run it now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            totals = run_reporting()
            self.stdout.write(
                f"Looked at {totals['periods']} periods; sent {totals['emails']} e-mails."
            )
            return
        when = schedule_reporting()
        if options["verbosity"] < 1:
            return
        if when is None:
            self.stdout.write("This task backend cannot defer tasks; run this command with --now.")
        else:
            self.stdout.write(f"Reporting run queued for {when.isoformat()}.")
