"""The web UI on the bundled sample: the pages as HTML (TestClient), then in a real browser — Debian's
Chromium driven by Playwright against a real uvicorn on a loopback port: search, open the article, see
a quote highlighted with its speaker, follow it to the speaker's page.

The browser tests skip, saying why, when Playwright or /usr/bin/chromium is missing (``make test``
installs Chromium with apt-get when run as root).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from duiding.api import create_app
from duiding.cli import main

with warnings.catch_warnings():  # starlette's notice about its httpx successor, raised on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHROMIUM = "/usr/bin/chromium"
TITLE = "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"
QUOTE = "Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand"
HOSTILE = '<script>alert("x")</script> & <b>vet</b>'


@pytest.fixture(scope="module")
def sample_db(new_db, sample_txt) -> str:
    """The sample ingested into each backend (``new_db``): the pages read either the same way."""
    db = new_db()
    result = CliRunner().invoke(main, ["ingest", str(sample_txt), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def client(sample_db):
    with TestClient(create_app(sample_db, readers=2), base_url="http://127.0.0.1") as c:
        yield c


# -- the pages as HTML ------------------------------------------------------------------------------------


def test_search_page(client):
    r = client.get("/search", params={"q": "Loekasjenko"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert '<html lang="nl">' in html and '<meta charset="utf-8">' in html
    assert TITLE in html and 'href="/articles/nos-2448020"' in html
    assert "<mark>Loekasjenko</mark>" in html
    assert "Oekraïne" in html  # UTF-8, no mangling
    # facets: outlet, category, persons, speakers, each refining the query; the date histogram
    for facet in ("Medium", "Rubriek", "Personen", "Geciteerd", "NOS", "Buitenland", "Franka Hummels"):
        assert facet in html, facet
    assert "/search?q=Loekasjenko+AND+outlet%3A%22NOS%22" in html
    assert 'id="chart-dates"' in html and '"kind": "bar"' in html
    assert "/static/vendor/plotly.min.js" in html
    assert not re.search(r"""src=["']https?://""", html)  # nothing from elsewhere


def test_search_page_errors_and_paging(client):
    bad = client.get("/search", params={"q": "Loekasjenko)"})
    assert bad.status_code == 400 and "unexpected &#39;)&#39;" in bad.text and "^" in bad.text
    none = client.get("/search", params={"q": "voetbal"})
    assert none.status_code == 200 and "Niets gevonden" in none.text
    assert client.get("/search", params={"q": "Poetin", "page": 0}).status_code == 400
    home = client.get("/search")
    assert home.status_code == 200 and "Voorbeelden" in home.text and "Belarus" in home.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/search"
    missing = client.get("/nergens")
    assert missing.status_code == 404 and "Niet gevonden" in missing.text


def test_article_page_highlights_quotes_per_speaker(client):
    r = client.get("/articles/nos-2448020")
    assert r.status_code == 200
    html = r.text
    assert f"<h1>{TITLE}</h1>" in html
    # the quote: coloured per speaker, a title with speaker, role, organisation and type, a link
    span = re.search(r'<span class="quote (sp-\d) direct" id="q-1486" title="([^"]*)"([^>]*)>', html)
    assert span, "the quote at 1486 is not marked up"
    colour, title, rest = span.groups()
    assert title == "Tony van der Togt — Rusland-deskundige, Instituut Clingendael · direct citaat"
    assert 'data-href="/speakers/per-80009e2fd632"' in rest
    # the same speaker keeps the same colour; another speaker has another
    assert html.count(f'class="quote {colour} ') == 7
    hummels = re.search(r'<span class="quote (sp-\d) direct" id="q-874"', html)
    assert hummels and hummels.group(1) != colour
    # entity mentions link to their pages, inside quotes too
    assert re.search(
        r'<a class="ent ent-per" href="/entities/per-[0-9a-f]{12}" title="Aleksandr Loekasjenko', html
    )
    assert "Tony van der Togt" in html and 'href="/speakers/per-80009e2fd632"' in html
    assert client.get("/articles/nos-1").status_code == 404


def test_speaker_entity_and_sources_pages(client):
    speaker = client.get("/speakers/per-80009e2fd632")
    assert speaker.status_code == 200
    assert "<h1>Tony van der Togt</h1>" in speaker.text and QUOTE in speaker.text
    assert "Rusland-deskundige" in speaker.text and "Instituut Clingendael" in speaker.text
    assert 'href="/articles/nos-2448020#q-1486"' in speaker.text
    assert 'id="chart-timeline"' in speaker.text
    assert client.get("/speakers/Togt").status_code == 200  # by name too
    assert client.get("/speakers/Nobody").status_code == 404

    entity = client.get("/entities/Poetin")
    assert entity.status_code == 200 and "<h1>Vladimir Poetin</h1>" in entity.text
    assert "Vaak samen genoemd met" in entity.text and "Aleksandr Loekasjenko" in entity.text
    assert "Citaten over Vladimir Poetin" in entity.text
    assert client.get("/entities").status_code == 200
    assert client.get("/entities", params={"label": "PER", "q": "Belarus"}).status_code == 200

    sources = client.get("/sources", params={"q": "Belarus"})
    assert sources.status_code == 200
    for text in ("Meest geciteerd", "Franka Hummels", "Gender van de bronnen", "Rollen", "Media"):
        assert text in sources.text, text
    assert sources.text.index("Franka Hummels") < sources.text.index("Tony van der Togt")
    assert client.get("/sources").status_code == 200
    assert client.get("/sources", params={"q": "(x"}).status_code == 400


