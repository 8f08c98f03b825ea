"""Discussion under papers (`litfeed.discussion`), on SQLite and PostgreSQL: threads three
levels deep with deeper replies listed flat, votes once per reader, top and new, edits marked,
deletions that keep replies, moderation (reports, hiding, the log), limits hit and recovered,
counts exact under concurrent writers, the API and the paper page's forms."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from litfeed import discussion
from litfeed.community.accounts import add_account, new_token
from litfeed.community.auth import Throttled
from litfeed.discussion import DiscussionError, NoComment, NotAllowed
from litfeed.hub import Hub
from litfeed.models import Paper
from litfeed.store import Account
from litfeed.store.schema import comments, rate_limits
from tests.conftest import csrf_of, log_in, proven_reader

PAPER = "t-8ec3a34c72e9"  # an example paper


def _paper(hub: Hub, paper_id: str = PAPER) -> Paper:
    paper = hub.get_paper(paper_id)
    assert paper is not None
    return paper


def test_a_thread_nests_three_levels_and_lists_deeper_replies_flat(site_hub: Hub) -> None:
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", name="ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    paper, store = _paper(site_hub), site_hub.store
    top = discussion.post(store, ada, paper, "The *first* comment, with $x^2$.")
    one = discussion.post(store, bo, paper, "a reply", top.id)
    two = discussion.post(store, ada, paper, "a reply to the reply", one.id)
    three = discussion.post(store, bo, paper, "deeper", two.id)
    four = discussion.post(store, ada, paper, "deeper still", three.id)
    sibling = discussion.post(store, bo, paper, "another reply at the third level", one.id)
    found = discussion.thread(store, _paper(site_hub))
    assert found.count == 6 and _paper(site_hub).comments_here == 6
    assert [(node.comment.id, node.depth) for node in found.flat()] == [
        (top.id, 0),
        (one.id, 1),
        (two.id, 2),
        (three.id, 3),
        (four.id, 3),
        (sibling.id, 2),
    ]
    flat = {node.comment.id: node for node in found.flat()}
    assert flat[three.id].replying_to == "ada" and flat[four.id].replying_to == "a reader"
    assert "<em>first</em>" in flat[top.id].html and "<math" in flat[top.id].html
    # a reply names a comment under the same paper, shown
    other = _paper(site_hub, found_other_paper(site_hub))
    with pytest.raises(NoComment):
        discussion.post(store, ada, other, "elsewhere", top.id)


def found_other_paper(hub: Hub) -> str:
    page, _total = hub.store.list_papers(0, 2)
    return next(p.id for p in page if p.id != PAPER)


def test_votes_count_once_and_order_the_top_comments(site_hub: Hub) -> None:
    readers = [proven_reader(site_hub, f"r{n}@example.org") for n in range(3)]
    paper, store = _paper(site_hub), site_hub.store
    first = discussion.post(store, readers[0], paper, "first")
    second = discussion.post(store, readers[1], paper, "second")
    for reader in readers:
        discussion.vote(store, reader, second.id, True)
    discussion.vote(store, readers[0], second.id, True)  # twice is once
    discussion.vote(store, readers[2], first.id, True)
    discussion.vote(store, readers[2], first.id, False)
    top = discussion.thread(store, paper, "top").comments
    assert [(n.comment.id, n.comment.score) for n in top] == [(second.id, 3), (first.id, 0)]
    new = discussion.thread(store, paper, "new").comments
    assert [n.comment.id for n in new] == [second.id, first.id]
    # a suspended account's votes stop counting
    store.community.hide_votes(readers[1].id, True)
    assert discussion.thread(store, paper).comments[0].comment.score == 2


def test_edits_are_marked_and_deletions_keep_the_replies(site_hub: Hub) -> None:
    ada = proven_reader(site_hub, "ada@example.org")
    bo = proven_reader(site_hub, "bo@example.org")
    paper, store = _paper(site_hub), site_hub.store
    top = discussion.post(store, ada, paper, "what I first thought")
    reply = discussion.post(store, bo, paper, "a reply")
    reply = discussion.post(store, bo, paper, "an answer", top.id)
    lonely = discussion.post(store, ada, paper, "nobody answers this")
    with pytest.raises(NotAllowed):
        discussion.edit(store, bo, top.id, "not mine")
    edited = discussion.edit(store, ada, top.id, "what I think now")
    assert edited.edited_at is not None and "think now" in edited.html
    discussion.delete(store, ada, top.id)
    discussion.delete(store, ada, lonely.id)
    with pytest.raises(NoComment):
        discussion.edit(store, ada, top.id, "again")
    found = discussion.thread(store, _paper(site_hub))
    nodes = {node.comment.id: node for node in found.flat()}
    assert lonely.id not in nodes  # deleted without replies: gone
    assert nodes[top.id].state == "deleted" and nodes[top.id].html == ""
    assert nodes[top.id].comment.body == ""  # its text is gone from the database too
    assert nodes[reply.id].state == "shown"
    assert found.count == 2 == _paper(site_hub).comments_here
    with pytest.raises(DiscussionError, match="takes no replies"):
        discussion.post(store, bo, paper, "to the deleted one", top.id)


def test_moderators_hide_and_restore_reported_comments_and_it_is_logged(site_hub: Hub) -> None:
    admin = proven_reader(site_hub, "admin@example.org")  # the first account: an administrator
    ada = proven_reader(site_hub, "ada@example.org")
    bo = proven_reader(site_hub, "bo@example.org")
    paper, store = _paper(site_hub), site_hub.store
    rude = discussion.post(store, ada, paper, "something rude")
    discussion.post(store, bo, paper, "answering the rude one", rude.id)
    assert discussion.report(store, bo, rude.id, "  rude,   and off topic ")
    assert not discussion.report(store, bo, rude.id, "again")  # once per reader
    [report] = store.discussion.open_reports()
    assert (report.comment_id, report.account_id, report.reason) == (
        rude.id,
        bo.id,
        "rude, and off topic",
    )
    with pytest.raises(NotAllowed):
        discussion.hide(store, bo, rude.id, True)
    assert discussion.hide(store, admin, rude.id, True, "rude")
    assert store.discussion.open_reports() == []
    readers_see = {n.comment.id: n for n in discussion.thread(store, paper).flat()}
    assert readers_see[rude.id].state == "hidden" and readers_see[rude.id].html == ""
    moderator_sees = {
        n.comment.id: n for n in discussion.thread(store, paper, moderator=True).flat()
    }
    assert "rude" in moderator_sees[rude.id].html
    assert _paper(site_hub).comments_here == 1
    with pytest.raises(NotAllowed):
        discussion.edit(store, ada, rude.id, "sorry")
    assert discussion.hide(store, admin, rude.id, False)
    assert _paper(site_hub).comments_here == 2
    log = store.discussion.logged()
    assert [(e.action, e.actor_id, e.comment_id, e.account_id) for e in log] == [
        ("restore", admin.id, rude.id, ada.id),
        ("hide", admin.id, rude.id, ada.id),
    ]
    assert log[1].detail == "rude"


def test_only_proven_active_accounts_write(site_hub: Hub) -> None:
    paper, store = _paper(site_hub), site_hub.store
    unproven = add_account(store, "new@example.org", "correct horse", verified=False)
    with pytest.raises(NotAllowed, match="confirm your address"):
        discussion.post(store, unproven, paper, "hello")
    ada = proven_reader(site_hub, "ada@example.org")
    made = discussion.post(store, ada, paper, "hello")
    store.community.disable_account(ada.id)
    suspended = store.community.account(ada.id)
    assert suspended is not None
    for act in (
        lambda: discussion.post(store, suspended, paper, "again"),
        lambda: discussion.edit(store, suspended, made.id, "changed"),
        lambda: discussion.delete(store, suspended, made.id),
        lambda: discussion.vote(store, suspended, made.id, True),
        lambda: discussion.report(store, suspended, made.id, "why"),
    ):
        with pytest.raises(NotAllowed, match="suspended"):
            act()
    writer = proven_reader(site_hub, "bo@example.org")
    for body, why in (("   ", "needs some text"), ("x" * 20_001, "at most"), ("a\x00b", "NUL")):
        with pytest.raises(DiscussionError, match=why):
            discussion.post(store, writer, paper, body)


def test_limits_are_hit_and_recovered(site_hub: Hub) -> None:
    paper, store = _paper(site_hub), site_hub.store
    newcomer = proven_reader(site_hub, "new@example.org", old=False)
    for n in range(2):
        discussion.post(store, newcomer, paper, f"comment {n}", network_address="192.0.2.1")
    with pytest.raises(Throttled, match="2 a minute in an account's first day"):
        discussion.post(store, newcomer, paper, "one too many", network_address="192.0.2.1")
    settled = proven_reader(site_hub, "old@example.org")
    for n in range(5):
        discussion.post(store, settled, paper, f"comment {n}", network_address="192.0.2.2")
    with pytest.raises(Throttled, match="5 a minute"):
        discussion.post(store, settled, paper, "one too many", network_address="192.0.2.2")
    # a minute later (the windows moved back), both write again
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(rate_limits).values(window_start=datetime.now(UTC) - timedelta(minutes=2))
        )
    discussion.post(store, newcomer, paper, "later", network_address="192.0.2.1")
    discussion.post(store, settled, paper, "later", network_address="192.0.2.2")
    # one network address, many accounts (rotating accounts do not escape it)
    crowd = [proven_reader(site_hub, f"c{n}@example.org") for n in range(5)]
    with pytest.raises(Throttled, match="from one network address"):
        for n in range(25):
            discussion.post(store, crowd[n % 5], paper, f"c {n}", network_address="192.0.2.9")


def test_concurrent_comments_are_all_counted(site_hub: Hub) -> None:
    paper, store = _paper(site_hub), site_hub.store
    writers = [proven_reader(site_hub, f"w{n}@example.org") for n in range(12)]
    start = threading.Barrier(len(writers))
    errors: list[BaseException] = []

    def write(account: Account) -> None:
        start.wait()
        try:
            made = discussion.post(store, account, paper, f"from {account.email}")
            discussion.vote(store, writers[0], made.id, True)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(sa.func.count()).select_from(comments)).scalar()
    assert rows == 12 == _paper(site_hub).comments_here
    assert all(n.comment.score == 1 for n in discussion.thread(store, paper).comments)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api(site_hub: Hub, site_client: TestClient) -> None:
    ada, bo = (
        proven_reader(site_hub, "ada@example.org", name="ada"),
        proven_reader(site_hub, "bo@example.org"),
    )
    mine, theirs = new_token(site_hub.store, ada)[0], new_token(site_hub.store, bo)[0]
    url = f"/api/papers/{PAPER}/comments"
    assert site_client.post(url, json={"body": "anonymous"}).status_code == 401
    made = site_client.post(url, json={"body": "Nice **result**"}, headers=_bearer(mine))
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["author"] == "ada" and "<strong>result</strong>" in first["html"]
    reply = site_client.post(
        url, json={"body": "Thanks", "parent": first["id"]}, headers=_bearer(theirs)
    )
    assert reply.status_code == 201 and reply.json()["parent"] == first["id"]
    assert (
        site_client.put(f"/api/comments/{first['id']}/vote", headers=_bearer(theirs)).json()[
            "score"
        ]
        == 1
    )
    tree = site_client.get(url).json()
    assert tree["count"] == 2 and tree["comments"][0]["replies"][0]["body"] == "Thanks"
    # another account cannot change or delete it; its writer can
    change = {"body": "Nice result, edited"}
    path = f"/api/comments/{first['id']}"
    assert site_client.patch(path, json=change, headers=_bearer(theirs)).status_code == 403
    assert site_client.delete(path, headers=_bearer(theirs)).status_code == 403
    edited = site_client.patch(path, json=change, headers=_bearer(mine)).json()
    assert edited["edited_at"] and edited["body"] == "Nice result, edited"
    assert site_client.patch(path, json={"body": " "}, headers=_bearer(mine)).status_code == 400
    reported = site_client.post(
        f"/api/comments/{reply.json()['id']}/report",
        json={"reason": "spam"},
        headers=_bearer(mine),
    )
    assert reported.json() == {"reported": True}
    assert site_client.delete(path, headers=_bearer(mine)).status_code == 204
    assert site_client.get(path).status_code == 404
    tree = site_client.get(url, params={"sort": "new"}).json()
    assert tree["count"] == 1 and tree["comments"][0]["state"] == "deleted"
    assert tree["comments"][0]["body"] is None and tree["comments"][0]["author"] is None
    assert site_client.get("/api/papers/nothing/comments").status_code == 404
    assert (
        site_client.post(
            url, json={"body": "x", "parent": 10**9}, headers=_bearer(mine)
        ).status_code
        == 404
    )
    # counts: on the paper's card data and in the Hugging Face-compatible API
    assert site_hub.get_paper(PAPER).comments_here == 1  # type: ignore[union-attr]


def test_the_paper_page_forms(site_hub: Hub, site_client: TestClient) -> None:
    proven_reader(site_hub, "ada@example.org", name="ada")
    page = site_client.get(f"/papers/{PAPER}")
    assert "Log in</a> to join the discussion" in page.text
    log_in(site_client, "ada@example.org")
    token = csrf_of(site_client, f"/papers/{PAPER}")
    body = {"body": "Is $\\alpha$ tuned?", "csrf": token}
    refused = site_client.post(f"/papers/{PAPER}/comments", data={**body, "csrf": "forged"})
    assert refused.status_code == 403
    sent = site_client.post(f"/papers/{PAPER}/comments", data=body, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/papers/{PAPER}#c")
    comment_id = int(sent.headers["location"].rsplit("#c", 1)[1])
    page = site_client.get(f"/papers/{PAPER}")
    assert f'id="c{comment_id}"' in page.text and "<math" in page.text
    assert 'Discussion <span class="count">(1)</span>' in page.text
    site_client.post(f"/comments/{comment_id}/vote", data={"csrf": token})
    assert "▲ 1" in site_client.get(f"/papers/{PAPER}").text
    site_client.post(f"/comments/{comment_id}/edit", data={"body": "changed", "csrf": token})
    assert ">edited<" in site_client.get(f"/papers/{PAPER}").text
    site_client.post(f"/comments/{comment_id}/delete", data={"csrf": token})
    assert f'id="c{comment_id}"' not in site_client.get(f"/papers/{PAPER}").text


def test_comments_made_by_older_rules_are_drawn_by_todays(site_hub: Hub) -> None:
    """The renderer's version is kept with each comment: one made by older rules is drawn
    again when read (a reader never writes), and the worker's `rerender_stale` stores it."""
    store = site_hub.store
    ada = proven_reader(site_hub, "ada@example.org")
    made = discussion.post(store, ada, _paper(site_hub), "Now *emphasised*")
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(comments)
            .where(comments.c.id == made.id)
            .values(html="<p>as the old rules drew it</p>", renderer=0)
        )
    [node] = discussion.thread(store, _paper(site_hub)).comments
    assert "<em>emphasised</em>" in node.html
    assert store.discussion.comment(made.id).html == "<p>as the old rules drew it</p>"  # type: ignore[union-attr]
    assert discussion.rerender_stale(store) == 1
    stored = store.discussion.comment(made.id)
    assert stored is not None and "<em>emphasised</em>" in stored.html
    assert stored.renderer == discussion.RENDERER
    assert discussion.rerender_stale(store) == 0
