"""An index for the register list of one unit, newest first (`?division=CODE`): the list's capped count and its
pages read the unit's current households from it instead of walking the whole register backwards by id.

Built CONCURRENTLY on PostgreSQL so a district's register (300,000 rows and more) keeps taking visits and
imports while it is made; hence the migration is not atomic. SQLite (`make run`) builds it plainly."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("households", "0008_household_last_seen_at"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="household",
            index=models.Index(
                fields=["division_code", "id"],
                name="household_unit_newest",
                opclasses=["varchar_pattern_ops", "int8_ops"],
                include=["voided_at"],
            ),
        ),
    ]
