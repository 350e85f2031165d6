"""Which column of a source table becomes which field of a memory.

A mapping names the table, its key column (``id``: integer, text or uuid, used for keyset
paging, so it should be the primary key or unique) and the column with the text (``content``);
every other field is optional. It comes from a preset, a TOML file and flags, in that order,
each overriding the one before.

A column reference is a column name (letters, digits, ``_`` and ``$``; quoted by the source, so
case and reserved words are fine), or ``column.key`` (``column.key.subkey``) for a value inside a
JSON / JSONB column, e.g. ``payload.data``. The table may be qualified: ``schema.table`` in
PostgreSQL, ``database.table`` in MariaDB/MySQL. ``id``, ``metadata`` and ``metadata_json``
must be plain columns.

Mapping file (TOML)::

    preset = "seed-notes"        # optional: start from a preset, override below

    [table]
    name = "notes"               # required (here, in a preset, or as --table)
    id = "id"                    # required
    content = "body"             # required

    [fields]                     # all optional
    kind = "kind"
    namespace = "project"
    tags = "tags"                # comma-separated text, JSON array text, or an array column
    created_at = "created_at"    # timestamps: datetime columns, ISO 8601 text, or epoch seconds
    updated_at = "updated_at"
    importance = "priority"      # numbers between 0 and 1
    confidence = "confidence"
    vector = "embedding"         # pgvector vector, float array, JSON array text, float32 blob
    metadata = ["title", "author"]   # copied into metadata under their column names
    metadata_json = "extra"      # a JSON object column merged into metadata

    [defaults]                   # constants for rows where kind / namespace are not given
    kind = "note"
    namespace = "imported"

Flags (``--map FIELD=COLUMN``, repeatable) take the same field names, plus ``default_kind=`` and
``default_namespace=`` (a constant, not a column). ``--map metadata=a,b`` lists columns; a second
``--map metadata=c`` adds to the first. An empty value (``--map kind=``) drops a field a preset or
file set.

Presets (``--preset``):

``mem0``
    mem0's pgvector collection (table ``mem0`` unless renamed): ``id`` uuid, ``vector``
    ``vector(N)``, ``payload`` jsonb holding ``data`` (the text), ``hash``, ``created_at``,
    ``updated_at``, ``user_id`` (the namespace), ``agent_id``, ``run_id`` and the caller's
    metadata; the rest of the payload lands in metadata.
``letta-archival``
    Letta (MemGPT) archival memory, table ``archival_passages``: ``id`` (``passage-…``), ``text``,
    ``embedding`` (pgvector, zero-padded by Letta to 4096 dimensions), ``created_at`` and the
    ``metadata_`` JSON column. Rows Letta marked ``is_deleted`` are read like the others.
``seed-notes``
    A plain notes table ``notes``: ``id``, ``title`` (kept in metadata), ``content``, ``tags``,
    ``created_at``, ``updated_at``; kind ``note``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from memvault.core import inputs
from memvault.core.errors import InvalidInputError

_IDENTIFIER = re.compile(r"^[^\W\d][\w$]{0,62}$")
_JSON_KEY = re.compile(r"^[\w$@:\-]{1,128}$")

# Optional fields that name one column (or a JSON path inside one).
COLUMN_FIELDS = (
    "kind",
    "namespace",
    "tags",
    "created_at",
    "updated_at",
    "importance",
    "confidence",
    "vector",
)
FIELDS = ("id", "content", *COLUMN_FIELDS, "metadata", "metadata_json")


@dataclass(frozen=True, slots=True)
class TableMapping:
    """Column names (see the module docstring for references into JSON columns)."""

    table: str
    id: str
    content: str
    kind: str | None = None
    namespace: str | None = None
    tags: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    importance: str | None = None
    confidence: str | None = None
    vector: str | None = None
    metadata: tuple[str, ...] = ()
    metadata_json: str | None = None
    default_kind: str | None = None
    default_namespace: str | None = None

    def __post_init__(self) -> None:
        table_name(self.table)
        column_ref(self.id, "id", plain=True)
        column_ref(self.content, "content")
        for name in COLUMN_FIELDS:
            value = getattr(self, name)
            if value is not None:
                column_ref(value, name)
        if not isinstance(self.metadata, tuple):
            raise InvalidInputError("metadata must be a tuple of column names")
        for column in self.metadata:
            column_ref(column, "metadata", plain=True)
        if self.metadata_json is not None:
            column_ref(self.metadata_json, "metadata_json", plain=True)
        if self.default_kind is not None:
            object.__setattr__(self, "default_kind", inputs.name(self.default_kind, "kind"))
        if self.default_namespace is not None:
            object.__setattr__(self, "default_namespace", inputs.namespace(self.default_namespace))

    def references(self) -> dict[str, str]:
        """Every single-column field that is set: field name → column reference."""
        found = {"id": self.id, "content": self.content}
        for name in COLUMN_FIELDS:
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        return found

    def columns(self) -> tuple[str, ...]:
        """The distinct columns a source has to read, the id first."""
        seen: dict[str, None] = {}
        for ref in self.references().values():
            seen[column_ref(ref, "column")[0]] = None
        for column in self.metadata:
            seen[column] = None
        if self.metadata_json is not None:
            seen[self.metadata_json] = None
        return tuple(seen)


def table_name(value: object) -> tuple[str, ...]:
    """``table`` or ``schema.table`` → its parts, each a valid identifier."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("the table name is empty")
    parts = tuple(value.strip().split("."))
    if len(parts) > 2 or not all(_IDENTIFIER.match(part) for part in parts):
        raise InvalidInputError(
            f"table {value!r} is not a table name: use letters, digits, _ or $ "
            "(at most 63 characters), optionally qualified as schema.table"
        )
    return parts


