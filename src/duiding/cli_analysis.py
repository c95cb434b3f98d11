"""``duiding stats`` and ``duiding export``: :mod:`duiding.analysis` on the command line.

Registered on the ``duiding`` group by :mod:`duiding.cli` (which imports this module at its end).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from duiding.analysis import BY, COUNTS, FORMATS, TIME_BY, WHAT, Bucket, NotFoundError, aggregate, export
from duiding.analysis import format_for as export_format_for
from duiding.cli import PROGRESS_DELAY, articles, db_option, err, fail, main, opened, out
from duiding.search.query import ParsedQuery, QuerySyntaxError, caret, parse_query


def _query_or_exit(query: str | None) -> ParsedQuery | None:
    """The parsed query (None or blank: the whole archive), or a one-line error with a caret (exit 2)."""
    if query is None or not query.strip():
        return None
    try:
        return parse_query(query)
    except QuerySyntaxError as e:
        err.print(f"[bold red]error:[/] {escape(caret(query, e))}", highlight=False)
        raise SystemExit(2) from None


def _note_pending(archive: Any, parsed: ParsedQuery | None) -> None:
    pending = archive.pending_index() if parsed is not None else 0
    if pending:
        err.print(
            f"[yellow]note:[/] {articles(pending)} in the store are not in the index yet; run duiding reindex"
        )


def _join(values: list[str], most: int = 3) -> str:
    return ", ".join(values[:most]) + (" …" if len(values) > most else "")


def _share(value: float) -> str:
    return f"{100 * value:.1f}%"


# Per --by: the extra columns of the table, as (heading, value of a bucket).
_Column = tuple[str, Callable[[Bucket], str]]
_EXTRA: dict[str, list[_Column]] = {
    "outlet": [("share", lambda b: _share(b.extra["share"]))],
    "category": [("share", lambda b: _share(b.extra["share"]))],
    "entity": [
        ("label", lambda b: b.extra["entity_label"]),
        ("articles", lambda b: f"{b.extra['articles']:,}"),
        ("quotes by", lambda b: f"{b.extra['quotes_by']:,}"),
        ("quotes mentioning", lambda b: f"{b.extra['quotes_mentioning']:,}"),
        ("id", lambda b: b.key),
    ],
    "speaker": [
        ("articles", lambda b: f"{b.extra['articles']:,}"),
        ("gender", lambda b: b.extra["gender"]),
        ("roles", lambda b: _join(b.extra["roles"])),
        ("organisations", lambda b: _join(b.extra["organisations"])),
    ],
    "role": [("speakers", lambda b: f"{b.extra['speakers']:,}")],
    "organisation": [("speakers", lambda b: f"{b.extra['speakers']:,}")],
    "gender": [
        ("share", lambda b: _share(b.extra["share"])),
        ("quotes", lambda b: f"{b.extra['quotes']:,}"),
        ("quote share", lambda b: _share(b.extra["quote_share"])),
    ],
}
for _by in ("person", "org", "location"):
    _EXTRA[_by] = [c for c in _EXTRA["entity"] if c[0] != "label"]


def _table(buckets: list[Bucket], by: str, title: str) -> Table:
    head = {"gender": "gender", "cooccurrence": "pair"}.get(by, "period" if by in TIME_BY else by)
    extra = _EXTRA.get(by, [])
    if by == "cooccurrence" and buckets and "with" in buckets[0].extra:  # one entity's partners
        head = "entity"
        extra = [c for c in _EXTRA["entity"] if c[0] in ("label", "id")]
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column(head, overflow="fold")
    table.add_column(COUNTS[by], justify="right")
    for name, _ in extra:
        table.add_column(
            name, justify="right" if name in ("articles", "share", "speakers", "quotes") else "left"
        )
    if by in TIME_BY:
        table.add_column("", no_wrap=True)
    top = max((b.count for b in buckets), default=0) or 1
    for b in buckets:
        cells = [escape(b.label), f"{b.count:,}", *(escape(str(f(b))) for _, f in extra)]
        if by in TIME_BY:
            cells.append("[cyan]" + "█" * round(30 * b.count / top) + "[/]")
        table.add_row(*cells)
    return table


@main.command()
@click.argument("query", required=False)
@db_option
@click.option(
    "--by",
    "by",
    default="month",
    show_default=True,
    metavar="|".join(BY),
    help="What to count by.",
)
@click.option(
    "--limit",
    "-n",
    default=20,
    show_default=True,
    type=click.IntRange(1, None),
    help="Most buckets to show (time buckets are never cut).",
)
@click.option("--label", metavar="PER|ORG|LOC|MISC", help="--by entity or cooccurrence: only this label.")
@click.option(
    "--entity", metavar="NAME_OR_ID", help="--by cooccurrence: the entities that occur with this one."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print {query, by, buckets: [{key, label, count, extra}]}."
)
def stats(
    query: str | None, db: str, by: str, limit: int, label: str | None, entity: str | None, as_json: bool
) -> None:
    """Count the articles QUERY finds (leave it out for the whole archive) by time, outlet, category,
    entity, speaker, role, organisation, gender or co-occurrence.

    \b
    QUERY is the syntax of duiding search. --by:
      month, week, day   articles per period, oldest first, empty periods included
      outlet, category   articles per outlet or category
      entity             most mentioned entities (--label narrows), with quotes by and mentioning them
      person, org, location   the same for one label
      speaker            most quoted sources, with roles, organisations and gender
      role, organisation quotes per role or organisation of the source
      gender             quoted sources (and their quotes) by first-name gender; unknown stays unknown
      cooccurrence       entity pairs mentioned in the same articles (--entity: one entity's partners)
    Examples:
      duiding stats Belarus --by speaker
      duiding stats 'published:2022' --by week
      duiding stats --by cooccurrence --entity Poetin --label PER
    """
    if by not in BY:
        fail(f"unknown --by {by!r}: choose one of {', '.join(BY)}")
    parsed = _query_or_exit(query)
    with opened(db) as archive:
        try:
            with err.status(f"counting by {by}…"):
                buckets = aggregate(archive, parsed, by, limit=limit, label=label, entity=entity)
        except NotFoundError as e:
            fail(str(e), code=1)
        except ValueError as e:
            fail(str(e))
        _note_pending(archive, parsed)
    if as_json:
        out.print_json(
            data={
                "query": parsed.text if parsed else None,
                "by": by,
                "buckets": [b.model_dump() for b in buckets],
            }
        )
        return
    scope = f"'{parsed.text}'" if parsed else "the whole archive"
    title = f"{COUNTS[by]} by {by}" + (f" with {entity}" if entity else "") + f" — {scope}"
    if not buckets:
        out.print(f"{escape(title)}: nothing to count")
        return
    out.print(_table(buckets, by, escape(title)))


_ONE = {"articles": "article", "quotes": "quote", "entities": "entity"}


class _RowProgress:
    """A progress bar on stderr for an export, shown once the export runs past a second."""

    def __init__(self, what: str) -> None:
        self.started = time.perf_counter()
        self.rows = 0
        self.bar = Progress(
            TextColumn(f"[bold]export {what}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8,.0f} rows/s"),
            TimeElapsedColumn(),
            console=err,
        )
        self.task = self.bar.add_task(what, total=None, rate=0.0)
        self.shown = False

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def total(self, n: int) -> None:
        self.bar.update(self.task, total=n)

    def advance(self, n: int) -> None:
        self.rows += n
        self.bar.update(self.task, advance=n, rate=self.rows / max(self.seconds, 1e-9))
        if not self.shown and self.seconds >= PROGRESS_DELAY:
            self.shown = True
            self.bar.start()

    def __enter__(self) -> _RowProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            self.bar.stop()


@main.command(name="export")
@click.argument("query", required=False)
@db_option
@click.option("--what", default="articles", show_default=True, metavar="|".join(WHAT), help="What to write.")
@click.option(
    "--format",
    "fmt",
    metavar="|".join(FORMATS),
    help="File format (default: from the file name's extension).",
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write here."
)
def export_(query: str | None, db: str, what: str, fmt: str | None, output: Path) -> None:
    """Export the articles QUERY finds (leave it out for the whole archive), their quotes or their
    entities, as CSV, JSON Lines or Parquet, streamed.

    \b
    --what articles: id, url, outlet, published, category, program, title, text, mentions, entities, quotes
    --what quotes:   article_id, published, outlet, start, end, text, type, speaker, aliases, cue, role,
                     organisation, speaker_entity_id
    --what entities: entity_id, label, canonical, aliases, mentions (within the query's articles)
    Examples:
      duiding export Belarus --what quotes -o belarus-quotes.csv
      duiding export 'published:2022-10' --what articles --format parquet -o oktober.parquet
    """
    if what not in WHAT:
        fail(f"unknown --what {what!r}: choose one of {', '.join(WHAT)}")
    fmt = fmt or export_format_for(output)
    if fmt is None:
        fail(f"cannot tell the format from {str(output)!r}: give --format {'|'.join(FORMATS)}")
    if fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if not output.parent.is_dir():
        fail(f"{output.parent}: no such directory")
    parsed = _query_or_exit(query)
    with opened(db) as archive, _RowProgress(what) as progress:
        try:
            n = export(archive, parsed, what, fmt, output, on_total=progress.total, advance=progress.advance)
        except OSError as e:
            fail(f"{output}: {e.strerror or e}", code=1)
        _note_pending(archive, parsed)
        seconds = progress.seconds
    err.print(
        f"{n:,} {what if n != 1 else _ONE[what]} ({n / seconds if seconds else 0.0:,.0f} rows/s) → "
        f"{escape(str(output))}",
        highlight=False,
    )
