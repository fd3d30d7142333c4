"""The phone page (/field/) in headless Chromium: a night check with a seizure and a photo, and the offline queue.

The offline test switches the network off with `context.set_offline(True)` (the browser conftest makes that
apply to the service worker too), records a visit, tries to send it again and again, switches the network
back on and sends the same entry several times over: the server ends up with exactly one record.
"""

import datetime
import io
import os
import re
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from households.models import Household
from inspections.models import Inspection, Photo, Seizure
from inspections.services import is_night

from .conftest import PHONE
from .test_sign_in import BOOTSTRAP_SUCCESS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SHANGHAI = "Asia/Shanghai"
INSPECTIONS = "/api/v1/inspections/"
VISITED = re.compile(r"\bvisited\b")  # a door already recorded from this phone
OFFLINE_BADGE = re.compile(r"\btext-bg-warning\b")
ATTEMPTS = "([id, n]) => coalgovField.outbox.get(id).then(e => e.attempts >= n)"


def last_midnight() -> datetime.datetime:
    """The last 00:20 that has passed, local time: the article's 零点夜查."""
    moment = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(0, 20)))
    return moment if moment <= timezone.now() else moment - datetime.timedelta(days=1)


@pytest.fixture
def register(people, household_in, wulibao_community, huaihelu_community):
    """A few doors of a 五里堡 community, a shop on the street, and one household of 淮河路 (not theirs)."""
    doors = {
        (estate, building, unit, room): household_in(
            wulibao_community, estate=estate, building=building, unit=unit, room=room, head_name=f"住户{room}"
        )
        for estate, building, unit, room in [
            ("龙亭小区", "3", "2", "501"),
            ("龙亭小区", "3", "2", "502"),
            ("龙亭小区", "3", "1", "101"),
            ("龙亭小区", "13", "1", "201"),
            ("铁路新村", "1", "1", "101"),
        ]
    }
    shop = household_in(wulibao_community, estate="", building="", unit="", room="", address="大学路12号")
    household_in(huaihelu_community, estate="淮河苑", building="9", unit="1", room="101")
    return doors, shop


@pytest.fixture
def jpeg_file(tmp_path):
    def make(name="door.jpg", colour=(180, 40, 40)):
        path = tmp_path / name
        image = Image.new("RGB", (640, 480), colour)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90)
        path.write_bytes(out.getvalue())
        return path

    return make


@pytest.fixture
def open_phone(open_context):
    """A phone, in Zhengzhou's time zone unless told another: open_phone(**options) -> (context, traffic, page).

    On teardown, asserts that the page's JavaScript threw nothing.
    """
    errors = []

    def open_(**options):
        context, traffic = open_context(**{**PHONE, "timezone_id": SHANGHAI, **options})
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return context, traffic, page

    yield open_
    assert not errors, f"the page threw: {errors}"


def walk_to(page, estate, building, unit, household):
    """Community → estate → building → stairwell → room, each a big button."""
    page.locator(f'[data-level="estate"][data-value="{estate}"]').tap()
    page.locator(f'[data-level="building"][data-value="{building}"]').tap()
    page.locator(f'[data-level="unit"][data-value="{unit}"]').tap()
    page.locator(f'[data-household="{household.pk}"]').tap()
    expect(page.get_by_test_id("chosen-household")).to_have_text(household.label)


def at_door(page, live_server, community, door):
    """The inspector signed in on the phone page, at `door` of 龙亭小区 3号楼2单元 (the register's stairwell)."""
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(community.code)
    walk_to(page, "龙亭小区", "3", "2", door)


def fill_in(page, outcome, seizures, photo):
    """The outcome as a big button, quantities with how they were taken, one photo from the camera."""
    page.get_by_test_id(f"outcome-{outcome}").tap()
    for item, (quantity, method) in seizures.items():
        page.get_by_test_id(f"qty-{item}").fill(str(quantity))
        page.get_by_test_id(f"method-{item}").select_option(method)
    page.get_by_test_id("photos").set_input_files(str(photo))
    expect(page.get_by_test_id("photo-preview")).to_have_count(1)


