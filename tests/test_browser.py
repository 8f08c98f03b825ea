"""A real browser: Debian's Chromium driven by Playwright against `litfeed serve`."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, Route, expect

from litfeed.community.accounts import add_account
from litfeed.config import Settings, load_settings
from litfeed.hub import Hub
from tests.conftest import EXAMPLES, ROOT
from tests.postgres import free_port
from tests.serving import litfeed_serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(seeded_settings: Settings) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "LITFEED_DATA_DIR": str(seeded_settings.data_dir),
        "LITFEED_MODELS_DIR": str(seeded_settings.resolved_models_dir),
    }
    environment.pop("LITFEED_DATABASE_URL", None)
    with litfeed_serving(port, environment, "--host", "127.0.0.1") as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    """A page in Debian's Chromium, closed with the browser after the test."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/test-setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser.new_page()
        browser.close()


def test_search_then_open_a_paper(server: str, page: Page, tmp_path: Path) -> None:
    page.goto(server + "/")
    assert page.locator("section.latest article.paper-card").count() == 20  # the day's five above
    # the page leads with the newest day's papers, most voted first
    assert page.locator("section.today article.paper-card").count() == 5
    page.get_by_label("Search papers").fill("mutual information")
    page.get_by_label("Search papers").press("Enter")
    page.wait_for_url("**/search?*q=mutual+information*")
    assert page.locator("mark").count() > 10
    assert "matched by words and meaning" in page.locator("article.paper-card").first.inner_text()
    page.get_by_role("link", name="MINE: Mutual Information Neural Estimation").click()
    page.wait_for_url("**/papers/t-*")
    assert page.locator("h1").inner_text() == "MINE: Mutual Information Neural Estimation"
    assert "Mutual Information Neural Estimator (MINE)" in page.locator("p.abstract").inner_text()
    page.screenshot(path=str(tmp_path / "paper.png"), full_page=True)


def test_pages_of_results_and_the_filter_form(server: str, page: Page) -> None:
    page.goto(server + "/search?q=mutual+information")
    first_titles = page.locator("article.paper-card h2").all_inner_texts()
    page.locator("a[rel=next]").click()
    page.wait_for_url("**page=2*")
    assert page.locator("text=page 2 of").count() == 1
    second_titles = page.locator("article.paper-card h2").all_inner_texts()
    assert second_titles and not set(first_titles) & set(second_titles)
    # The filter form sends its empty date and category fields too.
    page.get_by_label("Search mode").select_option("keyword")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**mode=keyword*")
    assert page.locator("p.count").inner_text().endswith('papers match "mutual information"')
    assert page.locator("article.paper-card").count() == 25
    page.set_viewport_size({"width": 390, "height": 800})
    button = page.get_by_role("button", name="Search").bounding_box()
    assert button is not None and button["x"] + button["width"] <= 390


