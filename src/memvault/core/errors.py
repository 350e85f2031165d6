"""The errors memvault raises on purpose.

Every entry point (API, CLI, MCP) turns these into one clear line for the user, so each message
must make sense on its own: say what was wrong and, where useful, what to do instead. Anything
that is not a ``MemvaultError`` is a bug and is allowed to surface as one.
"""

from __future__ import annotations


class MemvaultError(Exception):
    """Base class: an expected failure with a message fit for the user."""


class InvalidInputError(MemvaultError, ValueError):
    """The caller passed something memvault will not store or cannot interpret."""


class NotFoundError(MemvaultError, LookupError):
    """A memory (or other record) with the given id does not exist."""


class ConflictError(MemvaultError):
    """The change would break a rule, such as two current memories with the same content."""


class StorageError(MemvaultError):
    """The database could not do what was asked (busy for too long, full disk, damaged file)."""


class DiskFullError(StorageError):
    """The disk (or the database server's) is full: the statement that hit it wrote nothing."""


class StorageBusyError(StorageError):
    """Another process held the write lock for longer than memvault is willing to wait."""


class SchemaVersionError(StorageError):
    """The database was written by a newer memvault than this one."""


class ModelMismatchError(ConflictError):
    """The vault's vectors were made by another model (or width) than the one configured now."""

    @classmethod
    def between(
        cls, stored_model: str, stored_dims: int, model: str, dims: int | None
    ) -> ModelMismatchError:
        now = model if dims is None else f"{model} ({dims}-d)"
        return cls(
            f"this vault's vectors were made by {stored_model} ({stored_dims}-d) but the "
            f"embedder is now {now}; run `memvault reembed` to re-embed every memory with it"
        )


class QuotaExceededError(MemvaultError):
    """A hosted tenant is at one of its quotas: the write is refused, nothing was written."""
