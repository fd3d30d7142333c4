"""Who may list, open, create, change and void which field work through the API.

Every story user is tried against records in three places: the community worker's own community, a sibling
community in 五里堡, and a community of 淮河路. The expectations are written out by hand here, not derived
from the scoping code, so a change in the rules has to change this table too.

- view: any membership whose subtree holds the record; elsewhere it does not exist (404, and a household or
  unit outside the view is unknown to a POST: 400).
- entry: visits by every role including the district leader (spot checks); purchases, bans, conversions and
  publicity by every role but the district leader; night-check operations by district admins and leaders
  and subdistrict admins; conversion targets by district and subdistrict admins. Visible but not enterable: 403.
- void: district and subdistrict administrators only.
"""

import datetime
import importlib
from decimal import Decimal

import pytest

from inspections.models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Publicity,
    Purchase,
)
from inspections.services import (
    ban_record,
    conversion_set,
    conversion_target_set,
    inspection_record,
    operation_save,
    publicity_record,
    purchase_record,
)

pytestmark = pytest.mark.django_db
add_departments = importlib.import_module("inspections.migrations.0003_departments").add_departments

ROLES = [
    "qu_admin",
    "qu_leader",
    "wulibao_admin",
    "wulibao_inspector",
    "wulibao_worker",
    "huaihelu_inspector",
    "nobody",
    "anonymous",
]
PLACES = ["own_community", "sibling_community", "huaihelu"]

EVERYWHERE = frozenset(PLACES)
WULIBAO = frozenset({"own_community", "sibling_community"})
NOWHERE = frozenset()

VIEWS = {
    "qu_admin": EVERYWHERE,
    "qu_leader": EVERYWHERE,
    "wulibao_admin": WULIBAO,
    "wulibao_inspector": WULIBAO,
    "wulibao_worker": frozenset({"own_community"}),
    "huaihelu_inspector": frozenset({"huaihelu"}),
    "nobody": NOWHERE,
    "anonymous": NOWHERE,
}
ADMINS = {**dict.fromkeys(ROLES, NOWHERE), "qu_admin": EVERYWHERE, "wulibao_admin": WULIBAO}
VISITS = VIEWS  # the district leader makes spot checks
FIELDWORK = {**VIEWS, "qu_leader": NOWHERE}
OPERATIONS = {**ADMINS, "qu_leader": EVERYWHERE}
TARGETS = ADMINS
VOIDS = ADMINS


class Endpoint:
    """One resource of the field-work API: where it lives, who enters it, and how to make one."""

    def __init__(self, name, url, model, enters, *, asks_for="household", voidable=True):
        self.name, self.url, self.model, self.enters = name, url, model, enters
        self.asks_for, self.voidable = asks_for, voidable

    def __repr__(self):
        return self.name


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("inspections", "/api/v1/inspections/", Inspection, VISITS),
        Endpoint("operations", "/api/v1/operations/", NightOperation, OPERATIONS, asks_for="division"),
        Endpoint("purchases", "/api/v1/purchases/", Purchase, FIELDWORK),
        Endpoint("bans", "/api/v1/bans/", Ban, FIELDWORK),
        Endpoint("conversions", "/api/v1/conversions/", Conversion, FIELDWORK),
        Endpoint(
            "conversion-targets",
            "/api/v1/conversion-targets/",
            ConversionTarget,
            TARGETS,
            asks_for="division",
            voidable=False,
        ),
        Endpoint("publicity", "/api/v1/publicity/", Publicity, FIELDWORK, asks_for="division"),
    ]
}
VOIDABLE = [name for name, e in ENDPOINTS.items() if e.voidable]


def user(role):
    return None if role == "anonymous" else role


def expected(role, place, allowed, success):
    """404 outside the user's view, 403 inside it where `allowed` says no, else `success`."""
    if place not in VIEWS[role]:
        return 404
    if place not in allowed[role]:
        return 403
    return success


def detail(endpoint, record, action=""):
    return f"{endpoint.url}{record.pk}/{action + '/' if action else ''}"


@pytest.fixture
def place_of(request):
    """The community standing for a place name."""
    fixtures = {
        "own_community": "wulibao_community",
        "sibling_community": "wulibao_other_community",
        "huaihelu": "huaihelu_community",
    }
    return lambda place: request.getfixturevalue(fixtures[place])


