"""How the discussion holds up under a long thread: 500 comments under one paper (a third of
them replies, some five levels deep, each a few lines of Markdown with maths), then the paper
page and the thread's JSON served through the web app (in process, as a client sees them),
median and p90 of 30 requests each; writing a comment (rendering and storing it, with its
notification) median of the 500; and an author page for the most prolific author of the
examples.

    .venv/bin/python bench/discussion.py [--comments 500] [--runs 30]

On a new data directory with the example papers (`litfeed load-examples`, not embedded: the
paper page then shows no similar papers). Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from litfeed import discussion  # noqa: E402
from litfeed.community.accounts import add_account  # noqa: E402
from litfeed.config import Settings  # noqa: E402
from litfeed.discussion.authors import author_page  # noqa: E402
from litfeed.hub import Hub  # noqa: E402
from litfeed.store.schema import accounts, rate_limits  # noqa: E402
from litfeed.web import create_app  # noqa: E402

PAPER = "t-8ec3a34c72e9"
BODY = (
    "I tried this on **my own data**: the bound $\\mathcal{{O}}(n \\log n)$ holds, but the "
    "constant in Lemma {n} matters.\n\n- see `eval.py`\n- and [the appendix](https://arxiv.org/abs/1801.04062)"
)


def figures(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=500)
    parser.add_argument("--runs", type=int, default=30)
    arguments = parser.parse_args()
    rng = random.Random(27)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "data", embed_on_import=False)
        with Hub(settings) as hub:
            hub.load_examples()
            store = hub.store
            readers = [
                add_account(store, f"r{n}@example.org", None, verified=True, name=f"reader{n}")
                for n in range(20)
            ]
            with store.engine.begin() as connection:
                connection.execute(
                    sa.update(accounts).values(created_at=datetime.now(UTC) - timedelta(days=2))
                )
            readers = [store.community.account(r.id) for r in readers]  # type: ignore[misc]
            paper = hub.get_paper(PAPER)
            assert paper is not None
            written: list[float] = []
            made: list[int] = []
            for n in range(arguments.comments):
                if n % 4 == 0:  # the limits count real time; here days pass
                    with store.engine.begin() as connection:
                        connection.execute(sa.delete(rate_limits))
                parent = rng.choice(made) if made and rng.random() < 0.35 else None
                body = BODY.format(n=n) + (f" @reader{rng.randrange(20)}" if n % 5 == 0 else "")
                started = time.perf_counter()
                comment = discussion.post(store, readers[n % 20], paper, body, parent)  # type: ignore[arg-type]
                written.append(time.perf_counter() - started)
                made.append(comment.id)
            print(f"writing a comment ({arguments.comments}): {figures(written)}")
            client = TestClient(create_app(settings), base_url="http://localhost")
            for path in (f"/papers/{PAPER}", f"/api/papers/{PAPER}/comments"):
                seconds = []
                for _ in range(arguments.runs):
                    started = time.perf_counter()
                    answer = client.get(path)
                    seconds.append(time.perf_counter() - started)
                    assert answer.status_code == 200, answer.text[:200]
                size = len(answer.content) // 1024
                print(f"GET {path} ({arguments.comments} comments, {size} KiB): {figures(seconds)}")
            counted: Counter[str] = Counter()
            for found in store.list_papers(0, 5_000)[0]:
                counted.update(found.authors)
            prolific = counted.most_common(1)[0][0]
            seconds = []
            for _ in range(arguments.runs):
                started = time.perf_counter()
                page = author_page(store, prolific)
                seconds.append(time.perf_counter() - started)
            print(
                f"author page of {prolific!r} ({len(page.papers)} papers, "
                f"{len(page.spellings)} spellings): {figures(seconds)}"
            )


if __name__ == "__main__":
    main()
