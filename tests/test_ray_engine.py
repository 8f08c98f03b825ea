"""`litfeed index --engine ray`: every paper embedded on Ray Data actors (a local Ray on this
machine's two cores), the vectors those of the single-process path, and a driver killed with
SIGKILL mid-run resumed with what is left, each paper embedded exactly once."""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.ingest import import_file
from litfeed.search.embeddings import paper_text, text_hash
from litfeed.store.schema import embeddings

pytest.importorskip("ray", reason="Ray is the optional engine: pip install '.[ray]'")

ARXIV_EXAMPLES = next(
    (Path(__file__).parent.parent / "src/litfeed/examples/arxiv").glob("*.jsonl.gz")
)


def _stored(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(embeddings)).scalar())


def test_ray_embeds_what_the_single_process_path_does_and_resumes_after_a_kill(
    settings: Settings, tmp_path: Path
) -> None:
    environment = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(settings.resolved_models_dir)
    command = [sys.executable, "-m", "litfeed", "index", "--engine", "ray", "--no-progress"]
    with Hub(settings) as hub:
        hub.load_examples(embed=False)
        papers = hub.store.get_papers_by_pk(list(range(1, hub.store.highest_paper_pk() + 1)))
        texts = {text_hash(paper_text(paper)): paper_text(paper) for paper in papers}
        _ = hub.embedder  # exported once, before the runs
        engine = hub.store.engine
        assert _stored(engine) == 0

        first = subprocess.Popen(
            command,
            env=environment,
            start_new_session=True,  # Ray's own processes in its group, stopped after
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 240
            while _stored(engine) < 300 and time.monotonic() < deadline:
                assert first.poll() is None, "the run ended before it could be killed"
                time.sleep(0.2)
            first.send_signal(signal.SIGKILL)  # the driver, mid-run
            first.wait(30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(first.pid, signal.SIGKILL)  # what Ray left of its local cluster
        time.sleep(2)  # the actors' last batches, if any, land
        before = _stored(engine)
        assert 300 <= before < len(texts)

        second = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=600
        )
        assert second.returncode == 0, second.stderr[-2000:]
        found = re.search(r"ray: embedded (\d+) papers", second.stdout)
        assert found is not None, second.stdout
        assert int(found.group(1)) == len(texts) - before  # what was left, once each
        assert _stored(engine) == len(texts)
        assert "vector index: " in second.stdout

        # the vectors are those the single-process path makes, text for text
        sample = sorted(texts)[:: max(1, len(texts) // 40)]
        stored = hub.store.load_embeddings(hub.embedder.key, sample)
        local = hub.embedder.embed([texts[digest] for digest in sample])
        ray_vectors = np.stack([np.frombuffer(stored[digest], np.float32) for digest in sample])
        assert np.allclose(local, ray_vectors, atol=1e-5)
        # and search by meaning finds papers through them
        assert hub.search("speculative decoding", mode="semantic").hits


def test_ray_embeds_on_a_cluster_reached_by_its_client_address(
    settings: Settings, tmp_path: Path
) -> None:
    """A Ray head started apart (`ray start --head`, as on a cluster's first host) and litfeed
    pointed at it with ``--address ray://HOST:PORT``: the actors run in that cluster, which
    litfeed did not start, and every paper is embedded there. The head declares a GPU: actors
    asked to take one are placed on it and load the model for CUDA (here, where torch has
    none, failing with one line that says so, and storing nothing)."""
    from tests.postgres import free_port

    part = tmp_path / "part.jsonl"
    with gzip.open(ARXIV_EXAMPLES, "rt", encoding="utf-8") as source:
        part.write_text("".join(line for _, line in zip(range(150), source, strict=False)))
    environment = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(settings.resolved_models_dir)
    # Ray's token authentication, as a cluster is run: the same token on the head and for
    # whoever connects (here in the environment, not in ~/.ray)
    environment |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    with Hub(settings) as hub:
        assert import_file(hub.store, part).new == 150
        _ = hub.embedder
    port, client_port = free_port(), free_port()
    temp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))  # Ray's sockets want a short path
    ray = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen(
        [
            *(ray, "start", "--head", "--block", f"--port={port}", "--num-cpus=3", "--num-gpus=1"),
            *(f"--ray-client-server-port={client_port}", "--include-dashboard=false"),
            *(f"--temp-dir={temp}", "--disable-usage-stats"),
        ],
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        command = [sys.executable, "-m", "litfeed", "index", "--engine", "ray", "--no-progress"]
        address = f"ray://127.0.0.1:{client_port}"
        deadline = time.monotonic() + 120
        while True:  # the head takes some seconds to listen
            done = subprocess.run(
                [*command, "--address", address],
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode == 0 or time.monotonic() > deadline:
                break
            assert "cannot reach the Ray cluster" in done.stderr, done.stderr[-2000:]
            time.sleep(2)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "ray: embedded 150 papers" in done.stdout
        assert head.poll() is None  # the cluster outlives the run: litfeed only used it
        with Hub(settings) as hub:
            assert _stored(hub.store.engine) == 150
            assert hub.search("language models", mode="semantic").hits

        # actors on the head's GPU, the model run by torch there (another key: all again)
        torch_backend = {**environment, "LITFEED_EMBEDDING_BACKEND": "torch"}
        on_gpu = subprocess.run(
            [*command, "--address", address, "--gpus", "1"],
            env=torch_backend,
            capture_output=True,
            text=True,
            timeout=600,
        )
        import torch

        if torch.cuda.is_available():  # a machine with a GPU and a CUDA build of torch
            assert on_gpu.returncode == 0, on_gpu.stderr[-2000:]
            assert "ray: embedded 150 papers" in on_gpu.stdout
        else:
            assert on_gpu.returncode == 1
            assert on_gpu.stderr.startswith(
                "error: the embedding failed on Ray: the embedding device is cuda but torch "
            ), on_gpu.stderr[-2000:]
            assert "CUDA device(s)" in on_gpu.stderr and "Traceback" not in on_gpu.stderr
            with Hub(settings) as hub:
                assert _stored(hub.store.engine) == 150
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # what of the head's group did not stop
        head.wait(30)
        shutil.rmtree(temp, ignore_errors=True)


def test_gpu_actors_are_asked_for_clearly(settings: Settings, tmp_path: Path) -> None:
    """--gpus: only with --engine ray; only with the torch backend (the instance's vectors
    must all come from one backend); on a machine without a GPU, one line saying so."""
    environment = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(settings.resolved_models_dir)
    with Hub(settings) as hub:
        part = tmp_path / "part.jsonl"
        with gzip.open(ARXIV_EXAMPLES, "rt", encoding="utf-8") as source:
            part.write_text("".join(line for _, line in zip(range(5), source, strict=False)))
        assert import_file(hub.store, part).new == 5
    command = [sys.executable, "-m", "litfeed", "index", "--no-progress", "--gpus", "1"]

    def run(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *arguments],
            env=environment | variables,
            capture_output=True,
            text=True,
            timeout=300,
        )

    alone = run()
    assert alone.returncode == 1
    assert alone.stderr == "error: --gpus places Ray's actors: it needs --engine ray\n"
    onnx = run("--engine", "ray")
    assert onnx.returncode == 1
    assert onnx.stderr.startswith("error: actors on GPUs run the torch backend: set "), onnx.stderr
    if shutil.which("nvidia-smi") is None:  # Ray finds GPUs through NVIDIA's tools
        torch = run("--engine", "ray", LITFEED_EMBEDDING_BACKEND="torch")
        assert torch.returncode == 1
        assert torch.stderr == "error: this machine has no GPU for actors of 1 GPU each\n"
    with Hub(settings) as hub:
        assert _stored(hub.store.engine) == 0
