"""回头看: closing a case schedules re-checks; coal found again reopens it and counts a rebound."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from cases.models import Case, Recheck
from cases.services import case_close, case_open, case_rectify
from households.models import Kind
from inspections.models import Ban, Inspection
from inspections.services import ban_record, inspection_record

pytestmark = pytest.mark.django_db


def close(people, case, evidence):
    """The subdistrict rectifies, the district verifies and closes."""
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    return case_close(actor=people["qu_admin"], case=case)


def test_closing_a_case_schedules_its_rechecks_at_7_and_30_days(people, notice_case, evidence, wulibao_household):
    case = close(people, notice_case(household=wulibao_household), evidence)

    today = timezone.localdate()
    assert list(case.rechecks.values_list("due_on", flat=True)) == [
        today + datetime.timedelta(days=7),
        today + datetime.timedelta(days=30),
    ]


def test_a_clean_recheck_is_done_and_coal_found_again_reopens_the_case(
    people, notice_case, evidence, wulibao_household
):
    case = close(people, notice_case(household=wulibao_household), evidence)
    closed_on = timezone.localdate()

    def visit(days: int, outcome: str):
        moment = timezone.now() + datetime.timedelta(days=days)
        with time_machine.travel(moment, tick=False):
            inspection_record(
                actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome=outcome
            )

    visit(1, "no_coal")  # too early for the 7-day re-check: it stays scheduled
    visit(7, "nobody_home")  # nobody let the team in: no re-check done
    assert list(case.rechecks.values_list("status", flat=True)) == ["scheduled", "scheduled"]

    visit(7, "no_coal")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert list(case.rechecks.values_list("status", flat=True)) == ["done", "scheduled"]

    visit(30, "loose_coal")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.rebounds == 1
    assert case.accountability_flagged
    assert list(case.rechecks.values_list("status", flat=True)) == ["done", "done"]
    assert case.notifications.filter(kind="rebound").count() == 1
    assert case.deadline > closed_on


def test_a_finding_dated_before_the_case_closed_is_not_a_rebound(people, notice_case, evidence, wulibao_household):
    case = close(people, notice_case(household=wulibao_household), evidence)

    inspection_record(  # a night check from two days ago, synced late from a phone
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="night_check",
        outcome="loose_coal",
        started_at=timezone.now() - datetime.timedelta(days=2),
    )

    case.refresh_from_db()
    assert (case.status, case.rebounds) == (Case.Status.CLOSED, 0)


def test_a_duplicate_case_at_the_same_place_is_linked_and_not_counted_twice(notice_case, wulibao_household):
    first = notice_case(household=wulibao_household)
    second = notice_case(household=wulibao_household)

    assert second.duplicate_of == first
    assert Case.objects.counted().count() == 1
    assert second.events.filter(action="duplicate").exists()


@override_settings(CASES_FROM_FINDINGS=True)
def test_a_night_check_finding_coal_opens_one_case_for_the_community(people, wulibao_household):
    for _ in range(2):
        inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="night_check", outcome="loose_coal"
        )

    case = Case.objects.get()
    assert case.source == Case.Source.NIGHT_CHECK
    assert case.responsible_unit == wulibao_household.division
    assert case.household == wulibao_household


def test_the_articles_17_banned_sale_points_each_get_rechecks_and_one_trading_again_reopens(
    people, erqi, wulibao, evidence, register
):
    """查处取缔的17户无照散煤销售点开展整改问题“回头看”."""
    communities = list(wulibao.children.order_by("code")[:5])
    cases = []
    with time_machine.travel(datetime.datetime(2017, 1, 2, 10, tzinfo=datetime.UTC), tick=False):
        for n in range(17):
            place = register(
                "wulibao_admin",
                communities[n % 5],
                kind=Kind.COAL_SALE_POINT,
                estate="",
                address=f"无照散煤销售点{n + 1}号",
                building="",
                unit="",
                room="",
            )
            ban_record(actor=people["wulibao_admin"], household=place, kind=Ban.Kind.SALE_POINT)
            case = case_open(
                actor=people["qu_admin"],
                source="notice",
                responsible_unit=place.division,
                title="无照散煤销售点",
                household=place,
            )
            cases.append(close(people, case, evidence))
    assert Recheck.objects.filter(status="scheduled").count() == 34

    with time_machine.travel(datetime.datetime(2017, 1, 9, 10, tzinfo=datetime.UTC), tick=False):
        for case in cases:
            outcome = "loose_coal" if case is cases[0] else "no_coal"
            inspection_record(
                actor=people["wulibao_inspector"], household=case.household, kind="recheck", outcome=outcome
            )

    assert Case.objects.filter(status="open").get() == cases[0]
    assert Case.objects.filter(status="closed").count() == 16
    assert Ban.objects.exclude(rebound_at=None).get().household == cases[0].household
    assert Inspection.objects.filter(kind="recheck").count() == 17


def test_voiding_the_visit_that_reopened_a_case_closes_it_again_and_uncounts_the_rebound(
    people, notice_case, evidence, wulibao_household
):
    from inspections.services import inspection_void

    case = close(people, notice_case(household=wulibao_household), evidence)
    closed_deadline = case.deadline
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
        clean, _ = inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="no_coal"
        )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=10), tick=False):
        finding, _ = inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="loose_coal"
        )
    case.refresh_from_db()
    assert (case.status, case.rebounds, case.accountability_flagged) == ("open", 1, True)

    inspection_void(actor=people["wulibao_admin"], inspection=finding, reason="录错了住户")
    case.refresh_from_db()
    assert (case.status, case.rebounds, case.accountability_flagged) == ("closed", 0, False)
    assert case.deadline == closed_deadline
    assert list(case.rechecks.values_list("status", flat=True)) == ["done", "scheduled"]

    inspection_void(actor=people["wulibao_admin"], inspection=clean, reason="录错了住户")
    assert list(case.rechecks.values_list("status", flat=True)) == ["scheduled", "scheduled"]
    # Three steps undone: the finding's re-check and its reopening, then the clean visit's re-check.
    assert case.events.filter(action="undone").count() == 3


def test_a_visit_finding_coal_before_the_first_recheck_completes_it_and_cancels_only_the_later_one(
    client_as, people, notice_case, evidence, wulibao_household
):
    from inspections.services import inspection_void

    case = close(people, notice_case(household=wulibao_household), evidence)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        finding, _ = inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="loose_coal"
        )

    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    first, later = case.rechecks.order_by("due_on")
    assert (first.status, first.inspection, later.status) == ("done", finding, "cancelled")
    page = client_as("wulibao_admin").get(case.get_absolute_url()).content.decode()
    rechecks = page[page.index('data-testid="rechecks"') :].split("</ul>")[0]
    assert f"{first.due_on:%Y-%m-%d} · 已完成 · {finding.get_outcome_display()}" in rechecks
    assert f"{later.due_on:%Y-%m-%d} · 已取消" in rechecks

    inspection_void(actor=people["wulibao_admin"], inspection=finding, reason="录错了住户")
    assert list(case.rechecks.values_list("status", flat=True)) == ["scheduled", "scheduled"]


def test_a_voided_case_waits_for_no_recheck_and_one_without_a_place_gets_none(
    client_as, people, notice_case, evidence, wulibao_household
):
    """An outside tester voided a closed case: its 回头看 stayed scheduled, on the units' lists of visits due."""
    from cases.services import case_void

    case = close(people, notice_case(household=wulibao_household), evidence)
    assert case.rechecks.filter(status=Recheck.Status.SCHEDULED).count() == 2

    case_void(actor=people["qu_admin"], case=case, reason="已销号问题系误录，作废。")

    assert set(case.rechecks.values_list("status", flat=True)) == {Recheck.Status.CANCELLED}
    assert f"#{case.pk}" not in client_as("wulibao_admin").get("/").content.decode()
    # No place: no visit could ever do its re-check.
    placeless = close(people, notice_case(), evidence)
    assert not placeless.rechecks.exists()


