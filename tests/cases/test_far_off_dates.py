"""Every date a person enters in the cases app is bounded like a visit's: year 1 and year 9999 are refused with
a clear message, on the page and in the API, and nothing is saved."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Accountability, Case, SupervisionNotice
from coalgov.dates import PLANNING_AHEAD

pytestmark = pytest.mark.django_db

FAR_OFF = ["0001-01-01", "9999-12-31"]
TOO_EARLY = "日期过早（不得早于1990-01-01），请检查。"
BEYOND_PLANNING = "日期超出了可计划的范围（最晚为{latest}），请检查。"
IN_THE_FUTURE = "不能填写未来的日期。"


def _message(day: str, *, planned: bool) -> str:
    if day < "2000":
        return TOO_EARLY
    return _beyond_planning() if planned else IN_THE_FUTURE


def _beyond_planning() -> str:
    return BEYOND_PLANNING.format(latest=(timezone.localdate() + PLANNING_AHEAD).isoformat())


@pytest.mark.parametrize("day", FAR_OFF)
def test_a_case_opened_with_a_far_off_deadline_is_refused_on_the_page(client_as, wulibao_community, day):
    response = client_as("wulibao_admin").post(
        "/cases/new/",
        {
            "source": "tip_off",
            "responsible_unit": wulibao_community.pk,
            "title": "楼道堆放散煤",
            "severity": "normal",
            "deadline": day,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["deadline"] == [_message(day, planned=True)]
    assert not Case.objects.exists()


def test_a_deadline_next_month_is_fine_but_not_two_years_ahead(client_as, wulibao_community):
    data = {"source": "tip_off", "responsible_unit": wulibao_community.pk, "title": "楼道堆放散煤"}
    data["severity"] = "normal"
    today = timezone.localdate()
    client = client_as("wulibao_admin")

    assert client.post("/cases/new/", {**data, "deadline": today + datetime.timedelta(days=30)}).status_code == 302
    refused = client.post("/cases/new/", {**data, "deadline": today + datetime.timedelta(days=800)})

    assert refused.context["form"].errors["deadline"] == [_beyond_planning()]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("day", FAR_OFF)
def test_moving_a_deadline_to_a_far_off_day_is_refused_on_the_case_page(client_as, notice_case, day):
    case = notice_case()
    before = case.deadline

    response = client_as("qu_admin").post(
        case.get_absolute_url(), {"step": "deadline", "deadline-deadline": day, "deadline-reason": "延期"}
    )

    assert response.status_code == 400
    assert _message(day, planned=True) in response.content.decode()
    case.refresh_from_db()
    assert case.deadline == before


@pytest.mark.parametrize("day", FAR_OFF)
def test_a_notice_dated_or_with_a_deadline_far_off_is_refused_naming_the_line(client_as, erqi, wulibao, day):
    client = client_as("qu_admin")
    data = {"division": erqi.pk, "number": "督〔2017〕1号", "level": "district", "title": "督导通报"}

    dated = client.post("/cases/notices/new/", {**data, "issued_on": day, "table": f"{wulibao.name}\t问题"})
    assert dated.context["form"].errors["issued_on"] == [_message(day, planned=False)]

    issued_on = timezone.localdate().isoformat()
    table = f"{wulibao.name}\t问题一\n{wulibao.name}\t问题二\t严重\t{day}"
    deadline = client.post("/cases/notices/new/", {**data, "issued_on": issued_on, "table": table})
    assert deadline.context["form"].errors["table"] == [f"第 2 行：{_message(day, planned=True)}"]

    table = f"{wulibao.name}\t问题\t\t2017-01-01"
    past = client.post("/cases/notices/new/", {**data, "issued_on": issued_on, "table": table})
    assert past.context["form"].errors["table"] == ["第 1 行：整改期限已过。"]
    assert not SupervisionNotice.objects.exists() and not Case.objects.exists()


@pytest.mark.parametrize("day", FAR_OFF)
def test_an_accountability_measure_dated_far_off_is_refused_on_the_page(client_as, wulibao, day):
    response = client_as("qu_admin").post(
        "/cases/accountability/new/", {"kind": "interview", "unit": wulibao.pk, "reason": "多次逾期", "decided_on": day}
    )

    assert response.context["form"].errors["decided_on"] == [_message(day, planned=False)]
    assert not Accountability.objects.exists()


@pytest.mark.parametrize("day", FAR_OFF)
def test_the_api_refuses_far_off_dates_field_by_field(api_as, erqi, notice_case, wulibao, wulibao_community, day):
    api = api_as("qu_admin")
    planned, past = _message(day, planned=True), _message(day, planned=False)

    case = api.post(
        "/api/v1/cases/",
        {"source": "tip_off", "responsible_unit": wulibao_community.code, "title": "散煤", "deadline": day},
        format="json",
    )
    assert case.status_code == 400 and case.json()["deadline"] == [planned]

    existing = notice_case()
    moved = api.post(f"/api/v1/cases/{existing.pk}/deadline/", {"deadline": day, "reason": "延期"}, format="json")
    assert moved.status_code == 400 and moved.json()["deadline"] == [planned]

    notice = {"division": erqi.code, "number": "督〔2017〕9号", "level": "city", "title": "通报"}
    problem = {"responsible_unit": wulibao.code, "title": "问题"}
    dated = api.post("/api/v1/notices/", {**notice, "issued_on": day, "problems": [problem]}, format="json")
    assert dated.status_code == 400 and dated.json()["issued_on"] == [past]
    with_deadline = api.post(
        "/api/v1/notices/",
        {**notice, "issued_on": "2017-01-05", "problems": [problem, {**problem, "deadline": day}]},
        format="json",
    )
    assert with_deadline.status_code == 400 and with_deadline.json()["problems"] == [f"第 2 项问题：{planned}"]

    measure = api.post(
        "/api/v1/accountability/",
        {"kind": "criticism", "unit": wulibao.code, "reason": "逾期", "decided_on": day},
        format="json",
    )
    assert measure.status_code == 400 and measure.json()["decided_on"] == [past]

    assert Case.objects.count() == 1 and SupervisionNotice.objects.count() == 1
    assert not Accountability.objects.exists()
    existing.refresh_from_db()
    assert existing.deadline != datetime.date.fromisoformat(day)
