"""An index for the night-check planner's places without a rare reason (no coal found, ban, open case or re-check):
for a unit, each place's score class (in a priority zone and its station, kind, 无主管, 无双气, when last seen) is
read from the index alone, and a class's places in the plan's address order, so a plan the rare places do not fill
reads its few thousand best places instead of scoring the unit's whole register.

Built CONCURRENTLY on PostgreSQL so a district's register keeps taking visits and imports while it is made; hence
the migration is not atomic. SQLite (`make run`) builds it plainly."""

from django.db import migrations, models

from coalgov.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("households", "0009_register_unit_newest_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="household",
            index=models.Index(
                fields=[
                    "division_code",
                    "in_priority_zone",
                    "kind",
                    "unmanaged",
                    "no_gas_or_heating",
                    "estate",
                    "building",
                    "unit",
                    "room",
                    "address",
                    "id",
                ],
                name="household_plan_class",
                opclasses=[
                    "varchar_pattern_ops",
                    "bool_ops",
                    "varchar_ops",
                    "bool_ops",
                    "bool_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "int8_ops",
                ],
                include=["priority_station", "last_seen_at", "coal_status", "voided_at"],
            ),
        ),
    ]
