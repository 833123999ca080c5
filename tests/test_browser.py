"""The rendered book in a real browser: every page of ``_toc.yml`` opened in headless Chromium.

Readers meet the course as web pages, so a blank page, a missing figure or a Colab button to the
wrong path is a broken course even when every notebook runs. The book is built once (the
``built_book`` fixture, with -W), served from ``_build/html`` on a port of 127.0.0.1, and each
page is opened by Playwright driving Debian's Chromium (``/usr/bin/chromium``; ``.ci/run``
installs it, and ``$ACGAN_CHROMIUM`` names another). For each page the test checks:

- nothing went wrong while it loaded: no JavaScript error, no failed request, and no request to
  another site (the book is self-contained: book/_ext/course_assets.py);
- every ``<img>`` loaded (``naturalWidth > 0``), and every chapter has figures;
- MathJax rendered every formula, exactly on the pages whose source has math, and no math was
  left in the text unparsed (``$...$``);
- every internal link leads to a page of the build, and its ``#anchor`` to an element of it;
- on chapter pages, every Colab link opens that notebook's path in the repository;
- the page's heading, its browser title and its sidebar entry agree with the table of contents;
- on a phone-sized screen (390 px) the page does not scroll sideways;
- at the 1280 px window, no code block the page shows (outputs aside) scrolls sideways.

It saves a full-page screenshot of each page to ``_build/screenshots/`` (emptied first) for a
person to look at.
Without Chromium the tests skip, except under CI, where they fail.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from book_pages import (COLAB, TocPage, colab_url, config, has_math, markdown_of,
                        screenshot_folder, toc_pages)

# As the environment guide starts Chromium here: as root, headless, and with nothing that
# reaches out to the network on its own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
PAGES = toc_pages()
PHONE_WIDTH = 390  # CSS pixels, a common phone
SETTLE_MS = 30_000  # the longest a page may take to load its images and typeset its math


def _chromium() -> str | None:
    named = os.environ.get("ACGAN_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


def _typographic(text: str) -> str:
    """Text as Sphinx prints it: straight quotes become curly ones, spaces are collapsed."""
    return " ".join(text.replace("'", "\u2019").replace("\u00a0", " ").split())


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def screenshots(built_book) -> Path:
    """``_build/screenshots`` beside the build's ``html``, emptied of an earlier run's pages."""
    return screenshot_folder(built_book.html)


@pytest.fixture(scope="module")
def site(built_book):
    """The built book, served over HTTP on a free port of 127.0.0.1.

    A build that warned (``--keep-going`` still writes every page) is opened all the same:
    test_book_builds fails on its exit code, and the pages may show what went wrong.
    """
    if not (built_book.html / "index.html").is_file():
        pytest.fail(f"the book did not build (exit {built_book.returncode}):\n"
                    f"{built_book.log[-4000:]}")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(built_book.html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        message = ("no Chromium: install Debian's chromium (apt-get install chromium; .ci/run "
                   "does) or name one in $ACGAN_CHROMIUM")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# ------------------------------------------------------------------------------ one page
class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)


@functools.cache
def _anchors(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


def _broken_internal_links(hrefs: list[str], site: str, html: Path) -> list[str]:
    broken = []
    for href in sorted(set(hrefs)):
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != site:
            continue  # another site (GitHub, arXiv, Colab): not reachable offline
        target = html / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href}: no such file in the build")
        elif parts.fragment and target.suffix == ".html" \
                and unquote(parts.fragment) not in _anchors(target):
            broken.append(f"{href}: no element with id {unquote(parts.fragment)!r}")
    return broken


_INSPECT = r"""() => {
  const text = el => {
    if (!el) return null;
    const copy = el.cloneNode(true);
    copy.querySelectorAll('.headerlink').forEach(a => a.remove());
    return copy.textContent;
  };
  const here = location.href.split('#')[0];
  const sidebar = Array.from(document.querySelectorAll('nav.bd-docs-nav a'))
    .filter(a => a.href.split('#')[0] === here).map(a => a.textContent);
  const formulas = Array.from(document.querySelectorAll('.math'));
  // Math that MyST did not parse stays in the text as $...$, \(...\) or \[...\].
  const raw_math = () => {
    const skip = 'pre, code, script, style, mjx-container, .math, .cell_output';
    const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                             NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(skip)) continue;
      const match = node.textContent.match(/\$[^$\s][^$]*\$|\\\(|\\\[/);
      if (match) found.push(node.textContent.trim().slice(0, 80));
    }
    return found;
  };
  // Code the reader sees (not an output, not folded away) that scrolls sideways.
  const wide_code = Array.from(document.querySelectorAll('main pre'))
    .filter(pre => !pre.closest('.cell_output') && pre.checkVisibility()
                   && pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => pre.textContent.split('\n')
      .reduce((longest, line) => line.length > longest.length ? line : longest, '')
      .slice(0, 80));
  // The theme also prints an unnumbered copy of the title, shown only on paper.
  const visible_h1 = Array.from(document.querySelectorAll('main h1'))
    .filter(h => h.checkVisibility());
  return {
    images: Array.from(document.images).map(i => ({
      src: i.currentSrc || i.src, loaded: i.complete && i.naturalWidth > 0,
      figure: !!i.closest('.cell_output')})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    formulas: formulas.length,
    unrendered: formulas.filter(m => !m.querySelector('mjx-container'))
      .map(m => m.textContent.slice(0, 60)),
    raw_math: raw_math(),
    wide_code: wide_code,
    tex_errors: Array.from(document.querySelectorAll('mjx-merror'))
      .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 60)),
    mathjax_loaded: !!(window.MathJax && window.MathJax.version),
    h1: visible_h1.map(text),
    title: document.title,
    sidebar: sidebar,
    body_text: document.querySelector('main') ? document.querySelector('main').innerText.length : 0,
  };
}"""

_SETTLE = """async (limit) => {
  const pending = new Set();
  const settle = (what, promise) => {
    pending.add(what);
    return promise.then(() => pending.delete(what), () => pending.delete(what));
  };
  const images = Array.from(document.images).map(i => {
    i.loading = 'eager';
    return i.complete ? null : settle(`image ${i.currentSrc || i.src}`, new Promise(done => {
      i.addEventListener('load', done, {once: true});
      i.addEventListener('error', done, {once: true});
    }));
  });
  const all = Promise.all([...images,
    window.MathJax && window.MathJax.startup && window.MathJax.startup.promise
      ? settle('MathJax typesetting', window.MathJax.startup.promise) : null,
    settle('fonts', document.fonts.ready)]);
  const timer = new Promise(done => setTimeout(done, limit));
  await Promise.race([all, timer]);
  return Array.from(pending);
}"""


def _open(browser, site: str, page_spec: TocPage, shot: Path) -> tuple[dict, list[str]]:
    """Open one page; return what it shows and every problem seen while it loaded."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    problems: list[str] = []

    def only_the_book(route):
        if route.request.url.startswith(site + "/"):
            route.continue_()
        else:
            problems.append(f"requested from another site: {route.request.url}")
            route.abort()

    def on_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text} "
                            f"({message.location.get('url', '')})")

    def on_request_failed(request):
        if request.url.startswith(site):  # the others were refused by only_the_book
            problems.append(f"request failed: {request.url} ({request.failure})")

    def on_response(response):
        if response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", only_the_book)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"JavaScript exception: {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        page.goto(f"{site}/{page_spec.html}", wait_until="load")
        if page.locator("script[src*='mathjax']").count():
            try:  # MathJax replaces Sphinx's configuration object once its script has run
                page.wait_for_function("() => window.MathJax && window.MathJax.startup",
                                       timeout=SETTLE_MS)
            except PlaywrightTimeout:
                problems.append("MathJax did not start")
        pending = page.evaluate(_SETTLE, SETTLE_MS)
        problems += [f"still waiting after {SETTLE_MS / 1000:.0f} s: {p}" for p in pending]
        try:  # what loads late (MathJax's menu, say) has loaded, or failed, by now
            page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
        except PlaywrightTimeout:
            problems.append(f"the network was still busy after {SETTLE_MS / 1000:.0f} s")
        seen = page.evaluate(_INSPECT)
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        # On a phone-sized screen, wide code, tables and formulas scroll in their own boxes:
        # the page itself must not scroll sideways.
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
        seen["phone_scroll_width"] = page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() => "
            "done(document.documentElement.scrollWidth)))")
    finally:
        context.close()
    return seen, problems


