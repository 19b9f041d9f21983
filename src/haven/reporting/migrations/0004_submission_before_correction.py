from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0003_coordinators_told")]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="before_correction",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
