"""Who may see, change and void which household, on the pages and through the API.

Every story user is tried against a household in three places: the community worker's own community,
a sibling community in 五里堡, and a community of 淮河路. The expectations are written out by hand
here, not derived from the scoping code, so a change in the rules has to change this table too.

- view: any membership whose subtree holds the household; elsewhere the household does not exist (404).
- entry (create, edit): district and subdistrict administrators, inspectors and community workers,
  inside their subtree; the district leader views everything and changes nothing (403).
- void: district and subdistrict administrators only.
"""

import pytest
from django.urls import reverse

from households.models import Household

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
ENTERS = {**VIEWS, "qu_leader": NOWHERE}
VOIDS = {**dict.fromkeys(ROLES, NOWHERE), "qu_admin": EVERYWHERE, "wulibao_admin": WULIBAO}
# Users who may register a household somewhere; the others are refused the form itself.
ENTER_SOMEWHERE = {"qu_admin", "wulibao_admin", "wulibao_inspector", "wulibao_worker", "huaihelu_inspector"}

matrix = pytest.mark.parametrize(("role", "place"), [(r, p) for r in ROLES for p in PLACES])


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
def target(place, place_of, household_in, people):
    return household_in(place_of(place), head_name="张建国")


def user(role):
    return None if role == "anonymous" else role


def expected(role, place, allowed, success):
    """404 outside the user's view, 403 inside it where `allowed` says no, else `success`."""
    if place not in VIEWS[role]:
        return 404
    if place not in allowed[role]:
        return 403
    return success


def assert_sent_to_login(response):
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def assert_refused_to_anonymous_api(response):
    assert response.status_code in (401, 403)


# --- Pages ----------------------------------------------------------------------------------------


@matrix
def test_the_register_page_lists_a_household_only_to_those_who_may_view_it(client_as, role, place, target):
    response = client_as(user(role)).get(reverse("households:list"))

    if role == "anonymous":
        assert_sent_to_login(response)
        return
    assert response.status_code == 200
    listed = list(response.context["object_list"])
    assert (target in listed) == (place in VIEWS[role])


@matrix
def test_the_household_page_opens_only_for_those_who_may_view_it(client_as, role, place, target):
    response = client_as(user(role)).get(reverse("households:detail", args=[target.pk]))

    if role == "anonymous":
        assert_sent_to_login(response)
        return
    assert response.status_code == (200 if place in VIEWS[role] else 404)
    if response.status_code == 200:
        assert "张建国" in response.content.decode()


@matrix
def test_the_edit_form_opens_only_for_those_who_may_enter_there(client_as, role, place, target):
    response = client_as(user(role)).get(reverse("households:update", args=[target.pk]))

    if role == "anonymous":
        assert_sent_to_login(response)
        return
    assert response.status_code == expected(role, place, ENTERS, 200)


@matrix
def test_a_change_is_saved_only_for_those_who_may_enter_there(client_as, edit_data, role, place, target):
    response = client_as(user(role)).post(
        reverse("households:update", args=[target.pk]), edit_data(target, head_name="李秀英")
    )

    target.refresh_from_db()
    if role == "anonymous":
        assert_sent_to_login(response)
    else:
        assert response.status_code == expected(role, place, ENTERS, 302)
    changed = role != "anonymous" and place in ENTERS[role]
    assert target.head_name == ("李秀英" if changed else "张建国")
    if changed:
        assert response.url == target.get_absolute_url()


@matrix
def test_a_household_is_voided_only_by_an_administrator_over_it(client_as, role, place, target):
    response = client_as(user(role)).post(reverse("households:void", args=[target.pk]), {"reason": "重复登记"})

    target.refresh_from_db()
    if role == "anonymous":
        assert_sent_to_login(response)
    else:
        assert response.status_code == expected(role, place, VOIDS, 302)
    voided = role != "anonymous" and place in VOIDS[role]
    assert target.is_voided == voided
    assert target.void_reason == ("重复登记" if voided else "")


@matrix
def test_the_register_form_creates_a_household_only_where_the_user_may_enter(
    client_as, form_data, place_of, role, place
):
    community = place_of(place)

    response = client_as(user(role)).post(reverse("households:create"), form_data(community))

    created = Household.objects.filter(division=community)
    if role == "anonymous":
        assert_sent_to_login(response)
    elif role not in ENTER_SOMEWHERE:
        assert response.status_code == 403
    elif place in ENTERS[role]:
        assert response.status_code == 302
        assert response.url == created.get().get_absolute_url()
    else:
        # The unit is not among the choices offered: the form says so and nothing is saved.
        assert response.status_code == 200
        assert "division" in response.context["form"].errors
    assert created.count() == (1 if role in ENTER_SOMEWHERE and place in ENTERS[role] else 0)


# --- API ------------------------------------------------------------------------------------------

API_LIST = "/api/v1/households/"


def api_detail(household, action=""):
    return f"{API_LIST}{household.pk}/{action + '/' if action else ''}"


@matrix
def test_the_api_lists_a_household_only_to_those_who_may_view_it(api_as, role, place, target):
    response = api_as(user(role)).get(API_LIST)

    if role == "anonymous":
        assert_refused_to_anonymous_api(response)
        return
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert (target.pk in ids) == (place in VIEWS[role])


