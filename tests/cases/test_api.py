"""/api/v1/cases/, /api/v1/notices/, /api/v1/accountability/: scoped, and the lifecycle as actions."""

import pytest

from cases.models import Case, SupervisionNotice

pytestmark = pytest.mark.django_db


def test_a_notice_with_its_problems_opens_a_case_each(api_as, erqi, wulibao_community, huaihelu_community):
    response = api_as("qu_admin").post(
        "/api/v1/notices/",
        {
            "division": erqi.code,
            "number": "市督〔2017〕8号",
            "issued_on": "2017-01-05",
            "level": "city",
            "title": "市散煤督导通报",
            "problems": [
                {"responsible_unit": wulibao_community.code, "title": "楼道堆煤", "severity": "serious"},
                {"responsible_unit": huaihelu_community.code, "title": "门店烧煤"},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert len(response.json()["cases"]) == 2
    assert SupervisionNotice.objects.get().cases.count() == 2


@pytest.mark.parametrize(
    ("username", "count"),
    [("qu_admin", 2), ("qu_leader", 2), ("wulibao_inspector", 1), ("huaihelu_inspector", 1), ("nobody", 0)],
)
def test_the_case_list_is_cut_to_the_callers_jurisdiction(api_as, notice_case, huaihelu_community, username, count):
    notice_case()
    notice_case(unit=huaihelu_community)

    response = api_as(username).get("/api/v1/cases/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == count


def test_a_case_outside_the_jurisdiction_is_404_for_reading_and_for_every_step(api_as, notice_case):
    case = notice_case()
    api = api_as("huaihelu_inspector")

    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    for step in ("start", "rectify", "return", "close", "void"):
        assert api.post(f"/api/v1/cases/{case.pk}/{step}/", {"note": "x", "reason": "x"}).status_code == 404
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_the_lifecycle_through_the_api(api_as, notice_case, jpeg):
    case = notice_case()
    worker, subdistrict = api_as("wulibao_worker"), api_as("wulibao_admin")

    assert worker.post(f"/api/v1/cases/{case.pk}/start/", {"note": "开始整改"}).json()["status"] == "rectifying"
    assert worker.post(f"/api/v1/cases/{case.pk}/close/", {}).status_code == 403
    no_photo = worker.post(f"/api/v1/cases/{case.pk}/rectify/", {"note": "已清理"}, format="multipart")
    assert no_photo.status_code == 400
    rectified = worker.post(
        f"/api/v1/cases/{case.pk}/rectify/", {"note": "已清理", "photos": [jpeg()]}, format="multipart"
    )
    assert rectified.json()["status"] == "rectified"
    closed = subdistrict.post(f"/api/v1/cases/{case.pk}/close/", {"note": "核查属实"})
    assert closed.status_code == 200
    assert [e["action"] for e in closed.json()["events"]] == ["opened", "started", "rectified", "closed"]


def test_a_tip_off_hides_the_reporter_from_the_community(api_as, wulibao_community):
    opened = api_as("qu_admin").post(
        "/api/v1/cases/",
        {
            "source": "tip_off",
            "responsible_unit": wulibao_community.code,
            "title": "群众举报有人烧煤",
            "reporter_name": "李女士",
            "reporter_contact": "13600002222",
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    pk = opened.json()["id"]

    assert api_as("wulibao_worker").get(f"/api/v1/cases/{pk}/").json()["reporter_contact"] is None
    assert api_as("wulibao_admin").get(f"/api/v1/cases/{pk}/").json()["reporter_contact"] == "13600002222"


def test_accountability_is_recorded_against_a_unit_in_scope(api_as, notice_case, wulibao_community, huaihelu):
    case = notice_case()

    praise = api_as("wulibao_admin").post(
        "/api/v1/accountability/",
        {"kind": "criticism", "unit": wulibao_community.code, "reason": "整改迟缓", "cases": [case.pk]},
        format="json",
    )
    outside = api_as("wulibao_admin").post(
        "/api/v1/accountability/", {"kind": "praise", "unit": huaihelu.code, "reason": "x"}, format="json"
    )

    assert praise.status_code == 201, praise.json()
    assert praise.json()["level"] == "community"
    assert outside.status_code == 400


def _notice(api, erqi, *units):
    return api.post(
        "/api/v1/notices/",
        {
            "division": erqi.code,
            "number": "二七散煤督〔2017〕12号",
            "issued_on": "2017-01-05",
            "level": "supervision_group",
            "title": "督导通报",
            "problems": [{"responsible_unit": unit, "title": f"问题{n}"} for n, unit in enumerate(units)],
        },
        format="json",
    )


def test_a_notice_through_the_api_names_units_as_the_paste_form_does(api_as, erqi, wulibao_community):
    names = ("建新南街社区", "五里堡街道建新南街社区", "尖岗村", wulibao_community.code)

    response = _notice(api_as("qu_admin"), erqi, *names)

    assert response.status_code == 201, response.json()
    codes = list(Case.objects.order_by("title").values_list("responsible_unit__code", flat=True))
    assert codes == ["410103006002", "410103006002", "410103015200", wulibao_community.code]


def test_an_ambiguous_or_unknown_unit_name_in_the_api_is_refused_on_its_problem_and_saves_nothing(
    api_as, erqi, huaihelu
):
    from divisions.models import Division

    twin = Division.objects.create(
        code=huaihelu.code + "999", name="建新南街社区委员会", level="community", parent=huaihelu
    )

    response = _notice(api_as("qu_admin"), erqi, "尖岗村", "建新南街社区", "不存在社区")

    assert response.status_code == 400
    problems = response.json()["problems"]
    assert problems[0] == {}
    [ambiguous] = problems[1]["responsible_unit"]
    assert ambiguous.startswith("“建新南街社区”可能指")
    assert "五里堡街道建新南街社区居民委员会（410103006002）" in ambiguous and twin.code in ambiguous
    assert problems[2] == {"responsible_unit": ["二七区内没有您可交办的单位“不存在社区”。"]}
    assert not SupervisionNotice.objects.exists() and not Case.objects.exists()


def test_a_case_sent_again_with_its_key_is_answered_with_the_first(api_as, wulibao_community, huaihelu_community):
    """A script or phone whose answer was lost sends the case again: one case, the second answer 200."""
    key = "0b7a3c1e-2f44-4a51-9c1d-5e6f7a8b9c0d"
    body = {"client_uuid": key, "source": "tip_off", "responsible_unit": wulibao_community.code, "title": "楼道堆煤"}
    api = api_as("wulibao_admin")

    first = api.post("/api/v1/cases/", body, format="json")
    again = api.post("/api/v1/cases/", {**body, "title": "改过的标题"}, format="json")

    assert (first.status_code, again.status_code) == (201, 200), again.json()
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "楼道堆煤"
    assert first.json()["client_uuid"] == key
    assert Case.objects.filter(title__in=["楼道堆煤", "改过的标题"]).count() == 1
    # Someone else's key, for a case they cannot see, says nothing about that case.
    mine = {**body, "responsible_unit": huaihelu_community.code}
    other = api_as("huaihelu_inspector").post("/api/v1/cases/", mine, format="json")
    assert other.status_code == 403
    assert "楼道堆煤" not in other.content.decode()
    assert Case.objects.filter(client_uuid=key).count() == 1


def test_a_step_on_a_voided_case_is_a_conflict_naming_its_state(api_as, people, notice_case):
    """An outside integrator: a step on a voided case was a 400 saying it was 待整改."""
    from cases.services import case_void

    case = notice_case()
    case_void(actor=people["qu_admin"], case=case, reason="误录")

    response = api_as("wulibao_worker").post(f"/api/v1/cases/{case.pk}/start/", {"note": "开始整改"}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "该问题当前状态为“已作废”，不能进行此操作。", "code": "case_state_changed"}
    assert not case.events.filter(action="started").exists()
