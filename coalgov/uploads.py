"""Uploads that arrived whole, or not at all.

A phone that loses its signal mid-upload leaves the server a body shorter than its Content-Length. Django
parses what came as if it were everything: the photo being sent is cut short or dropped, the fields after it
are missing, and the record is stored. The phone's resend then meets that record through its `client_uuid`
and is answered 200, so what was cut off is lost for good.

So every request body is read through `CompleteBody`, installed by `CompleteUploadMiddleware` before anything
reads it (the API's parsers, the HTML forms, the CSRF check): reading it raises `IncompleteUpload` when the
client stops before its Content-Length, or when a multipart body ends without its closing boundary. It is one
check for every request under any WSGI server (gunicorn, runserver), and it streams: nothing is buffered
beyond what Django's parsers already do.

A phone may also say what it attached (`photo_count`, `seizure_count`); `DeclaredCounts` refuses a
submission whose parts do not match. A cut body, or fewer parts than declared, is a 400 with `code`
"incomplete_upload", which the phone page takes as "keep the entry and send it again"; more parts than
declared, or counts in a JSON body, is a field error the phone shows (sending it again would not help).
Nothing is stored either way.
"""

import logging

from django.core.exceptions import BadRequest
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail

from .middleware import is_api
from .wording import enumeration

logger = logging.getLogger(__name__)

CODE = "incomplete_upload"
MESSAGE = gettext_lazy("The upload was incomplete (the connection was cut). Nothing was stored: please send it again.")


class IncompleteUpload(BadRequest):
    """The request body ended before its Content-Length, or a multipart body before its closing boundary.

    A BadRequest, so wherever it escapes (the CSRF check reads the form before any view) Django answers
    400, never 500; and not an OSError or MultiPartParserError, so neither Django nor DRF turns it into
    an empty form or a generic parse error that would hide what happened.
    """


class IncompleteUploadError(APIException):
    """The API's refusal: 400 {"code": "incomplete_upload", "detail": "…"}; the phone keeps the entry."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = CODE

    def __init__(self):
        # A dict detail is the response body as it is: `code` beside `detail`, as the phone reads it.
        super().__init__({"code": CODE, "detail": str(MESSAGE)})


class CompleteBody:
    """A request's body stream that refuses to end early.

    Wraps Django's LimitedStream (which stops at Content-Length but takes an early end of the input as the
    end of the body). An empty read before `limit` bytes, or a connection error, means the client went
    away: `IncompleteUpload`, again on every later read. For multipart bodies the closing delimiter
    `--boundary--` must have been seen by the time the last byte is read.
    """

    def __init__(self, stream, limit: int, boundary: bytes | None):
        self._stream = stream
        self.limit = limit
        self.read_bytes = 0
        self.incomplete = False
        self._closing = b"--" + boundary + b"--" if boundary else None
        self._closed_seen = self._closing is None
        self._tail = b""

    def _refuse(self, reason: str):
        if not self.incomplete:
            logger.warning("Incomplete request body (%s): %d of %d bytes", reason, self.read_bytes, self.limit)
        self.incomplete = True
        raise IncompleteUpload(str(MESSAGE))

    def _take(self, call, size):
        if self.incomplete:
            self._refuse("read again")
        try:
            data = call(size)
        except OSError:
            self._refuse("connection error")
        self.read_bytes += len(data)
        if not self._closed_seen and data:
            # The delimiter may straddle two reads: look at the end of the previous one too.
            window = self._tail + data
            self._closed_seen = self._closing in window
            self._tail = window[-(len(self._closing) - 1) :]
        if self.read_bytes < self.limit and not data and size != 0:
            self._refuse("ended early")
        if self.read_bytes >= self.limit and not self._closed_seen:
            self._refuse("no closing boundary")
        return data

    def read(self, size=-1, /):
        if size is None or size < 0:
            # Everything that is left: one read of a LimitedStream may come back short before the end.
            chunks = []
            while self.read_bytes < self.limit:
                chunks.append(self._take(self._stream.read, self.limit - self.read_bytes))
            return b"".join(chunks)
        return self._take(self._stream.read, size)

    def readline(self, size=-1, /):
        return self._take(self._stream.readline, size)

    def close(self):
        close = getattr(self._stream, "close", None)
        if close:
            close()


def wants_json(request) -> bool:
    return is_api(request) or "application/json" in request.headers.get("Accept", "")


def incomplete_response(request) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"code": CODE, "detail": str(MESSAGE)}, status=400)
    return HttpResponse(str(MESSAGE), status=400, content_type="text/plain; charset=utf-8")


LENGTH_REQUIRED = gettext_lazy("The request has no Content-Length (a chunked body). Nothing was stored.")


def length_required_response(request) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"code": "length_required", "detail": str(LENGTH_REQUIRED)}, status=411)
    return HttpResponse(str(LENGTH_REQUIRED), status=411, content_type="text/plain; charset=utf-8")


class CompleteUploadMiddleware:
    """Reads every request body through `CompleteBody`; an incomplete one is answered 400 incomplete_upload.

    Placed before anything that reads the body. The refusal may surface anywhere the body is read — in a
    DRF parser (answered by the API's exception handler), in a form view, or in the CSRF check before the
    view — so the answer is made here, the same for all: JSON for the API and for pages asked for JSON,
    a plain message otherwise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() and not request.META.get(
            "CONTENT_LENGTH"
        ):
            # Django reads a body by its Content-Length alone: a chunked one would be read as empty and a
            # visit stored without its fields. Behind nginx (docker-compose) the proxy buffers it and sends
            # the length; talking to gunicorn directly, the client is asked to send it.
            return length_required_response(request)
        body = None
        stream = getattr(request, "_stream", None)
        limit = _content_length(request)
        if stream is not None and limit > 0:
            boundary = None
            if request.content_type == "multipart/form-data":
                boundary = request.content_params.get("boundary", "").encode("ascii", "replace") or None
            body = request._stream = CompleteBody(stream, limit, boundary)
        response = self.get_response(request)
        if body is not None and body.incomplete and response.status_code >= 400:
            return incomplete_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, IncompleteUpload):
            return incomplete_response(request)
        return None


