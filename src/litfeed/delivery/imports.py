"""Subscriber lists read from files (`litfeed subscribers import`): one record, one fate. A line
that is not a subscriber (an address that is not one, a section that cannot be) is reported
with its file, line and field, and skipped; every good line is subscribed.

Two layouts: one address a line (blank lines and ``#`` comments skipped), or CSV with a header
row naming an ``email`` column and, optionally, ``sections`` (separated by ``;``), ``mutes``
(by ``,``), ``cadence``, ``max_papers``, ``send_hour`` and ``timezone``, as `litfeed
subscribers add` takes them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from litfeed.addresses import AddressError
from litfeed.delivery.subscriptions import (
    DEFAULT_MAX_PAPERS,
    Choices,
    SubscriptionError,
    Subscriptions,
    check_choices,
    parse_section,
)
from litfeed.errors import LitfeedError

COLUMNS = ("email", "sections", "mutes", "cadence", "max_papers", "send_hour", "timezone")


@dataclass
class ImportReport:
    subscribed: int = 0
    rejected: list[str] = field(default_factory=list)  # "FILE:LINE: field: why"


class ListError(LitfeedError):
    """The file cannot be read as a subscriber list at all; the message says why."""


def import_subscribers(
    subscriptions: Subscriptions, path: Path, confirmed: bool = False
) -> ImportReport:
    """Subscribe every good line of ``path`` (``confirmed``: at once, the administrator
    vouching for the list; else each address is mailed a link to confirm)."""
    report = ImportReport()
    for line, row in _rows(path):
        try:
            choices = _choices(row)
            subscriptions.subscribe(
                row.get("email") or "", choices, confirmed=confirmed, trusted=True
            )
        except (AddressError, SubscriptionError, _FieldError) as error:
            report.rejected.append(f"{path}:{line}: {error}")
            continue
        report.subscribed += 1
    return report


class _FieldError(ValueError):
    pass


def _choices(row: dict[str, str]) -> Choices:
    def number(name: str, default: int) -> int:
        text = (row.get(name) or "").strip()
        try:
            return int(text) if text else default
        except ValueError:
            raise _FieldError(f"{name}: {text[:40]!r} is not a whole number") from None

    sections = [s for s in (row.get("sections") or "").split(";") if s.strip()]
    try:
        return check_choices(
            [parse_section(section) for section in sections or ["trending"]],
            [row.get("mutes") or ""],
            number("max_papers", DEFAULT_MAX_PAPERS),
            (row.get("cadence") or "").strip() or None,
            number("send_hour", 7),
            (row.get("timezone") or "").strip() or None,
        )
    except SubscriptionError as error:
        raise _FieldError(f"{error.field}: {error}") from None  # the column at fault


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, fields) of each record. Lines end at LF (CR LF) only: a Unicode line
    separator inside a line stays in it, to be refused with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ListError(f"{path}: cannot be read as UTF-8 text ({error})") from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    start = next(
        (n for n, line in enumerate(lines) if line.strip() and not line.startswith("#")), 0
    )
    header = [name.strip().lower() for name in next(csv.reader([lines[start]]), [])]
    if "email" not in header:
        for number, line in enumerate(lines, 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, {"email": line}
        return
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ListError(
            f"{path}:{start + 1}: unknown columns {', '.join(unknown)} "
            f"(known: {', '.join(COLUMNS)})"
        )
    reader = csv.DictReader(io.StringIO("\n".join(lines[start:]), newline=""))
    for record in reader:
        fields = {(k or "").strip().lower(): v or "" for k, v in record.items() if k}
        yield start + reader.line_num, fields
