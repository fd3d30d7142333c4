"""Every download of a ledger, a ranking export and a case document (.docx or its printable page) is in the audit
log: who, which file, when — found in /audit/ under the action 下载, in the record's jurisdiction."""

import datetime

import pytest
from django.utils import timezone

from cases.services import case_open
from coalgov.models import AuditEvent
from reports import ledgers

pytestmark = pytest.mark.django_db
AUDIT = "/audit/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def downloads():
    return list(AuditEvent.objects.filter(action="download").order_by("id"))


@pytest.fixture
def ledger(people, register, wulibao_community):
    register("wulibao_admin", wulibao_community, head_name="王建国")
    today = timezone.localdate()
    export = ledgers.ledger_request(
        actor=people["wulibao_admin"], division=wulibao_community, start=today, end=today, sheets=["households"]
    )
    assert ledgers.ledger_run(export_id=export.pk) == "done"
    return export


@pytest.fixture
def case(people, wulibao_community):
    return case_open(actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="烧散煤")


def test_a_ledger_download_records_who_took_which_file(client_as, people, ledger, wulibao_community):
    response = client_as("wulibao_admin").get(f"/units/ledgers/{ledger.pk}/download/")

    assert response.status_code == 200
    [event] = downloads()
    assert event.actor == people["wulibao_admin"]
    assert event.object_id == str(ledger.pk) and event.division_code == wulibao_community.code
    assert event.changes == {"download_file": [None, ledgers.ledger_filename(ledger)]}
    assert timezone.now() - event.at < datetime.timedelta(minutes=1)


def test_a_ledger_download_refused_to_someone_else_records_nothing(client_as, ledger):
    assert client_as("huaihelu_inspector").get(f"/units/ledgers/{ledger.pk}/download/").status_code == 404
    assert downloads() == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "docx"])
def test_each_ranking_download_is_recorded_on_the_district(client_as, people, erqi, fmt):
    week = timezone.localdate() - datetime.timedelta(days=14)

    response = client_as("qu_admin").get(f"/units/ranking/download/{fmt}/", {"week": week.isoformat()})

    assert response.status_code == 200
    [event] = downloads()
    assert event.actor == people["qu_admin"] and event.division_code == erqi.code
    assert erqi.name in event.object_repr
    assert event.changes["download_file"][1].endswith(f".{fmt}")


@pytest.mark.parametrize("page", ["rectification-notice", "follow-up-sheet"])
def test_a_case_document_is_recorded_as_a_docx_and_as_a_printed_page(client_as, people, case, page):
    client = client_as("wulibao_admin")

    assert client.get(f"/cases/{case.pk}/{page}/", {"format": "docx"}).status_code == 200
    assert client.get(f"/cases/{case.pk}/{page}/").status_code == 200

    files = [event.changes["download_file"][1] for event in downloads()]
    name = "整改通知书" if page == "rectification-notice" else "督办单"
    assert files == [f"{name}-{case.pk}.docx", f"{name}-{case.pk}（打印）"]
    assert {(e.actor, e.object_id, e.division_code) for e in downloads()} == {
        (people["wulibao_admin"], str(case.pk), case.division_code)
    }


def test_a_case_document_outside_ones_jurisdiction_records_nothing(client_as, case):
    assert client_as("huaihelu_inspector").get(f"/cases/{case.pk}/rectification-notice/").status_code == 404
    assert downloads() == []


def test_the_district_office_finds_downloads_in_the_audit_log_under_xia_zai(client_as, people, ledger, case):
    client_as("wulibao_admin").get(f"/units/ledgers/{ledger.pk}/download/")
    client_as("wulibao_worker").get(f"/cases/{case.pk}/follow-up-sheet/", {"format": "docx"})

    page = client_as("qu_admin").get(AUDIT, {"action": "download"})

    assert page.status_code == 200
    assert '<option value="download"' in page.content.decode() and "下载" in page.content.decode()
    rows = page.context["rows"]
    assert {event.actor.username for event, _changes in rows} == {"wulibao_admin", "wulibao_worker"}
    assert all(event.action == "download" for event, _changes in rows)
    labels = {str(label) for _event, changes in rows for label, _old, _new in changes}
    assert labels == {"文件"}
    only_worker = client_as("qu_admin").get(AUDIT, {"action": "download", "actor": "wulibao_worker"})
    assert [event.changes["download_file"][1] for event, _ in only_worker.context["rows"]] == [f"督办单-{case.pk}.docx"]
