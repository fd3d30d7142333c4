"""A date in a filter or a report's period is bounded like every date a person enters: year 1 or 9999 in a
link is refused with the project's one message for it, on the field, instead of an empty list or a report of
all time that looks like an answer."""

import pytest

pytestmark = pytest.mark.django_db

TOO_EARLY = "日期过早"
TOO_LATE = "日期过晚"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/fieldwork/inspections/?date_after=0001-01-01", TOO_EARLY),
        ("/fieldwork/inspections/?date_before=9999-12-31", TOO_LATE),
        ("/fieldwork/bans/?date_after=0001-01-01", TOO_EARLY),
        ("/cases/?deadline_before=9999-12-31", TOO_LATE),
        ("/audit/?at_after=0001-01-01", TOO_EARLY),
        ("/units/410103006/?start=0001-01-01", TOO_EARLY),
        ("/units/410103006/?end=9999-12-31", TOO_LATE),
    ],
)
def test_a_far_off_date_in_a_list_filter_or_a_period_is_shown_as_wrong(client_as, url, message):
    response = client_as("qu_admin").get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    # Lists say their filter is wrong above the list and list nothing; a period is marked on its field, and the
    # page says its figures are then the whole history's.
    if url.startswith("/units/"):
        assert "is-invalid" in page and "下面的数字是全部时间的" in page
    else:
        assert 'data-testid="filter-errors"' in page and 'data-testid="result-count"' not in page


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/inspections/?date_after=0001-01-01",
        "/api/v1/cases/?deadline_before=9999-12-31",
        "/api/v1/readings/?date_after=0001-01-01",
    ],
)
def test_the_api_refuses_a_far_off_filter_date_with_a_field_error(api_as, url):
    response = api_as("qu_admin").get(url)

    assert response.status_code == 400, response.content
    errors = response.json()
    assert any("请检查" in message for messages in errors.values() for message in messages), errors


def test_a_date_within_the_bounds_filters_as_before(client_as):
    page = client_as("qu_admin").get("/fieldwork/inspections/?date_after=2024-11-15").content.decode()

    assert TOO_EARLY not in page and 'data-testid="filter-errors"' not in page


@pytest.mark.parametrize(
    "url", ["/cases/?division=410103006", "/households/?division=410103006", "/cases/notices/?division=410103006"]
)
def test_another_subdistricts_unit_in_a_filter_is_said_as_wrong_above_an_empty_list(client_as, url):
    """An outside tester's 淮河路 inspector asking the cases for 五里堡 got a field error and "共 0 个问题", where the
    visits' list said the filter was wrong and listed nothing: every list now says it the same way."""
    page = client_as("huaihelu_inspector").get(url).content.decode()

    assert 'data-testid="filter-errors"' in page and "筛选条件有误，未列出任何记录" in page
    assert "共 0 个问题" not in page
