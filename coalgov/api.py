"""Shared API machinery: the scoped base viewset and the error shape."""

import math
import re

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .uploads import IncompleteUpload, IncompleteUploadError


class ScopedViewSet(viewsets.GenericViewSet):
    """Every queryset is cut to the requesting user's jurisdiction; objects outside it answer 404."""

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def filter_queryset(self, queryset):
        # Filters (which hide voided records by default) narrow lists only: a record asked for by id is
        # found by jurisdiction alone, voided or not, so a repeated void answers 200 rather than 404.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def created_or_repeated(self, record, created: bool) -> Response:
        """201 for a new record, 200 for a repeated submission (same client_uuid)."""
        self.ensure_repeat_visible(record, created)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(record).data, status=code)

    def ensure_repeat_visible(self, record, created: bool) -> None:
        """A uuid that someone else used, for a record outside the caller's view, says nothing about it: 403."""
        if not created and not self.get_queryset().filter(pk=record.pk).exists():
            raise PermissionDenied


class DateTimeField(serializers.DateTimeField):
    """DRF's, with a year-1 or year-9999 value refused as invalid instead of overflowing to a 500, and a date
    without a time refused too: "2026-12-05" was read as its midnight, a visit at 00:00 counted as a night check."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value.strip()) <= len("2026-12-05"):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+08:00]")
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="ISO 8601")


class IdField(serializers.PrimaryKeyRelatedField):
    """A record by its id, a whole number, among those the caller can see (get_queryset), in plain words.

    DRF reads an id as Django's integer field does: 264.9 was household 264, and 1e400 (valid JSON, a float
    too large for Python's int) was a 500. Its refusal named the primary key ("无效主键 “241” － 对象不存在。").
    """

    default_error_messages = {
        "does_not_exist": _("There is no record {pk_value} that you can see."),
        "incorrect_type": _("Give the record's id, a whole number."),
    }

    def to_internal_value(self, data):
        return super().to_internal_value(whole_id(self, data))


def whole_id(field: serializers.Field, data):
    """`data` as an id: a float only if it is a whole number, a bool never (DRF's "incorrect_type" otherwise)."""
    if isinstance(data, bool) or (isinstance(data, float) and not (math.isfinite(data) and data.is_integer())):
        field.fail("incorrect_type", data_type=type(data).__name__)
    return int(data) if isinstance(data, float) else data


class CodeField(serializers.SlugRelatedField):
    """A unit by its national code, among those the caller can see (get_queryset); DRF's refusal named the model's
    field ("属性 code 为 410103001 的对象不存在。")."""

    default_error_messages = {"does_not_exist": _("There is no unit {value} that you can see.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)


class InvalidJSON(exceptions.ParseError):
    default_detail = _("The request body is not valid JSON.")
    default_code = "invalid_json"


class UnreadableBody(exceptions.ParseError):
    default_detail = _("The request body could not be read as the form data its Content-Type announces.")
    default_code = "unreadable_body"


class CsrfCheckedSessionScheme(SessionScheme):
    """The schema's cookieAuth for our SessionAuthentication (drf-spectacular matches DRF's class exactly)."""

    target_class = "coalgov.authentication.SessionAuthentication"


class ExpiryTellingTokenScheme(KnoxTokenScheme):
    """The schema's tokenAuth for our knox TokenAuthentication (matched exactly, as above)."""

    target_class = "coalgov.authentication.TokenAuthentication"


NOT_AN_OBJECT = _("The request body must be a JSON object.")
# DRF's refusal of a body that is not an object names the Python type it got ("… but got list."): by its words in
# the client's language, for each type JSON can bring.
NOT_A_DICTIONARY = "Invalid data. Expected a dictionary, but got {datatype}."
JSON_TYPES = ("list", "str", "int", "float", "bool")


def _translated(detail):
    """The detail of a validation error with DRF's messages that a client cannot act on in its own words: one
    written without a translation ("No data provided", for a body of JSON null) and one naming Python types."""
    if isinstance(detail, dict):
        return {key: _translated(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_translated(value) for value in detail]
    code = getattr(detail, "code", None)
    if (str(detail), code) == ("No data provided", "null") or (
        code == "invalid" and str(detail) in {gettext(NOT_A_DICTIONARY).format(datatype=t) for t in JSON_TYPES}
    ):
        return ErrorDetail(str(NOT_AN_OBJECT), code=code)
    return detail


def exception_handler(exc, context):
    """DRF's handler, with every refusal in the client's language and in one shape.

    A refusal with one message is `{"detail": "…", "code": "…"}`; invalid fields are `{field: [messages]}` as DRF
    gives them. Model validation errors raised by services are 400 with field messages. A request body cut off
    mid-upload (see coalgov/uploads.py) is 400 with code "incomplete_upload".
    """
    if isinstance(exc, IncompleteUpload):
        exc = IncompleteUploadError()
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages})
    if isinstance(exc, PermissionDenied):
        # DRF would convert it too, but only inside its handler: converted here, it gets its code below.
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, Http404):
        # get_object_or_404's message is English and names the model ("No Household matches the given
        # query."); a record that does not exist and one outside the caller's jurisdiction must read the same.
        exc = exceptions.NotFound()
    if type(exc) is exceptions.ParseError:
        # The parsers' messages are English and quote the parser's internals ("JSON parse error - Expecting
        # property name …"); the client needs to know which body it got wrong, in its own language.
        request = context.get("request")
        exc = InvalidJSON() if request is not None and "json" in (request.content_type or "") else UnreadableBody()
    if isinstance(exc, ValidationError):
        exc.detail = _translated(exc.detail)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(getattr(exc, "detail", None), str):
        response.data = {"detail": exc.detail, "code": exc.detail.code}
    return response


# --- The schema: what every answer may be ----------------------------------------------------------

# Fields a serializer sends as null in a response although a request may not send null for them: they are
# withheld from this caller (see the serializers' to_representation). Keyed by response component.
NULL_WHEN_WITHHELD = {
    "Case": ["reporter_name", "reporter_contact"],  # kept from all but those who verify the case
    "SupervisionNotice": ["text"],  # seen through the caller's own cases only
}

ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "description": _("A refusal with one message, in the client's language, and a stable code."),
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "required": ["detail", "code"],
    },
    "FieldErrors": {
        "type": "object",
        "description": _(
            "Invalid fields: each field (or `non_field_errors`) with its messages; a list of objects (such as "
            "`problems`) has one entry per item, empty for a valid one."
        ),
        "additionalProperties": {},
    },
}


