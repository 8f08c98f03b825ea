"""The topic map (`litfeed.topics`): two fields of papers far apart in meaning make two broad
topics labelled by their own phrases, never by words every paper says; the same data gives the
same map; a rebuild keeps each topic's number."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from litfeed.cli import app as cli
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.store.schema import paper_places
from litfeed.topics import build_topics, place_new
from litfeed.topics.build import BROAD, build
from litfeed.topics.labels import label_topics
from litfeed.web import create_app

FIELDS = {
    "decoding": "Speculative decoding with a draft model speeds up inference; in speculative "
    "decoding the proposed method verifies the results of the draft model.",
    "robots": "Robot grasping from tactile sensing: grasping policies learn dexterous "
    "manipulation, and the proposed method improves the results of tactile grasping.",
}


def _corpus(per_field: int = 60) -> tuple[list[int], np.ndarray, dict[int, str]]:
    rng = np.random.default_rng(5)
    centres = {name: rng.standard_normal(32) for name in FIELDS}
    pks, rows, texts = [], [], {}
    for number in range(per_field * len(FIELDS)):
        name = list(FIELDS)[number % len(FIELDS)]
        vector = centres[name] + 0.15 * rng.standard_normal(32)
        pks.append(number + 1)
        rows.append(vector / np.linalg.norm(vector))
        texts[number + 1] = f"Paper {number}. {FIELDS[name]} Results on benchmark {number}."
    return pks, np.asarray(rows, dtype=np.float32), texts


def test_labels_name_what_sets_a_topic_apart() -> None:
    texts = [FIELDS["decoding"]] * 5 + [FIELDS["robots"]] * 5
    labels = label_topics({1: range(5), 2: range(5, 10)}, texts)
    assert "speculative decoding" in labels[1].split(" / ") and "grasping" in labels[2]
    for label in labels.values():  # said by every paper: no topic's label
        assert "proposed method" not in label and "method" not in label.split(" / ")


def test_two_fields_make_two_topics_the_same_each_time_and_keep_their_numbers() -> None:
    pks, vectors, texts = _corpus()

    def text_of(wanted: object) -> list[str]:
        return [texts[pk] for pk in wanted]  # type: ignore[attr-defined]

    first = build(pks, vectors, text_of)
    broad = [t for t in first.topics if t.level == BROAD]
    assert len(broad) == 2 and first.noise < 0.1
    by_field = {("decoding" if "decoding" in t.label else "robots"): t for t in broad}
    assert set(by_field) == {"decoding", "robots"}
    assert all(pk % 2 == 1 for pk in by_field["decoding"].members)  # the even rows' papers
    again = build(pks, vectors, text_of)
    assert np.allclose(first.xy, again.xy) and first.broad == again.broad
    # a rebuild with the topics renumbered the other way round keeps the old numbers
    previous = {100 + t.id: (t.level, set(t.members)) for t in first.topics}
    rebuilt = build(pks, vectors, text_of, previous)
    assert sorted(t.id for t in rebuilt.topics) == sorted(previous)


def test_the_map_of_the_examples_stored_listed_and_served(copied_settings: Settings) -> None:
    """`litfeed topics build` on the embedded examples: stored, listed, served as pages and
    JSON; built again, every topic keeps its number."""
    runner = CliRunner()
    environment = {"LITFEED_DATA_DIR": str(copied_settings.data_dir)}
    built = runner.invoke(cli, ["topics", "build"], env=environment)
    assert built.exit_code == 0, built.output
    assert "broad topics" in built.stdout
    with Hub(copied_settings) as hub:
        every = hub.store.topics.all()
        broad = [t for t in every if t.level == BROAD]
        assert len(broad) >= 2 and sum(t.size for t in broad) <= 471
        assert all(t.label and not t.label.startswith("topic ") for t in every)
        places = hub.store.topics.places()
        assert len(places) == 471  # every embedded example paper is on the map
        # finer topics lie inside their broad topic: each paper's in its broad one's
        fine = [t for t in every if t.level != BROAD]
        parent_of = {t.id: t.parent_id for t in fine}
        assert fine and all(parent_of[t.id] in {b.id for b in broad} for t in fine)
        assert all(parent_of[p.fine_id] == p.broad_id for p in places if p.fine_id is not None)
        assert all(p.broad_id is not None for p in places if p.fine_id is not None)
        size = {t.id: t.size for t in every}
        for one in broad:
            assert sum(t.size for t in fine if t.parent_id == one.id) <= size[one.id]
        first = {t.id: (t.label, t.size) for t in every}
        client = TestClient(create_app(copied_settings), base_url="http://localhost")
        listed = client.get("/api/topics").json()
        assert {t["id"] for t in listed} == set(first)
        one = client.get(f"/api/topics/{broad[0].id}").json()
        assert one["size"] == broad[0].size and len(one["papers"]) == min(50, broad[0].size)
        assert len(one["weeks"]) == 16 and sum(w["papers"] for w in one["weeks"]) >= 0
        assert client.get("/api/topics/999999").status_code == 404
        page = client.get("/topics").text
        assert broad[0].label in page and "<svg" in page
        topic_page = client.get(f"/topics/{broad[0].id}").text
        assert topic_page.count('class="paper-card"') == min(50, broad[0].size)
    listed_lines = runner.invoke(cli, ["topics", "list", "--json"], env=environment)
    assert listed_lines.exit_code == 0
    assert len(listed_lines.stdout.splitlines()) == len(first)
    again = runner.invoke(cli, ["topics", "build"], env=environment)
    assert again.exit_code == 0, again.output
    with Hub(copied_settings) as hub:
        assert {t.id: (t.label, t.size) for t in hub.store.topics.all()} == first


def test_a_new_paper_joins_the_topic_of_its_near_neighbours(copied_settings: Settings) -> None:
    with Hub(copied_settings) as hub:
        store, vectors = hub.store, hub.vector_index
        assert place_new(store, vectors) == 0  # no map yet: nothing to place on
        build_topics(store, vectors)
        places = {p.paper_pk: p for p in store.topics.places()}
        broad = store.topics.all(BROAD)[0]
        arrived = next(pk for pk, p in places.items() if p.broad_id == broad.id)
        with store.engine.begin() as connection:  # as if it had just been embedded
            connection.execute(sa.delete(paper_places).where(paper_places.c.paper_pk == arrived))
        assert arrived in store.topics.unplaced(1_000)
        started = time.perf_counter()
        assert place_new(store, vectors) == 1
        assert time.perf_counter() - started < 10
        place = store.topics.places_of([arrived])[arrived]
        vector = vectors.vector_of(arrived)
        assert vector is not None
        neighbours = [pk for pk, _s in vectors.search(vector, 11) if pk != arrived]
        most = Counter(places[pk].broad_id for pk in neighbours if pk in places).most_common(1)
        assert place.broad_id == most[0][0]
        if place.fine_id is not None:  # a finer topic inside that broad topic
            inner = store.topics.get(place.fine_id)
            assert inner is not None and inner.parent_id == place.broad_id
        grown = store.topics.get(place.broad_id)  # type: ignore[arg-type]
        assert grown is not None and grown.size == (
            broad.size + 1 if grown.id == broad.id else grown.size
        )
        assert place_new(store, vectors) == 0  # once


def test_label_coherence_is_npmi_over_the_papers() -> None:
    from litfeed.topics.quality import coherence

    texts = ["speculative decoding with a draft model"] * 3 + ["robot grasping"] * 3
    together, apart, alone = coherence(
        [["speculative decoding", "draft model"], ["draft model", "grasping"], ["grasping"]],
        texts,
    )
    assert together == pytest.approx(1.0) and apart == -1.0 and np.isnan(alone)
    half = ["alpha beta", "alpha", "beta", "gamma"]  # p(a)=p(b)=1/2, p(ab)=1/4: independent
    assert coherence([["alpha", "beta"]], half)[0] == pytest.approx(0.0, abs=1e-9)


def test_the_worker_draws_the_first_map_by_itself(copied_settings: Settings) -> None:
    """An instance with embedded papers and no map (a first `make run`) gets one from its
    background worker, once; LITFEED_TOPICS_FIRST_MAP=false (the suite's default) leaves it
    to `litfeed topics build`."""
    import threading

    from litfeed.jobs.worker import run_worker

    for wanted in (False, True):
        settings = copied_settings.model_copy(update={"topics_first_map": wanted})
        with Hub(settings) as hub:
            lines: list[str] = []
            stop = threading.Event()
            worker = threading.Thread(
                target=run_worker, args=(hub, stop, lines.append), kwargs={"poll": 0.1}
            )
            worker.start()
            deadline = time.monotonic() + (15 if not wanted else 180)
            while time.monotonic() < deadline and not hub.store.topics.has_map():
                time.sleep(0.2)
            stop.set()
            worker.join(60)
            assert hub.store.topics.has_map() is wanted, lines
            if wanted:
                assert any(line.startswith("drew the topic map") for line in lines)
                assert len(hub.store.topics.places()) == 471
