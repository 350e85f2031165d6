"""Import sources that live in other databases: a MariaDB/MySQL or PostgreSQL table.

``open_table_source(url, mapping)`` picks the engine by the URL's scheme and imports its driver
only then, so a machine without PyMySQL can still read PostgreSQL, and the other way round.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from memvault.errors import InvalidInputError
from memvault.importers.mapping import TableMapping
from memvault.storage.sources.tables import TableSource

MYSQL_SCHEMES = ("mysql", "mariadb", "mysql+pymysql")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def open_table_source(url: str, mapping: TableMapping) -> TableSource:
    """The table source for ``url`` (``mysql://…``, ``mariadb://…``, ``postgresql://…``).

    Nothing is connected yet: the first ``count``, ``batches`` or ``search`` connects.
    """
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in MYSQL_SCHEMES:
        from memvault.storage.sources.mysql import MysqlSource

        return MysqlSource(url, mapping)
    if scheme in POSTGRES_SCHEMES:
        from memvault.storage.sources.postgres import PostgresSource

        return PostgresSource(url, mapping)
    raise InvalidInputError(
        "a table source URL starts with mysql://, mariadb:// or postgresql://, "
        f"not {scheme or 'this'}"
    )


__all__ = ["TableSource", "open_table_source"]
