"""Embedding one search query with ONNX Runtime and the tokenizer alone.

Importing sentence-transformers (with torch and transformers) takes about 7 s here, more than
the whole of a `litfeed search` otherwise. A query needs only the model's tokenizer, its ONNX
file (exported by sentence-transformers, see `embeddings.py`) and its pooling, all of which the
exported directory describes in sentence-transformers' own files; this module reads them and
runs the same graph on the same token ids, so its vectors equal sentence-transformers' (a test
holds them to it). A model whose modules are anything but a transformer, a pooling of the mean,
the first token or the maximum, and an optional normalisation, or that prepends a default
prompt, is left to sentence-transformers (`QueryEncoder.open` returns None).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
POOLINGS = ("mean", "cls", "max")
# sentence-transformers' legacy pooling flags (still read by it) and what each means here.
_LEGACY_POOLING_FLAGS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}


class QueryEncoder:
    """One text's vector; with ``windows``, a text longer than the model's window is read in
    consecutive windows and pooled over all of them (for mean pooling: the mean of every
    token's vector, each computed within its window), so the vector stands for the whole text
    rather than its first ``max_tokens`` tokens."""

    def __init__(
        self, session: Any, tokenizer: Any, pooling: str, lower_case: bool, windows: bool
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._pooling = pooling
        self._lower_case = lower_case
        self._windows = windows
        self._inputs = {item.name for item in session.get_inputs()}
        self.dimension = int(self.embed("dimension").shape[0])

    @classmethod
    def open(
        cls, directory: Path, onnx_file: str, max_tokens: int, windows: bool = False
    ) -> QueryEncoder | None:
        """The encoder for a sentence-transformers directory with an ONNX file, or None when
        the model is of a kind this does not reproduce.

        One thread per text: a query of a few words is embedded as fast on one thread as on
        two (p50 7.3 ms against 8.6 ms over HTTP), and ONNX Runtime's pool of one thread per
        core spins while it waits, which took a third of a core from a busy web process (one
        process served 88 requests/s with 1.49 cores; with one thread 103 with 1.13, and two
        processes 157 against 201). Concurrency comes from requests, and for papers from
        several encoders (`Embedder._embed_one_by_one`)."""
        try:
            modules = json.loads((directory / "modules.json").read_text())
            options = _read_json(directory / "config_sentence_transformers.json")
            settings = _read_json(directory / "sentence_bert_config.json")
        except (OSError, ValueError):
            return None
        kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        if options.get("default_prompt_name"):
            return None
        pooling = _pooling(directory / modules[1].get("path", "") / "config.json")
        if pooling is None or not (directory / "tokenizer.json").exists():
            return None
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(directory / onnx_file), options, providers=["CPUExecutionProvider"]
        )
        return cls(session, tokenizer, pooling, bool(settings.get("do_lower_case")), windows)

    def embed(self, text: str) -> Vectors:
        """The unit vector of one text. Each window is run alone: with int8 activations
        quantised per run, a window's vectors would otherwise depend on its batch-mates."""
        encoding = self._tokenizer.encode(text.lower() if self._lower_case else text)
        parts = [encoding, *encoding.overflowing] if self._windows else [encoding]
        pooled = [self._pool(self._run(part)) for part in parts]
        if len(pooled) == 1:
            vector = pooled[0]
        elif self._pooling == "max":
            vector = np.max(pooled, axis=0)
        elif self._pooling == "mean":  # every token counts once, whichever window it is in
            sizes = np.array([len(part.ids) for part in parts], dtype=np.float32)
            vector = np.average(pooled, axis=0, weights=sizes)
        else:
            vector = np.mean(pooled, axis=0)
        return np.asarray(vector / np.linalg.norm(vector), dtype=np.float32)

    def _run(self, encoding: Any) -> npt.NDArray[np.float32]:
        columns = {
            "input_ids": encoding.ids,
            "attention_mask": encoding.attention_mask,
            "token_type_ids": encoding.type_ids,
        }
        feed = {
            name: np.asarray([values], dtype=np.int64)
            for name, values in columns.items()
            if name in self._inputs
        }
        return np.asarray(self._session.run(None, feed)[0][0], dtype=np.float32)

    def _pool(self, tokens: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        if self._pooling == "cls":
            pooled = tokens[0]
        elif self._pooling == "max":
            pooled = tokens.max(axis=0)
        else:  # one text: no padding, every token counts
            pooled = tokens.mean(axis=0)
        return np.asarray(pooled, dtype=np.float32)


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _pooling(path: Path) -> str | None:
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    mode = config.get("pooling_mode")
    if mode is None:
        chosen = [name for flag, name in _LEGACY_POOLING_FLAGS.items() if config.get(flag)]
        other_flags = [
            flag
            for flag, value in config.items()
            if flag.startswith("pooling_mode") and value and flag not in _LEGACY_POOLING_FLAGS
        ]
        mode = chosen[0] if len(chosen) == 1 and not other_flags else None
    return mode if mode in POOLINGS else None
