"""Vectors out of a Chroma HNSW segment folder, read from its files (no chromadb, no hnswlib).

A Chroma persistent directory keeps each collection's vector index in a folder named after the
vector segment's id. chromadb 0.x (through the hnswlib Python binding) and 1.x (through the
Rust binding) write it alike, as chroma-hnswlib's "persistent index" (``PERSISTENCE_VERSION``
1), all little-endian:

- ``header.bin``: ``int32`` version, then ``size_t`` offsetLevel0, max_elements,
  cur_element_count, size_data_per_element, label_offset, offsetData, ``int32`` maxlevel,
  ``uint32`` enterpoint, ``size_t`` maxM, maxM0, M, ``double`` mult, ``size_t`` ef_construction
  (100 bytes).
- ``data_level0.bin``: one fixed-size record per element (0.x preallocates ``max_elements`` of
  them, 1.x writes ``cur_element_count``): the level-0 link list (``uint32`` count whose third
  byte holds the delete mark, then maxM0 neighbour ids), the vector (``float32`` x dim, at
  offsetData) and the element's label (``uint64``, at label_offset).
- ``length.bin``: one ``float32`` per element. In the cosine space hnswlib stores the vector
  normalised and keeps its original length here; Chroma multiplies it back on ``get``, and so do
  we.
- ``link_lists.bin``: the upper levels of the graph (not needed to read vectors).
- ``index_metadata.pickle``: the Chroma id <-> label mapping. 0.x pickles an instance of
  ``chromadb.segment.impl.vector.local_persistent_hnsw.PersistentData``; 1.x pickles a plain
  dict with the same keys. Loaded with an unpickler that resolves that one class name to an
  inert stand-in and refuses every other global, so a pickle planted in a directory cannot run
  code.

Nothing here writes: files are opened ``rb`` and mapped with ``ACCESS_READ``. Whatever cannot be
read (missing folder or file, truncated records, a refused pickle) becomes a line in
``problems`` and the affected ids simply have no vector.
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

PERSISTENCE_VERSION = 1
HEADER = struct.Struct("<iQQQQQQiIQQQdQ")  # 100 bytes, see the module docstring
DELETE_MARK = 0x01
PICKLE_FILE = "index_metadata.pickle"
PERSISTENT_DATA = ("chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData")
MAX_PICKLE_BYTES = 1 << 31  # the mapping of ~20 million ids; anything larger is not Chroma's


class HnswFormatError(Exception):
    """A segment file is not what chroma-hnswlib writes (internal: becomes a problem line)."""


@dataclass(frozen=True, slots=True)
class HnswHeader:
    version: int
    offset_level0: int
    max_elements: int
    element_count: int
    size_per_element: int
    label_offset: int
    offset_data: int
    max_level: int
    entry_point: int
    max_m: int
    max_m0: int
    m: int
    mult: float
    ef_construction: int

    @property
    def dimension(self) -> int:
        return (self.label_offset - self.offset_data) // 4

    @classmethod
    def parse(cls, data: bytes) -> HnswHeader:
        if len(data) < HEADER.size:
            raise HnswFormatError(f"header.bin has {len(data)} bytes, expected {HEADER.size}")
        header = cls(*HEADER.unpack_from(data))
        if header.version != PERSISTENCE_VERSION:
            raise HnswFormatError(f"header.bin has persistence version {header.version}")
        links_level0 = header.max_m0 * 4 + 4
        data_size = header.label_offset - header.offset_data
        if (
            header.offset_level0 != 0
            or header.offset_data != links_level0
            or data_size <= 0
            or data_size % 4
            or header.size_per_element != header.label_offset + 8
            or header.element_count > header.max_elements
        ):
            raise HnswFormatError("header.bin describes an element layout hnswlib does not write")
        return header


class _PersistentData:
    """Inert stand-in for chromadb's ``PersistentData``: takes its state and nothing else."""

    def __init__(self) -> None:
        self.state: dict[Any, Any] = {}

    def __setstate__(self, state: object) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("PersistentData state is not a dict")
        self.state = state


