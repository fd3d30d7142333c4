"""Case pages: scoped like everything else, each step offered only to whom it belongs."""

import datetime
import io

import pytest
from django.utils import timezone
from docx import Document

from cases.models import Case, SupervisionNotice
from cases.services import case_rectify

pytestmark = pytest.mark.django_db


def test_entering_a_notice_of_17_problems_by_pasting_a_table_opens_17_cases(client_as, wulibao, erqi):
    communities = list(wulibao.children.order_by("code")[:3])
    rows = [f"{communities[n % 3].name}\t楼道堆放散煤{n + 1}处\t{'严重' if n % 5 == 0 else '一般'}" for n in range(16)]
    deadline = timezone.localdate() + datetime.timedelta(days=60)
    rows.append(f"{wulibao.code}，取缔无照散煤销售点不彻底，轻微，{deadline.isoformat()}")

    response = client_as("qu_admin").post(
        "/cases/notices/new/",
        {
            "division": erqi.pk,
            "number": "二七散煤督〔2017〕3号",
            "issued_on": "2017-01-05",
            "level": "supervision_group",
            "title": "关于散煤治理问题的督导通报",
            "table": "\n".join(rows),
        },
    )

    assert response.status_code == 302
    notice = SupervisionNotice.objects.get()
    assert notice.cases.count() == 17
    assert notice.cases.filter(severity="serious").count() == 4
    assert notice.cases.get(responsible_unit=wulibao).deadline == deadline


def test_a_bad_line_in_a_pasted_notice_names_the_line_and_saves_nothing(client_as, erqi, huaihelu):
    response = client_as("wulibao_admin").post(
        "/cases/notices/new/",
        {
            "division": erqi.pk,
            "number": "X-1",
            "issued_on": "2017-01-05",
            "level": "district",
            "title": "t",
            "table": f"{huaihelu.name}\t问题",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not SupervisionNotice.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("qu_admin", 200), ("qu_leader", 200), ("wulibao_worker", 200), ("huaihelu_inspector", 404), ("nobody", 404)],
)
def test_a_case_page_is_404_outside_the_jurisdiction(client_as, notice_case, username, status):
    case = notice_case()

    assert client_as(username).get(case.get_absolute_url()).status_code == status
    assert client_as(username).get(f"/cases/{case.pk}/rectification-notice/").status_code == status


def test_case_list_counts_only_the_users_cases(client_as, notice_case, huaihelu_community):
    notice_case()
    notice_case(unit=huaihelu_community)

    assert client_as("wulibao_inspector").get("/cases/").context["paginator"].count == 1
    assert client_as("qu_admin").get("/cases/").context["paginator"].count == 2
    assert client_as("nobody").get("/cases/").context["paginator"].count == 0


def test_a_step_out_of_jurisdiction_is_404_and_one_not_yours_is_403(client_as, notice_case):
    case = notice_case()

    assert client_as("huaihelu_inspector").post(case.get_absolute_url(), {"step": "start"}).status_code == 404
    assert client_as("qu_leader").post(case.get_absolute_url(), {"step": "start"}).status_code == 403
    assert client_as("wulibao_worker").post(case.get_absolute_url(), {"step": "close"}).status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_a_step_the_case_no_longer_allows_says_what_changed_and_keeps_what_was_typed(client_as, people, notice_case):
    """Two tabs, or two people: the second's step was a 403 that said their role could not do it."""
    from cases.services import case_start, case_void

    case = notice_case()
    worker = client_as("wulibao_worker")
    case_start(actor=people["wulibao_worker"], case=case)  # the other tab

    again = worker.post(case.get_absolute_url(), {"step": "start", "start-note": ""})
    assert again.status_code == 409
    assert "该问题现为整改中" in again.content.decode()

    case_void(actor=people["qu_admin"], case=case, reason="误录")
    late = worker.post(case.get_absolute_url(), {"step": "rectify", "rectify-note": "楼道散煤已清运三袋"})
    page = late.content.decode()
    assert late.status_code == 409 and "该问题现为已作废" in page and "楼道散煤已清运三袋" in page
    case.refresh_from_db()
    assert case.status == Case.Status.RECTIFYING and not case.events.filter(action="rectified").exists()


def test_the_responsible_community_reports_rectified_with_a_photo_and_the_subdistrict_closes(
    client_as, notice_case, jpeg
):
    case = notice_case()
    worker = client_as("wulibao_worker")

    no_photo = worker.post(case.get_absolute_url(), {"step": "rectify", "rectify-note": "已清理"})
    assert no_photo.status_code == 400
    fake = worker.post(
        case.get_absolute_url(), {"step": "rectify", "rectify-note": "已清理", "rectify-photos": [_text_file()]}
    )
    assert fake.status_code == 400
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN

    done = worker.post(
        case.get_absolute_url(), {"step": "rectify", "rectify-note": "已清理", "rectify-photos": [jpeg()]}
    )
    assert done.status_code == 302
    closed = client_as("wulibao_admin").post(case.get_absolute_url(), {"step": "close", "close-note": "核查属实"})
    assert closed.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert [e.action for e in case.events.all()] == ["opened", "rectified", "closed"]


