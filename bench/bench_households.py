"""Household register at scale: list page and API, filtered to one community, beside the bare SQL; and the
import of a register, beside a minimal django-import-export resource on the same files.

Run against a PostgreSQL database of its own (it adds rows and never deletes them):

    createdb -h 127.0.0.1 -U postgres coalgov_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench .venv/bin/python bench/bench_households.py

Prints, for each question (a community's list on the page and in the API, its first page and its 100th, a
community worker's own list, the district's first and deepest page, a search), the median server time of the
Django view (request in, response out, through the test client, no network), the CPU time the view's process spent
on it (the wall clock on a busy machine adds waiting for a core), the bare SQL the view's queries amount to, and the
database's own time for them (EXPLAIN ANALYZE); `--explain` prints the plans.

    createdb -h 127.0.0.1 -U postgres coalgov_bench_import
    .venv/bin/pip install -r bench/requirements.txt   # django-import-export: for the comparison only
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench_import \
        .venv/bin/python bench/bench_households.py --imports --rows 100000

Imports the same 100,000 rows as .csv and as .xlsx with `households_import` and with a minimal
django-import-export `ModelResource` in bulk mode, interleaved in one run (the register emptied before each),
and prints rows/s for each, the ratio, and the load average. This database's households are deleted.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coalgov_bench_import \
        .venv/bin/python bench/bench_households.py --updates --rows 100000

Registers 100,000 households with the import, then imports them back edited (a file carrying each one's 编号,
its phone and heating changed) as .csv and .xlsx: the preview (every row compared, the writing rolled back), the
confirmed import (applied, checked against the preview's digest), and the same file once more (all unchanged),
each in rows/s, with the load average. This database's households are deleted.
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
        # As autovacuum leaves a settled register: statistics, and the pages marked all-visible, which lets the
        # lists' counts and ids be read from an index alone.
        cursor.execute("VACUUM ANALYZE households_household")
    print(f"inserted {target - have:,} households in {time.perf_counter() - started:.1f} s")


def median_ms(fn, repeat: int, clock=time.perf_counter) -> float:
    fn()  # warm caches and connection
    times = []
    for _ in range(repeat):
        started = clock()
        fn()
        times.append((clock() - started) * 1000)
    return statistics.median(times)


def explained_ms(queries: list[str]) -> float:
    """The database's own time for the queries (EXPLAIN ANALYZE's planning and execution): on a machine shared
    with other work, what the wall clock adds is waiting for a core."""
    total = 0.0
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            total += plan["Planning Time"] + plan["Execution Time"]
    return total


def bare_sql_ms(queries: list[str], repeat: int) -> float:
    # A server-side cursor (a form's <select> iterating its choices) is timed as the SELECT it declares.
    queries = [re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", sql) for sql in queries]

    def run():
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                cursor.fetchall()

    return median_ms(run, repeat)


IMPORT_COLUMNS = ["division", "kind", "estate", "building", "unit", "room", "head_name", "phone", "heating"]
IMPORT_COLUMNS += ["elderly_alone", "low_income", "latitude", "longitude"]


def import_rows(n: int, codes: list[str]) -> list[list]:
    """n distinct flats over the communities, about one in nine beside a monitoring station (priority zone)."""
    return [
        [
            codes[k % len(codes)],
            "residence" if k % 20 else "street_shop",
            f"小区{k // 997 % 50}",
            str(k % 12 + 1),
            str(k % 4 + 1),
            str(k),
            f"户主{k}",
            f"138{k % 100_000_000:08d}",
            "coal" if k % 3 else "electric",
            "1" if k % 50 == 0 else "0",
            "1" if k % 40 == 0 else "0",
            f"{34.70 + (k % 1000) / 10000:.6f}" if k % 2 else "",
            f"{113.60 + (k % 997) / 10000:.6f}" if k % 2 else "",
        ]
        for k in range(n)
    ]


def write_files(rows: list[list], folder: Path) -> tuple[Path, Path]:
    import csv

    from openpyxl import Workbook

    csv_path, xlsx_path = folder / "register.csv", folder / "register.xlsx"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        writer.writerows(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(IMPORT_COLUMNS)
    for row in rows:
        sheet.append(row)
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def empty_register() -> None:
    from coalgov.models import AuditEvent
    from households.models import RegisterCount

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE households_household CASCADE")
    with connection.cursor() as cursor:  # the audit log is append-only for the app, not for a bench database
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE action IN ('household.created', 'household.imported')"
        )
    RegisterCount.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE households_household")


def import_export_resource():
    """A minimal django-import-export resource for the register: bulk mode, the community by its code."""
    from import_export import fields, resources
    from import_export.widgets import ForeignKeyWidget

    class HouseholdResource(resources.ModelResource):
        division = fields.Field(
            attribute="division", column_name="division", widget=ForeignKeyWidget(Division, field="code")
        )

        class Meta:
            model = Household
            fields = IMPORT_COLUMNS
            use_bulk = True
            batch_size = 2000
            force_init_instance = True  # every row a new household, as a first load is

        def before_save_instance(self, instance, row, **kwargs):
            instance.division_code = instance.division.code

    return HouseholdResource()


def bench_imports(rows: int) -> None:
    import tempfile

    import tablib
    from django.contrib.auth import get_user_model

    from households.imports import households_import

    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    Membership.objects.get_or_create(user=user, division=Division.objects.get(code="410103"), role="district_admin")
    codes = list(Division.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True)[:12])
    resource = import_export_resource()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        files = write_files(import_rows(rows, codes), Path(folder))
        print(f"wrote {rows:,} rows as .csv and .xlsx in {time.perf_counter() - started:.1f} s\n")

        def ours(path):
            result = households_import(actor=user, path=path, source=path.name)
            assert (result.created, result.error_count) == (rows, 0), (result.created, result.errors[:3])

        def theirs(path):
            kind = "csv" if path.suffix == ".csv" else "xlsx"
            data = path.read_text(encoding="utf-8") if kind == "csv" else path.read_bytes()
            dataset = tablib.Dataset().load(data, format=kind)
            result = resource.import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
            assert not result.has_errors() and Household.objects.count() == rows

        print(f"{'file':8} {'households_import':>18} {'import-export':>14} {'ratio':>7}   load average")
        for path in files:
            rates = []
            for fn in (ours, theirs):
                empty_register()
                began = time.perf_counter()
                fn(path)
                rates.append(rows / (time.perf_counter() - began))
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{path.suffix:8} {rates[0]:14,.0f} r/s {rates[1]:10,.0f} r/s {rates[0] / rates[1]:6.1f}×   {load}")


def bench_updates(rows: int) -> None:
    """The round trip: rows carrying a 编号 that change their household, previewed then applied."""
    import csv
    import tempfile

    from django.contrib.auth import get_user_model
    from openpyxl import Workbook

    from coalgov.models import AuditEvent
    from households.imports import households_import

    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    Membership.objects.get_or_create(user=user, division=Division.objects.get(code="410103"), role="district_admin")
    codes = list(Division.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True)[:12])
    header = ["编号", *IMPORT_COLUMNS]
    registered = sorted(import_rows(rows, codes), key=lambda row: row[5])  # by room, as the ids are read below
    with tempfile.TemporaryDirectory() as folder:
        csv_path, _xlsx = write_files(import_rows(rows, codes), Path(folder))
        print(f"{'file':8} {'preview':>14} {'apply':>14} {'unchanged':>14}   load average")
        for suffix in (".csv", ".xlsx"):
            empty_register()
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE action = 'household.updated'")
            assert households_import(actor=user, path=csv_path).created == rows
            ids = list(Household.objects.order_by("room").values_list("pk", flat=True))
            edited = [
                [pk, *row[:7], f"139{k % 100_000_000:08d}", "electric" if row[8] == "coal" else "gas", *row[9:]]
                for k, (pk, row) in enumerate(zip(ids, registered, strict=True))
            ]
            path = Path(folder) / f"edited{suffix}"
            if suffix == ".csv":
                with path.open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(header)
                    writer.writerows(edited)
            else:
                workbook = Workbook(write_only=True)
                sheet = workbook.create_sheet()
                sheet.append(header)
                for row in edited:
                    sheet.append(row)
                workbook.save(path)
            rates = []
            began = time.perf_counter()
            preview = households_import(actor=user, path=path, dry_run=True)
            rates.append(rows / (time.perf_counter() - began))
            assert (preview.updated, preview.error_count) == (rows, 0), (preview.updated, preview.errors[:3])
            began = time.perf_counter()
            applied = households_import(actor=user, path=path, expect=preview.preview["digest"])
            rates.append(rows / (time.perf_counter() - began))
            assert applied.updated == rows
            began = time.perf_counter()
            again = households_import(actor=user, path=path)
            rates.append(rows / (time.perf_counter() - began))
            assert (again.updated, again.unchanged) == (0, rows)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"{suffix:8} {rates[0]:10,.0f} r/s {rates[1]:10,.0f} r/s {rates[2]:10,.0f} r/s   {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--imports", action="store_true", help="time the register import instead of the lists")
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the imported files (--imports, --updates)")
    parser.add_argument("--updates", action="store_true", help="time importing edited households back by 编号")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the lists' SQL")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own: the figures mean nothing on SQLite.")

    call_command("migrate", verbosity=0)
    call_command("load_divisions", verbosity=0)
    if args.imports:
        bench_imports(args.rows)
        return
    if args.updates:
        bench_updates(args.rows)
        return
    populate(args.households)

    bench_lists(args.repeat, explain=args.explain)


def page_100_of_the_api(client, url: str) -> str:
    """The API's 100th page of `url`: its cursor, reached by following `next` from the first page."""
    for _ in range(99):
        url = client.get(url).json()["next"].removeprefix("http://testserver")
    return url


