"""The ``duiding`` command: ingest a Dutch news archive, then search and read it."""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from duiding import __version__
from duiding.ingest.errors import Reject
from duiding.model import Article, Quote
from duiding.nlp import ModelMissing
from duiding.search.index import IndexLockedError
from duiding.search.query import ParsedQuery, QuerySyntaxError, caret, parse_query
from duiding.store import DEFAULT_DB, Archive, QuoteHit, SearchResults, StoreError, local_dir, open_archive

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

MAX_REJECTS_SHOWN = 20

db_option = click.option(
    "--db",
    envvar="DUIDING_DB",
    default=DEFAULT_DB,
    show_default=True,
    metavar="DIR|URL",
    help="Data directory of the archive, or a PostgreSQL server URL postgresql://… (also $DUIDING_DB).",
)


def articles(n: int) -> str:
    return f"{n:,} article" + ("" if n == 1 else "s")


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    sys.exit(code)


@contextmanager
def opened(db: str) -> Iterator[Archive]:
    try:
        archive = open_archive(db)
    except StoreError as e:
        fail(str(e))
    try:
        yield archive
    except IndexLockedError as e:
        fail(str(e))
    finally:
        archive.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="duiding")
def main() -> None:
    """duiding: who says what in Dutch news.

    Ingest a news archive (archive text files, JSONL, CSV, folders, .zip/.tar.gz), find its named entities
    and who is quoted saying what, store it in an embedded database with a Dutch full-text index, and
    search and read it.

    \b
    Start with:
      duiding ingest ARCHIVE...      read articles into ./duiding-data
      duiding search 'Poetin AND published:[2022-10-01 TO 2022-10-31]'
      duiding show nos-2448020
      duiding entities --top 20      the archive's most mentioned people, organisations, places
      duiding quotes --speaker Hummels
    """


# -- ingest ----------------------------------------------------------------------------------------


