"""Embedding every paper not embedded yet on a Ray cluster (`litfeed index --engine ray`): the
papers are cut into ranges of their numbers; Ray Data maps the ranges over a pool of actors,
each loading the model once, reading its ranges' papers from the database, embedding those
whose vectors are not stored yet and writing them back in batches, as `litfeed index` does.
The vectors are stored by text, so a run killed at any moment resumes with what is left and
nothing is embedded twice; afterwards each host's vector index reads them (`catch_up`),
computing nothing again.

Without an address, Ray starts on this machine (one actor per core); with one, the actors run
on that cluster (one per core it has, less one), whose nodes need litfeed installed, the model
in their models directory (or a way to fetch it) and the database at the same URL: PostgreSQL,
for a cluster of several hosts. ``ray://HOST:10001`` reaches it through Ray's client, over
which Ray Data cannot drive a pipeline: the pipeline then runs as a task inside the cluster.
``HOST:6379`` joins it as a driver (from one of its nodes). With ``gpus`` each actor takes
that share of a GPU (one actor a GPU with 1, two with 0.5) and runs the model there with the
torch backend, which the whole instance must then use (vectors of another backend are not
comparable); the pool has as many actors as the cluster's GPUs hold. Ray
(``ray[data,client]``) is an optional extra, imported here only."""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from litfeed.config import Settings
from litfeed.errors import LitfeedError

RANGE = 500  # paper numbers a task reads at most at once
# Ranges an actor gets at least (where there are papers enough): the pool ends together, not
# with one actor still on a long last range while the others wait.
SHARES = 16
BATCH_SIZE = 256  # texts an actor embeds at once


class RayEmbeddingError(LitfeedError):
    """Ray cannot embed the papers: it is not installed, its cluster cannot be reached or has
    no GPU where GPUs were asked for, or an actor failed; the message says which."""


def embed_with_ray(
    settings: Settings,
    address: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    actors: int | None = None,
    gpus: float = 0,
) -> int:
    """Embed every shown paper whose vector is not stored yet, on Ray; how many were
    embedded (computed, not read)."""
    if gpus and settings.embedding_backend != "torch":
        raise RayEmbeddingError(
            "actors on GPUs run the torch backend: set LITFEED_EMBEDDING_BACKEND=torch for "
            "the whole instance (vectors of another backend are not comparable; every paper is "
            "embedded again)"
        )
    try:
        import ray
    except ImportError:
        raise RayEmbeddingError(
            "Ray is not installed: pip install 'litfeed[ray]' (or 'ray[data,client]') for "
            "--engine ray"
        ) from None
    from litfeed.hub import Hub

    with Hub(settings) as hub:
        _ = hub.embedder  # exported here first, so that the actors only load it
        highest = hub.store.highest_paper_pk()
    if highest == 0:
        return 0
    try:
        if address:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        else:
            ray.init(
                address="local",  # a Ray of its own, even beside a cluster on this host
                # a logical core more than the actors take: Ray Data keeps one for reading the
                # ranges, which would leave an actor of the pool waiting for a core
                num_cpus=(actors or os.cpu_count() or 1) + 1,
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
            )
    except (ConnectionError, RuntimeError, ValueError) as error:
        hint = (
            " (a cluster with token authentication, Ray's default, needs RAY_AUTH_MODE=token "
            "and its RAY_AUTH_TOKEN here too)"
            if "timeout" in str(error)
            else ""
        )
        raise RayEmbeddingError(
            f"cannot reach the Ray cluster at {address}: {error}{hint}"
        ) from None
    try:
        resources = ray.cluster_resources()  # type: ignore[no-untyped-call]
        if gpus:
            # an actor for each share of a GPU the cluster has
            workers = actors or int(resources.get("GPU", 0) / gpus + 1e-9)
            if workers == 0:
                where = f"the Ray cluster at {address}" if address else "this machine"
                raise RayEmbeddingError(f"{where} has no GPU for actors of {gpus:g} GPU each")
            actor_settings = settings.model_copy(update={"embedding_device": "cuda"})
        else:
            # an actor for each core the cluster has, one left for reading the ranges
            workers = actors or max(1, int(resources.get("CPU", 2)) - 1)
            actor_settings = settings
        arguments = (
            actor_settings.model_dump(mode="json"),
            cut(highest, workers),
            workers,
            batch_size,
            gpus,
        )
        try:
            if address and address.startswith("ray://"):
                # Through Ray's client, Ray Data cannot drive its pipeline from here: the
                # pipeline runs as one task inside the cluster (taking no core), and reports
                # at its end.
                return int(ray.get(ray.remote(num_cpus=0)(_embed_ranges).remote(*arguments)))
            return _embed_ranges(*arguments, progress=progress)
        except ray.exceptions.RayError as error:
            # what the actor raised, not Ray's wrapping of it (a traceback from each layer)
            raise RayEmbeddingError(f"the embedding failed on Ray: {_cause(error)}") from None
    finally:
        ray.shutdown()


