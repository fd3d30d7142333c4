"""/api/v1/me/ and /api/v1/divisions/: what a phone learns about its user and the units within reach."""

import pytest

from divisions.models import Division, Level
from divisions.scoping import ENTRY_ROLES
from divisions.services import membership_deactivate

ME = "/api/v1/me/"
ACTIONS = list(ENTRY_ROLES)
DIVISIONS = "/api/v1/divisions/"


def codes(api, **params):
    response = api.get(DIVISIONS, {"page_size": 200, **params})
    assert response.status_code == 200
    return {row["code"] for row in response.json()["results"]}


def test_me_tells_an_inspector_where_they_belong_and_where_they_may_enter(api_as, wulibao):
    body = api_as("wulibao_inspector").get(ME).json()

    assert body["username"] == "wulibao_inspector"
    assert [(m["division"]["code"], m["role"]) for m in body["memberships"]] == [(wulibao.code, "inspector")]
    assert body["memberships"][0]["division"]["parent"] == "410103"
    assert body["entry"]["household"] == [wulibao.code]
    assert body["entry"]["inspection"] == [wulibao.code]
    assert body["entry"]["household_void"] == body["entry"]["membership"] == body["entry"]["station"] == []


def test_me_tells_the_district_office_it_may_enter_everything_in_the_district(api_as, erqi):
    body = api_as("qu_admin").get(ME).json()

    assert body["entry"] == {action: [erqi.code] for action in ACTIONS}


def test_me_tells_the_district_leader_they_supervise_but_keep_no_register(api_as):
    body = api_as("qu_leader").get(ME).json()

    assert [m["role"] for m in body["memberships"]] == ["district_leader"]
    entry = {action: codes for action, codes in body["entry"].items() if codes}
    assert entry == {
        action: ["410103"] for action in ("inspection", "operation", "case_open", "case_verify", "accountability")
    }


def test_me_tells_a_user_without_a_membership_that_they_belong_nowhere(api_as):
    body = api_as("nobody").get(ME).json()

    assert body["memberships"] == []
    assert all(codes == [] for codes in body["entry"].values())


def test_me_leaves_out_ended_memberships(api_as, people):
    membership = people["wulibao_worker"].memberships.get()
    membership_deactivate(actor=people["qu_admin"], membership=membership, reason="调岗")

    assert api_as("wulibao_worker").get(ME).json()["memberships"] == []


def test_me_refuses_an_anonymous_caller(api_as):
    assert api_as(None).get(ME).status_code in (401, 403)


def test_the_district_office_sees_every_unit_of_the_district(api_as, erqi):
    assert len(codes(api_as("qu_admin"))) == 1 + 16 + 176


def test_a_subdistrict_inspector_sees_their_subdistrict_and_its_communities_only(api_as, wulibao):
    expected = {wulibao.code, *wulibao.children.values_list("code", flat=True)}

    assert codes(api_as("wulibao_inspector")) == expected
    assert len(expected) == 14


def test_a_community_worker_sees_only_their_community(api_as, wulibao_community):
    assert codes(api_as("wulibao_worker")) == {wulibao_community.code}


def test_a_user_without_a_membership_sees_no_units(api_as):
    assert codes(api_as("nobody")) == set()


def test_an_anonymous_caller_gets_no_units(api_as):
    assert api_as(None).get(DIVISIONS).status_code in (401, 403)


@pytest.mark.parametrize(
    ("username", "status"), [("wulibao_inspector", 200), ("huaihelu_inspector", 404), ("nobody", 404)]
)
def test_a_unit_is_looked_up_by_its_code_only_within_reach(api_as, wulibao, username, status):
    response = api_as(username).get(f"{DIVISIONS}{wulibao.code}/")

    assert response.status_code == status
    if status == 200:
        assert response.json() == {
            "code": wulibao.code,
            "name": "五里堡街道",
            "level": "subdistrict",
            "parent": "410103",
        }


def test_units_can_be_filtered_by_level_and_parent(api_as, erqi, wulibao):
    api = api_as("qu_admin")

    assert len(codes(api, level=Level.SUBDISTRICT)) == 16
    assert codes(api, parent__code=wulibao.code) == set(wulibao.children.values_list("code", flat=True))


def test_a_deactivated_unit_is_no_longer_listed(api_as, wulibao_other_community):
    Division.objects.filter(pk=wulibao_other_community.pk).update(is_active=False)

    assert wulibao_other_community.code not in codes(api_as("wulibao_inspector"))