def _progress(partitions: bool = False) -> Progress:
    extra = [TextColumn("{task.fields[partitions]}")] if partitions else []
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[articles]:>8,} articles  {task.fields[rate]:>6,.0f}/s"),
        *extra,
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@contextmanager
def _dask_client(
    workers: int | None, cluster: str | None, connect_timeout: float, verbose: bool
) -> Iterator[Any]:
    """The Dask client of ``ingest --workers N`` / ``--cluster ADDRESS``, else None; a one-line error
    when the cluster cannot be started or reached."""
    if not workers and cluster is None:
        yield None
        return
    from duiding.ingest.distributed import ClusterError, dask_client

    with ExitStack() as stack:
        try:
            client = stack.enter_context(
                dask_client(
                    workers if cluster is None else None,
                    cluster,
                    connect_timeout=connect_timeout,
                    verbose=verbose,
                )
            )
        except ClusterError as e:
            fail(str(e), code=1)
        yield client


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl", "csv", "html"]),
    help="Read every input as this format instead of detecting it.",
)
@click.option(
    "--map",
    "mapping",
    metavar="FIELD=COLUMN,...",
    help="Which JSONL/CSV column holds which field, e.g. text=content,published=datetime.",
)
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the inputs.")
@click.option("--strict", is_flag=True, help="Check everything first; any reject stores nothing and fails.")
@click.option(
    "--rejects",
    "rejects_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the rejects report (default: DIR/rejects/ingest-TIME.jsonl).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    help="Articles per batch, stored in one transaction (and a partition with --workers/--cluster). "
    "[default: 500; with --workers/--cluster 100]",
)
@click.option("--no-nlp", is_flag=True, help="Store and index only; skip entities and quotes.")
@click.option(
    "--workers",
    type=click.IntRange(0, 1024),
    help="Run the NLP on a local Dask cluster of N worker processes (0: in this process, as without).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Run the NLP on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786).",
)
@click.option(
    "--connect-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds to wait for the --cluster scheduler and its first worker.",
)
@click.option("--verbose", is_flag=True, help="Show the Dask cluster's own log messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(
    paths: tuple[Path, ...],
    db: str,
    fmt: str | None,
    mapping: str | None,
    encoding: str,
    strict: bool,
    rejects_file: Path | None,
    batch_size: int | None,
    no_nlp: bool,
    workers: int | None,
    cluster: str | None,
    connect_timeout: float,
    verbose: bool,
    as_json: bool,
) -> None:
    """Read articles from PATHS into the archive.

    PATHS are archive text files (title, timestamp, URL, body, labels), JSONL or CSV files, saved news
    pages (.html), folders of them, or .zip/.tar.gz archives. Ingest is idempotent: the same article
    again (same canonical URL, else source id, else content) is left alone, a changed one is updated.
    Bad records are reported as
    FILE:LINE: PROBLEM, written to a rejects report, and the rest goes on. New and changed articles
    go through the Dutch NLP (named entities and quotes) unless --no-nlp; --workers N or --cluster
    ADDRESS run it on a Dask cluster, storing the same as without.
    """
    import codecs

    from duiding.ingest.pipeline import IngestOptions, default_rejects_path
    from duiding.ingest.pipeline import ingest as run_ingest
    from duiding.ingest.readers import parse_mapping, total_bytes

    try:
        codecs.lookup(encoding)
        columns = parse_mapping(mapping)
    except (LookupError, ValueError) as e:
        fail(str(e))
    if workers is not None and cluster is not None:
        fail("--workers and --cluster exclude each other: a local cluster, or the one at ADDRESS")
    distributed = bool(workers) or cluster is not None
    if distributed and no_nlp:
        fail("--workers and --cluster run the NLP elsewhere, and --no-nlp leaves none to run")
    if cluster is not None:
        from duiding.ingest.distributed import check_address

        try:
            cluster = check_address(cluster)
        except ValueError as e:
            fail(f"--cluster: {e}")
    if batch_size is None:
        batch_size = 100 if distributed else 500
    options = IngestOptions(
        fmt=fmt, mapping=columns, encoding=encoding, strict=strict, batch_size=batch_size, nlp=not no_nlp
    )

    with opened(db) as archive, _dask_client(workers, cluster, connect_timeout, verbose) as client:
        rejects_path = rejects_file or default_rejects_path(local_dir(archive.location) / "rejects")
        shown = 0
        stored = 0
        with _progress(partitions=distributed) as progress:
            task = progress.add_task(
                "ingest", total=total_bytes(paths) or None, articles=0, rate=0.0, partitions=""
            )

            def on_reject(r: Reject) -> None:
                nonlocal shown
                shown += 1
                if shown <= MAX_REJECTS_SHOWN:
                    progress.console.print(f"[yellow]reject[/] {escape(str(r))}")

            def on_bytes(n: int) -> None:
                progress.advance(task, n)

            def on_stored(n: int) -> None:
                nonlocal stored
                stored += n
                elapsed = progress.tasks[task].elapsed or 1e-9
                progress.update(task, articles=stored, rate=stored / elapsed)

            def on_recovered(n: int) -> None:
                progress.console.print(f"indexed {articles(n)} left over by an interrupted run")

            def on_partition(done: int, in_flight: int) -> None:
                progress.update(task, partitions=f"{done:>5,} partitions, {in_flight:,} out")

            callbacks: dict[str, Any] = {
                "on_reject": on_reject,
                "on_bytes": on_bytes,
                "on_stored": on_stored,
                "on_recovered": on_recovered,
            }
            try:
                if client is not None:
                    from duiding.ingest.distributed import ClusterError, ingest_distributed

                    try:
                        summary = ingest_distributed(
                            archive,
                            paths,
                            rejects_path,
                            options,
                            client=client,
                            on_partition=on_partition,
                            **callbacks,
                        )
                    except ClusterError as e:
                        fail(str(e), code=1)
                else:
                    summary = run_ingest(archive, paths, rejects_path, options, **callbacks)
            except ModelMissing as e:
                fail(f"{e}; or ingest with --no-nlp")
        if as_json:
            out.print_json(data=summary.to_dict())
        else:
            rate = summary.read / summary.seconds if summary.seconds else 0.0
            out.print(
                f"[green]added {summary.added:,}[/] · updated {summary.updated:,} · "
                f"unchanged {summary.unchanged:,} · "
                f"{'[red]' if summary.rejected else ''}rejected {summary.rejected:,}"
                f"{'[/]' if summary.rejected else ''}"
                f"  ({summary.seconds:.1f} s, {rate:,.0f} articles/s) → {escape(archive.location)}"
            )
            if shown > MAX_REJECTS_SHOWN:
                err.print(f"… and {shown - MAX_REJECTS_SHOWN:,} more rejects")
            if summary.rejects_path:
                err.print(f"rejects report: {escape(str(summary.rejects_path))}")
        if strict and summary.rejected:
            fail(f"--strict: {summary.rejected:,} rejected records, nothing stored", code=1)