def wait_until(page, expression: str, arg=None, timeout: float = 10.0):
    """Poll an expression that returns a promise (page.wait_for_function does not await promises)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def queued(page, client_uuid):
    return page.evaluate(
        "id => coalgovField.outbox.get(id).then(e => e && {status: e.status, attempts: e.attempts, error: e.error})",
        client_uuid,
    )


def test_a_night_check_with_briquettes_a_destroyed_stove_and_a_photo(
    open_phone, live_server, register, wulibao_community, jpeg_file, screenshot
):
    doors, shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    _context, traffic, page = open_phone()
    page.clock.set_fixed_time(last_midnight())  # the phone's clock reads 00:20
    api = []  # (method, path, status) of every answer from the API
    page.on(
        "response",
        lambda r: api.append((r.request.method, r.url.split(live_server.url)[-1].split("?")[0], r.status))
        if "/api/" in r.url
        else None,
    )

    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    assert_styled_phone(page)
    page.get_by_test_id("community").select_option(wulibao_community.code)
    # 13号楼 sorts after 3号楼; the shop with only a street address is a door of its own.
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    expect(page.locator(f'[data-household="{shop.pk}"]')).to_contain_text("大学路12号")
    page.locator('[data-level="estate"][data-value="龙亭小区"]').tap()
    buildings = page.locator('[data-level="building"]')
    expect(buildings).to_have_count(2)
    assert buildings.evaluate_all("els => els.map(e => e.dataset.value)") == ["3", "13"]
    page.get_by_test_id("path").get_by_role("button").first.tap()
    walk_to(page, "龙亭小区", "3", "2", door)

    # At 00:20 the visit is a night check unless the inspector says otherwise.
    expect(page.get_by_test_id("kind")).to_have_value("night_check")
    fill_in(page, "stove_in_use", {"briquette": (50, "confiscated"), "stove": (1, "destroyed")}, jpeg_file())
    screenshot(page, "phone-night-check-form")
    page.get_by_test_id("submit").tap()

    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    expect(page.get_by_test_id("sent-item")).to_contain_text(door.label)
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    expect(page.locator(f'[data-household="{door.pk}"]')).to_have_class(VISITED)
    screenshot(page, "phone-night-check-sent")

    inspection = Inspection.objects.get()
    assert inspection.household == door
    assert inspection.kind == Inspection.Kind.NIGHT_CHECK
    assert inspection.outcome == Inspection.Outcome.STOVE_IN_USE
    assert inspection.started_at == last_midnight()
    assert inspection.is_night
    assert inspection.client_uuid is not None
    assert inspection.recorded_by.username == "wulibao_inspector"
    assert sorted(Seizure.objects.values_list("item", "quantity", "method")) == [
        ("briquette", 50, "confiscated"),
        ("stove", 1, "destroyed"),
    ]
    assert Photo.objects.filter(object_id=inspection.pk).count() == 1
    assert page.evaluate("coalgovField.outbox.all().then(all => all.length)") == 0
    assert not traffic.offline_failures
    # The page posts only to the URL the server gave it, with its slash: a POST to the path without it
    # would get Django's 301, and a browser follows that as a GET, losing the visit.
    assert [(method, path) for method, path, _status in api if method != "GET"] == [("POST", INSPECTIONS)]
    assert [answer for answer in api if 300 <= answer[2] < 400] == []


def test_a_visit_without_photos_goes_as_json_and_a_repeat_of_it_is_the_same_visit(
    open_phone, live_server, register, wulibao_community
):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "1", "101")]
    _context, _traffic, page = open_phone()
    page.clock.set_fixed_time(last_midnight())
    sent = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and INSPECTIONS in r.url else None)
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "龙亭小区", "3", "1", door)

    expect(page.get_by_test_id("notes")).to_have_attribute("maxlength", "2000")  # as the server allows
    page.get_by_test_id("outcome-loose_coal").tap()
    page.get_by_test_id("qty-loose_coal").fill("12.5")
    page.get_by_test_id("method-loose_coal").select_option("voluntary")
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)

    (request,) = sent
    assert request.headers["content-type"] == "application/json"
    body = request.post_data_json
    assert body["seizures"] == [{"item": "loose_coal", "quantity": "12.5", "method": "voluntary"}]
    assert (body["seizure_count"], body["photo_count"]) == (1, 0)
    inspection = Inspection.objects.get()
    assert (inspection.household, inspection.outcome, str(inspection.client_uuid)) == (
        door,
        "loose_coal",
        body["client_uuid"],
    )
    assert list(inspection.seizures.values_list("item", "quantity", "method")) == [
        ("loose_coal", Decimal("12.5"), "voluntary")
    ]
    assert inspection.started_at == last_midnight()
    # The phone keeps its own copy and asked only for the visit's id back.
    assert request.headers["prefer"] == "return=minimal"
    assert request.response().json() == {"id": inspection.pk, "client_uuid": body["client_uuid"]}

    # The same body once more, as a phone whose answer was lost sends it: the first visit, nothing added.
    again = page.evaluate(
        """([url, body, token]) => fetch(url, {method: "POST", body, credentials: "same-origin",
             headers: {"Content-Type": "application/json", "X-CSRFToken": token}})
           .then(r => r.json().then(data => [r.status, data.id]))""",
        [f"{live_server.url}{INSPECTIONS}", request.post_data, request.headers["x-csrftoken"]],
    )
    assert again == [200, inspection.pk]
    assert Inspection.objects.count() == 1 and Seizure.objects.count() == 1


def test_a_visit_sent_after_the_session_ended_is_kept_with_a_sign_in_link_that_says_so(
    open_phone, live_server, register, wulibao_community
):
    doors, _shop = register
    door = doors[("铁路新村", "1", "1", "101")]
    context, traffic, page = open_phone()
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "铁路新村", "1", "1", door)
    context.clear_cookies()  # signed out elsewhere, or the session ran out while the page stayed open

    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()

    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "failed")
    expect(item.get_by_test_id("outbox-error")).to_contain_text("您已退出登录")
    # Not counted as waiting to be sent: it will not go by itself. The header says so apart, in red.
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    expect(page.get_by_test_id("outbox-refused")).to_have_text("，1条未被接受")
    expect(page.get_by_test_id("outbox-badge")).to_have_text("⇪ 0 待发送 1 未被接受")
    link = item.get_by_test_id("sign-in")
    expect(link).to_have_text("登录 →")  # a link that says where it goes, not an arrow alone
    assert link.get_attribute("href").startswith("/login/")
    assert Inspection.objects.count() == 0
    assert set(traffic.failures) == {f"{live_server.url}{INSPECTIONS}: 401"}
    traffic.failures.clear()


def assert_styled_phone(page):
    # The page's own header is green only if Bootstrap's CSS loaded (from the server or the worker's cache).
    assert page.locator("header.navbar").evaluate("e => getComputedStyle(e).backgroundColor") == BOOTSTRAP_SUCCESS


def test_offline_entries_wait_on_the_phone_and_reach_the_server_once(
    open_phone, live_server, register, wulibao_community, jpeg_file, screenshot
):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "502")]
    context, traffic, page = open_phone(expect_offline_failures=True)
    posts = []
    page.on(
        "response", lambda r: posts.append(r.status) if r.request.method == "POST" and INSPECTIONS in r.url else None
    )

    # Online: the service worker installs, caches the shell, and takes the page over.
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)  # fetched through the worker: cached

    # No signal. The page still opens, from the worker, with its styles and the community's doors.
    context.set_offline(True)
    response = page.reload()
    assert response is not None and response.from_service_worker
    assert_styled_phone(page)
    expect(page.get_by_test_id("network-status")).to_have_class(OFFLINE_BADGE)
    expect(page.get_by_test_id("community")).to_have_value(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)

    walk_to(page, "龙亭小区", "3", "2", door)
    page.get_by_test_id("kind").select_option("night_check")
    fill_in(page, "loose_coal", {"briquette": (20, "confiscated")}, jpeg_file(colour=(20, 20, 20)))
    page.get_by_test_id("submit").tap()

    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "waiting")
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")
    client_uuid = item.get_attribute("data-uuid")
    expect(item).to_contain_text(door.label)
    assert not Inspection.objects.exists()

    # Tries again while offline: by hand, then twice at once. The phone's lock lets at most one of the two
    # go (none, if a retry of its own, say on focus, holds it just then); the other answers "busy".
    page.get_by_test_id("send-now").tap()
    wait_until(page, ATTEMPTS, [client_uuid, 2])
    expect(item).to_have_attribute("data-state", "waiting")  # that attempt is over
    twice = page.evaluate("id => Promise.all([coalgovField.sendEntry(id), coalgovField.sendEntry(id)])", client_uuid)
    assert "busy" in twice
    assert set(twice) <= {"busy", "retry"}
    assert queued(page, client_uuid)["status"] == "waiting"
    assert not Inspection.objects.exists()
    assert posts == []  # nothing reached the server
    screenshot(page, "phone-offline-waiting")

    # Keep a copy of the queued entry, photo and all, to replay it later.
    page.evaluate("id => coalgovField.outbox.get(id).then(e => { window.replay = e; })", client_uuid)

    # The signal returns; the page is told so, and sends the same entry three ways at once.
    context.set_offline(False)
    results = page.evaluate(
        """id => {
            window.dispatchEvent(new Event("online"));
            return Promise.all([coalgovField.sync(), coalgovField.sync(), coalgovField.sendEntry(id)])
                .then(results => results.flat());
        }""",
        client_uuid,
    )
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    # Whichever got there first sent it (the `online` event may have won); the others found it taken.
    assert set(results) <= {"sent", "busy", "gone"}
    assert Inspection.objects.filter(client_uuid=client_uuid).count() == 1
    assert posts == [201], "the phone sent the entry more than once"

    # The server's answer was lost, say, and the phone replays the entry: the first record answers (200).
    page.evaluate("() => coalgovField.outbox.put(window.replay).then(() => coalgovField.sync())")
    wait_until(page, "() => coalgovField.outbox.all().then(all => all.length === 0)")
    assert posts == [201, 200]
    # Two copies racing past every lock on the phone: still the one record.
    race = "() => Promise.all([coalgovField.post(window.replay), coalgovField.post(window.replay)])"
    assert [answer["status"] for answer in page.evaluate(race)] == [200, 200]

    inspection = Inspection.objects.get()
    assert str(inspection.client_uuid) == client_uuid
    assert inspection.household == door
    assert list(inspection.seizures.values_list("item", "quantity", "method")) == [("briquette", 20, "confiscated")]
    assert Photo.objects.filter(object_id=inspection.pk).count() == 1
    assert Household.objects.get(pk=door.pk).coal_status == "found"
    assert page.evaluate("coalgovField.outbox.all().then(all => all.length)") == 0
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    assert traffic.offline_failures, "the offline attempts should have failed at the network"
    screenshot(page, "phone-offline-sent")


def test_a_waiting_entry_for_the_wrong_door_is_deleted_on_the_phone_and_never_sent(
    open_phone, live_server, register, wulibao_community
):
    """Recorded offline at the wrong door: the inspector deletes it before the signal returns (before, only an
    entry the server had refused could be deleted, so the wrong visit went to the office)."""
    doors, _shop = register
    wrong, right = doors[("龙亭小区", "3", "2", "501")], doors[("龙亭小区", "3", "2", "502")]
    context, _traffic, page = open_phone(expect_offline_failures=True)
    posts = []
    page.on(
        "response", lambda r: posts.append(r.status) if r.request.method == "POST" and INSPECTIONS in r.url else None
    )
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    context.set_offline(True)
    for door in (wrong, right):
        walk_to(page, "龙亭小区", "3", "2", door)
        page.get_by_test_id("outcome-no_coal").tap()
        page.get_by_test_id("submit").tap()
        page.get_by_test_id("path").get_by_role("button").first.tap()
    items = page.get_by_test_id("outbox-item")
    expect(items).to_have_count(2)
    stairwell = ["龙亭小区", "3", "2"]
    for level, value in zip(["estate", "building", "unit"], stairwell, strict=True):
        page.locator(f'[data-level="{level}"][data-value="{value}"]').tap()
    expect(page.locator(f'[data-household="{wrong.pk}"]')).to_have_class(VISITED)

    # Cancelled at the question: nothing changes; confirmed: the entry is gone.
    questions, answers = [], [False, True]

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    items.filter(has_text=wrong.label).get_by_test_id("delete").tap()
    expect(items).to_have_count(2)
    items.filter(has_text=wrong.label).get_by_test_id("delete").tap()
    expect(items).to_have_count(1)
    expect(items).to_contain_text(right.label)
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")
    expect(page.locator(f'[data-household="{wrong.pk}"]')).not_to_have_class(VISITED)
    assert len(questions) == 2 and all("街道或区散煤办作废" in q for q in questions), questions

    context.set_offline(False)
    page.evaluate("coalgovField.sync()")
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    assert list(Inspection.objects.values_list("household", flat=True)) == [right.pk]
    assert posts == [201]  # the deleted entry was never sent


def test_a_second_tab_shows_at_once_what_the_first_queued_and_what_was_sent(
    open_phone, live_server, register, wulibao_community, jpeg_file
):
    """Two tabs of the phone page on one phone share the queue: each redraws its lists when the other changes
    it, instead of showing a sent door as waiting until its own next retry (30 s)."""
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    context, _traffic, first = open_phone(expect_offline_failures=True)
    sign_in(first, live_server, "wulibao_inspector", households=6)
    first.goto(f"{live_server.url}/field/")
    first.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(first, "() => navigator.serviceWorker.controller !== null")
    second = context.new_page()
    second.goto(f"{live_server.url}/field/")
    expect(second.get_by_test_id("outbox-count")).to_have_text("0")

    first.get_by_test_id("community").select_option(wulibao_community.code)
    expect(first.locator('[data-level="estate"]')).to_have_count(2)
    context.set_offline(True)
    walk_to(first, "龙亭小区", "3", "2", door)
    fill_in(first, "loose_coal", {"briquette": (5, "confiscated")}, jpeg_file())
    first.get_by_test_id("submit").tap()
    expect(first.get_by_test_id("outbox-count")).to_have_text("1")
    # The other tab knows of it without a reload.
    expect(second.get_by_test_id("outbox-count")).to_have_text("1", timeout=3000)
    expect(second.get_by_test_id("outbox-item")).to_contain_text(door.label)

    # The signal returns: both tabs try, one sends, the other finds it taken; both show it sent within
    # seconds (before, whichever tab lost the race showed it waiting until its next retry).
    context.set_offline(False)
    for page in (first, second):
        page.evaluate('() => window.dispatchEvent(new Event("online"))')
    for page in (first, second):
        expect(page.get_by_test_id("outbox-count")).to_have_text("0", timeout=5000)
        expect(page.get_by_test_id("sent-item")).to_have_count(1, timeout=5000)
    assert Inspection.objects.filter(household=door).count() == 1


def test_nearby_and_search_find_the_door_and_the_visit_keeps_the_phones_position(
    open_phone, live_server, register, wulibao_community
):
    doors, shop = register
    here = {"latitude": 34.750000, "longitude": 113.650000}
    door = doors[("铁路新村", "1", "1", "101")]
    Household.objects.filter(pk=door.pk).update(latitude="34.750180", longitude="113.650000")  # 20 m north
    Household.objects.filter(pk=shop.pk).update(latitude="34.751000", longitude="113.650900")  # ~140 m
    _context, _traffic, page = open_phone(geolocation=here, permissions=["geolocation"])

    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("nearby").tap()
    results = page.get_by_test_id("choices").locator("[data-household]")
    expect(results).to_have_count(2)
    expect(results.first).to_have_attribute("data-household", str(door.pk))
    expect(results.first).to_contain_text("20")  # metres away

    # Search by the head of household's name, on the server (no community chosen yet).
    page.get_by_test_id("search").fill("住户502")
    expect(results).to_have_count(1)
    expect(results.first).to_have_attribute("data-household", str(doors[("龙亭小区", "3", "2", "502")].pk))
    page.get_by_test_id("search").fill("")

    page.get_by_test_id("nearby").tap()
    page.locator(f'[data-household="{door.pk}"]').tap()
    page.get_by_test_id("kind").select_option("survey")
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)

    inspection = Inspection.objects.get()
    assert (inspection.household, inspection.kind, inspection.outcome) == (door, "survey", "no_coal")
    assert (float(inspection.latitude), float(inspection.longitude)) == (34.75, 113.65)
    assert not inspection.seizures.exists()


CACHED_URLS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
}"""


