"""Following RSS and Atom feeds: poll them, fetch the pages of new items, ingest those.

A poll fetches each due feed with a conditional GET (ETag / Last-Modified: an unchanged feed costs one
304), parses it with feedparser, and fetches the pages of items it has not seen (:mod:`.fetch`: rate
limit per host, timeouts, robots.txt). Pages become Articles (:mod:`.html`) and go through the same
ingest pipeline as files (:func:`duiding.ingest.pipeline.ingest_records`: language, NLP, duplicate
clusters, watches).

Every problem — a feed that is down or not a feed, a page that is 404, a redirect loop, a server that
does not answer in time, bytes that are not text in the page's encoding — is a Reject
``feed: url: problem`` and the rest goes on. A feed that fails is backed off (5 minutes after the first
failure, doubling, at most 6 hours); an item whose page failed for good (404, robots.txt) is not
fetched again, one that failed for a passing reason (timeout, 5xx) is retried on the next polls, up to
:data:`MAX_ITEM_ATTEMPTS` times.

State lives in the archive: each feed's ETag, Last-Modified and errors, and each item (by canonical URL)
with what became of it. A feed's validators are saved only after its items are stored, and an item
whose canonical URL the archive already holds is never fetched, so a restart — even after a kill —
neither refetches nor duplicates.
"""

from __future__ import annotations

import email.utils
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

from duiding import urls
from duiding.ingest.errors import Reject
from duiding.ingest.fetch import Fetcher, FetchError, FetchOptions, Response, RobotsDisallowed
from duiding.ingest.html import article_from_html
from duiding.ingest.pipeline import IngestOptions, IngestSummary, ingest_records
from duiding.model import Article
from duiding.store.base import Archive, Feed, FeedItem, Outcome

MAX_ITEM_ATTEMPTS = 3
# Item states that are final: stored; its URL already in the archive; robots.txt forbids it; its page
# failed for good (404, a redirect loop, not an article). "failed" (a timeout, a 5xx) is tried again.
DONE = frozenset({"stored", "duplicate", "skipped", "gone"})
BACKOFF_FIRST = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=6)


class FeedError(ValueError):
    """A feed document that cannot be read as RSS or Atom."""


@dataclass(frozen=True)
class Entry:
    """One item of a feed: its link (absolute), canonical key, and what the feed says of it."""

    url: str
    key: str
    title: str | None = None
    published: datetime | None = None


@dataclass
class ParsedFeed:
    title: str | None
    entries: list[Entry]
    skipped: int = 0  # items without a usable http(s) link
    repeated: int = 0  # items whose link canonicalises to an earlier item's (utm_* variants …)


