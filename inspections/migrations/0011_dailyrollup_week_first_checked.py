"""Each household's first visit of the week in a community, counted on its day (`DailyRollup.week_first_checked`):
the digest's "this week so far" becomes a sum of daily rows (docs/rollups.md).

Not atomic, so that the rollup rows are not locked while the visits are read (40 s at 5,000,000 visits): the column
is added at once, then filled from the current visits as `rollups_rebuild` fills it, the rows written in one short
transaction at the end. Visits that the code before this one records meanwhile, until the new code serves, are
not in the column: upgrade by day, or run `manage.py rollups_rebuild` after (docs/rollups.md, "Upgrading")."""

from collections import Counter

from django.db import migrations, models, transaction
from django.db.models import DateField, Min
from django.db.models.functions import Substr, Trunc
from django.utils import timezone

COMMUNITY_CODE_LENGTH = 12


def fill(apps, schema_editor):
    Inspection = apps.get_model("inspections", "Inspection")
    DailyRollup = apps.get_model("inspections", "DailyRollup")
    zone = timezone.get_current_timezone()
    firsts = (
        Inspection.objects.filter(voided_at__isnull=True)
        .annotate(
            c=Substr("division_code", 1, COMMUNITY_CODE_LENGTH),
            w=Trunc("started_at", "week", output_field=DateField(), tzinfo=zone),
        )
        .values("c", "household", "w")
        .annotate(first=Min("started_at"))
        .values_list("c", "first")
        .order_by()
    )
    counts = Counter(
        (code, timezone.localtime(first, zone).date()) for code, first in firsts.iterator(chunk_size=10000)
    )
    rows = []
    for row in DailyRollup.objects.iterator(chunk_size=5000):
        n = counts.get((row.code, row.day), 0)
        if n:
            row.week_first_checked = n
            rows.append(row)
    with transaction.atomic():
        DailyRollup.objects.bulk_update(rows, ["week_first_checked"], batch_size=1000)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inspections", "0010_notes_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyrollup",
            name="week_first_checked",
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
