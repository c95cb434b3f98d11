"""Saved queries ("watches") and their alerts: matches recorded once, an Atom feed, webhooks.

Every article an ingest adds or changes — from files, ``duiding fetch`` or a feed poll — is checked
against every watch (:class:`WatchChecker`, called by the ingest pipeline after each stored batch):
the watch's query runs on the search index restricted to that batch, and each article it finds is
recorded as a match once (a second ingest of the same article adds nothing).

A watch with a webhook gets one ``POST`` of JSON per match (:func:`deliver_due`, run at the end of every
ingest; see :func:`payload`). A delivery is tried up to :data:`TRIES_PER_RUN` times with a growing pause
(a connection failure, a timeout, 408, 429 or 5xx); if it still fails it stays pending and is tried on a
later run, after :data:`RETRY_FIRST` doubling each time up to :data:`RETRY_MAX`, and given up after
:data:`MAX_ATTEMPTS` tries. Another 4xx answer is final: the receiver refused the payload.

:func:`watch_atom` renders a watch's matches as an Atom feed (for an HTTP API to serve).
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from duiding import __version__, urls
from duiding.search.query import ParsedQuery, QuerySyntaxError, parse_query
from duiding.store.base import Archive, StoreError, Watch, WatchMatch

TRIES_PER_RUN = 3
PAUSE_FIRST = 0.5  # seconds before the second try in a run; doubles
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 12
TIMEOUT = 10.0
SUMMARY_CHARS = 300
_RETRYABLE = frozenset({408, 425, 429})
ATOM = "http://www.w3.org/2005/Atom"

USER_AGENT = f"duiding/{__version__} (watch webhook)"


def validate_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(c in name for c in "/\\\n\r\t") or name.startswith("-"):
        raise ValueError(f"bad watch name {name!r}: 1–100 characters, no slashes, tabs or newlines")
    return name


def validate_webhook(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    if not urls.is_http_url(url):
        raise ValueError(f"webhook must be an http(s) URL, not {url!r}")
    return url


def add_watch(archive: Archive, name: str, query: str, webhook: str | None = None) -> Watch:
    """Save a watch; ValueError (bad name or webhook), QuerySyntaxError or StoreError (name taken)."""
    name = validate_name(name)
    parse_query(query)  # raises QuerySyntaxError
    return archive.add_watch(name, query, validate_webhook(webhook))


class WatchChecker:
    """Checks batches of newly stored articles against every watch, then delivers webhooks."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self._watches: list[tuple[Watch, ParsedQuery]] | None = None

    def _load(self) -> list[tuple[Watch, ParsedQuery]]:
        if self._watches is None:
            self._watches = []
            for watch in self.archive.watches():
                try:
                    self._watches.append((watch, parse_query(watch.query)))
                except QuerySyntaxError:
                    continue  # saved by a version that read it; it matches nothing now
        return self._watches

    def check(self, ids: Sequence[str]) -> int:
        """Record the matches among these stored (and indexed) articles; returns how many were new."""
        if not ids:
            return 0
        new = 0
        for watch, parsed in self._load():
            found = self.archive.matching(parsed, ids)
            if found:
                new += self.archive.record_matches(watch.name, found)
        return new

    def deliver(self, post: Poster | None = None) -> int:
        """Deliver due webhooks (if any watch has one); returns how many were delivered."""
        if not any(w.webhook for w, _ in self._load()):
            return 0
        return deliver_due(self.archive, post=post).delivered


