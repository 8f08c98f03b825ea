"""Run mutated real records through every importer on SQLite: crashes and good records lost.

    .venv/bin/python bench/fuzz_import.py [--mutated 100000] [--seed 1] [--records-per-file 50]

Real records (the 74,728-paper arXiv corpus and the recorded Hugging Face daily_papers response
from ../shared/data, the bundled example pages) are written into files (the corpus also as
OAI-PMH arXivRaw pages, Atom feeds and tars of .abs files) in which about half of the records
carry one hostile value (tests/hostile.py: text the database cannot hold, numbers
past every integer type, dates past the index's range, JSON nested 5,000 deep, ...) and are
imported with `litfeed.ingest.import_file` into a fresh SQLite database per format.

Prints, per format and in all: files, records, mutated records, rejections, crashes (an
exception other than "this file cannot be imported" escaping the import; target 0) and good
records lost (a record that was not mutated and is not in the database afterwards; target 0).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402

from litfeed.ingest import ImportFormatError, import_file  # noqa: E402
from litfeed.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared/data"
CORPUS = SHARED / "corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
DAILY = SHARED / "fixtures/hf-daily-papers/daily_papers_2024-10-25.json"
EXAMPLES = ROOT / "src/litfeed/examples/hf-papers-pages"


def corpus_records() -> Iterator[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def daily_entries() -> Iterator[dict[str, Any]]:
    """The recorded response's 29 entries, over and over, each copy under new arXiv ids."""
    entries = json.loads(DAILY.read_text())
    for number in itertools.count():
        renamed = json.loads(json.dumps(entries[number % len(entries)]))
        renamed["paper"]["id"] = f"{2400 + number // 99999}.{number % 99999 + 1:05d}"
        yield renamed


def page_pairs() -> Iterator[tuple[str, str]]:
    """The example pages' papers, over and over, each copy with a numbered title."""
    pairs = hostile.example_pairs(EXAMPLES)
    for copy in itertools.count():
        for title, abstract in pairs:
            yield (f"{title} ({copy})" if copy else title, abstract)


Builder = Callable[[list[Any], random.Random], hostile.MutatedFile]
FORMATS: dict[str, tuple[Callable[[], Iterator[Any]], Builder, str]] = {
    "arxiv-jsonl": (corpus_records, hostile.arxiv_jsonl_file, "jsonl"),
    "hf-daily-papers": (daily_entries, hostile.hf_daily_file, "json"),
    "hf-papers-page": (page_pairs, hostile.hf_pages_file, "txt"),
    "arxiv-oai-pmh": (corpus_records, hostile.oai_file, "xml"),
    "arxiv-atom": (corpus_records, hostile.atom_file, "xml"),
    "arxiv-abs": (corpus_records, hostile.abs_tar_file, "tar"),
}


def fuzz_format(
    name: str, mutated_target: int, per_file: int, rng: random.Random, directory: Path
) -> dict[str, int]:
    source, build, suffix = FORMATS[name]
    records = source()
    store = Store.open(f"sqlite:///{directory / f'{name}.db'}")
    totals = dict.fromkeys(("files", "records", "mutated", "rejected", "crashes", "lost"), 0)
    path = directory / f"fuzz.{suffix}"
    while totals["mutated"] < mutated_target:
        chunk = list(itertools.islice(records, per_file))
        if not chunk:
            break
        mutated = build(chunk, rng)
        path.write_bytes(mutated.data)
        totals["files"] += 1
        totals["records"] += len(chunk)
        totals["mutated"] += mutated.mutated
        try:
            report = import_file(store, path, format_name=name)
        except ImportFormatError:
            totals["lost"] += len(mutated.intact_ids)
            continue
        except Exception:  # a crash: what this benchmark exists to count
            totals["crashes"] += 1
            if totals["crashes"] <= 3:
                traceback.print_exc()
            continue
        totals["rejected"] += len(report.rejected)
        missing = [key for key in mutated.intact_ids if store.get_paper(key) is None]
        totals["lost"] += len(missing)
        if missing and totals["lost"] == len(missing):
            kept = directory / f"lost-{name}.{suffix}"
            path.rename(kept)
            print(f"  {name}: first lost records {missing[:3]}; file kept as {kept}")
    store.close()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutated", type=int, default=100_000, help="mutated records in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records-per-file", type=int, default=50)
    arguments = parser.parse_args()
    missing = [path for path in (CORPUS, DAILY) if not path.exists()]
    if missing:
        sys.exit(f"fuzz_import: {missing[0]} is absent (../shared/data is on development machines)")
    rng = random.Random(arguments.seed)
    per_format = -(-arguments.mutated // len(FORMATS))
    grand: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="litfeed-fuzz-") as temporary:
        for name in FORMATS:
            start = time.perf_counter()
            totals = fuzz_format(name, per_format, arguments.records_per_file, rng, Path(temporary))
            seconds = time.perf_counter() - start
            print(
                f"{name:<16} {totals['files']:>6,} files {totals['records']:>8,} records "
                f"{totals['mutated']:>8,} mutated {totals['rejected']:>8,} rejected "
                f"{totals['crashes']:>3} crashes {totals['lost']:>3} good records lost "
                f"({seconds:.0f} s)"
            )
            for key, value in totals.items():
                grand[key] = grand.get(key, 0) + value
    print(
        f"{'all':<16} {grand['files']:>6,} files {grand['records']:>8,} records "
        f"{grand['mutated']:>8,} mutated {grand['rejected']:>8,} rejected "
        f"{grand['crashes']:>3} crashes {grand['lost']:>3} good records lost"
    )
    print(f"crashes {grand['crashes']} (target 0), good records lost {grand['lost']} (target 0)")
    if grand["crashes"] or grand["lost"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
