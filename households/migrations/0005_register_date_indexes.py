"""Indexes on when a household was registered and voided, for the weekly ranking's register as it stood at a
week's end: today's per-community counts less the households registered or voided since (a few rows for a
recent week) instead of counting the district's whole register (reports.ranking.households_registered)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0004_search_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["created_at"], name="household_created_at"),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(
                condition=models.Q(("voided_at__isnull", False)), fields=["voided_at"], name="household_voided_at"
            ),
        ),
    ]