@main.command()
@db_option
def reindex(db: str) -> None:
    """Rebuild the search index from the database (the database is the source of truth)."""
    with opened(db) as archive:
        total = archive.count()
        with Progress(
            TextColumn("[bold]reindex"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            task = progress.add_task("reindex", total=total)
            n = archive.reindex(lambda k: progress.advance(task, k))
        out.print(f"indexed {articles(n)} → {escape(archive.location)}")


@main.command()
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@db_option
def snapshot(destination: Path, db: str) -> None:
    """Copy the archive to DESTINATION (a new or empty directory) for a backup, while it stays in use.

    The copy is itself a data directory: `--db DESTINATION` uses it, and copying it back restores the
    archive. Its search index is built from the copied database, not copied. A PostgreSQL archive is
    backed up with `pg_dump` instead (docs/deploy.md).
    """
    with opened(db) as archive:
        if not hasattr(archive, "snapshot"):
            fail(f"{archive.location}: a server archive: back it up with pg_dump (see docs/deploy.md)")
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task("copy database (pages)", total=archive.database_pages())
            try:
                target = archive.snapshot(destination, lambda k: progress.advance(task, k))
            except StoreError as e:
                fail(str(e))
            with opened(str(target)) as copy:
                task = progress.add_task("index the copy", total=copy.pending_index())
                copy.sync_index(lambda k: progress.advance(task, k))
                n = copy.count()
    out.print(f"snapshot of {articles(n)} → {escape(str(target))}")


# -- search and show ---------------------------------------------------------------------------------


def _article_json(article: Article, annotations: bool = True) -> dict[str, Any]:
    exclude = None if annotations else {"entities", "quotes"}
    return article.model_dump(mode="json", exclude=exclude)


def _results_json(results: SearchResults) -> dict[str, Any]:
    return {
        "results": [
            {
                "id": h.article.id,
                "url": h.article.url,
                "title": h.article.title,
                "published": h.article.published.isoformat() if h.article.published else None,
                "score": round(h.score, 4),
                "snippet": "".join(f"<b>{t}</b>" if hit else t for t, hit in h.snippet),
            }
            for h in results.hits
        ],
        "total": results.total,
    }


def _parse_or_exit(query: str) -> ParsedQuery:
    """The parsed query, or a one-line error with a caret under the problem (exit code 2)."""
    try:
        return parse_query(query)
    except QuerySyntaxError as e:
        err.print(f"[bold red]error:[/] {escape(caret(query, e))}", highlight=False)
        sys.exit(2)


@main.command()
@click.argument("query")
@db_option
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, None))
@click.option("--json", "as_json", is_flag=True, help="Print {results: [...], total} as JSON.")
@click.option(
    "--collapse", is_flag=True, help="One hit per duplicate cluster (copies of one story count once)."
)
def search(query: str, db: str, limit: int, offset: int, as_json: bool, collapse: bool = False) -> None:
    """Search the archive with Lucene-style QUERY syntax.

    \b
    Terms are stemmed (Poetins finds Poetin); "phrases"; AND, OR, NOT, -term, (groups);
    fields title: text: outlet: category: program: url: id: language:;
    entities person:Putin org: location:; who is quoted speaker:"Tony van der Togt",
    words inside quotes quote:bruggen;
    dates published:[2022-10-01 TO 2022-10-31], published:2022-10; wildcards Poet* Oekra?ne.
    """
    parsed = _parse_or_exit(query)
    with opened(db) as archive:
        results = archive.search(parsed, limit=limit, offset=offset, collapse=collapse)
        pending = archive.pending_index()
    if pending:
        err.print(
            f"[yellow]note:[/] {articles(pending)} in the store are not in the index yet; run duiding reindex"
        )
    if as_json:
        out.print_json(data=_results_json(results))
        return
    shown_to = offset + len(results.hits)
    out.print(
        f"[bold]{articles(results.total)}[/] {'matches' if results.total == 1 else 'match'}"
        + (f" (showing {offset + 1}–{shown_to})" if results.hits else "")
    )
    for rank, hit in enumerate(results.hits, start=offset + 1):
        a = hit.article
        date = a.published.strftime("%Y-%m-%d") if a.published else "          "
        out.print()
        out.print(
            f"[dim]{rank:>3}.[/] [bold]{escape(a.title)}[/]  [dim]{date} · {escape(a.outlet or '')} · "
            f"{escape(a.id)} · {hit.score:.2f}[/]"
        )
        snippet = Text("     ")
        for fragment, highlighted in hit.snippet:
            snippet.append(re.sub(r"\s+", " ", fragment), style="bold yellow" if highlighted else None)
        out.print(snippet)
        if a.url:
            out.print(f"     [blue]{escape(a.url)}[/]", highlight=False)


