"""What each group sees: markup its client renders, headings with what they head, plain text to copy."""

import datetime

import pytest

from cases.models import Case
from cases.services import case_open
from digests import services
from digests.markup import is_heading
from digests.selectors import digest_text, split_parts
from inspections.services import inspection_record

pytestmark = pytest.mark.django_db
DAY = datetime.date(2017, 1, 5)


@pytest.fixture
def two_overdue(people, wulibao_community):
    """Two cases in 建新南街社区, 16 and 3 days overdue on DAY."""
    cases = []
    for title, days in (("楼道堆放散煤", 16), ("门店使用散煤炉", 3)):
        case = case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title=title)
        Case.objects.filter(pk=case.pk).update(deadline=DAY - datetime.timedelta(days=days))
        cases.append(case)
    return cases


@pytest.mark.parametrize(("kind", "bullet"), [("wecom", "> "), ("dingtalk", "- ")])
def test_wecom_and_dingtalk_get_the_overdue_cases_as_lines_they_render_not_a_raw_table(
    request, kind, bullet, channel_for, wulibao, wulibao_community, two_overdue
):
    server = request.getfixturevalue(kind)
    channel_for(server, wulibao, kind)

    (delivery,) = services.deliveries_prepare(date=DAY)
    assert services.delivery_send(delivery_id=delivery.pk) == "sent"

    (message,) = server.received
    assert message["msgtype"] == "markdown" and message["shown_raw"] == []  # nothing outside the documented subset
    first, second = two_overdue
    assert f"{bullet}{wulibao_community.name}：#{first.pk} 楼道堆放散煤（逾期16天）" in message["text"]
    assert f"{bullet}{wulibao_community.name}：#{second.pk} 门店使用散煤炉（逾期3天）" in message["text"]
    assert "|" not in message["text"]


def test_feishu_still_gets_the_overdue_table_as_rich_text_rows(feishu, channel_for, wulibao, two_overdue):
    channel_for(feishu, wulibao, "feishu")

    (delivery,) = services.deliveries_prepare(date=DAY)
    services.delivery_send(delivery_id=delivery.pk)

    paragraphs = feishu.received[0]["body"]["content"]["post"]["zh_cn"]["content"]
    lines = [p[0]["text"] for p in paragraphs]
    header = lines.index("责任单位　问题　逾期")
    assert paragraphs[header][0]["style"] == ["bold"]
    assert lines[header + 1].endswith("楼道堆放散煤　16天")


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_no_part_ends_with_a_heading_whose_lines_start_in_the_next(
    request, kind, people, channel_for, wulibao, two_overdue
):
    for n in range(300):
        case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao, title=f"逾期问题第{n + 1}处")
    Case.objects.update(deadline=DAY - datetime.timedelta(days=3))
    server = request.getfixturevalue(kind)
    channel = channel_for(server, wulibao, kind)
    (delivery,) = services.deliveries_prepare(date=DAY)

    parts = services.digest_parts(delivery.digest, channel)

    assert len(parts) > 1
    for part in parts:
        last = [line for line in part.split("\n") if line.strip()][-1]
        assert not is_heading(last), part[-200:]


def test_a_heading_goes_to_the_next_part_with_its_first_row_when_they_do_not_fit_together():
    text = "\n".join(["### 通报", "", "正文" * 40, "", "**逾期问题**", "", "| 单位 | 问题 | 逾期 |", "|---|---|---|"])
    text += "\n" + "\n".join(f"| 社区{i} | 问题{i} | {i}天 |" for i in range(30))

    parts = split_parts(text, 300)

    heading = next(p for p in parts if "**逾期问题**" in p)
    assert "| 社区0 | 问题0 | 0天 |" in heading
    assert all(not is_heading([line for line in p.split("\n") if line][-1]) for p in parts)


def test_the_digest_page_copies_plain_text_not_markdown(client_as, wulibao, two_overdue):
    page = client_as("wulibao_admin").get("/digests/", {"division": wulibao.code, "date": DAY.isoformat()})

    text = page.context["text"]
    assert "###" not in text and "**" not in text and "|" not in text
    assert text.startswith("五里堡街道") and f"#{two_overdue[0].pk} 楼道堆放散煤（逾期16天）" in text


def test_a_day_without_work_names_no_community_best_or_last(wulibao):
    text = digest_text(wulibao, DAY)

    assert "排名靠前" not in text and "排名靠后" not in text and "本周" not in text