def bench_lists(repeat: int, explain: bool) -> None:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    Membership.objects.get_or_create(user=user, division=Division.objects.get(code="410103"), role="district_admin")
    # Django clears the query log when a request starts; keep it, to capture what each view runs.
    request_started.disconnect(reset_queries)
    client = Client()
    client.force_login(user)
    community = Division.objects.filter(level=Level.COMMUNITY).order_by("code")[7]
    worker, _ = get_user_model().objects.get_or_create(username="bench_worker")
    Membership.objects.get_or_create(user=worker, division=community, role="community_worker")
    worker_client = Client()
    worker_client.force_login(worker)
    in_community = Household.objects.filter(division_code=community.code).count()
    print(f"{Household.objects.count():,} households; community {community.name} has {in_community:,}\n")

    api = f"/api/v1/households/?division={community.code}"
    page = f"/households/?division={community.code}"
    cases = [
        ("API list, one community", client, api),
        ("API list, one community, page 100", client, page_100_of_the_api(client, api)),
        ("page list, one community", client, page),
        ("page list, one community, page 100", client, f"{page}&page=100"),
        ("page list, one community, coal found", client, f"{page}&coal_status=found"),
        ("API list, one community, priority zone", client, f"{api}&in_priority_zone=1"),
        ("API list, community worker's own", worker_client, "/api/v1/households/"),
        ("page list, community worker's own", worker_client, "/households/"),
        ("page list, community worker's, page 100", worker_client, "/households/?page=100"),
        ("API list, whole district", client, "/api/v1/households/"),
        ("API list, whole district, page 100", client, page_100_of_the_api(client, "/api/v1/households/")),
        ("page list, whole district", client, "/households/"),
        ("page list, whole district, page 200", client, "/households/?page=200"),
        ("API search by name, one community", client, f"{api}&q=户主1"),
    ]
    # view ms: wall clock, request in, response out; view CPU: this process's CPU time for it (Python's share, no
    # waiting for a core); SQL ms: the bare SQL replayed; DB ms: the database's own planning and execution time.
    print(f"{'question':42} {'view ms':>8} {'view CPU':>9} {'SQL ms':>7} {'DB ms':>6} {'queries':>8}")
    # The bare SQL is every query the view ran (less the session look-up), replayed on one cursor.
    for label, who, url in cases:
        assert who.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as captured:
            who.get(url)
        # The view's own queries minus the session and user look-ups every request makes.
        count = len(captured.captured_queries)
        queries = [q["sql"] for q in captured.captured_queries if "django_session" not in q["sql"]]
        queries = [re.sub(r"^DECLARE .*? CURSOR WITH HOLD FOR ", "", sql) for sql in queries]
        view = median_ms(lambda who=who, url=url: who.get(url), repeat)
        cpu = median_ms(lambda who=who, url=url: who.get(url), repeat, clock=time.process_time)
        sql = bare_sql_ms(queries, repeat)
        database = statistics.median(explained_ms(queries) for _ in range(5))
        print(f"{label:42} {view:8.1f} {cpu:9.1f} {sql:7.1f} {database:6.1f} {count:8d}")
        if explain:
            with connection.cursor() as cursor:
                for sql in queries:
                    if "households_household" in sql:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                        print("    " + "\n    ".join(row[0] for row in cursor.fetchall()))
    print("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
