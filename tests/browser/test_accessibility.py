"""Every main page, and every screen of the phone page, passes axe-core at WCAG 2.1 AA: for each role, in
Chinese and in English (GB/T 37668 asks the same of a public-service site). Besides: the keyboard can skip the
menu and sees where it is, and pages on a phone with its text at 200 % do not scroll sideways. Every page visited
must also run under the Content-Security-Policy without a violation.

axe-core comes from npm (package.json) and is read from node_modules into the page by the test, so it is never
served to users. The data is the demo data set (`load_demo`): real households, visits, cases and notices.
"""

import datetime
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, SupervisionNotice
from digests.models import Channel
from divisions.models import Division
from households.models import Household
from inspections.models import Inspection, NightOperation
from inspections.services import inspection_record
from reports.models import LedgerExport
from reports.ranking import default_week

from .conftest import LOCAL_HOSTS, PHONE, watch_csp
from .test_phone_page import last_midnight

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LANGUAGES = ["zh-hans", "en"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# Violations found in pages other engineers are fixing right now: (page, axe rule id), exactly. Each one is
# written up with its selector and the fix in the accessibility findings handed to the lead, who removes a
# pair here once its fix lands. Never add a rule without its page: every other page must stay clean.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()

# Two elements with one id: a label's `for` (or aria-describedby) reaches only the first (axe 4.x checks only
# the ids ARIA references; a form's labels need this too).
DUPLICATE_ID = "duplicate-id"
DUPLICATE_HELP = "An id must be unique on the page, or labels and descriptions point at the wrong field"
DUPLICATE_IDS = """() => { const seen = new Map(); for (const e of document.querySelectorAll("[id]"))
    seen.set(e.id, (seen.get(e.id) || 0) + 1); return [...seen].filter(([, n]) => n > 1).map(([id]) => `#${id}`); }"""
# Attributes read aloud or shown (aria-label, title, placeholder, alt) still wholly English on a Chinese page.
UNTRANSLATED = "untranslated-attribute"
UNTRANSLATED_HELP = "Names read aloud on a Chinese page must be in Chinese"
ENGLISH_ATTRIBUTES = """() => [...document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")].flatMap(e =>
    ["aria-label", "title", "placeholder", "alt"].map(a => [a, e.getAttribute(a)])
        .filter(([a, v]) => v && /[A-Za-z]{3,}/.test(v) && !/[\\u4e00-\\u9fff]/.test(v))
        .map(([a, v]) => `${e.localName}[${a}="${v}"]`))"""
# Run axe and keep only what a failure message needs.
RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then(r => r.violations.map(v => ({
        id: v.id, help: v.help, impact: v.impact, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
        why: [...v.nodes[0].any, ...v.nodes[0].all, ...v.nodes[0].none].map(c => c.message).join(" "),
    })))"""


@pytest.fixture
def demo(transactional_db):
    """The demo data set: one user per role, households in five subdistricts, their visits, cases and notices."""
    call_command("load_demo", force=True, stdout=io.StringIO())
    worker_unit = Division.objects.get(memberships__user__username="wulibao_worker")
    household = Household.objects.current().filter(division=worker_unit).order_by("pk").first()
    return {
        "unit": worker_unit.code,
        "subdistrict": "410103006",
        "household": household.pk,
        "inspection": Inspection.objects.current().filter(household__division=worker_unit).order_by("pk").first().pk,
        "operation": NightOperation.objects.order_by("pk").first().pk,
        # A case whose rectification came with photos: its page shows them as links.
        "case": Case.objects.filter(division_code=worker_unit.code, events__photos__isnull=False).earliest("pk").pk,
        "notice": SupervisionNotice.objects.order_by("pk").first().pk,
        "ledger": LedgerExport.objects.order_by("pk").first().pk,
        "channel": Channel.objects.order_by("pk").first().pk,
        "inspector": Division.objects.get(code="410103006").memberships.filter(role="inspector").first().user_id,
    }


def pages_by_role(d: dict) -> dict[str, list[tuple[str, str]]]:
    """The main desktop pages, each opened by the role that works with it: (name, path) per demo user.

    Every page in one pass per language would take minutes; each page once, as the person who uses it, sees
    every page with its role's controls (the leader's verification form, the worker's rectification form).
    """
    household, case = f"/households/{d['household']}/", f"/cases/{d['case']}/"
    return {
        "qu_admin": [
            ("households:import", "/households/import/"),
            ("households:void", f"{household}void/"),
            ("inspections:conversion-list", "/fieldwork/conversions/"),
            ("inspections:conversion-targets", "/fieldwork/conversions/targets/"),
            ("inspections:conversion-set", f"/fieldwork/conversions/set/?household={d['household']}"),
            ("digests:deliveries", "/digests/deliveries/"),
            ("digests:channels", "/digests/channels/"),
            ("digests:channel-create", "/digests/channels/new/"),
            ("digests:channel-update", f"/digests/channels/{d['channel']}/"),
            ("reports:ranking-weights", "/units/ranking/weights/"),
            ("reports:ledgers", "/units/ledgers/"),
            ("audit-log", "/audit/"),
            ("divisions:user-list", "/users/"),
            ("divisions:user-create", "/users/new/"),
            ("divisions:user-detail", f"/users/{d['inspector']}/"),
            ("tokens", "/tokens/"),
        ],
        "qu_leader": [
            ("dashboard", "/dashboard/"),
            ("reports:ranking", "/units/ranking/"),
            ("reports:ranking-explain", f"/units/ranking/{d['unit']}/"),
            ("digests:digest", "/digests/"),
            ("inspections:operation-list", "/fieldwork/operations/"),
            ("inspections:operation-create", "/fieldwork/operations/new/"),
            ("inspections:operation-detail", f"/fieldwork/operations/{d['operation']}/"),
            ("cases:open", "/cases/new/"),
            ("cases:detail", case),
            ("cases:notices", "/cases/notices/"),
            ("cases:notice-create", "/cases/notices/new/"),
            ("cases:notice-detail", f"/cases/notices/{d['notice']}/"),
            ("cases:accountability", "/cases/accountability/"),
            ("cases:accountability-create", "/cases/accountability/new/"),
        ],
        "wulibao_admin": [
            ("home", "/"),
            ("reports:unit", f"/units/{d['subdistrict']}/"),
            ("households:list", "/households/"),
            ("households:create", "/households/new/"),
            ("households:update", f"{household}edit/"),
            ("cases:list", "/cases/"),
            ("cases:notice-print", f"{case}rectification-notice/"),
            ("cases:follow-up-print", f"{case}follow-up-sheet/"),
            ("inspections:ban-list", "/fieldwork/bans/"),
            ("inspections:void", f"/fieldwork/inspections/{d['inspection']}/void/"),
            ("inspections:ban-create", f"/fieldwork/bans/new/?household={d['household']}"),
            ("reports:ledger", f"/units/ledgers/{d['ledger']}/"),  # an export is its requester's
            ("password_change", "/password/"),
            ("404", "/no-such-page/"),
        ],
        "wulibao_inspector": [
            ("households:detail", household),
            ("inspections:list", "/fieldwork/inspections/"),
            ("inspections:create", f"/fieldwork/inspections/new/?household={d['household']}"),
            ("inspections:detail", f"/fieldwork/inspections/{d['inspection']}/"),
        ],
        "wulibao_worker": [
            ("home", "/"),
            ("reports:unit", f"/units/{d['unit']}/"),
            ("cases:detail", case),
            ("inspections:purchase-list", "/fieldwork/purchases/"),
            ("inspections:purchase-create", f"/fieldwork/purchases/new/?household={d['household']}"),
            ("inspections:publicity-list", "/fieldwork/publicity/"),
            ("inspections:publicity-create", "/fieldwork/publicity/new/"),
        ],
    }


# Who records visits on the phone, one per language (the screens differ only in the name in the header).
PHONE_USER = {"zh-hans": "wulibao_inspector", "en": "wulibao_worker"}


class Axe:
    """Runs axe on pages; collects the violations not in KNOWN_VIOLATIONS, and which known ones it saw."""

    def __init__(self):
        self.found: list[str] = []
        self.known_seen: set[tuple[str, str]] = set()
        self.pages = 0

    def check(self, page, name: str, where: str) -> None:
        self.pages += 1
        violations = page.evaluate(RUN_AXE, WCAG_21_AA)
        duplicates = page.evaluate(DUPLICATE_IDS)
        if duplicates:
            violations.append({"id": DUPLICATE_ID, "impact": "serious", "targets": duplicates, "help": DUPLICATE_HELP})
        english = page.evaluate(ENGLISH_ATTRIBUTES) if where.startswith("zh-hans") else []
        if english:
            violations.append({"id": UNTRANSLATED, "impact": "serious", "targets": english, "help": UNTRANSLATED_HELP})
        for violation in violations:
            if (name, violation["id"]) in KNOWN_VIOLATIONS:
                self.known_seen.add((name, violation["id"]))
                continue
            targets = ", ".join(violation["targets"])
            self.found.append(
                f"{where} {name}: {violation['id']} ({violation['impact']}) at {targets}: {violation['help']}. "
                + violation.get("why", "")
            )


def session_cookie(live_server, user) -> dict:
    """The browser cookie of a session signed in as the user (the sign-in form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    host = urlsplit(live_server.url).hostname
    return {"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}


def open_as(browser, live_server, username: str | None, language: str, **options):
    """A browser context in one language, signed in as a demo user (None: anonymous), with axe loaded in every
    page it opens: -> (context, requests that left the machine and Content-Security-Policy violations)."""
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(10_000)
    host = urlsplit(live_server.url).hostname
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}]
    if username:
        cookies.append(session_cookie(live_server, get_user_model().objects.get(username=username)))
    context.add_cookies(cookies)
    context.add_init_script(path=str(AXE))
    outside = []

    def note(request):
        if urlsplit(request.url).scheme in {"http", "https"} and urlsplit(request.url).hostname not in LOCAL_HOSTS:
            outside.append(f"left the machine: {request.url}")

    context.on("request", note)
    watch_csp(context, into=outside, prefix="violated the Content-Security-Policy: ")
    return context, outside


def phone_screens(page, axe: Axe, where: str, community: str) -> None:
    """The phone page's screens: the finder, a community's estates, the visit form, and coal found."""
    expect(page.get_by_test_id("community")).to_be_visible(timeout=15_000)  # once it knows the sign-in
    axe.check(page, "field:finder", where)
    page.get_by_test_id("community").select_option(community)
    expect(page.locator('#choices [data-level="estate"]').first).to_be_visible()
    axe.check(page, "field:estates", where)
    form = page.get_by_test_id("visit-form")
    while form.is_hidden():  # estate → building → stairwell → door, whatever the demo's first door has
        page.locator("#choices [data-household], #choices [data-level]").first.tap()
    axe.check(page, "field:visit-form", where)
    page.get_by_test_id("outcome-loose_coal").tap()
    expect(page.get_by_test_id("qty-briquette")).to_be_visible()
    axe.check(page, "field:coal-found", where)


# Elements reaching past the screen's right edge, outside the boxes that scroll on purpose.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .filter(e => !e.closest(".table-responsive, .overflow-auto"))
    .map(e => e.localName + (e.className ? "." + String(e.className).trim().split(/ +/).join(".") : "")).slice(0, 5)"""


def visit(page, url: str) -> int | str:
    """Open a page: its status, or where it sent the browser instead."""
    status = page.goto(url).status
    return status if page.url == url else f"{status}, sent to {page.url}"


def test_every_page_and_phone_screen_passes_axe_for_every_role_in_both_languages(browser, live_server, demo):
    assert AXE.is_file(), f"{AXE.relative_to(settings.BASE_DIR)} is missing: `npm ci` installs it (package.json)"
    axe, statuses, outside = Axe(), {}, []
    for language in LANGUAGES:
        context, went_out = open_as(browser, live_server, None, language, **DESKTOP)
        page = context.new_page()
        for name, path in [("login", "/login/"), ("404", "/no-such-page/")]:
            statuses[f"{language} anonymous {path}"] = visit(page, live_server.url + path)
            axe.check(page, name, f"{language} anonymous")
        context.close()
        outside += went_out
        for username, pages in pages_by_role(demo).items():
            where = f"{language} {username}"
            context, went_out = open_as(browser, live_server, username, language, **DESKTOP)
            page = context.new_page()
            for name, path in pages:
                statuses[f"{where} {path}"] = visit(page, live_server.url + path)
                axe.check(page, name, where)
            context.close()
            outside += went_out
        context, went_out = open_as(browser, live_server, PHONE_USER[language], language, **PHONE)
        page = context.new_page()
        page.clock.set_fixed_time(last_midnight())  # 零点夜查: the phone at midnight
        page.goto(f"{live_server.url}/field/")
        phone_screens(page, axe, f"{language} {PHONE_USER[language]}", demo["unit"])
        context.close()
        outside += went_out

    refused = [f"{page}: {got}" for page, got in statuses.items() if got != (404 if "no-such-page" in page else 200)]
    stale = sorted(KNOWN_VIOLATIONS - axe.known_seen)
    problems = (
        outside
        + [f"not shown to the role that uses it: {page}" for page in refused]
        + axe.found
        + [f"in KNOWN_VIOLATIONS but no longer seen (fixed: remove it): {pair}" for pair in stale]
    )
    assert not problems, f"{len(problems)} problems on {axe.pages} pages:\n" + "\n".join(problems)


def test_the_first_tab_offers_to_skip_the_menu_and_focus_stays_visible_on_the_menu(page, live_server, people):
    page.context.add_cookies([session_cookie(live_server, people["wulibao_inspector"])])
    page.goto(f"{live_server.url}/households/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    # Drawn on top of the menu, not under it.
    assert skip.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return e.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"
    )
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # The next Tab goes on from the main content, past the menu's dozen links.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")

    # In the menu, the focused link is outlined (Bootstrap's dark navbar shows focus only by a lighter shade).
    page.locator("nav .navbar-nav a[href='/dashboard/']").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    focused = page.locator("nav .navbar-nav a[href='/dashboard/']")
    expect(focused).to_be_focused()
    assert focused.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"


@pytest.mark.parametrize("width", [800, 1024, 1280, 1366])
def test_the_menus_items_never_break_inside_a_word_at_desktop_widths(
    open_context, live_server, people, screenshot, width
):
    """The district admin has the most items: where they do not fit one line they wrap whole onto another, each
    item one line high, none cut off; from 1280 px they fit one line (users, audit log and the API under the
    user's own menu)."""
    context, _ = open_context(viewport={"width": width, "height": 800})
    context.add_cookies([session_cookie(live_server, people["qu_admin"])])
    page = context.new_page()
    page.goto(f"{live_server.url}/households/")
    links = page.locator("nav .navbar-nav > .nav-item > .nav-link")
    assert links.count() >= 11
    if width >= 1280:
        tops = links.evaluate_all("links => links.map(a => Math.round(a.getBoundingClientRect().top))")
        assert len(set(tops)) == 1, f"the menu takes more than one line at {width} px: {tops}"
    page.get_by_test_id("user-menu").click()
    for name in ["用户管理", "操作日志", "API 接口"]:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    heights = links.evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getBoundingClientRect().height,"
        " parseFloat(getComputedStyle(a).lineHeight), a.scrollWidth <= a.clientWidth + 1])"
    )
    for text, height, line, whole in heights:
        assert height < 1.6 * line + 16, f"{text!r} breaks over lines at {width} px ({height} px high)"
        assert whole, f"{text!r} is cut off at {width} px"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"menu-district-admin-{width}")


