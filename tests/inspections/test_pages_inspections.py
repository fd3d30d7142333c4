"""The visit pages: the list, one visit, voiding it, and recording one from a desk."""

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections.models import Inspection, Photo, Seizure

pytestmark = pytest.mark.django_db

LIST = reverse("inspections:list")
CREATE = reverse("inspections:create")
VIEWERS = ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector", "wulibao_worker"]


def shown(response) -> list[Inspection]:
    assert response.status_code == 200
    return list(response.context["object_list"])


@pytest.fixture
def wulibao_visit(visit, wulibao_household, last_night):
    return visit(
        wulibao_household,
        "stove_in_use",
        last_night,
        by="wulibao_inspector",
        kind="night_check",
        seized=[("briquette", 50), ("stove", 1, "destroyed")],
    )


# --- the list ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", VIEWERS)
def test_everyone_above_or_in_the_community_sees_its_visit_in_the_list(client_as, wulibao_visit, username):
    response = client_as(username).get(LIST)

    assert [v.pk for v in shown(response)] == [wulibao_visit.pk]
    assert wulibao_visit.household.label in response.content.decode()


def test_an_inspector_of_huaihelu_and_a_user_without_membership_see_an_empty_list(client, people, wulibao_visit):
    for username in ("huaihelu_inspector", "nobody"):
        client.force_login(people[username])
        assert shown(client.get(LIST)) == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client, wulibao_visit):
    response = client.get(LIST)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_list_counts_and_filters_exactly(
    client_as,
    visit,
    void,
    household_in,
    wulibao_community,
    wulibao_other_community,
    huaihelu_community,
    last_night,
    wulibao,
):
    home = household_in(wulibao_community)
    other = household_in(wulibao_other_community)
    far = household_in(huaihelu_community)
    midday = last_night + datetime.timedelta(hours=12)
    visit(home, "stove_in_use", last_night, kind="night_check", seized=[("briquette", 50)])
    visit(home, "no_coal", midday)
    visit(other, "loose_coal", midday - datetime.timedelta(days=3), seized=[("loose_coal", 20)])
    visit(far, "nobody_home", midday)
    void(visit(far, "no_coal", midday))
    client = client_as("qu_admin")

    def count(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return response.context["paginator"].count

    yesterday = timezone.localdate(last_night)
    assert count() == 4
    assert count(voided="true") == 1
    assert count(division=wulibao.code) == 3
    assert count(division=wulibao_community.code) == 2
    assert count(kind="night_check") == 1
    assert count(outcome="no_coal") == 1
    assert count(is_night="true") == 1
    assert count(found_coal="true") == 2
    assert count(found_coal="false") == 2
    assert count(in_priority_zone="true") == 0
    assert count(date_after=yesterday.isoformat(), date_before=yesterday.isoformat()) == 3
    assert count(household=home.pk) == 2


def test_the_list_shows_what_each_visit_took_away_and_its_photos(client_as, wulibao_household, jpeg, people):
    from inspections.photos import photos_check
    from inspections.services import SeizureInput, inspection_record

    inspection_record(
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="survey",
        outcome="loose_coal",
        seizures=[SeizureInput("loose_coal", 25, "voluntary")],
        photos=photos_check([jpeg(), jpeg("b.jpg")]),
    )

    response = client_as("wulibao_worker").get(LIST)

    (row,) = shown(response)
    assert row.photo_count == 2
    page = response.content.decode()
    assert str(Seizure.Item.LOOSE_COAL.label) in page
    assert 'data-photos="2"' in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("username", ["qu_admin", "wulibao_inspector"])
def test_the_list_costs_the_same_queries_for_3_visits_as_for_30(
    client_as, visit, household_in, wulibao_community, wulibao_other_community, last_night, username
):
    client = client_as(username)

    def add(n):
        for i in range(n):
            household = household_in(wulibao_community if i % 2 else wulibao_other_community)
            visit(household, "loose_coal", last_night - datetime.timedelta(minutes=i), seized=[("briquette", i + 1)])

    add(3)
    client.get(LIST)  # warm the session and content-type caches
    few, response = _queries(client, LIST)
    assert len(response.context["object_list"]) == 3

    add(27)
    many, response = _queries(client, LIST)
    assert len(response.context["object_list"]) == 30

    assert many == few


# --- one visit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", VIEWERS)
def test_a_visit_page_shows_the_household_the_seizures_and_the_badges(client_as, wulibao_visit, username):
    response = client_as(username).get(wulibao_visit.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert wulibao_visit.household.get_absolute_url() in page
    assert 'data-testid="night-badge"' in page
    assert str(Seizure.Item.BRIQUETTE.label) in page
    assert str(Seizure.Method.DESTROYED.label) in page


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_a_wulibao_visit_is_not_found_for_huaihelu_or_a_user_without_membership(client_as, wulibao_visit, username):
    client = client_as(username)

    assert client.get(wulibao_visit.get_absolute_url()).status_code == 404
    assert client.get(reverse("inspections:void", args=[wulibao_visit.pk])).status_code == 404
    assert client.post(reverse("inspections:void", args=[wulibao_visit.pk]), {"reason": "x"}).status_code == 404
    wulibao_visit.refresh_from_db()
    assert not wulibao_visit.is_voided


def test_a_visit_page_shows_thumbnails_linking_to_the_full_photos(client_as, wulibao_household, jpeg, people):
    from inspections.photos import photos_check
    from inspections.services import inspection_record

    inspection, _ = inspection_record(
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="survey",
        outcome="no_coal",
        photos=photos_check([jpeg()]),
    )
    photo = Photo.objects.get()
    client = client_as("wulibao_inspector")

    page = client.get(inspection.get_absolute_url()).content.decode()

    assert f'href="{photo.get_absolute_url()}"' in page
    assert f'src="{photo.thumbnail_url}"' in page
    assert client.get(photo.thumbnail_url).status_code == 200


def test_only_those_who_may_void_see_the_void_form(client_as, wulibao_visit):
    url = wulibao_visit.get_absolute_url()

    assert 'data-testid="void-form"' in client_as("wulibao_admin").get(url).content.decode()
    assert 'data-testid="void-form"' not in client_as("wulibao_inspector").get(url).content.decode()


def test_a_subdistrict_administrator_voids_a_visit_with_a_reason(client_as, wulibao_visit):
    url = reverse("inspections:void", args=[wulibao_visit.pk])

    response = client_as("wulibao_admin").post(url, {"reason": "重复录入"})

    assert response.status_code == 302
    assert response["Location"] == wulibao_visit.get_absolute_url()
    wulibao_visit.refresh_from_db()
    assert wulibao_visit.is_voided
    assert wulibao_visit.void_reason == "重复录入"


def test_voiding_without_a_reason_changes_nothing(client_as, wulibao_visit):
    response = client_as("wulibao_admin").post(reverse("inspections:void", args=[wulibao_visit.pk]), {"reason": " "})

    assert response.status_code == 200
    assert response.context["form"].errors
    wulibao_visit.refresh_from_db()
    assert not wulibao_visit.is_voided


def test_an_inspector_who_sees_the_visit_may_not_void_it(client_as, wulibao_visit):
    response = client_as("wulibao_inspector").post(
        reverse("inspections:void", args=[wulibao_visit.pk]), {"reason": "不要了"}
    )

    assert response.status_code == 403
    wulibao_visit.refresh_from_db()
    assert not wulibao_visit.is_voided


# --- recording a visit -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector", "wulibao_worker"])
def test_those_who_may_enter_there_open_the_visit_form(client_as, wulibao_household, username):
    response = client_as(username).get(CREATE, {"household": wulibao_household.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="datetime-local"' in page
    assert 'type="file"' in page and "multiple" in page
    assert response.context["form"]["started_at"].value()


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_the_visit_form_of_a_wulibao_household_is_not_found_for_others(client_as, wulibao_household, username):
    assert client_as(username).get(CREATE, {"household": wulibao_household.pk}).status_code == 404


def test_the_visit_form_without_a_household_leads_to_the_register(client_as):
    response = client_as("wulibao_inspector").get(CREATE)

    assert response.status_code == 302
    assert response["Location"] == reverse("households:list")


def test_a_night_check_with_briquettes_a_stove_and_a_photo_is_recorded_from_the_form(
    client_as, wulibao_household, visit_post, last_night, jpeg, people
):
    data = visit_post(
        wulibao_household,
        started_at=last_night,
        seizures=[("briquette", "50", "confiscated"), ("stove", "1", "destroyed")],
        photos=[jpeg(), jpeg("second.jpg")],
    )

    response = client_as("wulibao_inspector").post(CREATE, data)

    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == inspection.get_absolute_url()
    assert inspection.is_night
    assert inspection.recorded_by == people["wulibao_inspector"]
    assert sorted(inspection.seizures.values_list("item", "quantity", "method")) == [
        ("briquette", 50, "confiscated"),
        ("stove", 1, "destroyed"),
    ]
    assert Photo.objects.filter(object_id=inspection.pk).count() == 2


def test_the_same_form_sent_twice_records_one_visit(client_as, wulibao_household, visit_post):
    client = client_as("wulibao_inspector")
    data = visit_post(wulibao_household, outcome="no_coal", client_uuid=str(uuid.uuid4()))

    client.post(CREATE, data)
    again = client.post(CREATE, data)

    assert again.status_code == 302
    assert Inspection.objects.count() == 1


def test_a_visit_joins_an_operation_of_its_unit_with_departments(
    client_as, wulibao_household, visit_post, plan_operation, wulibao
):
    from inspections.models import Department

    operation = plan_operation(wulibao)
    department, _ = Department.objects.get_or_create(name="工商所")
    client = client_as("wulibao_inspector")

    form = client.get(CREATE, {"household": wulibao_household.pk}).context["form"]
    assert list(form.fields["operation"].queryset) == [operation]

    client.post(
        CREATE, visit_post(wulibao_household, outcome="no_coal", operation=operation.pk, departments=[department.pk])
    )

    inspection = Inspection.objects.get()
    assert inspection.operation == operation
    assert list(inspection.departments.all()) == [department]


def test_a_voided_operation_or_one_of_another_subdistrict_cannot_be_chosen(
    client_as, wulibao_household, visit_post, plan_operation, huaihelu, void, wulibao
):
    voided = plan_operation(wulibao, title="作废的")
    void(voided)
    elsewhere = plan_operation(huaihelu, by="qu_admin")
    client = client_as("qu_admin")

    assert (
        list(client.get(CREATE, {"household": wulibao_household.pk}).context["form"].fields["operation"].queryset) == []
    )
    for operation in (voided, elsewhere):
        response = client.post(CREATE, visit_post(wulibao_household, outcome="no_coal", operation=operation.pk))
        assert response.status_code == 200
        assert "已作废" in response.context["form"].errors["operation"][0]  # not just "not a valid choice"
    assert not Inspection.objects.exists()


def _refused(response, field=None):
    assert response.status_code == 200
    form = response.context["form"]
    formset = response.context["seizure_formset"]
    assert form.errors or formset.total_error_count()
    if field:
        assert form.errors.get(field), form.errors
    assert not Inspection.objects.exists()
    assert not Seizure.objects.exists()
    assert not Photo.objects.exists()
    return form


def test_a_negative_quantity_saves_nothing(client_as, wulibao_household, visit_post):
    response = client_as("wulibao_inspector").post(
        CREATE, visit_post(wulibao_household, seizures=[("briquette", "-5", "confiscated")])
    )

    _refused(response)
    assert response.context["seizure_formset"].forms[0].errors["quantity"]


def test_half_a_stove_saves_nothing(client_as, wulibao_household, visit_post):
    response = client_as("wulibao_inspector").post(
        CREATE, visit_post(wulibao_household, seizures=[("stove", "0.5", "destroyed")])
    )

    form = _refused(response)
    assert form.non_field_errors()


def test_a_text_file_named_jpg_saves_nothing_and_says_why(client_as, wulibao_household, visit_post, not_a_photo, jpeg):
    data = visit_post(wulibao_household, seizures=[("briquette", "10", "confiscated")], photos=[jpeg(), not_a_photo()])

    response = client_as("wulibao_inspector").post(CREATE, data)

    form = _refused(response, "photos")
    assert "photo.jpg" in form.errors["photos"][0]
    assert "photo.jpg" in response.content.decode()


def test_a_30_mb_photo_saves_nothing(client_as, wulibao_household, visit_post, huge_photo):
    response = client_as("wulibao_inspector").post(CREATE, visit_post(wulibao_household, photos=[huge_photo()]))

    form = _refused(response, "photos")
    assert "big.jpg" in form.errors["photos"][0]


def test_a_visit_dated_in_the_future_saves_nothing(client_as, wulibao_household, visit_post):
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)

    minute = lambda: timezone.localtime().strftime("%Y-%m-%d %H:%M")  # noqa: E731
    before = minute()
    response = client_as("wulibao_inspector").post(CREATE, visit_post(wulibao_household, started_at=tomorrow))

    # A time, not a date, and the server's clock beside it: what a phone that runs fast needs to see.
    said = _refused(response, "started_at").errors["started_at"]
    assert said in ([f"不能填写未来的时间（现在是{now}）。"] for now in {before, minute()})


def test_taking_things_away_when_nobody_let_the_team_in_saves_nothing(client_as, wulibao_household, visit_post):
    response = client_as("wulibao_inspector").post(
        CREATE, visit_post(wulibao_household, outcome="refused", seizures=[("briquette", "3", "confiscated")])
    )

    assert _refused(response).non_field_errors()


def test_an_inspector_of_huaihelu_cannot_post_a_visit_to_a_wulibao_household(client_as, wulibao_household, visit_post):
    response = client_as("huaihelu_inspector").post(CREATE, visit_post(wulibao_household, outcome="no_coal"))

    assert response.status_code == 404
    assert not Inspection.objects.exists()


def test_a_filter_that_cannot_be_read_is_shown_with_its_error_not_as_an_empty_list(client_as, wulibao_visit):
    # ?station=ZZZ&night=abc once said "共 0 条": the list now says which filter is wrong and why.
    response = client_as("qu_admin").get("/fieldwork/inspections/?station=ZZZ&night=abc")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="filter-errors"' in page
    assert "筛选条件有误，未列出任何记录。请更正：" in page
    assert "输入一个有效的日期。" in page and "选择一个有效的选项" in page
    assert 'data-testid="result-count"' not in page
    # A good filter still shows its count and no error.
    page = client_as("qu_admin").get("/fieldwork/inspections/?is_night=false").content.decode()
    assert 'data-testid="result-count"' in page and 'data-testid="filter-errors"' not in page


def test_a_night_check_at_midday_is_not_saved_until_the_clerk_confirms_it_will_not_count(
    client_as, wulibao_household, visit_post, last_night
):
    client = client_as("wulibao_inspector")
    data = visit_post(wulibao_household, started_at=last_night + datetime.timedelta(hours=12))

    asked = client.post(CREATE, data)

    page = asked.content.decode()
    assert asked.status_code == 200
    assert not Inspection.objects.exists()
    assert "12:20" in page and "不会计为夜查" in page
    assert 'data-testid="not-night-ok"' in page

    saved = client.post(CREATE, {**data, "not_night_ok": "on"})

    inspection = Inspection.objects.get()
    assert saved.status_code == 302
    assert inspection.kind == "night_check" and not inspection.is_night
    detail = client.get(inspection.get_absolute_url()).content.decode()
    assert 'data-testid="not-night-badge"' in detail and 'data-testid="night-badge"' not in detail


def test_a_night_check_at_night_or_a_daytime_visit_of_another_kind_is_saved_without_asking(
    client_as, wulibao_household, visit_post, last_night
):
    client = client_as("wulibao_inspector")

    at_night = client.post(CREATE, visit_post(wulibao_household, outcome="no_coal", started_at=last_night))
    by_day = client.post(
        CREATE,
        visit_post(
            wulibao_household, outcome="no_coal", kind="recheck", started_at=last_night + datetime.timedelta(hours=12)
        ),
    )

    assert at_night.status_code == 302 and by_day.status_code == 302
    assert Inspection.objects.count() == 2


@pytest.mark.parametrize("url", [LIST, "/households/", "/fieldwork/operations/", "/cases/"])
def test_a_filter_for_what_a_list_hides_unless_asked_reads_no_by_default_not_any(client_as, url):
    """Voided records (and duplicate cases) are hidden until asked: the filter said 全部 while showing only the rest."""
    html = client_as("qu_admin").get(url).content.decode()

    name = "duplicates" if url == "/cases/" else "voided"
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group()
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["否", "是"]


def test_a_visit_refused_for_another_nights_operation_marks_no_field_as_valid(
    client_as, wulibao, wulibao_household, visit_post, plan_operation
):
    """The refusal is of the whole entry: before, every field beside it was ticked green as if it were fine."""
    earlier = plan_operation(wulibao, date=timezone.localdate() - datetime.timedelta(days=5))

    response = client_as("wulibao_inspector").post(CREATE, visit_post(wulibao_household, operation=earlier.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert not Inspection.objects.exists()
    assert "is-valid" not in page
    assert f"该夜查行动是{earlier.date}夜的" in page
