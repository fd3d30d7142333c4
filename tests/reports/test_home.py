import pytest


@pytest.mark.django_db
def test_the_home_page_counts_only_the_users_own_households(
    client_as, household_in, wulibao_community, huaihelu_community
):
    for _ in range(3):
        household_in(wulibao_community)
    household_in(huaihelu_community, in_priority_zone=True)

    wulibao = client_as("wulibao_inspector").get("/")
    assert wulibao.status_code == 200
    assert wulibao.context["totals"]["total"] == 3
    assert wulibao.context["totals"]["priority"] == 0


@pytest.mark.django_db
def test_a_user_without_membership_is_told_they_see_nothing(client_as, household_in, wulibao_community):
    household_in(wulibao_community)

    response = client_as("nobody").get("/")

    assert response.context["totals"]["total"] == 0
    assert b'data-testid="no-membership"' in response.content


@pytest.mark.django_db
def test_recent_changes_on_the_home_page_stay_inside_the_jurisdiction(
    client_as, people, wulibao_community, huaihelu_community
):
    from households.services import household_create

    household_create(actor=people["qu_admin"], data={"division": huaihelu_community, "estate": "淮河小区"})
    household_create(actor=people["qu_admin"], data={"division": wulibao_community, "estate": "五里堡小区"})

    page = client_as("wulibao_inspector").get("/").content.decode()

    assert "五里堡小区" in page
    assert "淮河小区" not in page


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.django_db
def test_the_home_page_lists_the_units_overdue_cases_and_rechecks(client_as, people, wulibao_community, evidence):
    import datetime

    from cases.models import Case
    from cases.services import case_close, case_open, case_rectify, cases_check_deadlines

    late = case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="逾期问题"
    )
    Case.objects.filter(pk=late.pk).update(deadline=datetime.date(2017, 1, 1))
    cases_check_deadlines()
    closed = case_open(
        actor=people["qu_admin"], source="spot_check", responsible_unit=wulibao_community, title="已整改"
    )
    case_rectify(actor=people["wulibao_worker"], case=closed, note="已清理", photos=evidence)
    case_close(actor=people["wulibao_admin"], case=closed)

    work = client_as("wulibao_worker").get("/").context["work"]
    elsewhere = client_as("huaihelu_inspector").get("/").context["work"]

    assert [c.title for c in work["overdue"]] == ["逾期问题"]
    assert [n.kind for n in work["notifications"]] == ["overdue"]
    assert all(len(section) == 0 for section in elsewhere.values())


def test_cases_due_are_those_of_the_next_7_days_soonest_first(client_as, people, wulibao_community):
    """An outside tester's 即将到期 listed every open case, one due a year later, its date read as today's."""
    import datetime

    from django.utils import timezone

    from cases.services import case_open

    today = timezone.localdate()
    for title, days in [("下周以后", 8), ("三天后", 3), ("明年", 365), ("今天", 0), ("七天后", 7)]:
        case_open(
            actor=people["qu_admin"],
            source="spot_check",
            responsible_unit=wulibao_community,
            title=title,
            deadline=today + datetime.timedelta(days=days),
        )

    page = client_as("wulibao_worker").get("/")

    assert [c.title for c in page.context["work"]["due"]] == ["今天", "三天后", "七天后"]
    assert "7天内到期" in page.content.decode()
