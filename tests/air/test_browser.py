"""In headless Chromium, under the Content-Security-Policy: the dashboard's station chart draws with the zone's
night checks beside it (only the viewer's), its figures link to their readings, and the station pages pass axe
at WCAG 2.1 AA in Chinese and English. Fixtures and helpers are the browser suite's own (tests/browser)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import browser, chromium_path, open_context, page, screenshot  # noqa: F401 (fixtures)
from tests.browser.test_accessibility import AXE, DESKTOP, Axe, open_as
from tests.browser.test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_dashboard_draws_the_station_chart_beside_the_zone_night_checks(page, live_server, zone):  # noqa: F811
    sign_in(page, live_server, "wulibao_inspector", households=1)
    page.goto(f"{live_server.url}/dashboard/")
    section = page.get_by_test_id("dashboard-station")
    expect(section).to_contain_text("河医大")
    chart = section.get_by_test_id("station-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    canvas = chart.locator("canvas").first
    expect(canvas).to_be_visible()
    assert canvas.evaluate("c => c.width > 300 && c.height > 200")
    # Last night: 200 μg/m³ and the inspector's two night checks (one found coal), marked as high with few checks;
    # 淮河路's check in the same zone is not counted for a 五里堡 inspector.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    row = section.locator(f'tr[data-day="{yesterday}"]')
    expect(row).to_have_attribute("data-flagged", "true")
    expect(row.locator('[data-figure="mean"]')).to_have_text("200")
    expect(row.locator('[data-figure="checks"]')).to_have_text("2")
    expect(row.locator('[data-figure="found"]')).to_have_text("1")
    expect(row).to_contain_text("高值少查")
    # The figure links to its hours.
    row.locator('[data-figure="mean"]').click()
    expect(page.get_by_test_id("readings").locator("tbody tr")).to_have_count(24)


def test_the_station_pages_pass_axe_in_both_languages(browser, live_server, zone):  # noqa: F811
    assert AXE.is_file()
    axe, outside = Axe(), []
    pages = {
        "qu_admin": [("air:upload", "/air/upload/")],
        "wulibao_inspector": [
            ("air:stations", "/air/"),
            ("air:station", "/air/1323A/"),
            ("air:readings", "/air/1319A/readings/"),
        ],
        "nobody": [("air:station", "/air/1323A/")],
    }
    for language in ("zh-hans", "en"):
        for username, visits in pages.items():
            context, went_out = open_as(browser, live_server, username, language, **DESKTOP)
            tab = context.new_page()
            for name, path in visits:
                assert tab.goto(live_server.url + path).status == 200
                if name == "air:station":
                    expect(tab.get_by_test_id("station-chart")).to_have_attribute("data-rendered", "true")
                axe.check(tab, name, f"{language} {username}")
            context.close()
            outside += went_out
    assert not outside + axe.found, "\n".join(outside + axe.found)


def test_every_marked_night_spans_the_night_window_and_band_labels_are_plain(page, live_server, zone, screenshot):  # noqa: F811
    # Yesterday, the period's last day, is marked ▲: its band used to be cut at the last midnight (the axis ended
    # at the last figure), narrower than a whole night. Each band is now NIGHT_START–NIGHT_END, inside the axis.
    sign_in(page, live_server, "wulibao_inspector", households=1)
    # The three high days alone: the last night reaches past the period's last midnight.
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.goto(f"{live_server.url}/air/1323A/?start={yesterday - datetime.timedelta(days=2)}&end={yesterday}")
    chart = page.get_by_test_id("station-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    drawn = chart.evaluate(
        """element => {
          const chart = window.echarts.getInstanceByDom(element);
          const option = chart.getOption();
          const axes = [0, 1].map(i => chart.getModel().getComponent("xAxis", i).axis.scale.getExtent());
          const nights = option.series[2].markArea.data.map(([from, to]) => [from.xAxis, to.xAxis]);
          const label = option.series[0].markArea.label;
          const daily = option.series[1].data;
          // Where each night's start is drawn on the readings' axis and on the checks' axis, in pixels.
          const pixels = nights.map(([from]) => [0, 1].map(i => chart.convertToPixel({ xAxisIndex: i }, from)));
          return { axes, nights, pixels, daily, borderWidth: label.textBorderWidth, colour: label.color };
        }"""
    )
    hour = 3600 * 1000
    assert len(drawn["nights"]) == 3  # the three high days, each with fewer than 5 checks this inspector sees
    assert drawn["axes"][0] == drawn["axes"][1]  # the readings and the checks on one time axis
    # ... drawn at the same place: ECharts widened the checks' axis to fit its outermost bars ("containShape"),
    # which put a night's bars hours away from the readings above them (22 px at 1280 px for a fortnight).
    for upper, lower in drawn["pixels"]:
        assert upper == pytest.approx(lower, abs=0.5)
    low, high = drawn["axes"][1]
    for start, end in drawn["nights"]:
        assert end - start == 8 * hour  # 22:00–06:00, every night the same
        assert low <= start and end <= high  # drawn whole, not cut by the axis's end
    assert drawn["borderWidth"] == 0 and drawn["colour"] == "#495057"
    # The daily means are steps over whole days: from the first midnight to the last (it stopped at the last noon).
    first_midnight = drawn["daily"][0][0]
    assert drawn["daily"][-1][0] - first_midnight == 3 * 24 * hour and low == first_midnight
    assert drawn["daily"][-1][1] == drawn["daily"][-2][1] == 200
    screenshot(page, "station-chart")


def test_on_a_phone_a_stations_name_and_grade_are_read_on_one_line(open_context, live_server, people, zone):  # noqa: F811
    """They broke a character a line (重/度/污/染) where the table squeezed its columns; it scrolls instead."""
    from tests.browser.conftest import PHONE
    from tests.browser.test_accessibility import session_cookie

    context, _ = open_context(**PHONE)
    context.add_cookies([session_cookie(live_server, people["wulibao_inspector"])])
    tab = context.new_page()
    # Lines of text in each cell: the distinct tops of its text's boxes.
    count_lines = """cells => cells
        .filter(c => /污染|^优$|^良$/.test(c.textContent.trim()) || c.classList.contains('station-name'))
        .map(c => { const range = document.createRange(); range.selectNodeContents(c);
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    return [c.textContent.trim(), tops.size]; })"""
    for path, cells in [("/air/", "[data-station] td"), ("/air/1323A/", "[data-testid=station-days] tbody td")]:
        tab.goto(live_server.url + path)
        lines = tab.locator(cells).evaluate_all(count_lines)
        assert lines, path
        assert not [(text, n) for text, n in lines if n > 1 and len(text) <= 5], f"{path}: {lines}"
        # The list's grades are read without scrolling the table sideways (the code column is left out on phones).
        if path == "/air/":
            cut = tab.locator("[data-station] td:last-child").evaluate_all(
                "cells => cells.filter(c => c.getBoundingClientRect().right > window.innerWidth).length"
            )
            assert cut == 0
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_viewer_without_households_in_the_zone_gets_the_readings_over_the_whole_chart(browser, live_server, zone):  # noqa: F811
    """Their table shows "—" for the night checks; the chart drew an empty panel of checks under the readings."""
    context, _ = open_as(browser, live_server, "nobody", "zh-hans", **DESKTOP)
    tab = context.new_page()
    tab.goto(f"{live_server.url}/air/1323A/")
    chart = tab.get_by_test_id("station-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    drawn = chart.evaluate(
        """element => {
          const option = window.echarts.getInstanceByDom(element).getOption();
          return { series: option.series.map(s => s.type), lower: option.xAxis[1].show, legend: option.legend[0] };
        }"""
    )
    assert drawn["series"] == ["line", "line"] and drawn["lower"] is False
    expect(tab.get_by_test_id("station-days").locator("tbody tr").first).to_contain_text("—")
    context.close()
