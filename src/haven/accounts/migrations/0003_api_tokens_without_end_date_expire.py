"""Tokens made before every token had an end date get one: 90 days from this upgrade.

Their holders have that long to make a new token (a year at most) on My account; until
then nothing they run stops working.
"""

from datetime import timedelta
from typing import Any

from django.db import migrations
from django.utils import timezone


def give_an_end_date(apps: Any, schema_editor: Any) -> None:
    token_model = apps.get_model("accounts", "ApiToken")
    token_model.objects.filter(expires_at__isnull=True, revoked_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=90)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_alter_roleassignment_role"),
    ]

    operations = [
        migrations.RunPython(give_an_end_date, migrations.RunPython.noop, elidable=True),
    ]
