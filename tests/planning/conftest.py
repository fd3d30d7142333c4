"""A small known data set in 五里堡's first community, whose plan tonight is computed by hand (docs/planning.md).

With the default weights (found 40, rebound 35, 回头看 25, open case 20, tip-off 15, stale 10, 无主管/无双气 8,
street shop 6, priority zone 12; stale after 14 days, a place checked clean left alone for 3 days):

| place | why | score |
| --- | --- | --- |
| rebound: a sale point banned 20 days ago, coal found there 10 days ago | found 40 + rebound 35 | 75 |
| tip_off: 无主管, never visited, an open tip-off | open case 20 + tip-off 15 + stale 10 + 无主管 8 | 53 |
| found: coal found 5 days ago | found 40 | 40 |
| banned: a storage point cleared 30 days ago, never visited since | 回头看 25 + stale 10 | 35 |
| shop: a street shop in 河医大's zone, never visited | stale 10 + shop 6 + zone 12 | 28 |
| old: checked clean 20 days ago | stale 10 | 10 |
| rested: 无双气, checked clean yesterday | left out (rest days) | — |
| voided: a voided place | left out | — |
"""

import datetime

import pytest
from django.utils import timezone

from cases.services import case_open
from divisions.models import MonitoringStation
from households.models import Household
from inspections.services import ban_record, inspection_record


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def places(people, household_in, wulibao, wulibao_community, huaihelu_community):
    admin = people["wulibao_admin"]

    def make(estate, building, unit, room, **fields):
        return household_in(wulibao_community, estate=estate, building=building, unit=unit, room=room, **fields)

    def visit(household, outcome, days):
        inspection_record(actor=admin, household=household, kind="survey", outcome=outcome, started_at=ago(days))

    rebound = make("", "", "", "", kind="coal_sale_point", address="大学路12号")
    ban_record(actor=admin, household=rebound, kind="sale_point", banned_at=ago(20))
    visit(rebound, "loose_coal", 10)

    tip_off = make("铁路新村", "3", "1", "101", unmanaged=True)
    case_open(actor=admin, source="tip_off", responsible_unit=wulibao, title="群众举报烧煤", household=tip_off)

    found = make("龙亭小区", "1", "2", "301")
    visit(found, "stove_in_use", 5)

    banned = make("", "", "", "", kind="storage_point", address="堆放点院内")
    ban_record(actor=admin, household=banned, kind="storage_point", banned_at=ago(30))

    shop = make("", "", "", "", kind="street_shop", address="大学路8号")
    Household.objects.filter(pk=shop.pk).update(
        in_priority_zone=True, priority_station=MonitoringStation.objects.get(code="1323A")
    )

    old = make("龙亭小区", "2", "1", "101")
    visit(old, "no_coal", 20)

    rested = make("龙亭小区", "2", "1", "201", no_gas_or_heating=True)
    visit(rested, "no_coal", 1)

    voided = make("龙亭小区", "2", "1", "301")
    Household.objects.filter(pk=voided.pk).update(voided_at=timezone.now(), void_reason="重复登记")

    elsewhere = household_in(huaihelu_community, estate="淮河小区", building="1", unit="1", room="101")
    inspection_record(
        actor=people["huaihelu_inspector"], household=elsewhere, kind="survey", outcome="loose_coal", started_at=ago(2)
    )
    return {
        "rebound": rebound,
        "tip_off": tip_off,
        "found": found,
        "banned": banned,
        "shop": shop,
        "old": old,
        "rested": rested,
        "voided": voided,
        "elsewhere": elsewhere,
    }
