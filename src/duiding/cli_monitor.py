"""``duiding fetch``, ``duiding feeds`` and ``duiding watch``: live ingestion and monitoring.

Registered on the ``duiding`` group by :mod:`duiding.cli` (which imports this module at its end).
"""

from __future__ import annotations

import contextlib
import re
import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from duiding import urls
from duiding.cli import MAX_REJECTS_SHOWN, PROGRESS_DELAY, articles, db_option, err, fail, main, opened, out
from duiding.ingest.errors import Reject
from duiding.ingest.fetch import DEFAULT_USER_AGENT, FetchOptions
from duiding.model import Article
from duiding.nlp import ModelMissing
from duiding.search.query import QuerySyntaxError, caret
from duiding.store import local_dir
from duiding.store.base import Feed, StoreError, WatchMatch

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|u|d)?\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "u": 3600, "d": 86400}


def parse_duration(value: str) -> float:
    """``10m`` → 600.0 seconds; also ``30s``, ``1h``, ``1.5h``, ``90`` (seconds)."""
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 10m, 1h)")
    seconds = float(m.group(1)) * _UNIT[(m.group(2) or "s").lower()]
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {value!r}")
    return seconds


def _fetch_options(user_agent: str, timeout: float, delay: float, robots: bool = True) -> FetchOptions:
    return FetchOptions(user_agent=user_agent, timeout=timeout, host_delay=delay, robots=robots)


def fetch_options(f: Any) -> Any:
    """--user-agent, --timeout and --delay, shared by fetch and feeds poll."""
    f = click.option(
        "--delay",
        default=1.0,
        show_default=True,
        type=click.FloatRange(0, 3600),
        help="Seconds between two requests to the same host (robots.txt Crawl-delay may ask more).",
    )(f)
    f = click.option(
        "--timeout",
        default=20.0,
        show_default=True,
        type=click.FloatRange(0.05, 600),
        help="Seconds one request may take, from connecting to the last byte.",
    )(f)
    return click.option(
        "--user-agent",
        envvar="DUIDING_USER_AGENT",
        default=DEFAULT_USER_AGENT,
        show_default=True,
        help="The User-Agent sent (also $DUIDING_USER_AGENT); robots.txt rules for it apply.",
    )(f)


class _Pages:
    """A progress bar (stderr) over pages, shown once a run has taken longer than a second."""

    def __init__(self, name: str) -> None:
        self.started = time.perf_counter()
        self.bar = Progress(
            TextColumn(f"[bold]{name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages"),
            TimeElapsedColumn(),
            console=err,
        )
        self.task = self.bar.add_task(name, total=None)
        self.shown = False

    def total(self, n: int) -> None:
        self.bar.update(self.task, total=n)
        self._show()

    def advance(self) -> None:
        self.bar.advance(self.task)
        self._show()

    def print(self, message: str) -> None:
        (self.bar.console if self.shown else err).print(message, highlight=False)
        self._show()

    def _show(self) -> None:
        if not self.shown and time.perf_counter() - self.started >= PROGRESS_DELAY:
            self.shown = True
            self.bar.start()

    def __enter__(self) -> _Pages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            self.bar.stop()


def _rejects_path(archive: Any, rejects_file: Path | None, kind: str) -> Path:
    from duiding.ingest.pipeline import default_rejects_path

    path = rejects_file or default_rejects_path(local_dir(archive.location) / "rejects")
    return path if rejects_file else path.with_name(path.name.replace("ingest-", f"{kind}-", 1))


def _ingest_line(summary: Any, location: str) -> str:
    red, end = ("[red]", "[/]") if summary.rejected else ("", "")
    return (
        f"[green]added {summary.added:,}[/] · updated {summary.updated:,} · "
        f"unchanged {summary.unchanged:,} · {red}rejected {summary.rejected:,}{end}"
        f"  ({summary.seconds:.1f} s) → {escape(location)}"
    )


# -- fetch ---------------------------------------------------------------------------------------------