# -- Atom ------------------------------------------------------------------------------------------------


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _summary(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + " …"


def watch_atom(archive: Archive, name: str, limit: int = 100) -> str:
    """The watch's matches, newest first, as an Atom 1.0 document (a str with its XML declaration).

    Each entry is one matched article: its title, link, publication date, outlet as author, the start
    of its text as summary, and ``updated`` when it matched. Raises StoreError for an unknown watch.
    """
    watch = next((w for w in archive.watches() if w.name == name), None)
    if watch is None:
        raise StoreError(f"no watch named {name!r}")
    matches = archive.watch_matches(name, limit=limit)
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"urn:duiding:watch:{quote(name, safe='')}")
    sub(feed, "title", f"duiding watch: {name}")
    sub(feed, "subtitle", watch.query)
    updated = matches[0].matched_at if matches else (watch.created_at or datetime.now(UTC))
    sub(feed, "updated", _iso(updated))
    sub(feed, "generator", "duiding", version=__version__)
    for m in matches:
        a = m.article
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:duiding:article:{quote(a.id, safe='')}")
        sub(entry, "title", a.title)
        if a.url:
            sub(entry, "link", href=a.url, rel="alternate", type="text/html")
        if a.published:
            sub(entry, "published", _iso(a.published))
        sub(entry, "updated", _iso(m.matched_at))
        author = sub(entry, "author")
        sub(author, "name", a.author or a.outlet or "unknown")
        if a.category:
            sub(entry, "category", term=a.category)
        if a.cluster_id:
            sub(entry, "category", term=f"cluster:{a.cluster_id}", label="duplicate cluster")
        sub(entry, "summary", _summary(a.text), type="text")
    body = ET.tostring(feed, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


# -- webhooks --------------------------------------------------------------------------------------------


def payload(match: WatchMatch, watch: Watch) -> dict[str, Any]:
    """The JSON a webhook receives for one match."""
    a = match.article
    return {
        "watch": watch.name,
        "query": watch.query,
        "matched_at": _iso(match.matched_at),
        "article": {
            "id": a.id,
            "title": a.title,
            "url": a.url,
            "canonical_url": a.canonical_url,
            "published": a.published.isoformat() if a.published else None,
            "outlet": a.outlet,
            "author": a.author,
            "category": a.category,
            "language": a.language,
            "cluster_id": a.cluster_id,
            "summary": _summary(a.text),
        },
    }


# POST ``body`` (JSON bytes) to ``url``: the HTTP status, or an exception's message as a str.
Poster = Callable[[str, bytes], int | str]


def http_post(timeout: float = TIMEOUT, user_agent: str = USER_AGENT) -> Poster:
    import urllib3

    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))

    def post(url: str, body: bytes) -> int | str:
        try:
            r = pool.request(
                "POST",
                url,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": user_agent},
                redirect=False,
                retries=False,
            )
            return int(r.status)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            text = str(reason)
            if "Connection refused" in text:
                return "connection refused"
            if isinstance(e, urllib3.exceptions.NewConnectionError):
                return f"connection failed: {text.split(': ', 1)[-1]}"
            if "timed out" in text.lower():
                return f"timed out after {timeout:g} s"
            return text.split(": ", 1)[-1] if text.startswith("<") else text

    return post


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0  # given up (a refusing receiver, or too many tries)
    retrying: int = 0  # still pending, to be tried again on a later run
    problems: list[str] | None = None


def deliver_due(
    archive: Archive,
    *,
    post: Poster | None = None,
    now: datetime | None = None,
    pause: float | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> DeliveryReport:
    """POST every due pending match to its watch's webhook; see the module doc for the retry policy.

    A webhook that cannot be reached at all in this run is not tried again for its other matches
    until the next run (they stay pending without counting a try).
    """
    post = post or http_post()
    pause = PAUSE_FIRST if pause is None else pause
    report = DeliveryReport(problems=[])
    watches = {w.name: w for w in archive.watches()}
    unreachable: set[str] = set()
    done: set[tuple[str, str]] = set()
    while True:
        due = [
            m for m in archive.due_deliveries(now or datetime.now(UTC)) if (m.watch, m.article.id) not in done
        ]
        due = [m for m in due if watches.get(m.watch) and watches[m.watch].webhook not in unreachable]
        if not due:
            return report
        for match in due:
            done.add((match.watch, match.article.id))
            watch = watches[match.watch]
            url = watch.webhook
            if url is None or url in unreachable:
                continue
            body = json.dumps(payload(match, watch), ensure_ascii=False).encode("utf-8")
            outcome: int | str = ""
            for attempt in range(TRIES_PER_RUN):
                if attempt:
                    time.sleep(pause * 2 ** (attempt - 1))
                outcome = post(url, body)
                if isinstance(outcome, int) and (200 <= outcome < 300 or not _retryable(outcome)):
                    break
            match.attempts += attempt + 1
            stamp = now or datetime.now(UTC)
            if isinstance(outcome, int) and 200 <= outcome < 300:
                match.delivery, match.error, match.next_attempt = "delivered", None, None
                report.delivered += 1
            else:
                problem = f"HTTP {outcome}" if isinstance(outcome, int) else outcome
                match.error = problem
                final = (
                    isinstance(outcome, int) and not _retryable(outcome)
                ) or match.attempts >= MAX_ATTEMPTS
                if final:
                    match.delivery, match.next_attempt = "failed", None
                    report.failed += 1
                else:
                    rounds = max(1, match.attempts // TRIES_PER_RUN)
                    match.next_attempt = stamp + min(RETRY_FIRST * 2 ** (rounds - 1), RETRY_MAX)
                    report.retrying += 1
                    if not isinstance(outcome, int):
                        unreachable.add(url)
                message = f"watch {watch.name}: webhook {url}: {problem}" + (
                    " (given up)" if final else f" (will retry after {match.next_attempt:%H:%M} UTC)"
                )
                report.problems.append(message)
                if on_problem:
                    on_problem(message)
            archive.save_delivery(match)


def _retryable(status: int) -> bool:
    return status >= 500 or status in _RETRYABLE
