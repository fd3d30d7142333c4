"""A voided case can be found again (why was it voided, by whom), and a duplicate shown on request says whose
duplicate it is: before, /cases/ could not list a voided case at all, and a duplicate looked like any case."""

import pytest

from cases.services import case_void
from tests.cases.test_clerk_prints import _open

pytestmark = pytest.mark.django_db
URL = "/cases/"


@pytest.fixture
def cases(people, wulibao_community, huaihelu_community, wulibao_household):
    current = _open(people, wulibao_community, household=wulibao_household)
    duplicate = _open(people, wulibao_community, household=wulibao_household, title="群众举报：楼道有散煤")
    voided = case_void(
        actor=people["qu_admin"], case=_open(people, wulibao_community, title="录错的问题"), reason="录入错误"
    )
    elsewhere = case_void(
        actor=people["qu_admin"], case=_open(people, huaihelu_community, title="淮河路的问题"), reason="录入错误"
    )
    return current, duplicate, voided, elsewhere


def listed(client, **params) -> list[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return sorted(case.pk for case in response.context["object_list"])


def test_voided_cases_are_listed_only_when_asked_and_only_those(client_as, cases):
    current, _duplicate, voided, elsewhere = cases
    district = client_as("qu_admin")

    assert listed(district) == [current.pk]
    assert listed(district, voided="true") == sorted([voided.pk, elsewhere.pk])
    assert listed(district, voided="false") == [current.pk]
    page = district.get(URL, {"voided": "true"}).content.decode()
    assert "已作废" in page and "录错的问题" in page
    # The voided case's own page says why.
    assert "录入错误" in district.get(voided.get_absolute_url()).content.decode()


def test_a_subdistrict_sees_its_own_voided_cases_only_and_a_user_without_membership_none(client_as, cases):
    _current, _duplicate, voided, _elsewhere = cases

    assert listed(client_as("wulibao_admin"), voided="true") == [voided.pk]
    assert listed(client_as("nobody"), voided="true") == []


def test_a_duplicate_shown_on_request_names_its_original(client_as, cases):
    current, duplicate, _voided, _elsewhere = cases
    assert duplicate.duplicate_of == current

    response = client_as("qu_admin").get(URL, {"duplicates": "true"})
    assert sorted(case.pk for case in response.context["object_list"]) == sorted([current.pk, duplicate.pk])
    page = response.content.decode()
    assert f"与#{current.pk}重复" in page
    assert page.count('data-testid="duplicate-of"') == 1


def test_the_api_lists_voided_cases_when_asked_within_jurisdiction(client_as, cases):
    _current, _duplicate, voided, elsewhere = cases

    district = client_as("qu_admin").get("/api/v1/cases/", {"voided": "true"}).json()
    subdistrict = client_as("wulibao_admin").get("/api/v1/cases/", {"voided": "true"}).json()

    assert sorted(row["id"] for row in district["results"]) == sorted([voided.pk, elsewhere.pk])
    assert [row["id"] for row in subdistrict["results"]] == [voided.pk]


def test_voiding_the_original_makes_its_earliest_duplicate_the_case_of_the_place(
    client_as, people, wulibao_community, wulibao_household
):
    """An outside tester voided a case with an open duplicate: the duplicate vanished from every default list and
    every count, while the problem at the place was still open."""
    from cases.documents import follow_up_events
    from cases.models import Case

    original = _open(people, wulibao_community, household=wulibao_household)
    first = _open(people, wulibao_community, household=wulibao_household, title="群众举报：楼道有散煤")
    second = _open(people, wulibao_community, household=wulibao_household, title="督导抽查：楼道散煤")
    assert first.duplicate_of == second.duplicate_of == original and first.notice_serial is None

    case_void(actor=people["qu_admin"], case=original, reason="录入错误")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.duplicate_of is None and first.notice_serial is not None
    assert second.duplicate_of == first
    assert list(Case.objects.counted().filter(household=wulibao_household)) == [first]
    # The voided case's own record names the case that now stands for the place.
    voided_note = original.events.get(action="voided").note
    assert voided_note == f"录入错误（其重复问题 #{first.pk} 现为该处的问题）"
    assert "录入错误" in client_as("qu_admin").get(original.get_absolute_url()).content.decode()
    assert listed(client_as("qu_admin")) == [first.pk]
    number = f"二七散煤办〔{original.notice_year}〕{original.notice_serial}号"
    record = [what for _at, _who, what in follow_up_events(first)]
    assert record[-1] == f"不再是重复问题：原问题{number}已作废，本问题现为该处的问题。"
    # The second's record names each original it had, in turn.
    second_record = [what for _at, _who, what in follow_up_events(second)]
    first_number = f"二七散煤办〔{first.notice_year}〕{first.notice_serial}号"
    assert second_record[-2:] == [
        f"标记为重复：与{number}所列问题重复",
        f"标记为重复：原问题{number}已作废，改为与{first_number}所列问题重复",
    ]


def test_the_case_list_asks_for_dates_with_the_date_picker(client_as, cases):
    page = client_as("qu_admin").get(URL).content.decode()

    assert 'type="date" name="deadline_after"' in page and 'type="date" name="deadline_before"' in page


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/cases/", {"deadline_after": "2026-12-10", "deadline_before": "2026-12-01"}),
        ("/audit/", {"at_after": "2026-12-06", "at_before": "2026-12-01"}),
        ("/fieldwork/inspections/", {"date_after": "2026-12-06", "date_before": "2026-12-01"}),
    ],
)
def test_a_date_range_ending_before_it_starts_is_said_to_be_wrong_not_listed_as_nothing(client_as, cases, url, params):
    """An outside tester's reversed range gave an empty list and no word of why."""
    response = client_as("qu_admin").get(url, params)

    assert response.status_code in (200, 400)
    assert "截止日期早于起始日期" in response.content.decode()


def test_the_api_refuses_a_reversed_date_range(api_as, cases):
    response = api_as("qu_admin").get(
        "/api/v1/cases/", {"deadline_after": "2026-12-10", "deadline_before": "2026-12-01"}
    )

    assert response.status_code == 400
    assert response.json() == {"deadline": ["截止日期早于起始日期。"]}
