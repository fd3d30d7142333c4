"""A query parameter an API list does not know is refused, not ignored: an outside tester's `?start=` (for
`?date_after=`) and `?community=` (for `?division=`) were answered with every record, as if filtered."""

import pytest

from inspections.services import inspection_record

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "misspelt"),
    [
        ("/api/v1/inspections/", "start"),
        ("/api/v1/households/", "community"),
        ("/api/v1/readings/", "start"),
        ("/api/v1/cases/", "status_in"),
    ],
)
def test_a_name_the_list_does_not_know_is_a_400_naming_it_and_the_filters_it_has(
    client_as, wulibao_household, url, misspelt
):
    response = client_as("qu_admin").get(url, {misspelt: "x", "page_size": "5"})

    assert response.status_code == 400
    (message,) = response.json()[misspelt]
    assert message.startswith("此列表没有这个筛选条件。可用的筛选条件：")
    assert list(response.json()) == [misspelt]  # page_size is known to every list


def test_the_names_a_list_has_are_taken_including_a_ranges_suffixed_ones(client_as, people, wulibao_household):
    inspection_record(actor=people["qu_admin"], household=wulibao_household, kind="survey", outcome="no_coal")
    client = client_as("qu_admin")

    said = client.get("/api/v1/inspections/", {"start": "2026-01-01"}).json()["start"][0]
    filters = said.split("可用的筛选条件：")[1].split("。")[0]
    assert "date_after, date_before" in filters and "division" in filters and "cursor" not in filters
    answered = client.get(
        "/api/v1/inspections/", {"date_after": "2000-01-01", "division": wulibao_household.division_code}
    )
    assert answered.status_code == 200 and len(answered.json()["results"]) == 1
    first = client.get("/api/v1/inspections/", {"page_size": "1", "format": "json"})
    assert first.status_code == 200
    assert client.get(first.json()["next"] or "/api/v1/inspections/").status_code == 200  # with its cursor


def test_an_unknown_name_is_refused_to_a_caller_who_sees_nothing_too(client_as):
    # The refusal says nothing of any record; the list would have been empty anyway.
    response = client_as("nobody").get("/api/v1/households/", {"community": "410103006001"})

    assert response.status_code == 400 and "community" in response.json()


def test_every_query_parameter_the_schema_documents_is_one_the_list_takes(client_as):
    """The other side of refusing unknown names: nothing the API's documentation offers is refused as unknown."""
    import yaml

    schema = yaml.safe_load(client_as("qu_admin").get("/api/v1/schema/").content)
    client = client_as("qu_admin")
    asked = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] != "query":
                continue
            answer = client.get(path, {parameter["name"]: ""})
            asked += 1
            refused = answer.json().get(parameter["name"], []) if answer.status_code == 400 else []
            assert not any("没有这个筛选条件" in str(m) for m in refused), (path, parameter["name"])
    assert asked > 50  # the lists' filters were all asked for


def test_a_list_without_filters_refuses_any_name_but_format(client_as):
    client = client_as("qu_admin")

    refused = client.get("/api/v1/departments/", {"foo": "1"})
    assert refused.status_code == 400 and refused.json() == {"foo": ["此列表没有筛选条件。"]}
    assert client.get("/api/v1/departments/", {"format": "json"}).status_code == 200


def test_a_page_number_is_told_how_the_pages_go_and_a_list_that_comes_whole_takes_no_page_size(client_as):
    client = client_as("qu_admin")

    (said,) = client.get("/api/v1/inspections/", {"page": "2"}).json()["page"]
    assert said.endswith("翻页请用 cursor 和 page_size（即 next 给出的链接）。")
    assert client.get("/api/v1/departments/", {"page_size": "abc"}).status_code == 400
