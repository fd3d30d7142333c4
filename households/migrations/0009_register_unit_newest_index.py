"""An index for the register list of one unit, newest first (`?division=CODE`): the list's capped count and its
pages read the unit's current households from it instead of walking the whole register backwards by id.

Built CONCURRENTLY on PostgreSQL so a district's register (300,000 rows and more) keeps taking visits and
imports while it is made; hence the migration is not atomic. SQLite (`make run`) builds it plainly."""

from django.db import migrations, models

from coalgov.migration_operations import AddIndexConcurrentlyOnPostgres


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
