"""Demo field work for `manage.py load_demo`: a fortnight of surveys and night checks, written through the
services as inspectors would write them, so every figure, status and history is real."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from divisions.models import Division
from households.models import Household, Kind

from . import services
from .models import Ban, Conversion, Inspection, Publicity, Purchase, Seizure

DAYS = 14
OUTCOMES = [
    (Inspection.Outcome.NO_COAL, 70),
    (Inspection.Outcome.LOOSE_COAL, 14),
    (Inspection.Outcome.STOVE_IN_USE, 6),
    (Inspection.Outcome.REFUSED, 4),
    (Inspection.Outcome.NOBODY_HOME, 6),
]
# The article: 查处取缔的17户无照散煤销售点.
SALE_POINTS = 17


def _moment(rng: random.Random, days_ago: int, night: bool) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    hour = rng.choice([22, 23, 0, 1]) if night else rng.randint(9, 17)
    if night and hour < 6:
        day += datetime.timedelta(days=1)
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, rng.randint(0, 59))))
    latest = timezone.now() - datetime.timedelta(minutes=5)
    if night:
        # Tonight's check has not happened yet when the demo is loaded by day: it is last night's. Clamped to
        # now instead, it was a 夜查 at 15:50, which the figures rightly do not count as a night check.
        while moment > latest:
            moment -= datetime.timedelta(days=1)
        return moment
    return min(moment, latest)


def _seizures(rng: random.Random, outcome: str) -> list[services.SeizureInput]:
    found = []
    if outcome in Inspection.FOUND:
        found.append(services.SeizureInput(Seizure.Item.BRIQUETTE, Decimal(rng.randint(2, 30) * 10), "confiscated"))
        if rng.random() < 0.3:
            found.append(services.SeizureInput(Seizure.Item.LOOSE_COAL, Decimal(rng.randint(10, 80)), "voluntary"))
    if outcome == Inspection.Outcome.STOVE_IN_USE:
        found.append(services.SeizureInput(Seizure.Item.STOVE, Decimal(1), "destroyed"))
    return found


def demo_fieldwork(*, users: dict, rng: random.Random) -> dict[str, int]:
    """Create the demo field work once; returns what was created."""
    if Inspection.objects.exists():
        return {}
    admin, leader, inspector = users["qu_admin"], users["qu_leader"], users["wulibao_inspector"]
    households = list(Household.objects.current().select_related("division").order_by("pk"))
    district = Division.objects.get(code="410103")
    operation = services.operation_save(
        actor=leader,
        data={
            "division": district,
            "date": timezone.localdate() - datetime.timedelta(days=3),
            "title": "国控点周边零点夜查",
            "leader": "区委书记、区长",
            "notes": "重点查看无主管、无双气老旧楼院和沿街门店",
        },
        team=[admin, leader],
        covered=Division.objects.filter(code__in=["410103006", "410103007"]),
    )
    count = 0
    for household in households:
        if rng.random() < 0.35:
            continue
        days_ago = rng.randint(1, DAYS)
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        night = household.in_priority_zone and rng.random() < 0.6
        services.inspection_record(
            actor=leader if night else admin,
            household=household,
            kind=Inspection.Kind.NIGHT_CHECK if night else Inspection.Kind.SURVEY,
            outcome=outcome,
            started_at=_moment(rng, 3 if night else days_ago, night),
            operation=operation if night else None,
            seizures=_seizures(rng, outcome),
        )
        count += 1
        if outcome in Inspection.FOUND and rng.random() < 0.5:
            # 回头看: most places found with coal are clean when the team comes back.
            services.inspection_record(
                actor=inspector if household.division_code.startswith("410103006") else admin,
                household=household,
                kind=Inspection.Kind.RECHECK,
                outcome=Inspection.Outcome.NO_COAL,
                started_at=_moment(rng, 0, False),
            )
            count += 1
    purchases = 0
    # The article's rule: coal stacked by the elderly alone, the poor and the disabled is bought above market.
    for household in (h for h in households if h.is_vulnerable and rng.random() < 0.6):
        services.purchase_record(
            actor=admin,
            household=household,
            item=Purchase.Item.BRIQUETTE,
            quantity=Decimal(rng.randint(5, 30) * 10),
            unit_price=Decimal("0.80"),
            market_price=Decimal("0.60"),
            purchased_on=timezone.localdate() - datetime.timedelta(days=rng.randint(0, DAYS)),
        )
        purchases += 1
    conversions = 0
    for household in rng.sample(households, 45):
        kind = Conversion.Kind.GAS if rng.random() < 0.12 else Conversion.Kind.ELECTRICITY
        done = rng.random() < 0.75
        services.conversion_set(
            actor=admin,
            household=household,
            kind=kind,
            status=Conversion.Status.COMPLETED if done else Conversion.Status.PLANNED,
            completed_on=timezone.localdate() - datetime.timedelta(days=rng.randint(0, 60)) if done else None,
        )
        conversions += 1
    bans = _sale_points(admin=admin, inspector=inspector, rng=rng)
    for code in ["410103006", "410103001", "410103005", "410103009"]:
        for kind, n in [(Publicity.Kind.BANNER, 6), (Publicity.Kind.VEHICLE, 1), (Publicity.Kind.NOTICE, 40)]:
            services.publicity_record(
                actor=admin,
                division=Division.objects.get(code=code),
                kind=kind,
                count=n,
                date=timezone.localdate() - datetime.timedelta(days=rng.randint(1, DAYS)),
            )
    return {"inspections": count, "purchases": purchases, "conversions": conversions, "bans": bans}


def _sale_points(*, admin, inspector, rng: random.Random) -> int:
    """The article's 17 unlicensed coal sale points, shut; one is found trading again (a rebound)."""
    from households.services import household_create

    communities = list(Division.objects.filter(parent__code__in=["410103006", "410103001", "410103005"])[:9])
    for n in range(SALE_POINTS):
        community = communities[n % len(communities)]
        place, _created = household_create(
            actor=admin,
            data={
                "division": community,
                "kind": Kind.COAL_SALE_POINT,
                "address": f"{community.name[:4]}无照散煤销售点{n + 1}号",
                "head_name": "经营者",
                "notes": "演示数据",
            },
        )
        services.ban_record(
            actor=admin,
            household=place,
            kind=Ban.Kind.SALE_POINT,
            banned_at=_moment(rng, DAYS, False),
            officers="区散煤办、工商所",
        )
        if n == 0:
            services.inspection_record(
                actor=admin,
                household=place,
                kind=Inspection.Kind.RECHECK,
                outcome=Inspection.Outcome.LOOSE_COAL,
                started_at=_moment(rng, 1, False),
                seizures=[services.SeizureInput(Seizure.Item.LOOSE_COAL, Decimal(200), "confiscated")],
            )
    return SALE_POINTS


