"""What each sheet of a ledger (台账) holds: its Chinese name and headers, its rows as one `values_list` query,
and how a row of that query becomes a row of cells.

Rows are tuples straight from the database cursor, never model instances. Headers and the words in the cells
are Chinese whatever the requester's language: the ledger is the office's document format, like the ranking's
downloads. Choice values read as the pages say them in Chinese (the zh-hans catalogue).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from cases.models import Case
from coalgov.exports import column_for, text_width
from divisions.models import Division, Level
from divisions.scoping import covers, mask_phone, phone_codes
from households.models import CoalStatus, Heating, Household, Kind
from inspections.models import Inspection, Purchase, Seizure
from inspections.selectors import local_bounds

from .models import LedgerExport

YES, NO = "是", "否"
# Free text that can run long: wrapped in a narrower column, so that a sheet printed one page wide keeps a
# readable type size. Names of places (街道, 社区) are never wrapped: their columns fit the longest name.
WRAPPED_COLUMNS = {"地址", "备注", "说明", "问题", "详细情况", "夜查行动", "陪同领导", "场所", "国控点", "作废原因"}
# Number formats of the columns whose numbers are not whole: money in yuan with two decimals, coordinates with
# six. Whole numbers ("0"), dates and times get theirs from their type (reports/ledgers.py).
NUMBER_FORMATS = {
    "收购单价（元）": "0.00",
    "市场价（元）": "0.00",
    "收购金额（元）": "0.00",
    "纬度": "0.000000",
    "经度": "0.000000",
}


@functools.cache
def _labels() -> dict[str, dict[str, str]]:
    """Each choice's words in Chinese, as the pages say them (read once, after the catalogue is loaded)."""
    choices = {
        "kinds": Kind.choices,
        "heating": Heating.choices,
        "coal": CoalStatus.choices,
        "visit_kinds": Inspection.Kind.choices,
        "outcomes": Inspection.Outcome.choices,
        "items": Seizure.Item.choices,
        "methods": Seizure.Method.choices,
        "purchase_items": Purchase.Item.choices,
        "sources": Case.Source.choices,
        "severities": Case.Severity.choices,
        "case_statuses": Case.Status.choices,
    }
    with translation.override("zh-hans"):
        return {key: {value: str(label) for value, label in pairs} for key, pairs in choices.items()}


@dataclass
class Context:
    """What every sheet's query and rows need: who asked, the unit, the period, and a few look-ups."""

    export: LedgerExport
    unit: Division
    start: datetime.date
    end: datetime.date
    since: datetime.datetime  # the first moment of `start`, local time
    until: datetime.datetime  # the first moment after `end`, local time
    today: datetime.date
    phones: list[str] | None  # roots where the requester sees full phone numbers (None: everywhere)
    labels: dict[str, dict[str, str]]
    places: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    _divisions: dict[str, tuple[str, str]] = field(default_factory=dict)
    _users: dict[int, str] = field(default_factory=dict)  # 录入人 by user id, read once when first needed

    @classmethod
    def of(cls, export: LedgerExport) -> Context:
        since, until = local_bounds(export.start, export.end)
        unit = export.division
        # Every unit in the subtree and above it, by code: the 街道 / 社区 / 网格 of a row without a join.
        above = [unit.code[:n] for n in range(1, len(unit.code))]
        divisions = {
            code: (name, level)
            for code, name, level in Division.objects.filter(Q(code__startswith=unit.code) | Q(code__in=above))
            .values_list("code", "name", "level")
            .iterator(chunk_size=2000)
        }
        return cls(
            export=export,
            unit=unit,
            start=export.start,
            end=export.end,
            since=since,
            until=until,
            today=timezone.localdate(),
            phones=phone_codes(export.requested_by),
            labels=_labels(),
            _divisions=divisions,
        )

    def place(self, code: str) -> tuple[str, str, str]:
        """(街道, 社区, 网格) names of the unit with this code; empty where it has none."""
        found = self.places.get(code)
        if found is None:
            names = {Level.SUBDISTRICT: "", Level.COMMUNITY: "", Level.GRID: ""}
            for n in range(1, len(code) + 1):
                name, level = self._divisions.get(code[:n], ("", ""))
                if level in names:
                    names[level] = name
            found = self.places[code] = (names[Level.SUBDISTRICT], names[Level.COMMUNITY], names[Level.GRID])
        return found

    def name_widths(self) -> dict[str, int]:
        """The width of the 街道, 社区 and 网格 columns: the longest name of each level under the unit, whole."""
        headers = {Level.SUBDISTRICT: "街道", Level.COMMUNITY: "社区", Level.GRID: "网格"}
        widths: dict[str, int] = {}
        for name, level in self._divisions.values():
            if level in headers:
                widths[headers[level]] = min(max(widths.get(headers[level], 0), text_width(name) + 2), 40)
        widths["责任单位"] = max(widths.values(), default=0)  # a case's responsible unit: any of them
        # A 督导通报's number whole on its line (二七散煤督〔2026〕12号 printed its 号 in the next cell): the
        # longest number on the period's cases, read before the first row as the names are (a few a week).
        numbers = (
            _in(Case.objects.all(), self)
            .filter(opened_at__gte=self.since, opened_at__lt=self.until, notice__isnull=False)
            .values_list("notice__number", flat=True)
            .distinct()
        )
        widths["督导通报文号"] = min(max((column_for(n) for n in numbers), default=0), 40)
        return widths

    def phone(self, phone: str, code: str) -> str:
        if not phone or covers(self.phones, code):
            return phone
        return mask_phone(phone)

    def user(self, pk: int) -> str:
        """录入人: the user's name, or their username. Read from a dictionary of the users rather than joined
        into every row: with a handful of users, PostgreSQL's estimate of the users table (one row, until
        fifty are added and it is analysed) made it repeat the whole join of visits and households once per
        user (a subdistrict's visits read in 8.5 s instead of 1.7 s)."""
        name = self._users.get(pk)
        if name is None:
            self._users.update(
                (key, first_name or username)
                for key, first_name, username in get_user_model().objects.values_list("pk", "first_name", "username")
            )
            name = self._users[pk]
        return name


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str  # the worksheet's name
    columns: list[tuple[str, int]]  # (header, width)
    query: Callable[[Context], QuerySet]
    row: Callable[[Context, tuple], list]
    defines: str  # one line for the 说明 sheet: which records are in it
    lists_voided: bool = False  # voided records listed (marked 已作废) rather than left out


