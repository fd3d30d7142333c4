"""Field-work figures and the daily digest at scale: 1,000,000 households, 5,000,000 visits.

Run against a PostgreSQL database of its own (it adds rows and never deletes them); bench_households.py
fills the register first if it is empty:

    createdb -h 127.0.0.1 -U postgres coalgov_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench .venv/bin/python bench/bench_fieldwork.py

Prints, for each question, the median time of the selector (the figures every page, digest and report
uses) beside the time of the bare SQL it runs.
"""

import argparse
import datetime
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from digests.selectors import digest_text  # noqa: E402
from divisions.models import Division, Level  # noqa: E402
from households.models import Household  # noqa: E402
from inspections.models import Inspection  # noqa: E402
from inspections.rollups import rollups_rebuild  # noqa: E402
from inspections.selectors import fieldwork_figures  # noqa: E402

DAYS = 120  # a winter


def populate(target: int, households: int) -> None:
    """Top the visits up to `target`, spread over the register and the last DAYS days, in SQL."""
    have = Inspection.objects.count()
    if have >= target:
        return
    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM households_household")
        low, high = cursor.fetchone()
        step = 1_000_000
        for first in range(have, target, step):
            last = min(first + step, target)
            # The seizures go in the same statement, onto the visits it returns: visits that phones record
            # while the generator runs are never given the generator's seizures.
            cursor.execute(
                """
                WITH visits AS (
                    INSERT INTO inspections_inspection (
                        household_id, division_code, kind, started_at, is_night, in_priority_zone, outcome,
                        leaders, notes, recorded_by_id, recorded_at, void_reason)
                    SELECT h.id, h.division_code,
                           CASE WHEN g %% 3 = 0 THEN 'night_check' ELSE 'survey' END,
                           now() - make_interval(days => (g %% %s)::int, mins => (g %% 1440)::int),
                           g %% 3 = 0, h.in_priority_zone,
                           CASE WHEN g %% 10 = 0 THEN 'loose_coal' WHEN g %% 37 = 0 THEN 'stove_in_use'
                                ELSE 'no_coal' END,
                           '', '', %s, now(), ''
                    FROM generate_series(%s::bigint, %s::bigint - 1) AS g
                    JOIN households_household h ON h.id = %s + (g * 7919) %% (%s - %s + 1)
                    RETURNING id, division_code, outcome
                )
                INSERT INTO inspections_seizure (inspection_id, division_code, item, quantity, method, description)
                SELECT id, division_code, 'briquette', 50, 'confiscated', '' FROM visits WHERE outcome <> 'no_coal'
                """,
                [DAYS, user.pk, first, last, low, high, low],
            )
            print(f"  visits: {last:,}", flush=True)
        cursor.execute("ANALYZE inspections_inspection; ANALYZE inspections_seizure")
    print(f"inserted {target - have:,} visits in {time.perf_counter() - started:.0f} s")
    # Written without the services: count them in the rollups. The rebuild locks the rollup tables against
    # the services' writers while it runs, so it is safe beside phones submitting (docs/rollups.md).
    started = time.perf_counter()
    days, weeks = rollups_rebuild()
    print(f"rebuilt the rollups ({days:,} daily, {weeks:,} weekly rows) in {time.perf_counter() - started:.0f} s")


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own.")
    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        sys.exit("Run bench/bench_households.py first: it fills the register.")
    populate(args.visits, Household.objects.count())

    district = Division.objects.get(code="410103")
    subdistrict = Division.objects.filter(level=Level.SUBDISTRICT).order_by("code")[4]
    community = Division.objects.filter(level=Level.COMMUNITY).order_by("code")[7]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    print(f"{Household.objects.count():,} households, {Inspection.objects.count():,} visits\n")
    cases = [
        (
            "figures, district, one day",
            lambda: fieldwork_figures(codes=[district.code], start=yesterday, end=yesterday),
        ),
        (
            "figures, district, a week",
            lambda: fieldwork_figures(
                codes=[district.code], start=yesterday - datetime.timedelta(days=6), end=yesterday
            ),
        ),
        ("figures, district, all winter", lambda: fieldwork_figures(codes=[district.code])),
        ("figures, subdistrict, all winter", lambda: fieldwork_figures(codes=[subdistrict.code])),
        ("figures, community, all winter", lambda: fieldwork_figures(codes=[community.code])),
        ("digest text, district", lambda: digest_text(district, yesterday)),
        ("digest text, subdistrict", lambda: digest_text(subdistrict, yesterday)),
    ]
    print(f"{'question':34} {'selector ms':>12} {'bare SQL ms':>12} {'queries':>8}")
    for label, run in cases:
        with CaptureQueriesContext(connection) as captured:
            run()
        queries = [re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", q["sql"]) for q in captured.captured_queries]
        count = len(queries)
        selector = median_ms(run, args.repeat)

        def bare(queries=queries):
            with connection.cursor() as cursor:
                for sql in queries:
                    cursor.execute(sql)
                    cursor.fetchall()

        sql = median_ms(bare, args.repeat)
        print(f"{label:34} {selector:12.0f} {sql:12.0f} {count:8d}", flush=True)


if __name__ == "__main__":
    main()