@main.command()
@click.argument("page_urls", metavar="URL...", nargs=-1, required=True)
@db_option
@fetch_options
@click.option("--no-nlp", is_flag=True, help="Store and index only; skip entities and quotes.")
@click.option(
    "--rejects",
    "rejects_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the rejects report (default: DIR/rejects/fetch-TIME.jsonl).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def fetch(
    page_urls: tuple[str, ...],
    db: str,
    user_agent: str,
    timeout: float,
    delay: float,
    no_nlp: bool,
    rejects_file: Path | None,
    as_json: bool,
) -> None:
    """Fetch news pages and ingest the article on each.

    Title, date, author, section and text come from the page (trafilatura, htmldate); menus, cookie
    banners, share buttons, related links and footers are left out. robots.txt is respected, each host
    is asked at most once per --delay. A page that cannot be fetched or read is reported as
    URL: PROBLEM and the rest goes on; the articles go through the same ingest as files (language,
    NLP, duplicate clusters, watches).
    """
    from duiding.ingest.feeds import fetch_page
    from duiding.ingest.fetch import Fetcher, FetchError
    from duiding.ingest.pipeline import IngestOptions, ingest_records

    with opened(db) as archive, _Pages("fetch") as pages:
        rejects_path = _rejects_path(archive, rejects_file, "fetch")
        shown = 0

        def on_reject(r: Reject) -> None:
            nonlocal shown
            shown += 1
            if shown <= MAX_REJECTS_SHOWN:
                pages.print(f"[yellow]reject[/] {escape(str(r))}")

        def records(_progress: Any) -> Iterator[Article | Reject]:
            pages.total(len(page_urls))
            with Fetcher(_fetch_options(user_agent, timeout, delay)) as fetcher:
                for url in page_urls:
                    if not urls.is_http_url(url.strip()):
                        yield Reject(url, None, "not an http(s) URL")
                    else:
                        result = fetch_page(fetcher, url.strip())
                        yield Reject(url, None, str(result)) if isinstance(result, FetchError) else result
                    pages.advance()

        try:
            summary = ingest_records(
                archive, records, rejects_path, IngestOptions(nlp=not no_nlp), on_reject=on_reject
            )
        except ModelMissing as e:
            fail(f"{e}; or fetch with --no-nlp")
    if as_json:
        out.print_json(data=summary.to_dict() | {"watch_matches": summary.matches})
        return
    out.print(_ingest_line(summary, archive.location))
    if shown > MAX_REJECTS_SHOWN:
        err.print(f"… and {shown - MAX_REJECTS_SHOWN:,} more rejects")
    if summary.rejects_path:
        err.print(f"rejects report: {escape(str(summary.rejects_path))}")


# -- feeds ---------------------------------------------------------------------------------------------


@main.group()
def feeds() -> None:
    """Follow RSS and Atom feeds: add them, list them, poll them for new articles."""


@feeds.command(name="add")
@click.argument("url")
@click.option("--name", help="What to call the feed (default: its host, e.g. nos.nl).")
@db_option
def feeds_add(url: str, name: str | None, db: str) -> None:
    """Follow the RSS or Atom feed at URL (nothing is fetched until `duiding feeds poll`)."""
    from duiding.ingest.feeds import new_feed_name

    url = url.strip()
    if not urls.is_http_url(url):
        fail(f"{url}: not an http(s) URL")
    if name is not None and not name.strip():
        fail("--name must not be empty")
    with opened(db) as archive:
        existing = next((f for f in archive.feeds() if f.url == url), None)
        if existing is not None:
            out.print(f"already following {escape(url)} as [bold]{escape(existing.name)}[/]")
            return
        try:
            feed = archive.add_feed((name or new_feed_name(archive, url)).strip(), url)
        except StoreError as e:
            fail(str(e))
    out.print(f"following [bold]{escape(feed.name)}[/] ({escape(feed.url)})", highlight=False)


def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if dt else "never"


def _feed_state(feed: Feed, now: datetime) -> str:
    if feed.errors:
        state = f"{feed.errors} failed poll{'s' if feed.errors > 1 else ''}: {feed.last_error}"
        if feed.next_poll and feed.next_poll > now:
            state += f" (backing off until {_when(feed.next_poll)})"
        return state
    return "ok" if feed.last_ok else "not polled yet"