@matrix
def test_the_api_answers_for_a_household_only_to_those_who_may_view_it(api_as, role, place, target):
    response = api_as(user(role)).get(api_detail(target))

    if role == "anonymous":
        assert_refused_to_anonymous_api(response)
        return
    assert response.status_code == (200 if place in VIEWS[role] else 404)
    if response.status_code == 200:
        assert response.json()["head_name"] == "张建国"


@matrix
def test_the_api_registers_a_household_only_where_the_user_may_enter(api_as, api_payload, place_of, role, place):
    community = place_of(place)

    response = api_as(user(role)).post(API_LIST, api_payload(community), format="json")

    created = Household.objects.filter(division=community)
    if role == "anonymous":
        assert_refused_to_anonymous_api(response)
    elif place not in VIEWS[role]:
        # A unit outside the caller's view is answered as if it did not exist.
        assert response.status_code == 400
        assert "division" in response.json()
    elif place not in ENTERS[role]:
        assert response.status_code == 403
    else:
        assert response.status_code == 201
        assert response.json()["id"] == created.get().pk
    assert created.count() == (1 if place in ENTERS[role] else 0)


@matrix
def test_the_api_changes_a_household_only_for_those_who_may_enter_there(api_as, role, place, target):
    response = api_as(user(role)).patch(api_detail(target), {"head_name": "李秀英"}, format="json")

    target.refresh_from_db()
    if role == "anonymous":
        assert_refused_to_anonymous_api(response)
    else:
        assert response.status_code == expected(role, place, ENTERS, 200)
    assert target.head_name == ("李秀英" if place in ENTERS[role] else "张建国")


@matrix
def test_the_api_voids_a_household_only_for_an_administrator_over_it(api_as, role, place, target):
    response = api_as(user(role)).post(api_detail(target, "void"), {"reason": "重复登记"}, format="json")

    target.refresh_from_db()
    if role == "anonymous":
        assert_refused_to_anonymous_api(response)
    else:
        assert response.status_code == expected(role, place, VOIDS, 200)
    assert target.is_voided == (place in VOIDS[role])
    if place in VOIDS[role]:
        assert response.json()["voided_at"] is not None


# --- What the pages offer -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_register_form_opens_only_for_those_who_may_enter_somewhere(client_as, role, people):
    response = client_as(user(role)).get(reverse("households:create"))

    if role == "anonymous":
        assert_sent_to_login(response)
        return
    assert response.status_code == (200 if role in ENTER_SOMEWHERE else 403)
    register_page = client_as(user(role)).get(reverse("households:list"))
    assert register_page.context["can_create"] == (role in ENTER_SOMEWHERE)


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("qu_admin", {"own_community", "sibling_community", "huaihelu"}),
        ("wulibao_admin", {"own_community", "sibling_community"}),
        ("wulibao_inspector", {"own_community", "sibling_community"}),
        ("wulibao_worker", {"own_community"}),
        ("huaihelu_inspector", {"huaihelu"}),
    ],
)
def test_the_register_form_offers_only_the_communities_the_user_may_enter(client_as, place_of, role, offered):
    response = client_as(role).get(reverse("households:create"))

    choices = set(response.context["form"].fields["division"].queryset)
    assert {place for place in PLACES if place_of(place) in choices} == offered
    assert all(unit.level == "community" for unit in choices)


@pytest.mark.parametrize(("role", "place"), [(r, p) for r in ROLES if r != "anonymous" for p in PLACES])
def test_the_household_page_offers_edit_and_void_only_to_those_allowed(client_as, role, place, target):
    response = client_as(role).get(reverse("households:detail", args=[target.pk]))

    if place not in VIEWS[role]:
        assert response.status_code == 404
        return
    assert response.context["can_edit"] == (place in ENTERS[role])
    assert response.context["can_void"] == (place in VOIDS[role])
    content = response.content.decode()
    assert (reverse("households:update", args=[target.pk]) in content) == (place in ENTERS[role])
    assert (reverse("households:void", args=[target.pk]) in content) == (place in VOIDS[role])


# --- The story in one test ------------------------------------------------------------------------


def test_an_inspector_of_wulibao_never_sees_a_huaihelu_household(
    client_as, api_as, household_in, huaihelu_community, huaihelu
):
    household = household_in(huaihelu_community, estate="淮河路小区", head_name="陈淮河")
    client, api = client_as("wulibao_inspector"), api_as("wulibao_inspector")

    assert household not in client.get(reverse("households:list")).context["object_list"]
    assert household not in client.get(reverse("households:list"), {"q": "陈淮河"}).context["object_list"]
    assert household not in client.get(reverse("households:list"), {"voided": "false"}).context["object_list"]
    assert len(client.get(reverse("households:list"), {"division": huaihelu.code}).context["object_list"]) == 0
    assert client.get(reverse("households:detail", args=[household.pk])).status_code == 404
    assert client.get(reverse("home")).context["totals"]["total"] == 0
    assert api.get(API_LIST, {"q": "陈淮河"}).json()["results"] == []
    assert api.get(api_detail(household)).status_code == 404
    assert "陈淮河" not in client.get(reverse("households:list")).content.decode()
