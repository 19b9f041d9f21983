from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpline", "0002_left_out_of_statistics"),
    ]

    operations = [
        migrations.AlterField(
            model_name="helplinecall",
            name="duration_minutes",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="duration (minutes)"
            ),
        ),
    ]