def test_a_report_made_after_the_rectification_stands_alone_once_the_original_is_closed(
    client_as, people, notice_case, evidence, wulibao_household, wulibao_community
):
    """A tip-off that the coal was back, made while the case was 已整改待核查, was linked to it as a duplicate;
    closing the case left it open, listed nowhere and counted nowhere."""
    from cases.documents import follow_up_events
    from tests.cases.test_clerk_prints import _open

    case = notice_case(household=wulibao_household)
    before = _open(people, wulibao_community, household=wulibao_household, title="群众举报：楼道散煤（整改前）")
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    after = _open(people, wulibao_community, household=wulibao_household, title="群众举报：又有散煤")
    assert before.duplicate_of == after.duplicate_of == case

    case_close(actor=people["qu_admin"], case=case)

    before.refresh_from_db()
    after.refresh_from_db()
    assert before.duplicate_of == case  # what the rectification answered stays with it
    assert after.duplicate_of is None and after.notice_serial is not None and after.status == Case.Status.OPEN
    assert list(Case.objects.counted().filter(household=wulibao_household, status=Case.Status.OPEN)) == [after]
    assert after.pk in [c.pk for c in client_as("wulibao_admin").get("/cases/").context["object_list"]]
    record = [what for _at, _who, what in follow_up_events(after)]
    assert record[-1].startswith("不再是重复问题：原问题") and "已核查销号，本问题登记于其上报整改之后" in record[-1]


def test_a_recheck_undone_by_a_voided_visit_stays_cancelled_when_its_case_was_voided_meanwhile(
    people, notice_case, evidence, wulibao_household
):
    from cases.services import case_void
    from inspections.services import inspection_void

    case = close(people, notice_case(household=wulibao_household), evidence)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
        visit, _created = inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="no_coal"
        )
    assert list(case.rechecks.values_list("status", flat=True)) == ["done", "scheduled"]
    case_void(actor=people["qu_admin"], case=case, reason="误录")

    inspection_void(actor=people["qu_admin"], inspection=visit, reason="录错了户")

    assert list(case.rechecks.values_list("status", flat=True)) == ["cancelled", "cancelled"]


