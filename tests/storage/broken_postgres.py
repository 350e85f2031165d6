"""A pytest plugin that breaks one method of the PostgreSQL engine on purpose.

``test_contract_meta.py`` runs the contract suite with it (``-p tests.storage.broken_postgres``)
to show the suite notices: a supersede that forgets to close the old memory looks fine to any
caller that does not read the old memory back.
"""

from __future__ import annotations

from memvault.storage.postgres.memories import PostgresMemories


def _supersede_leaving_the_old_one_current(
    self: PostgresMemories, old_id: str, new_id: str, at: str
) -> None:
    return None


PostgresMemories.supersede = _supersede_leaving_the_old_one_current  # type: ignore[method-assign]
