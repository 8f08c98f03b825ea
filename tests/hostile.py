"""Mutated records for the import formats: real records with one value replaced by something
hostile (text the database cannot hold, numbers past every integer type, dates past the index's
range, nesting deeper than any parser's recursion). Shared by the property tests and
``bench/fuzz_import.py``.

A mutation keeps the record's framing (its line, or its entry in a JSON array), so every record
that was not mutated must be stored: that is what "no good record lost" is checked against.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litfeed.identifiers import title_paper_id
from litfeed.ingest import hf_pages
from litfeed.ingest.source import SourceFile
from litfeed.models import PaperRecord

# Raw JSON texts put where a value was.
HOSTILE_JSON: tuple[str, ...] = (
    "[" * 5000 + "]" * 5000,
    '{"a":' * 3000 + "1" + "}" * 3000,
    "9" * 5000,
    "-" + "9" * 4400,
    "1e999",
    "-1",
    "0",
    "2147483648",
    "9223372036854775808",
    "18446744073709551616",
    "0.5",
    "true",
    "null",
    "[]",
    "{}",
    '["a", ["b"]]',
    '{"name": ["x"], "fullname": {"a": 1}}',
    '[{"name": ["x"]}]',
    "[null, 1]",
    '"\\ud800"',
    '"a\\udfffb"',
    '"a\\u0000b"',
    '""',
    '"   "',
    '"' + "x" * 100_000 + '"',
    '"' + "é" * 300 + '"',
    '"10.1234/' + "d" * 300 + '"',
    '"9999-12-31T23:59:59-05:00"',
    '"0001-01-01T00:00:00+05:00"',
    '"2024-10-22T17:59:30"',
    '"0001-01-01"',
    '"1600-01-01"',
    '"9999-12-31"',
    '"2024-13-45"',
    '"Mon, 2 Apr 10007 19:18:42 GMT"',
    '"http:javascript:alert(1)//"',
    '"javascript:alert(1)"',
    '"https://"',
    '"2410.17243v99999999999999999999"',
    '"hep-th/9901001v' + "9" * 30 + '"',
    '"\\u202egnp.exe"',
    '"<script>alert(1)</script>"',
    '"a\\r\\nb"',
)

# Changes to a line of a saved Hugging Face page (bytes in, bytes out).
LINE_MUTATIONS: tuple[str, ...] = (
    "nul",
    "invalid-utf8",
    "overlong",
    "control",
    "bom",
    "empty",
    "glued-button",
    "rtl",
)

MARK = "@@litfeed-hostile@@"


@dataclass(frozen=True)
class MutatedFile:
    """File contents and the litfeed ids of the records in it that were not mutated."""

    data: bytes
    intact_ids: list[str]
    mutated: int


def paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 3) -> list[tuple[Any, ...]]:
    """Every place in ``value`` (a record as parsed from JSON) a mutation can go, to ``depth``."""
    found = [prefix]
    if depth == 0:
        return found
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key), depth - 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value[:2]):
            found += paths(inner, (*prefix, index), depth - 1)
    return found


def mutate_json(record: Any, path: tuple[Any, ...], raw: str) -> str:
    """``record`` as one line of JSON, with the value at ``path`` replaced by the raw JSON text
    ``raw`` (which may be JSON no encoder would write, e.g. 5,000 levels deep)."""
    if not path:
        return raw
    copy = json.loads(json.dumps(record))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = MARK
    return json.dumps(copy).replace(json.dumps(MARK), raw, 1)


def mutate_line(line: str, how: str, rng: random.Random) -> bytes:
    data = line.encode("utf-8")
    cut = rng.randrange(len(data) + 1)
    if how == "nul":
        return data[:cut] + b"\x00" + data[cut:]
    if how == "invalid-utf8":
        return data[:cut] + b"\xff\xfe" + data[cut:]
    if how == "overlong":
        return data * (100_000 // max(1, len(data)) + 1)
    if how == "control":
        return data[:cut] + b"\x07\x1b[31m" + data[cut:]
    if how == "bom":
        return "\ufeff".encode() + data
    if how == "empty":
        return b""
    if how == "glued-button":
        return b"Subscribe" + data
    return data[:cut] + "\u202e".encode() + data[cut:]


def arxiv_jsonl_file(records: Sequence[dict[str, Any]], rng: random.Random) -> MutatedFile:
    """Lines of arXiv JSON, about half of them mutated."""
    lines, intact = [], []
    mutated = 0
    for record in records:
        if rng.random() < 0.5:
            lines.append(mutate_json(record, rng.choice(paths(record)), rng.choice(HOSTILE_JSON)))
            mutated += 1
        else:
            lines.append(json.dumps(record))
            intact.append(str(record["id"]).split("v")[0])
    return MutatedFile(("\n".join(lines) + "\n").encode("utf-8"), intact, mutated)


def hf_daily_file(entries: Sequence[dict[str, Any]], rng: random.Random) -> MutatedFile:
    """A daily_papers array, about half of its entries mutated."""
    parts, intact = [], []
    mutated = 0
    for entry in entries:
        if rng.random() < 0.5:
            parts.append(mutate_json(entry, rng.choice(paths(entry)), rng.choice(HOSTILE_JSON)))
            mutated += 1
        else:
            parts.append(json.dumps(entry))
            intact.append(str(entry["paper"]["id"]))
    return MutatedFile(("[" + ",\n".join(parts) + "]").encode("utf-8"), intact, mutated)


def hf_pages_file(pairs: Sequence[tuple[str, str]], rng: random.Random) -> MutatedFile:
    """Title and abstract lines, about half of the papers with one of their lines mutated."""
    lines: list[bytes] = []
    intact = []
    mutated = 0
    for title, abstract in pairs:
        if rng.random() < 0.5:
            which = rng.randrange(2)
            how = rng.choice(LINE_MUTATIONS)
            pair = (title, abstract)
            lines += [
                mutate_line(text, how, rng) if i == which else text.encode()
                for i, text in enumerate(pair)
            ]
            mutated += 1
        else:
            lines += [title.encode(), abstract.encode()]
            intact.append(title_paper_id(title))
    return MutatedFile(b"\n".join(lines) + b"\n", intact, mutated)


def example_pairs(directory: Path) -> list[tuple[str, str]]:
    """(title, abstract) of each distinct paper on the bundled example pages."""
    pairs: dict[str, tuple[str, str]] = {}
    for page in sorted(directory.glob("*.txt")):
        for item in hf_pages.parse(SourceFile(page)):
            if isinstance(item, PaperRecord):
                pairs.setdefault(title_paper_id(item.title), (item.title, item.abstract))
    return list(pairs.values())


def arxiv_records(pairs: Sequence[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """Records in the arXiv bulk-snapshot shape, made from real titles and abstracts."""
    for number, (title, abstract) in enumerate(pairs, start=1):
        yield {
            "id": f"2501.{number:05d}",
            "submitter": "A. Author",
            "authors": "A. Author, B. Author and C. Author",
            "title": title,
            "comments": "12 pages, code at https://github.com/example/code",
            "journal-ref": None,
            "doi": f"10.1000/example.{number}",
            "categories": "cs.LG cs.CL",
            "abstract": abstract,
            "versions": [
                {"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"},
                {"version": "v2", "created": "Tue, 7 Jan 2025 10:00:00 GMT"},
            ],
            "update_date": "2025-01-07",
        }


def hf_daily_entries(pairs: Sequence[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """Entries in the daily_papers shape, made from real titles and abstracts."""
    for number, (title, abstract) in enumerate(pairs, start=1):
        yield {
            "paper": {
                "id": f"2502.{number:05d}",
                "authors": [
                    {"_id": "a1", "name": "A. Author", "hidden": False},
                    {"_id": "a2", "name": "B. Author", "hidden": False},
                ],
                "publishedAt": "2025-02-03T17:59:30.000Z",
                "title": title,
                "summary": abstract,
                "upvotes": number,
                "githubRepo": "https://github.com/example/code",
            },
            "publishedAt": "2025-02-04T00:57:09.392Z",
            "title": title,
            "numComments": 2,
            "submittedBy": {"fullname": "A. Submitter", "name": "submitter"},
        }
