"""The ranking pages: the district table, a community's explanation, publishing, downloads, and who sees what."""

import csv
import io
import re

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from divisions.models import Division, Level
from reports.models import RankingWeek
from reports.ranking import ranking_publish

from ..factories import MembershipFactory, UserFactory
from .conftest import WEEK

URL = "/units/ranking/"
QUERY = {"week": "2025-11-05"}  # a Wednesday: the week of 2025-11-03


def _member(town, where, role, username):
    division = town.district if where == "district" else town.sub[where]
    return MembershipFactory(user=UserFactory(username=username), division=division, role=role).user


def test_the_table_is_district_wide_for_a_subdistrict_inspector(client, town):
    client.force_login(_member(town, "A", "inspector", "a_inspector"))
    response = client.get(URL, QUERY)
    assert response.status_code == 200
    ranking = response.context["ranking"]
    assert ranking.week_start == WEEK
    assert len(ranking.rows) == 6
    assert [row.name for row in ranking.rows][:1] == ["B2社区"]  # another subdistrict's community, shown
    assert "B2社区" in response.content.decode()
    assert b'data-testid="publish"' not in response.content


def test_a_user_without_membership_gets_404(client, town):
    client.force_login(UserFactory(username="nobody_here"))
    assert client.get(URL, QUERY).status_code == 404
    assert client.get(f"{URL}{town.unit['A1'].code}/", QUERY).status_code == 404
    assert client.get(f"{URL}download/xlsx/", QUERY).status_code == 404


def test_a_member_of_another_district_cannot_ask_for_this_one(client, town):
    other = Division.objects.create(code="419902", name="别区", level=Level.DISTRICT)
    client.force_login(MembershipFactory(user=UserFactory(), division=other, role="district_admin").user)
    assert client.get(URL, {**QUERY, "district": town.district.code}).status_code == 404
    assert client.get(URL, QUERY).context["ranking"].rows == []


def test_the_explanation_adds_up_to_the_score(client, town):
    client.force_login(town.admin)
    for name, division in town.unit.items():
        response = client.get(f"{URL}{division.code}/", QUERY)
        assert response.status_code == 200
        lines, row = response.context["lines"], response.context["row"]
        assert sum(line["contribution"] for line in lines) == pytest.approx(row.score), name
        html = response.content.decode()
        contributions = [float(v) for v in re.findall(r'data-contribution="([0-9.]+)"', html)]
        assert len(contributions) == 7
        assert sum(contributions) == pytest.approx(float(re.search(r'data-score="([0-9.]+)"', html)[1]), abs=1e-5)
    b2 = client.get(f"{URL}{town.unit['B2'].code}/", QUERY)
    assert b2.context["row"].score == pytest.approx(77.0)
    contributions = [line["contribution"] for line in b2.context["lines"]]
    assert contributions == pytest.approx([25, 15, 7.5, 7.5, 10, 10, 2])
    # Weights with two decimals each, as the other columns (the tester saw 0.1 beside 0.15 and 0.25).
    weights = re.findall(
        r'<td class="text-end">([0-9.]+)</td>\s*<td class="text-end" data-contribution', b2.content.decode()
    )
    assert len(weights) == 7 and all(re.fullmatch(r"\d\.\d\d", w) for w in weights), weights


def test_the_explanation_links_to_records_only_inside_the_users_jurisdiction(client, town):
    client.force_login(_member(town, "A", "subdistrict_admin", "a_admin"))
    own = client.get(f"{URL}{town.unit['A1'].code}/", QUERY)
    other = client.get(f"{URL}{town.unit['B1'].code}/", QUERY)

    assert own.status_code == other.status_code == 200
    assert own.context["links"] and b'data-testid="record-links"' in own.content
    assert other.context["links"] == [] and b'data-testid="record-links"' not in other.content
    # Even by hand, the visit list of another subdistrict's community is empty for this user.
    visits = client.get(reverse("inspections:list"), {"division": town.unit["B2"].code})
    assert visits.status_code == 200
    assert list(visits.context["object_list"]) == []
    assert len(client.get(reverse("inspections:list"), {"division": town.unit["A2"].code}).context["object_list"]) == 10
    # The link for their own community opens the week's visits.
    link = dict(own.context["links"])
    assert "date_after=2025-11-03" in next(iter(link.values()))


