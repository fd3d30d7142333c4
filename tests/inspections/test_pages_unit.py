"""A unit's page (/units/<code>/): its field-work figures over a period, and where to look further."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def unit_url(division) -> str:
    return reverse("reports:unit", args=[division.code])


@pytest.fixture
def night_check(visit, wulibao_household, last_night):
    """Last night's check at a 五里堡 household: 50 briquettes confiscated and a stove destroyed."""
    return visit(
        wulibao_household,
        "stove_in_use",
        last_night,
        by="wulibao_inspector",
        kind="night_check",
        seized=[("briquette", 50), ("stove", 1, "destroyed")],
    )


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector"])
def test_those_who_see_wulibao_open_its_page(client_as, wulibao, username):
    response = client_as(username).get(unit_url(wulibao))

    assert response.status_code == 200
    assert response.context["unit"] == wulibao
    assert wulibao.name in response.content.decode()


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_the_pages_of_wulibao_and_its_community_are_not_found_for_others(
    client_as, wulibao, wulibao_community, username
):
    client = client_as(username)

    assert client.get(unit_url(wulibao)).status_code == 404
    assert client.get(unit_url(wulibao_community)).status_code == 404


def test_a_community_worker_sees_their_community_but_not_its_subdistrict(client_as, wulibao, wulibao_community):
    client = client_as("wulibao_worker")

    response = client.get(unit_url(wulibao_community))

    assert response.status_code == 200
    assert client.get(unit_url(wulibao)).status_code == 404
    # The subdistrict is named in the breadcrumbs, not linked.
    assert dict(response.context["breadcrumbs"])[wulibao] is False
    assert f'href="{unit_url(wulibao)}"' not in response.content.decode()


def test_an_unknown_code_is_not_found(client_as):
    assert client_as("qu_admin").get("/units/999999/").status_code == 404


def test_the_community_page_counts_a_night_check_with_briquettes_and_a_destroyed_stove(
    client_as, night_check, wulibao_community
):
    response = client_as("wulibao_worker").get(unit_url(wulibao_community))

    figures = response.context["figures"]
    assert figures.inspections == 1
    assert figures.night_checks == 1
    assert figures.briquettes_pieces == 50
    assert figures.stoves == 1
    assert figures.households_recovered == 1
    page = response.content.decode()
    assert figures.sentence() in page
    assert 'data-figure="briquettes_pieces">50<' in page
    assert 'data-figure="stoves">1<' in page
    assert night_check.get_absolute_url() in page


def test_the_period_form_narrows_the_figures(client_as, night_check, wulibao, last_night):
    client = client_as("wulibao_admin")
    day = timezone.localdate(last_night)

    that_day = client.get(unit_url(wulibao), {"start": day.isoformat(), "end": day.isoformat()})
    after = client.get(unit_url(wulibao), {"start": (day + datetime.timedelta(days=1)).isoformat()})
    backwards = client.get(unit_url(wulibao), {"start": day.isoformat(), "end": "2017-01-01"})

    assert that_day.context["figures"].briquettes_pieces == 50
    assert after.context["figures"].briquettes_pieces == 0
    assert after.context["figures"].inspections == 0
    assert backwards.context["form"].errors
    assert backwards.context["figures"].inspections == 1  # a bad range shows the whole history


def test_a_voided_visit_is_not_counted_on_the_unit_page(client_as, night_check, void, wulibao):
    void(night_check)

    assert client_as("qu_admin").get(unit_url(wulibao)).context["figures"].briquettes_pieces == 0


def test_the_unit_page_links_to_the_lists_filtered_to_it(client_as, wulibao):
    page = client_as("wulibao_inspector").get(unit_url(wulibao)).content.decode()

    for name in ("inspections:list", "inspections:ban-list", "inspections:purchase-list", "households:list"):
        assert f"{reverse(name)}?division={wulibao.code}" in page


def test_the_linked_list_shows_the_units_visits(client_as, night_check, wulibao):
    response = client_as("wulibao_inspector").get(reverse("inspections:list"), {"division": wulibao.code})

    assert list(response.context["object_list"]) == [night_check]


def test_a_community_page_shows_conversion_progress_against_the_seasons_target(
    client_as, people, wulibao_community, household_in
):
    from inspections.seasons import heating_season
    from inspections.services import conversion_set, conversion_target_set

    conversion_target_set(
        actor=people["wulibao_admin"], division=wulibao_community, season=heating_season(), households=4
    )
    today = timezone.localdate()
    conversion_set(
        actor=people["wulibao_worker"],
        household=household_in(wulibao_community),
        kind="electricity",
        status="completed",
        completed_on=today,
    )
    conversion_set(
        actor=people["wulibao_worker"], household=household_in(wulibao_community), kind="gas", status="planned"
    )

    response = client_as("wulibao_worker").get(unit_url(wulibao_community))

    progress = response.context["progress"]
    assert (progress.target, progress.completed, progress.electricity, progress.planned) == (4, 1, 1, 1)
    assert progress.percent == 25
    assert 'data-testid="conversion-progress"' in response.content.decode()


def test_a_subdistrict_page_has_no_conversion_progress_but_links_its_communities(client_as, wulibao, wulibao_community):
    response = client_as("wulibao_admin").get(unit_url(wulibao))

    assert response.context["progress"] is None
    assert unit_url(wulibao_community) in response.content.decode()
