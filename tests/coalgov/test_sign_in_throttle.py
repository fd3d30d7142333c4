"""Sign-in throttling (django-axes): failures count per username and address together, so a guesser is stopped
after the limit while the real user elsewhere, and colleagues behind the same carrier NAT, still sign in. The
lock lasts the cool-off, the sign-in page and the token endpoint both say why, and every failure is in /audit/."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from coalgov.models import AuditEvent

pytestmark = pytest.mark.django_db

GUESSER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
CARRIER_NAT = "100.64.12.1"
LOCKED = "该用户在此地址输错密码次数过多，请 15 分钟后再试"


def sign_in(username, password, address):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


def test_the_eleventh_wrong_password_is_throttled_while_the_real_user_signs_in_from_another_address(people):
    answers = [sign_in("wulibao_inspector", f"guess{n}", GUESSER) for n in range(11)]

    assert [a.status_code for a in answers[:9]] == [200] * 9
    assert all("请输入一个正确的用户名和密码" in a.content.decode() for a in answers[:9])
    assert [a.status_code for a in answers[9:]] == [429, 429]
    assert LOCKED in answers[10].content.decode()
    # Even the right password is not checked from the guesser's address during the cool-off.
    right_from_guesser = sign_in("wulibao_inspector", "pw", GUESSER)
    assert right_from_guesser.status_code == 429
    assert LOCKED in right_from_guesser.content.decode()

    assert sign_in("wulibao_inspector", "pw", ELSEWHERE).status_code == 302


def test_a_locked_out_user_signs_in_again_after_the_cool_off(people):
    start = datetime.datetime(2026, 12, 1, 22, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for n in range(10):
            sign_in("wulibao_inspector", f"guess{n}", CARRIER_NAT)
        assert sign_in("wulibao_inspector", "pw", CARRIER_NAT).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        # More guesses during the cool-off do not prolong it.
        assert sign_in("wulibao_inspector", "again", CARRIER_NAT).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert sign_in("wulibao_inspector", "pw", CARRIER_NAT).status_code == 302


def test_someone_trying_again_during_the_cool_off_is_told_what_is_left_of_it(people):
    start = datetime.datetime(2026, 12, 1, 22, 0, tzinfo=datetime.UTC)
    api = APIClient(REMOTE_ADDR=CARRIER_NAT)
    with time_machine.travel(start, tick=False):
        for n in range(10):
            sign_in("wulibao_inspector", f"guess{n}", CARRIER_NAT)
    with time_machine.travel(start + datetime.timedelta(minutes=10, seconds=30), tick=False):
        page = sign_in("wulibao_inspector", "pw", CARRIER_NAT)
        token = api.post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"})

    assert page.status_code == 429
    assert "请 5 分钟后再试" in page.content.decode()
    assert token.status_code == 429
    assert token["Retry-After"] == "270"
    assert token.json()["detail"].startswith("该用户在此地址输错密码次数过多，请 5 分钟后再试")


def test_inspectors_behind_one_carrier_nat_sign_in_after_strangers_fail_there(people):
    """Many inspectors' phones share one public address on a mobile network: one person's (or a stranger's)
    failures there lock out only that name at that address."""
    for n in range(12):
        sign_in(f"guessed_name_{n}", "123456", CARRIER_NAT)
    for n in range(10):
        sign_in("wulibao_worker", f"guess{n}", CARRIER_NAT)
    assert sign_in("wulibao_worker", "pw", CARRIER_NAT).status_code == 429

    for colleague in ["wulibao_inspector", "wulibao_admin", "huaihelu_inspector", "qu_leader"]:
        assert sign_in(colleague, "pw", CARRIER_NAT).status_code == 302, colleague


def test_a_correct_password_before_the_limit_clears_the_users_own_typos(people):
    for n in range(9):
        sign_in("wulibao_inspector", f"typo{n}", CARRIER_NAT)
    assert sign_in("wulibao_inspector", "pw", CARRIER_NAT).status_code == 302

    answers = [sign_in("wulibao_inspector", f"typo{n}", CARRIER_NAT).status_code for n in range(9)]

    assert answers == [200] * 9


def test_the_token_endpoint_is_throttled_too_with_a_structured_error(people):
    guesser, elsewhere = APIClient(REMOTE_ADDR=GUESSER), APIClient(REMOTE_ADDR=ELSEWHERE)
    wrong = [
        guesser.post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": f"g{n}"}).status_code
        for n in range(10)
    ]

    response = guesser.post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"})

    assert wrong == [400] * 9 + [429]
    assert response.status_code == 429
    assert response.json() == {
        "detail": "该用户在此地址输错密码次数过多，请 15 分钟后再试，或请区散煤办核查您的账号。",
        "code": "sign_in_throttled",
    }
    assert response["Retry-After"] == "900"
    assert elsewhere.post("/api/v1/auth/token/", {"username": "wulibao_inspector", "password": "pw"}).status_code == 200


def test_the_page_and_the_token_endpoint_share_one_count(people):
    for n in range(5):
        sign_in("wulibao_inspector", f"g{n}", GUESSER)
    for n in range(5):
        APIClient(REMOTE_ADDR=GUESSER).post(
            "/api/v1/auth/token/", {"username": "wulibao_inspector", "password": f"h{n}"}
        )

    assert sign_in("wulibao_inspector", "pw", GUESSER).status_code == 429


def test_failed_and_refused_sign_ins_appear_in_the_audit_log(people):
    for n in range(11):
        sign_in("wulibao_inspector", f"guess{n}", GUESSER)
    sign_in("no_such_person", "123456", ELSEWHERE)

    failed = AuditEvent.objects.filter(action="sign_in.failed")
    assert failed.filter(object_id=str(people["wulibao_inspector"].pk), division_code="410103006").count() == 9
    # The 10th wrong password locks the name out; the 11th is refused and not written again.
    assert AuditEvent.objects.filter(action="sign_in.locked_out").count() == 1
    guessed = failed.get(changes__username=[None, "no_such_person"])
    assert (guessed.division_code, guessed.changes["ip_address"]) == ("410103", [None, ELSEWHERE])

    office = Client()
    office.force_login(people["qu_admin"])
    page = office.get(reverse("audit-log")).content.decode()
    assert "登录失败：用户名或密码错误" in page and "拒绝登录：失败次数过多" in page
    assert GUESSER in page and "no_such_person" in page


def test_behind_a_trusted_proxy_the_forwarded_address_counts_and_a_forged_one_does_not(people, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def via_proxy(password, forwarded):
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded).post(
            reverse("login"), {"username": "wulibao_inspector", "password": password}
        )

    # The guesser writes a different address in front each time; the proxy appends the real one.
    for n in range(10):
        via_proxy(f"g{n}", f"192.0.2.{n}, {GUESSER}")

    assert via_proxy("pw", f"192.0.2.99, {GUESSER}").status_code == 429
    assert via_proxy("pw", ELSEWHERE).status_code == 302


def test_a_locked_out_name_tried_again_and_again_is_written_once(people):
    for n in range(30):
        sign_in("wulibao_inspector", f"guess{n}", GUESSER)

    assert AuditEvent.objects.filter(action="sign_in.failed").count() == 9
    assert AuditEvent.objects.filter(action="sign_in.locked_out").count() == 1


def test_a_spray_of_made_up_names_from_one_address_writes_a_bounded_log(people, settings):
    settings.SIGN_IN_AUDIT_PER_ADDRESS = 5
    for n in range(40):
        sign_in(f"nobody{n}", "123456", GUESSER)
    sign_in("wulibao_inspector", "wrong", ELSEWHERE)  # another address is still written

    from_guesser = AuditEvent.objects.filter(changes__ip_address=[None, GUESSER])
    assert from_guesser.filter(action="sign_in.failed").count() == 5
    assert from_guesser.filter(action="sign_in.flood").count() == 1
    assert AuditEvent.objects.filter(action="sign_in.failed", changes__ip_address=[None, ELSEWHERE]).count() == 1

    office = Client()
    office.force_login(people["qu_admin"])
    assert "其余不再逐条记录" in office.get(reverse("audit-log")).content.decode()