def test_the_xlsx_reads_back_with_the_right_numbers(client, town):
    client.force_login(town.admin)
    response = client.get(f"{URL}download/xlsx/", QUERY)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))

    assert workbook.sheetnames == ["全区", "街道排名", "A街道", "B街道"]
    district = workbook["全区"]
    assert district.freeze_panes == "A3"  # under the title row and the header
    header = [cell.value for cell in district[2]]
    assert header[:6] == ["区内排名", "街道内排名", "社区代码", "社区", "街道", "得分"]
    lines = [[cell.value for cell in row] for row in district.iter_rows(min_row=3)]
    assert [(line[3], line[0], line[5]) for line in lines] == [
        ("B2社区", 1, 77.0),
        ("A2社区", 2, 72.5),
        ("A1社区", 3, 67.5),
        ("B3社区", 4, 55.5),
        ("A3社区", 5, 40.0),
        ("B1社区", 6, 25.0),
    ]
    coverage = header.index("排查覆盖率(%)")
    assert isinstance(lines[0][coverage], int | float) and lines[0][coverage] == 100
    on_time = header.index("按期整改率(%)")
    assert lines[0][on_time] == "—"  # B2 had nothing due
    # Counts are whole numbers, rates and the score keep their decimals.
    for column in ("督导发现问题数", "反弹数", "周末逾期问题数"):
        assert all(isinstance(line[header.index(column)], int) for line in lines), column
    assert lines[2][header.index("每百户夜查次数")] == 20.0 and district["F3"].number_format == "0.00"
    sub_b = [[cell.value for cell in row] for row in workbook["B街道"].iter_rows(min_row=3)]
    assert [(line[3], line[1]) for line in sub_b] == [("B2社区", 1), ("B3社区", 2), ("B1社区", 3)]
    assert workbook["A街道"].freeze_panes == "A3"
    # The subdistricts ranked as the page and the bulletin rank them: by their communities' mean printed score.
    subdistricts = [[cell.value for cell in row] for row in workbook["街道排名"].iter_rows(min_row=2)]
    assert subdistricts[0] == ["名次", "街道", "平均得分", "参与排名社区数", "上周名次", "名次变化"]
    assert [line[:4] for line in subdistricts[1:]] == [[1, "A街道", 60.0, 3], [2, "B街道", 52.5, 3]]


def test_the_docx_bulletin_praises_names_and_tabulates(client, town):
    client.force_login(town.admin)
    response = client.get(f"{URL}download/docx/", QUERY)
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "周通报" in text
    praise = next(p.text for p in document.paragraphs if p.text.startswith("通报表扬"))
    criticism = next(p.text for p in document.paragraphs if p.text.startswith("通报批评"))
    assert "B街道B2社区、A街道A2社区、A街道A1社区" in praise
    assert "B街道B3社区、A街道A3社区、B街道B1社区" in criticism
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["区内排名", "社区", "街道", "得分", "名次变化"]
    assert rows[1] == ["1", "B2社区", "B街道", "77.00", "+4"]
    assert rows[6] == ["6", "B1社区", "B街道", "25.00", "-5"]


def test_the_csv_writes_counts_whole_rates_with_decimals_and_keeps_the_code_and_the_movement_as_text(client, town):
    client.force_login(town.admin)
    response = client.get(f"{URL}download/csv/", QUERY)
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = lines[0]
    assert header[:3] == ["区内排名", "街道内排名", "社区代码"]
    assert [(line[3], line[5]) for line in lines[1:]][:2] == [("B2社区", "77.00"), ("A2社区", "72.50")]
    b1 = lines[6]  # last: 25 points, 5 places down, 1 overdue case
    assert b1[:8] == ["6", "3", '="419901002001"', "B1社区", "B街道", "25.00", "1", '="-5"']
    assert lines[1][7] == '="+4"' and lines[2][7] == "0"  # B2 up 4, A2 unchanged
    counts = [header.index(c) for c in ("督导发现问题数", "反弹数", "周末逾期问题数")]
    assert [b1[i] for i in counts] == ["0", "0", "1"]
    assert b1[header.index("排查覆盖率(%)")] == "0.00" and lines[1][header.index("按期整改率(%)")] == "—"


