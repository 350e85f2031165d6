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
from memvault.service.vault import Vault

_CURRENT: ContextVar[Vault | None] = ContextVar("memvault_tenant_vault", default=None)


class NoTenantError(MemvaultError):
    """A hosted server's tool or page ran outside a tenant's request (a bug, never a fallback)."""


def current_vault() -> Vault:
    vault = _CURRENT.get()
    if vault is None:
        raise NoTenantError("no tenant is set for this request")
    return vault


def set_current(vault: Vault | None) -> object:
    """Set the request's vault; returns what :func:`reset_current` needs to undo it."""
    return _CURRENT.set(vault)


def reset_current(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]
