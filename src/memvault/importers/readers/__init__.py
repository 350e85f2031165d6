"""Readers of foreign stores: MariaDB/MySQL and PostgreSQL tables, ChromaDB's files, JSONL
files and the reference MCP memory server's graph.

The only modules outside ``memvault.storage`` allowed a database driver and SQL (an explicit
allow-list in ``tests/test_architecture.py``): they read someone else's schema, read-only.
"""
