"""Tests of the SQLite engine's own internals, which no other engine shares.

Behaviour any engine must have belongs in ``tests/storage/contract``; what is here is how the
SQLite engine gets it: the single writer and its checkpoints, migrations and the committed v1
fixture, the in-process vector index and its snapshot file, the FTS5 scoring budget, and raw
rows that the protocols cannot show.
"""