@main.command()
@click.argument("ref", metavar="ID_OR_URL")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the article with all its fields as JSON.")
def show(ref: str, db: str, as_json: bool) -> None:
    """Print a stored article by its id (nos-2448020), URL or the source's own id."""
    with opened(db) as archive:
        article = archive.get(ref)
    if article is None:
        fail(f"no article with id or URL {ref!r} in {db}", code=1)
    if as_json:
        out.print_json(json.dumps(_article_json(article), ensure_ascii=False))
        return
    out.print(f"[bold]{escape(article.title)}[/]")
    for name in (
        "id",
        "url",
        "canonical_url",
        "outlet",
        "source_id",
        "published",
        "program",
        "category",
        "language",
        "author",
        "cluster_id",
        "content_hash",
        "source_file",
        "source_line",
    ):
        value = getattr(article, name)
        if value is not None:
            shown = value.isoformat() if name == "published" else value
            out.print(f"[dim]{name:>14}[/]  {escape(str(shown))}", highlight=False)
    out.print(f"[dim]{'entities':>14}[/]  {len(article.entities)}   [dim]quotes[/]  {len(article.quotes)}")
    sources = Counter(q.speaker or "(no speaker)" for q in article.quotes)
    if sources:
        listed = " · ".join(f"{name} {n}" for name, n in sources.most_common())
        out.print(f"[dim]{'quoted':>14}[/]  {escape(listed)}", highlight=False)
    out.print()
    out.print(escape(article.text), highlight=False)
    if article.quotes:
        out.print()
        out.rule(f"quotes ({len(article.quotes)})", align="left")
        for quote in article.quotes:
            _print_quote(quote)


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True)
def info(db: str, as_json: bool) -> None:
    """What the archive holds: how many articles, and how many the index still lacks."""
    with opened(db) as archive:
        data = {
            "location": archive.location,
            "articles": archive.count(),
            "pending_index": archive.pending_index(),
        }
    if as_json:
        out.print_json(data=data)
    else:
        for k, v in data.items():
            out.print(f"[dim]{k:>14}[/]  {v}")


# -- entities, quotes and evaluation -------------------------------------------------------------------

#: A progress bar appears once a command has run this long (seconds): none for a quick run.
PROGRESS_DELAY = 1.0

articles_file = click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)


