"""When each household was last seen inside by a current visit (`last_seen_at`), for the night-check planner.

The field is filled for the households already visited in one set-based statement: the latest visit per household
that was neither refused nor found nobody home, voided visits left out. The visit services keep it from here on.

No index: the planner reads the unit's households through the division code's index and scores every one of
them, so an index on this column is not used by it (EXPLAIN at a million households), while every visit would
have to maintain it and the register's search was drawn to it as a partial index over the current households.
"""

from django.db import migrations, models

FILL = """
    UPDATE households_household SET last_seen_at = seen.last
    FROM (
        SELECT household_id, MAX(started_at) AS last
        FROM inspections_inspection
        WHERE voided_at IS NULL AND outcome NOT IN ('refused', 'nobody_home')
        GROUP BY household_id
    ) AS seen
    WHERE households_household.id = seen.household_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0007_household_import"),
        # The visits the field is filled from.
        ("inspections", "0008_photo_taken_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="last_seen_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last seen inside"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