@pytest.mark.parametrize(
    ("path", "rendered"), [("/docs", ".opblock"), ("/redoc", "[data-section-id]")]
)
def test_the_api_docs_render_with_nothing_from_another_host(
    server: str, page: Page, path: str, rendered: str
) -> None:
    elsewhere: list[str] = []

    def only_here(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.route("**/*", only_here)
    page.goto(server + path)
    page.wait_for_selector(rendered, timeout=30_000)
    assert page.locator(rendered).count() >= 3  # the API's operations
    assert elsewhere == []
    # The policy blocks nothing of the page's own (ReDoc's footer asks for its logo from its
    # makers' host: blocked, as everything from elsewhere is).
    blocked = [error for error in errors if "Content Security Policy" in error]
    assert all("cdn.redoc.ly/redoc/logo" in error for error in blocked), blocked


def test_a_formula_that_lost_its_backslashes_is_shown_as_text(server: str, page: Page) -> None:
    found = httpx.get(
        server + "/api/search",
        params={"q": "learning rate annealing scaling law", "mode": "keyword"},
    ).json()["hits"]
    paper = next(hit["paper"] for hit in found if "$L(s) = L_0" in hit["paper"]["abstract"])
    page.goto(f"{server}/papers/{paper['id']}")
    # "$L(s) = L_0 + Acdot S_1^{-alpha}$": drawn, it would be run-together italics
    assert page.locator("p.abstract math").count() == 0
    assert "Acdot S_1^{-alpha}" in page.locator("p.abstract").inner_text()


@pytest.fixture
def writable_server(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """litfeed serving (with its background worker) a fresh data directory: the examples and
    one arXiv paper that arrived without a date; the address and the outbox directory."""
    yield from _writable(tmp_path, models_dir, "--workers", "1")


@pytest.fixture
def quiet_server(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """`writable_server` without the background worker (which would embed the examples on both
    cores all along): for pages that need no index kept."""
    yield from _writable(tmp_path, models_dir, "--workers", "1", "--no-worker")


def _writable(tmp_path: Path, models_dir: Path, *options: str) -> Iterator[tuple[str, Path]]:
    from litfeed.models import PaperRecord, SourceRef

    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, models_dir=models_dir, embed_on_import=False)
    with Hub(settings) as hub:
        hub.import_paths([EXAMPLES])
        record = PaperRecord(
            title="Arrived without dates", arxiv_id="2501.99999", source=SourceRef("t", "t:1")
        )
        hub.store.save_records([record], hub.store.start_import("t", "t", ""))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "LITFEED_DATA_DIR": str(data_dir),
        "LITFEED_MODELS_DIR": str(models_dir),
        "LITFEED_BASE_URL": url,
    }
    environment.pop("LITFEED_DATABASE_URL", None)
    with litfeed_serving(port, environment, *options) as served:
        assert served == url
        yield url, data_dir / "outbox"


@pytest.fixture
def examples_server(tmp_path: Path, models_dir: Path) -> Iterator[str]:
    """litfeed serving what `make run` loads (`litfeed load-examples`), without a worker."""

    data_dir = tmp_path / "data"
    with Hub(Settings(data_dir=data_dir, models_dir=models_dir, embed_on_import=False)) as hub:
        hub.load_examples()
    port = free_port()
    environment = {**os.environ, "LITFEED_DATA_DIR": str(data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(models_dir)
    environment.pop("LITFEED_DATABASE_URL", None)
    with litfeed_serving(port, environment, "--no-worker") as url:
        yield url


def test_the_examples_daily_page_is_full_and_its_screenshot_is_taken(
    examples_server: str, page: Page, tmp_path: Path
) -> None:
    """A daily page of the example data shows real papers, with authors and categories; its
    screenshot is the README's (written to docs/daily.png with LITFEED_SCREENSHOTS=docs: `make
    screenshot`)."""
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(examples_server + "/daily")
    page.click("a[rel=prev]")  # from the saved pages' day to the arXiv slice's newest
    assert page.locator("h1").first.inner_text().startswith("Tuesday 30 June 2026")
    cards = page.locator("article.paper-card")
    assert cards.count() == 25
    for n in range(5):
        card = cards.nth(n)
        assert card.locator("h2").inner_text().strip()
        assert card.locator("a[href^='/authors/']").count() >= 1
        assert card.locator("a[href^='/?category=']").count() >= 1
    target = tmp_path / "daily.png"
    if os.environ.get("LITFEED_SCREENSHOTS") == "docs":
        target = ROOT / "docs" / "daily.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000  # a page of papers, not a blank one


def _mailed_link(outbox: Path, path: str) -> str:
    """The link to ``path`` in the first message the worker wrote to the outbox."""
    import email
    import re

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for file in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(file.read_bytes())
            body = message.get_payload(decode=True)
            assert isinstance(body, bytes)
            found = re.search(rf"(http://\S+{path}/\S+)", body.decode())
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no message with a {path} link in {outbox}")


def test_maths_is_drawn_by_the_browser(examples_server: str, page: Page) -> None:
    # an example arXiv paper whose abstract says $\\mathrm{decode}(\\mathrm{encode}(w)) = w$
    page.goto(f"{examples_server}/papers/2606.18717")
    formula = page.locator("p.abstract math").first
    box = formula.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 5
    assert "\\mathrm" not in page.locator("p.abstract").inner_text()


def _header_fits(page: Page) -> None:
    """At a phone's width to a wide screen's, the header's search box keeps room to type, none
    of its links and buttons covers another, and the page does not scroll sideways."""
    for width in (390, 768, 1024, 1280, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        field = page.get_by_label("Search papers").bounding_box()
        assert field is not None and field["width"] >= 150, width
        wide = page.evaluate(
            "(w) => [...document.querySelectorAll('body *')]"
            ".filter((e) => e.getBoundingClientRect().right > w)"
            ".map((e) => e.tagName + ' ' + (e.textContent || '').slice(0, 40))",
            width,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
        boxes = [
            box
            for box in (
                item.bounding_box()
                for item in page.locator("header.site :is(a, button, input[type=search])").all()
            )
            if box is not None
        ]
        for n, one in enumerate(boxes):
            for other in boxes[n + 1 :]:
                apart = (
                    one["x"] + one["width"] <= other["x"]
                    or other["x"] + other["width"] <= one["x"]
                    or one["y"] + one["height"] <= other["y"]
                    or other["y"] + other["height"] <= one["y"]
                )
                assert apart, (width, one, other)


def test_sign_up_verify_vote_and_submit(writable_server: tuple[str, Path], page: Page) -> None:
    server, outbox = writable_server
    page.goto(server + "/daily")
    page.click("text=Sign up")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button:has-text('Sign up')")
    assert page.locator("h1").inner_text() == "Almost there"
    page.goto(_mailed_link(outbox, "/verify"))
    assert page.locator("h1").inner_text() == "Confirm your address"  # opening it is not enough
    page.click("button:has-text('Confirm ada@example.org')")
    assert page.locator("h1").inner_text() == "Address confirmed"
    page.goto(server + "/login?next=/daily")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("form.account-form button")
    page.wait_for_url(server + "/daily")
    assert page.locator("nav.account .who").inner_text() == "ada@example.org"
    _header_fits(page)  # an administrator's: the most links
    page.set_viewport_size({"width": 1280, "height": 800})
    first = page.locator("article.paper-card").first
    first.locator("button.vote").click()
    page.wait_for_url(server + "/daily")
    pressed = page.locator("button.vote.voted")
    assert pressed.count() == 1 and pressed.inner_text().strip() == "▲ 1"
    page.click("text=Submit")
    page.fill("input[name=paper]", "https://arxiv.org/abs/2501.99999")
    page.click("form.account-form button")
    assert "joins today's page" in page.locator("p.notice").inner_text()
    # a form posted from elsewhere (no CSRF token) changes nothing
    response = page.request.post(f"{server}/papers/2501.99999/vote", form={"next": "/"})
    assert response.status == 403


def test_save_rate_and_see_what_is_for_you(writable_server: tuple[str, Path], page: Page) -> None:
    server, outbox = writable_server
    with Hub(load_settings(data_dir=outbox.parent)) as hub:
        add_account(hub.store, "ada@example.org", "correct horse battery", verified=True)
    page.goto(server + "/login?next=/search%3Fq%3Dmutual%2Binformation%26mode%3Dkeyword")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("form.account-form button")
    page.wait_for_url("**/search?**")
    cards = page.locator("article.paper-card")
    page.evaluate("window.notReloaded = true")  # saving and rating keep the page
    for n in range(3):
        cards.nth(n).locator("button.save").click()
        expect(cards.nth(n).locator("button.save")).to_have_text("★ Saved")
    assert page.locator("button.save.saved").count() == 3
    less = cards.nth(3).locator("button.rate[title='less like this']")
    less.click()
    expect(less).to_have_attribute("aria-pressed", "true")
    assert page.locator("button.rate.rated").count() == 1
    assert page.evaluate("window.notReloaded") is True
    page.reload()  # and the server has them
    assert page.locator("button.save.saved").count() == 3
    assert page.locator("button.rate.rated").count() == 1
    # the library page: the three, a tag on one, then only that tag
    page.click("nav.site-nav >> text=Library")
    assert page.locator("article.paper-card").count() == 3
    first = page.locator("form.entry").first
    first.locator("input[name=tags]").fill("to read")
    first.locator("button[value=save]").click()
    page.click("p.tags >> text=to read")
    assert page.locator("article.paper-card").count() == 1
    page.click("nav.site-nav >> text=For you")
    deadline = time.monotonic() + 120  # the worker embeds the papers; the server loads the model
    while page.locator("p.why").count() == 0 and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert page.locator("h1").inner_text().startswith("For you")
    why = page.locator("p.why").first
    assert why.inner_text().startswith("Why: close to your paper")
    assert why.locator("a").count() >= 1


def test_subscribe_confirm_and_change_preferences(
    writable_server: tuple[str, Path], page: Page
) -> None:
    server, outbox = writable_server
    page.goto(server + "/trending")
    footer = page.locator("footer form.subscribe")
    assert "Get trending papers in your inbox once a day" in footer.inner_text()
    footer.locator("input[name=email]").fill("ada@example.org")
    footer.locator("button").click()
    form = page.locator("form.subscription")
    assert form.locator("input[name=email]").input_value() == "ada@example.org"
    assert form.locator("textarea[name=sections]").input_value() == "trending"
    form.locator("textarea[name=sections]").fill("daily\nsearch:mutual information")
    form.locator("input[name=mutes]").fill("survey")
    form.locator("input[name=timezone]").fill("Europe/Berlin")
    form.locator("button").click()
    assert page.locator("h1").inner_text() == "Almost there"
    page.goto(_mailed_link(outbox, "/subscriptions/confirm"))
    page.get_by_role("button", name="Confirm ada@example.org").click()
    assert "Confirmed: ada@example.org will get the digest" in page.locator("main").inner_text()
    form = page.locator("form.subscription")
    assert form.locator("input[name=timezone]").input_value() == "Europe/Berlin"
    form.locator("input[name=max_papers]").fill("4")
    form.locator("select[name=send_hour]").select_option("9")
    form.locator("button[value=save]").click()
    assert "Saved." in page.locator("main").inner_text()
    assert page.locator("select[name=send_hour]").input_value() == "9"
    assert page.locator("input[name=max_papers]").input_value() == "4"
    page.click("text=Preview the next digest")
    assert page.locator("h2").count() == 4  # the digest's HTML part, four papers
    page.go_back()
    page.click("text=Unsubscribe")
    page.click("button:has-text('Unsubscribe')")
    assert page.locator("h1").inner_text() == "Unsubscribed"


DISCUSSED = "t-8ec3a34c72e9"  # an example paper


def test_write_reply_and_vote_on_comments(quiet_server: tuple[str, Path], page: Page) -> None:
    server, outbox = quiet_server
    with Hub(load_settings(data_dir=outbox.parent)) as hub:
        add_account(hub.store, "ada@example.org", "correct horse battery", verified=True)
    page.goto(f"{server}/login?next=/papers/{DISCUSSED}")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "correct horse battery")
    page.click("form.account-form button")
    page.wait_for_url(f"**/papers/{DISCUSSED}")
    page.evaluate("window.notReloaded = true")  # the script sends and redraws in place
    page.get_by_label("Add a comment").fill("Does the bound hold when $\\beta \\to \\infty$?")
    page.click("form.comment-form button")
    comment = page.locator("article.comment").first
    expect(comment).to_contain_text("Does the bound hold when")
    formula = comment.locator(".comment-body math")
    box = formula.bounding_box()
    assert box is not None and box["width"] > 20  # drawn, not shown as source
    comment.locator("details.reply summary").click()
    comment.get_by_label("Your reply").fill("It does, see **Section 4**.")
    comment.locator("details.reply button").click()
    reply = page.locator("article.comment.depth-1")
    expect(reply).to_contain_text("It does, see Section 4.")
    assert reply.locator(".comment-body strong").inner_text() == "Section 4"
    page.locator("article.comment.depth-0 button.vote").click()
    expect(page.locator("article.comment.depth-0 button.vote")).to_have_text("▲ 1")
    assert page.locator("h2:has-text('Discussion')").inner_text() == "Discussion (2)"
    assert page.evaluate("window.notReloaded") is True
    # an empty reply is refused where it was written (the browser's check bypassed)
    reply_form = page.locator("article.comment.depth-1 details.reply form")
    page.locator("article.comment.depth-1 details.reply summary").click()
    reply_form.locator("textarea").evaluate("t => t.removeAttribute('required')")
    reply_form.locator("button").click()
    expect(reply_form.locator("p.error")).to_have_text("a comment needs some text")


def test_hostile_comments_run_no_script_and_reach_no_other_host(
    quiet_server: tuple[str, Path], page: Page
) -> None:
    """The XSS corpus (tests/xss.py) as comments, read in Chromium: no dialog opens, no request
    leaves for another host, and the document the browser built holds no handler, script,
    frame, image or script address."""
    import sqlalchemy as sa

    from litfeed import discussion
    from litfeed.store.schema import rate_limits
    from tests.xss import CORPUS

    server, outbox = quiet_server
    with Hub(load_settings(data_dir=outbox.parent)) as hub:
        writer = add_account(hub.store, "mallory@example.org", "correct horse", verified=True)
        paper = hub.get_paper(DISCUSSED)
        assert paper is not None
        for number, payload in enumerate(CORPUS):
            if number % 2 == 0:  # the limits count real time: here a day passes every 2
                with hub.store.engine.begin() as connection:
                    connection.execute(sa.delete(rate_limits))
            discussion.post(hub.store, writer, paper, payload)
    dialogs: list[str] = []
    elsewhere: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def only_here(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.on("dialog", dismiss)
    page.route("**/*", only_here)
    page.goto(f"{server}/papers/{DISCUSSED}?comments=new")
    assert page.locator("article.comment").count() == len(CORPUS)
    for link in page.locator(".comment-body a").all()[:40]:
        link.hover()
    found = page.evaluate(
        """() => {
          const bad = [];
          const banned = ["SCRIPT", "IFRAME", "FRAME", "OBJECT", "EMBED", "IMG", "SVG", "STYLE",
                          "LINK", "META", "BASE", "VIDEO", "AUDIO", "SOURCE", "TEMPLATE"];
          for (const el of document.querySelectorAll(".discussion *")) {
            if (banned.includes(el.tagName.toUpperCase())) bad.push(el.tagName);
            for (const attribute of el.attributes) {
              const name = attribute.name.toLowerCase();
              const value = attribute.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
              if (name.startsWith("on") || ["style", "src", "srcdoc", "formaction"].includes(name)
                  || (["href", "action", "xlink:href"].includes(name)
                      && /^(javascript|data|vbscript):/.test(value))) {
                bad.push(el.tagName + " " + name + "=" + attribute.value);
              }
            }
          }
          return bad;
        }"""
    )
    assert found == []
    page.wait_for_timeout(500)
    assert dialogs == [] and elsewhere == []


@pytest.fixture
def map_server(copied_settings: Settings) -> Iterator[str]:
    """litfeed serving the embedded examples with their topic map built (no worker), and a
    confirmed reader (ada@example.org)."""
    from litfeed.topics import build_topics

    with Hub(copied_settings) as hub:
        build_topics(hub.store, hub.vector_index)
        add_account(hub.store, "ada@example.org", "correct horse", verified=True)
    port = free_port()
    environment = {**os.environ, "LITFEED_DATA_DIR": str(copied_settings.data_dir)}
    environment["LITFEED_MODELS_DIR"] = str(copied_settings.resolved_models_dir)
    environment.pop("LITFEED_DATABASE_URL", None)
    with litfeed_serving(port, environment, "--no-worker") as url:
        yield url


def _drawn_share(page: Page, png: bytes) -> float:
    """The share of a screenshot's pixels that are not the map's white background (the PNG
    decoded by the browser onto a canvas of its own)."""
    import base64

    return float(
        page.evaluate(
            """async (data) => {
                const image = new Image();
                image.src = `data:image/png;base64,${data}`;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const pixels = context.getImageData(0, 0, image.width, image.height).data;
                let drawn = 0;
                for (let at = 0; at < pixels.length; at += 4) {
                    if (Math.min(pixels[at], pixels[at + 1], pixels[at + 2]) < 235) drawn += 1;
                }
                return drawn / (image.width * image.height);
            }""",
            base64.b64encode(png).decode(),
        )
    )


def test_the_topic_map_hover_click_search_zoom_and_pick(
    map_server: str, page: Page, tmp_path: Path
) -> None:
    """The map drawn with WebGL in Chromium: points drawn (the screenshot is not blank),
    hovering a paper shows its title, searching highlights hits, zooming in names the finer
    topics, clicking a paper opens it; a reader circles an area (shift and drag) and follows
    the topics in it."""
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(map_server + "/topics")
    box = page.locator(".topic-map")
    expect(box).to_have_attribute("data-drawn", re.compile(r"\d+"), timeout=30_000)
    assert box.get_attribute("data-shown") == "471"
    stage = page.locator(".map-stage")
    shot = stage.screenshot(path=str(tmp_path / "map.png"))
    assert _drawn_share(page, shot) > 0.003  # 471 dots of a few pixels each, and labels
    assert page.locator(".map-label.level-0:not([hidden])").count() >= 2
    if os.environ.get("LITFEED_SCREENSHOTS") == "docs":
        stage.screenshot(path=str(ROOT / "docs" / "topics-examples.png"))

    canvas = page.locator(".map-canvas").bounding_box()
    assert canvas is not None
    ids = page.evaluate("async () => (await (await fetch('/api/topics/map')).json()).ids")
    title = httpx.get(f"{map_server}/api/papers/{ids[7]}").json()["paper"]["title"]
    x, y = page.evaluate("(id) => window.topicMap.where(id)", ids[7])
    page.mouse.move(canvas["x"] + x, canvas["y"] + y)
    expect(page.locator(".map-tip strong")).to_have_text(title, timeout=10_000)

    page.get_by_label("Find papers on the map").fill("diffusion")
    page.get_by_label("Find papers on the map").press("Enter")
    expect(box).to_have_attribute("data-found", re.compile(r"[1-9]\d*"), timeout=30_000)
    expect(page.locator(".map-status")).to_contain_text("are on the map")

    page.get_by_label("Find papers on the map").fill("")
    page.get_by_label("Find papers on the map").press("Enter")

    day = httpx.get(f"{map_server}/api/topics/map").json()["start"]  # the examples' one day
    page.get_by_label("From").fill("2100-01-01")
    expect(box).to_have_attribute("data-shown", "0")
    page.get_by_label("From").fill(day)
    expect(box).to_have_attribute("data-shown", "471")
    before = float(box.get_attribute("data-zoom") or 0)
    label = page.locator(".map-label.level-0:not([hidden])").first.bounding_box()
    assert label is not None  # scrolling on a label (a link over the canvas) zooms too
    page.mouse.move(label["x"] + label["width"] / 2, label["y"] + label["height"] / 2)
    page.mouse.wheel(0, -200)
    page.wait_for_function(f"() => window.topicMap.zoom() > {before * 1.05}", timeout=5_000)
    page.mouse.move(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    for _ in range(8):
        page.mouse.wheel(0, -400)
        page.wait_for_timeout(100)
    expect(box).to_have_attribute("data-labels", "fine", timeout=10_000)
    assert float(box.get_attribute("data-zoom") or 0) > before * 2

    # zooming has bounds: in, to a few papers' neighbourhood; out, to the map with a margin
    # round it; 512 times apart (the view's zoom counts the canvas's width, not the camera's)
    def settled_zoom() -> float:
        seen = float(page.evaluate("() => window.topicMap.zoom()"))
        for _ in range(50):
            page.wait_for_timeout(200)
            now = float(page.evaluate("() => window.topicMap.zoom()"))
            if now == seen:
                return now
            seen = now
        raise AssertionError("the map kept zooming")

    bounds = []
    for delta in (-3000, 3000):
        for _ in range(30):
            page.mouse.wheel(0, delta)
            page.wait_for_timeout(20)
        bounds.append(settled_zoom())
        page.mouse.wheel(0, delta)
        assert settled_zoom() == bounds[-1]
    assert bounds[0] / bounds[1] == pytest.approx(512, rel=0.01)
    assert bounds[1] < before < bounds[0]

    page.goto(map_server + "/topics")  # the first view again
    expect(box).to_have_attribute("data-drawn", re.compile(r"\d+"), timeout=30_000)
    x, y = page.evaluate("(id) => window.topicMap.where(id)", ids[7])
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)
    page.wait_for_url(re.compile(r"/papers/"), timeout=10_000)
    assert page.locator("h1").first.inner_text().strip() != ""

    # a reader circles the whole map: the pick names topics, and following them leads to For you
    page.goto(map_server + "/login?next=/topics")
    page.fill("input[name=email]", "ada@example.org")
    page.fill("input[name=password]", "correct horse")
    page.click("form.account-form button")
    page.wait_for_url(map_server + "/topics")
    expect(box).to_have_attribute("data-drawn", re.compile(r"\d+"), timeout=30_000)
    canvas = page.locator(".map-canvas").bounding_box()  # a reader's header is taller
    assert canvas is not None
    left, top = canvas["x"] + 5, canvas["y"] + 5
    right, bottom = canvas["x"] + canvas["width"] - 5, canvas["y"] + canvas["height"] - 5
    page.keyboard.down("Shift")
    page.mouse.move(left, top)
    page.mouse.down()
    for px, py in ((right, top), (right, bottom), (left, bottom), (left, top + 10)):
        page.mouse.move(px, py, steps=12)
    page.mouse.up()
    page.keyboard.up("Shift")
    pick = page.locator(".map-pick")
    expect(pick).to_be_visible(timeout=10_000)
    assert pick.locator("input[name=topic]").count() >= 1
    pick.get_by_role("button", name="These areas are mine").click()
    page.wait_for_url(re.compile(r"/for-you"), timeout=30_000)
    expect(page.locator("body")).to_contain_text("Following the topic", timeout=30_000)


def test_the_topic_map_without_webgl_is_a_picture(map_server: str) -> None:
    """A browser without WebGL keeps the page's picture of the map (every paper a dot) with
    the broad topics as links: no script needed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (scripts/test-setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--disable-3d-apis"]
        )
        page = browser.new_page()
        pictures: list[int] = []
        page.on(
            "response",
            lambda answer: (
                pictures.append(answer.status) if "/topics/map.png" in answer.url else None
            ),
        )
        page.goto(map_server + "/topics")
        page.wait_for_load_state("networkidle")
        assert (
            page.evaluate("() => !!document.createElement('canvas').getContext('webgl')") is False
        )
        box = page.locator(".topic-map")
        assert "live" not in (box.get_attribute("class") or "")
        assert pictures == [200]
        links = page.locator(".topic-map-picture a")
        assert links.count() >= 2
        links.first.click()
        page.wait_for_url(re.compile(r"/topics/\d+$"))
        browser.close()
