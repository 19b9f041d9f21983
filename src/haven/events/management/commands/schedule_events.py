"""Queue the hourly run of events (expired offers, reminders, anonymisation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from haven.events.tasks import run_hourly, schedule_hourly


class Command(BaseCommand):
    help = (
        "Queue the hourly run that expires unanswered waiting-list offers, sends the "
        "day-before reminders and anonymises registrants the set time after each event, "
        "unless one is queued; --now runs it at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="Run it now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            totals = run_hourly()
            self.stdout.write(
                f"Expired {totals['offers_expired']} offers; sent {totals['reminders']} "
                f"reminders; anonymised {totals['registrations']} registrations of "
                f"{totals['events']} events."
            )
            return
        when = schedule_hourly()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Next run: {when}" if when else "This task backend cannot defer.")
