import pytest
from django.core.management import call_command

from divisions.models import Division, Level
from divisions.services import LoadError, divisions_load


@pytest.mark.django_db
def test_loading_erqi_gives_one_district_sixteen_subdistricts_and_176_communities():
    call_command("load_divisions")

    assert Division.objects.filter(level=Level.DISTRICT).count() == 1
    assert Division.objects.filter(level=Level.SUBDISTRICT).count() == 16
    assert Division.objects.filter(level=Level.COMMUNITY).count() == 176
    wulibao = Division.objects.get(code="410103006")
    assert wulibao.name == "五里堡街道"
    assert wulibao.parent.code == "410103"


@pytest.mark.django_db
def test_loading_erqi_twice_changes_nothing(django_assert_max_num_queries):
    call_command("load_divisions")
    before = list(Division.objects.values_list("pk", "code", "name", "level", "parent_id"))

    result = divisions_load(rows=[{"code": c, "name": n, "level": lv, "parent_code": p} for c, n, lv, p in _rows()])

    assert (result.created, result.updated) == (0, 0)
    assert list(Division.objects.values_list("pk", "code", "name", "level", "parent_id")) == before


@pytest.mark.django_db
def test_a_renamed_unit_is_updated_in_place_not_duplicated():
    call_command("load_divisions")
    rows = [
        {"code": c, "name": "五里堡街道办事处" if c == "410103006" else n, "level": lv, "parent_code": p}
        for c, n, lv, p in _rows()
    ]
    pk = Division.objects.get(code="410103006").pk

    result = divisions_load(rows=rows)

    assert result.updated == 1
    renamed = Division.objects.get(code="410103006")
    assert (renamed.pk, renamed.name) == (pk, "五里堡街道办事处")
    assert Division.objects.count() == 193


@pytest.mark.django_db
def test_a_bad_row_aborts_the_whole_load():
    rows = [
        {"code": "410103", "name": "二七区", "level": "district", "parent_code": ""},
        {"code": "410104001", "name": "错位街道", "level": "subdistrict", "parent_code": "410103"},
    ]
    with pytest.raises(LoadError, match="does not start with"):
        divisions_load(rows=rows)
    assert not Division.objects.exists()


def _rows():
    import csv
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "divisions" / "data" / "erqi_divisions.csv"
    with open(path, encoding="utf-8") as handle:
        return [(r["code"], r["name"], r["level"], r["parent_code"]) for r in csv.DictReader(handle)]
