"""The phone page (/field/), its service worker and manifest, and the register's `near` filter it uses."""

import hashlib
import json
import re
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db

# Near 河医大 in 二七区; a degree of latitude is about 111 km.
HERE = (Decimal("34.750000"), Decimal("113.650000"))


def config_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="field-config" type="application/json">') + len(
        '<script id="field-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_an_inspector_gets_the_page_with_the_communities_of_their_subdistrict(client_as, wulibao, huaihelu):
    response = client_as("wulibao_inspector").get("/field/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "csrftoken" in response.cookies
    html = response.content.decode()
    for community in wulibao.children.all():
        assert f'value="{community.code}"' in html
    assert not any(f'value="{c.code}"' in html for c in huaihelu.children.all())
    config = config_of(response)
    assert config["user"] == "wulibao_inspector"
    assert config["urls"]["inspections"] == "/api/v1/inspections/"
    assert config["night"] == {"start": "22:00", "end": "06:00", "timeZone": "Asia/Shanghai"}


def test_the_page_carries_a_mark_of_the_sign_in_that_changes_when_someone_signs_in_again(client, people, wulibao):
    # The mark is the hash of the CSRF cookie the page sets; Django gives a new one at every sign-in, so a
    # copy of the page kept on the phone for an earlier sign-in can tell it is not for the current one.
    client.post("/login/", {"username": "wulibao_inspector", "password": "pw"})
    first = client.get("/field/")
    assert config_of(first)["signIn"] == hashlib.sha256(first.cookies["csrftoken"].value.encode()).hexdigest()
    assert config_of(client.get("/field/"))["signIn"] == config_of(first)["signIn"]  # same sign-in, same mark

    client.post("/login/", {"username": "wulibao_worker", "password": "pw"})  # the phone passed on
    again = client.get("/field/")
    assert config_of(again)["user"] == "wulibao_worker"
    assert config_of(again)["signIn"] != config_of(first)["signIn"]
    assert config_of(again)["signIn"] == hashlib.sha256(again.cookies["csrftoken"].value.encode()).hexdigest()


def test_a_community_worker_gets_only_their_community(client_as, wulibao_community, wulibao_other_community):
    html = client_as("wulibao_worker").get("/field/").content.decode()

    assert f'value="{wulibao_community.code}"' in html
    assert f'value="{wulibao_other_community.code}"' not in html


def test_someone_who_may_record_nothing_is_refused_and_a_stranger_is_sent_to_sign_in(client_as, client):
    assert client_as("nobody").get("/field/").status_code == 403
    client.logout()
    response = client.get("/field/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_service_worker_is_public_javascript_that_caches_the_shell(client):
    response = client.get("/field/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "Service-Worker-Allowed" not in response  # its own folder, /field/, is its scope
    body = response.content.decode()
    for url in ["/static/js/field.js", "/static/css/field.css", "/static/vendor/bootstrap/css/bootstrap.min.css"]:
        assert url in body


def test_the_service_worker_caches_every_module_of_the_pages_import_map(client_as, client):
    html = client_as("wulibao_inspector").get("/field/").content.decode()
    importmap = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)  # it carries the CSP nonce
    modules = json.loads(importmap.group(1))["imports"]
    assert sorted(modules) == ["field/common", "field/forms", "field/offline", "field/pickers", "field/queue"]

    body = client.get("/field/sw.js").content.decode()
    # Every module field.js imports, or the page would not start without a signal.
    assert all(f'"{url}"' in body for url in modules.values())
    assert '"page": "/field/"' in body
    assert '"/api/v1/households/"' in body


def test_the_manifest_opens_the_phone_page(client):
    response = client.get("/field/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert response.json()["start_url"] == "/field/"


def at(distance_north_m: int, distance_east_m: int = 0) -> dict:
    """A position this many metres north (and east) of HERE."""
    lat = HERE[0] + Decimal(distance_north_m) / Decimal(111_320)
    lon = HERE[1] + Decimal(distance_east_m) / Decimal(91_400)  # at 34.75°N a degree of longitude is ~91.4 km
    return {"latitude": lat.quantize(Decimal("0.000001")), "longitude": lon.quantize(Decimal("0.000001"))}


def test_near_finds_households_within_300_m_nearest_first_within_the_callers_view(
    api_as, household_in, wulibao_community, huaihelu_community
):
    far = household_in(wulibao_community, room="far", **at(900))
    second = household_in(wulibao_community, room="second", **at(150, 100))
    first = household_in(wulibao_community, room="first", **at(20))
    household_in(wulibao_community, room="nowhere")  # no location
    theirs = household_in(huaihelu_community, room="theirs", **at(10))

    rows = api_as("wulibao_inspector").get("/api/v1/households/", {"near": f"{HERE[0]},{HERE[1]}"}).json()["results"]
    ids = {row["id"] for row in rows}
    assert ids == {first.pk, second.pk}
    assert far.pk not in ids
    assert theirs.pk not in ids

    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from households.filtersets import HouseholdFilterSet
    from households.models import Household

    request = RequestFactory().get("/")
    request.user = get_user_model().objects.get(username="wulibao_inspector")
    filterset = HouseholdFilterSet(
        data={"near": f"{HERE[0]},{HERE[1]}"}, queryset=Household.objects.visible_to(request.user), request=request
    )
    assert [h.pk for h in filterset.qs] == [first.pk, second.pk]


@pytest.mark.parametrize("near", ["34.75", "north,east", "91,113", "34.75,113.65,1"])
def test_a_bad_position_is_a_clear_400(api_as, near):
    response = api_as("wulibao_inspector").get("/api/v1/households/", {"near": near})

    assert response.status_code == 400
    assert "near" in response.json()
