"""Polite HTTP fetching of feeds and article pages.

One :class:`Fetcher` per run: it sends a configurable User-Agent, waits between two requests to the same
host (``host_delay``, or the site's robots.txt ``Crawl-delay`` when that is longer), asks robots.txt
before every URL (RFC 9309: a robots.txt that is missing or answers 4xx allows everything; one that
cannot be fetched or answers 5xx disallows the whole site for the run), follows redirects itself
(so each hop is checked, and a loop is named as one), enforces a deadline for the whole request (a server
that trickles its answer byte by byte times out too) and a size limit. Every failure is a
:class:`FetchError` with one readable line; nothing else escapes.

Thread-safe: pages of different hosts may be fetched in parallel; the per-host wait keeps each site's
pace.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError, TimeoutError

from duiding import __version__

DEFAULT_USER_AGENT = f"duiding/{__version__} (news archive research; respects robots.txt)"
REDIRECTS = (301, 302, 303, 307, 308)
# HTTP statuses after which fetching the same URL again later will not help.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 406, 410, 414, 451})
CHUNK = 64 * 1024


class FetchError(Exception):
    """A URL that could not be fetched. ``permanent``: trying again later will not help."""

    def __init__(self, problem: str, permanent: bool = False, status: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.permanent = permanent
        self.status = status

    def __str__(self) -> str:
        return self.problem


class RobotsDisallowed(FetchError):
    def __init__(self, url: str) -> None:
        super().__init__("disallowed by robots.txt", permanent=True)
        self.url = url


@dataclass
class FetchOptions:
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0  # seconds for one whole request: connecting, waiting and reading
    host_delay: float = 1.0  # seconds between two requests to the same host
    max_bytes: int = 10 * 2**20
    max_redirects: int = 5
    robots: bool = True


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _describe(e: BaseException) -> str:
    """One line for a urllib3/socket error, without urllib3's object reprs."""
    reason = getattr(e, "reason", None) or e
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text:
        return "unknown host"
    if ": " in text and text.startswith("<"):  # "<urllib3.connection.HTTPConnection object at …>: Failed …"
        text = text.split(": ", 1)[1]
    return text or type(e).__name__


class Fetcher:
    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        o = self.options
        self.http = urllib3.PoolManager(
            num_pools=32,
            maxsize=4,
            retries=False,
            timeout=urllib3.Timeout(connect=o.timeout, read=o.timeout),
            headers={"User-Agent": o.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}  # host → monotonic time of its next allowed request
        self._robots: dict[str, tuple[urllib.robotparser.RobotFileParser | None, str | None]] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    # -- politeness -------------------------------------------------------------------------------

    def _wait_turn(self, url: str) -> None:
        host = (urlsplit(url).netloc or "").lower()
        delay = self.options.host_delay
        rules = self._robots.get(_origin(url), (None, None))[0]
        if rules is not None:
            crawl_delay = rules.crawl_delay(self.options.user_agent)
            if crawl_delay:
                delay = max(delay, float(crawl_delay))
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(host, now))
            self._next[host] = at + delay
        if at > now:
            time.sleep(at - now)

    def _rules(self, url: str) -> tuple[urllib.robotparser.RobotFileParser | None, str | None]:
        """The robots.txt rules of the URL's site (None: everything allowed) and why not, if disallowed."""
        origin = _origin(url)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
            return self._robots[origin]

    def _load_robots(self, origin: str) -> tuple[urllib.robotparser.RobotFileParser | None, str | None]:
        robots_url = origin + "/robots.txt"
        try:
            response = self._get_once(robots_url, {})
        except FetchError as e:
            return None, f"robots.txt could not be fetched ({e}): site not fetched"
        if response.status >= 500:
            return None, f"robots.txt answered {_status_text(response.status)}: site not fetched"
        if response.status >= 400 or response.status in REDIRECTS:
            return None, None  # none there: everything allowed (a redirected robots.txt is not followed)
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return parser, None

    def allowed(self, url: str) -> bool:
        if not self.options.robots:
            return True
        rules, refusal = self._rules(url)
        if refusal:
            raise FetchError(refusal)
        return rules is None or rules.can_fetch(self.options.user_agent, url)

    # -- requests --------------------------------------------------------------------------------

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """GET ``url``, following redirects. 2xx and 304 come back; anything else raises FetchError."""
        hops = [url]
        current = url
        while True:
            if not self.allowed(current):
                raise RobotsDisallowed(current)
            response = self._get_once(current, dict(headers or {}))
            if response.status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{_status_text(response.status)} without a Location", permanent=True)
                target = urljoin(current, location.strip())
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(f"redirect to a non-HTTP URL {target}", permanent=True)
                if target in hops:
                    loop = " → ".join([*hops[hops.index(target) :], target])
                    raise FetchError(f"redirect loop: {loop}", permanent=True)
                hops.append(target)
                if len(hops) > self.options.max_redirects + 1:
                    raise FetchError(f"more than {self.options.max_redirects} redirects", permanent=True)
                current = target
                continue
            if response.status == 304 or 200 <= response.status < 300:
                return response
            raise FetchError(
                _status_text(response.status),
                permanent=response.status in PERMANENT_STATUSES,
                status=response.status,
            )

    def _get_once(self, url: str, headers: dict[str, str]) -> Response:
        self._wait_turn(url)
        timeout = self.options.timeout
        deadline = time.monotonic() + timeout
        try:
            r = self.http.request(
                "GET", url, headers=headers or None, redirect=False, preload_content=False, retries=False
            )
        except NewConnectionError as e:  # before TimeoutError: urllib3 makes it a subclass of that
            raise FetchError(f"connection failed: {_describe(e)}") from None
        except (TimeoutError, ReadTimeoutError):
            raise FetchError(f"timed out after {timeout:g} s") from None
        except Urllib3Error as e:
            raise FetchError(f"connection failed: {_describe(e)}") from None
        except (OSError, ValueError) as e:  # a malformed URL, a socket error urllib3 let through
            raise FetchError(f"request failed: {_describe(e)}") from None
        complete = False
        try:
            status = r.status
            hdrs = {k.lower(): v for k, v in r.headers.items()}
            body = b""
            if status not in REDIRECTS and status != 304:
                length = hdrs.get("content-length", "")
                if length.isdigit() and int(length) > self.options.max_bytes:
                    raise FetchError(
                        f"too large: {int(length):,} bytes (limit {self.options.max_bytes:,})", permanent=True
                    )
                parts: list[bytes] = []
                size = 0
                for chunk in r.stream(CHUNK, decode_content=True):
                    parts.append(chunk)
                    size += len(chunk)
                    if size > self.options.max_bytes:
                        raise FetchError(f"too large: over {self.options.max_bytes:,} bytes", permanent=True)
                    if time.monotonic() > deadline:
                        raise FetchError(f"timed out after {timeout:g} s (still reading)")
                body = b"".join(parts)
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {timeout:g} s (still reading)")
            complete = True
        except (TimeoutError, ReadTimeoutError):
            raise FetchError(f"timed out after {timeout:g} s") from None
        except (ProtocolError, Urllib3Error) as e:
            raise FetchError(f"connection broken: {_describe(e)}") from None
        except OSError as e:
            raise FetchError(f"read error: {_describe(e)}") from None
        finally:
            if complete and status not in REDIRECTS and status != 304:
                r.release_conn()  # read to the end: the connection can be reused
            else:
                r.close()  # unread data may be pending on it
        return Response(url=url, status=status, headers=hdrs, body=body)

    def close(self) -> None:
        self.http.clear()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
