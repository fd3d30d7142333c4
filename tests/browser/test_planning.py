"""In headless Chromium: a subdistrict administrator opens tonight's plan, turns it into a night-check operation, and
sees the plan's coverage once a visit is recorded; the planner's pages pass axe (WCAG 2.1 AA) and the CSP."""

import datetime
import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inspections.models import Inspection
from inspections.services import inspection_record
from planning.models import NightPlan
from tests.documents.official import _tool

from .test_accessibility import AXE, Axe
from .test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_a_plan_becomes_an_operation_and_shows_its_coverage_as_visits_come_in(
    open_context, live_server, people, household_in, wulibao_community
):
    found = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="101")
    courtyard = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="201", unmanaged=True)
    household_in(wulibao_community, estate="龙亭小区", building="2", unit="1", room="101")
    inspection_record(
        actor=people["wulibao_admin"],
        household=found,
        kind="survey",
        outcome="loose_coal",
        started_at=timezone.now() - datetime.timedelta(days=5),
    )
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "wulibao_admin", households=3)

    page.goto(f"{live_server.url}/plan/?teams=1&doors=5")
    team = page.get_by_test_id("team-1")
    expect(team).to_contain_text("第1组：3户")
    stops = team.get_by_test_id("stop")
    expect(stops).to_have_count(3)
    # Walking order within the team: building 1 (its stairwell's two doors, bottom up), then building 2.
    expect(stops.nth(0)).to_contain_text("发现散煤未清 40")
    expect(stops.nth(1)).to_contain_text("久未检查 10 + 无主管/无双气 8")
    axe.check(page, "planning:plan", "zh-hans")

    page.get_by_label("带队领导").fill("街道主任")
    page.get_by_label("第1组").select_option(label=people["wulibao_inspector"].first_name)
    page.get_by_role("button", name="生成夜查行动").click()
    expect(page.get_by_test_id("coverage")).to_contain_text("3户中已查0户")
    night_plan = NightPlan.objects.get()
    assert page.url.endswith(f"/plan/{night_plan.pk}/")
    assert list(night_plan.operation.team.all()) == [people["wulibao_inspector"]]
    axe.check(page, "planning:detail", "zh-hans")

    inspection_record(
        actor=people["wulibao_inspector"],
        household=courtyard,
        kind="night_check",
        outcome="no_coal",
        operation=night_plan.operation,
    )
    page.reload()
    expect(page.get_by_test_id("coverage")).to_contain_text("3户中已查1户，发现散煤0户")
    expect(page.locator(f"tr[data-household='{courtyard.pk}']")).to_have_attribute("data-covered", "1")
    expect(page.locator(f"tr[data-household='{found.pk}']")).to_have_attribute("data-covered", "0")

    page.goto(f"{live_server.url}/plan/weights/")
    expect(page.get_by_test_id("weights")).to_contain_text("发现散煤未清")
    axe.check(page, "planning:weights", "zh-hans")
    assert not axe.found, "\n".join(axe.found)


def test_the_district_offices_weights_form_passes_axe(
    open_context, live_server, people, household_in, wulibao_community
):
    household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="101")
    context, _traffic = open_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    axe = Axe()
    sign_in(page, live_server, "qu_admin", households=1)

    page.goto(f"{live_server.url}/plan/weights/")
    page.get_by_label("沿街门店").fill("-5")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_label("沿街门店")).to_have_attribute("aria-invalid", "true")
    axe.check(page, "planning:weights", "zh-hans")
    page.goto(f"{live_server.url}/plan/?unit=410103")
    axe.check(page, "planning:plan", "zh-hans")
    assert not axe.found, "\n".join(axe.found)


@pytest.fixture
def tonights_plan(people):
    """tonights_plan(unit) -> a plan of one team, 五里堡's inspector, for the night in progress, as an operation."""
    from planning.selectors import night_in_progress
    from planning.services import plan_operation_create

    def make(unit):
        night_plan, _created = plan_operation_create(
            actor=people["wulibao_admin"],
            unit=unit,
            night=night_in_progress(),
            teams=1,
            doors=5,
            title="零点夜查",
            leader="街道主任",
            members=[[people["wulibao_inspector"]]],
        )
        return night_plan

    return make


