"""Two phones (or one phone retrying) sending the same submission at the same moment."""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from households.models import Household
from households.services import household_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locking")


def test_the_same_submission_racing_itself_is_recorded_once(transactional_db, people, wulibao_community):
    client_uuid = uuid.uuid4()
    data = {"division": wulibao_community, "estate": "龙亭小区", "building": "3", "unit": "2", "room": "501"}
    first_inserted, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        # Insert, and hold the transaction open while the second submission arrives.
        with transaction.atomic():
            results["first"] = household_create(actor=people["wulibao_inspector"], data=data, client_uuid=client_uuid)
            first_inserted.set()
            release_first.wait(10)
        connection.close()

    def second():
        first_inserted.wait(10)
        # The first row is not committed yet, so this one does not see it and tries to insert too.
        results["second"] = household_create(actor=people["wulibao_inspector"], data=data, client_uuid=client_uuid)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_inserted.wait(10)
    time.sleep(0.5)  # let the second insert reach the unique index and wait on it
    release_first.set()
    for thread in threads:
        thread.join(20)

    (household, created_first), (same, created_second) = results["first"], results["second"]
    assert (created_first, created_second) == (True, False)
    assert same.pk == household.pk
    assert Household.objects.filter(client_uuid=client_uuid).count() == 1
