"""Filters for the log (settings.LOGGING)."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer is the client's doing (a page of another unit, an expired form): one line in the log, without
    the traceback Django attaches when a view raised PermissionDenied or Http404. A 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
