"""Make a personal API token: ``python manage.py create_api_token USERNAME``.

Prints only the secret, so scripts can capture it; send it as ``Authorization: Bearer …``.
It is shown this once: Haven keeps only its hash.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haven.accounts.actions import create_api_token
from haven.accounts.models import User


class Command(BaseCommand):
    help = "Make a personal API token for a user and print its secret (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="stop working after this many days"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {options['username']!r}.")
        days = options["expires_days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--expires-days must be between 1 and 3650.")
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            _token, secret = create_api_token(
                actor=user, name=options["name"], expires_at=expires_at
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(secret)
