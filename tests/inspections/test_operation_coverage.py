import datetime

import pytest
from django.utils import timezone

from inspections.models import Ban, Inspection, NightOperation
from inspections.services import ban_record, inspection_record, operation_save
from planning.selectors import night_in_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def district_operation(people, erqi, wulibao):
    """The article's 零点夜查, led by the district and covering 五里堡."""
    return operation_save(
        actor=people["qu_admin"],
        data={"division": erqi, "date": night_in_progress(), "title": "零点夜查", "leader": "区委书记、区长"},
        covered=[wulibao],
    )


def test_a_district_led_operation_is_seen_and_joined_by_the_units_it_covers(
    people, district_operation, wulibao_household
):
    assert NightOperation.objects.visible_to(people["wulibao_inspector"]).get() == district_operation
    assert not NightOperation.objects.visible_to(people["huaihelu_inspector"]).exists()
    assert not NightOperation.objects.visible_to(people["nobody"]).exists()

    inspection, _ = inspection_record(
        actor=people["wulibao_inspector"],
        household=wulibao_household,
        kind="night_check",
        outcome="no_coal",
        operation=district_operation,
    )

    assert inspection.operation == district_operation


def test_coal_found_at_the_enforcement_visit_itself_is_not_a_rebound(people, register, wulibao_community):
    place = register("wulibao_admin", wulibao_community, kind="coal_sale_point", estate="", address="销售点")
    now = timezone.now()
    ban_record(
        actor=people["wulibao_admin"], household=place, kind="sale_point", banned_at=now - datetime.timedelta(hours=1)
    )

    inspection_record(actor=people["wulibao_admin"], household=place, kind="joint_enforcement", outcome="loose_coal")
    assert Ban.objects.get().rebound_at is None

    later = now - datetime.timedelta(minutes=1)
    Ban.objects.update(banned_at=now - datetime.timedelta(days=3))
    inspection_record(
        actor=people["wulibao_inspector"], household=place, kind="recheck", outcome="loose_coal", started_at=later
    )
    assert Ban.objects.get().rebound_at == later
    assert Inspection.objects.count() == 2


def test_a_visit_with_coordinates_outside_china_is_refused(api_as, wulibao_household):
    response = api_as("wulibao_inspector").post(
        "/api/v1/inspections/",
        {
            "household": wulibao_household.pk,
            "kind": "survey",
            "outcome": "no_coal",
            "latitude": "113.6",
            "longitude": "34.7",
        },
        format="json",
    )

    assert response.status_code == 400
    assert not Inspection.objects.exists()


def test_an_operations_team_is_drawn_from_its_own_units(people, erqi, wulibao, huaihelu):
    from django.core.exceptions import ValidationError

    data = {"division": wulibao, "date": timezone.localdate(), "title": "五里堡夜查", "leader": "街道主任"}
    operation = operation_save(
        actor=people["wulibao_admin"],
        data=data,
        covered=[wulibao],
        team=[people["wulibao_inspector"], people["qu_leader"]],  # the subdistrict's own, and a district leader
    )
    assert set(operation.team.all()) == {people["wulibao_inspector"], people["qu_leader"]}

    with pytest.raises(ValidationError):
        operation_save(actor=people["wulibao_admin"], data=data, covered=[wulibao], team=[people["huaihelu_inspector"]])


def test_a_ban_rebounds_from_the_earliest_later_finding_whatever_the_order_of_entry(
    people, register, wulibao_community
):
    place = register("wulibao_admin", wulibao_community, kind="coal_sale_point", estate="", address="销售点")
    now = timezone.now()
    ban_record(
        actor=people["wulibao_admin"], household=place, kind="sale_point", banned_at=now - datetime.timedelta(days=5)
    )
    later, earlier = now - datetime.timedelta(days=1), now - datetime.timedelta(days=3)

    inspection_record(
        actor=people["wulibao_inspector"], household=place, kind="recheck", outcome="loose_coal", started_at=later
    )
    inspection_record(  # an earlier night check, synced late from a phone
        actor=people["wulibao_inspector"], household=place, kind="night_check", outcome="loose_coal", started_at=earlier
    )

    assert Ban.objects.get().rebound_at == earlier