def test_a_district_admin_publishes_from_the_page_once_after_confirming(client, town):
    client.force_login(town.admin)
    page = client.get(URL, QUERY)
    assert b'data-testid="publish"' in page.content
    # The button opens a confirmation page (no JavaScript needed); a POST without the confirmation publishes nothing.
    confirm = client.get(f"{URL}publish/", {"district": town.district.code, "week": "2025-11-03"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert 'data-testid="confirm-publish"' in html and "B街道B2社区、A街道A2社区、A街道A1社区" in html
    unconfirmed = client.post(f"{URL}publish/", {"district": town.district.code, "week": "2025-11-03"})
    assert unconfirmed.status_code == 200 and not RankingWeek.objects.exists()
    form = {"district": town.district.code, "week": "2025-11-03", "confirm": "yes"}
    response = client.post(f"{URL}publish/", form)
    assert response.status_code == 302
    assert RankingWeek.objects.filter(district=town.district, week_start=WEEK).count() == 1
    again = client.post(f"{URL}publish/", form, follow=True)
    assert "已经发布" in again.content.decode()
    assert RankingWeek.objects.count() == 1
    page = client.get(URL, QUERY)
    assert page.context["ranking"].published is not None
    assert b'data-testid="publish"' not in page.content
    # The confirmation page of a published week says just that, not "published, or not over".
    confirm = client.get(f"{URL}publish/", {"district": town.district.code, "week": "2025-11-03"}, follow=True)
    assert "本周排名已经发布。" in confirm.content.decode() and "尚未结束" not in confirm.content.decode()


def test_a_subdistrict_admin_may_not_publish_or_withdraw(client, town):
    client.force_login(_member(town, "A", "subdistrict_admin", "a_admin2"))
    form = {"district": town.district.code, "week": "2025-11-03", "confirm": "yes"}
    assert client.get(f"{URL}publish/", form).status_code == 403
    assert client.post(f"{URL}publish/", form).status_code == 403
    assert not RankingWeek.objects.exists()
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    assert client.post(f"{URL}withdraw/", {**form, "reason": "不对"}).status_code == 403
    assert RankingWeek.objects.get().withdrawn_at is None


def test_a_district_admin_withdraws_a_week_with_a_reason_shown_on_the_week_and_publishes_it_again(client, town):
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    page = client.get(URL, QUERY)
    assert b'data-testid="withdraw"' in page.content and b'data-testid="publish"' not in page.content
    form = {"district": town.district.code, "week": "2025-11-03"}
    assert client.get(f"{URL}withdraw/", form).status_code == 200

    empty = client.post(f"{URL}withdraw/", {**form, "reason": " "})
    assert empty.status_code == 200 and empty.context["form"].errors
    assert RankingWeek.objects.get().withdrawn_at is None

    done = client.post(f"{URL}withdraw/", {**form, "reason": "A1社区走访漏录"}, follow=True)
    assert "已撤回发布" in done.content.decode()
    inspector = _member(town, "B", "inspector", "b_inspector")
    client.force_login(inspector)
    page = client.get(URL, QUERY)
    assert page.context["ranking"].published is None
    assert "A1社区走访漏录" in page.content.decode() and b'data-testid="withdrawals"' in page.content
    assert b'data-testid="withdraw"' not in page.content

    client.force_login(town.admin)
    assert b'data-testid="publish"' in client.get(URL, QUERY).content
    client.post(f"{URL}publish/", {**form, "confirm": "yes"})
    assert RankingWeek.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert RankingWeek.objects.count() == 2


def test_a_week_that_is_not_a_date_is_a_clear_400_page(client, town):
    client.force_login(town.admin)
    for path in (URL, f"{URL}{town.unit['A1'].code}/", f"{URL}download/xlsx/", f"{URL}publish/", f"{URL}withdraw/"):
        response = client.get(path, {"week": "next tuesday"})
        assert response.status_code == 400, path
        assert "不是日期" in response.content.decode()


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "1989-12-31", "2999-06-01"])
def test_a_week_far_in_the_past_or_future_is_404_on_every_page_and_download(client, town, week):
    client.force_login(town.admin)
    paths = [URL, f"{URL}{town.unit['A1'].code}/", f"{URL}publish/", f"{URL}withdraw/"]
    paths += [f"{URL}download/{fmt}/" for fmt in ("xlsx", "docx", "csv")]
    for path in paths:
        assert client.get(path, {"week": week}).status_code == 404, path
    assert client.post(f"{URL}publish/", {"week": week, "confirm": "yes"}).status_code == 404
    assert not RankingWeek.objects.exists()


