"""A news site on 127.0.0.1 for tests: fixture pages and feeds, failures on demand, a webhook receiver.

Nothing here contacts another host. Pages and feeds come from ``tests/data/monitor`` with ``{{BASE}}``
replaced by the server's own address. Routes can answer slowly, trickle their body, redirect, fail or
honour a conditional GET; every request is logged (method, path, headers, body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "monitor"

# The fixture feed's paths (tests/data/monitor/feed.xml).
STORY = "/nieuws/binnenland/2024/dijk-kruiningen-sneller"
REPUBLISHED = "/regio/reimerswaal/2024/dijk-kruiningen-eerder-klaar"
SECOND = "/cultuur/2024/bibliotheek-zondag-open"
DEAD = "/nieuws/binnenland/2024/treinstoring-utrecht-verdwenen"
ENGLISH = "/english/2024/dike-finished-early"
FEED = "/rss/binnenland.xml"
ATOM = "/feeds/cultuur.atom"

# Phrases of the fixtures' page chrome: menus, cookie banners, share widgets, related links, footers.
CHROME = (
    "cookies",
    "Akkoord",
    "Voorpagina",
    "Hoofdmenu",
    "Deel dit artikel",
    "WhatsApp",
    "Facebook",
    "Meer over dit onderwerp",
    "Meest gelezen",
    "Lees ook",
    "Ook interessant",
    "Kaaipolder moe",
    "nieuwsbrief",
    "Privacy",
    "Alle rechten voorbehouden",
    "Copyright",
    "Word abonnee",
    "Net binnen",
    "Reageer",
    "Tip de redactie",
    "Colofon",
    "Advertentie",
    "Onderwerpen",
    "Stadsblad 2024",
)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    trickle: float = 0.0  # seconds between bytes of the body
    etag: str | None = None  # answer 304 to If-None-Match with it
    statuses: list[int] | None = None  # one status per request, in turn (then the last again)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


class NewsServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.log.append(
                        Request(method, self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    route = server.routes.get(self.path)
                    status = 404 if route is None else route.status
                    if route is not None and route.statuses:
                        status = route.statuses.pop(0) if len(route.statuses) > 1 else route.statuses[0]
                if route is None:
                    route = Route(status=404, body=b"<html><body><h1>Pagina niet gevonden</h1></body></html>")
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                if route.etag:
                    headers["ETag"] = route.etag
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    if route.trickle:
                        for i in range(len(route.body)):
                            self.wfile.write(route.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="newsserver", daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> NewsServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- content -------------------------------------------------------------------------------

    def fixture(self, name: str) -> bytes:
        return (FIXTURES / name).read_text(encoding="utf-8").replace("{{BASE}}", self.base).encode("utf-8")

    def add(self, path: str, body: bytes | str = b"", **kw: object) -> Route:
        route = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **kw)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def page(self, path: str, fixture: str, **kw: object) -> Route:
        return self.add(path, self.fixture(fixture), **kw)

    def feed(self, path: str, fixture: str, **kw: object) -> Route:
        kind = (
            "application/atom+xml"
            if fixture.endswith(".atom") or "atom" in fixture
            else "application/rss+xml"
        )
        route = self.add(path, self.fixture(fixture), **kw)
        route.headers.setdefault("Content-Type", f"{kind}; charset=utf-8")
        return route

    def redirect(self, path: str, location: str, status: int = 302) -> Route:
        return self.add(path, b"", status=status, headers={"Location": location})

    def news_site(self) -> NewsServer:
        """The fixture feed and its pages: a story, a republication, a second story (the dead link
        has no page), an English page, an Atom feed and a robots.txt."""
        self.feed(FEED, "feed.xml", etag='"binnenland-v1"')
        self.feed(ATOM, "atom.xml")
        self.page(STORY, "story.html")
        self.page(REPUBLISHED, "republished.html")
        self.page(SECOND, "second.html")
        self.page(ENGLISH, "english.html")
        self.add("/robots.txt", "User-agent: *\nDisallow: /prive/\n", headers={"Content-Type": "text/plain"})
        return self

    def requests(self, path: str, method: str = "GET") -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path and r.method == method]

    def posted(self, path: str) -> list[dict]:
        return [json.loads(r.body) for r in self.requests(path, "POST")]


def serve(setup: Callable[[NewsServer], object] | None = None) -> NewsServer:
    server = NewsServer()
    if setup:
        setup(server)
    return server.start()
