"""Migration operations shared by the apps' migrations."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import NotSupportedError, migrations
from django.db.migrations.operations.base import Operation


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """An index built CONCURRENTLY on PostgreSQL, so a register of hundreds of thousands of rows keeps taking visits
    and imports while it is made (the migration must be `atomic = False`); built plainly on SQLite (`make run`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrentlyOnPostgres(RemoveIndexConcurrently):
    """A Meta.indexes index dropped CONCURRENTLY on PostgreSQL, so the phones keep submitting visits meanwhile (the
    migration must be `atomic = False`); dropped plainly on SQLite. Going back builds it again the same way."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class DropIndexConcurrentlyOnPostgres(Operation):
    """Drop an index Django made for a field rather than for the model's Meta.indexes (a foreign key's, or the
    varchar_pattern_ops twin of an indexed CharField), by its name: CONCURRENTLY on PostgreSQL, so the register keeps
    taking visits and imports meanwhile (the migration must be `atomic = False`), plainly on SQLite; with
    `postgresql_only` for an index SQLite never had. Going back builds it again from `columns` (its SQL column list)
    the same way. When the field no longer asks for the index (db_index=False), pair this with the field's change in
    SeparateDatabaseAndState: Django's own AlterField would drop it without CONCURRENTLY, locking the table."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, *, model_name: str, name: str, columns: str, postgresql_only: bool = False):
        self.model_name, self.name, self.columns, self.postgresql_only = model_name, name, columns, postgresql_only

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "name": self.name, "columns": self.columns}
        if self.postgresql_only:
            kwargs["postgresql_only"] = True
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def _concurrently(self, schema_editor) -> str | None:
        """What goes before IF EXISTS: "CONCURRENTLY " on PostgreSQL, "" elsewhere; None where the index never was."""
        if schema_editor.connection.vendor != "postgresql":
            return None if self.postgresql_only else ""
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError(f"{self.__class__.__name__} needs a migration with atomic = False.")
        return "CONCURRENTLY "

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        concurrently = self._concurrently(schema_editor)
        if concurrently is not None:
            schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(self.name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        concurrently = self._concurrently(schema_editor)
        if concurrently is not None:
            table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
            schema_editor.execute(
                f"CREATE INDEX {concurrently}IF NOT EXISTS {schema_editor.quote_name(self.name)} "
                f"ON {schema_editor.quote_name(table)} ({self.columns})"
            )

    def describe(self):
        return f"Drop index {self.name} of {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"drop_{self.name.lower()}"
