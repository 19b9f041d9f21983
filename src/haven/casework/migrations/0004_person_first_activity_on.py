"""Each person's first day of support, kept on the person for coalition statistics (decision
34), filled here from what is already recorded; and the index statistics consent is read
from."""

from typing import Any

from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from haven.casework.actions import first_activity_of

    person = apps.get_model("casework", "Person")
    person.objects.update(
        first_activity_on=first_activity_of(
            apps.get_model("services", "ServiceDelivery"),
            apps.get_model("helpline", "HelplineCall"),
            apps.get_model("shelter", "Stay"),
            apps.get_model("casework", "Case"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0003_person_code_prefix_index"),
        ("services", "0002_default_catalogue"),
        ("helpline", "0001_initial"),
        ("shelter", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="first_activity_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="consent",
            index=models.Index(
                condition=models.Q(("purpose", "statistics")),
                fields=["organisation", "person"],
                include=("given_on", "withdrawn_on"),
                name="statistics_consents",
            ),
        ),
    ]
