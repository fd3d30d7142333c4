"""A pasted supervision notice names units as people write them: 建新南街社区, 五里堡街道建新南街社区, 尖岗村 —
not only 建新南街社区居民委员会 or a 12-digit code; an ambiguous name is flagged with its candidates."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Case, SupervisionNotice
from divisions.models import Division

pytestmark = pytest.mark.django_db


def _paste(client, division, table: str):
    return client.post(
        "/cases/notices/new/",
        {
            "division": division.pk,
            "number": "二七散煤督〔2017〕5号",
            "issued_on": "2017-01-05",
            "level": "supervision_group",
            "title": "关于散煤治理问题的督导通报",
            "table": table,
        },
    )


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("建新南街社区", "410103006002"),
        ("五里堡街道建新南街社区", "410103006002"),
        ("五里堡街道 建新南街社区", "410103006002"),
        ("二七区五里堡街道建新南街社区", "410103006002"),
        ("建新南街社区居委会", "410103006002"),
        ("建新南街社区居民委员会", "410103006002"),
        ("410103006002", "410103006002"),
        ("尖岗村", "410103015200"),
        ("尖岗村委会", "410103015200"),
        ("福华南街社区", None),  # 福华南街社区委员会
        ("五里堡街道", "410103006"),
        ("五里堡街道办事处", "410103006"),
    ],
)
def test_a_unit_is_found_by_the_name_a_notice_gives_it(client_as, erqi, written, code):
    response = _paste(client_as("qu_admin"), erqi, f"{written}\t楼道堆放散煤\t严重")

    assert response.status_code == 302
    case = Case.objects.get()
    if code is None:
        assert case.responsible_unit.name == "福华南街社区委员会"
    else:
        assert case.responsible_unit.code == code


def test_a_name_two_subdistricts_share_is_flagged_with_both_candidates_and_saves_nothing(
    client_as, erqi, wulibao, huaihelu
):
    twin = Division.objects.create(
        code=huaihelu.code + "999", name="建新南街社区委员会", level="community", parent=huaihelu
    )
    client = client_as("qu_admin")

    ambiguous = _paste(client, erqi, "建新南街社区\t楼道堆放散煤")

    assert ambiguous.status_code == 200
    [message] = ambiguous.context["form"].errors["table"]
    assert message.startswith("第 1 行：“建新南街社区”可能指")
    assert "五里堡街道建新南街社区居民委员会（410103006002）" in message
    assert f"淮河路街道建新南街社区委员会（{twin.code}）" in message
    assert not SupervisionNotice.objects.exists()

    resolved = _paste(client, erqi, "淮河路街道建新南街社区\t楼道堆放散煤")
    assert resolved.status_code == 302
    assert Case.objects.get().responsible_unit == twin


def test_a_short_name_outside_the_users_reach_is_refused_like_a_full_one(client_as, wulibao, huaihelu):
    huaihelu_community = huaihelu.children.order_by("code").first()
    short = huaihelu_community.name.replace("社区居民委员会", "社区")

    response = _paste(client_as("wulibao_admin"), wulibao, f"{short}\t问题\n建新南街社区\t问题")

    assert response.status_code == 200
    assert response.context["form"].errors["table"] == [f"第 1 行：五里堡街道内没有您可交办的单位“{short}”。"]
    assert not Case.objects.exists()


def test_a_subdistrict_receiving_a_notice_may_write_its_own_name_in_front(client_as, wulibao):
    response = _paste(client_as("wulibao_admin"), wulibao, "五里堡街道建新北街社区\t问题")

    assert response.status_code == 302
    assert Case.objects.get().responsible_unit.code == "410103006005"


@pytest.mark.parametrize("comma", ["，", ","])
def test_a_tabbed_row_whose_problem_has_a_comma_keeps_the_comma_in_the_problem(client_as, erqi, comma):
    deadline = timezone.localdate() + datetime.timedelta(days=5)

    response = _paste(client_as("qu_admin"), erqi, f"尖岗村\t村内散煤销售点反弹{comma}需取缔\t严重\t{deadline}")

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.responsible_unit.code, case.title) == ("410103015200", f"村内散煤销售点反弹{comma}需取缔")
    assert (case.severity, case.deadline) == (Case.Severity.SERIOUS, deadline)


@pytest.mark.parametrize(
    ("row", "title", "severity", "days"),
    [
        ("尖岗村，村内散煤销售点反弹，需取缔，严重，{d}", "村内散煤销售点反弹，需取缔", "serious", 5),
        ("尖岗村,村内散煤销售点反弹,需取缔,轻微", "村内散煤销售点反弹,需取缔", "minor", None),
        ("尖岗村，村内散煤销售点反弹，需取缔", "村内散煤销售点反弹，需取缔", "normal", None),
        ("尖岗村，楼道堆放散煤，，{d}", "楼道堆放散煤", "normal", 5),
    ],
)
def test_a_comma_row_takes_the_unit_first_and_severity_and_deadline_from_the_end(
    client_as, erqi, row, title, severity, days
):
    deadline = timezone.localdate() + datetime.timedelta(days=days or 0)

    response = _paste(client_as("qu_admin"), erqi, row.format(d=deadline))

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.responsible_unit.code, case.title, case.severity) == ("410103015200", title, severity)
    if days:
        assert case.deadline == deadline


def test_every_row_error_names_its_line_the_same_way(client_as, erqi):
    table = "\n".join(
        [
            "尖岗村\t问题\t很严重",
            "尖岗村\t问题\t严重\t明天",
            "尖岗村\t问题\t严重\t2017-01-01",
            "尖岗村\t问题\t严重\t9999-01-01",
            "尖岗村\t\t严重",
            "尖岗村\t问题\t严重\t2026-12-05\t多余",
        ]
    )

    response = _paste(client_as("qu_admin"), erqi, table)

    assert response.status_code == 200
    errors = response.context["form"].errors["table"]
    assert [error[:6] for error in errors] == [f"第 {n} 行：" for n in range(1, 7)]
    assert errors[0] == "第 1 行：严重程度只能填“严重”“一般”或“轻微”。"
    assert errors[5] == "第 6 行：列数超过四列（单位、问题、严重程度、整改期限）。"
    assert not Case.objects.exists()


@pytest.mark.parametrize("written", ["{d:%Y-%m-%d}", "{d:%Y/%m/%d}", "{d.year}年{d.month}月{d.day}日", "{d:%Y.%m.%d}"])
def test_a_deadline_is_read_as_notices_and_spreadsheets_write_it(client_as, erqi, written):
    deadline = timezone.localdate() + datetime.timedelta(days=20)

    rows = [separator.join(["尖岗村", "楼道堆煤", "严重", written]) for separator in ("\t", "，")]
    response = _paste(client_as("qu_admin"), erqi, "\n".join(rows).format(d=deadline))

    assert response.status_code == 302, response.context["form"].errors
    assert list(Case.objects.values_list("deadline", flat=True)) == [deadline, deadline]


def test_the_example_row_shows_a_deadline_the_form_accepts(client_as, erqi):
    page = client_as("qu_admin").get("/cases/notices/new/")
    example = page.context["form"].fields["table"].widget.attrs["placeholder"]

    assert _paste(client_as("qu_admin"), erqi, example.replace("五里堡街道", "尖岗村")).status_code == 302
    assert Case.objects.get().deadline == timezone.localdate() + datetime.timedelta(days=14)