def test_communities_without_data_show_as_no_data_in_the_table_and_every_download(client, town):
    parent = town.sub["B"]
    Division.objects.create(code=f"{parent.code}004", name="空社区", level=Level.COMMUNITY, parent=parent)
    client.force_login(town.admin)

    page = client.get(URL, QUERY)
    html = page.content.decode()
    row = re.search(r'<tr data-code="419901002004"[^>]*>(.*?)</tr>', html, re.S)[1]
    assert "无数据" in row and 'data-testid="no-data-note"' in html
    assert "空社区" not in re.search(r'data-testid="named">(.*?)</div>', html, re.S)[1]
    explain = client.get(f"{URL}419901002004/", QUERY)
    assert explain.status_code == 200 and "本周未参与排名" in explain.content.decode()

    lines = list(csv.reader(io.StringIO(client.get(f"{URL}download/csv/", QUERY).content.decode("utf-8-sig"))))
    assert lines[-1] == ["无数据", "无数据", '="419901002004"', "空社区", "B街道"] + ["—"] * 10
    workbook = load_workbook(io.BytesIO(client.get(f"{URL}download/xlsx/", QUERY).content))
    assert [c.value for c in workbook["全区"][9]] == ["无数据", "无数据", "419901002004", "空社区", "B街道"] + [
        "—"
    ] * 10
    # On the page, — in every cell after the names; the ranked rows' counts are whole numbers.
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', row)
    assert cells == ["—"] * 8
    b1 = re.search(r'<tr data-code="419901002001"[^>]*>(.*?)</tr>', html, re.S)[1]
    assert re.findall(r'<td class="text-end">([^<]*)</td>', b1) == [
        "25.00",
        "0.00",
        "0.00",
        "0",
        "0.00",
        "0",
        "1",
        "0.00",
    ]
    document = Document(io.BytesIO(client.get(f"{URL}download/docx/", QUERY).content))
    texts = [p.text for p in document.paragraphs]
    body = "\n".join(texts[: texts.index("附件")])
    assert "另有1个社区本周无数据（无需排查的登记户，也无工作记录）" in body and "空社区" not in body
    # In the attachment, after the table of ranked communities: one line, not a row of 无数据.
    assert "空社区" not in [cell.text for row in document.tables[0].rows for cell in row.cells]
    assert texts[-1] == "以下1个社区本周无数据，不参与排名——B街道：空社区。"


def test_the_english_ui_joins_names_with_a_comma_not_the_chinese_mark(client, town):
    client.force_login(town.admin)
    client.cookies["django_language"] = "en"
    html = client.get(URL, QUERY).content.decode()
    praised = re.search(r'data-testid="praised">(.*?)</div>', html, re.S)[1]
    assert "Praised" in praised and "B街道B2社区, A街道A2社区, A街道A1社区" in praised and "、" not in praised
    del client.cookies["django_language"]
    html = client.get(URL, QUERY).content.decode()
    assert "B街道B2社区、A街道A2社区、A街道A1社区" in re.search(r'data-testid="praised">(.*?)</div>', html, re.S)[1]


def test_a_district_admin_sets_weights_from_the_page_and_others_only_read_them(client, town):
    weights = {"coverage": 1, "night_checks": 0, "problems": 0, "on_time": 0, "rebounds": 0, "overdue": 0}
    client.force_login(_member(town, "A", "subdistrict_admin", "a_admin3"))
    assert client.get(f"{URL}weights/").context["form"] is None
    assert client.post(f"{URL}weights/", {**weights, "conversion": 0}).status_code == 403

    client.force_login(town.admin)
    bad = client.post(f"{URL}weights/", {**weights, "conversion": 0.5})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert client.post(f"{URL}weights/", {**weights, "conversion": 0, "note": "只看排查"}).status_code == 302
    ranking = client.get(URL, QUERY).context["ranking"]
    assert ranking.weights["coverage"] == 1
    assert ranking.rows[0].score == pytest.approx(100)


