"""Moving existing memory stores into memvault, idempotently, with proof (``memvault import``).

A *source* reads records from somewhere else (a MariaDB/MySQL or PostgreSQL table, a ChromaDB
directory, a JSONL file, the reference MCP memory server's knowledge graph) and hands them over
as :class:`~memvault.importers.records.SourceRecord` batches. The importer links each source
record to the memory it became, so a re-run imports nothing twice, and ``--verify`` compares
source and vault record by record.
"""