def _cause(error: BaseException) -> str:
    """The innermost error's own message, on one line."""
    while True:
        inner = getattr(error, "cause", None) or error.__cause__
        if not isinstance(inner, BaseException) or inner is error:
            break
        error = inner
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    # "package.module.SomeError: what happened" -> what happened
    return re.sub(r"^[\w.]+(?:Error|Exception): ", "", lines[-1])


def cut(highest: int, workers: int) -> list[tuple[int, int]]:
    """Paper numbers 1 to ``highest`` in ranges [low, high): at least SHARES for each worker
    while a range keeps 20 papers, at most RANGE papers each."""
    size = min(RANGE, max(20, -(-highest // (workers * SHARES))))
    return [(low, min(low + size, highest + 1)) for low in range(1, highest + 1, size)]


def _embed_ranges(
    settings: dict[str, Any],
    ranges: list[tuple[int, int]],
    workers: int,
    batch_size: int,
    gpus: float = 0,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Ray Data's pipeline: the ranges mapped over a pool of ``workers`` actors (each with
    ``gpus`` of a GPU); how many papers they embedded."""
    import ray

    ray.data.DataContext.get_current().enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its plans, log paths and advice
    tasks = ray.data.from_items(
        [{"low": low, "high": high} for low, high in ranges], override_num_blocks=len(ranges)
    )
    with warnings.catch_warnings():
        # max_restarts is still given this way in the pinned Ray (named from 2.64 on)
        warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
        done = tasks.map_batches(
            _Embedder,
            fn_constructor_kwargs={"settings": settings, "batch_size": batch_size},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            num_gpus=gpus or None,
            # A lost actor is not restarted: the run fails and the next one resumes (nothing
            # stored is lost), instead of Ray replaying constructor arguments it may have freed.
            max_restarts=0,
        )
    embedded = 0
    for finished, row in enumerate(done.iter_rows(), start=1):
        embedded += int(row["embedded"])
        if progress is not None:
            progress(finished, len(ranges))
    return embedded


class _Embedder:
    """One actor: the model loaded once; each call embeds one range's papers not stored yet."""

    def __init__(self, settings: dict[str, Any], batch_size: int) -> None:
        from litfeed.hub import Hub

        self.hub = Hub(Settings(**settings))
        self.embedder = self.hub.embedder
        self.embedder.paper_threads = 1  # one core each: the pool has an actor per core
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from litfeed.search.embeddings import paper_text
        from litfeed.search.vectors import store_missing

        store = self.hub.store
        counts = [
            store_missing(
                store,
                self.embedder,
                [paper_text(paper) for paper in store.get_papers_by_pk(list(range(low, high)))],
                self.batch_size,
            )
            for low, high in zip(batch["low"].tolist(), batch["high"].tolist(), strict=True)
        ]
        return {"embedded": np.asarray(counts, dtype=np.int64)}
