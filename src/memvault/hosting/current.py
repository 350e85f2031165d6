"""The vault of the tenant whose request is running, for the tools and pages of a hosted server.

Set by the HTTP gate for one request (``server/tenants.py``) after the request's token named
the tenant; read by a tool or page through its context. asyncio copies context variables into
the tasks a request starts, and anyio into the threads sync tools and pages run in, so each
request sees its own tenant only. Read with no tenant set, it raises instead of falling back to
some vault: a path that forgot to set it fails loudly and shows no one anything.
"""

from __future__ import annotations

from contextvars import ContextVar

from memvault.core.errors import MemvaultError
from memvault.hosting.registry import Tenant
from memvault.service.vault import Vault

_CURRENT: ContextVar[tuple[Tenant, Vault] | None] = ContextVar("memvault_tenant", default=None)


class NoTenantError(MemvaultError):
    """A hosted server's tool or page ran outside a tenant's request (a bug, never a fallback)."""


def current() -> tuple[Tenant, Vault]:
    found = _CURRENT.get()
    if found is None:
        raise NoTenantError("no tenant is set for this request")
    return found


def current_vault() -> Vault:
    return current()[1]


def set_current(tenant: Tenant, vault: Vault) -> object:
    """Set the request's tenant and vault; returns what :func:`reset_current` needs."""
    return _CURRENT.set((tenant, vault))


def reset_current(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]