def voided_note(sheets: list[Sheet]) -> str:
    """The 说明 sheet's line on voided records, true of the sheets this workbook holds: 问题 lists its voided
    cases (a supervision group checks what was opened and then voided), every other sheet leaves them out."""
    listed = [s.title for s in sheets if s.lists_voided]
    left_out = [s.title for s in sheets if not s.lists_voided]
    parts = []
    if listed:
        parts.append(f"{'、'.join(listed)}表列出已作废的记录（状态为“已作废”，并写明作废时间和原因）")
    if left_out:
        parts.append(f"{'、'.join(left_out)}表不列入已作废的记录")
    return "；".join(parts) + "。"


def _in(queryset: QuerySet, context: Context) -> QuerySet:
    """The unit's subtree, within what the requester may view."""
    return queryset.visible_to(context.export.requested_by).filter(division_code__startswith=context.unit.code)


HOUSEHOLD_ADDRESS = ["estate", "building", "unit", "room", "address"]


# --- 住户 -------------------------------------------------------------------------------------------


def _households(context: Context) -> QuerySet:
    # A household visited in the period belongs in its ledger even when it was registered later: a campaign
    # entered after the fact registers the households and records the visits of weeks ago on the same day.
    visited = (
        Inspection.objects.current()
        .filter(
            division_code__startswith=context.unit.code,
            started_at__gte=context.since,
            started_at__lt=context.until,
        )
        .values("household_id")
    )
    return (
        _in(Household.objects.current(), context)
        .filter(Q(created_at__lt=context.until) | Q(pk__in=visited))
        .order_by("division_code", "estate", "building", "unit", "room", "id")
        .values_list(
            "id",
            "division_code",
            *HOUSEHOLD_ADDRESS,
            "kind",
            "head_name",
            "phone",
            "unmanaged",
            "no_gas_or_heating",
            "elderly_alone",
            "low_income",
            "disabled",
            "heating",
            "in_priority_zone",
            "priority_station__name",
            "coal_status",
            "latitude",
            "longitude",
            "created_at",
        )
    )


def _household_row(c: Context, r: tuple) -> list:
    pk, code, estate, building, unit, room, address, kind, head, phone, unmanaged, no_gas, elderly = r[:13]
    low_income, disabled, heating, priority, station, coal, latitude, longitude, created_at = r[13:]
    return [
        pk,
        *c.place(code),
        estate,
        building,
        unit,
        room,
        address,
        c.labels["kinds"].get(kind, kind),
        head,
        c.phone(phone, code),
        unmanaged,
        no_gas,
        elderly,
        low_income,
        disabled,
        c.labels["heating"].get(heating, heating),
        priority,
        station,
        c.labels["coal"].get(coal, coal),
        latitude,
        longitude,
        created_at,
    ]


# --- 检查记录 ----------------------------------------------------------------------------------------


