"""User administration at /users/: the district coal office adds people, gives and ends their places in
the hierarchy, and deactivates them. Nobody else reaches these pages."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from coalgov.models import AuditEvent
from divisions.models import Membership

User = get_user_model()

STRONG = "Sanmei-2017-erqi!"


def user_pages(people):
    return [
        reverse("divisions:user-list"),
        reverse("divisions:user-create"),
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]),
    ]


@pytest.fixture
def new_worker(wulibao_community):
    """What the district office types to add a community worker."""
    return {
        "username": "zhao_sg",
        "full_name": "赵社工",
        "password": STRONG,
        "division": wulibao_community.pk,
        "role": "community_worker",
    }


def signs_in(username, password):
    """A browser signed in through the sign-in page, or None if the page refuses `username`."""
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": password})
    return browser if response.status_code == 302 else None


def test_a_district_administrator_reaches_every_user_page(client_as, people):
    client = client_as("qu_admin")

    for url in user_pages(people):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "username", ["qu_leader", "wulibao_admin", "wulibao_inspector", "wulibao_worker", "huaihelu_inspector", "nobody"]
)
def test_nobody_else_reaches_the_user_pages(client_as, people, new_worker, username):
    client = client_as(username)

    for url in user_pages(people):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("divisions:user-create"), new_worker).status_code == 403
    assert not User.objects.filter(username="zhao_sg").exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client_as, people):
    client = client_as(None)

    for url in user_pages(people):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


def test_the_user_list_shows_the_people_the_office_administers(client_as, people):
    response = client_as("qu_admin").get(reverse("divisions:user-list"))

    listed = {u.username for u in response.context["object_list"]}
    assert listed == {
        "qu_admin",
        "qu_leader",
        "wulibao_admin",
        "wulibao_inspector",
        "wulibao_worker",
        "huaihelu_inspector",
    }


def test_the_user_list_can_be_searched_by_name(client_as, people):
    people["wulibao_inspector"].first_name = "王巡查"
    people["wulibao_inspector"].save()

    response = client_as("qu_admin").get(reverse("divisions:user-list"), {"q": "王巡"})

    assert [u.username for u in response.context["object_list"]] == ["wulibao_inspector"]


def test_a_new_user_is_created_with_their_membership_and_both_are_audited(client_as, people, new_worker):
    response = client_as("qu_admin").post(reverse("divisions:user-create"), new_worker)

    user = User.objects.get(username="zhao_sg")
    assert response.status_code == 302
    assert response.url == reverse("divisions:user-detail", args=[user.pk])
    assert user.first_name == "赵社工"
    membership = user.memberships.get()
    assert (membership.division.pk, membership.role, membership.created_by) == (
        new_worker["division"],
        "community_worker",
        people["qu_admin"],
    )
    actions = set(AuditEvent.objects.filter(actor=people["qu_admin"]).values_list("action", flat=True))
    assert actions == {"user.created", "membership.created"}


def test_a_new_user_signs_in_and_sees_their_community(client_as, household_in, new_worker, wulibao_community):
    mine = household_in(wulibao_community)
    client_as("qu_admin").post(reverse("divisions:user-create"), new_worker)

    browser = signs_in("zhao_sg", STRONG)
    assert browser is not None
    assert list(browser.get(reverse("households:list")).context["object_list"]) == [mine]


@pytest.mark.parametrize("taken", ["wulibao_worker", "WULIBAO_WORKER"])
def test_a_username_already_taken_is_refused_and_nothing_is_created(client_as, people, new_worker, taken):
    users_before = User.objects.count()

    response = client_as("qu_admin").post(reverse("divisions:user-create"), {**new_worker, "username": taken})

    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.count() == users_before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("password", ["12345678", "password", "zhao_sg1", "Ab1!"])
def test_a_weak_password_is_refused_and_nothing_is_created(client_as, people, new_worker, password):
    users_before = User.objects.count()

    response = client_as("qu_admin").post(reverse("divisions:user-create"), {**new_worker, "password": password})

    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert User.objects.count() == users_before


def test_a_role_given_at_the_wrong_level_is_refused_and_nothing_is_created(client_as, people, new_worker, wulibao):
    users_before = User.objects.count()

    response = client_as("qu_admin").post(reverse("divisions:user-create"), {**new_worker, "division": wulibao.pk})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert User.objects.count() == users_before
    assert not AuditEvent.objects.exists()


def test_a_deactivated_user_can_no_longer_sign_in(client_as, people):
    assert signs_in("wulibao_worker", "pw") is not None

    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]),
        {"operation": "deactivate", "reason": "离职"},
    )

    assert response.status_code == 302
    assert signs_in("wulibao_worker", "pw") is None
    event = AuditEvent.objects.get(action="user.deactivated")
    assert (event.actor, event.reason) == (people["qu_admin"], "离职")


def test_a_deactivated_user_is_signed_out_of_an_open_session(client_as, people):
    worker = Client()
    worker.force_login(people["wulibao_worker"])
    assert worker.get(reverse("households:list")).status_code == 200

    client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]),
        {"operation": "deactivate", "reason": "离职"},
    )

    response = worker.get(reverse("households:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_reactivated_user_can_sign_in_again(client_as, people):
    admin = client_as("qu_admin")
    url = reverse("divisions:user-detail", args=[people["wulibao_worker"].pk])
    admin.post(url, {"operation": "deactivate", "reason": "离职"})

    admin.post(url, {"operation": "activate"})

    assert signs_in("wulibao_worker", "pw") is not None


def test_a_district_administrator_cannot_deactivate_themselves(client_as, people):
    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["qu_admin"].pk]),
        {"operation": "deactivate", "reason": "离职"},
        follow=True,
    )

    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    people["qu_admin"].refresh_from_db()
    assert people["qu_admin"].is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_a_district_administrator_cannot_end_their_own_administrator_role(client_as, people):
    membership = people["qu_admin"].memberships.get()

    client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["qu_admin"].pk]),
        {"operation": "end_membership", "membership": membership.pk, "reason": "调岗"},
    )

    membership.refresh_from_db()
    assert membership.is_active


def test_ending_a_membership_empties_the_users_register(client_as, people, household_in, wulibao_community):
    household_in(wulibao_community)
    worker = people["wulibao_worker"]
    membership = worker.memberships.get()
    assert len(client_as("wulibao_worker").get(reverse("households:list")).context["object_list"]) == 1

    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[worker.pk]),
        {"operation": "end_membership", "membership": membership.pk, "reason": "调岗"},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert AuditEvent.objects.get(action="membership.deactivated").reason == "调岗"
    response = client_as("wulibao_worker").get(reverse("households:list"))
    assert list(response.context["object_list"]) == []
    assert client_as("wulibao_worker").get(reverse("households:create")).status_code == 403


def test_giving_a_membership_widens_the_users_view(client_as, people, household_in, huaihelu_community, wulibao):
    household_in(huaihelu_community)

    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["huaihelu_inspector"].pk]),
        {"operation": "add_membership", "division": wulibao.pk, "role": "inspector"},
    )

    assert response.status_code == 302
    assert Membership.objects.filter(user=people["huaihelu_inspector"], division=wulibao, is_active=True).exists()
    assert AuditEvent.objects.filter(action="membership.created").count() == 1


def test_the_same_membership_cannot_be_given_twice(client_as, people, wulibao):
    url = reverse("divisions:user-detail", args=[people["wulibao_inspector"].pk])

    response = client_as("qu_admin").post(
        url, {"operation": "add_membership", "division": wulibao.pk, "role": "inspector"}, follow=True
    )

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert people["wulibao_inspector"].memberships.count() == 1


def test_an_unknown_operation_changes_nothing(client_as, people):
    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]), {"operation": "delete"}
    )

    assert response.status_code == 400
    assert "请重新加载页面后再试" in response.content.decode()  # said, not a bare 400
    assert User.objects.filter(username="wulibao_worker", is_active=True).exists()


def test_the_district_office_sets_a_new_password_which_ends_tokens_and_lifts_a_lockout(people):
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    worker = people["wulibao_worker"]
    _instance, token = AuthToken.objects.create(user=worker)
    for n in range(10):
        Client(REMOTE_ADDR="100.64.0.9").post(reverse("login"), {"username": "wulibao_worker", "password": f"g{n}"})
    office = Client()
    office.force_login(people["qu_admin"])

    response = office.post(
        reverse("divisions:user-detail", args=[worker.pk]),
        {"operation": "set_password", "new_password": STRONG, "reason": "忘记密码"},
        follow=True,
    )

    assert "已保存" in response.content.decode()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/me/").status_code == 401
    signed_in = Client(REMOTE_ADDR="100.64.0.9").post(
        reverse("login"), {"username": "wulibao_worker", "password": STRONG}
    )
    assert signed_in.status_code == 302
    event = AuditEvent.objects.get(action="user.password_set")
    assert (event.actor, event.reason, event.changes) == (people["qu_admin"], "忘记密码", {})


def test_a_weak_new_password_is_refused_in_chinese_and_nothing_changes(people):
    worker = people["wulibao_worker"]
    office = Client()
    office.force_login(people["qu_admin"])

    response = office.post(
        reverse("divisions:user-detail", args=[worker.pk]),
        {"operation": "set_password", "new_password": "12345678"},
        follow=True,
    )

    assert "这个密码太常见了" in response.content.decode()
    worker.refresh_from_db()
    assert worker.check_password("pw")
    assert not AuditEvent.objects.filter(action="user.password_set").exists()


def test_only_who_administers_the_user_sets_their_password(people):
    outsider = Client()
    outsider.force_login(people["huaihelu_inspector"])

    response = outsider.post(
        reverse("divisions:user-detail", args=[people["wulibao_worker"].pk]),
        {"operation": "set_password", "new_password": STRONG},
    )

    assert response.status_code == 403
    people["wulibao_worker"].refresh_from_db()
    assert people["wulibao_worker"].check_password("pw")


def test_an_administrator_cannot_take_over_a_peer_administrators_or_a_staff_account_by_setting_its_password(
    people, erqi
):
    from tests.factories import MembershipFactory, UserFactory

    peer = MembershipFactory(user=UserFactory(username="qu_admin_2"), division=erqi, role="district_admin").user
    staff = MembershipFactory(user=UserFactory(username="ops", is_staff=True), division=erqi, role="inspector").user
    office = Client()
    office.force_login(people["qu_admin"])

    refused = [
        office.post(
            reverse("divisions:user-detail", args=[target.pk]),
            {"operation": "set_password", "new_password": STRONG},
        ).status_code
        for target in (peer, staff)
    ]
    below = office.post(
        reverse("divisions:user-detail", args=[people["wulibao_admin"].pk]),
        {"operation": "set_password", "new_password": STRONG},
    )

    assert refused == [403, 403]
    for target in (peer, staff):
        target.refresh_from_db()
        assert not target.check_password(STRONG)
    assert below.status_code == 302  # a subdistrict's administrator is below the district office
    assert AuditEvent.objects.filter(action="user.password_set").count() == 1


@pytest.mark.parametrize("operation", ["deactivate", "end_membership"])
def test_deactivating_an_account_or_ending_a_place_without_a_reason_changes_nothing(client_as, people, operation):
    """An outside tester's empty form ended the district leader's place and deactivated the account, unexplained."""
    leader = people["qu_leader"]
    membership = leader.memberships.get()

    response = client_as("qu_admin").post(
        reverse("divisions:user-detail", args=[leader.pk]),
        {"operation": operation, "membership": membership.pk, "reason": "  "},
        follow=True,
    )

    said = [str(m) for m in response.context["messages"]]
    assert said == ["请填写停用账号的原因。" if operation == "deactivate" else "请填写结束该职务的原因。"]
    leader.refresh_from_db()
    membership.refresh_from_db()
    assert leader.is_active and membership.is_active
    assert not AuditEvent.objects.exists()
