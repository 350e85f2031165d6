"""The embedded engine: one SQLite file in WAL mode, through apsw.

apsw rather than the stdlib ``sqlite3``: it ships the newest SQLite on every platform, can load
extensions (sqlite-vec) where the stdlib build cannot, and exposes FTS5 and the backup API fully.
"""