def _inspections(context: Context) -> QuerySet:
    return (
        _in(Inspection.objects.current(), context)
        .filter(started_at__gte=context.since, started_at__lt=context.until)
        .order_by("started_at", "id")
        .values_list(
            "id",
            "started_at",
            "division_code",
            *(f"household__{name}" for name in HOUSEHOLD_ADDRESS),
            "household__head_name",
            "kind",
            "outcome",
            "is_night",
            "in_priority_zone",
            "operation__title",
            "leaders",
            "notes",
            "recorded_by_id",
        )
    )


def _inspection_row(c: Context, r: tuple) -> list:
    pk, started_at, code, estate, building, unit, room, address, head, kind, outcome, night, priority = r[:13]
    operation, leaders, notes, recorded_by = r[13:]
    subdistrict, community, _grid = c.place(code)
    return [
        pk,
        started_at,
        subdistrict,
        community,
        estate,
        building,
        unit,
        room,
        address,
        head,
        c.labels["visit_kinds"].get(kind, kind),
        c.labels["outcomes"].get(outcome, outcome),
        night,
        priority,
        operation,
        leaders,
        notes,
        c.user(recorded_by),
    ]


# --- 收缴 --------------------------------------------------------------------------------------------


def _seizures(context: Context) -> QuerySet:
    return (
        _in(Seizure.objects.all(), context)
        .filter(
            inspection__voided_at__isnull=True,
            inspection__started_at__gte=context.since,
            inspection__started_at__lt=context.until,
        )
        .order_by("inspection__started_at", "inspection_id", "id")
        .values_list(
            "inspection_id",
            "inspection__started_at",
            "division_code",
            *(f"inspection__household__{name}" for name in HOUSEHOLD_ADDRESS),
            "inspection__household__head_name",
            "inspection__kind",
            "item",
            "quantity",
            "method",
            "description",
        )
    )


def _seizure_row(c: Context, r: tuple) -> list:
    visit, started_at, code, estate, building, unit, room, address, head, kind, item, quantity, method, text = r
    subdistrict, community, _grid = c.place(code)
    return [
        visit,
        started_at,
        subdistrict,
        community,
        estate,
        building,
        unit,
        room,
        address,
        head,
        c.labels["visit_kinds"].get(kind, kind),
        c.labels["items"].get(item, item),
        quantity,
        c.labels["methods"].get(method, method),
        text,
    ]


# --- 收购 --------------------------------------------------------------------------------------------


def _purchases(context: Context) -> QuerySet:
    return (
        _in(Purchase.objects.current(), context)
        .filter(purchased_on__gte=context.start, purchased_on__lte=context.end)
        .order_by("purchased_on", "id")
        .values_list(
            "id",
            "purchased_on",
            "division_code",
            *(f"household__{name}" for name in HOUSEHOLD_ADDRESS),
            "household__head_name",
            "item",
            "quantity",
            "unit_price",
            "market_price",
            "amount",
            "inspection_id",
            "notes",
            "recorded_by_id",
        )
    )


def _purchase_row(c: Context, r: tuple) -> list:
    pk, day, code, estate, building, unit, room, address, head, item, quantity, price, market, amount = r[:14]
    visit, notes, recorded_by = r[14:]
    subdistrict, community, _grid = c.place(code)
    return [
        pk,
        day,
        subdistrict,
        community,
        estate,
        building,
        unit,
        room,
        address,
        head,
        c.labels["purchase_items"].get(item, item),
        quantity,
        price,
        market,
        amount,
        visit,
        notes,
        c.user(recorded_by),
    ]


# --- 问题 --------------------------------------------------------------------------------------------
# A tip-off's reporter (name and contact) is never read: it is not in the query.

UNFINISHED = (Case.Status.OPEN, Case.Status.RECTIFYING)
VOIDED = "已作废"  # as the case's page says it


def _cases(context: Context) -> QuerySet:
    # Voided cases too: a ledger is the record of everything that happened, and a supervision group checking it
    # wants to see a case that was opened and then voided, with when and why (records are voided, never deleted).
    return (
        _in(Case.objects.all(), context)
        .filter(opened_at__gte=context.since, opened_at__lt=context.until)
        .order_by("opened_at", "id")
        .values_list(
            "id",
            "opened_at",
            "source",
            "notice__number",
            "responsible_unit__name",
            "division_code",
            *(f"household__{name}" for name in HOUSEHOLD_ADDRESS),
            "title",
            "description",
            "severity",
            "deadline",
            "status",
            "rebounds",
            "closed_at",
            "duplicate_of_id",
            "escalated_to__name",
            "voided_at",
            "void_reason",
        )
    )


