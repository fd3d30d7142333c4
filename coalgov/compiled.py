"""Queries written with the ORM and compiled once per process (see `Compiled`)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

from django.db import connection
from django.db.models import QuerySet

# Stand-ins for the values a `Compiled` query is run with: no real row has them.
EXAMPLE_KEY = -7_734_218
EXAMPLE_OTHER_KEY = -7_734_219
EXAMPLE_MOMENT = datetime.datetime(1901, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)


class Compiled:
    """A query written with the ORM, turned into SQL once per process and run again with other values.

    A phone submission's statements are each a few hundred microseconds for PostgreSQL, and took the ORM a
    millisecond of Python each to build and compile, per request. Here `build(*values)` is compiled once, with
    stand-ins for its values (EXAMPLE_KEY, EXAMPLE_OTHER_KEY, EXAMPLE_MOMENT), and later calls put their own
    values where the stand-ins were. The query stays one definition, in the ORM's words.

    Only on PostgreSQL, whose driver returns the columns' Python types itself (the values_list of plain
    columns this is for); elsewhere (SQLite, `make run`) the ORM runs `build(*values)` every time. A query that
    locks (select_for_update) must first run inside a transaction, as the ORM requires.
    """

    def __init__(self, build: Callable[..., QuerySet], *examples) -> None:
        self.build = build
        self.examples = examples
        self._sql: tuple[str, list] | None = None
        self._lock = threading.Lock()

    def _compiled(self) -> tuple[str, list[tuple[bool, object]]]:
        if self._sql is None:
            with self._lock:
                sql, params = self.build(*self.examples).query.sql_with_params()
                # Each parameter: a stand-in's position (a value may be used more than once), or itself.
                slots = []
                for param in params:
                    n = next((n for n, e in enumerate(self.examples) if type(param) is type(e) and param == e), None)
                    slots.append((True, n) if n is not None else (False, param))
                if {n for is_slot, n in slots if is_slot} != set(range(len(self.examples))):
                    raise ValueError(f"Not every one of {self.examples!r} reaches the SQL: {sql}")
                self._sql = sql, slots
        return self._sql

    def rows(self, *values) -> list[tuple]:
        if connection.vendor != "postgresql":
            return list(self.build(*values))
        sql, slots = self._compiled()
        params = [values[value] if is_slot else value for is_slot, value in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