@pytest.fixture
def place_for(household_in):
    """A place of the kind a record needs, in a community (a vulnerable home, a coal sale point …)."""

    def make(endpoint, community):
        fields = {
            "purchases": {"elderly_alone": True},
            "bans": {"kind": "coal_sale_point", "address": "京广路散煤点"},
        }.get(endpoint.name, {})
        return household_in(community, **fields)

    return make


@pytest.fixture
def record_in(people, place_for):
    """A record of an endpoint in a community, made by the district office through the service."""
    actor = people["qu_admin"]
    when = datetime.datetime(2017, 1, 2, 23, 30, tzinfo=datetime.UTC)
    day = datetime.date(2017, 1, 2)

    def make(endpoint, community):
        name = endpoint.name
        if name == "operations":
            data = {"division": community, "date": day, "title": "零点夜查", "leader": "区长"}
            return operation_save(actor=actor, data=data, covered=[community])
        if name == "conversion-targets":
            return conversion_target_set(actor=actor, division=community, season="2016-2017", households=40)
        if name == "publicity":
            return publicity_record(actor=actor, division=community, kind="banner", count=3, date=day)[0]
        household = place_for(endpoint, community)
        if name == "inspections":
            return inspection_record(
                actor=actor, household=household, kind="survey", outcome="no_coal", started_at=when
            )[0]
        if name == "purchases":
            return purchase_record(
                actor=actor,
                household=household,
                item="briquette",
                quantity=Decimal(100),
                unit_price=Decimal("0.80"),
                market_price=Decimal("0.60"),
                purchased_on=day,
            )[0]
        if name == "bans":
            return ban_record(actor=actor, household=household, kind="sale_point", banned_at=when)[0]
        if name == "conversions":
            return conversion_set(
                actor=actor, household=household, kind="electricity", status="completed", completed_on=day
            )
        raise AssertionError(name)

    return make


@pytest.fixture
def payload_in(place_for):
    """What a phone or page POSTs to create a record of an endpoint in a community."""

    def make(endpoint, community):
        name = endpoint.name
        if name == "operations":
            return {
                "division": community.code,
                "date": "2017-01-02",
                "title": "零点夜查",
                "leader": "街道办主任",
                "covered": [community.code],
            }
        if name == "conversion-targets":
            return {"division": community.code, "season": "2016-2017", "households": 40}
        if name == "publicity":
            return {"division": community.code, "kind": "banner", "count": 3, "date": "2017-01-02"}
        household = place_for(endpoint, community).pk
        return {
            "inspections": {"household": household, "kind": "survey", "outcome": "no_coal"},
            "purchases": {
                "household": household,
                "item": "briquette",
                "quantity": "100",
                "unit_price": "0.80",
                "market_price": "0.60",
            },
            "bans": {"household": household, "kind": "sale_point"},
            "conversions": {
                "household": household,
                "kind": "electricity",
                "status": "completed",
                "completed_on": "2017-01-02",
            },
        }[name]

    return make


@pytest.fixture
def target(endpoint, place, place_of, record_in):
    return record_in(ENDPOINTS[endpoint], place_of(place))


every_endpoint = pytest.mark.parametrize("endpoint", list(ENDPOINTS))
matrix = pytest.mark.parametrize(("role", "place"), [(r, p) for r in ROLES for p in PLACES])


# --- Lists ------------------------------------------------------------------------------------------


@every_endpoint
@pytest.mark.parametrize("role", ROLES)
def test_a_list_holds_exactly_the_records_the_user_may_view(api_as, place_of, record_in, endpoint, role):
    endpoint = ENDPOINTS[endpoint]
    records = {place: record_in(endpoint, place_of(place)) for place in PLACES}

    response = api_as(user(role)).get(endpoint.url)

    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert len(ids) == len(VIEWS[role])
    assert set(ids) == {records[place].pk for place in VIEWS[role]}


@every_endpoint
def test_a_list_filtered_to_a_unit_outside_the_view_is_refused_not_widened(api_as, place_of, record_in, endpoint):
    endpoint = ENDPOINTS[endpoint]
    huaihelu = place_of("huaihelu")
    record_in(endpoint, huaihelu)

    response = api_as("wulibao_inspector").get(endpoint.url, {"division": huaihelu.code})

    # django-filter answers an unknown choice with 400; either way nothing of 淮河路 is shown.
    assert response.status_code == 400
    assert "division" in response.json()


# --- One record -------------------------------------------------------------------------------------


