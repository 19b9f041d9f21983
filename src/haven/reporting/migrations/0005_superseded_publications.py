from django.db import migrations, models


def supersede_duplicates(apps, schema_editor):
    # Periods published more than once kept every publication in force; the latest stays.
    Publication = apps.get_model("reporting", "Publication")
    latest = {}
    for publication in Publication.objects.filter(status="published").order_by("pk"):
        earlier = latest.get(publication.period_id)
        if earlier is not None:
            Publication.objects.filter(pk=earlier).update(status="superseded")
        latest[publication.period_id] = publication.pk


class Migration(migrations.Migration):
    dependencies = [("reporting", "0004_submission_before_correction")]

    operations = [
        migrations.AlterField(
            model_name="publication",
            name="status",
            field=models.CharField(
                choices=[
                    ("generating", "Being generated"),
                    ("published", "Published"),
                    ("withdrawn", "Withdrawn"),
                    ("superseded", "Replaced by a later publication"),
                    ("failed", "Failed"),
                ],
                default="generating",
                max_length=12,
            ),
        ),
        migrations.RunPython(supersede_duplicates, migrations.RunPython.noop),
    ]
