"""Every change to a household is kept: who made it, when, and each field's old and new value."""

import pytest
from django.urls import reverse

from coalgov.models import AuditEvent
from households.services import household_void


@pytest.fixture
def household(register, wulibao_community):
    return register("wulibao_worker", wulibao_community, head_name="张建国", heating="coal")


def history_of(household):
    return list(AuditEvent.objects.for_object(household).order_by("at", "id"))


def test_registering_a_household_records_who_registered_it(household, people):
    (event,) = history_of(household)

    assert event.action == "household.created"
    assert event.actor == people["wulibao_worker"]
    assert event.changes["head_name"] == [None, "张建国"]
    assert event.division_code == household.division_code


def test_an_edit_on_the_page_records_who_changed_what_from_what_to_what(client_as, edit_data, household, people):
    people["wulibao_inspector"].first_name = "王巡查"
    people["wulibao_inspector"].save()

    response = client_as("wulibao_inspector").post(
        reverse("households:update", args=[household.pk]), edit_data(household, head_name="李秀英", heating="electric")
    )

    assert response.status_code == 302
    event = history_of(household)[-1]
    assert event.action == "household.updated"
    assert event.actor == people["wulibao_inspector"]
    assert event.changes == {"head_name": ["张建国", "李秀英"], "heating": ["coal", "electric"]}


def test_the_household_page_shows_the_change_and_who_made_it(client_as, edit_data, household, people):
    people["wulibao_inspector"].first_name = "王巡查"
    people["wulibao_inspector"].save()
    client_as("wulibao_inspector").post(
        reverse("households:update", args=[household.pk]), edit_data(household, head_name="李秀英")
    )

    response = client_as("wulibao_admin").get(household.get_absolute_url())

    latest = response.context["history"][0]
    assert latest["event"].actor.first_name == "王巡查"
    assert [(old, new) for _label, old, new in latest["changes"]] == [("张建国", "李秀英")]
    history = response.content.decode().split('data-testid="history"')[1]
    assert "王巡查" in history
    assert "<del>张建国</del> → <ins>李秀英</ins>" in history


def test_saving_the_form_unchanged_records_nothing(client_as, edit_data, household):
    response = client_as("wulibao_worker").post(reverse("households:update", args=[household.pk]), edit_data(household))

    assert response.status_code == 302
    assert [e.action for e in history_of(household)] == ["household.created"]


def test_a_void_is_recorded_with_its_reason(client_as, household, people):
    client_as("wulibao_admin").post(reverse("households:void", args=[household.pk]), {"reason": "重复登记"})

    event = history_of(household)[-1]
    assert (event.action, event.actor, event.reason) == ("household.voided", people["wulibao_admin"], "重复登记")
    page = client_as("wulibao_admin").get(household.get_absolute_url()).content.decode()
    assert "重复登记" in page


def test_the_voids_history_entry_shows_the_time_in_beijing_time_not_utc_text(client_as, household, people):
    import datetime
    from zoneinfo import ZoneInfo

    household_void(actor=people["wulibao_admin"], household=household, reason="重复登记")
    stored = history_of(household)[-1].changes["voided_at"][1]  # ISO text in UTC: 2026-12-02T15:52:50.271448+00:00
    beijing = datetime.datetime.fromisoformat(stored).astimezone(ZoneInfo("Asia/Shanghai"))

    page = client_as("wulibao_admin").get(household.get_absolute_url()).content.decode()

    assert beijing.strftime("%Y-%m-%d %H:%M:%S") in page
    assert stored not in page and "+00:00" not in page


def test_a_voided_household_can_no_longer_be_edited(client_as, edit_data, household, people):
    household_void(actor=people["wulibao_admin"], household=household, reason="重复登记")

    response = client_as("wulibao_admin").post(
        reverse("households:update", args=[household.pk]), edit_data(household, head_name="李秀英"), follow=True
    )

    # Back to the household's page, told why; nothing changed.
    assert response.redirect_chain == [(household.get_absolute_url(), 302)]
    assert len(list(response.context["messages"])) == 1
    household.refresh_from_db()
    assert household.head_name == "张建国"


def test_an_audit_event_cannot_be_changed(household):
    (event,) = history_of(household)
    event.reason = "改写历史"

    with pytest.raises(ValueError, match="append-only"):
        event.save()
    event.refresh_from_db()
    assert event.reason == ""


def test_an_audit_event_cannot_be_deleted(household):
    (event,) = history_of(household)

    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_history_obeys_jurisdiction_like_everything_else(household, people):
    assert AuditEvent.objects.visible_to(people["wulibao_inspector"]).filter(
        pk__in=[e.pk for e in history_of(household)]
    )
    assert not AuditEvent.objects.visible_to(people["huaihelu_inspector"]).exists()
    assert not AuditEvent.objects.visible_to(people["nobody"]).exists()


def test_the_edit_form_will_not_move_a_household_outside_the_users_subdistrict(
    client_as, edit_data, household, huaihelu_community
):
    response = client_as("wulibao_inspector").post(
        reverse("households:update", args=[household.pk]), edit_data(household, division=huaihelu_community.pk)
    )

    assert response.status_code == 200
    assert "division" in response.context["form"].errors
    household.refresh_from_db()
    assert household.division_code.startswith("410103006")
    assert len(history_of(household)) == 1


def test_the_audit_log_cannot_be_rewritten_in_bulk_either(household):
    events = AuditEvent.objects.for_object(household)

    with pytest.raises(ValueError, match="append-only"):
        events.update(reason="改写历史")
    with pytest.raises(ValueError, match="append-only"):
        events.delete()
    assert events.count() == 1
