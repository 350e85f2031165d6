"""memvault over MCP: ``memvault serve`` (stdio) and ``memvault serve --http HOST:PORT``.

A shell like the CLI: every tool is a thin call into :class:`~memvault.service.vault.Vault`, one
tool per module in ``tools/``. Tool descriptions are one line and responses are compact JSON cut
to a token budget, because an agent pays for every token of ``tools/list`` and of every answer.
"""
