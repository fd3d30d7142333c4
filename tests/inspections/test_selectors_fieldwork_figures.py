"""fieldwork_figures on a known fortnight of 五里堡 and 淮河路, every field counted by hand.

The data set (local time, Asia/Shanghai; the period asked is 2 – 3 January 2017):

五里堡, own community (A in the priority zone of 河医大, B elderly alone, T storage point, F food stall, V):
  1  A  2 Jan 00:20  night check  loose coal   50 briquettes, 12.5 kg loose coal   night, priority zone
  2  A  3 Jan 10:00  survey       no coal                                          priority zone
  3  B  2 Jan 23:30  night check  stove        1 stove, 2 boxes of charcoal        night
  4  B  2 Jan 21:59  survey       refused                                          not night (21:59)
五里堡, sibling community (C, D, E, S a coal sale point):
  5  C  3 Jan 06:00  survey       no coal                                          not night (06:00)
  6  C  3 Jan 14:00  re-check     loose coal   30 briquettes
  7  S  3 Jan 20:00  spot check   loose coal   100 kg loose coal                   rebound of S's ban
  8  D  2 Jan 15:00  survey       no coal
  -  C  2 Jan 12:00  loose coal, 1000 briquettes: VOIDED
  -  A  1 Jan 23:59  loose coal, 7 briquettes: before the period
  -  C  4 Jan 00:00  no coal: after the period
淮河路 (H, and HF a food stall):
  9  H  2 Jan 23:00  night check  loose coal   20 briquettes                       night

Bans: S sale point 2 Jan 09:00 (rebounds 3 Jan 20:00), T storage point 2 Jan 10:00, F food stall 3 Jan 11:00,
HF food stall 2 Jan 12:00 (淮河路); F 2 Jan 08:00 VOIDED; T 1 Jan 23:59 before the period.
Purchases from B: 2 Jan 100 briquettes at 0.80 (80.00), 3 Jan 25 kg at 1.20 (30.00); 2 Jan 999.00 VOIDED;
4 Jan 11.00 after the period.
Conversions: E electricity completed 2 Jan, C gas completed 3 Jan, A electricity planned (not counted),
B electricity completed 31 Dec (before), V gas completed 2 Jan VOIDED.
Publicity: own community 3 banners 2 Jan, 五里堡 2 LED screens 3 Jan, 淮河路 5 WeChat posts 2 Jan,
100 notices 2 Jan VOIDED, 7 vehicles 4 Jan (after).
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from inspections.models import Conversion, Publicity, Purchase
from inspections.selectors import FieldworkFigures, fieldwork_figures
from inspections.services import ban_record, conversion_set, publicity_record, purchase_record

pytestmark = pytest.mark.django_db

WULIBAO = ["410103006"]
ERQI = ["410103"]
JAN = datetime.date(2017, 1, 1)
PERIOD = {"start": datetime.date(2017, 1, 2), "end": datetime.date(2017, 1, 3)}
HEYIDA = {"latitude": Decimal("34.752500"), "longitude": Decimal("113.641640")}  # 河医大 national station


def day(n: int) -> datetime.date:
    return JAN + datetime.timedelta(days=n - 1)


@pytest.fixture
def fieldwork(
    people, register, visit, void, at, wulibao, wulibao_community, wulibao_other_community, huaihelu_community
):
    own, sibling = wulibao_community, wulibao_other_community
    places = {
        "A": register("wulibao_admin", own, head_name="甲", **HEYIDA),
        "B": register("wulibao_admin", own, head_name="乙", elderly_alone=True),
        "T": register("wulibao_admin", own, kind="storage_point", address="铁路新村北侧空地"),
        "F": register("wulibao_admin", own, kind="food_stall", address="大学路夜市"),
        "V": register("wulibao_admin", own, head_name="戊"),
        "C": register("wulibao_admin", sibling, head_name="丙"),
        "D": register("wulibao_admin", sibling, head_name="丁"),
        "E": register("wulibao_admin", sibling, head_name="己"),
        "S": register("wulibao_admin", sibling, kind="coal_sale_point", address="京广路散煤点"),
        "H": register("qu_admin", huaihelu_community, head_name="陈"),
        "HF": register("qu_admin", huaihelu_community, kind="food_stall", address="淮河路早市"),
    }
    assert places["A"].in_priority_zone and not places["B"].in_priority_zone
    p = places

    def ban(place, kind, when, by="wulibao_inspector"):
        return ban_record(actor=people[by], household=p[place], kind=kind, banned_at=when)[0]

    ban("S", "sale_point", at(2017, 1, 2, 9, 0))
    ban("T", "storage_point", at(2017, 1, 2, 10, 0))
    ban("F", "food_stall", at(2017, 1, 3, 11, 0))
    ban("HF", "food_stall", at(2017, 1, 2, 12, 0), by="huaihelu_inspector")
    void(ban("F", "food_stall", at(2017, 1, 2, 8, 0)))
    ban("T", "storage_point", at(2017, 1, 1, 23, 59))

    inspector = {"by": "wulibao_inspector"}
    visit(
        p["A"],
        "loose_coal",
        at(2017, 1, 2, 0, 20),
        kind="night_check",
        seized=[("briquette", 50), ("loose_coal", "12.5", "voluntary")],
        **inspector,
    )
    visit(p["A"], "no_coal", at(2017, 1, 3, 10, 0), **inspector)
    visit(
        p["B"],
        "stove_in_use",
        at(2017, 1, 2, 23, 30),
        kind="night_check",
        seized=[("stove", 1, "destroyed"), ("charcoal", 2)],
        **inspector,
    )
    visit(p["B"], "refused", at(2017, 1, 2, 21, 59), **inspector)
    visit(p["C"], "no_coal", at(2017, 1, 3, 6, 0), **inspector)
    visit(
        p["C"],
        "loose_coal",
        at(2017, 1, 3, 14, 0),
        kind="recheck",
        seized=[("briquette", 30, "voluntary")],
        **inspector,
    )
    visit(p["S"], "loose_coal", at(2017, 1, 3, 20, 0), kind="spot_check", by="qu_leader", seized=[("loose_coal", 100)])
    visit(p["D"], "no_coal", at(2017, 1, 2, 15, 0), **inspector)
    void(visit(p["C"], "loose_coal", at(2017, 1, 2, 12, 0), seized=[("briquette", 1000)], **inspector))
    visit(p["A"], "loose_coal", at(2017, 1, 1, 23, 59), seized=[("briquette", 7)], **inspector)
    visit(p["C"], "no_coal", at(2017, 1, 4, 0, 0), **inspector)
    visit(
        p["H"],
        "loose_coal",
        at(2017, 1, 2, 23, 0),
        kind="night_check",
        by="huaihelu_inspector",
        seized=[("briquette", 20)],
    )

    def buy(on, item, quantity, price, market):
        return purchase_record(
            actor=people["wulibao_worker"],
            household=p["B"],
            item=item,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            market_price=Decimal(market),
            purchased_on=on,
        )[0]

    buy(day(2), Purchase.Item.BRIQUETTE, "100", "0.80", "0.60")
    buy(day(3), Purchase.Item.LOOSE_COAL, "25", "1.20", "1.00")
    void(buy(day(2), Purchase.Item.BRIQUETTE, "999", "1.00", "0.60"))
    buy(day(4), Purchase.Item.LOOSE_COAL, "10", "1.10", "1.00")

    def convert(place, kind, completed_on=None):
        status = Conversion.Status.COMPLETED if completed_on else Conversion.Status.PLANNED
        return conversion_set(
            actor=people["wulibao_admin"], household=p[place], kind=kind, status=status, completed_on=completed_on
        )

    convert("E", Conversion.Kind.ELECTRICITY, day(2))
    convert("C", Conversion.Kind.GAS, day(3))
    convert("A", Conversion.Kind.ELECTRICITY)
    convert("B", Conversion.Kind.ELECTRICITY, datetime.date(2016, 12, 31))
    void(convert("V", Conversion.Kind.GAS, day(2)))

    def publicise(by, division, kind, count, on):
        return publicity_record(actor=people[by], division=division, kind=kind, count=count, date=on)[0]

    publicise("wulibao_worker", own, Publicity.Kind.BANNER, 3, day(2))
    publicise("wulibao_admin", wulibao, Publicity.Kind.LED_SCREEN, 2, day(3))
    publicise("huaihelu_inspector", huaihelu_community, Publicity.Kind.WECHAT, 5, day(2))
    void(publicise("wulibao_worker", own, Publicity.Kind.NOTICE, 100, day(2)))
    publicise("wulibao_worker", own, Publicity.Kind.VEHICLE, 7, day(4))
    return places


WULIBAO_FIGURES = {
    "inspections": 8,
    "night_checks": 2,  # 00:20 and 23:30; not 21:59, not 06:00
    "priority_zone_checks": 2,  # A twice
    "households_checked": 5,  # A B C D S
    "communities_checked": 2,
    "households_with_coal_found": 4,  # A B C S
    "households_recovered": 3,  # A C S: B gave up only a stove and charcoal
    "briquettes_pieces": Decimal(80),
    "loose_coal_kg": Decimal("112.5"),
    "stoves": Decimal(1),
    "charcoal_boxes": Decimal(2),
    "bans_sale_point": 1,
    "bans_storage_point": 1,
    "bans_food_stall": 1,
    "rebounds": 1,
    "purchases": 2,
    "purchase_amount": Decimal("110.00"),
    "conversions_electricity": 1,
    "conversions_gas": 1,
    "publicity": 5,
}

ERQI_FIGURES = {
    **WULIBAO_FIGURES,
    "inspections": 9,
    "night_checks": 3,
    "households_checked": 6,
    "communities_checked": 3,
    "households_with_coal_found": 5,
    "households_recovered": 4,
    "briquettes_pieces": Decimal(100),
    "bans_food_stall": 2,
    "publicity": 10,
}


def test_every_figure_of_wulibao_over_two_days_is_what_was_counted_by_hand(fieldwork):
    figures = fieldwork_figures(codes=WULIBAO, **PERIOD)

    assert figures.as_dict() == WULIBAO_FIGURES


def test_the_whole_district_adds_huaihelu_to_the_same_period(fieldwork):
    assert fieldwork_figures(codes=ERQI, **PERIOD).as_dict() == ERQI_FIGURES


def test_no_codes_means_everything_and_an_empty_scope_means_nothing(fieldwork):
    assert fieldwork_figures(codes=None, **PERIOD).as_dict() == ERQI_FIGURES
    assert fieldwork_figures(codes=[], **PERIOD) == FieldworkFigures()


def test_a_huaihelu_scope_counts_only_huaihelu(fieldwork):
    figures = fieldwork_figures(codes=["410103001"], **PERIOD)

    assert figures.as_dict() == {
        **FieldworkFigures().as_dict(),
        "inspections": 1,
        "night_checks": 1,
        "households_checked": 1,
        "communities_checked": 1,
        "households_with_coal_found": 1,
        "households_recovered": 1,
        "briquettes_pieces": Decimal(20),
        "bans_food_stall": 1,
        "publicity": 5,
    }


def test_a_single_day_counts_the_visit_at_00_20_on_that_day(fieldwork):
    figures = fieldwork_figures(codes=WULIBAO, start=day(2), end=day(2))

    assert figures.as_dict() == {
        "inspections": 4,  # A 00:20, B 23:30, B 21:59, D 15:00
        "night_checks": 2,
        "priority_zone_checks": 1,
        "households_checked": 3,
        "communities_checked": 2,
        "households_with_coal_found": 2,
        "households_recovered": 1,
        "briquettes_pieces": Decimal(50),
        "loose_coal_kg": Decimal("12.5"),
        "stoves": Decimal(1),
        "charcoal_boxes": Decimal(2),
        "bans_sale_point": 1,
        "bans_storage_point": 1,
        "bans_food_stall": 0,
        "rebounds": 0,  # the rebound was on the 3rd
        "purchases": 1,
        "purchase_amount": Decimal("80.00"),
        "conversions_electricity": 1,
        "conversions_gas": 0,
        "publicity": 3,
    }


def test_the_first_of_january_holds_only_what_happened_before_midnight_local_time(fieldwork):
    figures = fieldwork_figures(codes=WULIBAO, start=day(1), end=day(1))

    assert figures.inspections == 1  # 23:59; the 00:20 visit is the 1st in UTC but the 2nd here
    assert figures.briquettes_pieces == 7
    assert figures.bans_storage_point == 1
    assert figures.night_checks == 1


def test_an_open_period_counts_everything_not_voided(fieldwork):
    figures = fieldwork_figures(codes=WULIBAO)

    assert figures.inspections == 10
    assert figures.briquettes_pieces == 87
    assert figures.purchases == 3
    assert figures.purchase_amount == Decimal("121.00")
    assert (figures.conversions_electricity, figures.conversions_gas) == (2, 1)
    assert figures.publicity == 12
    assert figures.bans_storage_point == 2


def test_the_figures_take_the_same_handful_of_queries_whatever_the_data(fieldwork, django_assert_num_queries):
    with django_assert_num_queries(7):
        fieldwork_figures(codes=WULIBAO, **PERIOD)


def test_the_sentence_carries_the_figures(fieldwork):
    figures = fieldwork_figures(codes=WULIBAO, **PERIOD)
    sentence = figures.sentence()

    # communities, households, households recovered, pieces, kg, coal-to-electricity, coal-to-gas
    assert figures.loose_coal_kg == Decimal("112.5")
    assert sorted(re.findall(r"\d+(?:\.\d+)?", sentence)) == sorted(["2", "5", "3", "80", "112.5", "1", "1"])


# --- The period is local dates ------------------------------------------------------------------------


def test_a_visit_at_00_20_local_time_belongs_to_that_local_day_not_to_the_utc_day(visit, wulibao_household, at):
    inspection = visit(wulibao_household, "loose_coal", at(2017, 1, 2, 0, 20), seized=[("briquette", 40)])
    assert inspection.started_at.astimezone(datetime.UTC).date() == day(1)

    on_the_2nd = fieldwork_figures(codes=WULIBAO, start=day(2), end=day(2))
    on_the_1st = fieldwork_figures(codes=WULIBAO, start=day(1), end=day(1))

    assert (on_the_2nd.inspections, on_the_2nd.briquettes_pieces) == (1, 40)
    assert (on_the_1st.inspections, on_the_1st.briquettes_pieces) == (0, 0)


@pytest.mark.parametrize(
    ("hour", "minute", "night"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (0, 20, True), (5, 59, True), (6, 0, False), (12, 0, False)],
)
def test_a_night_check_is_one_between_22_00_and_06_00_local_time(visit, wulibao_household, at, hour, minute, night):
    visit(wulibao_household, "no_coal", at(2017, 1, 2, hour, minute), kind="night_check")

    assert fieldwork_figures(codes=WULIBAO).night_checks == (1 if night else 0)


# --- The article's sentence ---------------------------------------------------------------------------


def test_the_sentence_reads_like_the_articles_with_its_own_numbers(
    people, register, visit, wulibao_community, wulibao_other_community
):
    """共排查102个社区13145户，回收894户，散煤143000块，已完成电代煤1642户、气代煤147户 — in small."""
    own = [register("wulibao_admin", wulibao_community) for _ in range(2)]
    sibling = register("wulibao_admin", wulibao_other_community)
    visit(own[0], "loose_coal", seized=[("briquette", 100)])
    visit(own[1], "no_coal")
    visit(sibling, "loose_coal", seized=[("briquette", 43)])
    conversion_set(actor=people["qu_admin"], household=own[1], kind="electricity", status="completed", completed_on=JAN)
    conversion_set(actor=people["qu_admin"], household=sibling, kind="gas", status="completed", completed_on=JAN)
    conversion_set(actor=people["qu_admin"], household=own[0], kind="gas", status="planned")

    figures = fieldwork_figures(codes=ERQI)
    with translation.override("zh-hans"):
        chinese = figures.sentence()
    with translation.override("en"):
        english = figures.sentence()

    assert chinese == "共排查2个社区3户，回收2户，散煤143块，已完成电代煤1户、气代煤1户。"
    # Worded for any count: "1 communities" had been read on a community's page.
    assert english == (
        "In all: communities checked 2, households checked 3, households coal was recovered from 2 (briquettes 143 "
        "pieces); conversions completed: coal-to-electricity 1, coal-to-gas 1."
    )


def test_the_sentence_names_the_kilograms_weighed_beside_the_pieces_or_alone(register, visit, wulibao_community):
    """An outside tester read "回收3户，散煤0块" beside 160 kg on the same page: as if nothing had been seized."""
    first, second = (register("wulibao_admin", wulibao_community) for _ in range(2))
    visit(first, "loose_coal", seized=[("loose_coal", "150.5")])

    with translation.override("zh-hans"):
        assert "回收1户，散煤150.5公斤，已完成" in fieldwork_figures(codes=ERQI).sentence()
        visit(second, "loose_coal", seized=[("briquette", 40)])
        assert "回收2户，散煤40块、150.5公斤，已完成" in fieldwork_figures(codes=ERQI).sentence()
    with translation.override("en"):
        assert "recovered from 2 (briquettes 40 pieces, coal 150.5 kg);" in fieldwork_figures(codes=ERQI).sentence()


def test_voided_records_count_nowhere(fieldwork):
    everything = fieldwork_figures(codes=None)

    assert everything.briquettes_pieces == 107  # 50 + 30 + 7 + 20; the voided 1000 nowhere
    assert everything.purchase_amount == Decimal("121.00")  # not the voided 999.00
    assert everything.conversions_gas == 1  # not V's
    assert everything.bans_food_stall == 2  # not the voided one
    assert everything.publicity == 17  # 3 + 2 + 5 + 7; not the voided 100
