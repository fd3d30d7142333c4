"""The digest says what the unit page says, splits within the robots' limits, and stays in its subtree."""

import datetime

import pytest
from django.utils import timezone

from digests.markup import plain_text
from digests.models import Channel
from digests.selectors import digest_text, split_parts
from digests.services import digest_get_or_build
from inspections.selectors import fieldwork_figures
from inspections.services import SeizureInput, inspection_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_night(people, register, wulibao_community, huaihelu_community):
    """A night check with 50 briquettes and a stove in 五里堡, and one with 7 briquettes in 淮河路."""
    moment = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(0, 20)))
    if moment > timezone.now():  # run between midnight and 00:20: last night's check was at 00:20 yesterday
        moment -= datetime.timedelta(days=1)
    inspection_record(
        actor=people["wulibao_inspector"],
        household=register("wulibao_admin", wulibao_community),
        kind="night_check",
        outcome="stove_in_use",
        started_at=moment,
        seizures=[SeizureInput("briquette", 50, "confiscated"), SeizureInput("stove", 1, "destroyed")],
    )
    inspection_record(
        actor=people["huaihelu_inspector"],
        household=register("qu_admin", huaihelu_community),
        kind="night_check",
        outcome="loose_coal",
        started_at=moment,
        seizures=[SeizureInput("briquette", 7, "confiscated")],
    )
    return timezone.localdate(moment)


def test_the_digest_gives_the_same_totals_as_the_figures_every_page_uses(wulibao, last_night):
    text = digest_text(wulibao, last_night)
    figures = fieldwork_figures(codes=[wulibao.code], start=last_night, end=last_night)

    assert figures.briquettes_pieces == 50 and figures.stoves == 1
    assert "50" in text and figures.sentence() in text
    assert "共排查1个社区1户，回收1户，散煤50块" in text


def test_a_subdistricts_digest_never_carries_another_subdistricts_figures(wulibao, huaihelu, last_night):
    assert "散煤57块" not in digest_text(wulibao, last_night)
    assert "散煤7块" in digest_text(huaihelu, last_night)
    assert "散煤57块" in digest_text(wulibao.parent, last_night)


def test_a_long_digest_is_split_at_lines_into_numbered_parts_within_the_limit():
    lines = ["### 标题", ""] + [f"第{i}条 " + "督查发现问题" * 20 for i in range(100)]
    lines += ["", "| 单位 | 问题 | 逾期天数 |", "|---|---|---|"] + [f"| 社区{i} | 问题{i} | {i} |" for i in range(300)]

    parts = split_parts("\n".join(lines), 4096)

    assert len(parts) > 3
    assert all(len(part.encode()) <= 4096 for part in parts)
    assert parts[0].startswith(f"（1/{len(parts)}）")
    rows = [line for part in parts for line in part.split("\n") if line.startswith("| 社区")]
    assert rows == [f"| 社区{i} | 问题{i} | {i} |" for i in range(300)]  # every row once, in order
    assert all("| 单位 | 问题 | 逾期天数 |" in part for part in parts if "| 社区" in part)


def test_a_short_digest_is_one_unnumbered_message():
    assert split_parts("### 今日督查\n一切正常", 4096) == ["### 今日督查\n一切正常"]


def test_the_digest_page_is_scoped_and_copyable(client_as, wulibao, huaihelu, last_night):
    mine = client_as("wulibao_inspector").get("/digests/", {"division": wulibao.code, "date": last_night})
    theirs = client_as("wulibao_inspector").get("/digests/", {"division": huaihelu.code, "date": last_night})

    assert mine.status_code == 200 and "散煤50块" in mine.context["text"]
    assert theirs.status_code == 404  # another subdistrict's: as if it did not exist
    assert "copy-digest" in mine.content.decode()
    assert client_as("nobody").get("/digests/", {"division": wulibao.code, "date": last_night}).status_code == 404
    unknown = client_as("wulibao_inspector").get("/digests/", {"division": "999999", "date": last_night})
    assert unknown.status_code == 404
    # Without a unit asked for, nothing to hide: the page with its form, and no error for a choice not made.
    empty = client_as("nobody").get("/digests/")
    assert empty.status_code == 200 and empty.context["text"] is None
    assert "该字段是必填项" not in empty.content.decode()


def test_a_sent_digest_is_shown_as_sent_and_can_be_built_again_from_the_current_records(
    client_as, people, register, wulibao, wulibao_community, last_night
):
    """The page shows what the group read, says when it was built and that later changes are not in it, and
    offers the text built from the records as they stand now."""
    sent_digest = digest_get_or_build(division=wulibao, date=last_night)
    inspection_record(
        actor=people["wulibao_inspector"],
        household=register("wulibao_admin", wulibao_community),
        kind="night_check",
        outcome="loose_coal",
        # The evening before: in the past whenever the suite runs, and in the running totals of the digest's day.
        started_at=timezone.make_aware(
            datetime.datetime.combine(last_night - datetime.timedelta(days=1), datetime.time(23, 30))
        ),
        seizures=[SeizureInput("briquette", 7, "confiscated")],
    )  # recorded late, after the digest was built
    client = client_as("wulibao_inspector")
    asked = {"division": wulibao.code, "date": last_night.isoformat()}

    sent = client.get("/digests/", asked)
    assert sent.context["text"] == plain_text(sent_digest.text)
    assert "散煤50块" in sent.context["text"] and "散煤57块" not in sent.context["text"]
    page = sent.content.decode()
    assert f"以下是{timezone.localtime(sent_digest.built_at):%Y-%m-%d %H:%M}为工作群生成的文本" in page
    assert "按现有数据重新生成" in page

    current = client.get("/digests/", {**asked, "current": "1"})
    assert "散煤57块" in current.context["text"]  # 50 + 7
    assert "以下按现有数据即时生成" in current.content.decode() and "查看为工作群生成的原文" in current.content.decode()
    # A day without a sent digest is built from the records, and says nothing of a sent one.
    other_day = client.get("/digests/", {**asked, "date": (last_night - datetime.timedelta(days=1)).isoformat()})
    assert other_day.status_code == 200 and 'data-testid="digest-version"' not in other_day.content.decode()


