"""Keep the communities praised and named with a published week, so that a later change of the rule or of
RANKING_PRAISE_COUNT does not rewrite a published bulletin (weeks published before: None, computed)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_ranking_no_data_and_withdrawal"),
    ]

    operations = [
        migrations.AddField(
            model_name="rankingweek",
            name="named",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="rankingweek",
            name="praised",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
    ]
