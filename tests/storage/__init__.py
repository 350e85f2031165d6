"""Tests of persistence, in two suites.

``contract/`` is what every storage engine must do, written against the role protocols of
:mod:`memvault.storage.roles` only: a new engine (PostgreSQL) has to pass it unchanged.
``sqlite/`` is the SQLite engine's own machinery (its writer, migrations, vector index and
snapshot, FTS5 budget, raw rows), which no other engine shares.
"""
