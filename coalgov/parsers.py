"""The API's JSON parser: DRF's, with a body nested too deeply to read refused as invalid JSON.

Python's JSON decoder reads nested arrays by recursion: a 2 KB body of a thousand `[` exhausted it, and the
RecursionError, which DRF does not expect from a parser, became a 500. It is the client's malformed body: 400
`invalid_json`, as any other (coalgov.api.exception_handler words it).

Its own module: DRF reads DEFAULT_PARSER_CLASSES when rest_framework.views is first imported, so the class
must not live in a module that imports the views.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON nested too deeply") from exc