def inspections_table(household):
    """What the server stored for this door: the rows a user would see in the visits table."""
    return list(Inspection.objects.filter(household=household).values_list("kind", "outcome", "recorded_by__username"))


def test_a_phone_that_opened_the_page_once_opens_it_cold_without_signal_and_sends_the_visit_once_back_online(
    open_phone, live_server, register, wulibao_community, jpeg_file, screenshot
):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "1", "101")]
    context, traffic, first = open_phone(expect_offline_failures=True)
    posts = []
    context.on(
        "response", lambda r: posts.append(r.status) if r.request.method == "POST" and INSPECTIONS in r.url else None
    )

    # Online, once: the worker installs (caching the shell), the community's doors are fetched; then the
    # page is closed without waiting for the worker to take it over.
    sign_in(first, live_server, "wulibao_inspector", households=6)
    first.goto(f"{live_server.url}/field/")
    first.get_by_test_id("community").select_option(wulibao_community.code)
    expect(first.locator('[data-level="estate"]')).to_have_count(2)
    first.evaluate("navigator.serviceWorker.ready.then(() => true)")
    first.close()

    # No signal at all, and a new page: the phone page opens from the phone alone, with its styles,
    # config (the Chinese strings, the user) and the community's doors.
    context.set_offline(True)
    page = context.new_page()
    modules = []
    page.on("response", lambda r: modules.append(r) if "/static/js/field" in r.url else None)
    response = page.goto(f"{live_server.url}/field/")
    assert response is not None and response.from_service_worker
    assert_styled_phone(page)
    # field.js and its five ES modules, all from the worker's cache.
    expect(page.get_by_test_id("community")).to_have_value(wulibao_community.code)
    assert len(modules) == 6
    assert all(r.ok and r.from_service_worker for r in modules)
    expect(page.get_by_test_id("network-status")).to_have_text("离线")
    expect(page.get_by_test_id("community")).to_have_value(wulibao_community.code)
    walk_to(page, "龙亭小区", "3", "1", door)
    page.get_by_test_id("kind").select_option("night_check")
    fill_in(page, "loose_coal", {"loose_coal": ("12.5", "confiscated")}, jpeg_file())
    page.get_by_test_id("submit").tap()
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "waiting")
    screenshot(page, "phone-cold-offline-waiting")
    assert posts == []

    # The night passed and the CSRF cookie went stale meanwhile: the first answer is 403, the page fetches
    # a fresh token and sends again. Exactly one record, with its photo and seizure.
    context.clear_cookies(name="csrftoken")
    context.set_offline(False)
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    expect(page.get_by_test_id("outbox-count")).to_have_text("0")
    assert inspections_table(door) == [("night_check", "loose_coal", "wulibao_inspector")]
    inspection = Inspection.objects.get(household=door)
    assert list(inspection.seizures.values_list("item", "method")) == [("loose_coal", "confiscated")]
    assert Photo.objects.filter(object_id=inspection.pk).count() == 1
    assert posts == [403, 201]
    traffic.failures.remove(f"{live_server.url}{INSPECTIONS}: 403")  # the stale token's answer, expected
    page.evaluate("coalgovField.sync(true)")
    assert posts == [403, 201]
    assert inspections_table(door) == [("night_check", "loose_coal", "wulibao_inspector")]


