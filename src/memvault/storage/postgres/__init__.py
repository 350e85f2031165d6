"""The PostgreSQL engine (psycopg 3, pgvector): the same roles as ``sqlite/``, for when one
machine is not enough. Each role is a module with its SQL beside it; ``store.py`` puts them
together."""
