"""Transaction-scoped advisory locks: serialise one kind of write per key without a row to lock."""

from django.db import connection

# Namespaces (the first key of pg_advisory_xact_lock), one per kind of derived data. 7310 held a visit's
# rollups until they became additions under the household's row lock (docs/rollups.md): not to be reused.
REGISTER_COUNTS = 7311


def xact_lock(namespace: int, key: str) -> None:
    """Hold a lock on (namespace, key) until the transaction ends (PostgreSQL; SQLite has one writer at a
    time anyway). Take it before reading what you will recount: reads after it see every commit of the
    writers that held it before."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [namespace, key])
