"""Write the example slice of arXiv metadata that `litfeed load-examples` (and `make run`)
loads beside the saved Hugging Face pages: the papers of the last two announcement weeks of the
74,728-paper corpus in ../shared/data (CC0 arXiv metadata), as the corpus has them.

    .venv/bin/python scripts/example_slice.py [--corpus PATH] [--days 14]
"""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
TARGET = ROOT / "src/litfeed/examples/arxiv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--days", type=int, default=14)
    arguments = parser.parse_args()
    with gzip.open(arguments.corpus, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    newest = max(date.fromisoformat(r["first_listing_date"]) for r in records)
    first = newest - timedelta(days=arguments.days - 1)
    kept = [r for r in records if date.fromisoformat(r["first_listing_date"]) >= first]
    kept.sort(key=lambda r: (r["first_listing_date"], r["id"]))
    TARGET.mkdir(parents=True, exist_ok=True)
    for old in TARGET.glob("*.jsonl.gz"):
        old.unlink()
    path = TARGET / f"arxiv-cs-{first}_{newest}.jsonl.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as raw:  # the same bytes for the same papers
        raw.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept).encode())
    print(
        f"{path.relative_to(ROOT)}: {len(kept):,} papers of {first} to {newest}, "
        f"{path.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