def test_a_phone_passed_to_another_inspector_shows_nothing_of_the_previous_one_offline(
    open_phone, live_server, register, wulibao_community, wulibao_other_community
):
    context, _traffic, page = open_phone(expect_offline_failures=True)
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_other_community.code)
    expect(page.get_by_test_id("finder-status")).to_have_text("住户：0 户")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    other_list = f"division={wulibao_other_community.code}"
    wait_until(page, f"() => ({CACHED_URLS})().then(urls => urls.some(u => u.includes('{other_list}')))")
    inspector_name = page.get_by_test_id("user-menu").inner_text()

    # Someone else signs in on this phone, and opens the phone page before there is a signal: the copy kept
    # for the inspector is not shown (their name, communities and lists), nor can anything be recorded.
    sign_in(page, live_server, "wulibao_worker", households=6)
    context.set_offline(True)
    page.goto(f"{live_server.url}/field/")
    expect(page.get_by_test_id("stale-page")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_be_hidden()
    expect(page.get_by_test_id("community")).to_have_count(0)
    assert inspector_name not in page.locator("body").inner_text()

    # With a signal the page is theirs, and the inspector's lists are dropped from the phone.
    context.set_offline(False)
    expect(page.get_by_test_id("community")).to_have_value(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    assert not [url for url in page.evaluate(CACHED_URLS) if other_list in url]

    # And their own copy stays, to open cold without a signal.
    page.close()
    context.set_offline(True)
    page = context.new_page()
    page.goto(f"{live_server.url}/field/")
    expect(page.get_by_test_id("community")).to_have_value(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    expect(page.get_by_test_id("stale-page")).to_have_count(0)


def without_photos(body: bytes, content_type: str) -> bytes:
    """The multipart body with its photo parts cut out, as when the connection drops in the middle."""
    boundary = b"--" + content_type.split("boundary=")[1].encode()
    parts = body.split(boundary)
    return boundary.join(part for part in parts if b'name="photos"' not in part)


def test_a_cut_off_upload_and_a_busy_server_keep_the_entry_to_send_again_later(
    open_phone, live_server, register, wulibao_community, jpeg_file
):
    doors, _shop = register
    door = doors[("龙亭小区", "13", "1", "201")]
    _context, traffic, page = open_phone()
    sent = []  # (status, body) of every submission that reached the server or its stand-in
    answers = iter(["cut off", "busy"])

    def upload(route, request):
        answer = next(answers, "whole")
        body = request.post_data_buffer
        if answer == "busy":
            # The server in an outage (its error page answers 503 with Retry-After), for this one request.
            sent.append((503, body))
            route.fulfill(status=503, headers={"Retry-After": "120"}, json={"detail": "Service unavailable"})
        elif answer == "cut off":
            # The photo never arrived: the real server compares it with photo_count and stores nothing.
            route.continue_(post_data=without_photos(body, request.headers["content-type"]))
        else:
            route.continue_()

    page.on(
        "response",
        lambda r: sent.append((r.status, None)) if r.request.method == "POST" and INSPECTIONS in r.url else None,
    )
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.route(f"**{INSPECTIONS}", upload)
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "龙亭小区", "13", "1", door)
    fill_in(page, "loose_coal", {"briquette": (8, "voluntary"), "stove": (1, "destroyed")}, jpeg_file())
    page.get_by_test_id("submit").tap()

    # Cut off: kept, waiting, and said so in Chinese; not "not accepted".
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "waiting")
    expect(item.get_by_test_id("outbox-error")).to_contain_text("上传中断，稍后重试")
    assert not Inspection.objects.exists()

    # The server is busy: kept again, "稍后重试", and not sent again before Retry-After has passed.
    page.get_by_test_id("send-now").tap()
    expect(item.get_by_test_id("outbox-error")).to_contain_text("服务器繁忙，稍后重试")
    expect(page.get_by_test_id("toast")).to_contain_text("稍后重试")
    expect(item).to_have_attribute("data-state", "waiting")
    assert page.evaluate("coalgovField.sync()") == []
    busy_body = next(body for status, body in sent if status == 503)
    assert b'name="photo_count"\r\n\r\n1\r\n' in busy_body
    assert b'name="seizure_count"\r\n\r\n2\r\n' in busy_body

    # Later, "Send now": the whole entry arrives, once.
    page.get_by_test_id("send-now").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    inspection = Inspection.objects.get()
    assert inspection.household == door
    assert inspection.seizures.count() == 2
    assert Photo.objects.filter(object_id=inspection.pk).count() == 1
    assert [status for status, _body in sent] == [400, 503, 503, 201]
    for status in (400, 503):
        traffic.failures.remove(f"{live_server.url}{INSPECTIONS}: {status}")


def test_the_phone_decides_at_night_exactly_as_the_server_does_whatever_the_phones_own_time_zone(
    open_context, live_server, people, wulibao_community
):
    context, _traffic = open_context(**PHONE, timezone_id="Europe/London")  # a phone set to another zone
    page = context.new_page()
    sign_in(page, live_server, "wulibao_worker", households=0)
    page.goto(f"{live_server.url}/field/")
    # Both edges of the window, either side of midnight, and midday; in the server's zone, to the second.
    for local_time in ["21:59:59", "22:00:00", "23:59:59", "00:00:00", "05:59:59", "06:00:00", "12:00:00"]:
        clock_time = datetime.time.fromisoformat(local_time)
        moment = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), clock_time))
        phone = page.evaluate("iso => coalgovField.isNight(new Date(iso))", moment.isoformat())
        assert phone == is_night(moment), local_time


