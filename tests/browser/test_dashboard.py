"""An inspector opens the dashboard: the chart draws, the map shows the finding and 河医大's priority zone,
and nothing is asked of any other host (no tile URL is configured)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.services import SeizureInput, inspection_record

from .test_sign_in import assert_styled, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def findings(people, register, wulibao_community, huaihelu_community):
    """Coal found last night beside 河医大 in 五里堡, and in 淮河路 (not the inspector's)."""
    at = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=1), datetime.time(23, 40))
    )
    mine = register(
        "wulibao_admin",
        wulibao_community,
        room="101",
        latitude=Decimal("34.753000"),
        longitude=Decimal("113.642000"),
    )
    theirs = register(
        "qu_admin",
        huaihelu_community,
        estate="淮河苑",
        room="909",
        latitude=Decimal("34.700000"),
        longitude=Decimal("113.600000"),
    )
    for username, household in (("wulibao_inspector", mine), ("huaihelu_inspector", theirs)):
        inspection_record(
            actor=people[username],
            household=household,
            kind="night_check",
            outcome="loose_coal",
            started_at=at,
            seizures=[SeizureInput("briquette", 40, "confiscated")],
        )
    return mine, theirs


def test_the_dashboard_draws_its_chart_and_map(page, live_server, findings, screenshot, settings):
    settings.MAP_TILE_URL = ""
    mine, _theirs = findings
    sign_in(page, live_server, "wulibao_inspector", households=1)
    page.locator("nav .navbar-nav a[href='/dashboard/']").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")

    expect(page.get_by_test_id("sentence")).to_contain_text("散煤40块")
    # ECharts drew on a canvas of the chart's size.
    canvas = page.get_by_test_id("trend").locator("canvas")
    expect(canvas.first).to_be_visible()
    assert canvas.first.evaluate("c => c.width > 0 && c.height > 0")
    # Leaflet set up the map, with the one in-scope finding and 河医大's 1000 m circle, and no tiles.
    map_ = page.get_by_test_id("map")
    assert "leaflet-container" in map_.get_attribute("class")
    expect(map_.locator("path.coal-marker")).to_have_count(1)
    expect(map_.locator("path.station-zone.station-1323A")).to_have_count(1)
    expect(map_.locator("img.leaflet-tile")).to_have_count(0)
    # The finding's popup links to its household.
    map_.locator("path.coal-marker").click(force=True)
    expect(map_.locator(".leaflet-popup-content a")).to_have_attribute("href", mine.get_absolute_url())
    assert "淮河苑" not in page.content()
    assert_styled(page)
    screenshot(page, "dashboard-desktop")


def test_the_map_names_its_stations_without_hovering_and_explains_itself_in_chinese(
    page, live_server, findings, settings
):
    settings.MAP_TILE_URL = ""
    sign_in(page, live_server, "wulibao_inspector", households=1)
    page.goto(f"{live_server.url}/dashboard/")
    map_ = page.get_by_test_id("map")
    # 河医大's name is on the map as a permanent label, visible before any hover or tap.
    label = map_.locator(".leaflet-tooltip.station-label", has_text="河医大")
    expect(label).to_be_visible()
    # The legend says what the red markers, the station dots and the blue circles are.
    legend = map_.get_by_test_id("map-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("发现散煤尚未清零")
    expect(legend).to_contain_text("监测站点")
    expect(legend).to_contain_text("重点区域")
    # Leaflet's zoom buttons speak the page's language.
    expect(map_.locator("a.leaflet-control-zoom-in")).to_have_attribute("title", "放大")
    expect(map_.locator("a.leaflet-control-zoom-out")).to_have_attribute("title", "缩小")
