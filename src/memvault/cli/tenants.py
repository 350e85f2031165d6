"""``memvault tenants``: the tenants of a hosting folder (``serve --tenants DIR``).

Every command takes ``--tenants DIR`` (or ``$MEMVAULT_TENANTS``) and works while a server runs:
the server reads the registry again on its next request, so a new tenant, a rotated token, a
revocation or a quota holds from then on. A token is printed once, by ``add`` and
``rotate-token``; the registry keeps only its keyed hash.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from memvault.cli.memories import JsonFlag
from memvault.cli.output import console, print_json
from memvault.core.errors import InvalidInputError

TENANTS_ENV = "MEMVAULT_TENANTS"

tenants_app = typer.Typer(
    name="tenants",
    help="The tenants of a hosting folder: add, list, remove, rotate-token, revoke, quota; "
    "backup, restore, check, export (one tenant, or --all).",
    no_args_is_help=True,
)

TenantsDir = Annotated[
    Path | None,
    typer.Option("--tenants", metavar="DIR", help=f"The hosting folder (else ${TENANTS_ENV})."),
]
NameArgument = Annotated[str, typer.Argument(help="The tenant's name (its folder's name).")]


def tenants_dir(given: Path | None) -> Path:
    if given is not None:
        return given.expanduser()
    env = os.environ.get(TENANTS_ENV, "").strip()
    if not env:
        raise InvalidInputError(f"name the hosting folder: --tenants DIR or ${TENANTS_ENV}")
    return Path(env).expanduser()


def registry_of(given: Path | None, *, create: bool = False) -> Any:
    from memvault.hosting.registry import TenantRegistry

    return TenantRegistry(tenants_dir(given), create=create)


def _tenant_row(tenant: Any, home: Path) -> dict[str, Any]:
    from memvault.core.home import DB_FILE_NAME

    db = home / DB_FILE_NAME
    files = [db, db.with_name(f"{db.name}-wal")]
    return {
        "name": tenant.name,
        "created_at": tenant.created_at,
        "folder": tenant.folder,
        "home": str(home),
        "store": tenant.store,  # a PostgreSQL URL with the tenant's schema; None: SQLite
        # a schema's size is the server's to tell (memvault stats); a file's is read here
        "db_bytes": None
        if tenant.store
        else sum(path.stat().st_size for path in files if path.exists()),
        "quota": tenant.quota.to_dict(),
        "tokens": [
            {"id": t.id, "created_at": t.created_at, "expires_at": t.expires_at}
            for t in tenant.tokens
        ],
    }


@tenants_app.command("add")
def add(
    name: NameArgument,
    tenants: TenantsDir = None,
    folder: Annotated[
        bool, typer.Option(help="Keep a Markdown folder beside the database (else DB-only).")
    ] = True,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Keep the tenant's index on PostgreSQL (postgresql://HOST/DB, no password: "
            "PGPASSWORD, ~/.pgpass or a service file), in a schema of its own.",
        ),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Add a tenant and print its token (shown this once)."""
    registry = registry_of(tenants, create=True)
    tenant, token = registry.add(name, folder=folder, database=db)
    row = {**_tenant_row(tenant, registry.home(tenant.name)), "token": token}
    if json_out:
        print_json(row)
        return
    console.print(f"added tenant {tenant.name} at {row['home']}")
    if tenant.store:
        console.print(f"its index: {tenant.store}")
    console.print(f"token (shown once, keep it secret): {token}")


@tenants_app.command("list")
def list_tenants(tenants: TenantsDir = None, json_out: JsonFlag = False) -> None:
    """Every tenant, with its size, quota and tokens (their ids, never the tokens)."""
    registry = registry_of(tenants)
    listed = registry.tenants()
    rows = [_tenant_row(t, registry.home(t.name)) for t in listed]
    if json_out:
        print_json({"tenants": rows})
        return
    if not rows:
        console.print("no tenants")
    for tenant, row in zip(listed, rows, strict=True):
        live = len(row["tokens"])
        size = f"{row['db_bytes']:>12,} B" if row["store"] is None else "  PostgreSQL"
        console.print(
            f"{row['name']:<24} {size}  tokens {live}  quota {tenant.quota.describe()}"
            + ("" if row["store"] is None else f"  {row['store']}")
        )