@feeds.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True)
def feeds_list(db: str, as_json: bool) -> None:
    """The followed feeds: how many articles each brought, when last polled, and any trouble."""
    with opened(db) as archive:
        found = archive.feeds()
    now = datetime.now(UTC)
    if as_json:
        out.print_json(
            data={
                "feeds": [
                    {
                        "name": f.name,
                        "url": f.url,
                        "title": f.title,
                        "stored": f.stored,
                        "added_at": f.added_at.isoformat() if f.added_at else None,
                        "last_polled": f.last_polled.isoformat() if f.last_polled else None,
                        "last_ok": f.last_ok.isoformat() if f.last_ok else None,
                        "errors": f.errors,
                        "last_error": f.last_error,
                        "next_poll": f.next_poll.isoformat() if f.next_poll else None,
                    }
                    for f in found
                ]
            }
        )
        return
    if not found:
        out.print("no feeds followed yet: duiding feeds add URL")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "url", "articles", "last polled", "state"):
        table.add_column(column, justify="right" if column == "articles" else "left")
    for f in found:
        table.add_row(
            escape(f.name), escape(f.url), f"{f.stored:,}", _when(f.last_polled), escape(_feed_state(f, now))
        )
    out.print(table)


@feeds.command(name="poll")
@db_option
@click.option("--once", "mode", flag_value="once", default=True, help="Poll every feed once (default).")
@click.option("--every", metavar="DURATION", help="Poll again and again, e.g. every 10m (Ctrl-C stops).")
@click.option("--feed", "only", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@fetch_options
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 32), help="Pages at once.")
@click.option("--max-items", type=click.IntRange(1, None), help="New items fetched per feed per poll.")
@click.option("--no-nlp", is_flag=True, help="Store and index only; skip entities and quotes.")
@click.option(
    "--rejects",
    "rejects_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the rejects report (default: DIR/rejects/poll-TIME.jsonl).",
)
@click.option("--json", "as_json", is_flag=True, help="Print each poll's summary as JSON.")
@click.option("--cycles", type=click.IntRange(1, None), hidden=True, help="With --every: stop after N polls.")
def feeds_poll(
    db: str,
    mode: str,
    every: str | None,
    only: tuple[str, ...],
    user_agent: str,
    timeout: float,
    delay: float,
    workers: int,
    max_items: int | None,
    no_nlp: bool,
    rejects_file: Path | None,
    as_json: bool,
    cycles: int | None,
) -> None:
    """Poll the followed feeds and ingest the pages of their new items.

    \b
    Conditional GET (ETag, Last-Modified): an unchanged feed costs one request. New items' pages are
    fetched (robots.txt respected, each host at most once per --delay, --timeout per request), read and
    ingested like files (language, NLP, duplicate clusters, watches and their webhooks). A feed or page
    that fails is reported as FEED: URL: PROBLEM and the rest goes on; a failing feed is backed off
    (5 minutes, doubling, at most 6 hours). What was seen is remembered: a restart refetches nothing.
    Exit code 1 only when no feed could be read at all.
    """
    interval = None
    if every is not None:
        try:
            interval = parse_duration(every)
        except ValueError as e:
            fail(str(e))
    with opened(db) as archive:
        names = {f.name for f in archive.feeds()}
        unknown = [n for n in only if n not in names]
        if unknown:
            fail(f"no feed named {unknown[0]!r}; see duiding feeds list")
        if not names:
            fail("no feeds followed yet: duiding feeds add URL", code=1)
        done = 0
        ok = True
        with _interruptible() as stop:
            while True:
                ok = _poll_once(
                    archive,
                    only,
                    user_agent,
                    timeout,
                    delay,
                    workers,
                    max_items,
                    no_nlp,
                    rejects_file,
                    as_json,
                )
                done += 1
                if interval is None or (cycles is not None and done >= cycles) or stop.requested:
                    break
                err.print(f"[dim]next poll in {every} ({articles(archive.count())} in the archive)[/]")
                if stop.wait(interval):
                    break
    if not ok:
        raise SystemExit(1)