@every_endpoint
@matrix
def test_a_record_is_found_by_id_only_by_those_who_may_view_it(api_as, endpoint, role, place, target):
    response = api_as(user(role)).get(detail(ENDPOINTS[endpoint], target))

    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == (200 if place in VIEWS[role] else 404)
    if response.status_code == 200:
        assert response.json()["id"] == target.pk


@every_endpoint
@matrix
def test_a_record_is_created_only_where_the_user_may_enter(api_as, place_of, payload_in, endpoint, role, place):
    endpoint = ENDPOINTS[endpoint]
    community = place_of(place)

    response = api_as(user(role)).post(endpoint.url, payload_in(endpoint, community), format="json")

    rows = endpoint.model.objects.filter(division_code=community.code)
    if role == "anonymous":
        assert response.status_code == 401
    elif place not in VIEWS[role]:
        # A household or unit outside the caller's view is answered as if it did not exist.
        assert response.status_code == 400
        assert endpoint.asks_for in response.json()
    elif place not in endpoint.enters[role]:
        assert response.status_code == 403
    else:
        assert response.status_code == 201, response.json()
        assert response.json()["id"] == rows.get().pk
    assert rows.count() == (1 if place in endpoint.enters[role] else 0)


@pytest.mark.parametrize("endpoint", VOIDABLE)
@matrix
def test_a_record_is_voided_only_by_an_administrator_over_it(api_as, endpoint, role, place, target):
    response = api_as(user(role)).post(detail(ENDPOINTS[endpoint], target, "void"), {"reason": "重复录入"})

    target.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == expected(role, place, VOIDS, 200)
    voided = place in VOIDS[role]
    assert target.is_voided == voided
    assert target.void_reason == ("重复录入" if voided else "")
    if voided:
        assert response.json()["voided_at"] is not None


def test_targets_are_not_voided_but_set_again(api_as, record_in, wulibao_community):
    target = record_in(ENDPOINTS["conversion-targets"], wulibao_community)

    response = api_as("qu_admin").post(detail(ENDPOINTS["conversion-targets"], target, "void"), {"reason": "错"})

    assert response.status_code == 404


# --- Changes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["operations"])
@matrix
def test_an_operation_is_changed_only_by_those_who_organise_there(api_as, endpoint, role, place, target):
    response = api_as(user(role)).patch(detail(ENDPOINTS[endpoint], target), {"title": "春节零点夜查"}, format="json")

    target.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == expected(role, place, OPERATIONS, 200)
    assert target.title == ("春节零点夜查" if place in OPERATIONS[role] else "零点夜查")


@pytest.mark.parametrize("endpoint", ["conversion-targets"])
@matrix
def test_a_target_is_changed_only_by_an_administrator_over_it(api_as, endpoint, role, place, target):
    response = api_as(user(role)).patch(detail(ENDPOINTS[endpoint], target), {"households": 55}, format="json")

    target.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == expected(role, place, TARGETS, 200)
    assert target.households == (55 if place in TARGETS[role] else 40)


# --- Departments ------------------------------------------------------------------------------------

DEPARTMENTS = {"工商所", "行政执法局", "城管执法中队", "市政科", "公安派出所", "税源办", "督查室"}


@pytest.fixture
def departments():
    """The departments the data migration creates; running it again is harmless (and restores them after a
    transactional test has flushed the database)."""
    from django.apps import apps

    add_departments(apps, None)
    return Department.objects.all()


def test_the_data_migration_creates_the_departments_once_however_often_it_runs(departments):
    from django.apps import apps

    add_departments(apps, None)

    assert sorted(departments.values_list("name", flat=True)) == sorted(DEPARTMENTS)


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_user_reads_the_departments_of_joint_enforcement(api_as, departments, role):
    response = api_as(user(role)).get("/api/v1/departments/")

    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert {row["name"] for row in response.json()} == DEPARTMENTS


def test_a_department_no_longer_active_is_not_offered(api_as, departments):
    departments.filter(name="税源办").update(is_active=False)

    names = {row["name"] for row in api_as("wulibao_inspector").get("/api/v1/departments/").json()}

    assert names == DEPARTMENTS - {"税源办"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_departments_cannot_be_changed_through_the_api(api_as, departments, method):
    response = getattr(api_as("qu_admin"), method)("/api/v1/departments/", {"name": "环保局"}, format="json")

    assert response.status_code == 405
