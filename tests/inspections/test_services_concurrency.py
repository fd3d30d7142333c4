"""Two people setting the same household's conversion at the same moment get one conversion, not an error."""

import threading
import time

import pytest
from django.db import connection, transaction

from inspections.models import Conversion
from inspections.services import conversion_set

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locking")


def test_two_first_settings_of_a_conversion_at_once_make_one_conversion(
    transactional_db, people, household_in, wulibao_community
):
    household = household_in(wulibao_community)
    first_saved, release_first = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        # Plan the conversion, and hold the transaction open while the second setting arrives.
        try:
            with transaction.atomic():
                results["first"] = conversion_set(
                    actor=people["wulibao_worker"], household=household, kind="electricity", status="planned"
                )
                first_saved.set()
                release_first.wait(10)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def second():
        first_saved.wait(10)
        try:
            results["second"] = conversion_set(
                actor=people["wulibao_admin"], household=household, kind="gas", status="planned"
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_saved.wait(10)
    time.sleep(0.5)  # let the second setting reach the database and wait there
    release_first.set()
    for thread in threads:
        thread.join(20)

    assert errors == []
    assert results["second"].pk == results["first"].pk
    conversion = Conversion.objects.get()
    assert conversion.kind == "gas"  # the later setting wins, as if they had come one after the other
