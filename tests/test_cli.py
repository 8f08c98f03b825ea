"""The `litfeed` command through Typer's CliRunner, on a temporary data directory."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litfeed import __version__
from litfeed.cli import app
from litfeed.config import Settings
from litfeed.hub import Hub
from litfeed.store import NoDatabase, Store
from tests.conftest import EXAMPLES
from tests.postgres import PostgresServer
from tests.replay import Replay

runner = CliRunner()


@pytest.fixture
def data_dir(settings: Settings) -> Path:
    return settings.data_dir


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_prints_counts_and_a_second_import_changes_nothing(data_dir: Path) -> None:
    code, out, _ = _run("import", str(EXAMPLES))
    assert code == 0
    assert "total: 471 new, 0 updated, 73 unchanged, 0 rejected" in out
    code, out, _ = _run("import", str(EXAMPLES / "hf-papers-page-0.txt"))
    assert code == 0
    assert "0 new, 0 updated, 220 unchanged, 0 rejected" in out
    assert "nothing changed" in out


def test_import_reports_rejected_records_and_unknown_files(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "papers.jsonl"
    bad.write_text('{"id": "2501.00001", "title": "Fine"}\n{"id": "2501.00002"}\n')
    unknown = tmp_path / "notes.bin"
    unknown.write_bytes(b"\x00\x01 nothing like papers")
    code, out, err = _run("import", str(bad), str(unknown), str(tmp_path / "missing.txt"))
    assert code == 1
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in out
    assert "rejected papers.jsonl:2: field 'title' is missing or empty" in err
    assert "notes.bin: not a format litfeed can import" in err
    assert "missing.txt: no such file" in err
    assert "Traceback" not in out + err


def test_rejected_records_alone_give_exit_status_3_and_the_files_after_are_imported(
    data_dir: Path, tmp_path: Path
) -> None:
    deep = "[" * 5000 + "]" * 5000
    first = tmp_path / "a.jsonl"
    first.write_text(
        '{"id": "2501.00001", "title": "Fine"}\n'
        + '{"id": "2501.00002", "title": '
        + deep
        + "}\n"
        + '{"id": "2501.00003", "title": "Lone \\ud800"}\n'
    )
    second = tmp_path / "b.jsonl"
    second.write_text('{"id": "2501.00004", "title": "Also fine", "upvotes": 1}\n')
    code, out, err = _run("import", "--no-embed", str(first), str(second))
    assert code == 3 and "Traceback" not in out + err
    assert "a.jsonl (arxiv-jsonl): 1 new, 0 updated, 0 unchanged, 2 rejected" in out
    assert "rejected a.jsonl:2: not JSON that can be read: nested too deeply" in err
    assert "rejected a.jsonl:3: field 'title': character 6 is half of a UTF-16" in err
    assert "b.jsonl (arxiv-jsonl): 1 new" in out
    code, out, err = _run("import", "--no-embed", str(second))
    assert code == 0


def test_damaged_gzip_files_and_empty_directories_are_one_line_each(
    data_dir: Path, tmp_path: Path
) -> None:
    lines = "".join(
        json.dumps({"id": f"2501.{n:05d}", "title": f"Paper {n}", "abstract": "words " * 40}) + "\n"
        for n in range(1, 400)
    )
    whole = gzip.compress(lines.encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "fake.gz").write_bytes(b"\x1f\x8b" + bytes(range(256)))
    (tmp_path / "empty").mkdir()
    (tmp_path / "fine.jsonl").write_text(lines.splitlines()[0] + "\n")
    names = ["cut.jsonl.gz", "fake.gz", "empty", "fine.jsonl"]
    code, out, err = _run("import", "--no-embed", *(str(tmp_path / name) for name in names))
    assert code == 1 and "Traceback" not in out + err
    assert "fake.gz: a gzip file that cannot be read" in err
    assert "empty: a directory with no files to import" in err
    assert "rejected cut.jsonl.gz: file is cut short or corrupt" in err
    assert "fine.jsonl (arxiv-jsonl): 0 new, 0 updated, 1 unchanged, 0 rejected" in out


def test_an_import_whose_papers_cannot_be_embedded_still_reports_them(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITFEED_EMBEDDING_MODEL", str(data_dir / "no-model-here"))
    code, out, err = _run("import", "--embed", str(EXAMPLES / "hf-papers-page-0.txt"))
    assert code == 1 and "Traceback" not in out + err
    assert "hf-papers-page-0.txt (hf-papers-page): 220 new" in out
    assert err.startswith("error: the papers are stored, but not embedded: cannot load")
    monkeypatch.setenv("LITFEED_EMBED_ON_IMPORT", "true")
    code, out, err = _run("load-examples")
    assert code == 1 and "total: 2769 new" in out  # the other pages' 251 and two weeks of arXiv
    assert err.startswith("error: the papers are stored, but not embedded: cannot load")


def test_similar_says_why_it_has_nothing_before_papers_are_embedded(data_dir: Path) -> None:
    _run("import", "--no-embed", str(EXAMPLES / "hf-papers-page-0.txt"))
    paper_id = json.loads(_run("search", "mutual information", "--json")[1])["hits"][0]
    code, out, err = _run("similar", paper_id["paper"]["id"])
    assert code == 0 and out == ""
    assert err.startswith('note: no similar papers yet: "litfeed index" embeds')


def test_forced_format_that_does_not_fit_is_one_error_line(data_dir: Path) -> None:
    code, _, err = _run("import", "--format", "arxiv-jsonl", str(EXAMPLES / "hf-papers-page-2.txt"))
    assert code == 1
    assert err.count("\n") == 1 and "no arxiv-jsonl records in it" in err
    code, _, err = _run("import", "--format", "bibtex", str(EXAMPLES))
    assert code == 1 and "unknown format 'bibtex'" in err


def test_search_text_and_json(data_dir: Path) -> None:
    _run("import", str(EXAMPLES))
    code, out, _ = _run("search", "mutual information", "--limit", "5")
    assert code == 0
    assert "MINE: Mutual Information Neural Estimation" in out
    code, out, _ = _run("search", "mutual information", "--json", "--limit", "2")
    results = json.loads(out)
    assert results["total"] > 2 and len(results["hits"]) == 2
    assert {"paper", "score", "title", "snippet"} <= results["hits"][0].keys()


def test_search_errors_are_one_line(settings: Settings) -> None:
    Hub(settings).close()  # an empty database
    code, _, err = _run("search", "   ")
    assert code == 1 and err.startswith("error: the query is empty")
    code, _, err = _run("search", "x", "--since", "last week")
    assert code == 2 and "last week" in err
    code, _, err = _run("search", "x", "--since", "2026-02-01", "--until", "2026-01-01")
    assert code == 1 and err.startswith("error: no date is in that range")


def test_search_past_the_last_result_says_how_many_there_are(data_dir: Path) -> None:
    _run("import", str(EXAMPLES))
    _, out, _ = _run("search", "gaussian", "--mode", "keyword", "--json")
    total = json.loads(out)["total"]
    code, out, _ = _run("search", "gaussian", "--mode", "keyword", "--offset", "1000")
    assert code == 0
    assert out.strip() == f'{total} papers match "gaussian"; none past result {total}'


def test_serve_refuses_a_port_out_of_range(data_dir: Path) -> None:
    code, out, err = _run("serve", "--port", "99999")
    assert code == 2 and "65535" in err and "Traceback" not in out + err


def test_show_by_id_and_unknown_id(data_dir: Path) -> None:
    _run("import", str(EXAMPLES))
    _, out, _ = _run(
        "search", "MINE mutual information neural estimation", "--json", "--limit", "1"
    )
    paper_id = json.loads(out)["hits"][0]["paper"]["id"]
    code, out, _ = _run("show", paper_id)
    assert code == 0 and "MINE: Mutual Information Neural Estimation" in out
    assert "hf-papers-page-0.txt:7" in out
    code, out, _ = _run("show", paper_id, "--json")
    assert json.loads(out)["id"] == paper_id
    code, _, err = _run("show", "2501.99999")
    assert code == 1 and "no paper with id '2501.99999'" in err


def test_stats_counts_distinct_papers(data_dir: Path) -> None:
    _run("import", str(EXAMPLES))
    code, out, _ = _run("stats", "--json")
    numbers = json.loads(out)
    assert code == 0
    assert numbers["papers"] == 471
    assert numbers["by_source"] == {"hf-papers-page": 471}
    assert numbers["keyword_index"]["documents"] == 471
    assert (numbers["accounts"], numbers["subscribers"], numbers["digests"]) == (0, {}, {})
    _run("subscribers", "add", "ada@example.org", "--confirmed", "--section", "daily")
    _run("digest", "send")
    code, out, _ = _run("stats")
    assert "papers: 471" in out
    assert "subscribers: 1 confirmed" in out and "digests: 1 sent" in out


def test_index_embeds_what_is_new_and_rebuilds(data_dir: Path) -> None:
    _run("import", str(EXAMPLES))  # imports do not embed in these tests: indexing does
    code, out, _ = _run("index")
    assert (code, out.strip()) == (0, "keyword index: 0 papers, vector index: 471 papers")
    code, out, _ = _run("index")
    assert out.strip() == "keyword index: 0 papers, vector index: 0 papers"
    code, out, _ = _run("index", "--rebuild")
    assert out.strip() == "keyword index: 471 papers, vector index: 471 papers (rebuilt)"
    code, out, _ = _run("index", "--no-embed")
    assert out.strip() == "keyword index: 0 papers"


def test_load_examples_if_empty_only_once(data_dir: Path) -> None:
    code, out, _ = _run("load-examples", "--if-empty")
    assert code == 0 and "total: 2989 new" in out  # 471 from the saved pages, 2,518 from arXiv
    code, out, _ = _run("load-examples", "--if-empty")
    assert "already has papers" in out


def test_a_bad_setting_is_named(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITFEED_DATABASE_URL", "mysql://somewhere/db")
    code, _, err = _run("stats")
    assert code == 1
    assert err.startswith("error: LITFEED_DATABASE_URL:")


def test_an_unreachable_database_is_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITFEED_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    code, _, err = _run("stats")
    assert code == 1
    assert err.startswith(
        "error: cannot open database postgresql+psycopg://nobody@127.0.0.1:9/none"
    )
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "command", [["stats"], ["search", "diffusion"], ["show", "2501.00001"], ["similar", "x"]]
)
def test_a_command_that_only_reads_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    nowhere = tmp_path / "not-yet"
    monkeypatch.setenv("LITFEED_DATA_DIR", str(nowhere))
    code, _out, err = _run(*command)
    assert code == 1
    assert err.startswith(f"error: no litfeed database at {nowhere / 'litfeed.db'}; looked in ")
    assert "LITFEED_DATA_DIR" in err and "litfeed load-examples" in err and "litfeed import" in err
    assert len(err.strip().splitlines()) == 1
    assert not nowhere.exists()
    if command == ["stats"]:  # a command that writes creates it, and then it reads
        assert _run("import", str(EXAMPLES))[0] == 0 and (nowhere / "litfeed.db").exists()
        code, out, _err = _run("stats")
        assert code == 0 and out.startswith("papers: 471")


def test_an_empty_postgresql_database_is_not_read_as_litfeeds(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.create_database("litfeed_test_read_only")
    with pytest.raises(NoDatabase, match="holds no litfeed tables yet"):
        Store.open(url, create=False)
    Store.open(url).close()  # creates the tables
    Store.open(url, create=False).close()


def test_serve_on_a_busy_port_says_how_to_choose_another(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _out, err = _run("serve", "--port", str(port))
    assert code == 1
    assert err == (
        f"error: port {port} on 127.0.0.1 is in use (another litfeed serve?): choose another "
        "with --port N, LITFEED_PORT=N or make run PORT=N\n"
    )


def test_version() -> None:
    code, out, _err = _run("--version")
    assert code == 0 and out == f"litfeed {__version__}\n"


@pytest.mark.parametrize("command", ["search", "import", "similar", "serve"])
def test_help_names_parameters_not_python_types(command: str) -> None:
    code, out, _err = _run(command, "--help")
    assert code == 0
    assert "<bool>" not in out and "<list[" not in out
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage and usage.split()[-1].isupper()


def test_fetch_all_and_sources(
    fetch_settings: Settings, replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run("fetch", "--all")
    assert code == 1 and "no sources configured: set LITFEED_SOURCES" in err
    monkeypatch.setenv("LITFEED_SOURCES", "arxiv:cs hf-daily")
    code, out, _ = _run("sources")
    assert code == 0
    assert out.splitlines()[:3] == ["arxiv:cs", "  last run: never", "  next run: now (due)"]
    code, out, err = _run("fetch", "--all", "--quiet")
    assert code == 0, err
    assert "arxiv:cs: ok: 2,265 new, 0 updated, 0 unchanged, 0 rejected; complete: 3 pages" in out
    assert "hf-daily: ok: 0 new" in out
    assert err.strip() == ""  # --quiet: no page lines
    code, out, _ = _run("sources", "--json")
    rows = json.loads(out)
    assert [row["source"] for row in rows] == ["arxiv:cs", "hf-daily"]
    assert rows[0]["last_run"]["status"] == "ok" and rows[0]["last_run"]["new"] == 2265
    code, out, _ = _run("fetch", "arxiv-ids", "1605.08386", "not-an-id")
    assert code == 3 and "1 new, 0 updated, 0 unchanged, 1 rejected" in out
    code, out, _ = _run("fetch")
    assert code == 2 and "--all" in out
    code, _, err = _run("fetch", "hf-daily", "--week", "2024-43")
    assert code == 2 and "--week '2024-43': write an ISO week, e.g. 2024-W43" in err


# -- starting fast -------------------------------------------------------------------------------

HEAVY = (
    "sqlalchemy",
    "fastapi",
    "onnxruntime",
    "tokenizers",
    "torch",
    "sentence_transformers",
    "hnswlib",
    "tantivy",
    "numpy",
    "litfeed.hub",
    "litfeed.config",
)


def test_help_imports_nothing_heavy_and_answers_at_once() -> None:
    """`litfeed --help` imports none of the heavy modules (commands import what they use when
    they run); and it answers well within a generous bound, so that a regression shows."""
    stdout, loaded, took = _probe("--help")
    assert "search" in stdout and "subscribers" in stdout
    assert loaded == []
    assert took < 3.0, took  # about 0.25 s on the development machine


def _probe(*command: str) -> tuple[str, list[str], float]:
    """A ``litfeed`` command run as a process of its own, as from a shell: what it printed,
    the HEAVY modules it loaded, and the seconds it took."""
    import subprocess
    import sys
    import time

    probe = (
        f"import sys; from litfeed.cli import app; sys.argv = ['litfeed', *{command!r}]\n"
        "try:\n    app()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "import json\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]), file=sys.stderr)"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return done.stdout, list(json.loads(done.stderr.strip().splitlines()[-1])), took


def test_commands_that_need_no_model_load_no_model_and_no_vector_index(settings: Settings) -> None:
    """Reading the database, a paper, the indexes' state or searching by words loads neither
    the model's libraries nor the vector index's (nor numpy): only what each reads. (`stats`
    reads the indexes' state from their files; tantivy, 2 ms to load, comes with the search
    package they are in.)"""
    assert _run("import", "--no-embed", str(EXAMPLES))[0] == 0
    with Hub(settings) as hub:
        first = hub.store.list_papers()[0][0].id
    readers = ["sqlalchemy", "litfeed.hub", "litfeed.config"]
    for command, loaded in (
        (("stats",), [*readers, "tantivy"]),
        (("users", "list"), readers),
        (("subscribers", "list"), readers),
        (("show", first), readers),
        (("search", "diffusion", "--mode", "keyword"), [*readers, "tantivy"]),
    ):
        assert sorted(_probe(*command)[1]) == sorted(loaded), command


def test_the_names_help_lists_are_the_librarys() -> None:
    from litfeed.cli.maintenance import DEFAULT_METHOD, METHODS
    from litfeed.cli.sources import FORMAT_NAMES
    from litfeed.ingest import FORMATS
    from litfeed.search import reviewer_eval

    assert list(FORMAT_NAMES) == list(FORMATS)
    from litfeed.cli.library import CITATION_FORMATS
    from litfeed.recommend import citations

    assert CITATION_FORMATS == citations.FORMATS
    assert (METHODS, DEFAULT_METHOD) == (reviewer_eval.METHODS, reviewer_eval.DEFAULT_METHOD)


def test_days_out_of_range_and_unwritable_files_are_one_error_line(
    data_dir: Path, tmp_path: Path
) -> None:
    """A day whose neighbours Python cannot hold, and an output file in no directory, are said
    in one line, never a traceback."""
    assert _run("import", "--no-embed", str(EXAMPLES))[0] == 0
    assert _run("users", "add", "ada@example.org")[0] == 0
    assert _run("subscribers", "add", "ada@example.org")[0] == 0
    missing = tmp_path / "no such folder"
    for args, said in (
        (("digest", "preview", "ada@example.org", "--date", "9999-12-31"), "out of range"),
        (("digest", "preview", "ada@example.org", "--date", "0001-01-01"), "out of range"),
        (("for-you", "--user", "ada@example.org", "--date", "9999-12-31", "--week"), "range"),
        (("comments", "export", "--out", str(missing / "c.jsonl")), "cannot write"),
        (
            ("library", "export", "--user", "ada@example.org", "--out", str(missing / "l.bib")),
            "cannot write",
        ),
    ):
        result = runner.invoke(app, list(args))
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code == 1 and result.stderr.startswith("error: "), args
        assert said in result.stderr and len(result.stderr.splitlines()) == 1, args
