import pytest
from django.core.management import call_command
from django.db.models import Count

from divisions.models import Division, Level


@pytest.mark.django_db
def test_the_whole_of_henan_loads_under_an_existing_erqi_and_hangs_erqi_under_zhengzhou():
    call_command("load_divisions")  # 二七区 first, as an installation starts
    assert Division.objects.get(code="410103").parent is None

    call_command("load_divisions", "henan")

    assert Division.objects.count() == 55_164
    counts = dict(Division.objects.values_list("level").annotate(n=Count("pk")))
    assert counts == {
        Level.PROVINCE: 1,
        Level.CITY: 18,
        Level.DISTRICT: 181,
        Level.SUBDISTRICT: 2_586,
        Level.COMMUNITY: 52_378,
    }
    assert Division.objects.get(code="410103").parent.name == "郑州市"
