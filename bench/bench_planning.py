"""The night-check planner at scale: tonight's plan for a subdistrict of 80,000 households and for the district.

Uses the register and visit generators of bench_households.py and bench_reports.py (1,000,000 households over
二七区's communities, visits over the last 120 days, coal status derived from them), tops 五里堡街道 up to
80,000 households, adds bans, tip-offs and open cases, then prints the median time of the planner (the scoring
query and the grouping into teams), of the /plan/ page, and of the bare SQL of the scoring query.

    createdb -h 127.0.0.1 -U postgres coalgov_plan_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_plan_bench .venv/bin/python bench/bench_planning.py

Targets (issue 13): a subdistrict's plan in < 300 ms, the district's in < 2 s.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalgov.settings_test")

import django

django.setup()

from bench_households import median_ms  # noqa: E402
from bench_households import populate as populate_households  # noqa: E402
from bench_reports import member, page, populate_visits  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Case  # noqa: E402
from divisions.models import Division  # noqa: E402
from households.models import Household  # noqa: E402
from inspections.models import Ban, Inspection  # noqa: E402
from inspections.services import households_last_seen_rebuild  # noqa: E402
from planning.selectors import DEFAULT_WEIGHTS, plan_candidates  # noqa: E402
from planning.walking import teams_for  # noqa: E402

SUBDISTRICT = "410103006"  # 五里堡街道


def top_up_subdistrict(target: int) -> None:
    """Add households to the subdistrict's communities until it has `target`."""
    have = Household.objects.filter(division_code__startswith=SUBDISTRICT).count()
    if have >= target:
        return
    communities = list(Division.objects.filter(parent__code=SUBDISTRICT).values_list("pk", "code"))
    ids = "{" + ",".join(str(pk) for pk, _ in communities) + "}"
    codes = "{" + ",".join(code for _, code in communities) + "}"
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO households_household (
                division_id, division_code, kind, estate, building, unit, room, address, head_name, phone,
                unmanaged, no_gas_or_heating, elderly_alone, low_income, disabled, heating,
                in_priority_zone, notes, void_reason, coal_status, created_at, updated_at)
            SELECT (%s::bigint[])[1 + g %% %s], (%s::text[])[1 + g %% %s],
                   CASE WHEN g %% 20 = 0 THEN 'street_shop' ELSE 'residence' END,
                   '新村' || (g / 997 %% 50), (g %% 12 + 1)::text, (g %% 4 + 1)::text, (g %% 600 + 101)::text,
                   '', '户主' || g, '', g %% 3 = 0, g %% 4 = 0, false, false, false, 'coal',
                   g %% 9 = 0, '', '', 'never', now(), now()
            FROM generate_series(0, %s - 1) AS g
            """,
            [ids, len(communities), codes, len(communities), target - have],
        )
        cursor.execute("ANALYZE households_household")
    print(f"topped {SUBDISTRICT} up by {target - have:,} households")


def add_bans_and_cases(user) -> None:
    """A ban at one place in 2,000, a third of them rebounded; an open case at one in 1,000, half tip-offs."""
    if Ban.objects.exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO inspections_ban (household_id, division_code, kind, banned_at, officers, notes,
                                         rebound_at, recorded_by_id, recorded_at, void_reason)
            SELECT id, division_code, 'sale_point', now() - interval '40 days', '', '',
                   CASE WHEN id %% 3 = 0 THEN now() - interval '10 days' END, %s, now(), ''
            FROM households_household WHERE id %% 2000 = 0
            """,
            [user.pk],
        )
        cursor.execute(
            """
            INSERT INTO cases_case (source, household_id, responsible_unit_id, division_code, title, description,
                                    severity, deadline, status, rebounds, accountability_flagged, opened_by_id,
                                    opened_at, void_reason, reporter_name, reporter_contact)
            SELECT CASE WHEN h.id / 1000 %% 2 = 0 THEN 'tip_off' ELSE 'spot_check' END, h.id, h.division_id,
                   h.division_code, '散煤', '', 'normal', current_date + 7, 'open', 0, false, %s, now(), '', '', ''
            FROM households_household h WHERE h.id %% 1000 = 7
            """,
            [user.pk],
        )
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=2_000_000)
    parser.add_argument("--subdistrict", type=int, default=80_000)
    parser.add_argument("--repeat", type=int, default=7)
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
    # The generator writes visits in SQL, past the services that keep each household's last seen inside.
    if not Household.objects.filter(last_seen_at__isnull=False).exists():
        started = time.perf_counter()
        changed = households_last_seen_rebuild()
        print(f"last seen inside of {changed:,} households in {time.perf_counter() - started:.1f} s")
    top_up_subdistrict(args.subdistrict)
    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    add_bans_and_cases(user)

    district = Division.objects.get(code="410103")
    subdistrict = Division.objects.get(code=SUBDISTRICT)
    night = timezone.localdate()
    print(
        f"\n{Household.objects.count():,} households ({subdistrict.name} "
        f"{Household.objects.filter(division_code__startswith=SUBDISTRICT).count():,}), "
        f"{Inspection.objects.count():,} visits, {Ban.objects.count():,} bans, {Case.objects.count():,} cases\n"
    )
    jiedao = member("bench_wulibao_admin", subdistrict.code, "subdistrict_admin")
    qu = member("bench_qu_admin", district.code, "district_admin")
    # The first two are decided by the places with a rare reason (coal found, a ban, an open case, a re-check); the
    # others are not — the subdistrict's 40 × 30 doors outnumber its rare places, and with coal found worth 10 the
    # rare places no longer beat the others — so the rest of the unit is read by score class.
    cases = [
        ("subdistrict", subdistrict, 10, 30, jiedao, 300, {}),
        ("district", district, 40, 30, qu, 2000, {}),
        ("subdistrict", subdistrict, 40, 30, jiedao, 300, {}),
        ("subdistrict", subdistrict, 10, 30, jiedao, 300, {"found": 10}),
        ("district", district, 40, 30, qu, 2000, {"found": 10}),
    ]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print(f"{'what':58} {'median ms':>10} {'target':>8} {'queries':>8}")
    for name, unit, teams, doors, client, target, changed in cases:
        weights = {**DEFAULT_WEIGHTS, **changed}

        def planner(unit=unit, teams=teams, doors=doors, weights=weights):
            candidates = plan_candidates(unit=unit, night=night, weights=weights, limit=min(4000, teams * doors * 4))
            return teams_for(candidates, teams=teams, doors=doors)

        ms = median_ms(planner, args.repeat)
        how = "".join(f", {k} {v}" for k, v in changed.items())
        print(f"{f'{name} plan ({teams} teams × {doors} doors{how}): score + teams':58} {ms:10.0f} {target:8} {'':>8}")
        if not changed:  # the page plans with the weights that apply
            url = f"/plan/?unit={unit.code}&teams={teams}&doors={doors}"
            ms = median_ms(page(client, url), args.repeat)
            print(f"{f'{name} page {url}':58} {ms:10.0f} {target:8} {'':>8}")
        with CaptureQueriesContext(connection) as captured:
            planner()
        # One scoring query when the places with a rare reason decide the plan; two when the others are read too
        # (with the count of their score classes and the read of the classes' best places, not timed here).
        scoring = [q["sql"] for q in captured.captured_queries if "AS score" in q["sql"]]

        def bare(statements=scoring):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
                    cursor.fetchall()

        label = f"{name} scoring quer{'y' if len(scoring) == 1 else 'ies'}, bare SQL"
        print(f"{label:58} {median_ms(bare, args.repeat):10.0f} {'':>8} {len(scoring):8}")
        if os.environ.get("BENCH_EXPLAIN"):
            with connection.cursor() as cursor:
                for sql in scoring:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    print("\n".join(row[0] for row in cursor.fetchall()))
    # The machine's load while measuring: the figures scale with it.
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
