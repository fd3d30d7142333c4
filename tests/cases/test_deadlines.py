"""The periodic task: a reminder the day before, overdue and escalated once after, whatever the reruns."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from cases.models import Case, CaseEvent, Notification
from cases.services import case_set_deadline, cases_check_deadlines
from cases.tasks import check_case_deadlines
from coalgov.models import AuditEvent

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day: str, hour: int = 6):
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


def test_a_case_is_reminded_once_the_day_before_its_deadline(notice_case):
    with time_machine.travel(at("2017-01-05"), tick=False):
        case = notice_case(deadline=datetime.date(2017, 1, 10))
    with time_machine.travel(at("2017-01-09"), tick=False):
        first = check_case_deadlines()
        second = check_case_deadlines()

    assert (first["reminded"], second["reminded"]) == (1, 0)
    assert Notification.objects.filter(case=case, kind="reminder").count() == 1
    assert case.events.filter(action=CaseEvent.Action.REMINDED).count() == 1


def test_a_passed_deadline_makes_the_case_overdue_and_escalates_it_once(notice_case, wulibao, wulibao_community):
    with time_machine.travel(at("2017-01-05"), tick=False):
        case = notice_case(deadline=datetime.date(2017, 1, 10))
    with time_machine.travel(at("2017-01-10"), tick=False):
        assert cases_check_deadlines()["overdue"] == 0  # due today: not yet late
    with time_machine.travel(at("2017-01-11"), tick=False):
        first = cases_check_deadlines()
        second = cases_check_deadlines()
    with time_machine.travel(at("2017-01-12"), tick=False):
        third = cases_check_deadlines()

    assert (first["overdue"], second["overdue"], third["overdue"]) == (1, 0, 0)
    case.refresh_from_db()
    assert case.overdue_since == datetime.date(2017, 1, 11)
    assert case.escalated_to == wulibao  # community → subdistrict
    assert case.is_overdue
    assert case.events.filter(action=CaseEvent.Action.ESCALATED).count() == 1
    assert sorted(Notification.objects.filter(case=case).values_list("kind", "division_code")) == [
        ("escalated", wulibao.code),
        ("overdue", wulibao_community.code),
    ]


def test_a_case_rectified_before_its_deadline_is_not_made_overdue(people, notice_case, evidence):
    from cases.services import case_rectify

    with time_machine.travel(at("2017-01-05"), tick=False):
        case = notice_case(deadline=datetime.date(2017, 1, 10))
        case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=evidence)
    with time_machine.travel(at("2017-01-20"), tick=False):
        assert cases_check_deadlines() == {"reminded": 0, "overdue": 0, "escalated": 0, "proposed": 0}


def test_a_new_deadline_is_audited_with_who_and_from_what_to_what(people, notice_case):
    with time_machine.travel(at("2017-01-05"), tick=False):
        case = notice_case(deadline=datetime.date(2017, 1, 10))
        case_set_deadline(
            actor=people["wulibao_admin"], case=case, deadline=datetime.date(2017, 1, 20), reason="春节假期"
        )

    event = AuditEvent.objects.get(action="case.deadline")
    assert event.actor == people["wulibao_admin"]
    assert event.changes == {"deadline": ["2017-01-10", "2017-01-20"]}
    assert Case.objects.get(pk=case.pk).deadline == datetime.date(2017, 1, 20)
    assert timezone.localdate() > datetime.date(2017, 1, 20)  # the clock is back


def test_the_deadline_task_is_scheduled_every_morning_by_beat():
    from coalgov.celery import app

    entry = app.conf.beat_schedule["check-case-deadlines"]
    assert entry["task"] == "cases.tasks.check_case_deadlines"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
    assert app.conf.timezone == "Asia/Shanghai"
