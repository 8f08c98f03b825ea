"""How long ranking a day's papers for one reader takes (`litfeed.recommend.rank`): 1,000
candidate papers, a library of 50, median and p90 of 30 rankings; without ratings (similarity
alone), and with 10 ratings (5 +, 5 -: the reader's model fitted for every ranking).

    .venv/bin/python bench/for_you.py [--data DIR]

DIR: a data directory with papers embedded (default: a new one with `litfeed load-examples`,
embedded first: about a minute and a half). The candidates are the newest papers, 1,000 of
them; the library is 50 papers drawn from the rest with a fixed seed. Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from litfeed.config import Settings  # noqa: E402
from litfeed.hub import Hub  # noqa: E402
from litfeed.recommend import Profile, rank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = arguments.data or Path(folder) / "data"
        with Hub(Settings(data_dir=data_dir, embed_on_import=False)) as hub:
            if arguments.data is None:
                hub.load_examples()
                hub.update_index()
            papers, _total = hub.list_papers(0, 5_000)
            embedded = set(hub.vector_index.vectors_of([p.pk for p in papers])[0])
            papers = [p for p in papers if p.pk in embedded]
            candidates, rest = papers[:1_000], papers[1_000:]
            drawn = random.Random(7).sample([p.pk for p in rest], 60)
            library, liked, disliked = drawn[:50], drawn[50:55], drawn[55:]
            profiles = {
                "no ratings": Profile(library, []),
                "10 ratings": Profile([*library, *liked], disliked, rated=True),
            }
            for name, profile in profiles.items():
                seconds = []
                for _ in range(arguments.runs):
                    started = time.perf_counter()
                    picks = rank(hub.store, hub.vector_index, profile, candidates, 10, seed=1)
                    seconds.append(time.perf_counter() - started)
                assert len(picks) == 10
                ordered = sorted(seconds)
                print(
                    f"rank {len(candidates):,} papers, library of {len(library)}, {name}: "
                    f"median {statistics.median(seconds) * 1000:.1f} ms, "
                    f"p90 {ordered[int(len(ordered) * 0.9) - 1] * 1000:.1f} ms "
                    f"({arguments.runs} runs)"
                )


if __name__ == "__main__":
    main()
