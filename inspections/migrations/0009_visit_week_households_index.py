"""An index for the households visited per community over a few days (a past weekday's "this week so far" in the
digest): the period's current visits, their division code and household read from the index alone, not from
the visits' rows scattered over the table (docs/digests.md).

Built CONCURRENTLY on PostgreSQL so the phones keep submitting visits while it is made; hence the migration is not
atomic. SQLite (`make run`) builds it plainly, without the included columns."""

from django.db import migrations, models

from coalgov.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inspections", "0008_photo_taken_at"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="inspection",
            index=models.Index(
                fields=["started_at"],
                name="inspection_time_households",
                include=["division_code", "household"],
                condition=models.Q(voided_at__isnull=True),
            ),
        ),
    ]