def test_a_teams_list_is_on_the_phone_without_signal_and_a_visit_from_it_covers_the_door(
    open_context, live_server, people, household_in, wulibao_community, tonights_plan
):
    from households.services import household_void

    from .conftest import PHONE
    from .test_phone_page import SHANGHAI

    first = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="101", unmanaged=True)
    second = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="201")
    night_plan = tonights_plan(wulibao_community.parent)
    context, traffic = open_context(expect_offline_failures=True, **PHONE, timezone_id=SHANGHAI)
    page = context.new_page()
    sign_in(page, live_server, "wulibao_inspector", households=2)
    page.goto(f"{live_server.url}/field/")
    expect(page.get_by_test_id("plan-team")).to_contain_text("第1组")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    # A visit this phone sent before the plan was made (last night's, say) covers no door on tonight's list.
    page.evaluate(
        """([household, user]) => coalgovField.outbox.markSent("earlier", {client_uuid: "earlier", user, household,
            household_label: "earlier", outcome: "no_coal", record: 1, sent_at: Date.now(),
            started_at: new Date(Date.now() - 26 * 3600 * 1000).toISOString()})""",
        [second.pk, "wulibao_inspector"],
    )

    # No signal: the page comes from the phone, with the team's list; a door on it opens the form.
    context.set_offline(True)
    page.reload()
    team = page.get_by_test_id("plan-team")
    expect(page.get_by_test_id("sent-item")).to_have_count(1)  # the earlier visit, listed as sent
    expect(team.locator("[data-plan-count]")).to_have_text("0/2")
    expect(team.locator(f"[data-plan-household='{second.pk}']")).not_to_have_text(re.compile(r"^✓"))
    expect(team.locator("[data-plan-stop]")).to_have_count(2)
    team.locator(f"[data-plan-household='{first.pk}']").tap()
    expect(page.get_by_test_id("chosen-household")).to_have_text(first.label)
    expect(team.locator("[data-plan-count]")).to_have_text("0/2")
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-state", "waiting")
    # Ticked on the list at once, though it is not yet sent and the page is not reloaded.
    stop = team.locator(f"[data-plan-household='{first.pk}']")
    expect(stop).to_have_text(re.compile(r"^✓ 1\."))
    expect(team.locator("[data-plan-count]")).to_have_text("1/2")

    context.set_offline(False)
    expect(page.get_by_test_id("sent-item")).to_have_count(2)
    # Recorded as part of the night's operation, so the operation's own count has it too.
    assert Inspection.objects.get(household=first).operation_id == night_plan.operation_id

    # A visit the server refuses (the household was voided while the phone had no signal) is no door covered:
    # ticked while it waits, unticked once refused, the team's count back with it.
    context.set_offline(True)
    team.locator(f"[data-plan-household='{second.pk}']").tap()
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    expect(team.locator("[data-plan-count]")).to_have_text("2/2")
    household_void(actor=people["wulibao_admin"], household=second, reason="重复登记")
    context.set_offline(False)
    page.evaluate('() => window.dispatchEvent(new Event("online"))')
    expect(page.get_by_test_id("outbox-item")).to_have_attribute("data-state", "failed")
    refused = team.locator(f"[data-plan-household='{second.pk}']")
    expect(refused).not_to_have_text(re.compile(r"^✓"))
    expect(refused).to_have_class(re.compile(r"btn-outline-light"))
    expect(team.locator("[data-plan-count]")).to_have_text("1/2")
    expect(stop).to_have_text(re.compile(r"^✓ 1\."))  # the door sent before keeps its tick
    assert [f.split(": ")[-1] for f in traffic.failures] == ["400"]  # the refusal, and nothing else
    traffic.failures.clear()

    # Loaded again, the list no longer offers the voided door: the server would refuse any visit to it.
    page.reload()
    expect(team.locator("[data-plan-stop]")).to_have_count(1)
    expect(team.locator("[data-plan-count]")).to_have_text("1/1")

    page.goto(f"{live_server.url}/plan/{night_plan.pk}/")
    expect(page.get_by_test_id("coverage")).to_contain_text("1户中已查1户")  # the voided door is no door to reach