@tenants_app.command("remove")
def remove(
    name: NameArgument,
    tenants: TenantsDir = None,
    purge: Annotated[
        bool, typer.Option("--purge", help="Delete the tenant's home instead of archiving it.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Remove a tenant: its tokens stop at once; its home goes to DIR/.archive/ (or, with
    --purge, is deleted). A tenant on PostgreSQL keeps its schema unless --purge drops it."""
    from memvault.hosting.stores import schema_of

    registry = registry_of(tenants)
    store = registry.get(name).store
    archived = registry.remove(name, purge=purge)
    kept = None if store is None or purge else schema_of(store)
    data = {
        "removed": name,
        "archived_to": None if archived is None else str(archived),
        "schema_kept": kept,
    }
    if json_out:
        print_json(data)
        return
    if archived is None:
        console.print(f"removed tenant {name}" + (" and deleted its home" if purge else ""))
    else:
        console.print(f"removed tenant {name}; its home is kept at {archived}")
    if store is not None and purge:
        console.print(f"dropped its schema {schema_of(store)}")
    elif kept is not None:
        console.print(f"its schema {kept} is kept on the server (--purge would drop it)")


@tenants_app.command("rotate-token")
def rotate_token(
    name: NameArgument,
    tenants: TenantsDir = None,
    grace: Annotated[
        float,
        typer.Option(min=0, max=30 * 24 * 3600, help="Seconds the old token keeps working."),
    ] = 0,
    json_out: JsonFlag = False,
) -> None:
    """A new token for a tenant (printed once); the old one stops at once, or after --grace."""
    tenant, token = registry_of(tenants).rotate(name, grace_seconds=grace)
    if json_out:
        print_json({"name": tenant.name, "token": token, "grace_seconds": grace})
        return
    old = f"the old one works {grace:g} s more" if grace else "the old one no longer works"
    console.print(f"new token for {tenant.name} (shown once): {token}\n{old}")


@tenants_app.command("revoke")
def revoke(name: NameArgument, tenants: TenantsDir = None, json_out: JsonFlag = False) -> None:
    """Stop every token of a tenant at once (its data stays; rotate-token gives a new one)."""
    tenant = registry_of(tenants).revoke(name)
    if json_out:
        print_json({"name": tenant.name, "tokens": 0})
    else:
        console.print(f"every token of {tenant.name} is revoked")


@tenants_app.command("quota")
def quota(
    name: NameArgument,
    tenants: TenantsDir = None,
    memories: Annotated[
        int | None, typer.Option(min=0, help="Most records (memories, chunks, messages).")
    ] = None,
    bytes_: Annotated[
        int | None, typer.Option("--bytes", min=0, help="Most bytes of database files.")
    ] = None,
    rpm: Annotated[
        int | None, typer.Option("--rpm", min=1, help="Most requests per minute.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every limit.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Show or set a tenant's quotas (a limit not given stays as it was)."""
    from dataclasses import replace

    from memvault.hosting.quota import Quota

    registry = registry_of(tenants)
    tenant = registry.get(name)
    current = Quota() if clear else tenant.quota
    changes = {
        key: value
        for key, value in (("memories", memories), ("bytes", bytes_), ("requests_per_minute", rpm))
        if value is not None
    }
    if changes or clear:
        tenant = registry.set_quota(name, replace(current, **changes))
    if json_out:
        print_json({"name": tenant.name, "quota": tenant.quota.to_dict()})
    else:
        console.print(f"{tenant.name}: {tenant.quota.describe()}")
