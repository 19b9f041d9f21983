"""Load the default service catalogue (services/catalogue.py)."""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from haven.services.catalogue import DEFAULT_SERVICES

    ServiceType = apps.get_model("services", "ServiceType")
    for service in DEFAULT_SERVICES:
        ServiceType.objects.update_or_create(
            organisation=None,
            code=service.code,
            defaults={
                "name": str(service.name),
                "category": service.category,
                "unit": service.unit,
                "counts_money": service.counts_money,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
