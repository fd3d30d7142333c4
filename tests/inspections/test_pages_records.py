"""Pages of purchases, bans, conversions (and their targets) and publicity."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections.models import Ban, Conversion, ConversionTarget, Photo, Publicity, Purchase

pytestmark = pytest.mark.django_db

VIEWERS = ["qu_admin", "qu_leader", "wulibao_admin", "wulibao_inspector", "wulibao_worker"]


def count(response) -> int:
    assert response.status_code == 200
    return response.context["paginator"].count


def same_queries(client, url, add) -> None:
    """The list costs as many queries with 30 rows as with 3."""
    add(3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).context["object_list"]) == 3
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["object_list"]) == 30
    assert len(many) == len(few)


# --- purchases --------------------------------------------------------------------------------------

PURCHASES = reverse("inspections:purchase-list")
BUY = reverse("inspections:purchase-create")


def purchase_data(household, **changes):
    data = {
        "household": household.pk,
        "purchased_on": timezone.localdate().isoformat(),
        "item": "briquette",
        "quantity": "200",
        "unit_price": "1.20",
        "market_price": "0.80",
        "notes": "",
        "client_uuid": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.fixture
def buy(people):
    from inspections.services import purchase_record

    def make(household, by="wulibao_worker", quantity="100"):
        return purchase_record(
            actor=people[by],
            household=household,
            item="briquette",
            quantity=Decimal(quantity),
            unit_price=Decimal("1.2"),
            market_price=Decimal("0.8"),
        )[0]

    return make


def test_a_community_worker_buys_coal_from_an_elderly_resident_above_the_market_price(client_as, vulnerable_household):
    response = client_as("wulibao_worker").post(BUY, purchase_data(vulnerable_household))

    assert response.status_code == 302
    assert response["Location"] == vulnerable_household.get_absolute_url()
    purchase = Purchase.objects.get()
    assert purchase.amount == Decimal("240.00")


def test_a_purchase_from_a_household_that_is_not_vulnerable_saves_nothing_and_says_why(client_as, wulibao_household):
    response = client_as("wulibao_worker").post(BUY, purchase_data(wulibao_household))

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors
    assert errors[0] in response.content.decode()
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("price", ["0.80", "0.50"])
def test_a_price_not_above_the_market_saves_nothing(client_as, vulnerable_household, price):
    response = client_as("wulibao_worker").post(BUY, purchase_data(vulnerable_household, unit_price=price))

    assert response.status_code == 200
    assert response.context["form"].errors["unit_price"]
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("quantity", ["-5", "0"])
def test_a_quantity_not_above_zero_saves_nothing(client_as, vulnerable_household, quantity):
    response = client_as("wulibao_worker").post(BUY, purchase_data(vulnerable_household, quantity=quantity))

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    assert not Purchase.objects.exists()


def test_a_purchase_dated_tomorrow_saves_nothing(client_as, vulnerable_household):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client_as("wulibao_worker").post(BUY, purchase_data(vulnerable_household, purchased_on=tomorrow))

    assert response.context["form"].errors["purchased_on"]
    assert not Purchase.objects.exists()


def test_a_purchase_sent_twice_is_recorded_once(client_as, vulnerable_household):
    client, data = client_as("wulibao_worker"), purchase_data(vulnerable_household)

    client.post(BUY, data)
    client.post(BUY, data)

    assert Purchase.objects.count() == 1


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_others_cannot_buy_from_a_wulibao_household(client_as, vulnerable_household, username):
    client = client_as(username)

    assert client.get(BUY, {"household": vulnerable_household.pk}).status_code == 404
    assert client.post(BUY, purchase_data(vulnerable_household)).status_code == 404
    assert not Purchase.objects.exists()


def test_a_district_leader_sees_the_purchase_form_refused(client_as, vulnerable_household):
    assert client_as("qu_leader").get(BUY, {"household": vulnerable_household.pk}).status_code == 403


@pytest.mark.parametrize("username", VIEWERS)
def test_the_purchase_list_shows_wulibao_purchases_to_those_who_see_wulibao(
    client_as, buy, vulnerable_household, username
):
    buy(vulnerable_household)

    assert count(client_as(username).get(PURCHASES)) == 1


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_the_purchase_list_is_empty_for_others(client_as, buy, vulnerable_household, username):
    buy(vulnerable_household)

    assert count(client_as(username).get(PURCHASES)) == 0


def test_the_purchase_list_counts_exactly(client_as, buy, vulnerable_household, void, register, huaihelu_community):
    far = register("qu_admin", huaihelu_community, low_income=True)
    buy(vulnerable_household)
    void(buy(vulnerable_household))
    buy(far, by="qu_admin")
    client = client_as("qu_admin")

    assert count(client.get(PURCHASES)) == 2
    assert count(client.get(PURCHASES, {"voided": "true"})) == 1
    assert count(client.get(PURCHASES, {"division": huaihelu_community.code})) == 1
    assert count(client.get(PURCHASES, {"household": vulnerable_household.pk})) == 1


def test_the_purchase_list_does_not_query_per_row(client_as, buy, household_in, wulibao_community):
    same_queries(
        client_as("wulibao_admin"),
        PURCHASES,
        lambda n: [buy(household_in(wulibao_community, disabled=True)) for _ in range(n)],
    )


# --- bans -------------------------------------------------------------------------------------------

BANS = reverse("inspections:ban-list")
BAN = reverse("inspections:ban-create")


def ban_data(household, **changes):
    data = {
        "household": household.pk,
        "kind": "sale_point",
        "banned_at": (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "officers": "工商所 王所长",
        "notes": "",
        "client_uuid": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.fixture
def ban(people):
    from inspections.services import ban_record

    def make(place, by="wulibao_inspector", banned_at=None):
        kind = {"coal_sale_point": "sale_point", "storage_point": "storage_point", "food_stall": "food_stall"}
        return ban_record(actor=people[by], household=place, kind=kind[place.kind], banned_at=banned_at)[0]

    return make


def test_an_inspector_shuts_a_coal_sale_point_with_departments_and_a_photo(client_as, sale_point, jpeg):
    from inspections.models import Department

    departments = [Department.objects.get_or_create(name=name)[0] for name in ("工商所", "城管执法中队")]

    response = client_as("wulibao_inspector").post(
        BAN, ban_data(sale_point, departments=[d.pk for d in departments], photos=[jpeg()])
    )

    assert response.status_code == 302
    ban = Ban.objects.get()
    assert ban.kind == "sale_point"
    assert set(ban.departments.all()) == set(departments)
    assert Photo.objects.filter(object_id=ban.pk).count() == 1


def test_the_ban_form_offers_only_the_kind_that_fits_the_place(client_as, sale_point):
    form = client_as("wulibao_inspector").get(BAN, {"household": sale_point.pk}).context["form"]

    assert [value for value, _label in form.fields["kind"].choices if value] == ["sale_point"]


def test_a_ban_of_a_residence_saves_nothing_and_says_why(client_as, wulibao_household):
    response = client_as("wulibao_inspector").post(BAN, ban_data(wulibao_household))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Ban.objects.exists()


def test_a_ban_with_a_text_file_for_a_photo_saves_nothing(client_as, sale_point, not_a_photo):
    response = client_as("wulibao_inspector").post(BAN, ban_data(sale_point, photos=[not_a_photo()]))

    assert response.context["form"].errors["photos"]
    assert not Ban.objects.exists()
    assert not Photo.objects.exists()


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_others_cannot_ban_a_wulibao_place(client_as, sale_point, username):
    assert client_as(username).post(BAN, ban_data(sale_point)).status_code == 404
    assert not Ban.objects.exists()


def test_the_ban_list_finds_places_found_trading_again(client_as, ban, visit, register, wulibao_community, sale_point):
    store = register(
        "wulibao_admin", wulibao_community, kind="storage_point", estate="", room="", address="五里堡堆放点1号"
    )
    week_ago = timezone.now() - datetime.timedelta(days=7)
    ban(sale_point, banned_at=week_ago)
    ban(store, banned_at=week_ago)
    visit(sale_point, "loose_coal")  # trading again: a rebound
    client = client_as("wulibao_inspector")

    assert count(client.get(BANS)) == 2
    assert count(client.get(BANS, {"rebounded": "true"})) == 1
    assert count(client.get(BANS, {"rebounded": "false"})) == 1
    assert count(client.get(BANS, {"kind": "storage_point"})) == 1
    assert count(client_as("huaihelu_inspector").get(BANS)) == 0


def test_the_ban_list_does_not_query_per_row(client_as, ban, household_in, wulibao_community):
    same_queries(
        client_as("qu_admin"),
        BANS,
        lambda n: [ban(household_in(wulibao_community, kind="food_stall", estate="", room="")) for _ in range(n)],
    )


# --- conversions ------------------------------------------------------------------------------------

CONVERSIONS = reverse("inspections:conversion-list")
CONVERT = reverse("inspections:conversion-set")
TARGETS = reverse("inspections:conversion-targets")


def test_a_community_worker_plans_and_then_completes_a_conversion(client_as, wulibao_household):
    client = client_as("wulibao_worker")
    today = timezone.localdate().isoformat()

    client.post(CONVERT, {"household": wulibao_household.pk, "kind": "electricity", "status": "planned"})
    form = client.get(CONVERT, {"household": wulibao_household.pk}).context["form"]
    assert form.initial["status"] == "planned"
    response = client.post(
        CONVERT,
        {"household": wulibao_household.pk, "kind": "electricity", "status": "completed", "completed_on": today},
    )

    assert response.status_code == 302
    conversion = Conversion.objects.get()
    assert (conversion.status, conversion.completed_on) == ("completed", timezone.localdate())


def test_a_completed_conversion_without_a_date_saves_nothing(client_as, wulibao_household):
    response = client_as("wulibao_worker").post(
        CONVERT, {"household": wulibao_household.pk, "kind": "gas", "status": "completed"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["completed_on"]
    assert not Conversion.objects.exists()


@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_others_cannot_set_a_wulibao_conversion(client_as, wulibao_household, username):
    response = client_as(username).post(
        CONVERT, {"household": wulibao_household.pk, "kind": "gas", "status": "planned"}
    )

    assert response.status_code == 404
    assert not Conversion.objects.exists()


def test_the_conversion_list_filters_by_kind_status_and_completion_date(
    client_as, people, household_in, wulibao_community, huaihelu_community
):
    from inspections.services import conversion_set

    today = timezone.localdate()
    month_ago = today - datetime.timedelta(days=30)
    for kind, status, day, place in [
        ("electricity", "completed", today, wulibao_community),
        ("electricity", "completed", month_ago, wulibao_community),
        ("gas", "completed", today, wulibao_community),
        ("gas", "planned", None, huaihelu_community),
    ]:
        conversion_set(
            actor=people["qu_admin"], household=household_in(place), kind=kind, status=status, completed_on=day
        )
    client = client_as("qu_admin")

    assert count(client.get(CONVERSIONS)) == 4
    assert count(client.get(CONVERSIONS, {"kind": "electricity"})) == 2
    assert count(client.get(CONVERSIONS, {"status": "planned"})) == 1
    assert count(client.get(CONVERSIONS, {"completed_after": (today - datetime.timedelta(days=7)).isoformat()})) == 2
    assert count(client_as("wulibao_inspector").get(CONVERSIONS)) == 3
    assert count(client_as("nobody").get(CONVERSIONS)) == 0


def test_the_conversion_list_does_not_query_per_row(client_as, people, household_in, wulibao_community):
    from inspections.services import conversion_set

    def add(n):
        for _ in range(n):
            conversion_set(
                actor=people["qu_admin"], household=household_in(wulibao_community), kind="gas", status="planned"
            )

    same_queries(client_as("wulibao_worker"), CONVERSIONS, add)


def test_a_subdistrict_administrator_sets_a_community_target(client_as, wulibao_community):
    response = client_as("wulibao_admin").post(
        TARGETS, {"division": wulibao_community.pk, "season": "2017-2018", "households": "120"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:unit", args=[wulibao_community.code])
    target = ConversionTarget.objects.get()
    assert (target.division, target.season, target.households) == (wulibao_community, "2017-2018", 120)


def test_a_target_with_a_badly_written_season_saves_nothing(client_as, wulibao_community):
    response = client_as("wulibao_admin").post(
        TARGETS, {"division": wulibao_community.pk, "season": "2017-2019", "households": "120"}
    )

    assert response.context["form"].errors["season"]
    assert not ConversionTarget.objects.exists()


@pytest.mark.parametrize("username", ["wulibao_inspector", "wulibao_worker", "qu_leader", "nobody"])
def test_only_district_and_subdistrict_administrators_set_targets(client_as, username):
    assert client_as(username).get(TARGETS).status_code == 403


def test_an_administrator_cannot_set_a_target_outside_their_subdistrict(client_as, huaihelu_community):
    response = client_as("wulibao_admin").post(
        TARGETS, {"division": huaihelu_community.pk, "season": "2017-2018", "households": "5"}
    )

    assert response.context["form"].errors["division"]
    assert not ConversionTarget.objects.exists()


# --- publicity --------------------------------------------------------------------------------------

PUBLICITY = reverse("inspections:publicity-list")
PUBLICISE = reverse("inspections:publicity-create")


def publicity_data(division, **changes):
    data = {
        "division": division.pk,
        "date": timezone.localdate().isoformat(),
        "kind": "banner",
        "count": "12",
        "place": "五里堡街道办门口",
        "notes": "",
        "client_uuid": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def test_a_community_worker_records_banners_with_a_photo(client_as, wulibao_community, jpeg):
    response = client_as("wulibao_worker").post(PUBLICISE, publicity_data(wulibao_community, photos=[jpeg()]))

    assert response.status_code == 302
    publicity = Publicity.objects.get()
    assert (publicity.division, publicity.count) == (wulibao_community, 12)
    assert Photo.objects.filter(object_id=publicity.pk).count() == 1


@pytest.mark.parametrize("bad", [{"count": "0"}, {"count": "-3"}, {"date": "2999-01-01"}])
def test_bad_publicity_saves_nothing(client_as, wulibao_community, bad):
    response = client_as("wulibao_worker").post(PUBLICISE, publicity_data(wulibao_community, **bad))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Publicity.objects.exists()


def test_a_community_worker_cannot_record_publicity_for_another_community(client_as, wulibao_other_community):
    response = client_as("wulibao_worker").post(PUBLICISE, publicity_data(wulibao_other_community))

    assert response.context["form"].errors["division"]
    assert not Publicity.objects.exists()


@pytest.mark.parametrize("username", ["qu_leader", "nobody"])
def test_those_who_enter_no_field_work_cannot_open_the_publicity_form(client_as, username):
    assert client_as(username).get(PUBLICISE).status_code == 403


def test_the_publicity_list_counts_exactly_within_jurisdiction(
    client_as, people, wulibao_community, huaihelu_community, wulibao
):
    from inspections.services import publicity_record

    publicity_record(actor=people["wulibao_worker"], division=wulibao_community, kind="banner", count=3)
    publicity_record(actor=people["wulibao_admin"], division=wulibao, kind="vehicle", count=1)
    publicity_record(actor=people["qu_admin"], division=huaihelu_community, kind="banner", count=5)

    assert count(client_as("qu_admin").get(PUBLICITY)) == 3
    assert count(client_as("qu_admin").get(PUBLICITY, {"kind": "banner"})) == 2
    assert count(client_as("wulibao_inspector").get(PUBLICITY)) == 2
    assert count(client_as("wulibao_worker").get(PUBLICITY)) == 1
    assert count(client_as("huaihelu_inspector").get(PUBLICITY)) == 1
    assert count(client_as("nobody").get(PUBLICITY)) == 0


def test_the_publicity_list_does_not_query_per_row(client_as, people, wulibao_community):
    from inspections.services import publicity_record

    same_queries(
        client_as("wulibao_admin"),
        PUBLICITY,
        lambda n: [
            publicity_record(actor=people["wulibao_worker"], division=wulibao_community, kind="leaflet", count=1)
            for _ in range(n)
        ],
    )


def test_a_publicity_record_is_voided_by_an_administrator_only(client_as, people, wulibao_community):
    from inspections.services import publicity_record

    record, _ = publicity_record(actor=people["wulibao_worker"], division=wulibao_community, kind="banner", count=3)
    url = reverse("inspections:publicity-void", args=[record.pk])

    assert client_as("wulibao_worker").post(url, {"reason": "错了"}).status_code == 403
    assert client_as("huaihelu_inspector").post(url, {"reason": "错了"}).status_code == 404
    assert client_as("wulibao_admin").post(url, {"reason": "错了"}).status_code == 302
    record.refresh_from_db()
    assert record.is_voided


# --- every list, every role -------------------------------------------------------------------------


@pytest.fixture
def one_of_each(people, wulibao_household, vulnerable_household, sale_point, wulibao_community, buy, ban, visit):
    """One record of every kind in 五里堡's first community, recorded through the services."""
    from inspections.services import conversion_set, operation_save, publicity_record

    visit(wulibao_household, "no_coal")
    buy(vulnerable_household)
    ban(sale_point)
    conversion_set(actor=people["wulibao_worker"], household=wulibao_household, kind="gas", status="planned")
    publicity_record(actor=people["wulibao_worker"], division=wulibao_community, kind="notice", count=2)
    operation_save(
        actor=people["wulibao_admin"],
        data={"division": wulibao_community, "date": timezone.localdate(), "title": "夜查", "leader": "书记"},
        covered=[wulibao_community],
    )


