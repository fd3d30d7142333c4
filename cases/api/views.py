from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from coalgov.api import ScopedViewSet
from coalgov.parsers import JSONParser
from inspections.models import Photo
from inspections.photos import photos_check

from .. import services
from ..filtersets import AccountabilityFilterSet, CaseFilterSet, SupervisionNoticeFilterSet
from ..models import Accountability, Case, CaseEvent, SupervisionNotice
from .serializers import (
    AccountabilitySerializer,
    CaseSerializer,
    DeadlineSerializer,
    NoteSerializer,
    ReasonSerializer,
    RectifySerializer,
    RectifyUploadSerializer,
    SupervisionNoticeSerializer,
)


class CaseStateChanged(APIException):
    """A step the case's state no longer allows (another client took a step first): a conflict, as the page's 409."""

    status_code = 409
    default_code = services.STATE_CHANGED


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Cases within the caller's jurisdiction, and the steps of their lifecycle as actions.

    POST opens a case from a public tip-off or a spot check. Steps: start, rectify (multipart, `note` and
    `photos`), return, close, deadline, void. A step the caller may not take is 403; a case outside the
    caller's view is 404.
    """

    queryset = Case.objects.select_related(
        "responsible_unit", "escalated_to", "notice", "notice_issuer"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=CaseEvent.objects.select_related("actor").prefetch_related(
                Prefetch("photos", queryset=Photo.objects.order_by("id"))
            ),
        )
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Sent again with its key (the answer was lost on the way): the case it opened, 200. Two sends at the same
        # moment both miss this look-up; case_open then answers the second with the first case (its unique key).
        sent_uuid = serializer.validated_data.get("client_uuid")
        repeat = Case.objects.filter(client_uuid=sent_uuid).first() if sent_uuid is not None else None
        if repeat is not None:
            self.ensure_repeat_visible(repeat, created=False)  # someone else's key: 403, nothing said of the case
        case = repeat or services.case_open(actor=request.user, **serializer.validated_data)
        return self.created_or_repeated(self.get_queryset().get(pk=case.pk), repeat is None)

    def _step(self, run, serializer_class=NoteSerializer):
        case = self.get_object()
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        try:
            case = run(case, payload.validated_data)
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) == services.STATE_CHANGED:
                raise CaseStateChanged(detail=exc.messages[0]) from exc
            raise
        return Response(self.get_serializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(request=NoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._step(lambda case, data: services.case_start(actor=request.user, case=case, note=data["note"]))

    @extend_schema(
        request={"application/json": RectifySerializer, "multipart/form-data": RectifyUploadSerializer},
        responses=CaseSerializer,
    )
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        try:
            photos = photos_check(request.FILES.getlist("photos"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"photos": exc.messages}) from exc
        return self._step(
            lambda case, data: services.case_rectify(actor=request.user, case=case, note=data["note"], photos=photos),
            RectifySerializer,
        )

    @extend_schema(request=NoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, pk=None):
        return self._step(lambda case, data: services.case_return(actor=request.user, case=case, note=data["note"]))

    @extend_schema(request=NoteSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(lambda case, data: services.case_close(actor=request.user, case=case, note=data["note"]))

    @extend_schema(request=DeadlineSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def deadline(self, request, pk=None):
        return self._step(
            lambda case, data: services.case_set_deadline(actor=request.user, case=case, **data), DeadlineSerializer
        )

    @extend_schema(request=ReasonSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        return self._step(
            lambda case, data: services.case_void(actor=request.user, case=case, reason=data["reason"]),
            ReasonSerializer,
        )


class SupervisionNoticeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet
):
    """Supervision notices; POST one with its `problems`, and a case opens for each."""

    queryset = SupervisionNotice.objects.current().select_related("division")
    serializer_class = SupervisionNoticeSerializer
    filterset_class = SupervisionNoticeFilterSet

    def get_queryset(self):
        # A notice lists only the cases the caller may see: a unit that sees it through its own case never
        # learns of other units' problems in it.
        visible = Case.objects.visible_to(self.request.user).only("pk", "notice_id")
        return super().get_queryset().prefetch_related(Prefetch("cases", queryset=visible))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data["problems"] = [services.ProblemInput(**problem) for problem in data["problems"]]
        serializer.instance = services.notice_record(actor=self.request.user, **data)


class AccountabilityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Praise, criticism, interviews and other measures, against units within the caller's jurisdiction.

    Measures the morning task proposes (`status` "proposed") are confirmed or dismissed (`note`: the reason,
    required to dismiss) by the district office: POST …/{id}/confirm/ or …/{id}/dismiss/.
    """

    queryset = Accountability.objects.select_related("unit").prefetch_related("cases")
    serializer_class = AccountabilitySerializer
    filterset_class = AccountabilityFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.accountability_record(actor=self.request.user, **serializer.validated_data)

    def _decide(self, confirm: bool):
        record = self.get_object()  # 404 outside the jurisdiction
        payload = NoteSerializer(data=self.request.data)
        payload.is_valid(raise_exception=True)
        record = services.accountability_decide(
            actor=self.request.user, record=record, confirm=confirm, note=payload.validated_data["note"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)

    @extend_schema(request=NoteSerializer, responses=AccountabilitySerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._decide(confirm=True)

    @extend_schema(request=NoteSerializer, responses=AccountabilitySerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._decide(confirm=False)
