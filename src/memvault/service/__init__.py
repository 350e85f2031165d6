"""The service layer: :class:`~memvault.service.vault.Vault` and the rules above storage.

Validation, ids and times, dedup, what supersede means, how searches are fused, which embedder
a vault uses and the worker that keeps its vectors current. The shells (CLI, MCP server,
evaluation) and the importers call this layer; it calls the folder, indexing and storage layers.
"""