def column_ref(value: object, field: str, *, plain: bool = False) -> tuple[str, tuple[str, ...]]:
    """``column`` or ``column.key.subkey`` → (column, JSON keys)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field}: the column name is empty")
    column, *keys = value.strip().split(".")
    if not _IDENTIFIER.match(column):
        raise InvalidInputError(
            f"{field}: {value!r} is not a column name: use letters, digits, _ or $ "
            "(at most 63 characters)"
        )
    if keys and plain:
        raise InvalidInputError(f"{field} must be a column, not a path into JSON ({value!r})")
    for key in keys:
        if not _JSON_KEY.match(key):
            raise InvalidInputError(f"{field}: {key!r} in {value!r} is not a JSON key")
    return column, tuple(keys)


PRESETS: dict[str, dict[str, Any]] = {
    "mem0": {
        "table": "mem0",
        "id": "id",
        "content": "payload.data",
        "namespace": "payload.user_id",
        "created_at": "payload.created_at",
        "updated_at": "payload.updated_at",
        "vector": "vector",
        "metadata_json": "payload",
    },
    "letta-archival": {
        "table": "archival_passages",
        "id": "id",
        "content": "text",
        "vector": "embedding",
        "created_at": "created_at",
        "metadata_json": "metadata_",
    },
    "seed-notes": {
        "table": "notes",
        "id": "id",
        "content": "content",
        "tags": "tags",
        "created_at": "created_at",
        "updated_at": "updated_at",
        "metadata": ("title",),
        "default_kind": "note",
    },
}


def load_mapping(
    *,
    mapping_file: Path | None = None,
    table: str | None = None,
    id: str | None = None,
    content: str | None = None,
    fields: list[str] | None = None,
    preset: str | None = None,
) -> TableMapping:
    """Preset, then file, then flags, each overriding the one before."""
    values: dict[str, Any] = {}
    from_file: dict[str, Any] = {}
    if mapping_file is not None:
        from_file = _read_file(mapping_file)
        file_preset = from_file.pop("preset", None)
        if preset is None:
            preset = file_preset
    if preset is not None:
        values.update(_preset(preset))
    values.update(from_file)
    values.update(_parse_flags(fields or []))
    for name, given in (("table", table), ("id", id), ("content", content)):
        if given is not None:
            values[name] = given
    for name, flag in (("table", "--table"), ("id", "--id"), ("content", "--content")):
        if not values.get(name):
            where = "[table] name" if name == "table" else f"[table] {name}"
            raise InvalidInputError(
                f"the mapping has no {name}: give {flag} or set {where} in the mapping file"
            )
    return TableMapping(**values)


def _preset(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise InvalidInputError(f"unknown preset {name!r}; presets: {known}")
    return dict(PRESETS[name])


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInputError(f"mapping file {path} not found") from exc
    except OSError as exc:
        raise InvalidInputError(f"cannot read mapping file {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: not valid TOML: {exc}") from exc
    values: dict[str, Any] = {}
    for key, section in data.items():
        if key == "preset":
            values["preset"] = _text(section, path, "preset")
            continue
        if key not in {"table", "fields", "defaults"}:
            raise InvalidInputError(
                f"{path}: unknown entry {key!r}; use preset, [table], [fields], [defaults]"
            )
        if not isinstance(section, dict):
            raise InvalidInputError(f"{path}: {key} must be a table ([{key}])")
        for name, value in section.items():
            values.update(_file_entry(path, key, name, value))
    return values


def _file_entry(path: Path, section: str, name: str, value: object) -> dict[str, Any]:
    where = f"[{section}] {name}"
    if section == "table":
        allowed = {"name": "table", "id": "id", "content": "content"}
    elif section == "defaults":
        allowed = {"kind": "default_kind", "namespace": "default_namespace"}
    else:
        allowed = {name: name for name in FIELDS}
    if name not in allowed:
        known = ", ".join(allowed)
        raise InvalidInputError(f"{path}: unknown field {where}; [{section}] takes {known}")
    field = allowed[name]
    if field == "metadata":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInputError(f"{path}: {where} must be a list of column names")
        return {field: tuple(_split(",".join(value)))}
    return {field: _text(value, path, where) or None}


def _text(value: object, path: Path, where: str) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{path}: {where} must be a string, not {type(value).__name__}")
    return value.strip()


def _parse_flags(pairs: list[str]) -> dict[str, Any]:
    known = {f.name for f in fields(TableMapping)} - {"table"}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name:
            raise InvalidInputError(f"--map {pair!r}: use FIELD=COLUMN (e.g. tags=labels)")
        if name not in known:
            names = ", ".join(sorted(known))
            raise InvalidInputError(f"--map {pair!r}: unknown field {name!r}; fields: {names}")
        if name == "metadata":
            columns = tuple(_split(column))
            values[name] = (*values.get(name, ()), *columns) if column else ()
        else:
            values[name] = column or None
    return values


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