@pytest.mark.parametrize("week", ["1990-01-01", "2025-12-03"])
def test_a_week_nobody_worked_says_so_praises_nobody_and_offers_nothing_to_publish(client, town, week):
    client.force_login(town.admin)
    page = client.get(URL, {"week": week})
    html = page.content.decode()
    assert page.status_code == 200 and "本周无工作记录" in html
    assert 'data-testid="praised"' not in html and 'data-testid="publish"' not in html
    refused = client.get(f"{URL}publish/", {"district": town.district.code, "week": week}, follow=True)
    assert 'data-testid="confirm-publish"' not in refused.content.decode() and "无工作记录" in refused.content.decode()
    posted = client.post(
        f"{URL}publish/", {"district": town.district.code, "week": week, "confirm": "yes"}, follow=True
    )
    assert "无工作记录" in posted.content.decode() and not RankingWeek.objects.exists()
    document = Document(io.BytesIO(client.get(f"{URL}download/docx/", {"week": week}).content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "本周无工作记录" in text and "位列" not in text and "予以通报" not in text
    workbook = load_workbook(io.BytesIO(client.get(f"{URL}download/xlsx/", {"week": week}).content))
    assert {row[0].value for row in workbook["全区"].iter_rows(min_row=3)} == {"无数据"}


@pytest.mark.parametrize("week", [None, "", "  "])
def test_withdrawing_or_publishing_without_a_week_is_refused_and_changes_nothing(client, town, week):
    published = ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    form = {"district": town.district.code, "reason": "x", "confirm": "yes"}
    if week is not None:
        form["week"] = week
    for path in (f"{URL}withdraw/", f"{URL}publish/"):
        response = client.post(path, form)
        assert response.status_code == 400, path
        assert "请指明哪一周" in response.content.decode()
    # The week in the address is not taken for the form's: a POST says itself which week it changes.
    assert client.post(f"{URL}withdraw/?week=2025-11-03", form).status_code == 400
    published.refresh_from_db()
    assert published.withdrawn_at is None and RankingWeek.objects.count() == 1


def test_the_withdrawn_list_and_the_withdraw_page_name_people_by_their_name_not_their_login(client, town):
    town.admin.first_name = "王区长"
    town.admin.save()
    ranking_publish(actor=town.admin, district=town.district, week_start=WEEK)
    client.force_login(town.admin)
    form = {"district": town.district.code, "week": "2025-11-03"}
    page = client.get(f"{URL}withdraw/", form).content.decode()
    assert "王区长" in page and "town_admin" not in page
    client.post(f"{URL}withdraw/", {**form, "reason": "漏录"})
    withdrawals = re.search(r'data-testid="withdrawals">(.*?)</div>', client.get(URL, QUERY).content.decode(), re.S)[1]
    assert "王区长" in withdrawals and "town_admin" not in withdrawals


def test_a_community_name_with_markup_is_shown_as_text_in_the_table(client, town):
    Division.objects.filter(pk=town.unit["B2"].pk).update(name='B2<script>alert("x")</script>社区')
    client.force_login(_member(town, "district", "district_admin", "d_admin"))

    html = client.get(URL, QUERY).content.decode()

    assert "<script>alert" not in html
    assert "B2&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;社区" in html


def test_the_praised_and_criticised_lines_are_named_and_marked_in_the_readers_language(client, town):
    """An outside tester read "Named:" for 通报批评 in English, and an ASCII colon after it in Chinese."""
    client.force_login(town.admin)

    chinese = client.get(URL, QUERY).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": URL})
    english = client.get(URL, QUERY).content.decode()

    assert "<strong>通报表扬：</strong>" in chinese and "<strong>通报批评：</strong>" in chinese
    assert "<strong>Praised: </strong>" in english and "<strong>Criticised: </strong>" in english