def test_a_channels_key_and_secret_are_never_shown_again(client_as, wulibao):
    client = client_as("wulibao_admin")
    response = client.post(
        "/digests/channels/new/",
        {
            "division": wulibao.pk,
            "name": "五里堡工作群",
            "kind": "dingtalk",
            "key": "tok-123456789",
            "secret": "SECabcdef",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    channel = Channel.objects.get()

    page = client.get(f"/digests/channels/{channel.pk}/").content.decode()
    listing = client.get("/digests/channels/").content.decode()

    assert "tok-123456789" not in page + listing and "SECabcdef" not in page + listing
    assert (
        client.post(
            f"/digests/channels/{channel.pk}/",
            {
                "division": wulibao.pk,
                "name": "五里堡散煤群",
                "kind": "dingtalk",
                "key": "",
                "secret": "",
                "is_active": "on",
            },
        ).status_code
        == 302
    )
    channel.refresh_from_db()
    assert (channel.name, channel.key, channel.secret) == ("五里堡散煤群", "tok-123456789", "SECabcdef")


@pytest.mark.parametrize("username", ["wulibao_inspector", "huaihelu_inspector", "qu_leader", "nobody"])
def test_channels_are_for_district_and_subdistrict_administrators(client_as, username):
    assert client_as(username).get("/digests/channels/").status_code == 403


def test_a_past_days_running_totals_are_those_up_to_that_day_as_the_unit_page_gives_them(
    client_as, people, register, wulibao, wulibao_community
):
    day = datetime.date(2016, 12, 14)

    def night_check(on, pieces):
        inspection_record(
            actor=people["wulibao_inspector"],
            household=register("wulibao_admin", wulibao_community, room=f"{on:%m%d}"),
            kind="night_check",
            outcome="loose_coal",
            started_at=timezone.make_aware(datetime.datetime.combine(on, datetime.time(21, 0))),
            seizures=[SeizureInput("briquette", pieces, "confiscated")],
        )

    night_check(day - datetime.timedelta(days=3), 20)
    night_check(day, 5)
    night_check(day + datetime.timedelta(days=1), 400)  # after the digest's day: not in its totals

    text = digest_text(wulibao, day)
    unit_page = client_as("wulibao_inspector").get(f"/units/{wulibao.code}/", {"end": day.isoformat()})
    up_to_day = unit_page.context["figures"].sentence()

    assert "散煤25块" in up_to_day
    assert text.endswith(up_to_day)
    assert fieldwork_figures(codes=[wulibao.code]).sentence() not in text  # not the campaign's final totals
    page = client_as("wulibao_inspector").get("/digests/", {"division": wulibao.code, "date": day.isoformat()})
    assert page.context["text"].endswith(up_to_day)


def test_todays_digest_on_the_page_says_the_day_is_not_over(client_as, wulibao):
    from django.utils import timezone

    client = client_as("wulibao_admin")
    today = client.get("/digests/", {"division": wulibao.code, "date": timezone.localdate().isoformat()})
    yesterday = client.get("/digests/", {"division": wulibao.code})

    assert 'data-testid="digest-today"' in today.content.decode() and "今天尚未结束" in today.content.decode()
    assert 'data-testid="digest-today"' not in yesterday.content.decode()


def test_a_built_digest_reads_the_same_to_an_english_reader_as_the_group_was_sent_it(client_as, wulibao):
    """Its overdue table's rows were made lines in the reader's language: "…居民委员会: #4 … (逾期 9天)" in
    English against "…居民委员会：#4 …（逾期9天）" as sent."""
    from digests.models import Digest

    text = "### 五里堡街道每日督查通报\n\n| 责任单位 | 问题 | 逾期 |\n| --- | --- | --- |\n"
    text += "| 建新南街社区 | #4 台账未上报 | 9天 |"
    day = timezone.localdate() - datetime.timedelta(days=1)
    Digest.objects.create(division=wulibao, division_code=wulibao.code, date=day, text=text)
    asked = {"division": wulibao.code, "date": day.isoformat()}
    client = client_as("wulibao_admin")

    chinese = client.get("/digests/", asked).context["text"]
    client.post("/i18n/setlang/", {"language": "en", "next": "/digests/"})
    english = client.get("/digests/", asked)

    assert "- 建新南街社区：#4 台账未上报（逾期9天）" in chinese
    assert english.context["text"] == chinese and 'lang="en"' in english.content.decode()
