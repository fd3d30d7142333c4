"""Several independent writes sent to the database as one statement.

Recording a visit writes its inspectors, its seizures, two rollup rows and the household's coal status. None
of these depends on another, so on PostgreSQL they go as one statement of data-modifying CTEs
(`WITH w0 AS (INSERT …), w1 AS (UPDATE …) SELECT 1`): one round trip instead of five, which is most of what a
phone submission costs at city scale (docs/rollups.md). Elsewhere (SQLite, `make run`) they run one by one.

The statements of one batch must touch different rows: PostgreSQL runs the CTEs on one snapshot, in an
order of its own, and would apply only one of two changes to the same row.
"""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery


@functools.cache
def _insert_sql(model: type[Model], with_pk: bool, vendor: str) -> str:
    """INSERT of one row of `model`, in the words of the ORM's own compiler (InsertQuery)."""
    fields = [f for f in model._meta.local_concrete_fields if with_pk or not f.primary_key]
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    ((sql, _params),) = query.get_compiler(connection=connection).as_sql()
    return sql


class Batch:
    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple]] = []

    def insert(self, objs: list[Model], *, with_pk: bool = False) -> None:
        """INSERT the (new, unsaved) `objs` of one model; their primary keys stay unset unless `with_pk` (the
        caller drew them from the table's sequence)."""
        if not objs:
            return
        model = type(objs[0])
        fields = [f for f in model._meta.local_concrete_fields if with_pk or not f.primary_key]
        if len(objs) == 1 and not any(hasattr(f, "get_placeholder") for f in fields):
            # One row of plain values (the usual visit: one inspector, one seizure, its audit row): the values
            # as the ORM's insert prepares them (pre_save: auto_now_add; then the database's form), into a
            # statement whose text is the same for every row of this model, made once.
            values = [f.pre_save(objs[0], True) for f in fields]
            if not any(hasattr(value, "resolve_expression") for value in values):
                params = [f.get_db_prep_save(value, connection) for f, value in zip(fields, values, strict=True)]
                self.add(_insert_sql(model, with_pk, connection.vendor), params)
                return
        query = InsertQuery(model)
        query.insert_values(fields, objs)
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
