"""Queue the nightly retention run (it re-queues itself after each run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from haven.records.tasks import schedule_retention


class Command(BaseCommand):
    help = "Queue the nightly retention run unless one is already queued."

    def handle(self, *args: Any, **options: Any) -> None:
        when = schedule_retention()
        if options["verbosity"] < 1:
            return
        if when is None:
            self.stdout.write("This task backend cannot defer tasks; run apply_retention --now.")
        else:
            self.stdout.write(f"Retention run queued for {when.isoformat()}.")
