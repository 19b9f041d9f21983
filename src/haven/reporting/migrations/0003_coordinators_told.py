from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_reminders_deadlines_and_members")]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="coordinators_told_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Sendings made before coordinators were told of them are not told now: the hourly
        # run would otherwise e-mail every coordinator about every past sending.
        migrations.RunSQL(
            "UPDATE reporting_revision SET coordinators_told_at = sent_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