def _case_row(c: Context, r: tuple) -> list:
    pk, opened_at, source, notice, responsible, code, estate, building, unit, room, address = r[:11]
    title, description, severity, deadline, status, rebounds, closed_at, duplicate_of, escalated_to = r[11:20]
    voided_at, void_reason = r[20:]
    subdistrict, community, _grid = c.place(code)
    return [
        pk,
        opened_at,
        c.labels["sources"].get(source, source),
        notice,
        responsible,
        subdistrict,
        community,
        Household.label_of(None, estate or "", building or "", unit or "", room or "", address or ""),
        title,
        description,
        c.labels["severities"].get(severity, severity),
        deadline,
        VOIDED if voided_at else c.labels["case_statuses"].get(status, status),
        not voided_at and status in UNFINISHED and deadline < c.today,
        rebounds,
        closed_at,
        duplicate_of,
        escalated_to,
        voided_at,
        void_reason,
    ]


ADDRESS_COLUMNS = [("小区", 18), ("楼栋", 6), ("单元", 6), ("房号", 8), ("地址", 16), ("户主", 10)]

SHEETS: dict[str, Sheet] = {
    LedgerExport.Sheet.HOUSEHOLDS: Sheet(
        key=LedgerExport.Sheet.HOUSEHOLDS,
        title="住户",
        columns=[
            ("编号", 8),
            ("街道", 16),
            ("社区", 20),
            ("网格", 10),
            *ADDRESS_COLUMNS[:5],
            ("类型", 12),
            ("户主", 10),
            ("电话", 14),
            ("无主管", 7),
            ("无双气", 7),
            ("独居老人", 8),
            ("低保户", 7),
            ("残疾人", 7),
            ("取暖方式", 10),
            ("重点区域", 8),
            ("国控点", 12),
            ("散煤状态", 14),
            ("纬度", 11),
            ("经度", 11),
            ("登记时间", 17),
        ],
        query=_households,
        row=_household_row,
        defines="截止日期前登记或在时间范围内被检查过、未作废的住户（当前信息）",
    ),
    LedgerExport.Sheet.INSPECTIONS: Sheet(
        key=LedgerExport.Sheet.INSPECTIONS,
        title="检查记录",
        columns=[
            ("编号", 9),
            ("检查时间", 17),
            ("街道", 16),
            ("社区", 20),
            *ADDRESS_COLUMNS,
            ("检查类型", 10),
            ("结果", 12),
            ("夜查", 6),
            ("重点区域", 8),
            ("夜查行动", 12),
            ("陪同领导", 10),
            ("备注", 16),
            ("录入人", 10),
        ],
        query=_inspections,
        row=_inspection_row,
        defines="检查时间在时间范围内、未作废的入户排查、夜查、回头看、督导抽查和联合执法记录",
    ),
    LedgerExport.Sheet.SEIZURES: Sheet(
        key=LedgerExport.Sheet.SEIZURES,
        title="收缴",
        columns=[
            ("检查编号", 9),
            ("检查时间", 17),
            ("街道", 16),
            ("社区", 20),
            *ADDRESS_COLUMNS,
            ("检查类型", 10),
            ("收缴物品", 18),
            ("数量", 9),
            ("处置方式", 10),
            ("说明", 16),
        ],
        query=_seizures,
        row=_seizure_row,
        defines="时间范围内未作废的检查收缴的散煤、型煤、炉具、木炭等",
    ),
    LedgerExport.Sheet.PURCHASES: Sheet(
        key=LedgerExport.Sheet.PURCHASES,
        title="收购",
        columns=[
            ("编号", 8),
            ("收购日期", 11),
            ("街道", 16),
            ("社区", 20),
            *ADDRESS_COLUMNS,
            ("收购物品", 18),
            ("数量", 9),
            ("收购单价（元）", 12),
            ("市场价（元）", 12),
            ("收购金额（元）", 12),
            ("检查编号", 9),
            ("备注", 16),
            ("录入人", 10),
        ],
        query=_purchases,
        row=_purchase_row,
        defines="收购日期在时间范围内、未作废的困难群众存煤收购",
    ),
    LedgerExport.Sheet.CASES: Sheet(
        key=LedgerExport.Sheet.CASES,
        title="问题",
        columns=[
            ("编号", 8),
            ("立案时间", 17),
            ("问题来源", 10),
            ("督导通报文号", 16),
            ("责任单位", 14),
            ("街道", 16),
            ("社区", 20),
            ("场所", 16),
            ("问题", 20),
            ("详细情况", 20),
            ("严重程度", 8),
            ("整改期限", 11),
            ("状态", 14),
            ("是否逾期", 8),
            ("反弹次数", 8),
            ("核查销号时间", 17),
            ("重复问题（原问题编号）", 12),
            ("升级至", 12),
            ("作废时间", 17),
            ("作废原因", 16),
        ],
        query=_cases,
        row=_case_row,
        lists_voided=True,
        defines=(
            "立案时间在时间范围内的问题（含重复问题）；已作废的问题也列出，状态为“已作废”，并写明作废时间和原因；"
            "群众举报人信息不导出"
        ),
    ),
}
