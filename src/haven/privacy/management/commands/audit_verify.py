"""Verify the audit chain: ``python manage.py audit_verify [--expect-head HASH]``.

Exits 0 with ``OK: …`` when every link holds, and non-zero with ``BROKEN at event #…``
naming the first broken link otherwise. ``--expect-head`` takes a head shipped elsewhere
earlier: the hash, or the whole ``SEQ HASH`` line ``audit_head`` printed. It must still be
in the chain (at that very seq, when given), so cutting off the latest events and rewriting
the head row shows too.
"""

from __future__ import annotations

import re
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.privacy.audit import GENESIS_HASH, verify_chain
from haven.privacy.models import AuditEvent

_HEAD = re.compile(r"(?:(?P<seq>[0-9]{1,18})\s+)?(?P<hash>[0-9a-f]{64})")


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link, if any."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="HASH",
            help="a chain head recorded earlier by audit_head: its hash, or its 'SEQ HASH' line",
        )

    def handle(self, *args: Any, expect_head: str | None = None, **options: Any) -> None:
        expected_seq, expected_hash = None, None
        if expect_head is not None:
            head = _HEAD.fullmatch(expect_head.strip().lower())
            if head is None:
                raise CommandError(
                    "--expect-head must be a 64-character hexadecimal hash, "
                    "or the 'SEQ HASH' line audit_head printed"
                )
            expected_hash = head["hash"]
            expected_seq = int(head["seq"]) if head["seq"] else None
        # The genesis hash starts every chain: a head shipped while the trail was empty.
        genesis = expected_hash == GENESIS_HASH and expected_seq in (None, 0)
        report = verify_chain(None if genesis else expected_hash)
        if report.first_break is not None:
            raise CommandError(
                f"BROKEN at event #{report.first_break.seq}: {report.first_break.reason}"
            )
        if (
            expected_seq is not None
            and not genesis
            and not AuditEvent.unscoped.filter(seq=expected_seq, hash=expected_hash).exists()
        ):
            raise CommandError(
                f"BROKEN at event #{expected_seq}: the shipped chain head is not in the chain"
            )
        self.stdout.write(f"OK: {report.events} events, head #{report.head_seq} {report.head_hash}")