VOID_REASON = "演示：录入错误"


def demo_voided(*, users: dict, rng: random.Random) -> dict[str, int]:
    """Records entered in error and voided, as the register and the lists show them: a visit, a household
    registered twice, a ban of a stall that was never there, a purchase and a publicity record. Once."""
    from households.services import household_create, household_void

    if Inspection.objects.filter(void_reason=VOID_REASON).exists():
        return {}
    admin, subdistrict = users["qu_admin"], users["wulibao_admin"]
    visit = (
        Inspection.objects.current()
        .filter(kind=Inspection.Kind.SURVEY, household__division_code__startswith="410103006")
        .order_by("pk")
        .first()
    )
    services.inspection_void(actor=subdistrict, inspection=visit, reason=VOID_REASON)
    original = Household.objects.current().filter(division=visit.household.division).order_by("pk").first()
    twice, _created = household_create(
        actor=admin,
        data={
            "division": original.division,
            "kind": original.kind,
            "estate": original.estate,
            "building": original.building,
            "unit": original.unit,
            "room": original.room + "室",
            "address": original.address,
            "head_name": original.head_name,
            "notes": "演示数据",
        },
    )
    household_void(actor=admin, household=twice, reason=VOID_REASON + "（重复登记）")
    stall, _created = household_create(
        actor=admin,
        data={
            "division": original.division,
            "kind": Kind.FOOD_STALL,
            "address": f"{original.division.name[:4]}夜市摊点",
            "head_name": "摊主",
            "notes": "演示数据",
        },
    )
    ban, _created = services.ban_record(
        actor=admin, household=stall, kind=Ban.Kind.FOOD_STALL, banned_at=_moment(rng, 2, False)
    )
    services.fieldwork_void(actor=admin, record=ban, reason=VOID_REASON)
    purchase = Purchase.objects.filter(voided_at__isnull=True).order_by("pk").first()
    if purchase is not None:
        services.fieldwork_void(actor=admin, record=purchase, reason=VOID_REASON)
    publicity = Publicity.objects.filter(voided_at__isnull=True).order_by("pk").first()
    services.fieldwork_void(actor=admin, record=publicity, reason=VOID_REASON)
    return {"voided records": 5 if purchase else 4}
