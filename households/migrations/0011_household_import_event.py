"""Each household registered by an import refers to that import's one audit entry (who, when, which file, how many),
which its history shows as its registration, instead of the import writing an audit entry per household.

A nullable column without a default, index or constraint: adding it on PostgreSQL changes only the table's
catalogue (no rewrite, no scan), so a register of a million households takes it at once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coalgov", "0002_audit_names_in_source_language"),
        ("households", "0010_household_plan_class_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="import_event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="coalgov.auditevent",
            ),
        ),
    ]
