"""The audit log reads in the reader's language, whoever wrote the change and in whichever language."""

import datetime
import importlib
import re
import uuid
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.utils import timezone

from coalgov.models import AuditEvent
from inspections.models import Ban

pytestmark = pytest.mark.django_db
URL = "/audit/"
SHUT_ZH, SHUT_EN = "取缔无照散煤销售点", "Unlicensed coal sale point shut"


def browser(user, language=None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def names_in_log(client) -> list[str]:
    response = client.get(URL)
    assert response.status_code == 200
    return [event.object_label for event, _changes in response.context["rows"]]


@pytest.fixture
def sale_point(household_in, wulibao_community):
    return household_in(wulibao_community, kind="coal_sale_point", address="京广路散煤点")


@pytest.mark.parametrize("writer_language", ["en", "zh-hans"])
def test_a_ban_reads_in_each_readers_language_whatever_the_language_it_was_entered_in(
    people, sale_point, writer_language
):
    banned_at = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    entered = browser(people["wulibao_inspector"], writer_language).post(
        f"/fieldwork/bans/new/?household={sale_point.pk}",
        {"household": sale_point.pk, "kind": "sale_point", "banned_at": banned_at, "client_uuid": str(uuid.uuid4())},
    )
    assert entered.status_code == 302

    chinese = names_in_log(browser(people["qu_admin"]))
    english = names_in_log(browser(people["qu_admin"], "en"))

    assert chinese == [f"{SHUT_ZH} {sale_point.label}"]
    assert english == [f"{SHUT_EN} {sale_point.label}"]
    assert SHUT_EN not in browser(people["qu_admin"]).get(URL).content.decode()


def test_the_kinds_of_record_to_filter_by_read_in_chinese_and_include_cases(client_as):
    form = client_as("qu_admin").get(URL).context["filter"].form
    kinds = [str(label) for _value, label in form.fields["content_type"].choices]

    assert "住户" in kinds and "问题" in kinds and "取缔" in kinds
    assert not [kind for kind in kinds if "|" in kind or kind.isascii()]
    assert [str(form.fields[name].label) for name in form.fields] == [
        "用户",
        "所属单位",
        "操作",
        "记录类型",
        "记录编号",
        "日期",
    ]


def test_filtering_by_a_kind_of_record_finds_its_events(client_as, people, sale_point):
    from inspections.services import ban_record

    ban_record(actor=people["wulibao_inspector"], household=sale_point, kind="sale_point")
    kind = ContentType.objects.get_for_model(Ban)

    response = client_as("qu_admin").get(URL, {"content_type": kind.pk})

    assert [event.action for event, _changes in response.context["rows"]] == ["ban.recorded"]


def test_names_written_in_chinese_before_are_rewritten_to_read_in_either_language(people, sale_point):
    from inspections.services import ban_record

    ban, _created = ban_record(actor=people["wulibao_inspector"], household=sale_point, kind="sale_point")
    old = AuditEvent.objects.create(
        action="ban.recorded",
        content_type=ContentType.objects.get_for_model(Ban),
        object_id=str(ban.pk),
        object_repr=f"{SHUT_ZH} {sale_point.label}",
        division_code=ban.division_code,
    )
    name = "0002_audit_names_in_source_language"
    migration = importlib.import_module(f"coalgov.migrations.{name}")
    # The models as the migration sees them (whose audit log takes updates, unlike the live one's).
    historical = MigrationLoader(connection).project_state(("coalgov", name)).apps

    migration.names_to_source_language(historical, None)

    old = AuditEvent.objects.get(pk=old.pk)
    assert old.object_repr == f"{SHUT_EN} {sale_point.label}"
    assert names_in_log(browser(people["qu_admin"])) == [f"{SHUT_ZH} {sale_point.label}"] * 2
    assert names_in_log(browser(people["qu_admin"], "en")) == [f"{SHUT_EN} {sale_point.label}"] * 2


def test_what_services_record_beside_a_records_fields_is_labelled_in_chinese_not_by_its_key(
    client_as, people, wulibao, wulibao_community
):
    from cases.services import ProblemInput, notice_record
    from divisions.services import user_create

    user_create(
        actor=people["qu_admin"],
        username="wulibao_new",
        full_name="王新",
        password="x-long-password-1",
        division=wulibao,
        role="inspector",
    )
    notice_record(
        actor=people["qu_admin"],
        division=wulibao,
        number="二七督〔2016〕1号",
        issued_on=timezone.localdate(),
        level="district",
        title="督导通报",
        problems=[ProblemInput(responsible_unit=wulibao_community, title="楼道堆放散煤")],
    )

    rows = client_as("qu_admin").get(URL).context["rows"]
    labels = {str(label) for _event, changes in rows for label, _old, _new in changes}

    assert {"姓名", "问题清单"} <= labels
    assert not {"full_name", "problems"} & labels


def test_a_change_named_like_a_relation_seen_from_the_other_side_reads_without_a_crash():
    from cases.models import SupervisionNotice
    from coalgov.audit import readable_changes

    assert readable_changes(SupervisionNotice, {"cases": [None, 3], "problems": [None, 3]}) == [
        ("问题台账", None, 3),
        ("问题清单", None, 3),
    ]


def test_every_action_a_service_records_reads_in_words_not_as_its_code():
    """An action without a label shows its code on the audit page ("plan.created"): every one written in the
    code, the case steps too, has a label."""
    from cases.models import CaseEvent
    from coalgov.models import ACTION_LABELS

    root = Path(__file__).resolve().parents[2]
    written = {
        match
        for path in root.glob("*/*.py")
        if path.parts[-2] not in {"tests", "bench", "node_modules"} and not path.parts[-2].startswith(".")
        for match in re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    written |= {f"case.{value}" for value in CaseEvent.Action.values}

    assert {"inspection.recorded", "plan.created", "case.opened"} <= written  # the scan finds them
    assert sorted(written - ACTION_LABELS.keys()) == []


def test_a_visits_seizures_and_time_read_as_the_inspector_entered_them(
    client_as, people, household_in, wulibao_community
):
    from inspections.services import SeizureInput, inspection_record

    household = household_in(wulibao_community)
    started_at = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=1)
    inspection_record(
        actor=people["wulibao_inspector"],
        household=household,
        kind="survey",
        outcome="loose_coal",
        started_at=started_at,
        seizures=[SeizureInput("loose_coal", "12.50", "confiscated"), SeizureInput("stove", 1, "destroyed")],
    )

    (event, changes), *_ = client_as("qu_admin").get(URL).context["rows"]
    readable = {str(label): new for label, _old, new in changes}
    page = client_as("qu_admin").get(URL).content.decode()

    assert event.action_label == "登记检查记录"
    assert readable["收缴"] == "散煤（公斤） 12.5 没收、小煤炉（个） 1 销毁"
    assert readable["检查时间"] == timezone.localtime(started_at).strftime("%Y-%m-%d %H:%M")
    assert "loose_coal" not in page and "confiscated" not in page


def test_a_change_of_weights_reads_as_what_changed_by_name_with_its_note(client_as, people, erqi):
    """Each weight by the name its page gives it (stale_days, rest_days and coverage were raw keys), only those
    that changed (old → new), and the note the office typed with the change."""
    from planning.selectors import DEFAULT_WEIGHTS as PLAN_WEIGHTS
    from planning.services import plan_weights_set
    from reports.ranking import DEFAULT_WEIGHTS as RANKING_WEIGHTS
    from reports.ranking import weights_set

    plan_weights_set(
        actor=people["qu_admin"], district=erqi, weights={**PLAN_WEIGHTS, "stale_days": 10}, note="冬季加密"
    )
    weights_set(
        actor=people["qu_admin"],
        district=erqi,
        weights={**RANKING_WEIGHTS, "coverage": 0.30, "night_checks": 0.10},
        note="突出覆盖率",
    )

    rows = {event.action: (event, changes) for event, changes in client_as("qu_admin").get(URL).context["rows"]}
    plan_event, plan_changes = rows["plan.weights_set"]
    ranking_event, ranking_changes = rows["ranking.weights_set"]

    assert plan_event.action_label == "调整夜查计划权重" and plan_event.reason == "冬季加密"
    assert [(old, new) for _label, old, new in plan_changes] == [
        ("未查天数（超过即计分） 14", "未查天数（超过即计分） 10")
    ]
    assert ranking_event.reason == "突出覆盖率"
    ((_label, old, new),) = ranking_changes
    assert (old, new) == ("排查覆盖率 0.25、每百户夜查次数 0.15", "排查覆盖率 0.3、每百户夜查次数 0.1")
    page = client_as("qu_admin").get(URL).content.decode()
    assert "冬季加密" in page and "stale_days" not in page and "coverage" not in page

    # The same weights again are no change: refused, no version and no entry of nothing.
    from django.core.exceptions import ValidationError

    from planning.models import PlanWeights
    from reports.models import WeightVersion

    for save in (
        lambda: plan_weights_set(actor=people["qu_admin"], district=erqi, weights={**PLAN_WEIGHTS, "stale_days": 10}),
        lambda: weights_set(
            actor=people["qu_admin"],
            district=erqi,
            weights={**RANKING_WEIGHTS, "coverage": 0.30, "night_checks": 0.10},
        ),
    ):
        with pytest.raises(ValidationError, match="没有变化"):
            save()
    assert PlanWeights.objects.count() == WeightVersion.objects.count() == 1


def test_a_ledger_request_and_a_weights_record_read_with_names_and_local_times(client_as, people, wulibao, erqi):
    """The ledger's sheets were raw keys and its record named the unit by code; a weights record's label gave the
    time in UTC beside an entry timed on the clock of the page."""
    from planning.selectors import DEFAULT_WEIGHTS
    from planning.services import plan_weights_set
    from reports.ledgers import ledger_request

    today = timezone.localdate()
    ledger_request(actor=people["qu_admin"], division=wulibao, start=today, end=today, sheets=["households", "cases"])
    version = plan_weights_set(actor=people["qu_admin"], district=erqi, weights={**DEFAULT_WEIGHTS, "rest_days": 5})

    rows = {event.action: (event, changes) for event, changes in client_as("qu_admin").get(URL).context["rows"]}
    ledger, ledger_changes = rows["ledger.requested"]
    assert ledger.object_label.startswith("五里堡街道 ")
    assert [str(label) for label, _old, _new in ledger_changes] == ["起始日期", "截止日期", "工作表"]
    assert {str(label): new for label, _old, new in ledger_changes}["工作表"] == "住户台账、问题台账"
    weights, _changes = rows["plan.weights_set"]
    assert weights.object_label.endswith(timezone.localtime(version.created_at).strftime("%Y-%m-%d %H:%M"))


def test_a_kind_noted_after_a_name_takes_the_readers_brackets(people, erqi):
    """An outside tester read "工作群 (企业微信群机器人)" in the Chinese log: its label translated, not its brackets."""
    from coalgov.audit import audit_record
    from digests.models import Channel

    channel = Channel.objects.create(
        division=erqi, division_code=erqi.code, name="区工作群", kind="wecom", key="k", created_by=people["qu_admin"]
    )
    audit_record(actor=people["qu_admin"], action="channel.created", obj=channel, division_code=erqi.code)

    assert names_in_log(browser(people["qu_admin"])) == ["区工作群（企业微信群机器人）"]
    assert names_in_log(browser(people["qu_admin"], "en")) == ["区工作群 (WeCom group robot)"]
