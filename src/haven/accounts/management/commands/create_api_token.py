"""Make a personal API token: ``python manage.py create_api_token USERNAME``.

Prints only the secret, so scripts can capture it; send it as ``Authorization: Bearer …``.
It is shown this once: Haven keeps only its hash. It works for 90 days unless
``--expires-days`` says otherwise (a year at most, as on *My account*).
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from haven.accounts.actions import (
    API_TOKEN_DEFAULT_LIFETIME,
    API_TOKEN_MAX_LIFETIME,
    API_TOKEN_MIN_LIFETIME,
    create_api_token,
)
from haven.accounts.models import User


class Command(BaseCommand):
    help = "Make a personal API token for a user and print its secret (shown once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what the token is for")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=API_TOKEN_DEFAULT_LIFETIME.days,
            help=(
                f"stop working after this many days ({API_TOKEN_DEFAULT_LIFETIME.days} "
                f"unless given, at most {API_TOKEN_MAX_LIFETIME.days})"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user is called {options['username']!r}.")
        days = options["expires_days"]
        if not API_TOKEN_MIN_LIFETIME.days <= days <= API_TOKEN_MAX_LIFETIME.days:
            raise CommandError(
                f"--expires-days must be between {API_TOKEN_MIN_LIFETIME.days} and "
                f"{API_TOKEN_MAX_LIFETIME.days}."
            )
        try:
            _token, secret = create_api_token(
                actor=user, name=options["name"], lifetime=timedelta(days=days)
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(secret)