def test_a_night_check_entered_by_day_says_before_saving_that_it_will_not_count_as_one(
    open_phone, live_server, register, wulibao_community, settings
):
    settings.NIGHT_START, settings.NIGHT_END = "23:30", "04:00"  # the window is the server's setting
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    _context, _traffic, page = open_phone()
    page.clock.set_fixed_time(last_midnight().replace(hour=23, minute=0) - datetime.timedelta(days=1))
    at_door(page, live_server, wulibao_community, door)

    # 23:00 is night by the default window, not by this one: a survey, and no warning until 夜查 is chosen.
    expect(page.get_by_test_id("kind")).to_have_value("survey")
    warning = page.get_by_test_id("night-warning")
    expect(warning).to_be_hidden()
    page.get_by_test_id("kind").select_option("night_check")
    expect(warning).to_be_visible()
    expect(warning).to_have_text("23:00 不在夜间时段（23:30–04:00）内：这次走访不会计为夜查。")
    page.get_by_test_id("kind").select_option("survey")
    expect(warning).to_be_hidden()

    # Saved as 夜查 anyway: stored, and not at night, as the warning said.
    page.get_by_test_id("kind").select_option("night_check")
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    inspection = Inspection.objects.get()
    assert (inspection.kind, inspection.is_night) == ("night_check", False)

    # Past the window's start, the same choice says nothing.
    page.clock.set_fixed_time(last_midnight().replace(hour=23, minute=45) - datetime.timedelta(days=1))
    page.locator(f'[data-household="{door.pk}"]').tap()
    expect(page.get_by_test_id("kind")).to_have_value("night_check")
    expect(warning).to_be_hidden()


