"""The index made for a past weekday's "this week so far" (0009) answers nothing now that the daily rollups count
each household's first visit of the week (0011): dropped, so that no visit pays for keeping it. CONCURRENTLY on
PostgreSQL, so the phones keep submitting meanwhile; hence the migration is not atomic."""

from django.db import migrations

from coalgov.migration_operations import RemoveIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inspections", "0011_dailyrollup_week_first_checked"),
    ]

    operations = [
        RemoveIndexConcurrentlyOnPostgres(model_name="inspection", name="inspection_time_households"),
    ]