class _RestrictedUnpickler(pickle.Unpickler):
    """Builds only builtin containers and scalars, plus the stand-in above.

    Every global a pickle names goes through ``find_class`` (GLOBAL, STACK_GLOBAL and the EXT
    opcodes alike), so refusing all but one name leaves a hostile pickle nothing to call:
    REDUCE, NEWOBJ and BUILD can only reach ``_PersistentData``.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == PERSISTENT_DATA:
            return _PersistentData
        raise pickle.UnpicklingError(f"refused to load {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("refused a persistent id")


def load_id_to_label(path: Path) -> tuple[dict[str, int], int | None]:
    """The Chroma id -> hnswlib label mapping of ``index_metadata.pickle``, safely, and the
    ``max_seq_id`` that 0.x pickles kept before it moved to SQLite (None when absent)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_PICKLE_BYTES + 1)
    if len(data) > MAX_PICKLE_BYTES:
        raise HnswFormatError(f"{PICKLE_FILE} is larger than any Chroma mapping")
    try:
        loaded = _RestrictedUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError) as exc:
        raise HnswFormatError(f"{PICKLE_FILE} is unreadable: {exc}") from exc
    except Exception as exc:  # a damaged pickle can fail in many ways; none may escape as a bug
        raise HnswFormatError(f"{PICKLE_FILE} is unreadable: {type(exc).__name__}") from exc
    state = loaded.state if isinstance(loaded, _PersistentData) else loaded
    if not isinstance(state, dict):
        raise HnswFormatError(f"{PICKLE_FILE} holds a {type(state).__name__}, not a mapping")
    mapping = state.get("id_to_label")
    if not mapping and isinstance(state.get("label_to_id"), dict):
        mapping = {v: k for k, v in state["label_to_id"].items()}
    if not isinstance(mapping, dict):
        raise HnswFormatError(f"{PICKLE_FILE} has no id_to_label mapping")
    for key, value in mapping.items():
        if not isinstance(key, str) or type(value) is not int or value < 0:
            raise HnswFormatError(f"{PICKLE_FILE} maps {key!r} to {value!r}")
    max_seq_id = state.get("max_seq_id")
    return mapping, max_seq_id if type(max_seq_id) is int else None