def _content_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class DeclaredCounts:
    """Serializer mixin: `photo_count` and `seizure_count`, when sent, must match what arrived.

    The phone says how many photos it attached and how many seizure rows `seizures` holds. Fewer parts in a
    multipart body than it declared means parts were lost on the way (a proxy, a cut the body check could not
    see): refused as incomplete, and the phone sends it again. Anything else that does not match — more than
    declared, or counts in a JSON or form-encoded body, which cannot carry photos — is the client's
    mistake, which sending again would only repeat: a field error, which the phone shows and does not retry.
    The serializer declares the fields it takes; both are optional, for clients that do not send them.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        request = self.context["request"]  # its body's type: only a multipart body can lose parts on the way
        multipart = request.content_type.startswith("multipart/form-data")
        declared = {"photo_count": attrs.pop("photo_count", None), "seizure_count": attrs.pop("seizure_count", None)}
        arrived = {"photo_count": len(self._photos_received()), "seizure_count": len(attrs.get("seizures") or [])}
        stray = sorted(name for name in request.FILES if name != "photos")
        if stray:
            # Files under another part's name arrived whole: a script's mistake, which sending again would repeat,
            # not parts lost on the way (incomplete_upload); without a count they were dropped, the visit stored.
            message = ErrorDetail(str(WRONG_PART_NAME % {"names": enumeration(stray)}), code="wrong_part_name")
            raise serializers.ValidationError({"photos" if declared["photo_count"] is None else "photo_count": message})
        errors = {}
        for field, count in declared.items():
            if count is None or count == arrived[field]:
                continue
            if multipart and arrived[field] < count:
                raise IncompleteUploadError()
            if field == "photo_count" and not multipart:
                message = NO_PHOTOS_WITHOUT_MULTIPART
            else:
                message = COUNT_MISMATCH % {"declared": count, "arrived": arrived[field]}
            errors[field] = ErrorDetail(str(message), code="count_mismatch")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _photos_received(self):
        data = self.initial_data
        files = data.getlist("photos") if hasattr(data, "getlist") else []
        return [f for f in files if isinstance(f, UploadedFile)]


COUNT_MISMATCH = gettext_lazy("%(declared)s declared, but %(arrived)s sent: the count does not match what was sent.")
WRONG_PART_NAME = gettext_lazy("Photos are sent in parts named photos; the files arrived in parts named %(names)s.")
NO_PHOTOS_WITHOUT_MULTIPART = gettext_lazy(
    "Photos can only be sent in a multipart/form-data body; this body carries none."
)


def photo_count_field():
    return serializers.IntegerField(min_value=0, required=False, write_only=True, help_text=PHOTO_COUNT_HELP)


def seizure_count_field():
    return serializers.IntegerField(min_value=0, required=False, write_only=True, help_text=SEIZURE_COUNT_HELP)


PHOTO_COUNT_HELP = gettext_lazy(
    "Number of files sent as `photos`. Optional; when fewer arrived, the submission is refused with 400 and code "
    "`incomplete_upload` (send it again); when more arrived, or in a JSON body, with a field error. Nothing is "
    "stored either way."
)
SEIZURE_COUNT_HELP = gettext_lazy(
    "Number of rows in `seizures`. Optional; in a multipart body with fewer rows, the submission is refused with "
    "400 and code `incomplete_upload` (send it again); otherwise a mismatch is a field error. Nothing is stored "
    "either way."
)
