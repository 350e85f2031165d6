"""One cell of a source table → one field of a record, and the keyset checkpoint of a row's id.

Drivers hand the same column back in different shapes (PostgreSQL: ``datetime``, ``list``,
parsed JSON; MariaDB: naive ``datetime``, text, bytes), and users map whatever their tables
hold, so every converter takes what it gets: timestamps as ISO 8601 UTC (a naive time is UTC,
numbers are epoch seconds or milliseconds), tags from text, JSON or arrays, vectors as float32
from a list, pgvector text or a little-endian blob, other values as plain JSON. A value that
cannot be converted raises :class:`RowProblem`, which fails its row and not the batch.

The checkpoint is the last id with its type (``int:42``, ``text:note-7``, ``uuid:…``), so
integer and text keys both resume.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from memvault.core import inputs
from memvault.core.errors import InvalidInputError, MemvaultError
from memvault.core.times import format_timestamp, normal_timestamp

T = TypeVar("T")


# --- keyset checkpoints ------------------------------------------------------------------------


def encode_checkpoint(key: object) -> str:
    if isinstance(key, bool):
        raise _unsupported_key(key)
    if isinstance(key, int):
        return f"int:{key}"
    if isinstance(key, uuid.UUID):
        return f"uuid:{key}"
    if isinstance(key, str):
        return f"text:{key}"
    raise _unsupported_key(key)


def decode_checkpoint(checkpoint: str | None) -> int | str | None:
    if checkpoint is None:
        return None
    kind, sep, value = checkpoint.partition(":")
    if sep:
        if kind == "int":
            try:
                return int(value)
            except ValueError:
                pass
        elif kind == "text":
            return value
        elif kind == "uuid":
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
    raise InvalidInputError(
        f"{checkpoint[:80]!r} is not a checkpoint of a table source (int:N, text:S or uuid:U)"
    )


def source_key(key: object) -> str:
    """A row's id as the record's ``source_id``."""
    if isinstance(key, bool) or not isinstance(key, int | str | uuid.UUID):
        raise _unsupported_key(key)
    return str(key)


def _unsupported_key(key: object) -> InvalidInputError:
    return InvalidInputError(
        f"the id column holds {type(key).__name__} values; keyset paging needs an integer, "
        "text or uuid key (map --id to another column)"
    )


# --- cells → fields ----------------------------------------------------------------------------


class RowProblem(Exception):
    """Why one row cannot become a record (the batch goes on)."""


def rule(check: Callable[[], T]) -> T:
    """Run one of memvault's input rules; a broken rule fails the row, not the batch."""
    try:
        return check()
    except MemvaultError as exc:
        raise RowProblem(str(exc)) from exc


def json_value(raw: object, column: str) -> Any:
    """A JSON column's value: drivers hand back objects (PostgreSQL) or text (MariaDB)."""
    if isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RowProblem(f"{column} is not valid JSON ({exc.msg})") from exc
    return raw


def text_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
    return text.strip() or None


def content(value: object) -> str:
    if value is None:
        raise RowProblem("content is empty (NULL)")
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RowProblem(f"content is not UTF-8 text (byte {exc.start})") from exc
    if not isinstance(value, str):
        raise RowProblem(f"content is not text ({type(value).__name__})")
    text = value
    return rule(lambda: inputs.content(text))


def tags(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items: object = value
    if isinstance(value, bytes):
        items = value.decode("utf-8", errors="replace")
    if isinstance(items, str):
        text = items.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RowProblem(f"tags look like JSON but are not ({exc.msg})") from exc
        elif text.startswith("{") and text.endswith("}") and '"' not in text:
            items = text[1:-1].split(",")  # a PostgreSQL array literal read as text
        else:
            items = text.split(",")
    if not isinstance(items, list | tuple):
        raise RowProblem(f"tags must be text or a list, not {type(items).__name__}")
    tags = [str(t).strip() for t in items if t is not None and str(t).strip()]
    return rule(lambda: inputs.tags(tags))


def unit(value: object, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]  # numbers, decimals, numeric text
    except (TypeError, ValueError) as exc:
        raise RowProblem(f"{field} must be a number between 0 and 1, got {value!r}") from exc
    return rule(lambda: inputs.unit_interval(number, field))


def timestamp(value: object, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_timestamp(value)  # a naive value is taken as UTC
    if isinstance(value, date):
        return format_timestamp(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise RowProblem(f"{field} is not a time ({value})")
        if abs(seconds) > 1e11:  # milliseconds since the epoch
            seconds /= 1000
        try:
            return format_timestamp(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError) as exc:
            raise RowProblem(f"{field} is not a time ({value})") from exc
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return normal_timestamp(value)
        except MemvaultError as exc:
            raise RowProblem(f"{field}: {exc}") from exc
    raise RowProblem(f"{field} is not a time ({type(value).__name__})")


def vector(value: object) -> npt.NDArray[np.float32] | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if not raw or len(raw) % 4:
            raise RowProblem(f"vector blob of {len(raw)} bytes is not float32 values")
        array = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    else:
        if isinstance(value, str):
            try:
                value = json.loads(value)  # pgvector's text form and JSON arrays alike
            except json.JSONDecodeError as exc:
                raise RowProblem(f"vector is not a list of numbers ({exc.msg})") from exc
        if not isinstance(value, list | tuple):
            raise RowProblem(f"vector is not a list of numbers ({type(value).__name__})")
        try:
            array = np.asarray([float(v) for v in value], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise RowProblem("vector is not a list of numbers") from exc
    if array.size == 0:
        raise RowProblem("vector is empty")
    if not np.isfinite(array).all():
        raise RowProblem("vector holds NaN or infinite values")
    return array


def plain(value: object) -> Any:
    """A column value as JSON: times as ISO 8601 UTC, decimals as numbers, bytes as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)