def test_a_visit_sent_from_the_phone_and_voided_by_the_office_no_longer_ticks_its_door(
    open_context, live_server, people, household_in, wulibao_community, tonights_plan
):
    from inspections.services import inspection_void, operation_save

    from .conftest import PHONE
    from .test_phone_page import SHANGHAI, walk_to

    door = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="101", unmanaged=True)
    night_plan = tonights_plan(wulibao_community.parent)
    context, _traffic = open_context(**PHONE, timezone_id=SHANGHAI)
    page = context.new_page()
    sign_in(page, live_server, "wulibao_inspector", households=1)
    page.goto(f"{live_server.url}/field/")
    team = page.get_by_test_id("plan-team")
    # Found by walking the stairwells rather than from the list, the door is still part of the night's operation.
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "龙亭小区", "1", "1", door)
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    expect(team.locator("[data-plan-count]")).to_have_text("1/1")
    assert Inspection.objects.get().operation_id == night_plan.operation_id

    # The office voids it (entered at the wrong door, say): the next load with a signal unticks the door, though
    # the phone still lists the visit among those it sent.
    inspection_void(actor=people["wulibao_admin"], inspection=Inspection.objects.get(), reason="录错户")
    page.reload()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    # ... and says why the door lost its tick (an outside tester's worker could not tell).
    expect(page.get_by_test_id("sent-voided")).to_have_text("已被作废")
    expect(team.locator("[data-plan-count]")).to_have_text("0/1")
    expect(team.locator(f"[data-plan-household='{door.pk}']")).not_to_have_text(re.compile(r"^✓"))

    # The office moves the operation to another night: the list is no longer the phone's tonight.
    operation_save(
        actor=people["wulibao_admin"],
        operation=night_plan.operation,
        data={"date": night_plan.date - datetime.timedelta(days=1)},
    )
    page.reload()
    expect(page.get_by_test_id("community")).to_be_visible()
    expect(team).to_have_count(0)


