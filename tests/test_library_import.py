"""A reader's library from what reference managers export (BibTeX, CSL-JSON and RIS as Zotero
writes them, in tests/data/library), matched to stored papers by arXiv id, DOI and title; what
matches nothing kept as an outside item that counts in the ranking; re-import idempotent; the
BibTeX export read back; the commands."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litfeed.cli import app
from litfeed.community.accounts import add_account
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.recommend import profile_of
from litfeed.recommend.citations import (
    CitationFileError,
    parse_citation_bytes,
    parse_citations,
    read_citations,
)
from litfeed.recommend.library import library_of, to_bibtex

DATA = Path(__file__).parent / "data" / "library"
STORED = [
    {
        "id": "1706.03762",
        "title": "Attention Is All You Need",
        "abstract": "The dominant sequence transduction models are based on complex recurrent "
        "or convolutional neural networks. We propose the Transformer, based solely on "
        "attention mechanisms.",
        "authors": "Ashish Vaswani, Noam Shazeer, Niki Parmar",
        "categories": "cs.CL cs.LG",
        "first_listing_date": "2017-06-13",
    },
    {
        "id": "2606.90001",
        "title": "A Stored Preprint by its arXiv Number",
        "abstract": "Contrastive objectives and mutual information bounds for representations.",
        "authors": "Andrea Ng",
        "categories": "cs.LG",
        "first_listing_date": "2026-06-30",
    },
    {
        "id": "2606.90002",
        "title": "Graph Sparsification for Streaming Robots",
        "abstract": "Robots that stream sensor graphs keep a sparse spectral sketch.",
        "authors": "Sara Lind",
        "categories": "cs.RO",
        "doi": "10.1145/3700000.3700001",
        "first_listing_date": "2026-06-30",
    },
]
TITLE_MATCH = "On Mutual Information Maximization for Representation Learning"  # an example
GODEL = "Gödel's Incompleteness and Neural Theorem Provers: A Study of Nested Braces"

runner = CliRunner()


@pytest.fixture
def hub(copied_settings: Settings, tmp_path: Path) -> Iterator[Hub]:
    """A copy of the embedded examples, with three arXiv papers (one with a DOI) added."""
    listing = tmp_path / "stored.jsonl"
    listing.write_text("".join(json.dumps(record) + "\n" for record in STORED))
    with Hub(copied_settings) as opened:
        opened.import_paths([listing], embed=True)
        yield opened


def _ids(entries: list) -> list[str]:
    return sorted(entry.id for entry in entries if entry.outside_id is None)


def test_a_zotero_bibtex_file_matches_keeps_and_reports(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    path = DATA / "zotero.bib"
    report = hub.save_to_library(reader.id, read_citations(path))
    assert (report.matched, report.new, report.outside, report.outside_new) == (4, 4, 2, 2)
    assert sorted(line.split(": ", 1)[0] for line in report.rejected) == [
        f"{path}:58",
        f"{path}:62",
    ], report.rejected
    assert "no title, DOI or arXiv id" in " ".join(report.rejected)
    entries = library_of(hub.store, reader.id)
    title_match = hub.store.get_paper_by_title(TITLE_MATCH)
    assert title_match is not None
    assert _ids(entries) == sorted(["1706.03762", "2606.90001", "2606.90002", title_match.id])
    outside = {entry.title: entry for entry in entries if entry.outside_id is not None}
    assert set(outside) == {GODEL, "An Old-Style Preprint About Strings"}
    godel = outside[GODEL]
    assert godel.authors == ["Jörg Müller", "Café Renée", "Google Research"]
    assert godel.abstract == "We prove that 50% of provers fail on $\\Pi_1$ sentences."
    assert godel.year == 2019
    assert outside["An Old-Style Preprint About Strings"].arxiv_id == "hep-th/9901001"
    # the same file again changes nothing
    again = hub.save_to_library(reader.id, read_citations(path))
    assert (again.matched, again.new, again.outside, again.outside_new) == (4, 0, 2, 0)
    assert len(library_of(hub.store, reader.id)) == 6


def test_csl_json_and_ris_from_zotero_name_the_same_papers(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    json_path, ris_path = DATA / "zotero.json", DATA / "zotero.ris"
    from_json = hub.save_to_library(reader.id, read_citations(json_path))
    assert (from_json.matched, from_json.outside) == (2, 1)
    assert [line.split(": ", 2)[:2] for line in from_json.rejected] == [
        [str(json_path), "item 4"],
        [str(json_path), "item 5"],
    ]
    from_ris = hub.save_to_library(reader.id, read_citations(ris_path))
    assert (from_ris.matched, from_ris.new, from_ris.outside, from_ris.outside_new) == (2, 1, 1, 0)
    assert [line.split(": ", 1)[0] for line in from_ris.rejected] == [f"{ris_path}:23"]
    assert "no end" in from_ris.rejected[0]
    titles = sorted(entry.title for entry in library_of(hub.store, reader.id))
    assert titles == sorted(
        [
            "Attention Is All You Need",
            "Graph Sparsification for Streaming Robots",
            TITLE_MATCH,
            GODEL,
        ]
    )


def test_outside_items_become_saved_papers_when_their_papers_arrive(
    hub: Hub, tmp_path: Path
) -> None:
    """The old-style preprint (by arXiv id) and the Gödel entry (by title alone) arrive later:
    each becomes a saved paper with the reader's note and tags, and is no longer kept outside;
    a paper saved already keeps one entry, the notes and tags of both."""
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    other = add_account(hub.store, "bo@example.org", None, verified=True)
    hub.save_to_library(reader.id, read_citations(DATA / "zotero.bib"))
    hub.save_to_library(other.id, read_citations(DATA / "zotero.bib"))
    waiting = {e.title: e for e in library_of(hub.store, reader.id) if e.outside_id is not None}
    strings = waiting["An Old-Style Preprint About Strings"]
    assert hub.store.library.annotate(
        reader.id, outside_id=strings.outside_id, note="read for the seminar", tags=["strings"]
    )
    listing = tmp_path / "later.jsonl"
    arrivals = [
        {
            "id": "hep-th/9901001v2",
            "title": "Strings, Re-titled by the Journal",
            "abstract": "A preprint about strings.",
            "categories": "hep-th",
            "first_listing_date": "1999-01-04",
        },
        {"id": "2612.00042", "title": GODEL.upper(), "categories": "cs.LO"},
    ]
    listing.write_text("".join(json.dumps(record) + "\n" for record in arrivals))
    hub.import_paths([listing])
    for account in (reader, other):
        entries = library_of(hub.store, account.id)
        assert [e.title for e in entries if e.outside_id is not None] == []
        assert {"hep-th/9901001", "2612.00042"} <= set(_ids(entries))
        assert len(entries) == 6  # nothing twice, nothing lost
    saved = {e.id: e for e in library_of(hub.store, reader.id)}
    assert (saved["hep-th/9901001"].note, saved["hep-th/9901001"].tags) == (
        "read for the seminar",
        ["strings"],
    )
    assert saved["hep-th/9901001"].title == "Strings, Re-titled by the Journal"


def test_outside_items_count_in_the_ranking_and_are_named_as_reasons(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    text = (
        "@article{mine, title = {Estimating Mutual Information Between Representations}, "
        "abstract = {Bounds on mutual information for contrastive representation learning, "
        "with variational estimators.}, year = {2024}}\n"
    )
    report = hub.save_to_library(reader.id, parse_citations(text, "mine.bib"))
    assert (report.matched, report.outside) == (0, 1)
    assert profile_of(hub.store, reader.id).size == 1
    ranked = hub.for_you(reader.id, limit=10)
    assert ranked.library == 1 and len(ranked.picks) == 10
    about = sum("information" in (p.paper.title + p.paper.abstract).lower() for p in ranked.picks)
    assert about >= 6, [p.paper.title for p in ranked.picks]
    assert ranked.picks[0].reasons == [
        "close to your paper “Estimating Mutual Information Between Representations”"
    ]
    assert ranked.picks[0].closest[0].paper_id is None


def test_the_bibtex_export_reads_back_as_the_same_library(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    other = add_account(hub.store, "bob@example.org", None, verified=True)
    hub.save_to_library(reader.id, read_citations(DATA / "zotero.bib"))
    exported = to_bibtex(library_of(hub.store, reader.id))
    assert exported.count("@misc{") == 6 and "archivePrefix = {arXiv}" in exported
    report = hub.save_to_library(other.id, parse_citations(exported, "export.bib"))
    assert (report.matched, report.outside, report.rejected) == (4, 2, [])
    mine, theirs = library_of(hub.store, reader.id), library_of(hub.store, other.id)
    assert _ids(theirs) == _ids(mine)

    def outside(entries: list) -> list[tuple]:
        return sorted(
            (e.title, e.abstract, e.authors, e.year, e.arxiv_id)
            for e in entries
            if e.outside_id is not None
        )

    assert outside(theirs) == outside(mine)


def test_a_file_that_is_not_what_it_says_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "library.json"
    broken.write_text('[{"title": "A"},\n{"title": ]\n')
    with pytest.raises(CitationFileError, match=r"library.json:2: not CSL-JSON"):
        read_citations(broken)
    binary = tmp_path / "library.bib"
    binary.write_bytes(b"\xff\xfe\x00@misc{")
    assert read_citations(binary).rejected == [
        f"{binary}:1: Unexpectedly reached end of file.",  # bibtexparser's reason
        f"{binary}:1: not UTF-8 text (byte 0xff on line 1)",
    ]
    with pytest.raises(CitationFileError, match=r"library.json:2: not UTF-8 text \(byte 0xe9\)"):
        parse_citation_bytes(b'[{"title": "A"},\n{"title": "caf\xe9"}]', "library.json")


def test_a_record_that_is_not_utf8_is_rejected_and_the_others_read(tmp_path: Path) -> None:
    """One record written in Latin-1 in a UTF-8 file: that record is reported by its line, the
    others are read (the accents of the UTF-8 ones intact)."""
    data = (
        "@misc{one, title = {Caf\u00e9 one}, author = {Ada Lovelace}}\n"
        "@misc{two,\n  title = {Caf".encode()
        + b"\xe9 two},\n  author = {Ben}}\n"
        + "@misc{three, title = {Na\u00efve three}}\n".encode()
    )
    found = parse_citation_bytes(data, "mixed.bib")
    assert [c.title for c in found.entries] == ["Café one", "Naïve three"]
    assert found.rejected == ["mixed.bib:2: not UTF-8 text (byte 0xe9 on line 3)"]


def test_hostile_entries_are_kept_as_text_or_reported(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    text = (
        '@misc{a, title = {<script>alert(1)</script> \x00\x1b {\\"o}}, author = {A, B}}\n'
        "@misc{b, title = {" + "x" * 5000 + "}}\n"
        "@misc{c, doi = {javascript:alert(1)}}\n"
        "@misc{d, title = {Same}, url = {javascript:alert(1)}}\n"
    )
    report = hub.save_to_library(reader.id, parse_citations(text, "hostile.bib"))
    assert report.outside == 3 and report.rejected == ["hostile.bib:3: no title, DOI or arXiv id"]
    titles = [entry.title for entry in library_of(hub.store, reader.id)]
    assert "<script>alert(1)</script> ö" in titles
    assert max(len(title) for title in titles) == 1000
    assert all(entry.url is None for entry in library_of(hub.store, reader.id))


def test_the_commands_import_list_and_export(hub: Hub, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LITFEED_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("LITFEED_MODELS_DIR", str(hub.settings.resolved_models_dir))
    add_account(hub.store, "ada@example.org", None, verified=True)
    user = ["--user", "ada@example.org"]
    done = runner.invoke(
        app, ["library", "import", *user, str(DATA / "zotero.bib"), str(tmp_path / "none.ris")]
    )
    assert done.exit_code == 3
    assert "4 matched (4 new), 2 kept as outside items (2 new), 2 rejected" in done.stdout
    assert "zotero.bib:58" in done.stderr and "none.ris: cannot be read" in done.stderr
    listed = json.loads(runner.invoke(app, ["library", "list", *user, "--json"]).stdout)
    assert len(listed) == 6 and sum(row["outside"] for row in listed) == 2
    out = tmp_path / "mine.bib"
    exported = runner.invoke(app, ["library", "export", *user, "--out", str(out)])
    assert exported.exit_code == 0 and out.read_text().count("@misc{") == 6
    wrong = runner.invoke(app, ["library", "import", *user, "--format", "endnote", str(out)])
    assert wrong.exit_code == 2 and "unknown format 'endnote'" in wrong.stderr


def test_the_api_uploads_notes_tags_searches_and_exports_for_its_reader_only(hub: Hub) -> None:
    from fastapi.testclient import TestClient

    from litfeed.community.accounts import new_token
    from litfeed.web import create_app

    def bearer(email: str) -> dict[str, str]:
        account = add_account(hub.store, email, None, verified=True)
        return {"Authorization": f"Bearer {new_token(hub.store, account)[0]}"}

    ada, bob = bearer("ada@example.org"), bearer("bob@example.org")
    with TestClient(create_app(hub.settings), base_url="http://localhost") as client:
        with (DATA / "zotero.bib").open("rb") as file:
            uploaded = client.post("/api/library", files={"file": ("mine.bib", file)}, headers=ada)
        assert uploaded.status_code == 200, uploaded.text
        body = uploaded.json()
        assert (body["matched"], body["outside"], len(body["rejected"])) == (4, 2, 2)
        assert body["rejected"][0].startswith("mine.bib:58: ")
        papers = client.get("/api/library", headers=ada).json()["papers"]
        outside = next(p for p in papers if p["title"] == GODEL)
        assert outside["outside"] and outside["id"].startswith("outside:")
        number = outside["id"].split(":")[1]
        change = {"note": "read §3 again", "tags": ["logic", "to read"]}
        assert (
            client.patch(f"/api/library/outside/{number}", json=change, headers=ada).status_code
            == 204
        )
        assert (
            client.patch(
                "/api/library/1706.03762", json={"tags": ["logic"]}, headers=ada
            ).status_code
            == 204
        )
        bad = client.patch("/api/library/1706.03762", json={"tags": ["a,b"]}, headers=ada)
        assert bad.status_code == 400 and "tags" in bad.text
        tagged = client.get("/api/library?tag=logic", headers=ada).json()["papers"]
        assert sorted(p["title"] for p in tagged) == sorted([GODEL, "Attention Is All You Need"])
        assert next(p for p in tagged if p["title"] == GODEL)["note"] == "read §3 again"
        found = client.get("/api/library/search?q=theorem provers", headers=ada).json()["papers"]
        assert found and found[0]["title"] == GODEL
        by_note = client.get("/api/library/search?q=again", headers=ada).json()["papers"]
        assert by_note[0]["title"] == GODEL
        exported = client.get("/api/library/export.bib?tag=logic", headers=ada)
        assert exported.headers["content-type"].startswith("application/x-bibtex")
        assert exported.text.count("@misc{") == 2 and "keywords = {logic, to read}" in exported.text
        # a bad upload says why, and saves nothing
        refused = client.post("/api/library", files={"file": ("x.json", b"[{")}, headers=ada)
        assert refused.status_code == 400 and "x.json:1: not CSL-JSON" in refused.text
        assert (
            client.post("/api/library", files={"other": ("x", b"")}, headers=ada).status_code == 400
        )
        # bob sees and changes nothing of ada's
        assert client.get("/api/library", headers=bob).json() == {"papers": []}
        assert client.get("/api/library/search?q=theorem", headers=bob).json() == {"papers": []}
        assert "@misc" not in client.get("/api/library/export.bib", headers=bob).text
        for method, path in (
            ("PATCH", f"/api/library/outside/{number}"),
            ("DELETE", f"/api/library/outside/{number}"),
            ("PATCH", "/api/library/1706.03762"),
            ("DELETE", "/api/library/1706.03762"),
        ):
            answer = client.request(method, path, json={"note": "mine now"}, headers=bob)
            assert answer.status_code == 404, (method, path)
        assert client.delete(f"/api/library/outside/{number}", headers=ada).status_code == 204
        assert len(client.get("/api/library", headers=ada).json()["papers"]) == 5


def test_the_library_page_imports_notes_tags_searches_and_is_its_readers_alone(hub: Hub) -> None:
    from fastapi.testclient import TestClient

    from litfeed.web import create_app
    from tests.conftest import log_in

    reader = add_account(hub.store, "ada@example.org", "correct horse", verified=True)
    add_account(hub.store, "bob@example.org", "correct horse", verified=True)
    app = create_app(hub.settings)
    with (
        TestClient(app, base_url="http://localhost") as ada,
        TestClient(app, base_url="http://localhost") as bob,
        TestClient(app, base_url="http://localhost") as visitor,
    ):
        assert visitor.get("/library", follow_redirects=False).headers["location"] == (
            "/login?next=/library"
        )
        csrf = log_in(ada, "ada@example.org")
        empty = ada.get("/library")
        assert "Nothing saved yet" in empty.text and 'href="/library"' in empty.text
        forged = ada.post(
            "/library/import",
            data={"csrf": "forged"},
            files={"file": ("mine.bib", (DATA / "zotero.bib").read_bytes())},
        )
        assert forged.status_code == 403
        page = ada.post(
            "/library/import",
            data={"csrf": csrf},
            files={"file": ("mine.bib", (DATA / "zotero.bib").read_bytes())},
        )
        assert page.status_code == 200
        assert "4 matched papers here (4 new), 2 kept as outside items (2 new), 2 rejected" in (
            page.text
        )
        assert "mine.bib:58:" in page.text and page.text.count('class="paper-card') == 6
        godel = next(e for e in library_of(hub.store, reader.id) if e.title == GODEL)
        changed = ada.post(
            "/library/entry",
            data={
                "csrf": csrf,
                "entry": godel.id,
                "action": "save",
                "note": "<b>read again</b>",
                "tags": "logic, logic, , to read",
            },
        )
        assert changed.status_code == 200 and changed.url.path == "/library"
        assert (
            "&lt;b&gt;read again&lt;/b&gt;" in changed.text and "<b>read again" not in changed.text
        )
        tagged = ada.get("/library?tag=logic")
        assert tagged.text.count('class="paper-card') == 1 and "Gödel" in tagged.text
        found = ada.get("/library?q=theorem+provers")
        assert found.text.count('class="paper-card') >= 1
        assert (
            found.text.index("Gödel") < found.text.index("Attention Is All You Need")
            if ("Attention Is All You Need" in found.text)
            else "Gödel" in found.text
        )
        # bob sees none of it, and cannot change it
        bob_csrf = log_in(bob, "bob@example.org")
        assert "Nothing saved yet" in bob.get("/library").text
        stolen = bob.post(
            "/library/entry",
            data={"csrf": bob_csrf, "entry": godel.id, "action": "remove"},
        )
        assert stolen.status_code == 404
        removed = ada.post(
            "/library/entry", data={"csrf": csrf, "entry": godel.id, "action": "remove"}
        )
        assert removed.status_code == 200 and "Gödel" not in removed.text


def test_follows_raise_and_mutes_leave_out(hub: Hub) -> None:
    from litfeed.recommend import InterestError, rank, set_interest

    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    papers, _total = hub.list_papers(0, 1000)
    hub.store.library.save(
        reader.id, [hit.paper.pk for hit in hub.search("mutual information", "keyword", 4).hits]
    )

    def ranked() -> list:
        profile = profile_of(hub.store, reader.id)
        return rank(hub.store, hub.vector_index, profile, papers, len(papers), seed=reader.id)

    def place(paper_id: str) -> int:
        return [pick.paper.id for pick in ranked()].index(paper_id)

    before = place("2606.90002")  # graph sparsification for robots: far from the library
    assert set_interest(hub.store, reader.id, "follow-author", "sara LIND")
    assert not set_interest(hub.store, reader.id, "follow-author", "Sara Lind")  # as before
    after = place("2606.90002")
    assert after == 0, (before, after)
    pick = next(p for p in ranked() if p.paper.id == "2606.90002")
    assert pick.reasons[0] == "by Sara Lind, whom you follow"
    set_interest(hub.store, reader.id, "follow-category", "cs.CL")
    transformer = next(p for p in ranked() if p.paper.id == "1706.03762")
    assert "in cs.CL, which you follow" in transformer.reasons
    # mutes leave papers out: a word (whole word, any case), an author, a category
    set_interest(hub.store, reader.id, "mute-word", "CONTRASTIVE")
    ids = {pick.paper.id for pick in ranked()}
    assert "2606.90001" not in ids
    whole = re.compile(r"(?<!\w)contrastive(?!\w)", re.IGNORECASE)
    assert not any(whole.search(p.paper.title + " " + p.paper.abstract) for p in ranked())
    set_interest(hub.store, reader.id, "mute-author", "Ashish Vaswani")
    set_interest(hub.store, reader.id, "mute-category", "cs.ro")
    ids = {pick.paper.id for pick in ranked()}
    assert not ids & {"1706.03762", "2606.90002"}
    set_interest(hub.store, reader.id, "mute-category", "cs.ro", on=False)
    assert "2606.90002" in {pick.paper.id for pick in ranked()}
    # follows alone, no library: their papers first
    other = add_account(hub.store, "bob@example.org", None, verified=True)
    set_interest(hub.store, other.id, "follow-author", "Andrea Ng")
    profile = profile_of(hub.store, other.id)
    first = rank(hub.store, hub.vector_index, profile, papers, 3, seed=other.id)[0]
    assert first.paper.id == "2606.90001" and first.reasons == ["by Andrea Ng, whom you follow"]
    for kind, value in (
        ("follow-word", "x"),
        ("mute-word", ""),
        ("mute-word", "x" * 201),
        ("follow-category", "zz.bogus"),  # the shape of a category, but arXiv has none such
        ("mute-category", "cs.XX"),
    ):
        with pytest.raises(InterestError):
            set_interest(hub.store, reader.id, kind, value)
    # a category is kept as arXiv spells it
    assert set_interest(hub.store, other.id, "follow-category", "STAT.ml")
    assert hub.store.library.interests(other.id)["follow-category"] == ["stat.ML"]


def test_follows_and_mutes_through_the_api_and_the_commands(hub: Hub, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from litfeed.community.accounts import new_token
    from litfeed.web import create_app

    ada = add_account(hub.store, "ada@example.org", None, verified=True)
    bob = add_account(hub.store, "bob@example.org", None, verified=True)
    headers = {"Authorization": f"Bearer {new_token(hub.store, ada)[0]}"}
    bob_headers = {"Authorization": f"Bearer {new_token(hub.store, bob)[0]}"}
    with TestClient(create_app(hub.settings), base_url="http://localhost") as client:
        assert (
            client.put("/api/interests/follow-author/Sara Lind", headers=headers).status_code == 204
        )
        assert (
            client.put("/api/interests/mute-word/large language", headers=headers).status_code
            == 204
        )
        assert client.put("/api/interests/follow-word/x", headers=headers).status_code == 400
        bogus = client.put("/api/interests/follow-category/zz.bogus", headers=headers)
        assert bogus.status_code == 400 and "not an arXiv category" in bogus.json()["error"]
        mine = client.get("/api/interests", headers=headers).json()
        assert mine["follow-author"] == ["Sara Lind"] and mine["mute-word"] == ["large language"]
        assert client.get("/api/interests", headers=bob_headers).json()["follow-author"] == []
        gone = client.delete("/api/interests/follow-author/Sara Lind", headers=bob_headers)
        assert gone.status_code == 404
        assert (
            client.delete("/api/interests/follow-author/sara lind", headers=headers).status_code
            == 204
        )
        assert client.get("/api/interests", headers=headers).json()["follow-author"] == []
    monkeypatch.setenv("LITFEED_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("LITFEED_MODELS_DIR", str(hub.settings.resolved_models_dir))
    done = runner.invoke(app, ["follow", "--user", "bob@example.org", "author", "Andrea Ng"])
    assert done.exit_code == 0 and "follows the author 'Andrea Ng'" in done.stdout
    done = runner.invoke(app, ["mute", "--user", "bob@example.org", "category", "cs.RO"])
    assert done.exit_code == 0 and "mutes the category 'cs.RO'" in done.stdout
    done = runner.invoke(app, ["mute", "--user", "bob@example.org", "category", "cs.RO", "--stop"])
    assert done.exit_code == 0 and "no longer mutes" in done.stdout
    wrong = runner.invoke(app, ["follow", "--user", "bob@example.org", "word", "x"])
    assert wrong.exit_code == 2 and "follow an author or a category" in wrong.stderr
    assert hub.store.library.interests(bob.id) == {"follow-author": ["Andrea Ng"]}


def test_a_new_reader_is_offered_papers_to_rate_and_can_say_these_are_mine(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litfeed.recommend import Pool, papers_to_rate
    from litfeed.recommend.library import save_author_papers

    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    voter = add_account(hub.store, "bob@example.org", None, verified=True)
    day = hub.store.latest_day()
    assert day is not None
    papers, _total = hub.store.papers_of_days(day, day, 0, 5000)
    favourite = papers[7]
    hub.community.vote(voter, favourite, True)
    offered = papers_to_rate(hub.store, hub.vector_index, reader.id, day)
    assert len(offered) == 10 and offered[0].pk == favourite.pk  # the most voted first
    # once the reader has rated, half are the papers their model is least sure of
    hub.store.library.save(
        reader.id, [hit.paper.pk for hit in hub.search("mutual information", "keyword", 5).hits]
    )
    hub.store.library.rate(reader.id, offered[1].pk, -1)
    hub.store.library.rate(reader.id, offered[2].pk, 1)
    profile = profile_of(hub.store, reader.id)
    unsure = Pool(hub.store, hub.vector_index, papers).least_sure(profile, 5, seed=reader.id)
    assert len(unsure) == 5
    again = papers_to_rate(hub.store, hub.vector_index, reader.id, day)
    assert len(again) == 10 and {p.pk for p in unsure} <= {p.pk for p in again}
    assert not {offered[1].pk, offered[2].pk} & {p.pk for p in again}  # rated: not again
    # "these are my papers"
    assert save_author_papers(hub.store, reader.id, "  Sara   Lind ") == (1, 1)
    assert save_author_papers(hub.store, reader.id, "Sara Lind") == (1, 0)
    assert save_author_papers(hub.store, reader.id, "Nobody Atall") == (0, 0)
    monkeypatch.setenv("LITFEED_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("LITFEED_MODELS_DIR", str(hub.settings.resolved_models_dir))
    done = runner.invoke(app, ["library", "author", "--user", "ada@example.org", "Andrea Ng"])
    assert done.exit_code == 0 and "saved 1 papers by Andrea Ng" in done.stdout


def test_the_for_you_page_starts_a_new_reader(hub: Hub) -> None:
    import time

    from fastapi.testclient import TestClient

    from litfeed.community.accounts import new_token
    from litfeed.web import create_app
    from tests.conftest import log_in

    ada = add_account(hub.store, "ada@example.org", "correct horse", verified=True)
    token = {"Authorization": f"Bearer {new_token(hub.store, ada)[0]}"}
    with TestClient(create_app(hub.settings), base_url="http://localhost") as client:
        csrf = log_in(client, "ada@example.org")
        for _ in range(600):  # the server loads the model on a thread of its own
            page = client.get("/for-you")
            if page.status_code == 200:
                break
            time.sleep(0.1)
        assert "<title>For you · litfeed</title>" in page.text
        assert "Teach it what you read" in page.text and "Nothing to learn from yet" in page.text
        assert page.text.count('class="paper-card"') == 10
        assert client.post("/for-you/mine", data={"csrf": "forged", "name": "x"}).status_code == 403
        mine = client.post("/for-you/mine", data={"csrf": csrf, "name": "Sara Lind"})
        assert "Saved 1 papers by Sara Lind (1 new to your library)" in mine.text
        none = client.post("/for-you/mine", data={"csrf": csrf, "name": "Nobody Atall"})
        assert "No paper here lists “Nobody Atall” as an author" in none.text
        followed = client.post(
            "/for-you/interests",
            data={"csrf": csrf, "kind": "follow-author", "value": "Andrea Ng"},
        )
        assert followed.status_code == 200 and "Following the author <strong>Andrea Ng" in (
            followed.text
        )
        bad = client.post(
            "/for-you/interests", data={"csrf": csrf, "kind": "follow-x", "value": "y"}
        )
        assert bad.status_code == 400 and "unknown kind" in bad.text
        offered = client.get("/api/for-you/to-rate", headers=token).json()
        assert len(offered) == 10 and {"id", "title"} == set(offered[0])
        saved = client.post("/api/library/author", json={"name": "Andrea Ng"}, headers=token)
        assert saved.json() == {"found": 1, "new": 1}
        # a day, or a category, with no papers says so (not that papers are being embedded)
        quiet = client.get("/for-you", params={"category": "zz.none"}).text
        assert "No papers on this day in zz.none" in quiet and "embedded" not in quiet
        old = client.get("/for-you", params={"date": "1990-01-01", "week": "true"}).text
        assert "No papers in this week" in old


def test_a_saved_search_lists_its_new_matches_feed_and_mail(hub: Hub) -> None:
    import feedparser
    from fastapi.testclient import TestClient

    from litfeed.web import create_app
    from tests.conftest import log_in

    add_account(hub.store, "ada@example.org", "correct horse", verified=True)
    add_account(hub.store, "bob@example.org", "correct horse", verified=True)
    app = create_app(hub.settings)
    with (
        TestClient(app, base_url="http://localhost") as ada,
        TestClient(app, base_url="http://localhost") as bob,
    ):
        csrf = log_in(ada, "ada@example.org")
        found = ada.get("/search?q=attention+is+all+you+need&mode=keyword")
        assert "☆ save this search" in found.text
        saved = ada.post(
            "/searches/save",
            data={"csrf": csrf, "q": "attention is all you need", "mode": "keyword"},
        )
        assert saved.status_code == 200 and "Saved searches" in saved.text
        feed_path = "/feeds/search.atom?q=attention+is+all+you+need&mode=keyword&days=7"
        assert feed_path.replace("&", "&amp;") in saved.text
        assert "search%3Aq%3Dattention" in saved.text  # the digest section, by mail
        # the saved search's feed holds the new matches: the 2017 paper is not new
        everything = feedparser.parse(
            ada.get("/feeds/search.atom?q=attention+is+all+you+need&mode=keyword").content
        )
        assert "Attention Is All You Need" in {entry.title for entry in everything.entries}
        recent = feedparser.parse(ada.get(feed_path).content)
        assert not recent.bozo and recent.feed.links[0].href.endswith("days=7")
        assert "Attention Is All You Need" not in {entry.title for entry in recent.entries}
        # New is by the day a paper came here, not by its publication date: a paper of a saved
        # Hugging Face page has none, and is new on the day it was imported (the newest here).
        undated = hub.search(TITLE_MATCH, "keyword", 1).hits[0].paper
        assert undated.published is None and undated.day == hub.store.latest_day()
        words = {"q": TITLE_MATCH, "mode": "keyword"}
        for days, found in ((7, True), (None, True)):
            entries = feedparser.parse(
                ada.get("/feeds/search.atom", params={**words, "days": days or ""}).content
            ).entries
            assert (TITLE_MATCH in {entry.title for entry in entries}) is found, days
        # the search page and the API take the same filter, and the page keeps it
        page = ada.get("/search", params={**words, "days": 7}).text
        assert TITLE_MATCH in page and '<option value="7" selected>' in page
        api = ada.get("/api/search", params={**words, "days": 1, "limit": 100}).json()
        assert api["days"] == 1 and all(
            hub.get_paper(hit["paper"]["id"]).day == undated.day  # type: ignore[union-attr]
            for hit in api["hits"]
        )
        assert {hit["paper"]["id"] for hit in api["hits"]} >= {undated.id}
        old = ada.get("/api/search", params={"q": "attention", "mode": "keyword", "days": 1})
        assert "1706.03762" not in {hit["paper"]["id"] for hit in old.json()["hits"]}
        refused = ada.get("/api/search", params={**words, "days": 0})
        assert refused.status_code == 400 and "days" in refused.json()["error"]
        # the library's link to a saved search's page asks for its new papers the same way
        assert "&amp;days=7" in saved.text
        # bob has none of ada's
        log_in(bob, "bob@example.org")
        assert "Saved searches" not in bob.get("/library").text
        removed = ada.post(
            "/searches/save",
            data={
                "csrf": csrf,
                "q": "attention is all you need",
                "mode": "keyword",
                "action": "remove",
            },
        )
        assert "Saved searches" not in removed.text
        bad = ada.post("/searches/save", data={"csrf": csrf, "q": "x", "mode": "magic"})
        assert bad.status_code == 400


def test_for_you_takes_the_week_and_a_category(hub: Hub) -> None:
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    hub.store.library.save(
        reader.id, [hit.paper.pk for hit in hub.search("mutual information", "keyword", 4).hits]
    )
    day = hub.store.get_paper("2606.90002").day  # type: ignore[union-attr]
    assert day is not None
    on_the_day = hub.for_you(reader.id, day, 50)
    in_the_week = hub.for_you(reader.id, day, 50, week=True)
    assert in_the_week.week and in_the_week.first is not None and in_the_week.first.weekday() == 0
    assert in_the_week.candidates >= on_the_day.candidates >= 2
    robots = hub.for_you(reader.id, day, 50, category="CS.RO")
    assert [pick.paper.id for pick in robots.picks] == ["2606.90002"]


def test_mendeley_and_nasa_ads_entries_name_their_arxiv_papers(hub: Hub) -> None:
    """Mendeley writes the arXiv id in `arxivId`; NASA ADS (what arXiv's "Export BibTeX
    citation" serves) quotes braced titles and writes bare years and `eprint`."""
    reader = add_account(hub.store, "ada@example.org", None, verified=True)
    text = (
        "@article{Vaswani2017,\n"
        "archivePrefix = {arXiv},\n"
        "arxivId = {1706.03762},\n"
        "author = {Vaswani, Ashish and Shazeer, Noam},\n"
        "title = {{Attention is all you need}},\n"
        "year = {2017}\n"
        "}\n"
        "@ARTICLE{2026arXiv260690001N,\n"
        "       author = {{Ng}, Andrea},\n"
        '        title = "{A Stored Preprint by its arXiv Number}",\n'
        "      journal = {arXiv e-prints},\n"
        "         year = 2026,\n"
        "        month = jun,\n"
        "          eid = {arXiv:2606.90001},\n"
        "archivePrefix = {arXiv},\n"
        "       eprint = {2606.90001},\n"
        " primaryClass = {cs.LG},\n"
        "}\n"
    )
    citations = parse_citations(text, "mendeley-and-ads.bib")
    assert [(c.arxiv_id, c.year) for c in citations.entries] == [
        ("1706.03762", 2017),
        ("2606.90001", 2026),
    ]
    assert citations.entries[1].authors == ["Andrea Ng"]
    report = hub.save_to_library(reader.id, citations)
    assert (report.matched, report.outside, report.rejected) == (2, 0, [])