def test_only_communities_with_work_or_households_are_ranked_and_zero_is_never_best(
    people, register, wulibao, wulibao_community, wulibao_other_community
):
    from django.utils import timezone

    inspection_record(
        actor=people["wulibao_inspector"],
        household=register("wulibao_admin", wulibao_community),
        kind="survey",
        outcome="no_coal",
        started_at=timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(10, 0))),
    )
    register("wulibao_admin", wulibao_other_community)  # households to survey, none checked this week

    lines = digest_text(wulibao, DAY).split("\n")

    best = next(line for line in lines if wulibao_community.name + "（1）" in line)
    last = next(line for line in lines if wulibao_other_community.name + "（0）" in line)
    assert best != last and "（0）" not in best
    # Communities with no households and no work this week (无数据) are never named.
    named = "".join(line for line in lines if "（0）" in line or "（1）" in line)
    assert named.count("（0）") == 1


def _visit(people, household, day=DAY):
    from django.utils import timezone

    inspection_record(
        actor=people["wulibao_inspector"],
        household=household,
        kind="survey",
        outcome="no_coal",
        started_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0))),
    )


def test_a_community_whose_only_place_is_shut_by_a_ban_is_not_named_last(
    people, register, wulibao, wulibao_community, wulibao_other_community
):
    """An outside tester found the district digest naming, every morning, three communities whose only
    registered place was a coal shop shut by a ban: the weekly ranking says 无数据 of them."""
    from django.utils import timezone

    from households.models import Household
    from inspections.services import ban_record

    _visit(people, register("wulibao_admin", wulibao_community))
    shop = register("wulibao_admin", wulibao_other_community, kind="coal_sale_point", estate="", address="大学路 1 号")
    long_ago = timezone.make_aware(datetime.datetime.combine(DAY - datetime.timedelta(days=60), datetime.time(9)))
    Household.objects.filter(pk=shop.pk).update(created_at=long_ago)  # registered before the ban, as it was
    ban_record(
        actor=people["wulibao_admin"],
        household=shop,
        kind="sale_point",
        banned_at=timezone.make_aware(datetime.datetime.combine(DAY - datetime.timedelta(days=30), datetime.time(9))),
    )

    third = wulibao.children.order_by("code")[2]
    register("wulibao_admin", third)  # households to survey, none checked

    text = digest_text(wulibao, DAY)

    assert f"排名靠前：{wulibao_community.name}（1）" in text and f"排名靠后：{third.name}（0）" in text
    assert wulibao_other_community.name not in text


def test_a_community_that_checked_as_many_as_one_praised_is_not_named_last(people, register, wulibao):
    """五里堡's digest praised 建新南街（3） and 五里堡社区（3） and named 建新北街（3） last."""
    communities = list(wulibao.children.order_by("code")[:5])
    for community, visits in zip(communities, (5, 3, 3, 3, 0), strict=True):
        register("wulibao_admin", community, room="900")  # households to survey, so each has data
        for room in range(visits):
            _visit(people, register("wulibao_admin", community, room=str(100 + room)))

    lines = digest_text(wulibao, DAY).split("\n")

    last = next(line for line in lines if line.startswith("排名靠后"))
    assert last == f"排名靠后：{communities[4].name}（0）"


def test_when_more_share_the_lowest_count_than_are_named_the_line_says_how_many(people, register, wulibao):
    communities = list(wulibao.children.order_by("code")[:7])
    for community, visits in zip(communities, (2, 1, 1, 0, 0, 0, 0), strict=True):
        register("wulibao_admin", community, room="900")
        for room in range(visits):
            _visit(people, register("wulibao_admin", community, room=str(100 + room)))

    lines = digest_text(wulibao, DAY).split("\n")

    last = next(line for line in lines if line.startswith("排名靠后"))
    assert last.endswith("；另有1个社区同为0户"), last
    assert last.count("（0）") == 3


def test_communities_tied_with_the_last_one_praised_are_counted_not_left_out(people, register, wulibao):
    """Another outside tester: 淮河、和平新村、棉纺东路 (5) praised, 中原 and 苗圃花园 (5 as well) not mentioned."""
    communities = list(wulibao.children.order_by("code")[:6])
    for community, visits in zip(communities, (2, 2, 2, 2, 2, 0), strict=True):
        register("wulibao_admin", community, room="900")
        for room in range(visits):
            _visit(people, register("wulibao_admin", community, room=str(100 + room)))

    lines = digest_text(wulibao, DAY).split("\n")

    best = next(line for line in lines if line.startswith("排名靠前"))
    assert best.count("（2）") == 3 and best.endswith("；另有2个社区同为2户"), best
    assert next(line for line in lines if line.startswith("排名靠后")) == f"排名靠后：{communities[5].name}（0）"
