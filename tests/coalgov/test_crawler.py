"""Every demo user follows every link from the home page and the API root: no page answers with a server error,
no GET changes anything, and every form posted empty or with junk answers with its errors, never a 5xx.

The demo data set (`manage.py load_demo`) holds every state the system can create, so a page that cannot render
one of them shows up here. The crawl (crawling.py) samples each kind of page a few times (ids normalised) rather
than every household, and every request runs in a savepoint that is rolled back, so one user's posts never change
what the next request sees.
"""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import path
from django.utils import timezone

from coalgov import urls as project_urls
from households.models import Household

from .crawling import Crawler, Finding

pytestmark = pytest.mark.django_db

DEMO_USERS = [
    "qu_admin",
    "qu_leader",
    "wulibao_admin",
    "wulibao_inspector",
    "wulibao_worker",
    "huaihelu_inspector",
    "admin",
]


# --- the demo, loaded once for the module and rolled back after it ---------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data set, loaded through `manage.py load_demo` once; every test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", "--force", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def foreign_records(username: str) -> dict:
    """A household (and its community's code) in a subdistrict that is not the user's."""
    other = "410103006" if username == "huaihelu_inspector" else "410103001"
    household = Household.objects.filter(division_code__startswith=other).order_by("pk").first()
    return {"pk": str(household.pk), "code": household.division_code}


# --- the tests -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_page_a_demo_user_can_reach_answers_without_a_server_error_and_every_form_shows_its_errors(
    demo, username
):
    crawler = Crawler(username, variant=DEMO_USERS.index(username))

    crawler.crawl()
    posted = crawler.post_forms(foreign_records(username))

    assert crawler.visited > 30, f"{username} reached only {crawler.visited} pages"
    assert not crawler.findings, f"{len(crawler.findings)} findings ({crawler.visited} pages, {posted} posts):\n" + (
        "\n\n".join(map(str, crawler.findings))
    )


def state_pages() -> list[tuple[str, str]]:
    """(user, url) for the page of every demo record that has one, and the lists that show the voided ones: a
    page must render for every state the system can create, including rows no person made."""
    from cases.models import Case, SupervisionNotice
    from digests.models import Channel, Delivery
    from inspections.models import Inspection, NightOperation
    from reports.models import LedgerExport, RankingWeek

    pages = [("qu_admin", case.get_absolute_url() + doc) for case in Case.objects.all() for doc in DOCUMENTS]
    pages += [("qu_admin", notice.get_absolute_url()) for notice in SupervisionNotice.objects.all()]
    for model in (Household, Inspection):
        rows = model.objects.order_by("pk")
        pages += [("qu_admin", r.get_absolute_url()) for r in [*rows[:3], *rows.filter(voided_at__isnull=False)]]
    pages += [
        ("qu_admin", f"/fieldwork/operations/{pk}/") for pk in NightOperation.objects.values_list("pk", flat=True)
    ]
    pages += [("qu_admin", f"/digests/channels/{pk}/") for pk in Channel.objects.values_list("pk", flat=True)]
    for delivery in Delivery.objects.select_related("digest"):
        pages.append(("qu_admin", f"/digests/?division={delivery.digest.division_code}&date={delivery.digest.date}"))
    pages += [("qu_admin", "/digests/deliveries/"), ("qu_admin", "/digests/channels/")]
    for week in RankingWeek.objects.all():
        query = f"?district={week.district.code}&week={week.week_start}"
        pages += [("qu_admin", "/units/ranking/" + query), ("qu_leader", "/units/ranking/" + query)]
    for export in LedgerExport.objects.select_related("requested_by"):
        who = export.requested_by.username
        pages += [(who, f"/units/ledgers/{export.pk}/"), (who, f"/units/ledgers/{export.pk}/status/")]
        pages.append((who, "/units/ledgers/"))
        if export.status == LedgerExport.Status.DONE:  # an expired one's file is gone: 404, as it says
            pages.append((who, f"/units/ledgers/{export.pk}/download/"))
    for url in ("/households/", "/fieldwork/inspections/", "/fieldwork/bans/", "/fieldwork/purchases/"):
        pages.append(("qu_admin", url + "?voided=true"))
    pages += [("qu_admin", "/cases/?overdue=true"), ("qu_admin", "/cases/?rebounded=true")]
    pages += [("qu_admin", "/cases/?duplicates=true"), ("qu_admin", "/audit/")]
    return list(dict.fromkeys(pages))


DOCUMENTS = ("", "rectification-notice/", "follow-up-sheet/")


