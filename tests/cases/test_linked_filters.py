"""/cases/ narrowed to one notice's problems or one place's cases: reached from the notice's and the place's pages,
named on the list with a link that drops the filter. Before, the filter form asked a clerk for a notice's or a
place's record number, which no page shows, and a list narrowed that way did not say so."""

import pytest

from tests.cases.test_clerk_prints import _open

pytestmark = pytest.mark.django_db
URL = "/cases/"


def listed(response) -> list[int]:
    assert response.status_code == 200
    return sorted(case.pk for case in response.context["object_list"])


def test_a_notice_links_to_its_problems_in_the_list_and_the_list_names_the_notice(client_as, notice_case, people):
    case = notice_case()
    _open(people, case.responsible_unit, title="别的问题")
    client = client_as("qu_admin")

    notice_page = client.get(case.notice.get_absolute_url()).content.decode()
    assert f'href="/cases/?notice={case.notice_id}"' in notice_page

    response = client.get(URL, {"notice": case.notice_id, "status": "open"})
    assert listed(response) == [case.pk]
    page = response.content.decode()
    assert "督导通报：" in page and f"{case.notice.number} 散煤治理督导通报" in page
    # No box asking for a record number; the filter rides along in a hidden field when other filters change.
    assert f'<input type="hidden" name="notice" value="{case.notice_id}">' in page
    assert 'type="number" name="notice"' not in page and 'name="household"' not in page
    # Dropping it keeps the other filters.
    assert 'href="?status=open"' in page


def test_a_place_links_to_its_cases_and_the_list_names_the_place(
    client_as, people, wulibao_community, wulibao_household
):
    case = _open(people, wulibao_community, household=wulibao_household)
    _open(people, wulibao_community, title="别处的问题")
    client = client_as("wulibao_admin")

    assert (
        f'href="/cases/?household={wulibao_household.pk}"'
        in client.get(wulibao_household.get_absolute_url()).content.decode()
    )

    response = client.get(URL, {"household": wulibao_household.pk})
    assert listed(response) == [case.pk]
    page = response.content.decode()
    assert "场所：" in page and wulibao_household.label in page
    assert 'href="?"' in page


def test_a_place_out_of_jurisdiction_is_not_named_and_lists_nothing(
    client_as, people, wulibao_community, wulibao_household
):
    _open(people, wulibao_community, household=wulibao_household)

    response = client_as("huaihelu_inspector").get(URL, {"household": wulibao_household.pk})

    assert listed(response) == []
    page = response.content.decode()
    assert wulibao_household.label not in page
    assert f"场所：#{wulibao_household.pk}" in page


def test_a_malformed_number_is_shown_in_its_box_with_the_error(client_as):
    response = client_as("qu_admin").get(URL, {"notice": "abc"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="notice"' in page and "输入一个数字" in page
    assert 'data-testid="narrowed-by"' not in page
