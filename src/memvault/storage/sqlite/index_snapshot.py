"""A disposable snapshot of the in-process vector index, so a new process starts in milliseconds.

Building the index from ``memory_vectors`` reads every vector (1.3 s at 100k float32 here); a
CLI search or a freshly started MCP server would pay that each time. The snapshot holds the
same arrays, written beside the database (``memvault.db.vindex``) after a full build, and is
memory-mapped copy-on-write by the next process, which then replays ``vector_log`` from the
snapshot's sequence number. It is a cache, never the truth: it names the vectors' generation,
model, width and storage, and anything that does not match, is torn or was pruned past is
ignored and the index is rebuilt from the database (and the snapshot rewritten).

Format: ``MVIDX1\\n``, an 8-byte little-endian header length, a JSON header (arrays with dtype,
shape and offset), then each array's bytes at a 64-byte aligned offset.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"MVIDX1\n"
_ALIGN = 64


def save(path: Path, header: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Write atomically (temp file + rename); a failure leaves no snapshot, never a torn one."""
    layout: list[dict[str, Any]] = []
    offsets: list[int] = []
    offset = 0
    for name, array in arrays.items():
        layout.append(
            {"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        )
        offsets.append(offset)
        offset = _aligned(offset + array.nbytes)
    meta = json.dumps({**header, "arrays": layout}).encode()
    start = _aligned(len(MAGIC) + 8 + len(meta))
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as out:
            out.write(MAGIC + struct.pack("<Q", len(meta)) + meta)
            for at, array in zip(offsets, arrays.values(), strict=True):
                out.seek(start + at)
                out.write(np.ascontiguousarray(array).tobytes())
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)  # a cache that cannot be written is simply not there


def load(path: Path) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]] | None:
    """The header and copy-on-write mapped arrays, or None when absent or unreadable."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                return None
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
        start = _aligned(len(MAGIC) + 8 + length)
        size = path.stat().st_size
        arrays: dict[str, npt.NDArray[Any]] = {}
        for entry in header.pop("arrays"):
            dtype = np.dtype(entry["dtype"])
            shape = tuple(int(n) for n in entry["shape"])
            offset = start + int(entry["offset"])
            if offset + dtype.itemsize * int(np.prod(shape)) > size:
                return None  # torn or truncated
            if 0 in shape:
                arrays[entry["name"]] = np.zeros(shape, dtype=dtype)
                continue
            arrays[entry["name"]] = np.memmap(
                path, dtype=dtype, mode="c", offset=offset, shape=shape
            )
        return header, arrays
    except (OSError, ValueError, KeyError, TypeError, struct.error):
        return None


def _aligned(offset: int) -> int:
    return (offset + _ALIGN - 1) // _ALIGN * _ALIGN
