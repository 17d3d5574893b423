"""The database refuses UPDATE and DELETE on audit events (see audittrail/append_only.py)."""

from django.db import migrations

from openaims.audittrail import append_only


def install(apps, schema_editor):
    append_only.install(schema_editor)


def remove(apps, schema_editor):
    append_only.remove(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audittrail", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
