"""The dashboard, the weekly ranking, the daily digest and a ledger export at city scale, each beside its bare SQL.

Generates (once; it tops up and never deletes) 1,000,000 households over 二七区's communities and 5,000,000
visits over the last 120 days — night checks in the evening, coal found at about 3 % of visits with what was
taken away, households' coal status derived from their latest visit — then rebuilds the rollups and prints,
for each question, the median time of the Django page or function beside the time of the bare SQL it runs
(its captured queries executed again through the same connection), and how many queries that is.

    createdb -h 127.0.0.1 -U postgres coalgov_bench_reports
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench_reports .venv/bin/python bench/bench_reports.py

Questions: the dashboard (district, subdistrict, community), the weekly ranking computed and published (page,
.xlsx, .docx; the week before the default one is published once), the digest (yesterday; a subdistrict with last
night's plan, made once; a past Wednesday) and the register's community list (page 1 and 100, page and API).
`--only TEXT` runs the questions whose label contains it; `--no-ledger` skips the visit and ledger timings;
`--ledger-district` exports the whole district's ledger after the community's and the subdistrict's.

The lines "… from the visits" answer the dashboard's totals, the ranking's week and the digest's week so far
without the rollups, straight from the visits: what the rollups save.
"""

import argparse
import datetime
import os
import re
import sys
import threading
import time
from collections import deque
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

from bench_households import median_ms  # noqa: E402
from bench_households import populate as populate_households  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models.functions import Substr  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from digests.selectors import digest_text  # noqa: E402
from divisions.models import Division, Level, Membership  # noqa: E402
from households.models import Household  # noqa: E402
from inspections.models import Inspection  # noqa: E402
from inspections.rollups import rollups_visit_changed, seizure_counts, visit_counts  # noqa: E402
from inspections.selectors import _seizures_in, inspections_in, visits_by_unit  # noqa: E402
from inspections.services import SeizureInput, inspection_record  # noqa: E402
from planning.models import NightPlan  # noqa: E402
from planning.services import plan_operation_create  # noqa: E402
from reports.models import RankingWeek  # noqa: E402
from reports.ranking import default_week, ranking_publish, week_monday  # noqa: E402

DAYS = 120  # a winter