def test_coal_taken_at_a_door_marked_no_coal_is_stopped_on_the_phone_before_it_queues(
    open_phone, live_server, register, wulibao_community
):
    """The server would refuse such a visit for good (coal seized beside "no coal" found): the phone says so at
    once, while the inspector is still at the door, and keeps nothing to send."""
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    _context, _traffic, page = open_phone()
    page.clock.set_fixed_time(last_midnight())
    at_door(page, live_server, wulibao_community, door)

    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("qty-briquette").fill("20")
    page.get_by_test_id("submit").tap()
    expect(page.locator("#visit-error")).to_contain_text("“发现散煤”")
    assert page.evaluate("coalgovField.outbox.all().then(all => all.length)") == 0

    # A stove handed over where no coal was found is recorded as it was.
    page.get_by_test_id("qty-briquette").fill("")
    page.get_by_test_id("qty-stove").fill("1")
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    assert list(Seizure.objects.values_list("item", flat=True)) == ["stove"]
    assert Inspection.objects.get().outcome == "no_coal"


def test_a_quantity_past_what_a_place_holds_is_stopped_on_the_phone_before_it_queues(
    open_phone, live_server, register, wulibao_community
):
    """An outside tester typed 9999999999.99 kg: queued, refused by the server for good, to be deleted and typed in
    again."""
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    _context, _traffic, page = open_phone()
    at_door(page, live_server, wulibao_community, door)

    page.get_by_test_id("outcome-loose_coal").tap()
    page.get_by_test_id("qty-loose_coal").fill("9999999999.99")
    page.get_by_test_id("submit").tap()
    expect(page.locator("#visit-error")).to_contain_text("每行最多100000")
    assert page.evaluate("coalgovField.outbox.all().then(all => all.length)") == 0
    # Corrected, the figure's refusal is gone (an outside tester saw it stay above 保存并发送).
    page.get_by_test_id("qty-loose_coal").fill("40")
    expect(page.locator("#visit-error")).to_be_hidden()


def test_a_phone_left_on_utc_shows_every_time_on_the_servers_clock(
    open_phone, live_server, register, wulibao_community
):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "1", "101")]
    context, _traffic, page = open_phone(timezone_id="UTC", expect_offline_failures=True)
    # 07:31 in Zhengzhou, where the server decides "at night"; on this phone's own clock, 23:31 the day before.
    moment = last_midnight().replace(hour=7, minute=31)
    if moment > timezone.now():  # run before 07:31: the last 07:31 that has passed is yesterday's
        moment -= datetime.timedelta(days=1)
    shown = f"{moment:%m-%d %H:%M}"
    phones_own = f"{moment.astimezone(datetime.UTC):%m-%d %H:%M}"
    assert shown != phones_own
    page.clock.set_fixed_time(moment)
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "龙亭小区", "3", "1", door)

    # One screen, one clock: the header and the warning under it both read Zhengzhou's 07:31.
    expect(page.get_by_test_id("kind")).to_have_value("survey")
    page.get_by_test_id("kind").select_option("night_check")
    expect(page.get_by_test_id("visit-time")).to_have_text(f"{shown} 检查")
    warning = "07:31 不在夜间时段（22:00–06:00）内：这次走访不会计为夜查。"
    expect(page.get_by_test_id("night-warning")).to_have_text(warning)

    # Saved without a signal: the list of what waits says 07:31 too, and so does the sent list after.
    context.set_offline(True)
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("submit").tap()
    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "waiting")
    expect(item).to_contain_text(shown)
    context.set_offline(False)
    page.get_by_test_id("send-now").tap()
    expect(page.get_by_test_id("sent-item")).to_contain_text(shown)
    assert phones_own not in page.locator("main").inner_text()
    assert Inspection.objects.get().started_at == moment


# Where the focused element and the 保存并发送 bar are on the screen, and the header's bottom edge.
FOCUS_AND_BAR = """() => {
    const box = (e) => {
        const r = e.getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
    };
    return {
        focused: document.activeElement.id,
        field: box(document.activeElement),
        bar: box(document.getElementById("submit")),
        header: document.querySelector("header.navbar").getBoundingClientRect().bottom,
        viewport: window.innerHeight,
    };
}"""


def in_sight(where) -> bool:
    """The focused field is on the screen, clear of the bar and below the header."""
    field, bar = where["field"], where["bar"]
    under_bar = field["top"] < bar["bottom"] and bar["top"] < field["bottom"]
    under_bar = under_bar and field["left"] < bar["right"] and bar["left"] < field["right"]
    return not under_bar and field["top"] >= where["header"] and field["bottom"] <= where["viewport"]


def focused_in_sight(page, test_id):
    """Wait a moment for the page to scroll the focused field into sight; the last positions if it does not."""
    deadline = time.monotonic() + 2
    while True:
        where = page.evaluate(FOCUS_AND_BAR)
        if (where["focused"] == test_id and in_sight(where)) or time.monotonic() > deadline:
            return where
        page.wait_for_timeout(50)


def test_at_200_percent_text_the_quantity_being_typed_stays_above_the_save_bar(
    open_phone, live_server, register, wulibao_community
):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "502")]
    _context, _traffic, page = open_phone()
    at_door(page, live_server, wulibao_community, door)
    bar = page.get_by_test_id("submit")
    at_100 = bar.bounding_box()["height"]
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    page.get_by_test_id("outcome-loose_coal").tap()
    assert bar.bounding_box()["height"] > at_100 * 1.5  # the bar grows with the text

    tapped = []
    for item in ["briquette", "loose_coal", "stove", "charcoal"]:
        # Scrolled so that only the top edge of the box shows above the bar; the inspector taps that edge.
        edge = page.get_by_test_id(f"qty-{item}").evaluate(
            """async e => {
                const barTop = () => document.getElementById("submit").getBoundingClientRect().top;
                // The page may still be moving (a field that just appeared, the page's own scrolling into
                // sight): wait until the box and the bar keep still for two frames, before and after.
                const frame = () => new Promise(done => requestAnimationFrame(() => done()));
                const settle = async () => {
                    let last = "";
                    for (let i = 0; i < 60; i++) {
                        await frame();
                        const now = `${window.scrollY} ${e.getBoundingClientRect().top} ${barTop()}`;
                        if (now === last) return;
                        last = now;
                    }
                };
                await settle();
                const by = e.getBoundingClientRect().top - barTop() + 14;
                window.scrollBy({top: by, behavior: "instant"});  // Bootstrap makes scrolling smooth
                await settle();
                const r = e.getBoundingClientRect();
                return {x: r.left + r.width / 2, y: r.top + 7, hidden: r.bottom > barTop()};
            }"""
        )
        if not edge["hidden"]:
            continue  # the end of the page: this box cannot be scrolled under the bar
        page.touchscreen.tap(edge["x"], edge["y"])
        where = focused_in_sight(page, f"qty-{item}")
        assert where["focused"] == f"qty-{item}"
        assert in_sight(where), (item, where)
        page.keyboard.type("5")
        assert in_sight(page.evaluate(FOCUS_AND_BAR)), item
        tapped.append(item)
    assert "briquette" in tapped

    # The phone keyboard's "next" (Tab): each field it moves to is in sight too, quantities and how taken.
    for item in ["briquette", "loose_coal", "stove", "charcoal"]:
        page.get_by_test_id(f"qty-{item}").fill("5")  # a quantity: how it was taken is asked next
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.get_by_test_id("qty-briquette").focus()
    for test_id in ["qty-briquette", "method-briquette", "qty-loose_coal", "method-loose_coal", "qty-stove"]:
        where = focused_in_sight(page, test_id)
        assert (where["focused"], in_sight(where)) == (test_id, True), where
        page.keyboard.press("Tab")


