"""The HTTP API through the real app (FastAPI's TestClient): search, articles, quotes, entities,
aggregates, export and ingest on the bundled sample; validation and error codes; API keys and roles for
every endpoint; ``duiding users`` and ``duiding serve``'s refusal to run open on a public address."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute

from duiding.analysis import export
from duiding.api import create_app, is_loopback
from duiding.api.auth import KeyStore, role_allows
from duiding.cli import main
from duiding.cli_serve import refusal
from duiding.store import open_archive

with warnings.catch_warnings():  # starlette's notice about its httpx successor, raised on import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BASE = "http://127.0.0.1"
TITLE = "Belarussen willen geen oorlog, maar hun leider doet wat Poetin wil"


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def sample_db(new_db, sample_txt) -> str:
    """The sample ingested into each backend (``new_db``): the API serves either the same way."""
    db = new_db()
    result = invoke("ingest", sample_txt, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="module")
def client(sample_db):
    """The app as `duiding serve` runs it on 127.0.0.1 with no keys configured: open to local requests."""
    with TestClient(create_app(sample_db, readers=2), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, str]:
    """A users file with one key per role (and its path under "path")."""
    path = tmp_path_factory.mktemp("auth") / "auth.sqlite"
    store = KeyStore(path)
    made = {role: store.add(f"{role}-user", role) for role in ("reader", "editor", "admin")}
    store.close()
    return {**made, "path": str(path)}


@pytest.fixture(scope="module")
def keyed(sample_db, keys):
    """The same archive served with API keys on."""
    with TestClient(create_app(sample_db, auth_path=keys["path"], readers=2), base_url=BASE) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# -- search ---------------------------------------------------------------------------------------------


def test_search_finds_the_sample_with_highlighted_snippet(client):
    r = client.get("/api/search", params={"q": "Loekasjenko"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    hit = body["hits"][0]
    assert (hit["id"], hit["title"], hit["outlet"]) == ("nos-2448020", TITLE, "NOS")
    assert hit["published"] == "2022-10-12T07:00:02+02:00"
    assert "<b>Loekasjenko</b>" in hit["snippet"]
    assert any(f["match"] and f["text"] == "Loekasjenko" for f in hit["fragments"])
    # the snippet is HTML: the article's own characters come escaped
    assert "'" not in hit["snippet"] and "&#39;" in hit["snippet"]


def test_search_dates_and_paging(client):
    def total(**params: object) -> int:
        r = client.get("/api/search", params={"q": "Poetin", **params})
        assert r.status_code == 200, r.text
        return r.json()["total"]

    assert total(**{"from": "2022-10-12", "to": "2022-10-12"}) == 1
    assert total(**{"from": "2022-10-13"}) == 0
    assert total(to="2022-10-11") == 0
    r = client.get("/api/search", params={"q": "Poetin", "page": 2})
    assert r.json()["hits"] == [] and r.json()["total"] == 1
    r = client.get("/api/search", params={"from": "2022-10-01"})  # no q: everything in the period
    assert r.json()["total"] == 1


def test_search_errors(client):
    r = client.get("/api/search", params={"q": "Loekasjenko)"})
    assert r.status_code == 400
    assert r.json()["detail"] == "query error at 11: unexpected ')'"
    assert r.json()["position"] == 11
    r = client.get("/api/search", params={"q": "Poetin~"})
    assert r.status_code == 400 and "fuzzy" in r.json()["detail"]
    r = client.get("/api/search", params={"q": "Poetin", "from": "2022-10-13", "to": "2022-10-01"})
    assert r.status_code == 400 and "after" in r.json()["detail"]
    for params in (
        {"q": "x", "size": 101},
        {"q": "x", "size": 0},
        {"q": "x", "page": 0},
        {"q": "x", "page": 1001},
        {"q": "x" * 1001},
        {"q": "x", "from": "12-10-2022"},
    ):
        r = client.get("/api/search", params=params)
        assert r.status_code == 422, params
        assert isinstance(r.json()["detail"], list)


# -- articles, quotes, entities ----------------------------------------------------------------------------


def test_article_with_entities_and_quotes(client):
    r = client.get("/api/articles/nos-2448020")
    assert r.status_code == 200
    article = r.json()
    assert article["title"] == TITLE
    assert len(article["quotes"]) == 24 and len(article["entities"]) > 50
    text = article["text"]
    for span in article["quotes"] + article["entities"]:
        assert text[span["start"] : span["end"]] == span["text"]
    by_url = client.get("/api/articles/" + article["url"])
    assert by_url.status_code == 200 and by_url.json()["id"] == "nos-2448020"
    missing = client.get("/api/articles/nos-1")
    assert missing.status_code == 404 and missing.json() == {"detail": "no article 'nos-1' in the archive"}


def test_quotes_of_a_speaker(client):
    r = client.get("/api/quotes", params={"speaker": "Tony van der Togt"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 7 and len(body["quotes"]) == 7
    assert {q["speaker"] for q in body["quotes"]} == {"Tony van der Togt"}
    assert body["quotes"][0]["text"] == "Loekasjenko heeft daarmee alle bruggen naar het Westen verbrand"
    assert body["quotes"][0]["organisation"] == "Instituut Clingendael"
    assert client.get("/api/quotes", params={"speaker": "Togt"}).json()["total"] == 7
    page = client.get("/api/quotes", params={"speaker": "Togt", "size": 5, "page": 2}).json()
    assert len(page["quotes"]) == 2
    assert client.get("/api/quotes", params={"speaker": "Togt", "q": "voetbal"}).json()["total"] == 0
    assert client.get("/api/quotes", params={"q": "Belarus"}).json()["total"] == 24
    assert client.get("/api/quotes", params={"q": "a)"}).status_code == 400


def test_entities_and_profiles(client):
    r = client.get("/api/entities", params={"limit": 3})
    assert r.status_code == 200
    top = r.json()["entities"]
    assert [e["canonical"] for e in top] == ["Belarus", "Aleksandr Loekasjenko", "Vladimir Poetin"]
    people = client.get("/api/entities", params={"label": "person", "q": "Belarus"}).json()
    assert people["label"] == "PER" and all(e["label"] == "PER" for e in people["entities"])
    assert people["entities"][0]["articles"] == 1
    assert client.get("/api/entities", params={"label": "dier"}).status_code == 400

    poetin = client.get("/api/entities/Putin").json()  # any spelling the normalisation folds together
    assert poetin["entity"]["canonical"] == "Vladimir Poetin"
    assert poetin["mentions"] == 14 and poetin["quotes_mentioning_total"] == 7
    assert client.get("/api/entities/" + poetin["entity"]["id"]).json()["entity"] == poetin["entity"]
    assert client.get("/api/entities/Nobody").status_code == 404

    togt = client.get("/api/speakers/Van der Togt").json()
    assert togt["speaker"]["name"] == "Tony van der Togt" and togt["quotes_total"] == 7
    assert togt["roles"][0]["role"] == "Rusland-deskundige"
    assert client.get("/api/speakers/Nobody").status_code == 404


# -- aggregates and export --------------------------------------------------------------------------------


def test_aggregate_puts_franka_hummels_first(client):
    r = client.get("/api/aggregate", params={"q": "Belarus", "by": "speaker"})
    assert r.status_code == 200
    body = r.json()
    assert body["by"] == "speaker" and body["counts"] == "quotes"
    first = body["buckets"][0]
    assert (
        first["label"] == "Franka Hummels" and first["count"] == 12 and first["extra"]["gender"] == "female"
    )
    counts = [b["count"] for b in body["buckets"]]
    assert counts == sorted(counts, reverse=True)
    months = client.get("/api/aggregate", params={"by": "month"}).json()["buckets"]
    assert [(b["key"], b["count"]) for b in months] == [("2022-10", 1)]
    partners = client.get("/api/aggregate", params={"by": "cooccurrence", "entity": "Poetin", "limit": 3})
    assert partners.status_code == 200 and len(partners.json()["buckets"]) == 3


def test_aggregate_errors(client):
    assert client.get("/api/aggregate", params={"by": "colour"}).status_code == 422
    assert client.get("/api/aggregate").status_code == 422
    r = client.get("/api/aggregate", params={"by": "outlet", "label": "PER"})
    assert r.status_code == 400 and "label" in r.json()["detail"]
    assert client.get("/api/aggregate", params={"by": "cooccurrence", "entity": "Nobody"}).status_code == 404
    assert client.get("/api/aggregate", params={"by": "speaker", "q": "(Belarus"}).status_code == 400
    assert client.get("/api/aggregate", params={"by": "speaker", "limit": 0}).status_code == 422


def test_export_streams_what_the_cli_writes(client, sample_db, tmp_path):
    archive = open_archive(sample_db)
    try:
        for what, fmt in (("quotes", "csv"), ("articles", "jsonl"), ("entities", "csv")):
            expected = tmp_path / f"expected.{fmt}"
            export(archive, "Belarus", what, fmt, expected)
            r = client.get("/api/export", params={"q": "Belarus", "what": what, "format": fmt})
            assert r.status_code == 200, r.text
            assert r.content == expected.read_bytes(), (what, fmt)
            assert "attachment" in r.headers["content-disposition"]
    finally:
        archive.close()
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export", params={"what": "quotes"}).text)))
    assert len(rows) == 24 and rows[0]["article_id"] == "nos-2448020"
    parquet = client.get("/api/export", params={"what": "quotes", "format": "parquet"})
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
    import pyarrow.parquet as pq

    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 24
    assert client.get("/api/export", params={"what": "people"}).status_code == 422
    assert client.get("/api/export", params={"q": "x)"}).status_code == 400


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/search",
        "/api/articles/{ref}",
        "/api/articles",
        "/api/quotes",
        "/api/entities",
        "/api/entities/{ref}",
        "/api/aggregate",
        "/api/export",
        "/api/users",
    ):
        assert path in spec["paths"], path
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert "/search" not in spec["paths"]  # the pages are not API


# -- ingest -------------------------------------------------------------------------------------------------

NEW = {
    "title": "Rutte: kabinet blijft",
    "text": (
        'Premier Mark Rutte zegt: "Het kabinet blijft zitten tot de verkiezingen." Dat zei hij in Den Haag.'
    ),
    "published": "2023-02-01T10:00:00+01:00",
    "url": "https://www.example.nl/nieuws/2023/rutte-kabinet-blijft?utm_source=x",
    "outlet": "Voorbeeldkrant",
    "category": "Politiek",
}


def test_ingest_through_the_pipeline(client):
    r = client.post("/api/articles", json=NEW)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["added"] == 1 and body["articles"][0]["outcome"] == "added"
    article_id = body["articles"][0]["id"]
    stored = client.get(f"/api/articles/{article_id}").json()
    assert stored["language"] == "nl" and stored["cluster_id"] == article_id
    assert stored["canonical_url"] == "https://www.example.nl/nieuws/2023/rutte-kabinet-blijft"
    assert any(e["canonical"] == "Mark Rutte" for e in stored["entities"])  # the NLP ran
    assert client.get("/api/search", params={"q": "kabinet"}).json()["total"] == 1  # searchable at once
    quotes = client.get("/api/quotes", params={"speaker": "Rutte"}).json()
    assert quotes["total"] == 1 and quotes["quotes"][0]["text"].startswith("Het kabinet blijft")
    again = client.post("/api/articles", json=[NEW])
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    plain = client.post("/api/articles?nlp=false", json=[{**NEW, "url": None, "title": "Zonder NLP"}])
    assert plain.status_code == 201
    assert client.get(f"/api/articles/{plain.json()['articles'][0]['id']}").json()["entities"] == []


def test_ingest_validation(client):
    cases = [
        {"text": "geen titel"},
        {"title": "Titel", "text": "Tekst", "colour": "rood"},
        {"title": "Titel", "text": 5},
    ]
    for bad in cases:
        r = client.post("/api/articles", json=bad)
        assert r.status_code == 422, bad
    r = client.post("/api/articles", json=[NEW, {"title": "Titel", "text": "Tekst", "url": "ftp://x"}])
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", 1] and "URL" in r.json()["detail"][0]["msg"]
    r = client.post("/api/articles", json={"title": "Titel", "text": "Tekst", "published": "gisteren"})
    assert r.status_code == 422 and "unparseable date" in r.json()["detail"][0]["msg"]
    assert client.post("/api/articles", json=[]).status_code == 422
    assert client.post("/api/articles", json=[NEW] * 1001).status_code == 422
    r = client.post("/api/articles", content=json.dumps(NEW), headers={"Content-Length": str(10**9)})
    assert r.status_code == 413


# -- open mode ----------------------------------------------------------------------------------------------


def test_open_mode_serves_loopback_requests_only(client):
    assert client.get("/api/me").json() == {"name": "local", "role": "admin", "open": True}
    r = client.get("/api/search", params={"q": "x"}, headers={"Host": "duiding.example.org"})
    assert r.status_code == 403 and "localhost" in r.json()["detail"]
    r = client.post("/api/articles", json=NEW, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.get("/api/me", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/api/me", headers={"Host": "[::1]:8000"}).status_code == 200


def test_no_keys_and_not_loopback_is_refused(sample_db, tmp_path):
    assert refusal("0.0.0.0", has_keys=False) is not None
    assert refusal("192.168.1.5", has_keys=False) is not None
    assert refusal("0.0.0.0", has_keys=True) is None
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert refusal(host, has_keys=False) is None and is_loopback(host)
    result = CliRunner().invoke(main, ["serve", "--db", str(sample_db), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without API keys" in " ".join(result.output.split())
    # an app built for a public address (no open mode) asks for keys even before any are configured
    app = create_app(sample_db, auth_path=tmp_path / "auth.sqlite", allow_open=False, readers=1)
    with TestClient(app, base_url=BASE) as c:
        r = c.get("/api/search", params={"q": "x"})
        assert r.status_code == 401 and "duiding users add" in r.json()["detail"]


# -- keys and roles -----------------------------------------------------------------------------------------

#: One request for every API endpoint, and the role it needs.
CALLS = [
    ("GET", "/api/me", None, "reader"),
    ("GET", "/api/search?q=Loekasjenko", None, "reader"),
    ("GET", "/api/articles/nos-2448020", None, "reader"),
    ("GET", "/api/quotes?speaker=Togt", None, "reader"),
    ("GET", "/api/entities", None, "reader"),
    ("GET", "/api/entities/Poetin", None, "reader"),
    ("GET", "/api/speakers/Hummels", None, "reader"),
    ("GET", "/api/aggregate?by=speaker", None, "reader"),
    ("GET", "/api/export?what=entities&format=jsonl", None, "reader"),
    (
        "POST",
        "/api/articles?nlp=false",
        {"title": "Rollen", "text": "Een korte test van de rollen."},
        "editor",
    ),
    ("GET", "/api/users", None, "admin"),
    ("POST", "/api/users", {"name": "x", "role": "reader"}, "admin"),
    ("DELETE", "/api/users/nobody", None, "admin"),
]


def test_every_api_endpoint_is_in_the_role_table(client):
    routes = {
        (method, route.path)
        for route in client.app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api")
        for method in route.methods
    }
    covered = set()
    for method, url, _, _ in CALLS:
        path = url.split("?")[0]
        for m, route_path in routes:
            prefix = route_path.split("{")[0]
            if m == method and (path == route_path or ("{" in route_path and path.startswith(prefix))):
                covered.add((m, route_path))
    assert covered == routes


@pytest.mark.parametrize(("method", "url", "body", "needed"), CALLS, ids=[f"{c[0]} {c[1]}" for c in CALLS])
def test_roles(keyed, keys, method, url, body, needed):
    def call(headers: dict[str, str]):
        return keyed.request(method, url, json=body, headers=headers)

    none = call({})
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    assert call(bearer("duid_00000000_wrong")).status_code == 401
    assert call({"Authorization": "Basic abc"}).status_code == 401
    for role in ("reader", "editor", "admin"):
        r = call(bearer(keys[role]))
        if role_allows(role, needed):
            assert r.status_code not in (401, 403) and r.status_code < 500, (role, r.text)
        else:
            assert r.status_code == 403, (role, r.text)
            assert needed in r.json()["detail"]
    assert call({"X-API-Key": keys[needed]}).status_code not in (401, 403)


def test_reader_cannot_ingest_editor_can(keyed, keys):
    article = {"title": "Redactie", "text": "Een tweede korte test van de rollen.", "url": "https://x.nl/a/1"}
    r = keyed.post("/api/articles?nlp=false", json=article, headers=bearer(keys["reader"]))
    assert r.status_code == 403
    r = keyed.post("/api/articles?nlp=false", json=article, headers=bearer(keys["editor"]))
    assert r.status_code == 201
    # keys on: the loopback-only rule of the open mode does not apply
    r = keyed.get("/api/me", headers={**bearer(keys["reader"]), "Host": "duiding.example.org"})
    assert r.json() == {"name": "reader-user", "role": "reader", "open": False}


def test_admin_manages_users(keyed, keys):
    admin = bearer(keys["admin"])
    made = keyed.post("/api/users", json={"name": "nieuw", "role": "editor"}, headers=admin)
    assert made.status_code == 201
    key = made.json()["key"]
    assert keyed.get("/api/me", headers=bearer(key)).json()["role"] == "editor"
    listed = keyed.get("/api/users", headers=admin).json()
    assert {u["name"] for u in listed} >= {"reader-user", "editor-user", "admin-user", "nieuw"}
    assert all("key" not in u for u in listed)
    assert (
        keyed.post("/api/users", json={"name": "nieuw", "role": "reader"}, headers=admin).status_code == 409
    )
    assert keyed.post("/api/users", json={"name": "x", "role": "god"}, headers=admin).status_code == 422
    assert keyed.post("/api/users", json={"name": "a b", "role": "reader"}, headers=admin).status_code == 400
    assert keyed.delete("/api/users/nieuw", headers=admin).status_code == 204
    assert keyed.get("/api/me", headers=bearer(key)).status_code == 401  # removed: the key stops at once
    assert keyed.delete("/api/users/nieuw", headers=admin).status_code == 404


def test_keys_are_stored_hashed(keys):
    conn = sqlite3.connect(keys["path"])
    rows = conn.execute("SELECT name, role, key_id, salt, key_hash FROM users").fetchall()
    conn.close()
    raw = Path(keys["path"]).read_bytes()
    for role in ("reader", "editor", "admin"):
        assert keys[role].encode() not in raw
        secret = keys[role].split("_", 2)[2]  # duid_<key id>_<secret>; the secret may hold "_"
        assert secret.encode() not in raw
    assert len({r[3] for r in rows}) == len(rows)  # a salt each
    assert all(len(r[4]) == 32 for r in rows)


def test_web_pages_need_a_key_too(keyed, keys):
    r = keyed.get("/search?q=Loekasjenko", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    login = keyed.get(r.headers["location"])
    assert login.status_code == 200 and 'name="key"' in login.text
    bad = keyed.post("/login", data={"key": "duid_00000000_nope", "next": "/search"}, follow_redirects=False)
    assert bad.status_code == 401
    ok = keyed.post(
        "/login", data={"key": keys["reader"], "next": "/search?q=Loekasjenko"}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/search?q=Loekasjenko"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    keyed.cookies.set("duiding_key", keys["reader"])
    try:
        page = keyed.get("/search?q=Loekasjenko")
        assert page.status_code == 200 and TITLE in page.text
        # the cookie is for pages only: the API wants the key in a header
        assert keyed.get("/api/me").status_code == 401
    finally:
        keyed.cookies.clear()
    evil = keyed.post(
        "/login", data={"key": keys["reader"], "next": "//evil.example/"}, follow_redirects=False
    )
    assert evil.headers["location"] == "/search"
    keyed.cookies.clear()


# -- duiding users ------------------------------------------------------------------------------------------


def test_users_cli(tmp_path):
    db = tmp_path / "data"
    added = invoke("users", "add", "anne", "--role", "editor", "--db", db)
    assert added.exit_code == 0
    key = added.stdout.strip()
    assert key.startswith("duid_") and "anne" in added.stderr
    store = KeyStore.for_data_dir(db)
    assert store.verify(key).role == "editor" and store.verify(key + "x") is None
    store.close()
    assert (db / "auth.sqlite").is_file() and not (db / "duiding.sqlite3").exists()
    listed = invoke("users", "list", "--db", db, "--json")
    assert [(u["name"], u["role"]) for u in json.loads(listed.stdout)] == [("anne", "editor")]
    assert key not in listed.stdout
    again = CliRunner().invoke(main, ["users", "add", "anne", "--role", "reader", "--db", str(db)])
    assert again.exit_code == 2 and "exists" in again.output
    bad_role = CliRunner().invoke(main, ["users", "add", "bob", "--role", "boss", "--db", str(db)])
    assert bad_role.exit_code == 2
    assert invoke("users", "remove", "anne", "--db", db).exit_code == 0
    gone = CliRunner().invoke(main, ["users", "remove", "anne", "--db", str(db)])
    assert gone.exit_code == 1 and "no user" in gone.output
