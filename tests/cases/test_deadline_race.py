"""Two workers running the deadline task at the same moment mark a case overdue and escalate it once."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import CaseEvent, Notification
from cases.services import cases_check_deadlines

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's SKIP LOCKED")


def test_two_workers_racing_escalate_each_case_once(transactional_db, notice_case):
    cases = [notice_case(deadline=timezone.localdate() + datetime.timedelta(days=1)) for _ in range(20)]
    later = timezone.localdate() + datetime.timedelta(days=5)
    start = threading.Barrier(2)
    results = []

    def worker():
        start.wait()
        results.append(cases_check_deadlines(today=later))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(r["overdue"] for r in results) == 20
    assert CaseEvent.objects.filter(action="escalated").count() == 20
    assert Notification.objects.filter(kind="escalated").count() == 20
    assert {c.pk for c in cases} == set(CaseEvent.objects.filter(action="overdue").values_list("case", flat=True))
