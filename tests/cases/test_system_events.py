"""Cases the morning task has touched (reminded, overdue, escalated: steps with no user) open, print, download
and move on through the real pages, in every state; the system's steps show as "系统"."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from docx import Document

from cases.models import Case, CaseEvent
from cases.services import case_rectify, case_start
from cases.tasks import check_case_deadlines

pytestmark = pytest.mark.django_db

YESTERDAY = datetime.timedelta(days=1)


def _touched_by_the_morning_task(case: Case) -> Case:
    """Let the deadline pass and run the real morning task: the case is marked overdue and escalated."""
    Case.objects.filter(pk=case.pk).update(deadline=timezone.localdate() - YESTERDAY)
    check_case_deadlines.apply().get()
    case.refresh_from_db()
    assert case.overdue_since is not None and case.escalated_to is not None
    assert case.events.filter(actor=None, action=CaseEvent.Action.ESCALATED).exists()
    return case


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.mark.parametrize("state", ["open", "rectifying", "rectified", "closed"])
def test_a_case_the_morning_task_escalated_opens_prints_and_downloads_in_every_state(
    client_as, people, notice_case, wulibao_household, evidence, state
):
    case = _touched_by_the_morning_task(notice_case(household=wulibao_household))
    if state != "open":
        case_start(actor=people["wulibao_worker"], case=case)
    if state in ("rectified", "closed"):
        case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=evidence)
    if state == "closed":
        client_as("wulibao_admin").post(case.get_absolute_url(), {"step": "close", "close-note": "核查属实"})
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED

    for username in ("qu_admin", "qu_leader", "wulibao_admin", "wulibao_worker"):
        client = client_as(username)
        page = client.get(case.get_absolute_url())
        assert page.status_code == 200
        assert "系统" in page.content.decode()
        assert client.get(f"/cases/{case.pk}/rectification-notice/").status_code == 200
        sheet = client.get(f"/cases/{case.pk}/follow-up-sheet/")
        assert sheet.status_code == 200
        assert "系统" in sheet.content.decode()
        assert client.get("/").status_code == 200
        assert client.get(wulibao_household.get_absolute_url()).status_code == 200

    notice = client_as("qu_admin").get(f"/cases/{case.pk}/rectification-notice/", {"format": "docx"})
    assert case.title in _docx_text(notice.content)
    sheet = client_as("qu_admin").get(f"/cases/{case.pk}/follow-up-sheet/", {"format": "docx"})
    assert "系统" in _docx_text(sheet.content)
    assert "升级督办" in _docx_text(sheet.content)


def test_an_overdue_escalated_case_is_rectified_and_closed_through_its_page(client_as, people, notice_case, jpeg):
    case = _touched_by_the_morning_task(notice_case())

    worker = client_as("wulibao_worker")
    assert worker.post(case.get_absolute_url(), {"step": "start", "start-note": "开始整改"}).status_code == 302
    rectify = {"step": "rectify", "rectify-note": "已清理", "rectify-photos": [jpeg()]}
    done = worker.post(case.get_absolute_url(), rectify)
    assert done.status_code == 302
    closed = client_as("wulibao_admin").post(case.get_absolute_url(), {"step": "close", "close-note": "核查属实"})

    assert closed.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    timeline = client_as("wulibao_admin").get(case.get_absolute_url()).content.decode()
    assert "系统" in timeline and people["wulibao_worker"].first_name in timeline


def test_a_case_reminded_by_the_morning_task_opens(client_as, notice_case):
    case = notice_case(deadline=timezone.localdate() + YESTERDAY)
    check_case_deadlines.apply().get()
    assert case.events.filter(actor=None, action=CaseEvent.Action.REMINDED).exists()

    page = client_as("wulibao_worker").get(case.get_absolute_url())

    assert page.status_code == 200
    assert "系统" in page.content.decode()


def test_the_api_gives_a_system_step_no_user(api_as, notice_case):
    case = _touched_by_the_morning_task(notice_case())

    response = api_as("wulibao_admin").get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    escalated = [e for e in response.json()["events"] if e["action"] == "escalated"]
    assert escalated and escalated[0]["actor"] is None


def test_every_label_on_a_case_page_points_at_its_own_field(client_as, notice_case, evidence, people):
    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理", photos=evidence)

    html = client_as("qu_admin").get(case.get_absolute_url()).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert target in ids
    assert 'for="close-note"' not in html  # Django's ids: id_close-note, id_return-note, id_void-reason …
    assert 'id="id_close-note"' in html and 'id="id_return-note"' in html and 'id="id_deadline-reason"' in html
