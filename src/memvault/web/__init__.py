"""The web page for the people behind the agents: search, browse and edit, graph, operations and
sessions, served by ``memvault serve --http`` at ``/`` beside ``/mcp``.

A shell like ``server/``: it calls the public :class:`~memvault.service.vault.Vault` only, and
``cli/serve.py`` puts the two side by side on one port (``server/http.py`` checks Host and
Origin for both; the page logs in with the same token).
"""

from memvault.web.app import build_pages
from memvault.web.auth import SessionAuth, WebAuth
from memvault.web.tenant_auth import TenantAuth

__all__ = ["SessionAuth", "TenantAuth", "WebAuth", "build_pages"]
