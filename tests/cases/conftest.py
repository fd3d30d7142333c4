import datetime

import pytest

from cases.models import Case, SupervisionNotice
from cases.services import ProblemInput, notice_record


@pytest.fixture
def notice_case(people, erqi, wulibao_community):
    """make(level=..., unit=..., household=...) -> the one case of a new supervision notice."""
    counter = iter(range(1, 1000))

    def make(level=SupervisionNotice.Level.SUPERVISION_GROUP, unit=None, household=None, deadline=None):
        notice = notice_record(
            actor=people["qu_admin"],
            division=erqi,
            number=f"督查〔2017〕{next(counter)}号",
            issued_on=datetime.date(2017, 1, 5),
            level=level,
            title="散煤治理督导通报",
            problems=[
                ProblemInput(
                    responsible_unit=unit or wulibao_community,
                    title="楼道堆放散煤",
                    household=household,
                    deadline=deadline,
                )
            ],
        )
        return Case.objects.get(notice=notice)

    return make