class _Stop:
    def __init__(self) -> None:
        self.requested = False

    def wait(self, seconds: float) -> bool:
        """Sleep, waking for Ctrl-C; True when asked to stop."""
        end = time.monotonic() + seconds
        while not self.requested and time.monotonic() < end:
            time.sleep(min(0.2, end - time.monotonic()))
        return self.requested


@contextmanager
def _interruptible() -> Iterator[_Stop]:
    """Ctrl-C between polls ends the loop cleanly; during a poll it stops after the batch in flight."""
    stop = _Stop()
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        if stop.requested:  # a second Ctrl-C: now
            raise KeyboardInterrupt
        stop.requested = True
        err.print("[yellow]stopping after this poll (Ctrl-C again to stop now)[/]")

    with contextlib.suppress(ValueError):  # ValueError: not in the main thread
        signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, previous)


def _poll_once(
    archive: Any,
    only: Iterable[str],
    user_agent: str,
    timeout: float,
    delay: float,
    workers: int,
    max_items: int | None,
    no_nlp: bool,
    rejects_file: Path | None,
    as_json: bool,
) -> bool:
    from duiding.ingest.feeds import PollOptions, poll
    from duiding.ingest.pipeline import IngestOptions

    only = list(only) or None
    options = PollOptions(
        fetch=_fetch_options(user_agent, timeout, delay), workers=workers, max_items=max_items, only=only
    )
    shown = 0
    with _Pages("poll") as pages:

        def on_reject(r: Reject) -> None:
            nonlocal shown
            shown += 1
            if shown <= MAX_REJECTS_SHOWN:
                pages.print(f"[yellow]problem[/] {escape(str(r))}")

        def on_feed(feed: Feed, what: str) -> None:
            pages.print(f"[dim]feed[/] [bold]{escape(feed.name)}[/]: {escape(what)}")

        try:
            summary = poll(
                archive,
                _rejects_path(archive, rejects_file, "poll"),
                options,
                IngestOptions(nlp=not no_nlp),
                on_reject=on_reject,
                on_feed=on_feed,
                on_pages=pages.total,
                on_page=pages.advance,
            )
        except ModelMissing as e:
            fail(f"{e}; or poll with --no-nlp")
    if as_json:
        out.print_json(data=summary.to_dict())
    else:
        s = summary
        out.print(
            f"{s.feeds} feed{'s' if s.feeds != 1 else ''} polled ({s.unchanged} not modified, "
            f"{'[red]' if s.failed else ''}{s.failed} failed{'[/]' if s.failed else ''}"
            + (f", {s.backing_off} backing off" if s.backing_off else "")
            + f") · {s.new_items} new items · {s.duplicates} already stored · "
            f"{s.page_problems} page problems"
        )
        out.print(_ingest_line(s.ingest, archive.location))
        if s.ingest.matches:
            out.print(f"{s.ingest.matches} new watch match{'es' if s.ingest.matches != 1 else ''}")
        if shown > MAX_REJECTS_SHOWN:
            err.print(f"… and {shown - MAX_REJECTS_SHOWN:,} more problems")
        if s.ingest.rejects_path:
            err.print(f"problems report: {escape(str(s.ingest.rejects_path))}")
    return summary.ok


# -- watches -------------------------------------------------------------------------------------------


@main.group()
def watch() -> None:
    """Saved queries: every newly ingested article they find is recorded, and can be pushed to a webhook."""


@watch.command(name="add")
@click.argument("name")
@click.argument("query")
@click.option("--webhook", metavar="URL", help="POST each match as JSON here (retried with backoff).")
@db_option
def watch_add(name: str, query: str, webhook: str | None, db: str) -> None:
    """Save QUERY (the syntax of `duiding search`) as watch NAME.

    From now on every article an ingest, fetch or feed poll adds or changes is checked against it;
    matches are recorded once each (`duiding watch show NAME`).
    """
    from duiding.monitor import add_watch

    with opened(db) as archive:
        try:
            w = add_watch(archive, name, query, webhook)
        except QuerySyntaxError as e:
            err.print(f"[bold red]error:[/] {escape(caret(query, e))}", highlight=False)
            raise SystemExit(2) from None
        except (ValueError, StoreError) as e:
            fail(str(e))
    out.print(
        f"watching [bold]{escape(w.name)}[/]: {escape(w.query)}"
        + (f" → {escape(w.webhook)}" if w.webhook else ""),
        highlight=False,
    )


