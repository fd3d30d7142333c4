"""Several independent writes sent to the database as one statement.

Recording a visit writes its inspectors, its seizures, two rollup rows and the household's coal status. None
of these depends on another, so on PostgreSQL they go as one statement of data-modifying CTEs
(`WITH w0 AS (INSERT …), w1 AS (UPDATE …) SELECT 1`): one round trip instead of five, which is most of what a
phone submission costs at city scale (docs/rollups.md). Elsewhere (SQLite, `make run`) they run one by one.

The statements of one batch must touch different rows: PostgreSQL runs the CTEs on one snapshot, in an
order of its own, and would apply only one of two changes to the same row.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery


class Batch:
    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple]] = []

    def insert(self, objs: list[Model]) -> None:
        """INSERT the (new, unsaved) `objs` of one model; their primary keys stay unset."""
        if not objs:
            return
        model = type(objs[0])
        query = InsertQuery(model)
        query.insert_values([f for f in model._meta.local_concrete_fields if not f.primary_key], objs)
        for sql, params in query.get_compiler(connection=connection).as_sql():
            self.add(sql, params)

    def update(self, queryset: QuerySet, **values) -> None:
        """UPDATE the rows of `queryset` (a plain filter) with `values` (F() expressions allowed)."""
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=connection).as_sql()
        self.add(sql, params)

    def add(self, sql: str, params) -> None:
        self.statements.append((sql, tuple(params)))

    def execute(self) -> None:
        if not self.statements:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(self.statements) > 1:
                parts = ", ".join(f"w{n} AS ({sql})" for n, (sql, _params) in enumerate(self.statements))
                cursor.execute(f"WITH {parts} SELECT 1", [p for _sql, params in self.statements for p in params])
            else:
                for sql, params in self.statements:
                    cursor.execute(sql, params)
        self.statements = []
