"""Mutated records for the import formats: real records with one value replaced by something
hostile (text the database cannot hold, numbers past every integer type, dates past the index's
range, nesting deeper than any parser's recursion). Shared by the property tests and
``bench/fuzz_import.py``.

A mutation keeps the record's framing (its line, or its entry in a JSON array), so every record
that was not mutated must be stored: that is what "no good record lost" is checked against.
"""

from __future__ import annotations

import ast
import io
import json
import random
import re
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
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


# -- arXiv's XML formats and .abs files ----------------------------------------------------------
# Hostile values for a field of an XML record or a .abs file. XML cannot carry NUL or a lone
# surrogate at all (a document with one is not well-formed, and nothing after it can be read), so
# these stay well-formed: a mutation must lose only its own record.
HOSTILE_TEXT: tuple[str, ...] = (
    "",
    "   ",
    "x" * 100_000,
    "é" * 300,
    "9" * 5000,
    "<script>alert(1)</script>",
    "\u202egnp.exe",
    "a\r\nb",
    "javascript:alert(1)",
    "2024-13-45",
    "Mon, 2 Apr 10007 19:18:42 GMT",
    "Mon, 31 Feb 2024 10:00:00 GMT",
    "2410.17243v99999999999999999999",
    "hep-th/9901001v" + "9" * 30,
    "v" + "9" * 30,
    "0001-01-01",
    "9999-12-31T23:59:59Z",
    "cs.LG " * 5000,
    "and, , and ,",
    "10.1234/" + "d" * 300,
)
# Raw markup put where a field's text was (still well-formed XML).
HOSTILE_MARKUP: tuple[str, ...] = (
    "<x>" * 5000 + "</x>" * 5000,
    "<![CDATA[<title>not a title</title>]]>",
    "&amp;&lt;&gt;&#x202e;&#xFFFD;&#x1F600;",
)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hostile_field(rng: random.Random) -> str:
    """Markup for a field's content: escaped hostile text or raw hostile markup."""
    if rng.random() < 0.8:
        return _xml_text(rng.choice(HOSTILE_TEXT))
    return rng.choice(HOSTILE_MARKUP)


def _mail_date(day: str) -> str:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00").strftime("%a, %d %b %Y %H:%M:%S GMT")


def _fields(record: dict[str, Any]) -> dict[str, str]:
    """A corpus record (arxiv-jsonl shape) as the text of each arXiv field."""
    authors = record.get("authors") or []
    if isinstance(authors, str) and authors.startswith("["):
        authors = ast.literal_eval(authors)  # the corpus keeps a list's repr
    elif isinstance(authors, str):
        authors = [name for name in re.split(r",\s*|\s+and\s+", authors) if name]
    categories = record.get("categories") or []
    if isinstance(categories, str):
        categories = categories.split()
    return {
        "id": str(record["id"]),
        "title": str(record["title"]),
        "authors": ", ".join(str(name) for name in authors),
        "categories": " ".join(categories),
        "comments": str(record.get("comment") or record.get("comments") or ""),
        "abstract": str(record.get("abstract") or ""),
        "date": _mail_date(str(record.get("first_listing_date") or "2025-03-18")),
    }


def _mutated(fields: dict[str, str], rng: random.Random) -> dict[str, str]:
    """The fields as markup, one of them hostile (or, sometimes, missing)."""
    markup = {name: _xml_text(value) for name, value in fields.items()}
    name = rng.choice(list(markup))
    if rng.random() < 0.1:
        del markup[name]
    else:
        markup[name] = _hostile_field(rng)
    return markup


def _raw_record(markup: dict[str, str], prefix: str = "arXivRaw") -> str:
    """One OAI-PMH record of the fields in ``prefix``'s metadata format."""
    if prefix == "arXivRaw":
        inner = "".join(
            f'<version version="v1"><date>{value}</date></version>'
            if name == "date"
            else f"<{name}>{value}</{name}>"
            for name, value in markup.items()
        )
        metadata = f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">{inner}</arXivRaw>'
    elif prefix == "arXiv":
        tags = {"date": "created", "authors": "authors"}
        inner = "".join(
            "<authors>"
            + "".join(f"<author><keyname>{n}</keyname></author>" for n in value.split(", "))
            + "</authors>"
            if name == "authors"
            else f"<{tags.get(name, name)}>{value}</{tags.get(name, name)}>"
            for name, value in markup.items()
        )
        metadata = f'<arXiv xmlns="http://arxiv.org/OAI/arXiv/">{inner}</arXiv>'
    else:
        tags = {
            "id": "identifier",
            "title": "title",
            "authors": "creator",
            "categories": "subject",
            "comments": "description",
            "abstract": "description",
            "date": "date",
        }
        creators = markup.pop("authors", None)
        inner = "".join(
            f"<dc:creator>{name}</dc:creator>" for name in (creators or "").split(", ") if name
        )
        inner += "".join(
            f"<dc:{tags[name]}>"
            + (f"http://arxiv.org/abs/{value}" if name == "id" else "")
            + (f"Comment: {value}" if name == "comments" else "")
            + (value if name not in ("id", "comments") else "")
            + f"</dc:{tags[name]}>"
            for name, value in markup.items()
        )
        metadata = (
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/">{inner}</oai_dc:dc>'
        )
    return (
        "<record><header><identifier>oai:arXiv.org:x</identifier><datestamp>2025-03-18"
        f"</datestamp></header><metadata>{metadata}</metadata></record>"
    )