def test_the_plan_prints_on_a4_titled_like_its_docx_without_the_navigation_or_the_forms(
    page, live_server, people, household_in, wulibao_community, tmp_path
):
    for number in range(1, 31):
        household_in(wulibao_community, estate="龙亭小区", building=str(number), unit="1", room="1202")
    sign_in(page, live_server, "wulibao_admin", households=30)
    page.goto(f"{live_server.url}/plan/?teams=1&doors=30")
    expect(page.get_by_test_id("stop")).to_have_count(30)

    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True))  # what the browser's print dialog would print

    info = subprocess.run([_tool("pdfinfo"), pdf], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Page size:.* pts \(A4\)", info), info  # not the browser's US Letter
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages > 1
    text = subprocess.run([_tool("pdftotext"), "-raw", pdf, "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "{#" not in flat and "#}" not in flat, text  # no template comment printed as text
    from planning.selectors import night_in_progress

    night = night_in_progress()  # the page's default: after midnight, the night still going on
    assert flat.startswith(f"五里堡街道夜查计划{night.year}年{night.month}月{night.day}日夜")
    for absent in ("今晚查哪里", "散煤治理", "首页", "台账", "组数", "生成夜查行动", "下载"):
        assert absent not in flat, absent
    # The table's header row on every page: each page has 场所 … 得分 at its top.
    for number in range(1, pages + 1):
        page_text = subprocess.run(
            [_tool("pdftotext"), "-f", str(number), "-l", str(number), pdf, "-"], capture_output=True, text=True
        ).stdout
        assert "场所" in page_text and "得分" in page_text, number


def test_the_printed_plan_reads_like_its_docx_dates_once_named_places_and_columns_that_line_up(
    page, live_server, people, household_in, wulibao_community, tmp_path
):
    visited = household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="101")
    household_in(wulibao_community, estate="龙亭小区", building="1", unit="1", room="202")
    household_in(wulibao_community, estate="龙亭小区", building="12", unit="3", room="1502")
    # A shop on a street: a place on its own, no building or stairwell.
    household_in(wulibao_community, estate="", address="大学路118号", building="", unit="", room="", unmanaged=True)
    when = timezone.now() - datetime.timedelta(days=5)
    inspection_record(
        actor=people["wulibao_admin"], household=visited, kind="survey", outcome="loose_coal", started_at=when
    )
    sign_in(page, live_server, "wulibao_admin", households=4)
    page.goto(f"{live_server.url}/plan/?teams=1&doors=10")
    expect(page.get_by_test_id("stop")).to_have_count(4)

    # On the screen too (an outside tester found each stairwell's table with its own widths): the columns line up.
    columns = page.evaluate(
        "() => [...document.querySelectorAll('.plan-table')].map(t => [...t.querySelectorAll('thead th')]"
        ".filter(th => th.offsetParent !== null).map(th => Math.round(th.getBoundingClientRect().left)))"
    )
    assert len(columns) == 3 and all(c == columns[0] for c in columns), columns

    page.emulate_media(media="print")
    tables = page.evaluate(
        """() => [...document.querySelectorAll('.plan-table')].map(t => ({
             header: [...t.querySelectorAll('thead th')].map(th => {
               const box = th.getBoundingClientRect();
               return {text: th.innerText.trim(), left: Math.round(box.left), width: Math.round(box.width)};
             }),
             dates: [...t.querySelectorAll('tbody tr')].map(tr => {
               const cell = tr.cells[3], range = document.createRange();
               range.selectNodeContents(cell);
               return {text: cell.innerText.trim(), lines: range.getClientRects().length,
                       fits: cell.scrollWidth <= cell.clientWidth};
             }),
           }))"""
    )
    assert len(tables) == 3
    # The same columns at the same places in every table, the 已查 box among them.
    assert [h["text"] for h in tables[0]["header"]] == ["场所", "得分", "原因", "上次检查", "已查"]
    assert all(t["header"] == tables[0]["header"] for t in tables), tables
    dates = [d for t in tables for d in t["dates"]]
    local = timezone.localtime(when)
    assert {d["text"] for d in dates} == {f"{local.year}年{local.month}月{local.day}日", "从未检查"}
    # A date is never broken over two lines, nor runs out of its column into the 已查 box.
    assert all(d["lines"] == 1 and d["fits"] for d in dates), dates

    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True))
    text = subprocess.run([_tool("pdftotext"), "-raw", pdf, "-"], capture_output=True, text=True).stdout
    assert "永不" not in text and "从未检查" in text
    assert f"{local.year}年{local.month}月{local.day}日" in text
    assert not re.search(r"\d{4}-\d{1,2}-", text), text  # one date format: the .docx's
    # The shop is named once, by its row: its group's heading names only the community it is in (as the
    # register shows a street shop: no estate, building or stairwell), no caption above its table repeats it.
    flat = re.sub(r"\s+", "", text)
    assert "{#" not in flat and "#}" not in flat, text  # no template comment printed as text
    assert flat.count("大学路118号") == 1, text
    assert f"{wulibao_community.name}大学路118号" not in flat, text
    assert text.count("□") == 4


def test_on_a_phone_the_plans_places_keep_room_and_the_page_does_not_scroll_sideways(
    open_context, live_server, people, household_in, wulibao_community
):
    """The place was squeezed to three characters a line beside the date (which never breaks)."""
    from .conftest import PHONE
    from .test_accessibility import session_cookie

    found = household_in(wulibao_community, estate="中铁院家属楼", building="6", unit="1", room="501", unmanaged=True)
    shop = household_in(wulibao_community, estate="", address="建新南街沿街5号", building="", unit="", room="")
    # Coal found at both a few days ago: long reasons and a date beside each place.
    for place in (found, shop):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=place,
            kind="survey",
            outcome="loose_coal",
            started_at=timezone.now() - datetime.timedelta(days=4),
        )
    context, _ = open_context(**PHONE)
    context.add_cookies([session_cookie(live_server, people["wulibao_admin"])])
    page = context.new_page()
    page.goto(f"{live_server.url}/plan/?teams=1&doors=10")
    expect(page.get_by_test_id("stop")).to_have_count(2)
    widths = page.locator("[data-testid=stop] td:first-child").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect().width / parseFloat(getComputedStyle(c).fontSize))"
    )
    assert all(width >= 5.5 for width in widths), widths
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_operations_plan_prints_with_room_for_the_places(
    page, live_server, household_in, wulibao_community, wulibao, tonights_plan
):
    """An outside tester printed an operation's page: the # column took a third of the width and the addresses
    ran into the score and the 未查 badge."""
    for number in range(1, 6):
        household_in(wulibao_community, estate="中铁院家属楼", building=str(number), unit="1", room="501")
    night_plan = tonights_plan(wulibao)
    sign_in(page, live_server, "wulibao_admin", households=5)
    page.goto(f"{live_server.url}/plan/{night_plan.pk}/")
    expect(page.get_by_test_id("stop")).to_have_count(5)

    page.emulate_media(media="print")
    cells = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stop"]')].map(tr => ({
             number: Math.round(tr.cells[0].getBoundingClientRect().width),
             place: Math.round(tr.cells[1].getBoundingClientRect().width),
             fits: [...tr.cells].every(td => td.scrollWidth <= td.clientWidth + 1),
           }))"""
    )
    assert all(c["fits"] for c in cells), cells  # nothing runs out of its cell into the next
    assert all(c["place"] > 4 * c["number"] for c in cells), cells
