"""Apply every organisation's retention periods: now, or through the task queue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from haven.records.tasks import run_retention, schedule_retention


class Command(BaseCommand):
    help = "Delete persons and anonymise helpline calls whose retention period has ended."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now", action="store_true", help="run here and now instead of queueing a run"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            totals = run_retention()
            self.stdout.write(
                f"Retention applied to {totals['organisations']} organisations: "
                f"{totals['persons_deleted']} persons deleted, "
                f"{totals['calls_anonymised']} helpline calls anonymised."
            )
            return
        when = schedule_retention(run_after=timezone.now())
        if when is None:
            self.stdout.write("This task backend cannot defer tasks; use --now.")
        else:
            self.stdout.write(f"Retention run queued for {when.isoformat()}.")
