"""A small district for the weekly ranking: 2 subdistricts × 3 communities, with a week of records whose
indicators, scores and ranks are worked out by hand in test_ranking.py.

The week is Monday 2025-11-03 to Sunday 2025-11-09 (Asia/Shanghai); the week before is 10-27 to 11-02.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.models import Case, CaseEvent
from divisions.models import Division, Level
from households.models import Household
from inspections.models import Conversion, ConversionTarget, Inspection
from inspections.rollups import rollups_visit_changed

from ..factories import HouseholdFactory, MembershipFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = datetime.date(2025, 11, 3)


def at(day: str, time: str = "10:00") -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


class Town:
    """Names: A1..A3 in subdistrict A, B1..B3 in subdistrict B; .households[name] lists each one's homes."""

    def __init__(self):
        self.district = Division.objects.create(code="419901", name="测试区", level=Level.DISTRICT)
        self.sub = {}
        self.unit = {}
        for letter, number in (("A", "001"), ("B", "002")):
            sub = Division.objects.create(
                code=f"419901{number}", name=f"{letter}街道", level=Level.SUBDISTRICT, parent=self.district
            )
            self.sub[letter] = sub
            for n in (1, 2, 3):
                self.unit[f"{letter}{n}"] = Division.objects.create(
                    code=f"{sub.code}00{n}", name=f"{letter}{n}社区", level=Level.COMMUNITY, parent=sub
                )
        self.admin = MembershipFactory(
            user=UserFactory(username="town_admin"), division=self.district, role="district_admin"
        ).user
        self.households = {name: [] for name in self.unit}

    def homes(self, name: str, n: int, registered: str = "2025-09-01"):
        """n households registered (created_at, the register's 登记日期) on `registered`: the ranking counts the
        register as it stood at the week's end."""
        for _ in range(n):
            household = HouseholdFactory(division=self.unit[name])
            Household.objects.filter(pk=household.pk).update(created_at=at(registered))
            household.created_at = at(registered)
            self.households[name].append(household)

    def visit(self, name: str, index: int, when: datetime.datetime, *, night=False, voided=False):
        household = self.households[name][index]
        inspection = Inspection.objects.create(
            household=household,
            division_code=household.division_code,
            kind=Inspection.Kind.NIGHT_CHECK if night else Inspection.Kind.SURVEY,
            started_at=when,
            is_night=night,
            outcome=Inspection.Outcome.NO_COAL,
            recorded_by=self.admin,
            voided_at=when if voided else None,
        )
        # Written without the service (which sets what these tests do not need): count it as the service would.
        rollups_visit_changed(inspection)
        return inspection

    def case(self, name: str, *, source="spot_check", opened="2025-10-01", deadline="2025-11-20", status="open", **kw):
        unit = self.unit[name]
        return Case.objects.create(
            source=source,
            responsible_unit=unit,
            division_code=unit.code,
            title="问题",
            deadline=datetime.date.fromisoformat(deadline),
            status=status,
            opened_by=self.admin,
            opened_at=at(opened),
            **kw,
        )

    def event(self, case: Case, action: str, when: datetime.datetime):
        return CaseEvent.objects.create(case=case, division_code=case.division_code, at=when, action=action)

    def conversions(self, name: str, n: int, completed_on="2025-10-01", start=0):
        for household in self.households[name][start : start + n]:
            Conversion.objects.create(
                household=household,
                division_code=household.division_code,
                kind=Conversion.Kind.ELECTRICITY,
                status=Conversion.Status.COMPLETED,
                completed_on=datetime.date.fromisoformat(completed_on),
                recorded_by=self.admin,
            )

    def target(self, name: str, households: int, season="2025-2026"):
        unit = self.unit[name]
        ConversionTarget.objects.create(division=unit, division_code=unit.code, season=season, households=households)


