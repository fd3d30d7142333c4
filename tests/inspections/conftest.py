import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone


@pytest.fixture
def at():
    """An aware moment in local time (Asia/Shanghai): at(2017, 1, 2, 0, 20)."""

    def make(*args):
        return timezone.make_aware(datetime.datetime(*args))

    return make


@pytest.fixture
def visit(people):
    """Record a visit through the service, as a story user would.

    visit(household, "loose_coal", started_at, by="wulibao_inspector", seized=[("briquette", 50)]) → the visit.
    A seizure is (item, quantity) or (item, quantity, method); the method defaults to confiscated.
    """
    from inspections.services import SeizureInput, inspection_record

    def make(household, outcome="no_coal", started_at=None, *, by="qu_admin", kind="survey", seized=(), **fields):
        seizures = [
            SeizureInput(item, Decimal(str(quantity)), method[0] if method else "confiscated")
            for item, quantity, *method in seized
        ]
        inspection, _created = inspection_record(
            actor=people[by],
            household=household,
            kind=kind,
            outcome=outcome,
            started_at=started_at,
            seizures=seizures,
            **fields,
        )
        return inspection

    return make


@pytest.fixture
def void(people):
    """Void a record through its service as the district office: void(record, reason="录入错误")."""
    from inspections.models import Inspection
    from inspections.services import fieldwork_void, inspection_void

    def make(record, reason="录入错误", by="qu_admin"):
        if isinstance(record, Inspection):
            return inspection_void(actor=people[by], inspection=record, reason=reason)
        return fieldwork_void(actor=people[by], record=record, reason=reason)

    return make


# --- Fixtures of the field-work page tests (tests/inspections/test_pages_*.py) ---


@pytest.fixture
def last_night():
    """Twenty past midnight last night, local time: inside the night window."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(0, 20)))


@pytest.fixture
def visit_post():
    """POST data for the "record a visit" page: visit_post(household, seizures=[("briquette", "50", "confiscated")])."""

    def make(household, *, seizures=(), started_at=None, **fields):
        # Last night by default: the form asks before it saves a 夜查 at a moment outside the night window.
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        started_at = started_at or timezone.make_aware(datetime.datetime.combine(yesterday, datetime.time(0, 20)))
        data = {
            "household": household.pk,
            "kind": "night_check",
            "outcome": "stove_in_use",
            "started_at": timezone.localtime(started_at).strftime("%Y-%m-%dT%H:%M"),
            "operation": "",
            "leaders": "",
            "notes": "",
            "seizures-TOTAL_FORMS": "4",
            "seizures-INITIAL_FORMS": "0",
            "seizures-MIN_NUM_FORMS": "0",
            "seizures-MAX_NUM_FORMS": "4",
        }
        for i, (item, quantity, method) in enumerate(seizures):
            data.update(
                {f"seizures-{i}-item": item, f"seizures-{i}-quantity": quantity, f"seizures-{i}-method": method}
            )
        data.update(fields)
        return data

    return make


@pytest.fixture
def vulnerable_household(register, wulibao_community):
    """An elderly resident living alone in 五里堡: purchases may be made from them."""
    return register("wulibao_admin", wulibao_community, head_name="李秀英", elderly_alone=True, room="102")


@pytest.fixture
def sale_point(register, wulibao_community):
    """An unlicensed coal sale point in 五里堡, by its street address."""
    return register(
        "wulibao_admin",
        wulibao_community,
        kind="coal_sale_point",
        estate="",
        building="",
        unit="",
        room="",
        address="五里堡沿街8号",
    )


@pytest.fixture
def plan_operation(people):
    """Plan a night-check operation through the service: plan_operation(unit, covered=[...], by="wulibao_admin")."""
    from inspections.services import operation_save

    def make(division, covered=None, *, by="wulibao_admin", title="零点夜查", team=(), **fields):
        # The night of `last_night` and of visit_post's default moment (a visit joins an operation of its night).
        night = timezone.localdate() - datetime.timedelta(days=2)
        data = {"division": division, "date": night, "title": title, "leader": "街道书记", **fields}
        return operation_save(actor=people[by], data=data, team=team, covered=covered or [division])

    return make


@pytest.fixture
def not_a_photo():
    """A text file that calls itself a JPEG."""
    return lambda name="photo.jpg": SimpleUploadedFile(name, b"this is not a photo", content_type="image/jpeg")


@pytest.fixture
def huge_photo(settings):
    """A 30 MB upload (over PHOTO_MAX_BYTES), named and typed like a phone's JPEG."""

    def make(name="big.jpg"):
        size = max(30 * 1024 * 1024, settings.PHOTO_MAX_BYTES + 1)
        return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0" + bytes(size - 4), content_type="image/jpeg")

    return make