def _read_jsonl_articles(fh: IO[bytes]) -> Iterator[tuple[int, int, dict[str, Any] | str]]:
    """``(line, bytes, record)`` per line of an articles JSONL file; a bad line has its problem as record.

    Not the ingest readers: these commands take ``text`` exactly as given (offsets refer to it) and
    need nothing but ``text``. A blank line gives an empty problem and is skipped.
    """
    for lineno, raw in enumerate(fh, start=1):
        if not raw.strip():
            yield lineno, len(raw), ""
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            yield lineno, len(raw), f"not a JSON object: {e}"
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield lineno, len(raw), "expected an object with a string 'text'"
            continue
        yield lineno, len(raw), record


def _source_name(source: Path) -> str:
    """How messages name an articles file: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if str(source) == "-" else str(source)


@contextmanager
def _open_articles(source: Path) -> Iterator[tuple[IO[bytes], str, int | None]]:
    """The articles file (``-``: stdin) as bytes, the name to report it by, and its size if known."""
    if str(source) == "-":
        yield sys.stdin.buffer, _source_name(source), None
        return
    with source.open("rb") as fh:
        yield fh, _source_name(source), source.stat().st_size


class _Progress:
    """A progress bar on stderr for a pass over an articles file, shown once it runs past a second."""

    def __init__(self, name: str, total: int | None) -> None:
        self.started = time.perf_counter()
        self.articles = 0
        self.bar = Progress(
            TextColumn(f"[bold]{name}"),
            BarColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[articles]:>8,} articles  {task.fields[rate]:>6,.0f}/s"),
            TimeElapsedColumn(),
            console=err,
        )
        self.task = self.bar.add_task(name, total=total, articles=0, rate=0.0)
        self.shown = False

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def read(self, size: int) -> None:
        self.bar.advance(self.task, size)
        self._show()

    def done(self, n: int = 1) -> None:
        self.articles += n
        self.bar.update(self.task, articles=self.articles, rate=self.articles / max(self.seconds, 1e-9))
        self._show()

    def _show(self) -> None:
        if not self.shown and self.seconds >= PROGRESS_DELAY:
            self.shown = True
            self.bar.start()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.shown:
            self.bar.stop()


@contextmanager
def _sink(output: Path | None) -> Iterator[IO[str]]:
    """Where JSON Lines go: the ``-o`` file, else stdout."""
    if output is None:
        yield sys.stdout
        return
    with output.open("w", encoding="utf-8") as fh:
        yield fh


def _annotate_jsonl(
    source: Path,
    sink: IO[str] | None,
    name: str,
    run: Callable[[Iterable[str]], Iterable[Any]],
    line: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> tuple[int, int, float]:
    """Read articles from ``source``, annotate their texts with ``run`` (lazily, in order) and write
    ``line(record, result)`` per article as JSON Lines to ``sink`` (if any).

    A bad line is reported as ``file:line: problem`` and skipped. Returns (articles written, bad lines,
    seconds).
    """
    pending: deque[dict[str, Any]] = deque()
    bad = 0
    written = 0
    with _open_articles(source) as (fh, where, size), _Progress(name, size) as progress:

        def texts() -> Iterator[str]:
            nonlocal bad
            for lineno, nbytes, record in _read_jsonl_articles(fh):
                progress.read(nbytes)
                if record == "":
                    continue
                if isinstance(record, str):
                    bad += 1
                    err.print(f"[yellow]reject[/] {escape(f'{where}:{lineno}: {record}')}", highlight=False)
                    continue
                pending.append(record)
                yield record["text"]

        for result in run(texts()):
            record = line(pending.popleft(), result)
            if sink is not None:
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
            progress.done()
        return written, bad, progress.seconds


def _load_nlp() -> Any:
    from duiding.nlp.entities import load_model

    try:
        return load_model()
    except ModelMissing as e:
        fail(str(e))


@main.command()
@click.argument("source", required=False, type=articles_file)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write JSONL here.")
@db_option
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, None), help="With --db.")
@click.option("--label", type=click.Choice(["PER", "ORG", "LOC", "MISC"]), help="Only this label (--db).")
@click.option("--json", "as_json", is_flag=True, help="Print the archive's entities as JSON (--db).")
def entities(
    source: Path | None, output: Path | None, db: str, top: int, label: str | None, as_json: bool
) -> None:
    """Named entities: of the articles in SOURCE (JSONL, - for stdin), or the archive's most mentioned ones.

    \b
    With SOURCE, reads articles {"id", "title"?, "text"} and writes one line per article:
    {"id", "entities": [{"start", "end", "text", "label", "entity_id", "canonical"}]},
    offsets into "text" exactly as given. Without SOURCE, lists the archive's entities by mentions.
    """
    if source is None:
        with opened(db) as archive:
            found = archive.entities(limit=top, label=label)
        if as_json:
            out.print_json(data=[e.model_dump() for e in found])
            return
        for e in found:
            aliases = ", ".join(e.aliases[:6]) + (" …" if len(e.aliases) > 6 else "")
            out.print(
                f"{e.mention_count:>7,}  [bold]{escape(e.canonical)}[/] [dim]{e.label} {e.id}[/]"
                + (f"  [dim]({escape(aliases)})[/]" if aliases else "")
            )
        return

    from duiding.nlp.entities import extract

    nlp = _load_nlp()
    fields = {"start", "end", "text", "label", "entity_id", "canonical"}
    with _sink(output) as sink:
        _, bad, _ = _annotate_jsonl(
            source,
            sink,
            "entities",
            lambda texts: extract(texts, nlp),
            lambda record, mentions: {
                "id": record.get("id"),
                "entities": [m.model_dump(include=fields) for m in mentions],
            },
        )
    if bad:
        fail(f"{bad} unreadable line(s) in {_source_name(source)}", code=1)


def _quote_line(hit: QuoteHit) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "published": hit.published.isoformat() if hit.published else None,
        "url": hit.url,
        **hit.quote.to_spec(),
        "speaker_entity_id": hit.quote.speaker_entity_id,
    }


def _print_quote(quote: Quote, indent: str = "  ") -> None:
    about = ", ".join(x for x in (quote.role, quote.organisation) if x)
    speaker = f"[bold]{escape(quote.speaker)}[/]" if quote.speaker else "[dim](no speaker)[/]"
    out.print(
        f"{indent}{speaker}" + (f" [dim]({escape(about)})[/]" if about else "") + f"  [dim]{quote.type}[/]",
        highlight=False,
    )
    out.print(f"{indent}  “{escape(' '.join(quote.text.split()))}”", highlight=False)


@main.command(name="quotes")
@click.argument("source", required=False, type=articles_file)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write JSONL here.")
@db_option
@click.option("--speaker", metavar="NAME", help="Only quotes of this source (name or alias, any spelling).")
@click.option("--query", "-q", metavar="QUERY", help="Only quotes in articles this search query finds.")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(1, None))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0, None))
@click.option("--json", "as_json", is_flag=True, help="Print {quotes: [...], total} as JSON (--db).")
def quotes_(
    source: Path | None,
    output: Path | None,
    db: str,
    speaker: str | None,
    query: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Quotes: of the articles in SOURCE (JSONL, - for stdin), or those stored in the archive.

    \b
    With SOURCE, reads articles {"id", "title"?, "text"} and writes one line per article:
    {"id", "quotes": [{"start", "end", "text", "type", "speaker", "speaker_aliases", "cue",
    "role", "organisation"}]}, the format of spec/quotes.md, offsets into "text" exactly as given.
    Without SOURCE, lists the archive's quotes, newest article first:
      duiding quotes --speaker Poetin            his quotes (also Putin, Vladimir Poetin)
      duiding quotes --query 'Belarus AND published:2022-10'
    """
    if source is not None:
        extra = [
            flag for flag, used in (("--speaker", speaker), ("--query", query), ("--json", as_json)) if used
        ]
        if extra:
            fail(f"{', '.join(extra)} list the archive's quotes; leave out SOURCE to use them")
        from duiding.nlp.quotes import extract_texts

        nlp = _load_nlp()
        counted = 0

        def line(record: dict[str, Any], result: tuple[list[Any], list[Quote]]) -> dict[str, Any]:
            nonlocal counted
            counted += len(result[1])
            return {"id": record.get("id"), "quotes": [q.to_spec() for q in result[1]]}

        with _sink(output) as sink:
            n, bad, seconds = _annotate_jsonl(
                source, sink, "quotes", lambda texts: extract_texts(texts, nlp), line
            )
        if output:
            err.print(
                f"{articles(n)}, {counted:,} quote{'' if counted == 1 else 's'} "
                f"({n / seconds if seconds else 0.0:,.1f} articles/s) → {escape(str(output))}"
            )
        if bad:
            fail(f"{bad} unreadable line(s) in {_source_name(source)}", code=1)
        return

    parsed = _parse_or_exit(query) if query is not None else None
    with opened(db) as archive:
        found = archive.quotes(speaker=speaker, query=parsed, limit=limit, offset=offset)
        pending = archive.pending_index() if parsed is not None else 0
    if pending:
        err.print(
            f"[yellow]note:[/] {articles(pending)} in the store are not in the index yet; run duiding reindex"
        )
    if as_json:
        out.print_json(json.dumps({"quotes": [_quote_line(h) for h in found.hits], "total": found.total}))
        return
    shown_to = offset + len(found.hits)
    out.print(
        f"[bold]{found.total:,} quote{'' if found.total == 1 else 's'}[/]"
        + (f" (showing {offset + 1}–{shown_to})" if found.hits else "")
    )
    if not found.total and speaker is None and parsed is None:
        err.print(
            "[yellow]note:[/] the archive holds no quotes: articles ingested with --no-nlp, or before "
            "duiding found quotes, have none"
        )
    for hit in found.hits:
        date = hit.published.strftime("%Y-%m-%d") if hit.published else "          "
        out.print()
        out.print(f"[dim]{escape(hit.article_id)} · {date} ·[/] {escape(hit.title)}", highlight=False)
        _print_quote(hit.quote)


