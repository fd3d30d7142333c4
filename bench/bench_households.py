"""Household register at scale: list page and API, filtered to one community, beside the bare SQL.

Run against a PostgreSQL database of its own (it adds rows and never deletes them):

    createdb -h 127.0.0.1 -U postgres coalgov_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench .venv/bin/python bench/bench_households.py

Prints, for each question, the median server time of the Django view (request in, response out, through
the test client, no network) and of the bare SQL the view's queries amount to.
"""

import argparse
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

from django.core.management import call_command  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from divisions.models import Division, Level, Membership  # noqa: E402
from households.models import Household  # noqa: E402


def populate(target: int) -> None:
    """Top the register up to `target` households, spread over 二七区's communities, in SQL."""
    have = Household.objects.count()
    if have >= target:
        return
    communities = list(Division.objects.filter(level=Level.COMMUNITY).values_list("pk", "code"))
    ids = "{" + ",".join(str(pk) for pk, _ in communities) + "}"
    codes = "{" + ",".join(code for _, code in communities) + "}"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO households_household (
                division_id, division_code, kind, estate, building, unit, room, address, head_name, phone,
                unmanaged, no_gas_or_heating, elderly_alone, low_income, disabled, heating,
                latitude, longitude, in_priority_zone, notes, void_reason, coal_status, created_at, updated_at)
            SELECT (%s::bigint[])[1 + g %% %s], (%s::text[])[1 + g %% %s],
                   CASE WHEN g %% 20 = 0 THEN 'street_shop' ELSE 'residence' END,
                   '小区' || (g / 997 %% 50), (g %% 12 + 1)::text, (g %% 4 + 1)::text, (g %% 600 + 101)::text,
                   '', '户主' || g, '138' || lpad((g %% 100000000)::text, 8, '0'),
                   g %% 3 = 0, g %% 4 = 0, g %% 50 = 0, g %% 40 = 0, g %% 70 = 0, 'coal',
                   34.70 + (g %% 1000) / 10000.0, 113.60 + (g %% 997) / 10000.0, g %% 9 = 0, '', '', 'never',
                   now(), now()
            FROM generate_series(%s, %s - 1) AS g
            """,
            [ids, len(communities), codes, len(communities), have, target],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_household")
    print(f"inserted {target - have:,} households in {time.perf_counter() - started:.1f} s")


def median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bare_sql_ms(queries: list[str], repeat: int) -> float:
    # A server-side cursor (a form's <select> iterating its choices) is timed as the SELECT it declares.
    queries = [re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", sql) for sql in queries]

    def run():
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                cursor.fetchall()

    return median_ms(run, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own: the figures mean nothing on SQLite.")

    call_command("migrate", verbosity=0)
    call_command("load_divisions", verbosity=0)
    populate(args.households)

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    Membership.objects.get_or_create(user=user, division=Division.objects.get(code="410103"), role="district_admin")
    # Django clears the query log when a request starts; keep it, to capture what each view runs.
    request_started.disconnect(reset_queries)
    client = Client()
    client.force_login(user)
    community = Division.objects.filter(level=Level.COMMUNITY).order_by("code")[7]
    in_community = Household.objects.filter(division_code=community.code).count()
    print(f"{Household.objects.count():,} households; community {community.name} has {in_community:,}\n")

    cases = [
        ("API list, one community", f"/api/v1/households/?division={community.code}"),
        ("page list, one community", f"/households/?division={community.code}"),
        ("API list, one community, priority zone", f"/api/v1/households/?division={community.code}&in_priority_zone=1"),
        ("API list, whole district", "/api/v1/households/"),
        ("page list, whole district", "/households/"),
        ("API search by name, one community", f"/api/v1/households/?division={community.code}&q=户主1"),
    ]
    print(f"{'question':42} {'view ms':>9} {'bare SQL ms':>12} {'queries':>8}")
    # The bare SQL is every query the view ran (less the session look-up), replayed on one cursor.
    for label, url in cases:
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # The view's own queries minus the session and user look-ups every request makes.
        count = len(captured.captured_queries)
        queries = [q["sql"] for q in captured.captured_queries if "django_session" not in q["sql"]]
        view = median_ms(lambda url=url: client.get(url), args.repeat)
        sql = bare_sql_ms(queries, args.repeat)
        print(f"{label:42} {view:9.1f} {sql:12.1f} {count:8d}")


if __name__ == "__main__":
    main()
