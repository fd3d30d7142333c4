"""Shared models: the audit log that every service writes in the same transaction as its change."""

import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from coalgov.wording import with_note
from divisions.scoping import ScopedQuerySet

# How each action reads in the UI. An action without a label shows its code.
ACTION_LABELS = {
    "household.created": _("registered"),
    "household.updated": _("changed"),
    "household.voided": _("voided"),
    # One entry per import (households.imports), to which each household it registered refers.
    "household.imported": _("registered by import"),
    "membership.created": _("unit and role assigned"),
    "membership.deactivated": _("unit and role ended"),
    "user.created": _("user created"),
    "user.deactivated": _("user deactivated"),
    "user.activated": _("user reactivated"),
    "token.created": _("API token made"),
    "token.revoked": _("API token revoked"),
    "user.password_set": _("password set by the district office"),
    "sign_in.failed": _("sign-in failed: wrong name or password"),
    "sign_in.locked_out": _("sign-in refused: too many failures"),
    "sign_in.flood": _("sign-in failures from one address: the rest of this cool-off not recorded one by one"),
    "station.updated": _("station changed"),
    "air.readings_imported": _("station readings imported"),
    "household_import.requested": _("household file uploaded for import"),
    "household_import.confirmed": _("household import confirmed"),
    "household_import.failed": _("household import failed, nothing written"),
    "plan.created": _("night-check plan made"),
    "plan.weights_set": _("planner weights changed"),
    "inspection.recorded": _("visit recorded"),
    "inspection.voided": _("visit voided"),
    "operation.created": _("night-check operation planned"),
    "operation.updated": _("night-check operation changed"),
    "operation.voided": _("night-check operation voided"),
    "purchase.recorded": _("purchase recorded"),
    "purchase.voided": _("purchase voided"),
    "ban.recorded": _("ban recorded"),
    "ban.voided": _("ban voided"),
    "conversion.set": _("conversion set"),
    "conversion.voided": _("conversion voided"),
    "conversion_target.set": _("conversion target set"),
    "publicity.recorded": _("publicity recorded"),
    "publicity.voided": _("publicity voided"),
    # Case steps read as on the case's timeline (the same words as cases.models.CaseEvent.Action).
    "case.opened": _("opened"),
    "case.started": _("rectification started"),
    "case.rectified": _("reported rectified"),
    "case.returned": _("returned for more work"),
    "case.closed": _("verified and closed"),
    "case.reopened": _("reopened: coal found again"),
    "case.reminded": _("reminded of the deadline"),
    "case.overdue": _("overdue"),
    "case.escalated": _("escalated"),
    "case.deadline": _("deadline changed"),
    "case.duplicate": _("linked as duplicate"),
    "case.standalone": _("no longer a duplicate: the original was voided"),
    "case.rechecked": _("re-checked"),
    "case.undone": _("undone: the visit was voided"),
    "case.voided": _("voided"),
    "case.notice_numbered": _("rectification notice numbered"),
    "notice.recorded": _("supervision notice entered"),
    "ranking.published": _("weekly ranking published"),
    "ranking.weights_set": _("ranking weights changed"),
    "ranking.withdrawn": _("published ranking taken back"),
    "channel.created": _("digest channel added"),
    "channel.updated": _("digest channel changed"),
    "delivery.resent": _("digest sent again"),
    "accountability.recorded": _("accountability measure recorded"),
    "accountability.proposed": _("accountability measure proposed"),
    "accountability.confirmed": _("proposed accountability measure confirmed"),
    "accountability.dismissed": _("proposed accountability measure dismissed"),
    "ledger.requested": _("ledger export requested"),
    "download": _("downloaded"),
}


def choice_labels(model: type[models.Model]) -> list:
    """The (lazy) choice labels a record's name may show: its own fields' and those of the records it points to
    (a delivery's name shows its channel's kind)."""
    labels = []
    for field in model._meta.fields:
        fields = [field, *(field.related_model._meta.fields if field.is_relation and field.related_model else ())]
        labels += [label for f in fields if f.choices for _value, label in f.flatchoices]
    return labels


@lru_cache(maxsize=512)
def _translator(model: type[models.Model], language: str) -> Callable[[str], str] | None:
    """How a record's stored name (written with the source-language labels) reads in `language`, the current one."""
    with translation.override(None):
        sources = {str(label): label for label in choice_labels(model)}
    pairs = {source: str(label) for source, label in sources.items() if source and source != str(label)}
    # A label noted after a name (coalgov.wording.with_note: "工作群 (WeCom group robot)") takes the reader's
    # brackets with it: "工作群（企业微信群机器人）", not "工作群 (企业微信群机器人)".
    for source, label in sources.items():
        noted = with_note("", label)
        if source and noted != f" ({source})":
            pairs[f" ({source})"] = noted
    if not pairs:
        return None
    # Whole words only, longest first: "Night check" before "Night", and never inside another English word.
    words = "|".join(re.escape(source) for source in sorted(pairs, key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z])(?:{words})(?![A-Za-z])")
    return lambda text: pattern.sub(lambda match: pairs[match.group(0)], text)


class AuditEventQuerySet(ScopedQuerySet):
    scope_field = "division_code"

    def update(self, **kwargs):
        raise ValueError("Audit events are append-only.")

    def delete(self):
        raise ValueError("Audit events are append-only.")

    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))


class AuditEvent(models.Model):
    """One change to one record: who, when, what, and each changed field's old and new value.

    Rows are append-only: the model refuses updates and deletes, the admin is read-only and no API
    writes them. `division_code` copies the record's division so the log obeys jurisdiction like
    everything else.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(_("action"), max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    division_code = models.CharField(max_length=20, db_index=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")

    @property
    def actor_name(self) -> str:
        """Who made the change, as pages show it; the periodic tasks' changes have no user ("system")."""
        if self.actor is None:
            return str(_("system"))
        return self.actor.first_name or self.actor.username

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def object_label(self) -> str:
        """The record's name in the reader's language: it is stored with the source-language labels
        (coalgov.audit.audit_record), so a change entered in English reads in Chinese and the other way round."""
        model = self.content_type.model_class()
        translate = _translator(model, translation.get_language()) if model is not None else None
        return translate(self.object_repr) if translate else self.object_repr
