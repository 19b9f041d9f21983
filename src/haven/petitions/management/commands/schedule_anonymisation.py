"""Queue the nightly anonymisation of petition signatures and of letter requests' signers
(it re-queues itself each run)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from haven.petitions.tasks import run_anonymisation, schedule_anonymisation


class Command(BaseCommand):
    help = (
        "Queue the nightly run that closes overdue petitions and anonymises signatures "
        "the set time after closing (and forgets the signers of letter requests rejected, "
        "withdrawn or never confirmed), unless one is queued; --now runs it at once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="Run it now, in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            totals = run_anonymisation()
            self.stdout.write(
                f"Closed {totals['closed']} petitions; anonymised {totals['signatures']} "
                f"signatures of {totals['petitions']} petitions; forgot the signers of "
                f"{totals['requests']} letter requests."
            )
            return
        when = schedule_anonymisation()
        if options["verbosity"] < 1:
            return
        if when is None:
            self.stdout.write("This task backend cannot defer tasks; run this command with --now.")
        else:
            self.stdout.write(f"Anonymisation run queued for {when.isoformat()}.")
