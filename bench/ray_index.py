"""`litfeed index --engine ray` against `litfeed index` on the same papers, in the same run:
N papers of the 74,728-paper corpus imported twice (two data directories, nothing embedded),
then each directory indexed by one engine; wall time of each command, and the ratio.

    .venv/bin/python bench/ray_index.py [--papers N]

The issue's target: the local Ray no slower than the single process (ratio <= 1.0). On two
cores both use both: the single process runs one single-threaded ONNX session per core, the
Ray pool one actor per core. Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    arguments = parser.parse_args()
    litfeed = str(ROOT / ".venv/bin/litfeed")
    with tempfile.TemporaryDirectory() as folder:
        part = Path(folder) / "part.jsonl"
        with gzip.open(CORPUS, "rt", encoding="utf-8") as source, part.open("w") as out:
            for number, line in enumerate(source):
                if number >= arguments.papers:
                    break
                out.write(line)
        times = {}
        for engine in ("local", "ray"):
            environment = {**os.environ, "LITFEED_DATA_DIR": str(Path(folder) / engine)}
            subprocess.run(
                [litfeed, "import", "--no-embed", "--no-progress", str(part)],
                env=environment,
                check=True,
                capture_output=True,
            )
            started = time.perf_counter()
            done = subprocess.run(
                [litfeed, "index", "--engine", engine, "--no-progress"],
                env=environment,
                check=True,
                capture_output=True,
                text=True,
            )
            times[engine] = time.perf_counter() - started
            print(f"{engine}: {times[engine]:.0f} s ({done.stdout.strip().splitlines()[-1]})")
        print(
            f"{arguments.papers:,} papers: ray {times['ray']:.0f} s against local "
            f"{times['local']:.0f} s: ratio {times['ray'] / times['local']:.2f} "
            f"({arguments.papers / times['local']:.1f} and "
            f"{arguments.papers / times['ray']:.1f} papers/s)"
        )
    sys.exit(0)


if __name__ == "__main__":
    main()