# ------------------------------------------------------------------------------ the tests
@pytest.mark.slow
@pytest.mark.parametrize("page_spec", PAGES, ids=lambda p: p.file)
def test_page_renders_in_chromium(page_spec: TocPage, site, browser, built_book, screenshots):
    shot = screenshots / f"{page_spec.file}.png"
    seen, problems = _open(browser, site, page_spec, shot)
    html = built_book.html

    if seen["body_text"] < 200:
        problems.append(f"the page shows almost no text ({seen['body_text']} characters)")
    if seen["phone_scroll_width"] > PHONE_WIDTH:
        problems.append(f"at {PHONE_WIDTH} px wide the page scrolls sideways "
                        f"({seen['phone_scroll_width']} px of content)")
    problems += [f"image did not load: {i['src'][:120]}" for i in seen["images"]
                 if not i["loaded"]]
    problems += [f"a code block scrolls sideways at 1280 px; its longest line: {line!r}"
                 for line in seen["wide_code"]]
    if page_spec.is_notebook and not any(i["figure"] for i in seen["images"]):
        problems.append("a chapter without a single figure among its outputs")

    source_has_math = has_math(markdown_of(page_spec.source))
    if source_has_math and seen["formulas"] == 0:
        problems.append("the source has math, but the page has no formula")
    if not source_has_math and seen["formulas"]:
        problems.append(f"{seen['formulas']} formulas on a page whose source has no math")
    if seen["formulas"] and not seen["mathjax_loaded"]:
        problems.append("the page has formulas but MathJax did not load")
    for kind, found in (("formula not rendered by MathJax", seen["unrendered"]),
                        ("math left as text (not parsed)", seen["raw_math"]),
                        ("TeX error", seen["tex_errors"])):
        problems += [f"{kind}: {t!r}" for t in found[:5]]
        if len(found) > 5:
            problems.append(f"... {len(found) - 5} more ({kind})")

    problems += _broken_internal_links(seen["links"], site, html)

    if page_spec.is_notebook:
        expected = colab_url(page_spec.source)
        colab = [h for h in seen["links"] if h.startswith(COLAB)]
        if len(colab) < 2:  # the launch button in the header and the badge in the text
            problems.append(f"{len(colab)} Colab links; expected the launch button and the badge")
        problems += [f"Colab link to {h}, expected {expected}" for h in colab if h != expected]

    entry = _typographic(page_spec.entry)
    book_title = config()["title"]
    if [_typographic(h) for h in seen["h1"]] != [entry]:
        problems.append(f"visible level-1 headings {seen['h1']}, expected [{entry!r}]")
    if _typographic(seen["title"]) != _typographic(f"{entry} \u2014 {book_title}"):
        problems.append(f"title {seen['title']!r}, expected '{entry} \u2014 {book_title}'")
    if [_typographic(t) for t in seen["sidebar"]] != [entry]:
        problems.append(f"sidebar entries for this page: {seen['sidebar']}, expected [{entry!r}]")

    assert not problems, f"{page_spec.file}:\n  " + "\n  ".join(problems)
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_book_home_redirects_to_the_introduction(site, browser):
    page = browser.new_page()
    try:
        page.goto(f"{site}/index.html")
        page.wait_for_url(f"{site}/{PAGES[0].html}", timeout=10_000)
        assert page.title().startswith(PAGES[0].heading)
    finally:
        page.close()


# ------------------------------------------------------------------------------ the checks' parts
def test_broken_internal_links_are_named(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "a.html").write_text('<h1 id="top">A</h1><a name="old">x</a>')
    site = "http://127.0.0.1:8000"
    broken = _broken_internal_links([
        f"{site}/book/a.html", f"{site}/book/a.html#top", f"{site}/book/a.html#old",
        f"{site}/book/a.html#gone", f"{site}/book/b.html", "https://arxiv.org/abs/1610.09585",
        f"{site}/book/", "http://127.0.0.1:9999/book/b.html"], site, tmp_path)
    assert broken == [f"{site}/book/: no such file in the build",
                      f"{site}/book/a.html#gone: no element with id 'gone'",
                      f"{site}/book/b.html: no such file in the build"]