# The WCAG contrast ratio of each visible button's text against what lies behind it (the first ancestor
# with an opaque background), computed from the colours the browser actually uses.
CONTRASTS = """selector => {
    const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
        const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        const [R, G, B] = [r, g, b].map(linear);
        return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const behind = (node) => {
        for (let e = node; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length < 4 || c[3] === 1) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    return [...document.querySelectorAll(selector)].filter(e => e.offsetParent !== null && e.textContent.trim())
        .map(e => {
            const [a, b] = [luminance(rgb(getComputedStyle(e).color)), luminance(behind(e))];
            return [e.dataset.testid || e.textContent.trim(), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
        });
}"""
# Visible controls smaller than 44 × 44 px (inputs hidden behind their label buttons are not targets).
TARGETS = """() => [...document.querySelectorAll("button, a.btn, label.btn, select, input")]
    .filter(e => e.offsetParent !== null && !e.matches(".btn-check, .visually-hidden, [type=hidden]"))
    .map(e => {
        const r = e.getBoundingClientRect();
        return [e.dataset.testid || e.textContent.trim() || e.id, r.width, r.height];
    })
    .filter(([name, w, h]) => w < 44 || h < 44)"""


def test_the_phone_page_reads_well_at_night_for_everyone(open_phone, live_server, people, register, wulibao_community):
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    people["wulibao_inspector"].first_name = "欧阳娜仁高娃·巴特尔其其格"  # a long name in the header
    people["wulibao_inspector"].save()
    _context, _traffic, page = open_phone()
    page.clock.set_fixed_time(last_midnight())
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")

    # Names read aloud begin with what is shown (label in name).
    expect(page.get_by_role("button", name=re.compile(r"^欧阳娜仁高娃·巴特尔其其格 菜单$"))).to_be_visible()
    expect(page.get_by_role("link", name="0 待发送")).to_be_visible()

    # Keyboard: each choice leaves the focus on the next choices, not at the top of the page.
    page.get_by_test_id("community").select_option(wulibao_community.code)
    page.locator('[data-level="estate"][data-value="龙亭小区"]').focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.level") == "building"
    page.keyboard.press("Enter")  # the first building: 3号楼
    assert page.evaluate("document.activeElement.dataset.level") == "unit"
    page.locator('[data-level="unit"][data-value="2"]').focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.dataset.household") == str(door.pk)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("chosen-household")).to_be_focused()

    # The answer buttons and every other button: at least 4.5:1 in the dark theme, unchosen and chosen;
    # every target at least 44 × 44 px.
    contrasts = page.evaluate(CONTRASTS, ".btn")
    assert any(name == "outcome-loose_coal" for name, _ratio in contrasts)
    assert [(name, round(ratio, 2)) for name, ratio in contrasts if ratio < 4.5] == []
    page.get_by_test_id("outcome-loose_coal").tap()
    page.get_by_test_id("outcome-no_coal").tap()
    assert page.evaluate("document.activeElement.id") == "outcome-no_coal"  # the focus stays on the choice
    assert [(n, round(r, 2)) for n, r in page.evaluate(CONTRASTS, ".field-outcomes .btn") if r < 4.5] == []
    assert page.evaluate(TARGETS) == []

    # The photo buttons show where the keyboard is, though the inputs behind them are hidden.
    page.get_by_test_id("notes").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "photos"
    outline = page.get_by_test_id("take-photo").evaluate(
        "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth"
    )
    assert outline == "solid 3px"
    assert page.get_by_test_id("from-album").evaluate("e => getComputedStyle(e).outlineStyle") == "none"

    # At 200 % text nothing scrolls sideways, the header with its long name included.
    page.once("dialog", lambda dialog: dialog.accept())  # leaving the half-filled visit is asked first
    page.locator("#change-household").tap()
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    wide = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wide) <= 0
    page.locator(f'[data-household="{door.pk}"]').tap()
    assert page.evaluate(wide) <= 0


def test_the_english_phone_page_says_nothing_in_chinese_of_its_own(
    open_phone, live_server, register, wulibao_community
):
    context, _traffic, page = open_phone()
    sign_in(page, live_server, "wulibao_inspector", households=6)
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": "en", "domain": host, "path": "/"}])
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    page.locator('[data-level="estate"][data-value="龙亭小区"]').tap()
    expect(page.locator('[data-level="building"]').first).to_contain_text("Building 3")
    page.locator('[data-level="building"][data-value="3"]').tap()
    expect(page.locator('[data-level="unit"]').first).to_contain_text("Stairwell 1")
    expect(page.get_by_test_id("path")).to_contain_text("Building 3")
    shown = page.get_by_test_id("finder").inner_text()
    assert "号楼" not in shown and "单元" not in shown


