"""Phone submissions at city scale: a visit with a seizure costs a fixed handful of queries, and 32 phones
submitting at once to one community (the same households, repeats of the same submission, voids between)
end with every visit stored once and the rollups equal to a rebuild."""

import datetime
import random
import threading
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from coalgov.models import AuditEvent
from inspections.models import DailyRollup, Inspection, WeeklyRollup
from inspections.rollups import rollups_rebuild
from inspections.services import SeizureInput, inspection_record, inspection_void

from .test_rollups import MONDAY, at, raw, rolled, rows

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: its locks and statements")


def phone_visit(household, **fields) -> dict:
    """The multipart form the phone page sends (static/js/field/queue.js): a survey that found loose coal and
    took it away."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "household": household.pk,
        "kind": "survey",
        "outcome": "loose_coal",
        "started_at": "",
        "notes": "",
        "latitude": "34.7466",
        "longitude": "113.6253",
        "seizures": '[{"item": "briquette", "quantity": "50", "method": "confiscated"}]',
        "seizure_count": "1",
        "photo_count": "0",
        **fields,
    }


@postgres_only
def test_a_phone_submission_with_a_seizure_costs_at_most_seven_statements(
    transactional_db, people, household_in, wulibao_community
):
    # transactional_db: the service's transaction is the request's own, as under gunicorn (no test savepoints).
    # Signed in as on the phone page (a session); a first submission fills what a worker keeps between requests.
    phone = APIClient()
    phone.force_login(people["wulibao_inspector"])
    first = phone.post("/api/v1/inspections/", phone_visit(household_in(wulibao_community)), format="multipart")
    assert first.status_code == 201, first.content
    home = household_in(wulibao_community)
    body = phone_visit(home)

    with CaptureQueriesContext(connection) as captured:
        response = phone.post("/api/v1/inspections/", body, format="multipart")

    assert response.status_code == 201, response.content
    # Eight statements: the session and its user, the household, the user's memberships, the household locked
    # (drawing the visit's key), its other visits, one statement for the visit + inspectors + seizure + rollups
    # + coal status + audit row, the cases' re-check look-up; plus the transaction's BEGIN and COMMIT. With Redis
    # the session is read from it (coalgov/sessions.py): seven.
    statements = [q["sql"] for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) <= (7 if settings.SESSION_ENGINE == "coalgov.sessions" else 8), "\n".join(
        sql[:160] for sql in statements
    )
    assert sum(sql.startswith("WITH") for sql in statements) == 1
    assert len(captured) - len(statements) == 2
    # What it answers is what was stored.
    visit = Inspection.objects.get(client_uuid=body["client_uuid"])
    assert response.json()["seizures"] == [
        {"item": "briquette", "quantity": "50.00", "method": "confiscated", "description": ""}
    ]
    assert [(s.item, s.quantity) for s in visit.seizures.all()] == [("briquette", Decimal(50))]
    assert list(visit.inspectors.all()) == [people["wulibao_inspector"]]
    # Audited in the same transaction, as every write is.
    (event,) = AuditEvent.objects.filter(action="inspection.recorded", object_id=str(visit.pk))
    assert (event.actor, event.division_code) == (people["wulibao_inspector"], home.division_code)
    assert event.changes["seizures"] == [None, ["briquette 50.00 confiscated"]]
    home.refresh_from_db()
    assert (home.coal_status, home.coal_status_at) == ("found", visit.started_at)
    day = DailyRollup.objects.get(code=wulibao_community.code, day=visit.started_at.astimezone().date())
    assert (day.inspections, day.households_checked, day.households_recovered, day.briquettes_pieces) == (
        2,
        2,
        2,
        Decimal(100),
    )

    # The phone sends it again (the answer was lost): the first visit, nothing added.
    with CaptureQueriesContext(connection) as captured:
        again = phone.post("/api/v1/inspections/", body, format="multipart")
    assert again.status_code == 200
    assert again.json()["id"] == visit.pk
    assert Inspection.objects.filter(household=home).count() == 1
    assert DailyRollup.objects.get(pk=day.pk).inspections == 2


@postgres_only
def test_32_phones_at_once_in_one_community_end_equal_to_a_rebuild(
    transactional_db, people, household_in, wulibao_community, grid
):
    # Twelve households, so phones meet at the same household as well as at the community's rows; a grid's
    # households fold into the same community.
    homes = [household_in(wulibao_community) for _ in range(9)] + [household_in(grid) for _ in range(3)]
    admin = people["qu_admin"]
    outcomes = ["no_coal", "no_coal", "loose_coal", "stove_in_use", "refused", "nobody_home"]
    start = threading.Barrier(32)
    acknowledged: dict[str, int] = {}
    errors = []
    lock = threading.Lock()

    def phone(n: int):
        # Phones 24–31 send exactly what phones 0–7 send, under the same uuids: repeats racing the first copy.
        same = n % 24
        rng = random.Random(same)
        try:
            start.wait(10)
            for k in range(6):
                outcome = rng.choice(outcomes)
                seizures = []
                if outcome == "loose_coal":
                    seizures = [SeizureInput(rng.choice(["briquette", "loose_coal", "stove"]), Decimal(3), "destroyed")]
                day = MONDAY + datetime.timedelta(days=rng.randrange(-3, 10))  # backdated and across weeks
                client_uuid = uuid.uuid5(uuid.NAMESPACE_OID, f"{same}-{k}")
                visit, _created = inspection_record(
                    actor=admin,
                    household=homes[(same + k) % len(homes)],
                    kind="survey",
                    outcome=outcome,
                    started_at=at(day, rng.choice([0, 9, 21, 23]), rng.randrange(60)),
                    seizures=seizures,
                    client_uuid=client_uuid,
                )
                with lock:
                    assert acknowledged.setdefault(str(client_uuid), visit.pk) == visit.pk
                if k == 4 and n % 5 == 0:
                    inspection_void(actor=admin, inspection=visit, reason="录入错误")
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    # 0 lost, 0 doubled: every acknowledged uuid is one stored visit, and nothing else was stored.
    stored = dict(Inspection.objects.values_list("client_uuid", "pk"))
    assert {str(k): v for k, v in stored.items()} == acknowledged
    assert len(acknowledged) == 24 * 6
    codes = [wulibao_community.code]
    assert rolled(codes) == raw(codes)
    for offset in range(-3, 10):
        each = MONDAY + datetime.timedelta(days=offset)
        assert rolled(codes, each, each) == raw(codes, each, each), each
    kept = rows(DailyRollup), rows(WeeklyRollup)
    rollups_rebuild()
    assert (rows(DailyRollup), rows(WeeklyRollup)) == kept