def _error(description: str, *schemas: str) -> dict:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in schemas]
    return {
        "description": description,
        "content": {"application/json": {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}},
    }


ERROR_RESPONSES = {
    "400": _error(
        _(
            "Invalid request: field errors (a cursor that is not valid, a page_size out of range or a filter the "
            "list does not have, among them), or a refusal with a code (invalid_json, incomplete_upload, …)."
        ),
        "Error",
        "FieldErrors",
    ),
    "401": _error(_("Not signed in, or a token that does not work (code token_expired for an expired one)."), "Error"),
    "403": _error(_("Not allowed to do this here, or a failed CSRF check (code csrf_failed)."), "Error"),
    "404": _error(_("No such record within the caller's jurisdiction."), "Error"),
    "503": _error(
        _(
            "The database or file storage does not answer (code unavailable): send the same request again after "
            "Retry-After seconds."
        ),
        "Error",
    ),
}
# Only where the operation takes a body: one in a media type it does not list.
UNSUPPORTED_MEDIA_TYPE = _error(_("The body's Content-Type is not one this operation takes."), "Error")


# A case's step that its state no longer allows (cases.api.views.CaseStateChanged).
CASE_STATE_CHANGED = _error(
    _(
        "The case's state no longer allows this step: another request took a step first (code case_state_changed); "
        "the detail says its state now."
    ),
    "Error",
)
CASE_STEP = re.compile(r"^cases_(start|rectify|return|close|deadline|void)_create$")

# The token endpoint counts wrong passwords (docs/authentication.md).
SIGN_IN_THROTTLED = _error(_("Too many wrong passwords for this user from this address; see Retry-After."), "Error")


def _component(schema: dict, components: dict) -> dict:
    return components.get(schema["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in schema else schema


def _takes_files(schema: dict, components: dict) -> bool:
    for prop in _component(schema, components).get("properties", {}).values():
        if prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary":
            return True
    return False


def schema_postprocessing(result, generator, request, public):
    """Make the schema say what the API answers (a drf-spectacular postprocessing hook).

    Every operation documents the error answers of coalgov.api.exception_handler; a request body is JSON,
    and multipart only where the operation takes files (DRF's default parsers would list form and multipart
    everywhere, under one component, and a generated client would send multipart bodies labelled JSON).
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_COMPONENTS)
    for name, fields in NULL_WHEN_WITHHELD.items():
        for field in fields:
            prop = components.get(name, {}).get("properties", {}).get(field)
            if prop is not None:
                prop["nullable"] = True
    for path, _regex, method, callback in generator.endpoints or ():
        # A create that answers a repeated submission with the first record (ScopedViewSet.created_or_repeated)
        # says 200 as well as 201.
        handler = getattr(
            getattr(callback, "cls", None), (getattr(callback, "actions", None) or {}).get(method.lower(), ""), None
        )
        operation = result.get("paths", {}).get(path, {}).get(method.lower())
        if (
            operation
            and "201" in operation["responses"]
            and "created_or_repeated" in getattr(getattr(handler, "__code__", None), "co_names", ())
        ):
            operation["responses"].setdefault(
                "200",
                {**operation["responses"]["201"], "description": _("A repeated submission: the record it made first.")},
            )
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, response in ERROR_RESPONSES.items():
                operation["responses"].setdefault(code, response)
            if CASE_STEP.match(operation.get("operationId", "")):
                operation["responses"].setdefault("409", CASE_STATE_CHANGED)
            if operation.get("operationId", "").startswith("auth_token"):
                operation["responses"].setdefault("429", SIGN_IN_THROTTLED)
            if "requestBody" in operation:
                operation["responses"].setdefault("415", UNSUPPORTED_MEDIA_TYPE)
            content = operation.get("requestBody", {}).get("content", {})
            content.pop("application/x-www-form-urlencoded", None)
            multipart = content.get("multipart/form-data")
            if multipart is not None and not _takes_files(multipart.get("schema", {}), components):
                del content["multipart/form-data"]
            # A body with required fields is itself required (drf-spectacular leaves that out when a view names
            # its bodies per media type, and a generated client would then offer to send none).
            if content and all(
                _component(media.get("schema", {}), components).get("required") for media in content.values()
            ):
                operation["requestBody"]["required"] = True
    result.setdefault("info", {})["description"] = _(
        "Household register, field work, cases and reports of the district coal office."
    )
    return _in_readers_language(result)


def _in_readers_language(value):
    """The schema with its texts marked for translation said in the request's language (the schema is built per
    request, under its Accept-Language): the renderers write plain strings."""
    if isinstance(value, dict):
        return {key: _in_readers_language(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_readers_language(item) for item in value]
    return str(value) if isinstance(value, Promise) else value
