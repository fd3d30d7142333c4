"""Indexes for the register's free-text search: a phone number's exact match, and trigram indexes on estate,
address and head of household (PostgreSQL only).

The search is `UPPER(column) LIKE UPPER('%text%')` (Django's icontains) OR'ed with `phone = text`: without
these it reads every household of the scope, about 300 ms district-wide at a million households; with them
a few milliseconds (pg_trgm handles Chinese text). SQLite has no trigram index and no such size. pg_trgm is
a trusted extension since PostgreSQL 13, so the database's owner may create it; where it cannot be created
the migration says so and goes on without the trigram indexes (the search still works, only slower).
"""

from django.db import migrations, models, transaction
from django.db.utils import DatabaseError

COLUMNS = ("estate", "address", "head_name")


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:
        print(f"\n  pg_trgm could not be created ({exc}); the register's search stays unindexed.")
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS household_{column}_trgm "
            f"ON households_household USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS household_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("households", "0003_register_count")]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["phone"], name="household_phone"),
        ),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
