"""Three indexes fewer for every registration to write (an import of 100,000 households writes each of them 100,000
times), each one a duplicate of an index that serves the same queries with the same plans (docs/households.md,
"Figures": EXPLAIN ANALYZE at 1,000,000 households before and after):

- `households_household_division_code_…_like` (division_code varchar_pattern_ops), which Django makes beside a
  CharField's index on PostgreSQL: household_unit_newest (division_code varchar_pattern_ops, id) leads with the
  same column in the same operator class, and serves a unit's prefix and its code's equality alike;
- `households_household_division_id_…`, the foreign key's index: household_address (division, estate, building,
  unit, room) leads with it;
- `households_household_created_by_id_…`, which no query reads.

Dropped CONCURRENTLY on PostgreSQL, so the register keeps taking visits and imports meanwhile (hence not atomic);
plainly on SQLite (`make run`), which has the two foreign keys' indexes and never had the pattern-ops one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from coalgov.migration_operations import DropIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("divisions", "0001_initial"),
        ("households", "0011_household_import_event"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        DropIndexConcurrentlyOnPostgres(
            model_name="household",
            name="households_household_division_code_48734f85_like",
            columns='"division_code" varchar_pattern_ops',
            postgresql_only=True,
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="division",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="households",
                        to="divisions.division",
                        verbose_name="community / grid",
                    ),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="created_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                DropIndexConcurrentlyOnPostgres(
                    model_name="household", name="households_household_division_id_292eadec", columns='"division_id"'
                ),
                DropIndexConcurrentlyOnPostgres(
                    model_name="household",
                    name="households_household_created_by_id_0f6e88ad",
                    columns='"created_by_id"',
                ),
            ],
        ),
    ]