@main.group(name="eval")
def eval_() -> None:
    """Score duiding's NLP against gold annotations."""


@eval_.command(name="ner")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--model", type=click.Path(exists=True, file_okay=False), help="Another trained model.")
@click.option("--json", "as_json", is_flag=True)
def eval_ner(gold: Path, model: str | None, as_json: bool) -> None:
    """Precision, recall and F1 (overall and per label) and words/s on CoNLL-format GOLD."""
    from duiding.nlp.entities import load_model
    from duiding.nlp.evaluate import evaluate_ner

    try:
        nlp = load_model(model)
    except ModelMissing as e:
        fail(str(e))
    with err.status(f"running the NER model over {gold.name}"):
        result = evaluate_ner(gold, nlp)
    if as_json:
        keys = ("precision", "recall", "f1", "per_label", "words_per_second")
        out.print_json(data={k: result[k] for k in keys})
        return
    out.print(f"{'':<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    rows = [*result["per_label"].items(), ("overall", {**result, "support": None})]
    for name, row in rows:
        support = f"{row['support']:>10,}" if row["support"] is not None else ""
        out.print(f"{name:<8}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{support}")
    out.print(f"{result['words']:,} words, {result['words_per_second']:,.0f} words/s")


@eval_.command(name="quotes")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("source", metavar="ARTICLES", type=articles_file)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the predictions here."
)
@click.option("--json", "as_json", is_flag=True)
def eval_quotes(gold: Path, source: Path, output: Path | None, as_json: bool) -> None:
    """Run the quote extractor on ARTICLES (JSONL {"id", "text"}) and score it against GOLD.

    \b
    GOLD is JSON Lines in the format of spec/quotes.md. Prints precision, recall and F1 at the lenient
    (overlap >= 0.3) and strict (>= 0.8) thresholds, speaker match, speaker resolved, type match and
    attributed recall, scored as spec/quotes.md lays down, and articles/s.
    """
    from duiding.nlp import quote_eval
    from duiding.nlp.quotes import extract_texts

    try:
        gold_quotes = quote_eval.load(gold)
    except (OSError, UnicodeDecodeError, quote_eval.QuoteFileError) as e:
        fail(str(e))
    nlp = _load_nlp()
    predicted: dict[str, list[dict[str, Any]]] = {}
    missing_id = 0

    def line(record: dict[str, Any], result: tuple[list[Any], list[Quote]]) -> dict[str, Any]:
        nonlocal missing_id
        specs = [q.to_spec() for q in result[1]]
        if record.get("id") is None:
            missing_id += 1
        else:
            predicted[str(record["id"])] = specs
        return {"id": record.get("id"), "quotes": specs}

    with _sink(output) if output else nullcontext() as sink:
        n, bad, seconds = _annotate_jsonl(
            source, sink, "quotes", lambda texts: extract_texts(texts, nlp), line
        )
    result = quote_eval.score(gold_quotes, predicted)
    result["articles_per_second"] = round(n / seconds, 2) if seconds else 0.0
    unscored = sorted(set(gold_quotes) - set(predicted))
    if missing_id:
        err.print(
            f"[yellow]warning:[/] {missing_id} article(s) in {escape(str(source))} have no id: not scored"
        )
    if unscored:
        err.print(
            f"[yellow]warning:[/] {len(unscored)} gold article(s) are not in {escape(_source_name(source))} "
            f"(they count as having no predicted quotes): {escape(', '.join(unscored[:5]))}"
            + (" …" if len(unscored) > 5 else "")
        )
    if as_json:
        out.print_json(data=result)
    else:
        out.print(
            f"articles {result['articles']:,}  gold quotes {result['gold']:,}  "
            f"predicted {result['predicted']:,}"
        )
        columns = (
            "precision",
            "recall",
            "f1",
            "speaker_match",
            "speaker_resolved",
            "type_match",
            "attributed_recall",
        )
        heads = ("P", "R", "F1", "speaker", "resolved", "type", "attr. recall")
        out.print(f"{'':<9}" + "".join(f"{h:>13}" for h in heads))
        for name, _ in quote_eval.THRESHOLDS:
            row = result[name]
            out.print(f"{name:<9}" + "".join(f"{row[c]:>13.4f}" for c in columns))
        out.print(f"{articles(n)} in {seconds:.1f} s, {result['articles_per_second']:,.1f} articles/s")
    if bad:
        fail(f"{bad} unreadable line(s) in {_source_name(source)}", code=1)


