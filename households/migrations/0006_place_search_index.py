"""A trigram index on the place as pages display it (铁路新村7号楼1单元304, spaces removed, then the street address),
so that searching the register for a displayed address, or a part of it, stays index-driven (PostgreSQL only).

The expression is households.filtersets.PLACE_TEXT's SQL, under the UPPER() that Django's icontains writes; the
planner uses the index only while the two are the same (tests/households/test_register_queries.py checks it).
Like 0004, without pg_trgm it says so and goes on: the search still works, only slower.
"""

from django.db import migrations

PLACE = (
    "REGEXP_REPLACE(estate"
    " || CASE WHEN building ~ '^[0-9]+$' THEN building || '号楼' ELSE building END"
    " || CASE WHEN unit ~ '^[0-9]+$' THEN unit || '单元' ELSE unit END"
    " || room || CHR(31) || address, '\\s', '', 'g')"
)


def place_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            print("\n  pg_trgm is not installed; the register's place search stays unindexed.")
            return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS household_place_trgm "
        f"ON households_household USING gin (UPPER({PLACE}) gin_trgm_ops)"
    )


def drop_place_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS household_place_trgm")


class Migration(migrations.Migration):
    dependencies = [("households", "0005_register_date_indexes")]

    operations = [migrations.RunPython(place_index, drop_place_index)]