def test_the_page_of_every_record_in_every_state_of_the_demo_renders_and_its_forms_show_their_errors(demo):
    crawlers: dict[str, Crawler] = {}

    pages = state_pages()
    for username, url in pages:
        crawler = crawlers.setdefault(username, Crawler(username))
        crawler.visit(url, "the demo")
        if crawler.status == 404:
            crawler.findings.append(Finding(username, "GET", url, "the demo", 404))
    # The forms of every state (a rectified case's verify and return, a closed one's deadline…), one of a kind.
    for crawler in crawlers.values():
        crawler.post_forms(foreign_records(crawler.username))

    findings = [f for crawler in crawlers.values() for f in crawler.findings]
    assert len(pages) > 60
    assert not findings, "\n\n".join(map(str, findings))


def test_loading_the_demo_again_adds_nothing(demo):
    from django.apps import apps

    def counts():
        return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.app_label != "sessions"}

    before = counts()

    call_command("load_demo", "--force", stdout=io.StringIO())

    assert counts() == before


def test_no_demo_notice_is_dated_after_its_deadline_or_before_its_case(demo):
    """The demo back-dates two cases to let them run overdue: their notices are dated the day they were opened,
    as a real notice is, not the day the demo was loaded (found by a clerk's read of the printed notices)."""
    from cases.models import Case

    for case in Case.objects.exclude(notice_issued_on=None):
        assert case.notice_issued_on == timezone.localdate(case.opened_at), case.pk
        assert case.notice_issued_on <= case.deadline, case.pk


def test_the_demo_holds_every_state_the_system_can_create(demo):
    from cases.models import Case, CaseEvent
    from digests.models import Delivery
    from inspections.models import Ban, Inspection
    from reports.models import LedgerExport, RankingWeek

    cases = Case.objects.all()
    statuses = set(cases.current().values_list("status", flat=True))
    escalations = Counter(CaseEvent.objects.filter(action=CaseEvent.Action.ESCALATED).values_list("case", flat=True))

    assert statuses == {"open", "rectifying", "rectified", "closed"}
    assert cases.filter(overdue_since__isnull=False).count() >= 2
    assert max(escalations.values()) >= 2, "a case escalated twice (community → subdistrict → district)"
    assert cases.filter(rebounds__gt=0).exists()
    assert cases.filter(duplicate_of__isnull=False).exists()
    assert cases.filter(voided_at__isnull=False).exists()
    assert CaseEvent.objects.filter(action=CaseEvent.Action.RETURNED).exists()
    assert Inspection.objects.filter(voided_at__isnull=False).exists()
    assert Household.objects.filter(voided_at__isnull=False).exists()
    assert Ban.objects.filter(voided_at__isnull=False).exists()
    assert Household.objects.filter(notes="演示数据（导入）").count() == 5
    assert RankingWeek.objects.filter(withdrawn_at__isnull=True).exists()
    assert RankingWeek.objects.filter(withdrawn_at__isnull=False).exists()
    from reports.ranking import ranking_for

    published = RankingWeek.objects.get(withdrawn_at__isnull=True)
    ranking = ranking_for(district=published.district, week_start=published.week_start)
    assert [row.name for row in ranking.rows if row.ranked and row.values["coverage"] is None] == [], (
        "the demo's register predates its weeks, so every ranked community has households to survey"
    )
    assert set(Delivery.objects.values_list("status", flat=True)) >= {"failed", "retrying"}
    assert set(LedgerExport.objects.values_list("status", flat=True)) >= {"done", "expired"}


# --- the crawler itself finds what it is for ---------------------------------------------------------------------


def _links(request):
    from django.http import HttpResponse

    return HttpResponse(
        '<a href="/t/broken/1/">one</a> <a href="https://example.com/">elsewhere</a> <a href="/logout/">out</a>'
        '<form method="post" action="/t/quiet/"><input name="title"><button>save</button></form>'
    )


def _broken(request, pk):
    raise RuntimeError("cannot render this state")


def _quiet(request):
    from django.http import HttpResponse

    return HttpResponse('<form method="post"><input name="title"><button>save</button></form>')


# The project's pages (the error page names them) and three of the test's own.
urlpatterns = [
    path("t/", _links),
    path("t/broken/<int:pk>/", _broken),
    path("t/quiet/", _quiet),
    *project_urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_the_crawler_reports_a_server_error_with_its_link_and_a_form_that_hides_its_errors(django_user_model):
    django_user_model.objects.create_user(username="someone")
    crawler = Crawler("someone")

    crawler.crawl(start=("/t/",))
    crawler.post_forms({"pk": "1", "code": "410103001"})

    found = {(f.method, f.url, f.source, f.status) for f in crawler.findings}
    assert found == {("GET", "/t/broken/1/", "/t/", 500), ("POST", "/t/quiet/", "/t/", 200)}
    assert "cannot render this state" in str(crawler.findings[0])