def test_everything_is_escaped(client):
    article = {"title": HOSTILE, "text": f"Een test met {HOSTILE} in de tekst over Loekasjenko en zo."}
    assert client.post("/api/articles?nlp=false", json=article).status_code == 201
    for path in ("/search?q=vet", "/search?q=" + "%3Cscript%3E"):
        html = client.get(path).text
        assert "<script>alert" not in html
    html = client.get("/search", params={"q": "vet"}).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    echoed = client.get("/search", params={"q": '"</script><script>x()</script>"'}).text
    assert "<script>x()" not in echoed


def test_security_headers_and_assets(client):
    r = client.get("/search")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    js = client.get("/static/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert js.status_code == 200 and js.headers["content-encoding"] == "gzip"
    assert js.headers["content-type"].startswith("text/javascript") and len(js.content) > 1_000_000
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


# -- in a browser -----------------------------------------------------------------------------------------


#: Where a word of an element's own text (outside links) is on the screen.
WORD_CENTRE = """(el, word) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const i = n.data.indexOf(word);
    if (i < 0 || n.parentElement.closest("a")) continue;
    const range = document.createRange();
    range.setStart(n, i);
    range.setEnd(n, i + word.length);
    const box = range.getBoundingClientRect();
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  }
  return null;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_db) -> Iterator[str]:
    """A real uvicorn serving the sample archive on a loopback port, in a thread."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        create_app(sample_db, readers=2), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]'): browser tests skipped")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; make test does it as root)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium"),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1366, "height": 860}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = []  # type: ignore[attr-defined]
    page.requested = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("request", lambda r: page.requested.append(r.url))
    yield page
    context.close()


def test_browser_search_article_quote_speaker(page, server):
    page.goto(f"{server}/search?q=Loekasjenko")
    hit = page.locator("ol.hits a", has_text=TITLE)
    assert hit.is_visible()
    assert page.title().startswith("Loekasjenko")
    assert page.locator("ol.hits mark").first.inner_text() == "Loekasjenko"
    page.wait_for_selector("#chart-dates.drawn")  # plotly, from this server, drew the histogram

    hit.click()
    page.wait_for_url(f"{server}/articles/nos-2448020")
    assert page.locator("h1").inner_text() == TITLE
    quote = page.locator(".body .quote", has_text=QUOTE)
    assert quote.count() == 1 and quote.is_visible()
    assert quote.get_attribute("title").startswith("Tony van der Togt — Rusland-deskundige")
    background = quote.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted
    legend = page.locator(".legend li", has_text="Tony van der Togt")
    assert legend.is_visible()
    assert legend.evaluate("el => getComputedStyle(el).borderTopColor") == quote.evaluate(
        "el => getComputedStyle(el).borderBottomColor"
    )  # the legend's colour is the quote's

    # click the quote on one of its own words (not on a name in it, which links to the entity)
    quote.scroll_into_view_if_needed()
    word = quote.evaluate(WORD_CENTRE, "bruggen")
    assert word is not None
    page.mouse.click(word["x"], word["y"])
    page.wait_for_url(f"{server}/speakers/per-80009e2fd632")
    assert page.locator("h1").inner_text() == "Tony van der Togt"
    assert page.locator(".quote-item", has_text=QUOTE).is_visible()
    page.wait_for_selector("#chart-timeline.drawn")
    assert page.problems == []  # type: ignore[attr-defined]
    assert all(url.startswith(server) or url.startswith("data:") for url in page.requested)  # type: ignore[attr-defined]


def test_browser_sources_and_entity(page, server):
    page.goto(f"{server}/sources?q=Belarus")
    first = page.locator("table.bars tbody tr").first
    assert "Franka Hummels" in first.inner_text()
    page.wait_for_selector("#chart-gender.drawn")
    page.locator(".chips a, table a", has_text="Franka Hummels").first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Franka Hummels"
    page.goto(f"{server}/articles/nos-2448020")
    page.locator(".body a.ent", has_text="Clingendael").first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "Instituut Clingendael"
    page.wait_for_selector("#chart-mentions.drawn")
    assert page.problems == []  # type: ignore[attr-defined]