def test_the_rankings_tables_scroll_on_a_phone_instead_of_squeezing_the_names(
    open_context, live_server, people, household_in, wulibao_community
):
    week = default_week()  # the week the page opens on
    wednesday = timezone.make_aware(datetime.datetime.combine(week + datetime.timedelta(days=2), datetime.time(10)))
    home = household_in(wulibao_community, estate="龙亭小区", room="101")
    Household.objects.filter(pk=home.pk).update(created_at=wednesday - datetime.timedelta(days=30))
    inspection_record(
        actor=people["wulibao_inspector"], household=home, kind="survey", outcome="no_coal", started_at=wednesday
    )
    context, _ = open_context(**PHONE)
    context.add_cookies([session_cookie(live_server, people["qu_admin"])])
    page = context.new_page()
    page.goto(f"{live_server.url}/units/ranking/")
    name = page.locator(f"[data-testid=ranking-table] tr[data-code='{wulibao_community.code}'] td a")
    line = float(name.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"))
    assert name.bounding_box()["height"] < 1.5 * line, "a community's name wraps in the ranking on a phone"
    # The table scrolls inside its box; the page itself does not.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_each_number_of_a_stacked_row_says_what_it_counts(
    open_context, live_server, people, household_in, wulibao_community
):
    """A purchase's row stacked on a phone showed 100, 0.80, 0.60, 80.00 one under another with their column
    headings hidden; each now leads with its heading (数量：100)."""
    from decimal import Decimal

    from inspections.services import purchase_record

    home = household_in(wulibao_community, elderly_alone=True, room="102")
    purchase_record(
        actor=people["wulibao_admin"],
        household=home,
        item="briquette",
        quantity=Decimal("100"),
        unit_price=Decimal("0.80"),
        market_price=Decimal("0.60"),
    )
    context, _ = open_context(**PHONE)
    context.add_cookies([session_cookie(live_server, people["qu_admin"])])
    page = context.new_page()
    said = {}
    for path in ["/fieldwork/purchases/", "/dashboard/"]:
        page.goto(live_server.url + path)
        said[path] = page.locator("td[data-th]").evaluate_all(
            "cells => cells.filter(c => c.offsetParent !== null)"
            ".map(c => getComputedStyle(c, '::before').content.replace(/\"/g, '') + c.textContent.trim())"
        )
    assert {"数量：100", "收购价：0.80", "市场价：0.60", "收购金额（元）：80.00"} <= set(said["/fieldwork/purchases/"])
    assert any(text.startswith("检查记录：") for text in said["/dashboard/"]), said["/dashboard/"]


def test_pages_on_a_phone_at_200_percent_text_do_not_scroll_sideways(
    open_context, live_server, people, register, wulibao_community
):
    household = register("wulibao_admin", wulibao_community, head_name="王建国", address="大学路中段沿街门面")
    context, _ = open_context(**PHONE)
    context.add_cookies([session_cookie(live_server, people["wulibao_inspector"])])
    # The phone's text size at 200 %: Bootstrap sizes everything in rem.
    context.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => document.documentElement.style.fontSize = '200%')"
    )
    page = context.new_page()
    wide = {}
    for path in ["/", "/households/", household.get_absolute_url(), "/fieldwork/inspections/", "/cases/", "/field/"]:
        page.goto(live_server.url + path)
        if path == "/field/":  # the phone page shows itself once it knows the sign-in
            expect(page.get_by_test_id("community")).to_be_visible(timeout=15_000)
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
        if page.evaluate("document.documentElement.scrollWidth") > PHONE["viewport"]["width"]:
            wide[path] = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert not wide, f"pages wider than the phone at 200 % text: {wide}"
