"""A small demo data set for trying the system: demo users, one per role, households and their field work, and
every state the system can create (the crawler test walks it as each user)."""

import datetime
import math
import random
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from air.demo import demo_readings
from cases.demo import demo_cases
from digests.demo import demo_digests
from divisions.models import Division, Level, Membership, MonitoringStation
from divisions.scoping import Role
from households.demo import demo_import
from households.models import Heating, Household, Kind
from households.services import household_create
from inspections.demo import demo_fieldwork, demo_voided
from planning.demo import demo_plan
from reports.demo import demo_ledgers, demo_rankings

User = get_user_model()

DEMO_PASSWORD = "erqi-2026"

# (username, full name, unit code, role). The story the tests tell too: an inspector of 五里堡 and
# one of 淮河路, who must never see each other's households.
DEMO_USERS = [
    ("qu_admin", "区散煤办 王主任", "410103", Role.DISTRICT_ADMIN),
    ("qu_leader", "督导组 李组长", "410103", Role.DISTRICT_LEADER),
    ("wulibao_admin", "五里堡街道 张主任", "410103006", Role.SUBDISTRICT_ADMIN),
    ("wulibao_inspector", "五里堡街道 赵队员", "410103006", Role.INSPECTOR),
    ("wulibao_worker", "建新南街社区 刘社工", None, Role.COMMUNITY_WORKER),
    ("huaihelu_inspector", "淮河路街道 陈队员", "410103001", Role.INSPECTOR),
]

# Subdistricts with demo households, and how far (metres) their households lie from 河医大.
DEMO_AREAS = {
    "410103007": (0, 1400),  # 大学路街道: around the station, mostly inside its 1000 m zone
    "410103006": (600, 2500),  # 五里堡街道
    "410103001": (1500, 3500),  # 淮河路街道
    "410103005": (1200, 3000),  # 蜜蜂张街道
    "410103009": (2000, 4000),  # 福华街街道
}
ESTATES = ["龙亭小区", "中铁院家属楼", "新圃街小区", "铁路新村", "棉纺路家属院", "大学路小区", "陇海花园", "福华苑"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "建国", "国强", "文华", "志强", "淑珍", "玉兰", "德明", "海燕", "春生", "丽娟"]
HOUSEHOLDS_PER_COMMUNITY = 12
REGISTERED_DAYS_AGO = 35  # the register was taken before the demo's fortnight of field work
METRES_PER_DEGREE_LAT = 111_320