def oai_raw_page(records: Sequence[dict[str, Any]], token: str, size: int) -> bytes:
    """An OAI-PMH ListRecords page in arXivRaw of ``records`` (arxiv-jsonl shape), with the
    resumption token of the next page ("" on the last) and the size of the whole list."""
    parts = [_raw_record({n: _xml_text(v) for n, v in _fields(r).items()}) for r in records]
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/'
        'OAI/2.0/"><request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
        "<ListRecords>" + "\n".join(parts) + f'<resumptionToken completeListSize="{size}">'
        f"{token}</resumptionToken></ListRecords></OAI-PMH>\n"
    )
    return document.encode("utf-8")


def oai_file(records: Sequence[dict[str, Any]], rng: random.Random) -> MutatedFile:
    """An OAI-PMH ListRecords page in arXivRaw, arXiv or oai_dc (chosen at random), about half
    of its records with a hostile field."""
    prefix = rng.choice(("arXivRaw", "arXiv", "oai_dc"))
    parts, intact, mutated = [], [], 0
    for record in records:
        fields = _fields(record)
        if prefix != "arXivRaw":
            fields["date"] = str(record.get("first_listing_date") or "2025-03-18")
        if rng.random() < 0.5:
            parts.append(_raw_record(_mutated(fields, rng), prefix))
            mutated += 1
        else:
            markup = {name: _xml_text(value) for name, value in fields.items()}
            parts.append(_raw_record(markup, prefix))
            intact.append(fields["id"])
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/'
        'OAI/2.0/"><request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>'
        "<ListRecords>" + "\n".join(parts) + "</ListRecords></OAI-PMH>\n"
    )
    return MutatedFile(document.encode("utf-8"), intact, mutated)


def _atom_entry(markup: dict[str, str]) -> str:
    names = {"authors": "author", "abstract": "summary", "comments": "arxiv:comment"}
    parts = []
    for name, value in markup.items():
        if name == "id":
            parts.append(f"<id>http://arxiv.org/abs/{value}v1</id>")
        elif name == "date":
            parts.append(f"<published>{value}</published>")
        elif name == "authors":
            parts += [f"<author><name>{n}</name></author>" for n in value.split(", ")]
        elif name == "categories":
            term = value.split(" ")[0].replace("<", "&lt;").replace('"', "&quot;")
            parts.append(f'<arxiv:primary_category term="{term}"/>')
        else:
            tag = names.get(name, name)
            parts.append(f"<{tag}>{value}</{tag}>")
    return "<entry>" + "".join(parts) + "</entry>"


def atom_file(records: Sequence[dict[str, Any]], rng: random.Random) -> MutatedFile:
    """An arXiv Atom API feed, about half of its entries with a hostile field."""
    parts, intact, mutated = [], [], 0
    for record in records:
        fields = _fields(record)
        fields["date"] = str(record.get("first_listing_date") or "2025-03-18") + "T10:00:00Z"
        if rng.random() < 0.5:
            parts.append(_atom_entry(_mutated(fields, rng)))
            mutated += 1
        else:
            parts.append(_atom_entry({name: _xml_text(value) for name, value in fields.items()}))
            intact.append(fields["id"])
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>arXiv Query</title>'
        + "\n".join(parts)
        + "</feed>\n"
    )
    return MutatedFile(document.encode("utf-8"), intact, mutated)


def _abs_text(fields: dict[str, str]) -> str:
    header = [
        f"arXiv:{fields['id']}" if "id" in fields else "",
        f"Date: {fields['date']}   (100kb)" if "date" in fields else "",
        f"Title: {fields['title']}" if "title" in fields else "",
        f"Authors: {fields['authors']}" if "authors" in fields else "",
        f"Categories: {fields['categories']}" if "categories" in fields else "",
        f"Comments: {fields['comments']}" if fields.get("comments") else "",
    ]
    lines = "\n".join(line for line in header if line)
    abstract = fields.get("abstract", "")
    return f"{'-' * 78}\n\\\\\n{lines}\n\\\\\n  {abstract}\n\\\\\n"


def abs_tar_file(records: Sequence[dict[str, Any]], rng: random.Random) -> MutatedFile:
    """A tar of .abs files, about half of them with a hostile field or hostile bytes."""
    buffer = io.BytesIO()
    intact, mutated = [], 0
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for number, record in enumerate(records):
            fields = _fields(record)
            if rng.random() < 0.5:
                mutated += 1
                if rng.random() < 0.3:
                    text = _abs_text(fields).encode("utf-8")
                    cut = rng.randrange(len(text) + 1)
                    data = (
                        text[:cut] + rng.choice((b"\x00", b"\xff\xfe", b"\\\\", b"")) + text[cut:]
                    )
                else:
                    name = rng.choice(list(fields))
                    fields[name] = rng.choice(HOSTILE_TEXT).replace("\n", " ")
                    data = _abs_text(fields).encode("utf-8")
            else:
                data = _abs_text(fields).encode("utf-8")
                intact.append(fields["id"])
            member = tarfile.TarInfo(f"abs/{number}.abs")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return MutatedFile(buffer.getvalue(), intact, mutated)
