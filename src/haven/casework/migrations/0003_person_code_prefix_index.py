"""Index person codes for case-insensitive prefix search on PostgreSQL.

Django's ``code__istartswith`` becomes ``UPPER(code::text) LIKE UPPER('P-001%')``; only an
index on that expression with ``text_pattern_ops`` serves it under a non-C collation.
SQLite has no operator classes and its tables are small: nothing to do there.
"""

from django.db import migrations

INDEX = "casework_person_code_upper_prefix"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON casework_person "
            "(organisation_id, (UPPER(code::text)) text_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_code_counters")]

    operations = [migrations.RunPython(create_index, drop_index)]