@main.command()
@db_option
@click.option(
    "--query", "-q", default="Loekasjenko", show_default=True, help="What to search for afterwards."
)
def demo(db: str, query: str) -> None:
    """Ingest the bundled sample article, search it and list the entities and quotes it found."""
    sample = resources.files("duiding") / "samples" / "nos-2448020.txt"
    with resources.as_file(sample) as path:
        ctx = click.get_current_context()
        out.rule("duiding ingest (bundled sample)")
        ctx.invoke(ingest, paths=(path,), db=db)
    out.rule(f"duiding search {query!r}")
    ctx.invoke(search, query=query, db=db)
    out.rule("duiding entities --top 10")
    ctx.invoke(entities, source=None, db=db, top=10)
    out.rule("duiding quotes --speaker 'Van der Togt' --limit 3")
    ctx.invoke(quotes_, db=db, speaker="Van der Togt", limit=3)


# `duiding stats` and `duiding export` live in their own module, which registers them on `main`.
# So do `duiding fetch`, `duiding feeds` and `duiding watch` (duiding.cli_monitor).
# `duiding serve` and `duiding users`: duiding.cli_serve.
from duiding import cli_analysis, cli_monitor, cli_serve  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    # Run as `python -m duiding.cli`, this file is `__main__`, and the modules above registered their
    # commands on the importable `duiding.cli.main`: run that one.
    from duiding.cli import main as _main

    _main()