class HnswSegment:
    """Vectors of one HNSW segment folder by Chroma id; whatever is unreadable is reported.

    ``expected``: whether Chroma has flushed this segment at least once (its ``max_seq_id`` is
    recorded), so that a missing folder or mapping is damage rather than "nothing flushed yet".
    """

    def __init__(
        self, folder: Path, *, dimension: int | None, cosine: bool, expected: bool
    ) -> None:
        self.folder = folder
        self.problems: list[str] = []
        self._cosine = cosine
        self._mapping: dict[str, int] | None = None
        self.legacy_max_seq_id: int | None = None
        self._slots: dict[int, int] = {}  # label -> element index, live elements only
        self._header: HnswHeader | None = None
        self._mmap: mmap.mmap | None = None
        self._lengths: npt.NDArray[np.float32] | None = None
        self._dimension = dimension
        if not folder.is_dir():
            if expected:
                self._problem(f"HNSW segment folder {folder.name} is missing")
            else:
                self._mapping = {}  # never flushed: every vector is still in the queue
            return
        self._load_mapping(expected)
        self._load_elements()
        if self._mapping == {} and self._slots and not (folder / PICKLE_FILE).exists():
            # Chroma recorded no flush, yet the index holds elements: the mapping is lost
            self._problem(f"{folder.name}/{PICKLE_FILE} is missing")
            self._mapping = None

    @property
    def dimension(self) -> int | None:
        return self._header.dimension if self._header is not None else None

    def contains(self, chroma_id: str) -> bool | None:
        """Whether the flushed index holds ``chroma_id`` (None: the mapping was lost)."""
        return None if self._mapping is None else chroma_id in self._mapping

    def has_vector(self, chroma_id: str) -> bool:
        return self._slot(chroma_id) is not None

    def vector(self, chroma_id: str) -> npt.NDArray[np.float32] | None:
        slot = self._slot(chroma_id)
        if slot is None or self._mmap is None or self._header is None:
            return None
        header = self._header
        start = slot * header.size_per_element + header.offset_data
        raw = np.frombuffer(self._mmap, dtype="<f4", count=header.dimension, offset=start)
        vector = raw.astype(np.float32)  # a copy: nothing keeps the map exported
        del raw
        if self._cosine:
            # hnswlib stored it unit-length; scale back unless it evidently was not normalised
            # (a mislabelled space must not multiply by a length that was never written)
            length = self._length(slot)
            if length is not None and abs(float(np.dot(vector, vector)) - 1.0) < 1e-3:
                vector *= length
        return vector

    def close(self) -> None:
        if self._mmap is not None:
            self._mmap.close()
            self._mmap = None

    # -- loading -------------------------------------------------------------------------------

    def _problem(self, text: str) -> None:
        self.problems.append(text)

    def _load_mapping(self, expected: bool) -> None:
        path = self.folder / PICKLE_FILE
        if not path.is_file():
            if expected:
                self._problem(f"{self.folder.name}/{PICKLE_FILE} is missing")
            else:
                self._mapping = {}
            return
        try:
            self._mapping, self.legacy_max_seq_id = load_id_to_label(path)
        except (HnswFormatError, OSError) as exc:
            self._problem(f"{self.folder.name}/{PICKLE_FILE}: {exc}")

    def _load_elements(self) -> None:
        name = self.folder.name
        try:
            self._header = HnswHeader.parse((self.folder / "header.bin").read_bytes())
        except FileNotFoundError:
            self._problem(f"{name}/header.bin is missing")
            return
        except (HnswFormatError, OSError) as exc:
            self._problem(f"{name}/header.bin: {exc}")
            return
        header = self._header
        if self._dimension is not None and header.dimension != self._dimension:
            self._problem(
                f"{name}/header.bin says {header.dimension}-d but the collection is "
                f"{self._dimension}-d"
            )
            self._header = None
            return
        path = self.folder / "data_level0.bin"
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size:
                    self._mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            self._problem(f"{name}/data_level0.bin is missing")
            return
        except (OSError, ValueError) as exc:
            self._problem(f"{name}/data_level0.bin: {exc}")
            return
        complete = min(header.element_count, size // header.size_per_element)
        if complete < header.element_count:
            self._problem(
                f"{name}/data_level0.bin is truncated: {complete} of "
                f"{header.element_count} elements readable"
            )
        if complete and self._mmap is not None:
            self._slots = self._live_labels(complete)
        if self._cosine:
            self._load_lengths(complete)

    def _live_labels(self, count: int) -> dict[int, int]:
        assert self._mmap is not None and self._header is not None
        header = self._header
        stride = header.size_per_element
        labels = np.ndarray(
            (count,), dtype="<u8", buffer=self._mmap, offset=header.label_offset, strides=(stride,)
        ).copy()
        flags = np.ndarray(
            (count,),
            dtype=np.uint8,
            buffer=self._mmap,
            offset=header.offset_level0 + 2,
            strides=(stride,),
        ).copy()
        live = (flags & DELETE_MARK) == 0
        return {
            int(label): int(i) for i, label in zip(np.flatnonzero(live), labels[live], strict=True)
        }

    def _load_lengths(self, count: int) -> None:
        path = self.folder / "length.bin"
        try:
            with path.open("rb") as handle:
                data = handle.read(count * 4)
        except OSError:
            data = b""
        usable = len(data) // 4
        self._lengths = np.frombuffer(data[: usable * 4], dtype="<f4").astype(np.float32)
        if usable < count:
            self._problem(
                f"{self.folder.name}/length.bin has {usable} of {count} lengths: the other "
                "cosine vectors come back unit-length (same direction)"
            )

    def _length(self, slot: int) -> np.float32 | None:
        if self._lengths is None or slot >= len(self._lengths):
            return None
        length = self._lengths[slot]
        return length if np.isfinite(length) and length >= 0 else None

    def _slot(self, chroma_id: str) -> int | None:
        if self._mapping is None:
            return None
        label = self._mapping.get(chroma_id)
        return None if label is None else self._slots.get(label)
