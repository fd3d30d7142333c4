"""Demo cases for `manage.py load_demo`: a supervision group's notice and its cases at every stage."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from PIL import Image

from divisions.models import Division
from households.models import Household
from inspections.photos import CheckedPhoto

from . import services
from .models import Case, SupervisionNotice


def _photo() -> list[CheckedPhoto]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 90)).save(out, "JPEG")
    data = out.getvalue()
    return [CheckedPhoto(image=data, thumbnail=data, width=320, height=240, latitude=None, longitude=None)]


def demo_cases(*, users: dict) -> int:
    if SupervisionNotice.objects.exists():
        return 0
    admin, worker, subdistrict = users["qu_admin"], users["wulibao_worker"], users["wulibao_admin"]
    worker_unit = worker.memberships.get().division
    places = list(Household.objects.current().filter(division=worker_unit).order_by("pk")[:5])
    wulibao = Division.objects.get(code="410103006")
    huaihelu = Division.objects.get(code="410103001")
    today = timezone.localdate()
    problems = [
        services.ProblemInput(responsible_unit=worker_unit, title="楼道堆放散煤未清理", household=places[0]),
        services.ProblemInput(
            responsible_unit=worker_unit,
            title="沿街门店使用小煤炉",
            household=places[1],
            severity=Case.Severity.SERIOUS,
        ),
        services.ProblemInput(responsible_unit=worker_unit, title="无主管楼院排查台账不全", household=places[2]),
        services.ProblemInput(responsible_unit=wulibao, title="夜查发现散煤反弹", severity=Case.Severity.SERIOUS),
        services.ProblemInput(responsible_unit=huaihelu, title="洗浴中心燃煤锅炉未拆除"),
    ]
    notice = services.notice_record(
        actor=admin,
        division=Division.objects.get(code="410103"),
        number=f"二七散煤督〔{today:%Y}〕1号",
        issued_on=today - datetime.timedelta(days=8),
        level=SupervisionNotice.Level.SUPERVISION_GROUP,
        title="关于近期散煤治理督导检查发现问题的通报",
        text="督导组于近日对各街道散煤治理工作开展督导检查，发现以下问题，请责任单位限期整改。",
        problems=problems,
    )
    cases = list(notice.cases.order_by("pk"))
    # One closed (with its re-checks scheduled), one awaiting verification, one being rectified.
    services.case_rectify(actor=worker, case=cases[0], note="已全部清理，居民签字确认", photos=_photo())
    services.case_close(actor=subdistrict, case=cases[0], note="街道核查属实")
    services.case_rectify(actor=worker, case=cases[1], note="小煤炉已没收销毁", photos=_photo())
    services.case_start(actor=worker, case=cases[2], note="正在补充台账")
    # One left to run past its deadline: the periodic task marks it overdue and escalates it.
    Case.objects.filter(pk=cases[4].pk).update(
        opened_at=timezone.now() - datetime.timedelta(days=8), deadline=today - datetime.timedelta(days=3)
    )
    services.cases_check_deadlines(today=today)
    return len(cases)
