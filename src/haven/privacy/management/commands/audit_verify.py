"""Verify the audit chain: ``python manage.py audit_verify [--expect-head HASH]``.

Exits 0 with ``OK: …`` when every link holds, and non-zero with ``BROKEN at event #…``
naming the first broken link otherwise. ``--expect-head`` takes a head shipped elsewhere
earlier (``audit_head``); it must still be in the chain, so cutting off the latest events
and rewriting the head row shows too.
"""

from __future__ import annotations

import re
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.privacy.audit import verify_chain

_HASH = re.compile(r"[0-9a-f]{64}")


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link, if any."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="a chain head hash recorded earlier (audit_head); it must still be in the chain",
        )

    def handle(self, *args: Any, expect_head: str | None = None, **options: Any) -> None:
        if expect_head is not None:
            expect_head = expect_head.strip().lower()
            if not _HASH.fullmatch(expect_head):
                raise CommandError("--expect-head must be a 64-character hexadecimal hash")
        report = verify_chain(expect_head)
        if report.first_break is not None:
            raise CommandError(
                f"BROKEN at event #{report.first_break.seq}: {report.first_break.reason}"
            )
        self.stdout.write(f"OK: {report.events} events, head #{report.head_seq} {report.head_hash}")
