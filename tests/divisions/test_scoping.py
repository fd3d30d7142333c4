"""Jurisdiction rules that hold whatever page or endpoint asks: fail closed, prefixes, masking."""

import pytest
from django.contrib.auth.models import AnonymousUser

from divisions.scoping import can_enter, can_view, mask_phone, sees_phone
from households.models import Household

from ..factories import MembershipFactory, UserFactory


@pytest.fixture
def two_households(household_in, wulibao_community, huaihelu_community):
    return household_in(wulibao_community), household_in(huaihelu_community)


def test_a_deactivated_user_sees_nothing_whatever_their_memberships(people, two_households):
    inspector = people["wulibao_inspector"]
    inspector.is_active = False
    inspector.save()

    assert not Household.objects.visible_to(inspector).exists()


def test_an_anonymous_user_sees_nothing(two_households):
    assert not Household.objects.visible_to(AnonymousUser()).exists()
    assert not Household.objects.visible_to(None).exists()


def test_a_superuser_sees_and_may_enter_everywhere(two_households, huaihelu_community):
    root = UserFactory(username="root", is_superuser=True)

    assert Household.objects.visible_to(root).count() == 2
    assert can_enter(root, huaihelu_community, "household_void")


def test_a_membership_in_a_deactivated_unit_grants_nothing(people, two_households, wulibao):
    wulibao.is_active = False
    wulibao.save()

    assert not Household.objects.visible_to(people["wulibao_inspector"]).exists()


def test_a_user_with_two_roles_gets_the_wider_rights_only_where_each_applies(
    people, wulibao, wulibao_community, huaihelu_community
):
    leader_and_inspector = people["wulibao_inspector"]
    MembershipFactory(user=leader_and_inspector, role="district_leader")

    assert can_view(leader_and_inspector, huaihelu_community)
    assert not can_enter(leader_and_inspector, huaihelu_community, "household")
    assert can_enter(leader_and_inspector, wulibao_community, "household")


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("0371-66668888", "037****8888"), ("1234567", "*******"), ("", "")],
)
def test_a_phone_number_is_masked_to_its_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_the_community_worker_sees_full_numbers_only_in_their_own_community(
    people, wulibao_community, wulibao_other_community
):
    worker = people["wulibao_worker"]

    assert sees_phone(worker, wulibao_community.code)
    assert not sees_phone(worker, wulibao_other_community.code)