def test_an_entry_the_server_refuses_for_good_is_kept_as_not_accepted_with_the_servers_words(
    open_phone, live_server, register, wulibao_community, tmp_path
):
    doors, _shop = register
    door = doors[("铁路新村", "1", "1", "101")]
    _context, traffic, page = open_phone()
    not_a_photo = tmp_path / "door.jpg"
    not_a_photo.write_bytes(b"this is no photo at all")
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    walk_to(page, "铁路新村", "1", "1", door)
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("photos").set_input_files(str(not_a_photo))
    page.get_by_test_id("submit").tap()

    item = page.get_by_test_id("outbox-item")
    expect(item).to_have_attribute("data-state", "failed")
    expect(item.get_by_test_id("outbox-error")).to_contain_text("照片：door.jpg")
    expect(item.get_by_test_id("retry")).to_be_visible()
    assert page.evaluate("coalgovField.sync()") == []  # not sent again by itself
    assert not Inspection.objects.exists()
    traffic.failures.remove(f"{live_server.url}{INSPECTIONS}: 400")


def test_lists_fetched_before_the_worker_takes_over_are_kept_on_the_phone_by_the_page_itself(
    open_phone, live_server, register, wulibao_community, wulibao_other_community
):
    # No worker at all (blocked), so the page is never controlled: what it fetched, it stores itself.
    context, _traffic, page = open_phone(expect_offline_failures=True, service_workers="block")
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.get_by_test_id("community").select_option(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    page.get_by_test_id("community").select_option(wulibao_other_community.code)
    expect(page.get_by_test_id("finder-status")).to_have_text("住户：0 户")

    context.set_offline(True)
    page.get_by_test_id("community").select_option(wulibao_community.code)
    expect(page.locator('[data-level="estate"]')).to_have_count(2)
    expect(page.get_by_test_id("finder-status")).to_have_text("住户：6 户")


def test_photos_over_what_one_visit_can_send_are_refused_before_the_visit_is_saved(
    open_phone, live_server, register, wulibao_community, tmp_path, settings
):
    """An outside tester saved a visit with eight photos of 8.7 MB: 70 MB, over the proxy's 60. It was kept on
    the phone, refused (413) at every try, and could only be deleted."""
    settings.UPLOAD_MAX_BYTES = 1024 * 1024 + 150_000  # a small limit: a little over the margin for the fields
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    photos = []
    for n in range(3):
        path = tmp_path / f"big{n}.jpg"
        Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(path, "JPEG", quality=95)
        photos.append(str(path))  # some 100 KB each, of noise
    _context, _traffic, page = open_phone()
    at_door(page, live_server, wulibao_community, door)
    page.get_by_test_id("outcome-no_coal").tap()
    page.get_by_test_id("photos").set_input_files(photos)
    expect(page.get_by_test_id("photo-preview")).to_have_count(3)

    page.get_by_test_id("submit").tap()

    expect(page.get_by_text("一次最多发送0.1 MB")).to_be_visible()
    assert page.evaluate("coalgovField.outbox.all().then(all => all.length)") == 0
    page.get_by_test_id("photo-preview").nth(0).get_by_role("button").tap()
    expect(page.locator("#visit-error")).to_be_hidden()  # about the photos as they were
    page.get_by_test_id("photo-preview").nth(0).get_by_role("button").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("sent-item")).to_have_count(1)
    assert Photo.objects.count() == 1


@pytest.mark.parametrize(
    ("offset", "said"), [(datetime.timedelta(minutes=40), "相差约40分钟"), (-datetime.timedelta(days=2530), "天")]
)
def test_a_phone_whose_clock_is_wrong_says_so(open_phone, live_server, register, offset, said):
    """Outside testers: a phone 40 minutes fast had its visits refused as in the future with no word about its
    clock; one reset to 2020 recorded them in 2020, silently. (The phone's clock is still the visit's time: the
    inspector is told to set it right.)"""
    _context, _traffic, page = open_phone()
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.clock.install(time=timezone.now() + offset)
    page.goto(f"{live_server.url}/field/")

    expect(page.get_by_test_id("clock-warning")).to_be_visible()
    expect(page.get_by_test_id("clock-warning")).to_contain_text(said)
    expect(page.get_by_test_id("clock-warning")).to_contain_text("请校准手机的日期和时间")


def test_a_phone_whose_clock_is_right_says_nothing_of_it(open_phone, live_server, register):
    _context, _traffic, page = open_phone()
    sign_in(page, live_server, "wulibao_inspector", households=6)
    page.goto(f"{live_server.url}/field/")
    page.wait_for_timeout(500)

    expect(page.get_by_test_id("clock-warning")).to_be_hidden()


def test_an_entry_waiting_for_its_owner_names_them_as_people_know_them(
    open_phone, live_server, people, register, wulibao_community, jpeg_file
):
    """An outside tester: the greyed entry of the previous inspector said "由wulibao_inspector录入", a login name."""
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    context, _traffic, page = open_phone(expect_offline_failures=True)
    at_door(page, live_server, wulibao_community, door)
    fill_in(page, "no_coal", {}, jpeg_file())
    context.set_offline(True)
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("outbox-count")).to_have_text("1")
    page.close()  # before the signal is back: the inspector's page would send the entry at once
    context.set_offline(False)
    page = context.new_page()

    sign_in(page, live_server, "wulibao_worker", households=6)
    page.goto(f"{live_server.url}/field/")

    inspector = people["wulibao_inspector"]
    expect(page.locator("#outbox-list")).to_contain_text(f"由{inspector.first_name}录入")
    assert inspector.first_name and inspector.first_name != inspector.username


def test_changing_the_door_of_a_half_filled_visit_asks_first(
    open_phone, live_server, register, wulibao_community, jpeg_file
):
    """An outside tester tapped 更换 on a visit with coal, a quantity, notes and three photos: all gone, unasked."""
    doors, _shop = register
    door = doors[("龙亭小区", "3", "2", "501")]
    _context, _traffic, page = open_phone()
    at_door(page, live_server, wulibao_community, door)
    fill_in(page, "loose_coal", {"loose_coal": (20, "voluntary")}, jpeg_file())
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator("#change-household").tap()
    assert asked and "离开这次检查" in asked[0]
    expect(page.get_by_test_id("photo-preview")).to_have_count(1)  # kept: the inspector said no
    expect(page.get_by_test_id("qty-loose_coal")).to_have_value("20")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#change-household").tap()
    expect(page.get_by_test_id("finder")).to_be_visible()
