"""Print the audit chain's head, to ship to another system: ``python manage.py audit_head``.

One line ``SEQ HASH`` (or JSON with ``--json``). Kept somewhere the database's owner cannot
write, an old head lets ``audit_verify --expect-head HASH`` prove later that no events were
cut off the end of the chain (docs/decisions/0004-audit-trail.md).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from haven.privacy.models import AuditChainHead


class Command(BaseCommand):
    help = "Print the audit chain's latest sequence number and hash, for shipping elsewhere."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON object instead")

    def handle(self, *args: Any, **options: Any) -> None:
        head = AuditChainHead.objects.get(pk=1)
        if options["json"]:
            self.stdout.write(json.dumps({"seq": head.last_seq, "hash": head.last_hash}))
        else:
            self.stdout.write(f"{head.last_seq} {head.last_hash}")