@watch.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True)
def watch_list(db: str, as_json: bool) -> None:
    """The saved queries, with how many articles each matched."""
    with opened(db) as archive:
        found = archive.watches()
    if as_json:
        out.print_json(
            data={
                "watches": [
                    {
                        "name": w.name,
                        "query": w.query,
                        "webhook": w.webhook,
                        "created_at": w.created_at.isoformat() if w.created_at else None,
                        "matches": w.matches,
                        "pending_deliveries": w.pending,
                    }
                    for w in found
                ]
            }
        )
        return
    if not found:
        out.print("no watches yet: duiding watch add NAME QUERY")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "query", "matches", "webhook"):
        table.add_column(column, justify="right" if column == "matches" else "left")
    for w in found:
        hook = (w.webhook or "") + (f" ({w.pending} pending)" if w.pending else "")
        table.add_row(escape(w.name), escape(w.query), f"{w.matches:,}", escape(hook))
    out.print(table)


def _match_json(m: WatchMatch) -> dict[str, Any]:
    a = m.article
    return {
        "matched_at": m.matched_at.isoformat(),
        "delivery": m.delivery,
        "delivery_error": m.error,
        "article": {
            "id": a.id,
            "title": a.title,
            "url": a.url,
            "published": a.published.isoformat() if a.published else None,
            "outlet": a.outlet,
            "language": a.language,
            "cluster_id": a.cluster_id,
        },
    }


@watch.command(name="show")
@click.argument("name")
@db_option
@click.option("--limit", "-n", default=50, show_default=True, type=click.IntRange(1, None))
@click.option("--json", "as_json", is_flag=True, help="Print {watch, matches: [...]} as JSON.")
@click.option("--atom", is_flag=True, help="Print the matches as an Atom feed.")
def watch_show(name: str, db: str, limit: int, as_json: bool, atom: bool) -> None:
    """The articles watch NAME matched, newest first."""
    from duiding.monitor import watch_atom

    with opened(db) as archive:
        w = next((x for x in archive.watches() if x.name == name), None)
        if w is None:
            fail(f"no watch named {name!r}; see duiding watch list", code=1)
        if atom:
            out.file.write(watch_atom(archive, name, limit=limit))
            return
        matches = archive.watch_matches(name, limit=limit)
    if as_json:
        out.print_json(
            data={
                "watch": {"name": w.name, "query": w.query, "webhook": w.webhook, "matches": w.matches},
                "matches": [_match_json(m) for m in matches],
            }
        )
        return
    out.print(
        f"[bold]{escape(w.name)}[/]: {escape(w.query)} · {w.matches:,} match{'es' if w.matches != 1 else ''}"
    )
    for m in matches:
        a = m.article
        date = a.published.strftime("%Y-%m-%d") if a.published else "          "
        delivery = f" · webhook {m.delivery}" if m.delivery else ""
        out.print()
        out.print(
            f"[bold]{escape(a.title)}[/]  [dim]{date} · {escape(a.outlet or '')} · {escape(a.id)}"
            f" · matched {_when(m.matched_at)}{delivery}[/]",
            highlight=False,
        )
        if a.url:
            out.print(f"  [blue]{escape(a.url)}[/]", highlight=False)


@watch.command(name="remove")
@click.argument("name")
@db_option
def watch_remove(name: str, db: str) -> None:
    """Delete watch NAME and its recorded matches."""
    with opened(db) as archive:
        if not archive.remove_watch(name):
            fail(f"no watch named {name!r}", code=1)
    out.print(f"removed watch [bold]{escape(name)}[/]")