@pytest.fixture
def town(db):
    """The hand-computed data set (see the expectations in test_ranking.py)."""
    t = Town()
    for name, n in {"A1": 10, "A2": 10, "A3": 20, "B1": 10, "B2": 5, "B3": 10}.items():
        t.homes(name, n)

    # Visits in the week: distinct households and night checks.
    for i in range(5):  # A1: 5 households, one twice, 2 night checks
        t.visit("A1", i, at("2025-11-04"))
    t.visit("A1", 0, at("2025-11-05", "23:30"), night=True)
    t.visit("A1", 1, at("2025-11-03", "00:30"), night=True)  # 2025-11-02 16:30 UTC: in the week
    for i in range(10):  # A2: all 10, no night check
        t.visit("A2", i, at("2025-11-06"))
    for i in range(5):  # A3: 5 of 20, one of them at night
        t.visit("A3", i, at("2025-11-09", "23:30"), night=(i == 0))  # 15:30 UTC: still the week
    for i in range(5):  # B2: 5 of 5, one night check
        t.visit("B2", i, at("2025-11-07"), night=(i == 0))
    for i in range(5):  # B3: 5 of 10
        t.visit("B3", i, at("2025-11-08"))
    # Not counted this week: voided, before it, after it.
    t.visit("B1", 0, at("2025-11-05"), voided=True)
    t.visit("B1", 1, at("2025-11-02", "23:59"))  # the week before
    t.visit("B1", 2, at("2025-11-10", "00:10"))  # the week after

    # Problems found by supervision, opened in the week (notice or spot check only).
    t.case("A1", source="spot_check", opened="2025-11-04")
    t.case("A3", source="notice", opened="2025-11-05")
    t.case("A3", source="spot_check", opened="2025-11-06")
    t.case("B2", source="notice", opened="2025-11-03")
    t.case("B2", source="tip_off", opened="2025-11-03")  # not supervision
    original = t.case("B3", source="night_check", opened="2025-10-01")
    t.case("B3", source="spot_check", opened="2025-11-04", duplicate_of=original)  # a duplicate counts nowhere
    t.case("A2", source="spot_check", opened="2025-11-04", voided_at=at("2025-11-05"))  # voided

    # Cases due in the week, and when they were reported rectified.
    a1_on_time = t.case("A1", source="night_check", deadline="2025-11-05", status="closed")
    t.event(a1_on_time, "rectified", at("2025-11-05", "18:00"))
    a1_late = t.case("A1", source="night_check", deadline="2025-11-07", status="rectified")
    t.event(a1_late, "rectified", at("2025-11-08", "09:00"))
    a3_due = t.case("A3", source="night_check", deadline="2025-11-06", status="rectified")
    t.event(a3_due, "rectified", at("2025-11-06", "23:00"))
    t.case("B1", source="night_check", deadline="2025-11-04", status="open")  # not done: overdue at the week's end
    for deadline in ("2025-11-03", "2025-11-09"):
        b3 = t.case("B3", source="night_check", deadline=deadline, status="closed")
        t.event(b3, "rectified", at(deadline, "08:00"))
    t.case("A3", source="night_check", deadline="2025-10-30", status="open")  # overdue since the week before

    # Rebounds in the week: A2 one, B3 two.
    t.event(t.case("A2", source="night_check"), "reopened", at("2025-11-05"))
    b3_rebound = t.case("B3", source="night_check")
    t.event(b3_rebound, "reopened", at("2025-11-04"))
    t.event(b3_rebound, "reopened", at("2025-11-08"))

    # Conversions against the 2025-2026 targets.
    t.target("A1", 10)
    t.conversions("A1", 5)
    t.target("A2", 4)
    t.conversions("A2", 4)
    t.conversions("A3", 3)  # no target
    t.target("B1", 10)
    t.target("B2", 5)
    t.conversions("B2", 1)
    t.target("B3", 10)
    t.conversions("B3", 3)
    t.conversions("B3", 1, completed_on="2025-11-12", start=3)  # after the week
    t.conversions("B3", 1, completed_on="2025-06-30", start=4)  # the season before
    return t
