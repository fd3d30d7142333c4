"""A unit can open the supervision notice its own case came from — seeing only its own problems in it, never
another unit's; a user with no case in a notice sent above them still gets 404."""

import datetime

import pytest

from cases.models import Case, SupervisionNotice
from cases.services import ProblemInput, notice_record

pytestmark = pytest.mark.django_db

TEXT = "经督导组检查，五里堡街道、淮河路街道存在以下问题"


@pytest.fixture
def notice(people, erqi, wulibao_community, huaihelu_community):
    """A district-received notice with a problem for 五里堡 and one for 淮河路."""
    return notice_record(
        actor=people["qu_admin"],
        division=erqi,
        number="二七散煤督〔2017〕9号",
        issued_on=datetime.date(2017, 1, 5),
        level=SupervisionNotice.Level.SUPERVISION_GROUP,
        title="关于散煤治理问题的督导通报",
        text=TEXT,
        problems=[
            ProblemInput(responsible_unit=wulibao_community, title="五里堡楼道堆放散煤"),
            ProblemInput(responsible_unit=huaihelu_community, title="淮河路门店烧煤"),
        ],
    )


@pytest.mark.parametrize(
    ("username", "own", "other"),
    [
        ("huaihelu_inspector", "淮河路门店烧煤", "五里堡楼道堆放散煤"),
        ("wulibao_worker", "五里堡楼道堆放散煤", "淮河路门店烧煤"),
    ],
)
def test_a_unit_opens_the_notice_of_its_case_and_sees_only_its_own_problems(client_as, notice, username, own, other):
    client = client_as(username)
    case = Case.objects.get(notice=notice, title=own)

    case_page = client.get(case.get_absolute_url()).content.decode()
    assert notice.get_absolute_url() in case_page
    page = client.get(notice.get_absolute_url())

    assert page.status_code == 200
    body = page.content.decode()
    assert own in body
    assert other not in body
    assert TEXT not in body  # the notice's own text may name other units' problems
    listing = client.get("/cases/notices/").content.decode()
    assert notice.number in listing and "暂无通报" not in listing


def test_the_receiving_unit_sees_the_whole_notice(client_as, notice):
    body = client_as("qu_admin").get(notice.get_absolute_url()).content.decode()

    assert "五里堡楼道堆放散煤" in body and "淮河路门店烧煤" in body and TEXT in body


def test_a_user_with_no_case_in_a_notice_gets_404(client_as, people, erqi, wulibao_other_community):
    elsewhere = notice_record(
        actor=people["qu_admin"],
        division=erqi,
        number="二七散煤督〔2017〕10号",
        issued_on=datetime.date(2017, 1, 5),
        level=SupervisionNotice.Level.DISTRICT,
        title="督导通报",
        problems=[ProblemInput(responsible_unit=wulibao_other_community, title="邻近社区的问题")],
    )

    for username in ("huaihelu_inspector", "wulibao_worker", "nobody"):
        client = client_as(username)
        assert client.get(elsewhere.get_absolute_url()).status_code == 404, username
        assert elsewhere.number not in client.get("/cases/notices/").content.decode()
    assert client_as("wulibao_admin").get(elsewhere.get_absolute_url()).status_code == 200


def test_the_api_lists_only_the_callers_problems_of_a_notice(api_as, notice):
    huaihelu_case = Case.objects.get(notice=notice, title="淮河路门店烧煤")

    api = api_as("huaihelu_inspector")
    one = api.get(f"/api/v1/notices/{notice.pk}/").json()
    listed = api.get("/api/v1/notices/").json()["results"]

    assert one["cases"] == [huaihelu_case.pk] and one["text"] is None
    assert [n["cases"] for n in listed] == [[huaihelu_case.pk]]
    whole = api_as("qu_admin").get(f"/api/v1/notices/{notice.pk}/").json()
    assert len(whole["cases"]) == 2 and whole["text"] == TEXT
    assert api_as("nobody").get(f"/api/v1/notices/{notice.pk}/").status_code == 404


def test_the_notice_list_costs_the_same_queries_for_one_notice_or_many(
    client_as, api_as, people, erqi, notice, huaihelu_community, django_assert_max_num_queries
):
    client, api = client_as("huaihelu_inspector"), api_as("huaihelu_inspector")
    with django_assert_max_num_queries(50) as page:
        client.get("/cases/notices/")
    with django_assert_max_num_queries(50) as listed:
        assert len(api.get("/api/v1/notices/").json()["results"]) == 1
    for n in range(5):
        notice_record(
            actor=people["qu_admin"],
            division=erqi,
            number=f"督〔2017〕{20 + n}号",
            issued_on=datetime.date(2017, 1, 5),
            level=SupervisionNotice.Level.DISTRICT,
            title="督导通报",
            problems=[ProblemInput(responsible_unit=huaihelu_community, title=f"问题{n}")],
        )

    with django_assert_max_num_queries(len(page.captured_queries)):
        assert client.get("/cases/notices/").content.decode().count("督〔2017〕") == 6
    with django_assert_max_num_queries(len(listed.captured_queries)):
        assert len(api.get("/api/v1/notices/").json()["results"]) == 6