LISTS = ["list", "operation-list", "purchase-list", "ban-list", "conversion-list", "publicity-list"]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("username", VIEWERS)
def test_every_list_shows_the_communitys_record_to_those_who_see_it(client_as, one_of_each, name, username):
    assert count(client_as(username).get(reverse(f"inspections:{name}"))) == 1


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("username", ["huaihelu_inspector", "nobody"])
def test_every_list_is_empty_for_huaihelu_and_for_a_user_without_membership(client_as, one_of_each, name, username):
    assert count(client_as(username).get(reverse(f"inspections:{name}"))) == 0


@pytest.mark.parametrize("name", ["purchase-void", "ban-void", "conversion-void", "publicity-void", "operation-void"])
def test_no_record_of_wulibao_can_be_voided_from_huaihelu(client_as, one_of_each, name):
    from inspections.models import NightOperation

    model = {
        "purchase-void": Purchase,
        "ban-void": Ban,
        "conversion-void": Conversion,
        "publicity-void": Publicity,
        "operation-void": NightOperation,
    }[name]
    record = model.objects.get()
    url = reverse(f"inspections:{name}", args=[record.pk])

    assert client_as("huaihelu_inspector").post(url, {"reason": "x"}).status_code == 404
    assert client_as("wulibao_inspector").post(url, {"reason": "x"}).status_code == 403
    record.refresh_from_db()
    assert not record.is_voided


def test_the_publicity_form_opened_from_a_unit_page_starts_with_that_unit(client_as, wulibao_community):
    url = reverse("inspections:publicity-create")

    form = client_as("wulibao_worker").get(url, {"division": wulibao_community.code}).context["form"]

    assert form["division"].value() == wulibao_community.pk
