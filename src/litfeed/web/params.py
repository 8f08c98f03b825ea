"""Query parameters shared by the pages, the JSON API and the feeds."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import BeforeValidator, Field, StringConstraints

from litfeed.models import MAX_COUNT
from litfeed.search import MAX_DAYS, MAX_QUERY_LENGTH, Mode


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


# A row's number in a path or a form: a number past the widest integer column names nothing
# (and would not reach the database: SQLite cannot even bind it), so it is refused as such.
RowId = Annotated[int, Path(ge=1, le=MAX_COUNT, description="A row's number.")]
FormRowId = Annotated[int, Form(ge=0, le=MAX_COUNT)]

PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1.")]
SearchQuery = Annotated[str, Query(max_length=MAX_QUERY_LENGTH, description="Words to search for.")]
# A form's empty category field means every category, as an absent one does.
Category = Annotated[
    Annotated[str, StringConstraints(max_length=64)] | None,
    BeforeValidator(_blank_is_none),
    Query(description="arXiv category, e.g. cs.LG."),
]
Author = Annotated[
    str | None, Query(max_length=300, description="An author's name, as papers list it.")
]
# A form's empty date field (``since=``) means no date filter, as an absent one does.
Since = Annotated[
    date | None,
    BeforeValidator(_blank_is_none),
    Query(description="Only papers published from this date (YYYY-MM-DD)."),
]
Until = Annotated[
    date | None,
    BeforeValidator(_blank_is_none),
    Query(description="Only papers published up to this date (YYYY-MM-DD)."),
]
# A form's "any time" (``days=``) means no such filter.
Days = Annotated[
    Annotated[int, Field(ge=1, le=MAX_DAYS)] | None,
    BeforeValidator(_blank_is_none),
    Query(
        description="Only papers of the last N days here (the daily pages' days, up to the "
        "newest): new papers, dated or not.",
    ),
]
SearchMode = Annotated[
    Mode, Query(description="hybrid (words and meaning), keyword (words) or semantic (meaning).")
]
Limit = Annotated[int, Query(ge=1, le=100, description="How many papers.")]
PageSize = Annotated[
    int | None,
    Query(ge=1, le=100, description="Papers a page (default: the server's LITFEED_PAGE_SIZE)."),
]