def _entry_date(entry: dict) -> datetime | None:
    for key in ("published", "updated", "created"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            dt = email.utils.parsedate_to_datetime(value)  # RSS: RFC 822
        except (TypeError, ValueError, IndexError):
            try:
                dt = datetime.fromisoformat(value.strip())  # Atom: RFC 3339
            except ValueError:
                dt = None
        if dt is not None:
            return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """The items of an RSS or Atom document; FeedError when it is neither."""
    import feedparser

    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f": {str(problem).strip()}" if problem and str(problem).strip() else ""
        if not parsed.entries:
            raise FeedError(f"not an RSS or Atom feed{detail}")
    entries: list[Entry] = []
    seen: set[str] = set()
    skipped = repeated = 0
    for e in parsed.entries:
        link = (e.get("link") or "").strip()
        if not link and e.get("id", "").startswith(("http://", "https://")):
            link = e["id"].strip()  # Atom entries sometimes carry the page only as their id
        link = urljoin(url, link) if link else ""
        if not urls.is_http_url(link):
            skipped += 1
            continue
        key = urls.canonicalize(link)
        if key in seen:
            repeated += 1
            continue
        seen.add(key)
        entries.append(
            Entry(url=link, key=key, title=(e.get("title") or "").strip() or None, published=_entry_date(e))
        )
    return ParsedFeed(
        title=(parsed.feed.get("title") or "").strip() or None,
        entries=entries,
        skipped=skipped,
        repeated=repeated,
    )


@dataclass
class PollOptions:
    fetch: FetchOptions = field(default_factory=FetchOptions)
    workers: int = 4  # pages fetched at once (each host still at its own pace)
    max_items: int | None = None  # new items fetched per feed per poll
    only: list[str] | None = None  # feed names; None: all
    force: bool = False  # poll feeds that are backing off too


@dataclass
class PollSummary:
    feeds: int = 0  # polled
    unchanged: int = 0  # answered 304 Not Modified
    failed: int = 0  # feeds that could not be read
    backing_off: int = 0  # not polled: waiting after errors
    new_items: int = 0  # items not seen before
    duplicates: int = 0  # new items whose URL the archive already holds (not fetched)
    fetched: int = 0  # pages fetched and read
    page_problems: int = 0  # pages that could not be fetched or read (or robots.txt forbade)
    ingest: IngestSummary = field(default_factory=IngestSummary)

    @property
    def ok(self) -> bool:
        """A poll fails only when it reached no feed at all."""
        return not (self.failed and self.failed == self.feeds)

    def to_dict(self) -> dict[str, object]:
        return {
            "feeds": self.feeds,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "backing_off": self.backing_off,
            "new_items": self.new_items,
            "duplicates": self.duplicates,
            "fetched": self.fetched,
            "page_problems": self.page_problems,
            "added": self.ingest.added,
            "updated": self.ingest.updated,
            "unchanged_articles": self.ingest.unchanged,
            "rejected": self.ingest.rejected,
            "watch_matches": self.ingest.matches,
            "webhooks_delivered": self.ingest.delivered,
            "rejects_report": str(self.ingest.rejects_path) if self.ingest.rejects_path else None,
            "seconds": round(self.ingest.seconds, 3),
        }


def backoff(errors: int) -> timedelta:
    """How long a feed waits after ``errors`` failed polls in a row."""
    return min(BACKOFF_FIRST * 2 ** max(errors - 1, 0), BACKOFF_MAX)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class _Job:
    feed: Feed
    entry: Entry
    item: FeedItem


def fetch_page(
    fetcher: Fetcher, url: str, *, title_hint: str | None = None, published_hint: datetime | None = None
) -> Article | FetchError | Reject:
    """Fetch and read one article page; failures come back as values (never raised)."""
    try:
        response = fetcher.get(url, {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"})
    except FetchError as e:
        return e
    return _page_article(response, title_hint, published_hint)


def _page_article(
    response: Response, title_hint: str | None, published_hint: datetime | None
) -> Article | Reject:
    content_type = (response.content_type or "").lower()
    if content_type and not any(t in content_type for t in ("html", "xml", "text/plain")):
        return Reject(response.url, None, f"not an HTML page ({content_type.split(';')[0]})")
    return article_from_html(
        response.body,
        response.url,
        response.url,
        response.content_type,
        title_hint=title_hint,
        published_hint=published_hint,
    )


def poll(
    archive: Archive,
    rejects_path: Path,
    options: PollOptions | None = None,
    ingest_options: IngestOptions | None = None,
    *,
    on_reject: Callable[[Reject], None] | None = None,
    on_feed: Callable[[Feed, str], None] | None = None,
    on_pages: Callable[[int], None] | None = None,
    on_page: Callable[[], None] | None = None,
) -> PollSummary:
    """Poll the archive's feeds once and ingest the new items' pages.

    ``on_feed(feed, what)`` hears each feed's outcome (``new items: 3``, ``not modified``, ``backing off
    until …``); ``on_pages(n)`` how many pages are about to be fetched, ``on_page()`` each one done.
    """
    opts = options or PollOptions()
    summary = PollSummary()
    feeds = [f for f in archive.feeds() if opts.only is None or f.name in opts.only]
    fetcher = Fetcher(opts.fetch)
    validators: dict[str, tuple[str | None, str | None]] = {}  # ETag, Last-Modified: saved after the items
    pending: dict[int, _Job] = {}  # id(article) → its job, until stored

    def tell(feed: Feed, what: str) -> None:
        if on_feed:
            on_feed(feed, what)

    def fail_feed(feed: Feed, problem: str, now: datetime) -> Reject:
        summary.failed += 1
        feed.errors += 1
        feed.last_error = problem
        feed.last_polled = now
        feed.next_poll = now + backoff(feed.errors)
        archive.save_feed(feed)
        tell(feed, f"failed ({feed.errors} in a row), next try after {feed.next_poll:%H:%M} UTC")
        return Reject(f"{feed.name}: {feed.url}", None, problem)

    def read_feeds() -> Iterator[Reject | _Job]:
        seen: set[str] = set()
        for feed in feeds:
            now = _now()
            if not opts.force and feed.next_poll is not None and feed.next_poll > now:
                summary.backing_off += 1
                tell(feed, f"backing off after {feed.errors} failed polls, until {feed.next_poll:%H:%M} UTC")
                continue
            summary.feeds += 1
            conditional = {}
            if feed.etag:
                conditional["If-None-Match"] = feed.etag
            if feed.last_modified:
                conditional["If-Modified-Since"] = feed.last_modified
            conditional["Accept"] = (
                "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
            )
            try:
                response = fetcher.get(feed.url, conditional)
            except FetchError as e:
                yield fail_feed(feed, str(e), now)
                continue
            if response.status == 304:
                summary.unchanged += 1
                feed.errors, feed.last_error, feed.next_poll = 0, None, None
                feed.last_polled = feed.last_ok = now
                archive.save_feed(feed)
                tell(feed, "not modified")
                continue
            try:
                parsed = parse_feed(response.body, response.url, response.content_type)
            except FeedError as e:
                yield fail_feed(feed, str(e), now)
                continue
            feed.title = parsed.title or feed.title
            validators[feed.name] = (response.headers.get("etag"), response.headers.get("last-modified"))
            entries = [e for e in parsed.entries if e.key not in seen]
            seen.update(e.key for e in parsed.entries)
            known = archive.feed_items(feed.name, [e.key for e in entries])
            in_archive = archive.known_urls([e.key for e in entries])
            fresh: list[_Job] = []
            duplicates: list[FeedItem] = []
            for entry in entries:
                item = known.get(entry.key)
                if item is not None and (item.status in DONE or item.attempts >= MAX_ITEM_ATTEMPTS):
                    continue
                if item is None:
                    item = FeedItem(
                        feed=feed.name, key=entry.key, url=entry.url, status="new", first_seen=now
                    )
                    summary.new_items += 1
                if entry.key in in_archive:
                    item.status, item.last_attempt = "duplicate", now
                    duplicates.append(item)
                    continue
                fresh.append(_Job(feed, entry, item))
            if opts.max_items is not None:
                fresh = fresh[: opts.max_items]
            summary.duplicates += len(duplicates)
            archive.save_feed_items(duplicates)
            tell(
                feed,
                f"{len(parsed.entries) + parsed.repeated} items"
                + (f" ({parsed.repeated} repeating another's link)" if parsed.repeated else "")
                + f", {len(fresh)} to fetch"
                + (f", {len(duplicates)} already stored" if duplicates else "")
                + (f", {parsed.skipped} without a link" if parsed.skipped else ""),
            )
            yield from fresh

    def records(_progress: Callable[[int], None] | None) -> Iterable[Article | Reject]:
        jobs: list[_Job] = []
        for x in read_feeds():
            if isinstance(x, Reject):
                yield x
            else:
                jobs.append(x)
        if on_pages:
            on_pages(len(jobs))
        yield from _fetch_all(jobs)

    def _fetch_all(jobs: list[_Job]) -> Iterator[Article | Reject]:
        # Pages are fetched in parallel (the fetcher keeps each host's pace), read in order here.
        with ThreadPoolExecutor(max_workers=max(1, opts.workers), thread_name_prefix="duiding-fetch") as pool:
            window: deque[tuple[_Job, Future]] = deque()
            queue = iter(jobs)

            def submit() -> None:
                job = next(queue, None)
                if job is not None:
                    window.append((job, pool.submit(_get, job)))

            def _get(job: _Job) -> Response | FetchError:
                try:
                    return fetcher.get(
                        job.entry.url, {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
                    )
                except FetchError as e:
                    return e

            for _ in range(4 * max(1, opts.workers)):
                submit()
            while window:
                job, future = window.popleft()
                submit()
                result = future.result()
                job.item.attempts += 1
                job.item.last_attempt = _now()
                if isinstance(result, FetchError):
                    record: Article | Reject = Reject(f"{job.feed.name}: {job.entry.url}", None, str(result))
                    _item_failed(job.item, result)
                else:
                    summary.fetched += 1
                    page = _page_article(result, job.entry.title, job.entry.published)
                    if isinstance(page, Reject):
                        record = Reject(f"{job.feed.name}: {job.entry.url}", None, page.problem)
                        job.item.status, job.item.problem = "gone", page.problem
                    else:
                        object.__setattr__(page, "source_file", job.feed.url)
                        record = page
                        pending[id(page)] = job
                if isinstance(record, Reject):
                    summary.page_problems += 1
                    archive.save_feed_items([job.item])
                if on_page:
                    on_page()
                yield record

    def on_batch(articles: list[Article], outcomes: list[Outcome]) -> None:
        done = []
        for article in articles:
            job = pending.pop(id(article), None)
            if job is not None:
                job.item.status, job.item.problem, job.item.article_id = "stored", None, article.id
                done.append(job.item)
        archive.save_feed_items(done)

    try:
        summary.ingest = ingest_records(
            archive, records, rejects_path, ingest_options, on_reject=on_reject, on_batch=on_batch
        )
    finally:
        fetcher.close()
    # The feeds' validators last: a poll killed before its items were stored polls them again.
    now = _now()
    for feed in feeds:
        if feed.name in validators:
            etag, last_modified = validators[feed.name]
            feed.etag, feed.last_modified = etag, last_modified
            feed.errors, feed.last_error, feed.next_poll = 0, None, None
            feed.last_polled = feed.last_ok = now
            archive.save_feed(feed)
    return summary


def _item_failed(item: FeedItem, error: FetchError) -> None:
    if isinstance(error, RobotsDisallowed):
        item.status = "skipped"
    else:
        item.status = "gone" if error.permanent else "failed"
    item.problem = str(error)


def new_feed_name(archive: Archive, url: str) -> str:
    """A name for a feed added without one: its host (``nos.nl``), made unique (``nos.nl-2``)."""
    taken = {f.name for f in archive.feeds()}
    base = urls.host(url) or "feed"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name
