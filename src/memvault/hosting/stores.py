"""Where a tenant's index lives when it is not the SQLite file in its home: a schema of its own
on a PostgreSQL server (``memvault tenants add NAME --db postgresql://HOST/DB``).

Each tenant gets one schema, ``t_<name>``, in the database the admin names, and the store URL
with that schema is what the registry keeps. The schema is a function of the name that no two
names share: tenant names are ``[a-z0-9][a-z0-9_-]*``, a schema name takes only
``[a-z0-9_]``, so ``_`` is written ``__`` and ``-`` is written ``_h`` (``a-b`` is ``t_a_hb``,
``a_b`` is ``t_a__b``). Which schema a request reaches is decided by the token's tenant alone,
as the home folder is for a tenant on SQLite.

The registry is a plain file beside the tenants' data, so a URL with a password in it is
refused: the password comes from libpq's own places instead (``PGPASSWORD``, ``~/.pgpass``, a
service file), which the server process reads when it connects.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from memvault.core.errors import InvalidInputError
from memvault.storage import SERVER_SCHEMES, server_connections

SCHEMA_PREFIX = "t_"
SCHEMA_LENGTH = 63  # PostgreSQL's identifiers: NAMEDATALEN - 1 bytes
# Connections one hosted tenant's store may hold at once: a request's unit of work, the shared
# embedding's batch, the statistics check (docs/hosting.md, "Tenants on PostgreSQL").
HOSTED_POOL_MAX = 3


def tenant_schema(name: str) -> str:
    """The schema of tenant ``name``: ``t_`` and the name with ``_`` doubled and ``-`` as
    ``_h``; refused when it would pass PostgreSQL's 63 characters."""
    schema = SCHEMA_PREFIX + name.replace("_", "__").replace("-", "_h")
    if len(schema) > SCHEMA_LENGTH:
        raise InvalidInputError(
            f"tenant name {name!r} is too long for a PostgreSQL schema ({schema} has "
            f"{len(schema)} characters, at most {SCHEMA_LENGTH}): choose a shorter name"
        )
    return schema


def tenant_store(name: str, database: str) -> str:
    """The store URL of tenant ``name`` in ``database`` (``postgresql://[USER@]HOST[:PORT]/DB``,
    other libpq parameters kept): that URL with ``?schema=`` the tenant's schema."""
    parts = urlsplit(database.strip())
    if parts.scheme.lower() not in SERVER_SCHEMES:
        raise InvalidInputError(
            f"--db takes a PostgreSQL URL (postgresql://HOST/DB), not {database!r}"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    keys = {key for key, _ in query}
    if parts.password is not None or "password" in keys:
        raise InvalidInputError(
            "the --db URL holds a password, and tenants.json is a plain file: give the URL "
            "without it and the password by PGPASSWORD, ~/.pgpass or a service file "
            "(PGSERVICEFILE) of the server's user"
        )
    if "schema" in keys or "pool_max" in keys:
        raise InvalidInputError(
            "the --db URL names the database only: memvault chooses the tenant's schema "
            f"({tenant_schema(name)}) and its connections"
        )
    if not parts.path.strip("/") and "dbname" not in keys and "service" not in keys:
        raise InvalidInputError("the --db URL names no database: postgresql://HOST/DB")
    query.append(("schema", tenant_schema(name)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def bounded(store: str, connections: int = HOSTED_POOL_MAX) -> str:
    """``store`` opened with a small pool of at most ``connections`` (none kept while idle), so
    a host's ``--max-open`` bounds its connections to the server too."""
    parts = urlsplit(store)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "pool_max"]
    query.append(("pool_max", str(connections)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def schema_of(store: str) -> str:
    """The schema a tenant's store URL names (for messages: what stays on the server)."""
    return dict(parse_qsl(urlsplit(store).query)).get("schema", "")


def check_connection_room(stores: list[str], max_open: int, per_tenant: int) -> None:
    """Refuse, in one line, a host whose open tenants could need more connections than one of
    their PostgreSQL servers takes: at most ``max_open`` of a server's tenants are open at once,
    each with up to ``per_tenant`` connections. Found now, not as "too many clients" errors on
    other tenants' requests in the first busy minute."""
    for server, (tenants, room) in server_connections(stores).items():
        need = min(max_open, tenants) * per_tenant
        if need > room:
            fits = room // per_tenant
            lower = f"lower --max-open to {fits}" if fits else "close other clients of it"
            raise InvalidInputError(
                f"{server} takes {room} more connections and {min(max_open, tenants)} open "
                f"tenants of it may need {need} ({per_tenant} each): {lower} or raise its "
                "max_connections"
            )
