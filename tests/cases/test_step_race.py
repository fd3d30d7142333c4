"""Two requests take a step on one case at the same moment (a double click, two clerks): the one that waited on
the case's lock is told the case's state now (409), as for a step the page already knew to be impossible."""

import threading
import time

import pytest
from django.db import connection, transaction

from cases.models import Case
from cases.services import case_close, case_rectify

pytestmark = [
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
]


def test_the_close_that_waited_for_the_other_is_told_the_case_is_closed(client_as, people, notice_case, evidence):
    case = notice_case()
    case_rectify(actor=people["wulibao_admin"], case=case, note="已清理", photos=evidence)
    closing = threading.Event()

    def other_clerk():
        try:
            with transaction.atomic():
                case_close(actor=people["qu_admin"], case=case, note="核查属实")
                closing.set()
                time.sleep(1.5)  # holds the case's lock while the page's request reads the case and waits on it
        finally:
            connection.close()

    thread = threading.Thread(target=other_clerk)
    thread.start()
    assert closing.wait(10)
    response = client_as("wulibao_admin").post(case.get_absolute_url(), {"step": "close", "close-note": "已核实"})
    thread.join()

    assert response.status_code == 409
    assert "该问题现为已核查销号" in response.content.decode()
    assert "已核实" in response.content.decode()  # what was typed, not saved
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.events.filter(action="closed").count() == 1
