"""Every payload of the XSS corpus (tests/xss.py) written as a comment through the API, then
read back as everyone reads it: the API's HTML and the paper page's discussion hold nothing
outside the allow-list (no script, no event handler, no style, no address but http(s), mailto
and this site's), the writer's own edit form escapes the source, and the source comes back as
written. The same comments in Chromium: tests/test_browser.py."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from litfeed.community.accounts import add_account, new_token
from litfeed.discussion.render import render
from litfeed.hub import Hub
from litfeed.store.schema import rate_limits
from tests.conftest import log_in
from tests.xss import CORPUS, problems

PAPER = "t-8ec3a34c72e9"


def test_the_corpus_is_large_and_the_checker_finds_what_it_should() -> None:
    assert len(CORPUS) >= 200 and len(set(CORPUS)) == len(CORPUS)
    assert problems('<p onclick="x">a</p>') == ["<p onclick=…> is not allowed"]
    assert problems("<script>x</script>") == ["<script> is not allowed"]
    assert problems('<a href="java&#x09;script:x" rel="nofollow">a</a>')
    assert problems('<a href="https://example.org">a</a>')  # no rel=nofollow
    assert problems('<a href="https://example.org" rel="nofollow ugc noopener">a</a>') == []


def test_every_payload_renders_inside_the_allow_list() -> None:
    found = {payload: problems(render(payload)) for payload in CORPUS}
    assert {payload: why for payload, why in found.items() if why} == {}


def test_payloads_written_through_the_api_are_harmless_where_they_are_read(
    site_hub: Hub, site_client: TestClient
) -> None:
    writer = add_account(site_hub.store, "mallory@example.org", "correct horse", verified=True)
    token = new_token(site_hub.store, writer)[0]
    written: dict[int, str] = {}
    for number, payload in enumerate(CORPUS):
        if number % 2 == 0:  # the limits count real time; here a day passes every 2 comments
            with site_hub.store.engine.begin() as connection:
                connection.execute(sa.delete(rate_limits))
        made = site_client.post(
            f"/api/papers/{PAPER}/comments",
            json={"body": payload},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code == 201, (payload, made.text)
        written[made.json()["id"]] = payload
    thread = site_client.get(f"/api/papers/{PAPER}/comments").json()
    assert thread["count"] == len(CORPUS)
    for comment in thread["comments"]:
        assert comment["body"] == written[comment["id"]].strip()
        assert problems(comment["html"]) == [], written[comment["id"]]
    # the page, as its writer sees it (with the edit form holding each source)
    log_in(site_client, "mallory@example.org")
    page = site_client.get(f"/papers/{PAPER}?comments=new").text
    start = page.index('<section class="discussion"')
    section = page[start : page.index("</section>", start) + len("</section>")]
    assert section.count('class="comment depth-0"') == len(CORPUS)
    assert problems(section, page=True) == []
    assert "<script" not in section.lower()  # as text, every one is escaped
