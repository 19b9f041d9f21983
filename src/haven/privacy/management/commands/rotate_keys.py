"""Rotate encryption keys: new data keys, values re-encrypted, keys rewrapped.

Run after replacing ``HAVEN_MASTER_KEY`` (with the old one in
``HAVEN_RETIRED_MASTER_KEYS``) and on the schedule the operator guide sets. Safe to run
again: values already on an organisation's newest key are left alone, so ``--resume``
finishes an interrupted run without making yet another key.

Other processes keep sealing new values with the key they last read for up to
``crypto.CURRENT_KEY_SECONDS``, so between making the new keys and re-encrypting, the
command waits ``crypto.ROTATION_GRACE_SECONDS`` once (decision 13).
"""

from __future__ import annotations

from time import sleep
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django_scopes import scopes_disabled

from haven.organisations.models import Organisation
from haven.privacy import audit, crypto
from haven.privacy.fields import models_with_encrypted_fields, reencrypt


class Command(BaseCommand):
    help = (
        "Give every organisation a new data key, re-encrypt its values with it, and "
        "rewrap every key still wrapped by a retired master key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation", metavar="SLUG", help="rotate this organisation's keys only"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--rewrap-only",
            action="store_true",
            help="only rewrap keys with the current master key; no new data key",
        )
        mode.add_argument(
            "--resume",
            action="store_true",
            help="finish an interrupted rotation: re-encrypt values not on the newest key "
            "without creating another one",
        )
        parser.add_argument("--chunk-size", type=int, default=500, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        rewrap_only, resume = options["rewrap_only"], options["resume"]
        with scopes_disabled():
            organisations = list(self._organisations(options["organisation"]))
            keys = {
                organisation.pk: self._new_keys(
                    organisation, rewrap_only=rewrap_only, resume=resume
                )
                for organisation in organisations
            }
            if organisations and not rewrap_only:
                self.stdout.write(
                    f"waiting {crypto.ROTATION_GRACE_SECONDS:.0f} s until every process "
                    "seals with the new keys"
                )
                sleep(crypto.ROTATION_GRACE_SECONDS)
            for organisation in organisations:
                rewrapped, version = keys[organisation.pk]
                self._reencrypt(
                    organisation,
                    rewrapped=rewrapped,
                    version=version,
                    rewrap_only=rewrap_only,
                    chunk_size=options["chunk_size"],
                )

    def _organisations(self, slug: str | None) -> QuerySet[Organisation]:
        if slug is None:
            # An organisation without keys has never stored an encrypted value.
            return Organisation.objects.filter(data_keys__isnull=False).distinct().order_by("pk")
        organisations = Organisation.objects.filter(slug=slug)
        if not organisations.exists():
            raise CommandError(f"there is no organisation {slug!r}")
        return organisations

    def _new_keys(
        self, organisation: Organisation, *, rewrap_only: bool, resume: bool
    ) -> tuple[int, int | None]:
        """Rewrap the keys, make the new data key; (keys rewrapped, current version)."""
        rewrapped = crypto.rewrap_keys(organisation.pk)
        version = crypto.current_version(organisation.pk)
        if not rewrap_only and (not resume or version is None):
            version = crypto.new_data_key(organisation.pk)
        return rewrapped, version

    def _reencrypt(
        self,
        organisation: Organisation,
        *,
        rewrapped: int,
        version: int | None,
        rewrap_only: bool,
        chunk_size: int,
    ) -> None:
        changed = 0
        if not rewrap_only:
            for model in models_with_encrypted_fields():
                changed += reencrypt(model, organisation.pk, chunk_size=chunk_size)
        audit.record(
            "keys.rotated",
            actor=None,
            organisation=organisation,
            details={
                "data_key_version": version,
                "values_reencrypted": changed,
                "keys_rewrapped": rewrapped,
                "rewrap_only": rewrap_only,
            },
        )
        if rewrap_only:
            self.stdout.write(f"{organisation.slug}: rewrapped {rewrapped} key(s)")
        else:
            self.stdout.write(
                f"{organisation.slug}: data key v{version}, re-encrypted {changed} value(s), "
                f"rewrapped {rewrapped} key(s)"
            )
