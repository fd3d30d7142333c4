"""What the 督办单's record says (an outside clerk's findings): a reopened case's entry states its deadline change
as a 调整整改期限 entry does, and a duplicate's entry names its original by the original's notice number."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from cases.documents import follow_up_events, follow_up_rows
from cases.services import case_close, case_rectify
from inspections.services import inspection_record
from tests.cases.test_clerk_prints import _open

pytestmark = pytest.mark.django_db


def _chinese(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def test_a_reopened_cases_record_says_how_its_deadline_changed(people, wulibao_community, wulibao_household, evidence):
    case = _open(people, wulibao_community, household=wulibao_household)
    served = case.deadline
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    case_close(actor=people["qu_admin"], case=case)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=30), tick=False):
        inspection_record(
            actor=people["wulibao_inspector"], household=wulibao_household, kind="recheck", outcome="loose_coal"
        )
    case.refresh_from_db()
    assert case.deadline != served

    reopened = [what for _at, _who, what in follow_up_events(case) if what.startswith("重新交办")]
    assert reopened == [f"重新交办：再次发现散煤，整改期限由{_chinese(served)}调整为{_chinese(case.deadline)}"]
    # The sheet's 整改期限 row tells of the change the record now explains.
    assert "已调整" in dict(follow_up_rows(case))["整改期限"]


def test_a_duplicates_record_names_the_originals_notice_number(people, wulibao_community, wulibao_household):
    original = _open(people, wulibao_community, household=wulibao_household)
    duplicate = _open(people, wulibao_community, household=wulibao_household, title="群众举报：楼道有散煤")
    assert duplicate.duplicate_of == original

    record = " ".join(what for _at, _who, what in follow_up_events(duplicate))
    number = f"二七散煤办〔{original.notice_year}〕{original.notice_serial}号"
    assert f"标记为重复：与{number}所列问题重复" in record
    assert f"#{original.pk}" not in record