class Command(BaseCommand):
    help = (
        "Load the demo data set: 二七区 and the monitoring stations if missing, one demo user per role "
        f"(password {DEMO_PASSWORD!r}), households in five subdistricts, some in 河医大's priority zone, and their "
        "field work, cases, digests, rankings and ledgers in every state the system can create. Re-running resets "
        "the demo users' passwords and adds nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have a known password: run with DEBUG=1, or --force if you mean it.")
        if not Division.objects.filter(code="410103").exists():
            call_command("load_divisions", stdout=self.stdout)
        if not MonitoringStation.objects.filter(code="1323A").exists():
            call_command("load_stations", stdout=self.stdout)
        with transaction.atomic():
            users = self._users()
            created = self._households(users["qu_admin"])
            fieldwork = demo_fieldwork(users=users, rng=random.Random(2016))
            self._register_dated_before_the_campaign()
            # Each step below adds its records once (it finds its own earlier run), so a data set loaded by an
            # older version gains the states added since, and a second run adds nothing.
            fieldwork["cases"] = demo_cases(users=users)
            fieldwork.update(demo_voided(users=users, rng=random.Random(2018)))
            fieldwork["imported households"] = demo_import(users=users)
            fieldwork["station reading hours"] = demo_readings()  # before the digests, which report them
            fieldwork["night-check plans"] = demo_plan(users=users)  # after the readings, which weigh its zone
            fieldwork["digest deliveries"] = demo_digests(users=users)
            fieldwork["ranking weeks"] = demo_rankings(users=users)
            fieldwork["ledgers"] = demo_ledgers(users=users)
        self.stdout.write(f"households: {created} created")
        if any(fieldwork.values()):
            self.stdout.write("field work: " + ", ".join(f"{n} {what}" for what, n in fieldwork.items() if n))
        self.stdout.write(f"\nDemo users (password for all: {DEMO_PASSWORD}):")
        for username, full_name, _code, role in DEMO_USERS:
            self.stdout.write(f"  {username:20} {Role(role).label:<12} {full_name}")
        self.stdout.write(f"  {'admin':20} superuser (Django admin)")

    def _users(self) -> dict:
        worker_unit = Division.objects.filter(parent__code="410103006", level=Level.COMMUNITY).first()
        users = {}
        for username, full_name, code, role in DEMO_USERS:
            division = worker_unit if code is None else Division.objects.get(code=code)
            user, _ = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
            user.set_password(DEMO_PASSWORD)
            user.is_active = True
            user.save()
            Membership.objects.get_or_create(user=user, division=division, role=role, is_active=True)
            users[username] = user
        admin, _ = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        admin.set_password(DEMO_PASSWORD)
        # Named as people know the role: records and logs show a user's name, and "admin" read as a login name.
        admin.first_name = admin.first_name or "系统管理员"
        admin.save()
        return users

    def _households(self, actor) -> int:
        if Household.objects.filter(division_code__startswith="410103", notes="演示数据").exists():
            return 0
        station = MonitoringStation.objects.get(code="1323A")
        rng = random.Random(2017)
        created = 0
        for code, (near, far) in DEMO_AREAS.items():
            communities = Division.objects.filter(parent__code=code, level=Level.COMMUNITY)[:4]
            for community in communities:
                for n in range(HOUSEHOLDS_PER_COMMUNITY):
                    household_create(actor=actor, data=self._household(rng, community, station, near, far, n))
                    created += 1
        return created

    def _register_dated_before_the_campaign(self) -> None:
        """Date the demo register to before the fortnight of field work, as a real campaign's register is.

        A household counts in the weeks after it was registered (the ranking's coverage, the ledgers' 登记时间);
        registered "today", the demo's past weeks would have no households to survey. No service back-dates a
        registration (the import does, through its 登记日期 column), so this sets the date directly, once: a
        later run finds every demo household already older than its cut-off.
        """
        start = timezone.now() - datetime.timedelta(days=REGISTERED_DAYS_AGO)
        Household.objects.filter(notes="演示数据", created_at__gt=start).update(created_at=start)

    def _household(self, rng, community, station, near, far, n) -> dict:
        distance, bearing = rng.uniform(near, far), rng.uniform(0, 6.283)
        dlat = distance * math.cos(bearing) / METRES_PER_DEGREE_LAT
        dlon = distance * math.sin(bearing) / (METRES_PER_DEGREE_LAT * math.cos(math.radians(float(station.latitude))))
        kind = rng.choices(
            [Kind.RESIDENCE, Kind.STREET_SHOP, Kind.RESTAURANT, Kind.FOOD_STALL, Kind.BATHHOUSE, Kind.COAL_SALE_POINT],
            weights=[80, 8, 5, 3, 2, 2],
        )[0]
        residence = kind == Kind.RESIDENCE
        return {
            "division": community,
            "kind": kind,
            "estate": rng.choice(ESTATES) if residence else "",
            "building": str(rng.randint(1, 12)) if residence else "",
            "unit": str(rng.randint(1, 4)) if residence else "",
            "room": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}" if residence else "",
            "address": "" if residence else f"{community.name[:4]}沿街{n + 1}号",
            "head_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "unmanaged": rng.random() < 0.3,
            "no_gas_or_heating": rng.random() < 0.25,
            "elderly_alone": residence and rng.random() < 0.06,
            "low_income": residence and rng.random() < 0.05,
            "disabled": residence and rng.random() < 0.03,
            "heating": rng.choice([Heating.COAL, Heating.ELECTRIC, Heating.GAS, Heating.CENTRAL, Heating.UNKNOWN]),
            "latitude": (station.latitude + Decimal(dlat)).quantize(Decimal("0.000001")),
            "longitude": (station.longitude + Decimal(dlon)).quantize(Decimal("0.000001")),
            "notes": "演示数据",
        }
