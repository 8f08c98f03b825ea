"""Digests for 10,000 subscribers over the 74,728-paper corpus, then 1,000 through SMTP.

    .venv/bin/python bench/digest.py [--data DIR] [--corpus PATH] [--subscribers N]
        [--day-papers N] [--weekly]

Part 1 plans and renders the digest of N subscribers (default 10,000) with varied sections
(trending, the day's papers, saved searches by words and, when the data directory has a
vector index, by meaning, authors, categories; some with muted words) for the newest day of
the corpus (with --weekly: weekly digests of the week before it: 1,090 papers here), into
the outbox directory (no SMTP server: one .eml each), the way `litfeed digest send` does: the
ledger rows first, then each message rendered, written and marked. It prints the time, the
peak memory (ru_maxrss) and the messages written. Target (issue 16): <= 60 s.

With --for-you, every subscriber is an account of its own (its address proven) with a library
of 50 papers drawn from the vector index, so that every digest starts with a For you section:
the period's papers ranked for that reader (issue 26; the same target).

Part 2 sends 1,000 of those digests again to a local aiosmtpd server (a process of its own,
discarding what it accepts; it shares the 2 cores) over one SMTP connection, and prints
messages a second.

--data DIR copies DIR (a litfeed data directory holding the corpus, e.g. one made by
bench/search_latency.py --keep) to a temporary directory first, so DIR is not changed; without
it, the corpus is imported into a temporary directory (about 40 s, not timed).
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from litfeed.community.accounts import add_account
from litfeed.config import Settings
from litfeed.delivery.subscriptions import check_choices, parse_section
from litfeed.hub import Hub
from litfeed.ingest import import_file
from litfeed.store.schema import digests, papers

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared/data/corpora/arxiv-cs-2025-03_2026-07.jsonl.gz"
SMTP_MESSAGES = 1000
SINK = "aiosmtpd.handlers.Sink"  # accepts every message and keeps none
SEED = 16
LIBRARY = 50
QUERIES = [
    "large language models",
    "diffusion",
    "reinforcement learning",
    "graph neural networks",
    "retrieval augmented generation",
    "robot manipulation",
    "speech recognition",
    "federated learning",
    "mixture of experts",
    "vision transformer",
    "code generation",
    "benchmark",
    "quantization",
    "protein",
    "adversarial robustness",
    "multimodal reasoning",
    "knowledge distillation",
    "time series forecasting",
    "autonomous driving",
    "privacy",
]
KINDS = ["trending", "daily", "search", "author", "category"]
MUTES = ["survey", "benchmark", "medical", "llm", "dataset"]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"the SMTP server did not listen on port {port} within 30 s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(args: argparse.Namespace) -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix="litfeed-digest-bench-")) / "data"
    if args.data:
        shutil.copytree(args.data, data_dir)
        print(f"copied {args.data} to {data_dir}")
        return data_dir
    if not args.corpus.exists():
        sys.exit(f"no corpus at {args.corpus}: pass --corpus or --data")
    with Hub(Settings(data_dir=data_dir, embed_on_import=False)) as hub:
        start = time.perf_counter()
        import_file(hub.store, args.corpus)
        hub.update_index(embed=False)
        print(f"imported the corpus in {time.perf_counter() - start:.1f} s (not timed below)")
    return data_dir


def subscribe_all(
    hub: Hub, count: int, semantic: bool, cadence: str, day: date | None, for_you: bool
) -> None:
    period = hub.digests().period(cadence, day)
    assert period is not None, "the corpus has no day with papers"
    papers = hub.digests().selector.papers_of(period)
    authors = sorted({name for paper in papers for name in paper.authors[:2]})
    categories = sorted({c for paper in papers for c in paper.categories})
    rng = random.Random(SEED)
    modes = ["keyword", "hybrid", "semantic"] if semantic else ["keyword"]
    embedded = []
    if for_you:
        assert semantic, "--for-you needs a data directory with a vector index"
        embedded = hub.vector_index.sample(10**9, SEED)[0]
    start = time.perf_counter()
    for n in range(count):
        sections = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.choices(
                ["trending", "daily", "search", "author", "category"], [2, 2, 4, 2, 2]
            )
            if kind[0] == "search":
                mode = rng.choice(modes)
                sections.append(f"search:q={rng.choice(QUERIES)}&mode={mode}")
            elif kind[0] == "author":
                sections.append(f"author:{rng.choice(authors)}")
            elif kind[0] == "category":
                sections.append(f"category:{rng.choice(categories)}")
            else:
                sections.append(kind[0])
        mutes = rng.sample(MUTES, rng.randint(0, 2))
        choices = check_choices(
            [parse_section(text) for text in sections], mutes, rng.choice([5, 10, 20]), cadence
        )
        address = f"reader{n}@example.org"
        columns = choices.columns()
        if for_you:
            account = add_account(hub.store, address, None, verified=True)
            hub.store.library.save(account.id, rng.sample(embedded, LIBRARY))
            columns["account_id"] = account.id
        hub.store.delivery.save_subscriber(address, True, **columns)
    print(
        f"{count:,} subscribers ({len(authors):,} authors, {len(categories)} categories and "
        f"{len(QUERIES)} queries to draw from; saved searches by {', '.join(modes)}) added in "
        f"{time.perf_counter() - start:.1f} s (not timed below); the period: {period.key}, "
        f"{len(papers):,} papers"
        + (f"; each an account with a library of {LIBRARY} papers" if for_you else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="a data directory holding the corpus")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--day-papers",
        type=int,
        help="first move the newest N papers (by arrival) onto the newest day, to measure a "
        "day of that size (the copy is changed, never --data)",
    )
    parser.add_argument(
        "--for-you",
        action="store_true",
        help="every subscriber an account with a library of 50 papers (a For you section)",
    )
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="weekly digests of the week before the corpus' newest day",
    )
    args = parser.parse_args()
    data_dir = prepare(args)
    settings = Settings(data_dir=data_dir, embed_on_import=False)
    with Hub(settings) as hub:
        semantic = (data_dir / "index" / "vectors").exists()
        cadence = "weekly" if args.weekly else "daily"
        newest = hub.store.latest_day()
        if args.day_papers:
            with hub.store.engine.begin() as connection:
                newest_pks = sa.select(papers.c.pk).order_by(papers.c.pk.desc())
                newest_pks = newest_pks.limit(args.day_papers).scalar_subquery()
                connection.execute(
                    sa.update(papers).where(papers.c.pk.in_(newest_pks)).values(day=newest)
                )
        day = newest - timedelta(days=7) if args.weekly and newest else None
        subscribe_all(hub, args.subscribers, semantic, cadence, day, args.for_you)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu = time.process_time()
        start = time.perf_counter()
        planned = hub.digests().plan(day)
        planning = time.perf_counter() - start
        sent = hub.digests().deliver(planned)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        outbox = data_dir / "outbox"
        files = list(outbox.glob("*.eml"))
        size = sum(path.stat().st_size for path in files)
        print(
            f"part 1: {args.subscribers:,} subscribers -> {sent.sent:,} digests written to the "
            f"outbox ({planned.empty:,} with nothing new, not sent) in {elapsed:.1f} s "
            f"(planning and selection {planning:.1f} s, rendering and writing "
            f"{elapsed - planning:.1f} s; {cpu:.1f} s of CPU); {len(files):,} files, "
            f"{size / 2**20:.0f} MiB; "
            f"peak RSS {peak:.0f} MiB ({before:.0f} MiB before)"
        )

        port = free_port()
        # In a process of its own: on a thread here it would share this process's GIL.
        server = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", SINK],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(port)
            hub.settings = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
            with hub.store.engine.begin() as connection:
                ids = (
                    connection.execute(
                        sa.select(digests.c.id)
                        .where(digests.c.status == "sent")
                        .order_by(digests.c.id)
                        .limit(SMTP_MESSAGES)
                    )
                    .scalars()
                    .all()
                )
                connection.execute(
                    sa.update(digests).where(digests.c.id.in_(ids)).values(status="pending")
                )
            start = time.perf_counter()
            report = hub.digests().deliver()
            elapsed = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(10)
        print(
            f"part 2: {report.sent:,} digests accepted by aiosmtpd (a process of its own, "
            f"discarding them) over one SMTP connection in {elapsed:.1f} s: "
            f"{report.sent / elapsed:.0f} messages/s"
        )
    shutil.rmtree(data_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
