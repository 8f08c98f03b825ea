"""What each index says of itself (how far it has followed the store, how many papers it holds,
which model made its vectors), read from the files its published generation carries, without
opening it: `litfeed stats` loads neither tantivy nor hnswlib."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litfeed.search.generations import Generations

KEYWORD_META = "cursor.json"  # written after each commit of the keyword index
VECTOR_META = "vectors.json"  # written with each save of the vector index


def keyword_state(directory: Path) -> dict[str, int]:
    """The published keyword index's documents and cursor."""
    meta = _published(directory, KEYWORD_META)
    return {"documents": int(meta.get("documents", 0)), "change": int(meta.get("change", 0))}


def vector_state(directory: Path) -> dict[str, Any]:
    """The published vector index's papers, cursor and model."""
    meta = _published(directory, VECTOR_META)
    return {
        "papers": meta.get("count", 0),
        "change": meta.get("change", 0),
        "model": meta.get("model"),
    }


def _published(directory: Path, name: str) -> dict[str, Any]:
    """The file ``name`` of the published generation; {} when there is none, or it is
    missing or unreadable."""
    generation = Generations(directory).current()
    try:
        return dict(json.loads((generation / name).read_text())) if generation else {}
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return {}
