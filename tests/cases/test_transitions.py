"""Who may move a case along its lifecycle: the responsible unit rectifies, a unit above verifies."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, SupervisionNotice
from cases.services import case_close, case_rectify, case_return, case_start

pytestmark = pytest.mark.django_db

# Who may start and report the rectification of a case assigned to the worker's community.
RECTIFY = {
    "qu_admin": True,
    "qu_leader": False,
    "wulibao_admin": True,
    "wulibao_inspector": True,
    "wulibao_worker": True,
    "huaihelu_inspector": False,
    "nobody": False,
}
# Who may verify (close or return) it: a unit strictly above the community, with a verifying role.
VERIFY = {
    "qu_admin": True,
    "qu_leader": True,
    "wulibao_admin": True,
    "wulibao_inspector": False,
    "wulibao_worker": False,
    "huaihelu_inspector": False,
    "nobody": False,
}


@pytest.mark.parametrize("username", list(RECTIFY))
def test_starting_a_rectification_is_for_the_responsible_unit(people, notice_case, username):
    case = notice_case()
    if RECTIFY[username]:
        assert case_start(actor=people[username], case=case).status == Case.Status.RECTIFYING
    else:
        with pytest.raises(PermissionDenied):
            case_start(actor=people[username], case=case)
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN


@pytest.mark.parametrize("username", list(VERIFY))
def test_closing_a_community_case_is_for_a_unit_above_it(people, notice_case, evidence, username):
    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理", photos=evidence)
    if VERIFY[username]:
        assert case_close(actor=people[username], case=case).status == Case.Status.CLOSED
    else:
        with pytest.raises(PermissionDenied):
            case_close(actor=people[username], case=case)
        case.refresh_from_db()
        assert case.status == Case.Status.RECTIFIED


@pytest.mark.parametrize(("username", "allowed"), [("wulibao_admin", False), ("qu_leader", True), ("qu_admin", True)])
def test_a_case_from_a_district_notice_is_closed_by_the_district(people, notice_case, evidence, username, allowed):
    case = notice_case(level=SupervisionNotice.Level.DISTRICT)
    case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=evidence)

    if allowed:
        assert case_close(actor=people[username], case=case).status == Case.Status.CLOSED
    else:
        with pytest.raises(PermissionDenied):
            case_close(actor=people[username], case=case)


def test_a_subdistrict_cannot_verify_its_own_case(people, notice_case, evidence, wulibao):
    case = notice_case(unit=wulibao)
    case_rectify(actor=people["wulibao_admin"], case=case, note="已整改", photos=evidence)

    with pytest.raises(PermissionDenied):
        case_close(actor=people["wulibao_admin"], case=case)
    assert case_close(actor=people["qu_admin"], case=case).status == Case.Status.CLOSED


def test_rectification_needs_a_note_and_a_photo(people, notice_case, evidence):
    case = notice_case()

    with pytest.raises(ValidationError):
        case_rectify(actor=people["wulibao_worker"], case=case, note="已清理", photos=[])
    with pytest.raises(ValidationError):
        case_rectify(actor=people["wulibao_worker"], case=case, note=" ", photos=evidence)
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_a_verifier_can_send_the_work_back_with_a_reason(people, notice_case, evidence):
    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理", photos=evidence)

    returned = case_return(actor=people["wulibao_admin"], case=case, note="楼道仍有煤渣")

    assert returned.status == Case.Status.RECTIFYING
    assert [e.action for e in returned.events.all()] == ["opened", "rectified", "returned"]
    assert returned.events.get(action="rectified").photos.count() == 1


def test_a_closed_case_cannot_be_rectified_again(people, notice_case, evidence):
    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理", photos=evidence)
    case_close(actor=people["wulibao_admin"], case=case)

    with pytest.raises(ValidationError):
        case_start(actor=people["wulibao_worker"], case=case)


@pytest.mark.parametrize("username", list(VERIFY))
def test_returning_and_moving_the_deadline_are_for_the_verifying_unit(people, notice_case, evidence, username):
    import datetime

    from cases.services import case_set_deadline

    case = case_rectify(actor=people["wulibao_worker"], case=notice_case(), note="已清理", photos=evidence)
    later = case.deadline + datetime.timedelta(days=3)
    if VERIFY[username]:
        case_set_deadline(actor=people[username], case=case, deadline=later, reason="春节")
        assert case_return(actor=people[username], case=case, note="仍有堆煤").status == Case.Status.RECTIFYING
    else:
        with pytest.raises(PermissionDenied):
            case_set_deadline(actor=people[username], case=case, deadline=later, reason="春节")
        with pytest.raises(PermissionDenied):
            case_return(actor=people[username], case=case, note="仍有堆煤")
        case.refresh_from_db()
        assert case.status == Case.Status.RECTIFIED
