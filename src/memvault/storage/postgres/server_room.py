"""How many more connections a PostgreSQL server takes: what a host of many tenants checks
before it promises each open tenant a few (docs/hosting.md, "Tenants on PostgreSQL").

A server refuses connections past ``max_connections`` less the ones it keeps for superusers
(and, from PostgreSQL 16, ``reserved_connections``); the client sessions already open count
against it. A host that would need more than that finds out at its first busy minute, as
"too many clients" errors on other tenants' requests; asked at start, it is one line instead.
"""

from __future__ import annotations

import psycopg

from memvault.storage.postgres.connection import PostgresLocation, translate

_ROOM = (
    "SELECT current_setting('max_connections')::int"
    " - current_setting('superuser_reserved_connections')::int"
    " - coalesce(current_setting('reserved_connections', true)::int, 0)"
    " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
)


def connection_room(url: str) -> int:
    """Connections the server of ``url`` would still accept now, this check's own counted as
    free again once it is closed."""
    location = PostgresLocation.parse(url)
    try:
        with psycopg.connect(location.conninfo, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(_ROOM).fetchone()
    except psycopg.Error as exc:
        raise translate(exc, location.shown) from exc
    return (0 if row is None else int(row[0])) + 1
