"""The district office publishes a week's ranking and withdraws it, in a browser with JavaScript switched off:
the confirmation is a page of its own, not a script's dialog."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from households.models import Household
from inspections.services import inspection_record
from reports.models import RankingWeek
from reports.ranking import default_week

from .test_sign_in import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_publishing_asks_for_confirmation_and_a_withdrawal_keeps_its_reason_without_javascript(
    open_context, live_server, people, household_in, wulibao_community
):
    week = default_week()  # the week the page opens on
    wednesday = timezone.make_aware(datetime.datetime.combine(week + datetime.timedelta(days=2), datetime.time(10)))
    homes = [household_in(wulibao_community, estate="龙亭小区", room=room) for room in ("101", "102")]
    # Registered a month before the week (the ranking counts the register as it stood then); one visited in it.
    Household.objects.filter(pk__in=[h.pk for h in homes]).update(created_at=wednesday - datetime.timedelta(days=30))
    inspection_record(
        actor=people["wulibao_inspector"], household=homes[0], kind="survey", outcome="no_coal", started_at=wednesday
    )
    context, _traffic = open_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "qu_admin", households=2)

    # A week nobody worked (the one before any record) ranks nobody and offers nothing to publish.
    page.goto(f"{live_server.url}/units/ranking/?week={week - datetime.timedelta(days=7)}")
    expect(page.get_by_test_id("no-work")).to_contain_text("本周无工作记录")
    expect(page.get_by_test_id("publish")).to_have_count(0)

    page.goto(f"{live_server.url}/units/ranking/")
    table = page.get_by_test_id("ranking-table")
    # The one community with households is ranked; the district's other 175 have no data.
    expect(table.locator(f"tr[data-code='{wulibao_community.code}'] td").first).to_have_text("1")
    expect(table.locator("tr[data-no-data]")).to_have_count(175)
    expect(page.get_by_test_id("named")).not_to_contain_text("社区居民委员会、")

    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("publish-summary")).to_contain_text(wulibao_community.name)
    assert not RankingWeek.objects.exists()  # opening the confirmation published nothing
    page.get_by_test_id("confirm-publish").click()
    expect(page.get_by_test_id("week-status")).to_contain_text("数据已固定")
    assert RankingWeek.objects.filter(withdrawn_at__isnull=True).count() == 1

    page.get_by_test_id("withdraw").click()
    page.get_by_test_id("confirm-withdraw").click()  # no reason: refused, on the form
    expect(page.locator("textarea[name=reason]")).to_be_visible()
    assert RankingWeek.objects.get().withdrawn_at is None
    page.locator("textarea[name=reason]").fill("龙亭小区走访漏录，补录后重新发布")
    page.get_by_test_id("confirm-withdraw").click()
    expect(page.get_by_test_id("withdrawals")).to_contain_text("龙亭小区走访漏录，补录后重新发布")
    expect(page.get_by_test_id("publish")).to_be_visible()  # the week may be published again