def populate_visits(target: int) -> None:
    """Top the visits up to `target` in SQL, a million at a time, with what the found ones took away."""
    have = Inspection.objects.count()
    if have >= target:
        return
    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM households_household")
        low, high = cursor.fetchone()
        cursor.execute("SELECT setseed(0.42)")
        step = 1_000_000
        for first in range(have, target, step):
            last = min(first + step, target)
            cursor.execute(
                """
                INSERT INTO inspections_inspection (
                    household_id, division_code, kind, started_at, is_night, in_priority_zone, outcome,
                    leaders, notes, recorded_by_id, recorded_at, void_reason)
                SELECT h.id, h.division_code,
                       CASE WHEN v.mins >= 1200 THEN 'night_check' ELSE 'survey' END,
                       (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') - make_interval(days => v.days)
                           + make_interval(mins => v.mins)) AT TIME ZONE 'Asia/Shanghai',
                       v.mins >= 1200, h.in_priority_zone,
                       CASE WHEN v.r < 0.025 THEN 'loose_coal' WHEN v.r < 0.03 THEN 'stove_in_use'
                            WHEN v.r < 0.06 THEN 'nobody_home' WHEN v.r < 0.065 THEN 'refused' ELSE 'no_coal' END,
                       '', '', %(user)s, now(), ''
                FROM (
                    -- 08:00 to midnight local time, on one of the last DAYS days (not today: nothing is future)
                    SELECT %(low)s + floor(random() * (%(high)s - %(low)s + 1))::bigint AS household,
                           1 + floor(random() * %(days)s)::int AS days,
                           480 + floor(random() * 960)::int AS mins,
                           random() AS r
                    FROM generate_series(%(first)s::bigint, %(last)s::bigint - 1) AS g
                ) AS v
                JOIN households_household h ON h.id = v.household
                """,
                {"user": user.pk, "low": low, "high": high, "days": DAYS, "first": first, "last": last},
            )
            cursor.execute(
                """
                INSERT INTO inspections_seizure (inspection_id, division_code, item, quantity, method, description)
                SELECT id, division_code, 'briquette', 10 + floor(random() * 90), 'confiscated', ''
                FROM inspections_inspection
                WHERE id > (SELECT coalesce(max(inspection_id), 0) FROM inspections_seizure)
                  AND outcome IN ('loose_coal', 'stove_in_use')
                """
            )
            print(f"  visits: {last:,}", flush=True)
        # Each household's coal status from its latest visit that saw anything (as the service derives it).
        cursor.execute(
            """
            UPDATE households_household h SET coal_status = latest.status, coal_status_at = latest.started_at
            FROM (
                SELECT DISTINCT ON (household_id) household_id, started_at,
                       CASE WHEN outcome IN ('loose_coal', 'stove_in_use') THEN 'found' ELSE 'cleared' END AS status
                FROM inspections_inspection
                WHERE outcome NOT IN ('refused', 'nobody_home') AND voided_at IS NULL
                ORDER BY household_id, started_at DESC
            ) AS latest
            WHERE h.id = latest.household_id
              AND (latest.status = 'found' OR EXISTS (
                  SELECT 1 FROM inspections_inspection f
                  WHERE f.household_id = h.id AND f.outcome IN ('loose_coal', 'stove_in_use')))
            """
        )
        cursor.execute("ANALYZE")
    print(f"inserted {target - have:,} visits in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    call_command("rollups_rebuild", verbosity=0)
    print(f"rollups_rebuild: {time.perf_counter() - started:.0f} s", flush=True)
    # VACUUM, not only ANALYZE: the coal-status UPDATE left a dead version of a third of the households, and
    # until the visibility map is set the dashboard's index-only counts read the heap (10× slower).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def bare_sql(run) -> tuple[list[str], callable]:
    """The queries `run` sends, and a function that sends them again with nothing of Django around them."""
    with CaptureQueriesContext(connection) as captured:
        run()
    queries = [re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", q["sql"]) for q in captured.captured_queries]
    queries = [q for q in queries if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", 'UPDATE "django_session'))]

    def again():
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    return queries, again


def member(username: str, code: str, role: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    Membership.objects.get_or_create(user=user, division=Division.objects.get(code=code), role=role)
    client = Client()
    client.force_login(user)
    return client


def nth_api_page(client: Client, url: str, n: int) -> str:
    """The address of the n-th page of a cursor-paginated API list, found by following `next`."""
    for _ in range(n - 1):
        url = client.get(url).json()["next"].removeprefix("http://testserver")
    return url


def page(client: Client, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="run only the questions whose label contains this")
    parser.add_argument("--no-ledger", action="store_true", help="skip recording a visit and the ledger export")
    parser.add_argument(
        "--ledger-district",
        action="store_true",
        help="export the district's ledger as well (all of the visits: some 6,000,000 rows, minutes)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own.")
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if not Division.objects.exists():
        call_command("load_divisions", verbosity=0)
        call_command("load_stations", verbosity=0)
    populate_households(args.households)
    populate_visits(args.visits)

    district = Division.objects.get(code="410103")
    subdistrict = Division.objects.get(code="410103006")  # 五里堡街道
    community = Division.objects.filter(level=Level.COMMUNITY, code__startswith=subdistrict.code).order_by("code")[0]
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    wednesday = week_monday(yesterday) - datetime.timedelta(days=5)
    print(
        f"\n{Household.objects.count():,} households, {Inspection.objects.count():,} visits; "
        f"ranking week {default_week()}, digest of {yesterday}\n"
    )
    qu = member("bench_qu_admin", district.code, "district_admin")
    jiedao = member("bench_wulibao_inspector", subdistrict.code, "inspector")

    def counted_from_visits():
        visits = inspections_in([district.code])
        visits.aggregate(**visit_counts())
        _seizures_in([district.code]).aggregate(**seizure_counts())

    def week_counted_from_visits():
        week = default_week()
        counts = visit_counts()
        list(
            inspections_in([district.code], week, week + datetime.timedelta(days=6))
            .annotate(unit=Substr("division_code", 1, 12))
            .values("unit")
            .annotate(**counts)
            .order_by()
        )

    # A published week (the one before the default week, published once, as the district office would): its
    # page and downloads are served from the rows frozen at publication.
    published = default_week() - datetime.timedelta(days=7)
    admin = get_user_model().objects.get(username="bench_qu_admin")
    if not RankingWeek.objects.filter(district=district, week_start=published, withdrawn_at__isnull=True).exists():
        ranking_publish(actor=admin, district=district, week_start=published)
    # Last night's plan of 五里堡 (10 teams of 20 doors), made once: the subdistrict's digest reports it per team.
    if not NightPlan.objects.filter(division_code=subdistrict.code, operation__date=yesterday).exists():
        plan_operation_create(
            actor=admin,
            unit=subdistrict,
            night=yesterday,
            teams=10,
            doors=20,
            title="零点夜查",
            leader="bench",
            members=[[admin]] * 10,  # every team staffed (a team with nobody in it is refused)
        )
    api_page_100 = nth_api_page(qu, f"/api/v1/households/?division={community.code}", 100)

    questions = [
        ("dashboard, district", page(qu, "/dashboard/")),
        ("dashboard, subdistrict user", page(jiedao, "/dashboard/")),
        ("dashboard, one community", page(qu, f"/dashboard/?division={community.code}")),
        ("weekly ranking, district (computed)", page(qu, "/units/ranking/")),
        ("weekly ranking, subdistrict user", page(jiedao, "/units/ranking/")),
        ("ranking .xlsx download", page(qu, "/units/ranking/download/xlsx/")),
        ("ranking .docx download", page(qu, "/units/ranking/download/docx/")),
        ("weekly ranking, published week", page(qu, f"/units/ranking/?week={published}")),
        ("published week .xlsx download", page(qu, f"/units/ranking/download/xlsx/?week={published}")),
        ("published week .docx download", page(qu, f"/units/ranking/download/docx/?week={published}")),
        ("digest text, district", lambda: digest_text(district, yesterday)),
        ("digest text, subdistrict (with a plan)", lambda: digest_text(subdistrict, yesterday)),
        # A past week's digest read again: "this week so far" is Monday to Wednesday, counted from the visits' index.
        ("digest text, district, a past Wednesday", lambda: digest_text(district, wednesday)),
        ("register API, one community, page 1", page(qu, f"/api/v1/households/?division={community.code}")),
        ("register API, one community, page 100", page(qu, api_page_100)),
        ("register page, one community, page 1", page(qu, f"/households/?division={community.code}")),
        ("register page, one community, page 100", page(qu, f"/households/?division={community.code}&page=100")),
        ("district totals counted from the visits", counted_from_visits),
        ("ranking's week counted from the visits", week_counted_from_visits),
        # What the digest's "this week so far" read before it came from the weekly rollup.
        (
            "digest's week so far from the visits",
            lambda: visits_by_unit(codes=[district.code], start=week_monday(yesterday), end=yesterday),
        ),
    ]
    questions = [(label, run) for label, run in questions if args.only in label]
    print(f"{'question':40} {'Django ms':>10} {'bare SQL ms':>12} {'ratio':>6} {'queries':>8}")
    for label, run in questions:
        # Once before the queries are captured: a published week's files are made the first time they are asked
        # for and kept (docs/ranking.md), and what is measured is asking again.
        run()
        queries, again = bare_sql(run)
        django_ms = median_ms(run, args.repeat)
        sql_ms = median_ms(again, args.repeat)
        print(f"{label:40} {django_ms:10.1f} {sql_ms:12.1f} {django_ms / sql_ms:6.2f} {len(queries):8d}", flush=True)

    if args.no_ledger:
        return
    record_visit(community)
    ledger(community, subdistrict, *([subdistrict.parent] if args.ledger_district else []))


def record_visit(community: Division) -> None:
    """What the rollups add to recording a visit (the service, in a transaction rolled back each time)."""
    user = get_user_model().objects.get(username="bench_qu_admin")
    household = Household.objects.filter(division_code__startswith=community.code).first()

    def record(count: bool):
        with transaction.atomic():
            inspection, _ = inspection_record(
                actor=user,
                household=household,
                kind="night_check",
                outcome="loose_coal",
                seizures=[SeizureInput("briquette", Decimal(50), "confiscated")],
            )
            if count:
                rollups_visit_changed(inspection)  # a second time: what the rollup step alone costs
            transaction.set_rollback(True)

    with_step = median_ms(lambda: record(False), 20)
    twice = median_ms(lambda: record(True), 20)
    step = twice - with_step
    print(f"\nrecording a visit with a seizure: {with_step:.1f} ms, of which the rollup step {step:.1f} ms")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def ledger(*units: Division) -> None:
    """A ledger export built as the worker builds it — rows, time, resident memory added at its peak — beside
    streaming the same rows out of PostgreSQL with the same queries and writing no workbook."""
    from reports.ledgers import ledger_build
    from reports.models import LedgerExport

    user = get_user_model().objects.get(username="bench_qu_admin")
    today = timezone.localdate()
    print(f"\n{'ledger export (.xlsx)':30} {'rows':>9} {'Django s':>9} {'bare SQL s':>10} {'rows/s':>7} {'+RSS MB':>8}")
    for unit in units:
        export = LedgerExport.objects.create(
            requested_by=user,
            division=unit,
            division_code=unit.code,
            start=today - datetime.timedelta(days=DAYS),
            end=today,
            sheets=list(LedgerExport.Sheet.values),
        )
        before, peak, done = rss_mb(), [0.0], threading.Event()

        def sample(peak=peak, done=done):
            while not done.wait(0.05):
                peak[0] = max(peak[0], rss_mb())

        sampler = threading.Thread(target=sample)
        sampler.start()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = ledger_build(export)
            seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        selects = [
            re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", q["sql"])
            for q in captured.captured_queries
            if q["sql"].startswith("DECLARE")
        ]
        started = time.perf_counter()
        with transaction.atomic():  # a server-side cursor lives in a transaction
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")  # as ledger_build plans them
            for n, sql in enumerate(selects):
                with connection.connection.cursor(name=f"bench_ledger_{n}") as cursor:
                    cursor.itersize = 2000
                    cursor.execute(sql)
                    deque(cursor, maxlen=0)  # read every row, keep none
        sql_seconds = time.perf_counter() - started
        print(
            f"{unit.name[:14]:30} {rows:9,d} {seconds:9.1f} {sql_seconds:10.1f} {rows / seconds:7,.0f} "
            f"{max(peak[0] - before, 0):8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
