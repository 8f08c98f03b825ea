"""Atom feeds (RFC 4287) of litfeed's lists, and the OpenSearch description that lets a
browser search litfeed from its address bar.

Every feed has the elements RFC 4287 requires (id, title, updated, an author) and a
``rel="self"`` link; every entry an id (the paper's page, which never changes), a title, an
updated moment, an alternate link, its authors and its abstract as the summary. XML is written
by ElementTree, so no title or abstract can break it; characters XML 1.0 cannot hold are
dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from litfeed.announcements import EASTERN
from litfeed.models import Paper

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
MEDIA_TYPE = "application/atom+xml"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
# Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Entry:
    paper: Paper
    note: str | None = None  # why it is in the feed (a digest's section, trending's reason)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _moment(paper: Paper) -> datetime:
    """When the entry last changed, as far as litfeed knows: the paper's day at arXiv's
    announcement hour, else when litfeed first saw it."""
    if paper.day is not None:
        return datetime.combine(paper.day, time(20, 0), EASTERN).astimezone(UTC)
    return paper.first_seen.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = _text(text)
    return element


def atom_feed(
    title: str,
    self_url: str,
    page_url: str,
    site_url: str,
    entries: Sequence[Entry],
    subtitle: str | None = None,
) -> bytes:
    """The Atom document of a list: ``self_url`` is the feed's own address (also its id),
    ``page_url`` the page it mirrors, ``site_url`` litfeed's address."""
    moments = [_moment(entry.paper) for entry in entries]
    feed = _feed(title, self_url, page_url, site_url, moments, subtitle)
    for entry, moment in zip(entries, moments, strict=True):
        paper = entry.paper
        url = f"{site_url}/papers/{paper.id}"
        item = _add(feed, "entry")
        _add(item, "id", url)
        _add(item, "title", " ".join(paper.title.split()) or paper.id)
        _add(item, "updated", _stamp(moment))
        if paper.published is not None:
            published = datetime.combine(paper.published, time(0, 0), UTC)
            _add(item, "published", _stamp(published))
        _add(item, "link", rel="alternate", type="text/html", href=url)
        if paper.arxiv_id:
            _add(item, "link", rel="related", href=f"https://arxiv.org/abs/{paper.arxiv_id}")
        for name in paper.authors:
            _add(_add(item, "author"), "name", name)
        for category in paper.categories:
            _add(item, "category", term=_text(category))
        summary = " ".join(paper.abstract.split())
        if entry.note:
            summary = f"[{entry.note}] {summary}"
        _add(item, "summary", summary, type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _feed(
    title: str,
    self_url: str,
    page_url: str,
    site_url: str,
    moments: Sequence[datetime],
    subtitle: str | None,
) -> ET.Element:
    # Plain names and an xmlns attribute: ElementTree then writes Atom as the default namespace.
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", self_url)
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    _add(feed, "updated", _stamp(max(moments) if moments else datetime.now(UTC)))
    author = _add(feed, "author")
    _add(author, "name", "litfeed")
    _add(author, "uri", site_url)
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=page_url)
    _add(feed, "generator", "litfeed", uri=site_url)
    return feed


@dataclass(frozen=True)
class Note:
    """An entry that is not a paper (a reply, a mention): its own address, title, moment,
    writer and sanitised HTML."""

    url: str
    title: str
    moment: datetime
    author: str
    html: str


def notes_feed(
    title: str,
    self_url: str,
    page_url: str,
    site_url: str,
    notes: Sequence[Note],
    subtitle: str | None = None,
) -> bytes:
    """The Atom document of notes (each entry's content the HTML given, already sanitised)."""
    feed = _feed(title, self_url, page_url, site_url, [n.moment for n in notes], subtitle)
    for note in notes:
        item = _add(feed, "entry")
        _add(item, "id", note.url)
        _add(item, "title", " ".join(note.title.split()))
        _add(item, "updated", _stamp(note.moment))
        _add(item, "link", rel="alternate", type="text/html", href=note.url)
        _add(_add(item, "author"), "name", note.author)
        _add(item, "content", note.html, type="html")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def opensearch_description(site_url: str) -> bytes:
    """The OpenSearch 1.1 description: litfeed's search page and its Atom feed of results."""
    root = ET.Element("OpenSearchDescription", xmlns=OPENSEARCH)

    def add(tag: str, text: str | None = None, **attributes: str) -> None:
        element = ET.SubElement(root, tag, attributes)
        if text is not None:
            element.text = text

    add("ShortName", "litfeed")
    add("Description", "Search papers on litfeed by words and by meaning")
    add("InputEncoding", "UTF-8")
    add("Url", type="text/html", method="get", template=f"{site_url}/search?q={{searchTerms}}")
    add("Url", type=MEDIA_TYPE, template=f"{site_url}/feeds/search.atom?q={{searchTerms}}")
    add(
        "Url",
        type=OPENSEARCH_TYPE,
        rel="self",
        template=f"{site_url}/opensearch.xml",
    )
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
