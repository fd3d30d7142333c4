"""Demo cases for `manage.py load_demo`: a supervision group's notice and its cases at every stage."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from PIL import Image

from divisions.models import Division
from households.models import Household
from inspections.photos import CheckedPhoto

from . import services
from .models import Accountability, Case, SupervisionNotice

PAST_DAYS = 12  # how long ago the demo notice came


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
    # Places with no case yet (night checks may have opened some): each demo case is the place's first.
    places = list(Household.objects.current().filter(division=worker_unit, cases__isnull=True).order_by("pk")[:6])
    wulibao = Division.objects.get(code="410103006")
    huaihelu = Division.objects.get(code="410103001")
    today = timezone.localdate()
    # The two problems left to run past their deadlines come first: their notices are back-dated to when the
    # supervision notice came (below), so they take the first numbers and the series rises with its dates.
    problems = [
        services.ProblemInput(responsible_unit=huaihelu, title="洗浴中心燃煤锅炉未拆除"),
        services.ProblemInput(responsible_unit=worker_unit, title="社区散煤清零台账未上报"),
        services.ProblemInput(responsible_unit=worker_unit, title="楼道堆放散煤未清理", household=places[0]),
        services.ProblemInput(
            responsible_unit=worker_unit,
            title="沿街门店使用小煤炉",
            household=places[1],
            severity=Case.Severity.SERIOUS,
        ),
        services.ProblemInput(responsible_unit=worker_unit, title="无主管楼院排查台账不全", household=places[2]),
        services.ProblemInput(responsible_unit=wulibao, title="夜查发现散煤反弹", severity=Case.Severity.SERIOUS),
        services.ProblemInput(responsible_unit=worker_unit, title="门前煤渣未清运", household=places[4]),
    ]
    notice = services.notice_record(
        actor=admin,
        division=Division.objects.get(code="410103"),
        number=f"二七散煤督〔{today:%Y}〕1号",
        issued_on=today - datetime.timedelta(days=PAST_DAYS + 1),
        level=SupervisionNotice.Level.SUPERVISION_GROUP,
        title="关于近期散煤治理督导检查发现问题的通报",
        text="督导组于近日对各街道散煤治理工作开展督导检查，发现以下问题，请责任单位限期整改。",
        problems=problems,
    )
    ordered = list(notice.cases.order_by("pk"))
    late, (closed, awaiting, started, _night, returned) = ordered[:2], ordered[2:]
    # One closed (with its re-checks scheduled), one awaiting verification, one being rectified.
    services.case_rectify(actor=worker, case=closed, note="已全部清理，居民签字确认", photos=_photo())
    services.case_close(actor=subdistrict, case=closed, note="街道核查属实")
    services.case_rectify(actor=worker, case=awaiting, note="小煤炉已没收销毁", photos=_photo())
    services.case_start(actor=worker, case=started, note="正在补充台账")
    # One reported rectified and sent back: being rectified again.
    services.case_rectify(actor=worker, case=returned, note="已清理", photos=_photo())
    services.case_return(actor=subdistrict, case=returned, note="现场仍有煤渣，请彻底清理")
    # Two left to run past their deadlines (a subdistrict's and a community's): the notice was issued weeks
    # ago, and the morning task runs for each morning since, marking them overdue and escalating them one
    # level, then (where the service escalates again after the escalated unit's own deadline) another.
    issued = timezone.now() - datetime.timedelta(days=PAST_DAYS)
    deadline = today - datetime.timedelta(days=PAST_DAYS - 2)
    for case in late:
        # The clock, not a state: the deadline the case would have had when the notice was issued (and the
        # notice demanded). Their numbers (1 and 2) were taken first, so the series still rises with its dates.
        Case.objects.filter(pk=case.pk).update(
            opened_at=issued, deadline=deadline, notice_issued_on=timezone.localdate(issued), notice_deadline=deadline
        )
    for days_ago in range(PAST_DAYS - 3, -1, -1):
        services.cases_check_deadlines(today=today - datetime.timedelta(days=days_ago))
    _rebound_duplicate_void(admin=admin, worker=worker, subdistrict=subdistrict, places=places)
    _numbers_in_date_order()
    return Case.objects.count()


def _numbers_in_date_order() -> None:
    """The demo back-dates some notices after other cases (night checks loaded before it, for one) took numbers
    today: renumber each series by issue date, as a clerk's register reads — a later number never dated before
    an earlier one. Demo data only: a real series is never renumbered (cases/numbering.py)."""
    numbered = Case.objects.filter(notice_serial__isnull=False).order_by("notice_issued_on", "opened_at", "pk")
    series: dict = {}
    for case in numbered:
        series.setdefault((case.notice_issuer_id, case.notice_year), []).append(case)
    with transaction.atomic():
        for cases in series.values():
            # Out of the way first: the series' numbers are unique at every step.
            offset = max(case.notice_serial for case in cases)
            for case in cases:
                Case.objects.filter(pk=case.pk).update(notice_serial=case.notice_serial + offset)
            for serial, case in enumerate(cases, start=1):
                Case.objects.filter(pk=case.pk).update(notice_serial=serial)


def _rebound_duplicate_void(*, admin, worker, subdistrict, places) -> None:
    """A case closed and reopened by a re-check that found coal again (a rebound, flagged for accountability),
    a tip-off about a place whose case is still open (a duplicate), and a case opened in error (voided)."""
    from inspections.models import Inspection, Seizure
    from inspections.services import SeizureInput, inspection_record

    rebound = services.case_open(
        actor=admin,
        source=Case.Source.SPOT_CHECK,
        responsible_unit=places[5].division,
        household=places[5],
        title="督导抽查发现居民存煤",
    )
    services.case_rectify(actor=worker, case=rebound, note="存煤已收购", photos=_photo())
    services.case_close(actor=subdistrict, case=rebound, note="复核属实")
    inspection_record(
        actor=worker,
        household=places[5],
        kind=Inspection.Kind.RECHECK,
        outcome=Inspection.Outcome.LOOSE_COAL,
        started_at=timezone.now(),
        seizures=[SeizureInput(Seizure.Item.LOOSE_COAL, Decimal(60), "confiscated")],
    )
    services.accountability_record(
        actor=admin,
        kind=Accountability.Kind.CRITICISM,
        unit=places[5].division,
        reason="整改后回头看发现散煤反弹",
        cases=[rebound],
    )
    services.case_open(
        actor=admin,
        source=Case.Source.TIP_OFF,
        responsible_unit=places[2].division,
        household=places[2],
        title="群众举报：无主管楼院有人烧煤",
        reporter_name="匿名",
        reporter_contact="12345",
    )
    mistaken = services.case_open(
        actor=admin, source=Case.Source.TIP_OFF, responsible_unit=places[4].division, title="举报地址有误"
    )
    services.case_void(actor=admin, case=mistaken, reason="举报地址不在本辖区，录入错误")