def test_coal_found_after_the_rectification_report_sends_the_case_back_and_a_void_undoes_it(
    client_as, people, notice_case, evidence, wulibao_household
):
    """An outside tester found coal at a place whose case was 已整改待核查: nothing showed on the case, and its
    verifier closed it as rectified."""
    from cases.documents import follow_up_events
    from inspections.services import inspection_void

    case = notice_case(household=wulibao_household)
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    earlier = timezone.now() - datetime.timedelta(hours=2)  # a night check synced late: the report answered it
    inspection_record(
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="night_check",
        outcome="loose_coal",
        started_at=earlier,
    )
    case.refresh_from_db()
    assert case.status == Case.Status.RECTIFIED

    visit, _created = inspection_record(
        actor=people["wulibao_inspector"], household=wulibao_household, kind="night_check", outcome="loose_coal"
    )

    case.refresh_from_db()
    assert case.status == Case.Status.RECTIFYING
    assert case.events.get(action="returned").inspection == visit
    assert "上报整改后" in follow_up_events(case)[-1][2]
    assert case.notifications.filter(kind="rebound").count() == 1
    page = client_as("qu_admin").get(case.get_absolute_url()).content.decode()
    assert "step-close" not in page  # nothing to verify until it is reported rectified again

    inspection_void(actor=people["qu_admin"], inspection=visit, reason="录错了户")

    case.refresh_from_db()
    assert case.status == Case.Status.RECTIFIED
    assert case.events.order_by("-at", "-id").first().action == "undone"


def test_a_rebound_takes_the_place_s_later_case_in_as_its_duplicate(
    client_as, people, notice_case, evidence, wulibao_household, wulibao_community
):
    """An outside tester: a tip-off stood alone when its original closed, then a visit found coal and reopened the
    original: two open cases at one place, both listed, due and counted."""
    from inspections.services import inspection_void
    from tests.cases.test_clerk_prints import _open

    case = notice_case(household=wulibao_household)
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    tip_off = _open(people, wulibao_community, household=wulibao_household, title="群众举报：又有散煤")
    case_close(actor=people["qu_admin"], case=case)
    tip_off.refresh_from_db()
    assert tip_off.duplicate_of is None

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=False):
        visit, _created = inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="loose_coal"
        )

    case.refresh_from_db()
    tip_off.refresh_from_db()
    assert (case.status, case.rebounds) == (Case.Status.OPEN, 1)
    assert tip_off.duplicate_of == case
    assert list(Case.objects.counted().unfinished().filter(household=wulibao_household)) == [case]

    inspection_void(actor=people["qu_admin"], inspection=visit, reason="录错了户")

    case.refresh_from_db()
    tip_off.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert tip_off.duplicate_of is None
    assert list(Case.objects.counted().unfinished().filter(household=wulibao_household)) == [tip_off]


def test_a_visit_entered_by_the_minute_counts_after_a_step_taken_seconds_earlier_in_that_minute(
    people, notice_case, evidence, wulibao_household
):
    """An outside clerk entered a visit "now" (the page's form keeps minutes: 11:10) just after the case was reported
    rectified at 11:10:35: the finding was taken for one from before the report and ignored."""
    case = notice_case(household=wulibao_household)
    reported_at = timezone.now().replace(second=35, microsecond=0)
    with time_machine.travel(reported_at, tick=False):
        case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    with time_machine.travel(reported_at + datetime.timedelta(seconds=10), tick=False):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=wulibao_household,
            kind="survey",
            outcome="loose_coal",
            started_at=reported_at.replace(second=0),
        )

    case.refresh_from_db()
    assert case.status == Case.Status.RECTIFYING


def test_a_rebound_undone_by_a_voided_visit_is_counted_nowhere(
    client_as, people, notice_case, evidence, wulibao_household, wulibao_community
):
    """An outside tester: after the visit that reopened a case was voided, the unit page still said 问题反弹 1 and
    listed the closed case under it."""
    from cases.selectors import case_figures
    from inspections.services import inspection_void

    close(people, notice_case(household=wulibao_household), evidence)
    visit, _created = inspection_record(
        actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="loose_coal"
    )
    assert case_figures(codes=[wulibao_community.code]).rebounds == 1

    inspection_void(actor=people["qu_admin"], inspection=visit, reason="录错了户")

    assert case_figures(codes=[wulibao_community.code]).rebounds == 0
    page = client_as("wulibao_admin").get(f"/units/{wulibao_community.code}/")
    listed = client_as("wulibao_admin").get(page.context["case_links"]["rebounds"]).context["object_list"]
    assert (page.context["cases"].rebounds, list(listed)) == (0, [])
