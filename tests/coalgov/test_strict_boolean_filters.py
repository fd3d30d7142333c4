"""A yes / no filter given anything but true or false is refused, on the API and on the pages: an outside tester's
`?is_night=perhaps` listed every visit, day and night, with a 200."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        ("/api/v1/inspections/", "is_night", "perhaps"),
        ("/api/v1/households/", "in_priority_zone", "maybe"),
        ("/api/v1/households/", "voided", "2"),
        ("/api/v1/cases/", "overdue", "yes please"),
    ],
)
def test_the_api_refuses_a_yes_no_filter_that_is_neither(client_as, url, name, value):
    response = client_as("qu_admin").get(url, {name: value})

    assert response.status_code == 400
    assert response.json()[name] == [f"请填写 true 或 false，而不是 {value}。"]


@pytest.mark.parametrize("value", ["true", "false", "True", ""])
def test_true_false_and_nothing_are_taken(client_as, value):
    assert client_as("qu_admin").get("/api/v1/inspections/", {"is_night": value}).status_code == 200


def test_the_page_shows_the_error_beside_the_filter(client_as):
    response = client_as("qu_admin").get("/fieldwork/inspections/", {"is_night": "perhaps"})

    assert response.status_code == 200
    assert "请填写 true 或 false，而不是 perhaps。" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "sent"),
    [("/api/v1/cases/", "deadline_after"), ("/api/v1/notices/", "issued_on_before")],
)
def test_a_range_filters_error_is_keyed_by_the_parameter_sent_on_every_list(client_as, url, sent):
    """`/api/v1/cases/?deadline_after=yesterday` answered under `deadline`, unlike the visits' and readings' lists."""
    response = client_as("qu_admin").get(url, {sent: "yesterday"})

    assert response.status_code == 400
    assert list(response.json()) == [sent]


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "%%%", "===", "", "cD0x!", "5pel", "anVuaw==", "eD0x", "cD0xJng9Mg==", "/w=="]
)
def test_a_mangled_cursor_is_a_bad_parameter_not_a_missing_page(client_as, cursor):
    """ "%%%" and "===" decoded to nothing (DRF skips what is not base64) and were served as the first page."""
    response = client_as("qu_admin").get("/api/v1/households/", {"cursor": cursor})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_the_links_a_list_gives_are_still_followed(client_as, household_in, wulibao_community):
    for n in range(3):
        household_in(wulibao_community, address=f"建新南街{n + 1}号")
    client = client_as("qu_admin")
    first = client.get("/api/v1/households/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert second["results"] and second["results"][0]["id"] < first["results"][0]["id"]
    assert client.get(second["previous"]).json()["results"] == first["results"]


@pytest.mark.parametrize("position", ["abc", "", "1e9999", "2026-13-01", "99999999999999999999"])
@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/inspections/", "/api/v1/households/"])
def test_a_well_formed_cursor_whose_position_is_not_an_id_is_a_400_not_a_500(client_as, url, position):
    import base64

    cursor = base64.b64encode(f"p={position}".encode()).decode()
    response = client_as("qu_admin").get(url, {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["cursor"]


def test_the_stations_yes_no_filter_is_strict_too(client_as):
    assert client_as("qu_admin").get("/api/v1/stations/", {"has_priority_zone": "perhaps"}).status_code == 400
    assert client_as("qu_admin").get("/api/v1/stations/", {"has_priority_zone": "true"}).status_code == 200