def test_a_tip_off_reporters_contact_is_seen_only_by_those_who_verify(client_as, people, wulibao_community):
    from cases.services import case_open

    case = case_open(
        actor=people["qu_admin"],
        source="tip_off",
        responsible_unit=wulibao_community,
        title="有人烧煤",
        reporter_name="张先生",
        reporter_contact="13700001111",
    )

    assert "13700001111" in client_as("wulibao_admin").get(case.get_absolute_url()).content.decode()
    assert "13700001111" not in client_as("wulibao_worker").get(case.get_absolute_url()).content.decode()


def test_the_rectification_notice_and_follow_up_sheet_download_as_docx(client_as, notice_case):
    case = notice_case()

    for url in (f"/cases/{case.pk}/rectification-notice/", f"/cases/{case.pk}/follow-up-sheet/"):
        response = client_as("wulibao_admin").get(url, {"format": "docx"})
        assert response.status_code == 200
        text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
        cells = [c.text for t in Document(io.BytesIO(response.content)).tables for r in t.rows for c in r.cells]
        assert case.title in text + "".join(cells)
        assert case.responsible_unit.name in text + "".join(cells)


def test_closing_via_the_service_is_shown_on_the_timeline(client_as, people, notice_case, evidence):
    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理干净", photos=evidence)

    page = client_as("wulibao_admin").get(case.get_absolute_url())

    assert "已清理干净" in page.content.decode()
    assert "step-close" in page.content.decode()
    assert "step-close" not in client_as("wulibao_worker").get(case.get_absolute_url()).content.decode()


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("evidence.jpg", b"this is text", content_type="image/jpeg")


def test_a_units_page_shows_its_cases_and_its_accountability_record(client_as, people, notice_case, wulibao_community):
    from cases.services import accountability_record

    case = notice_case()
    accountability_record(
        actor=people["wulibao_admin"], kind="criticism", unit=wulibao_community, reason="夜查发现反弹", cases=[case]
    )

    page = client_as("wulibao_inspector").get(f"/units/{wulibao_community.code}/")
    elsewhere = client_as("huaihelu_inspector").get(f"/units/{wulibao_community.code}/")

    assert page.context["cases"].opened == 1
    assert [a.reason for a in page.context["accountability"]] == ["夜查发现反弹"]
    assert elsewhere.status_code == 404


def test_a_units_case_figures_link_to_the_cases_they_count_in_the_period(
    client_as, people, notice_case, wulibao_community, evidence
):
    """An outside clerk: 已销号 counted the cases closed in the week, its link listed the cases closed now — one
    closed in the week and reopened since was missing, one closed before the week was there."""
    from cases.models import CaseEvent
    from cases.services import case_close

    def on(day: int, hour: int = 10):
        return datetime.datetime(2026, 12, day, hour, tzinfo=timezone.get_current_timezone())

    closed_in_week, opened_in_week, closed_then_reopened, closed_before = (notice_case() for _ in range(4))
    for case in (closed_in_week, closed_then_reopened, closed_before):
        case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=evidence)
        case_close(actor=people["wulibao_admin"], case=case)
    CaseEvent.objects.filter(case__in=[closed_in_week, opened_in_week]).update(at=on(2))
    CaseEvent.objects.filter(case=closed_then_reopened).update(at=on(1, 0) - datetime.timedelta(days=10))
    CaseEvent.objects.filter(case=closed_then_reopened, action="closed").update(at=on(6, 23))
    CaseEvent.objects.create(case=closed_then_reopened, action="reopened", from_status="closed", at=on(7, 0))
    Case.objects.filter(pk=closed_then_reopened.pk).update(status=Case.Status.OPEN, closed_at=None)
    CaseEvent.objects.filter(case=closed_before).update(at=on(1) - datetime.timedelta(days=3))
    client = client_as("wulibao_admin")

    page = client.get(f"/units/{wulibao_community.code}/", {"start": "2026-12-01", "end": "2026-12-06"})
    figures, links = page.context["cases"], page.context["case_links"]

    def listed(url):
        return {case.pk for case in client.get(url).context["object_list"]}

    assert (figures.opened, figures.closed, figures.rebounds) == (2, 2, 0)
    assert listed(links["opened"]) == {closed_in_week.pk, opened_in_week.pk}
    assert listed(links["closed"]) == {closed_in_week.pk, closed_then_reopened.pk}
    assert listed(links["rebounds"]) == set()
    assert "问题反弹" in page.content.decode()
    # Without a period, the links list every case that ever took the step.
    everything = client.get(f"/units/{wulibao_community.code}/").context["case_links"]
    assert listed(everything["closed"]) == {closed_in_week.pk, closed_then_reopened.pk, closed_before.pk}
    assert listed(everything["rebounds"]) == {closed_then_reopened.pk}
    # The lists are the case list, cut to the user's jurisdiction: another subdistrict's inspector sees none of them.
    elsewhere = client_as("huaihelu_inspector")
    assert elsewhere.get(f"/units/{wulibao_community.code}/").status_code == 404
    assert [case.pk for case in elsewhere.get(links["closed"]).context["object_list"]] == []


def test_a_step_note_is_bounded_like_other_notes(client_as, people, notice_case):
    """An outside tester pasted 5,000 characters without a space into a note: stored, and the page ran wide."""
    case = notice_case()

    response = client_as("wulibao_worker").post(case.get_absolute_url(), {"step": "start", "start-note": "x" * 2001})

    assert response.status_code == 400
    assert "2000" in str(response.context["steps"]["start"].errors["note"])
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
