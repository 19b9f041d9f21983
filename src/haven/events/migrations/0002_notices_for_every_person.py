"""The notice dispatcher follows every person's row, not only the booker's: a place
offered to a companion reaches the booker. Companions' rows were never marked as told, so
they are marked now, or every existing group would be e-mailed again."""

from typing import Any

from django.db import migrations, models


def mark_companions_told(apps: Any, schema_editor: Any) -> None:
    registration = apps.get_model("events", "Registration")
    registration.objects.filter(booker=False).update(notified_status=models.F("status"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(mark_companions_told, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="registration",
            name="registration_notices_to_send",
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("notified_status", models.F("status")), _negated=True),
                fields=["created_at"],
                name="registration_notices_to_send",
            ),
        ),
    ]
