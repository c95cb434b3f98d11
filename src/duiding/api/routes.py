"""The JSON API under ``/api``: search, articles, quotes, entities, speakers, aggregates, export, ingest
and user management. Every endpoint checks the caller's role (:func:`duiding.api.deps.require`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from duiding.analysis import (
    BY,
    COUNTS,
    FORMATS,
    WHAT,
    Bucket,
    NotFoundError,
    aggregate,
    entity_label,
    entity_profile,
    export,
    speaker_profile,
)
from duiding.api.auth import ROLES, AuthError, User
from duiding.api.deps import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY,
    ApiError,
    parse_or_400,
    pool,
    require,
    scoped,
    settings,
    with_dates,
)
from duiding.model import Article, Entity
from duiding.search.index import IndexLockedError
from duiding.search.query import ParsedQuery
from duiding.store import Archive, QuoteHit, local_dir, open_archive

log = logging.getLogger("duiding.api")

router = APIRouter(prefix="/api")

reader = Depends(require("reader"))
editor = Depends(require("editor"))
admin = Depends(require("admin"))

QueryText = Annotated[str, Query(max_length=MAX_QUERY, description="A query in the search syntax.")]
OptionalQuery = Annotated[
    str | None,
    Query(max_length=MAX_QUERY, description="Only the articles this query finds (left out: all)."),
]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
Size = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Results per page.")]

MAX_INGEST = 1000  # articles per POST /api/articles


# -- models -------------------------------------------------------------------------------------------


class Fragment(BaseModel):
    text: str
    match: bool


class SearchHitOut(BaseModel):
    id: str
    title: str
    url: str | None
    published: str | None
    outlet: str | None
    category: str | None
    program: str | None
    cluster_id: str | None
    score: float
    snippet: str = Field(description="HTML: the text escaped, <b>…</b> around the matched words.")
    fragments: list[Fragment] = Field(description="The snippet as plain-text fragments.")


class SearchOut(BaseModel):
    query: str
    total: int
    page: int
    size: int
    hits: list[SearchHitOut]


class QuoteOut(BaseModel):
    article_id: str
    title: str
    published: str | None
    url: str | None
    start: int
    end: int
    text: str
    type: str
    speaker: str | None
    speaker_aliases: list[str]
    cue: str | None
    role: str | None
    organisation: str | None
    speaker_entity_id: str | None


class QuotesOut(BaseModel):
    query: str | None
    speaker: str | None
    total: int
    page: int
    size: int
    quotes: list[QuoteOut]


class EntityOut(BaseModel):
    id: str
    label: str
    canonical: str
    aliases: list[str]
    mentions: int
    articles: int | None = Field(None, description="Articles mentioning it (with a query only).")


class EntitiesOut(BaseModel):
    query: str | None
    label: str | None
    entities: list[EntityOut]


class AggregateOut(BaseModel):
    query: str | None
    by: str
    counts: str = Field(description="What each bucket's count counts: articles, mentions, quotes, speakers.")
    buckets: list[Bucket]


class ArticleIn(BaseModel):
    """An article to ingest; the fields of a JSON Lines record."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=200, description="The source's own id (when the URL has none).")
    title: str = Field(max_length=2_000)
    text: str = Field(max_length=2_000_000)
    published: str | None = Field(
        None,
        max_length=64,
        description="ISO 8601, e.g. 2022-10-12T07:00:02+02:00 (without an offset: Dutch time).",
    )
    url: str | None = Field(None, max_length=4_000)
    outlet: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=200)
    program: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=20)


class IngestedArticle(BaseModel):
    id: str
    outcome: Literal["added", "updated", "unchanged"]


class IngestOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    seconds: float
    articles: list[IngestedArticle]


class UserOut(BaseModel):
    name: str
    role: str
    key_id: str
    created_at: str | None


class NewUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Literal[ROLES]  # type: ignore[valid-type]


class NewUserOut(UserOut):
    key: str = Field(description="The API key: shown this once, stored only as a hash.")


class Me(BaseModel):
    name: str
    role: str
    open: bool = Field(description="True when the server runs without API keys (loopback only).")


# -- helpers ------------------------------------------------------------------------------------------


def snippet_html(fragments: list[tuple[str, bool]]) -> str:
    from markupsafe import escape

    return "".join(f"<b>{escape(t)}</b>" if hit else str(escape(t)) for t, hit in fragments)


def quote_out(hit: QuoteHit) -> QuoteOut:
    return QuoteOut(
        article_id=hit.article_id,
        title=hit.title,
        published=hit.published.isoformat() if hit.published else None,
        url=hit.url,
        **hit.quote.model_dump(),
    )


def _not_found(e: NotFoundError) -> ApiError:
    return ApiError(404, str(e))


# -- reading ------------------------------------------------------------------------------------------


@router.get("/me", response_model=Me, tags=["account"], summary="Who the key belongs to")
async def me(request: Request, user: User = reader) -> Me:
    return Me(name=user.name, role=user.role, open=not settings(request).keys.has_users())


@router.get("/search", response_model=SearchOut, tags=["search"], summary="Search the archive")
async def search(
    request: Request,
    q: QueryText = "*",
    since: Annotated[
        date | None, Query(alias="from", description="Published on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        date | None, Query(alias="to", description="Published on or before (YYYY-MM-DD).")
    ] = None,
    page: Page = 1,
    size: Size = 10,
    collapse: Annotated[bool, Query(description="One hit per duplicate cluster.")] = False,
    user: User = reader,
) -> SearchOut:
    """Ranked hits (BM25) with highlighted snippets; ``total`` counts every match (clusters with
    ``collapse``). A malformed query is a 400 whose ``detail`` is the parser's message and whose
    ``position`` points at the problem."""
    parse_or_400(q)
    parsed = parse_or_400(with_dates(q, since, until))
    results = await pool(request).read(
        lambda a: a.search(parsed, limit=size, offset=(page - 1) * size, collapse=collapse)
    )
    hits = [
        SearchHitOut(
            id=h.article.id,
            title=h.article.title,
            url=h.article.url,
            published=h.article.published.isoformat() if h.article.published else None,
            outlet=h.article.outlet,
            category=h.article.category,
            program=h.article.program,
            cluster_id=h.article.cluster_id,
            score=round(h.score, 4),
            snippet=snippet_html(h.snippet),
            fragments=[Fragment(text=t, match=m) for t, m in h.snippet],
        )
        for h in results.hits
    ]
    return SearchOut(query=parsed.text, total=results.total, page=page, size=size, hits=hits)


@router.get("/articles/{ref:path}", response_model=Article, tags=["articles"], summary="One article")
async def article(
    request: Request,
    ref: Annotated[str, PathParam(max_length=4000, description="Its id, URL or the source's own id.")],
    user: User = reader,
) -> Article:
    """The stored article with its entity mentions (``entities``) and quotes, by id (``nos-2448020``),
    URL (any form that canonicalises the same) or the source's own id."""
    found = await pool(request).read(lambda a: a.get(ref))
    if found is None:
        raise ApiError(404, f"no article {ref!r} in the archive")
    return found


@router.get("/quotes", response_model=QuotesOut, tags=["quotes"], summary="Stored quotes")
async def quotes(
    request: Request,
    q: OptionalQuery = None,
    speaker: Annotated[
        str | None, Query(max_length=200, description="The source: a name or alias, any spelling.")
    ] = None,
    page: Page = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    user: User = reader,
) -> QuotesOut:
    """Quotes, newest article first and in text order within one; ``speaker`` matches the source's name
    and aliases in every spelling the entity normalisation folds together (``Togt``, ``Van der Togt``)."""
    parsed = scoped(q)
    speaker = (speaker.strip() or None) if speaker is not None else None
    found = await pool(request).read(
        lambda a: a.quotes(speaker=speaker, query=parsed, limit=size, offset=(page - 1) * size)
    )
    return QuotesOut(
        query=parsed.text if parsed else None,
        speaker=speaker,
        total=found.total,
        page=page,
        size=size,
        quotes=[quote_out(h) for h in found.hits],
    )


def _label_or_400(label: str | None) -> str | None:
    try:
        return entity_label(label)
    except ValueError as e:
        raise ApiError(400, str(e)) from None


@router.get("/entities", response_model=EntitiesOut, tags=["entities"], summary="Most mentioned entities")
async def entities(
    request: Request,
    q: OptionalQuery = None,
    label: Annotated[
        str | None, Query(description="PER, ORG, LOC or MISC (or person, org, location).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    user: User = reader,
) -> EntitiesOut:
    """The archive's entities, most mentioned first, with their aliases; with ``q``, counted within the
    articles the query finds."""
    wanted = _label_or_400(label)
    parsed = scoped(q)
    if parsed is None:
        found: list[Entity] = await pool(request).read(lambda a: a.entities(limit=limit, label=wanted))
        out = [
            EntityOut(
                id=e.id, label=e.label, canonical=e.canonical, aliases=e.aliases, mentions=e.mention_count
            )
            for e in found
        ]
    else:
        buckets = await pool(request).read(
            lambda a: aggregate(a, parsed, "entity", limit=limit, label=wanted)
        )
        out = [
            EntityOut(
                id=b.key,
                label=b.extra["entity_label"],
                canonical=b.label,
                aliases=b.extra["aliases"],
                mentions=b.count,
                articles=b.extra["articles"],
            )
            for b in buckets
        ]
    return EntitiesOut(query=parsed.text if parsed else None, label=wanted, entities=out)


@router.get("/entities/{ref:path}", tags=["entities"], summary="One entity's profile")
async def entity(
    request: Request,
    ref: Annotated[str, PathParam(max_length=500, description="Its id, else a name or alias.")],
    q: OptionalQuery = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Co-occurring entities.")] = 20,
    quotes_limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    user: User = reader,
) -> dict[str, Any]:
    """The entity, its mentions and articles, mentions per month, quotes by it and quotes mentioning it,
    and the entities most often in the same articles (see ``duiding.analysis.entity_profile``)."""
    parsed = scoped(q)
    try:
        return await pool(request).read(
            lambda a: entity_profile(a, ref, parsed, limit=limit, quotes_limit=quotes_limit)
        )
    except NotFoundError as e:
        raise _not_found(e) from None


@router.get("/speakers/{ref:path}", tags=["quotes"], summary="One quoted source's profile")
async def speaker(
    request: Request,
    ref: Annotated[str, PathParam(max_length=500, description="The speaker's entity id, key or name.")],
    q: OptionalQuery = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Entities they speak about.")] = 20,
    user: User = reader,
) -> dict[str, Any]:
    """Every quote of the source, its roles and organisations with first and last dates, quotes per
    month and the entities inside its quotes (see ``duiding.analysis.speaker_profile``)."""
    parsed = scoped(q)
    try:
        return await pool(request).read(lambda a: speaker_profile(a, ref, parsed, limit=limit))
    except NotFoundError as e:
        raise _not_found(e) from None


@router.get("/aggregate", response_model=AggregateOut, tags=["analysis"], summary="Counts over a query")
async def aggregate_(
    request: Request,
    by: Annotated[Literal[BY], Query(description="What to count by.")],  # type: ignore[valid-type]
    q: OptionalQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most buckets (time buckets: all).")] = 20,
    label: Annotated[str | None, Query(description="by entity or cooccurrence: PER, ORG, LOC, MISC.")] = None,
    entity: Annotated[
        str | None, Query(max_length=500, description="by cooccurrence: this entity's partners.")
    ] = None,
    user: User = reader,
) -> AggregateOut:
    """Buckets most first (by count), except time buckets (``month``, ``week``, ``day``): those are
    chronological with the empty periods included. See ``duiding stats --help`` for what each ``by``
    counts and what ``extra`` holds."""
    parsed = scoped(q)
    try:
        buckets = await pool(request).read(
            lambda a: aggregate(a, parsed, by, limit=limit, label=label, entity=entity)
        )
    except NotFoundError as e:
        raise _not_found(e) from None
    except ValueError as e:
        raise ApiError(400, str(e)) from None
    return AggregateOut(query=parsed.text if parsed else None, by=by, counts=COUNTS[by], buckets=buckets)


# -- export -------------------------------------------------------------------------------------------

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
_CHUNK = 64 * 1024
_GIVE_UP = 300.0  # seconds an export waits for a client that reads nothing
_EXPORTS = threading.BoundedSemaphore(4)  # exports running at once


class _Stopped(Exception):
    """The client went away: stop producing."""


class _QueueWriter:
    """A text file whose writes go, in chunks of bytes, into a bounded queue (waits while it is full)."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None], stop: threading.Event) -> None:
        self.chunks = chunks
        self.stop = stop
        self.parts: list[str] = []
        self.size = 0

    def write(self, s: str) -> int:
        self.parts.append(s)
        self.size += len(s)
        if self.size >= _CHUNK:
            self.flush()
        return len(s)

    def flush(self) -> None:
        if not self.parts:
            return
        data = "".join(self.parts).encode("utf-8")
        self.parts.clear()
        self.size = 0
        self.put(data)

    def put(self, item: bytes | BaseException | None) -> None:
        waited = 0.0
        while True:
            if self.stop.is_set() or waited > _GIVE_UP:  # the client left, or stopped reading
                raise _Stopped
            try:
                self.chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                waited += 0.5


def _produce(location: str, parsed: ParsedQuery | None, what: str, fmt: str, sink: _QueueWriter) -> None:
    """Write the export into ``sink`` (a thread of its own: the scope holds its connection throughout)."""
    from duiding.analysis.export import _write_csv, _write_jsonl  # the formats, written exactly as the CLI's

    try:
        archive = open_archive(location)
        try:
            with archive.scope(parsed) as scope:
                rows = {
                    "articles": scope.article_rows,
                    "quotes": scope.quote_rows,
                    "entities": scope.entity_rows,
                }[what]()
                try:
                    (_write_csv if fmt == "csv" else _write_jsonl)(sink, what, rows, lambda n: None)  # type: ignore[arg-type]
                    sink.flush()
                finally:
                    close = getattr(rows, "close", None)
                    if close is not None:
                        close()
        finally:
            archive.close()
        sink.put(None)
    except _Stopped:
        pass
    except Exception as e:  # the response has started: all that can be done is end it, and log why
        log.exception("export failed")
        with contextlib.suppress(_Stopped):
            sink.put(e)
    finally:
        _EXPORTS.release()


@router.get(
    "/export",
    tags=["analysis"],
    summary="Export articles, quotes or entities (streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {m.split(";")[0]: {} for m in _MEDIA.values()}}},
)
async def export_(
    request: Request,
    q: OptionalQuery = None,
    what: Annotated[Literal[WHAT], Query()] = "articles",  # type: ignore[valid-type]
    fmt: Annotated[Literal[FORMATS], Query(alias="format")] = "csv",  # type: ignore[valid-type]
    user: User = reader,
) -> Response:
    """The articles ``q`` finds (left out: all), their quotes or their entities, in the columns of
    ``duiding export``: CSV and JSON Lines streamed as they are read, Parquet once written."""
    parsed = scoped(q)
    location = pool(request).location
    filename = f"duiding-{what}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    if not _EXPORTS.acquire(blocking=False):
        raise ApiError(503, "too many exports at once; try again shortly", headers={"Retry-After": "5"})
    if fmt == "parquet":
        folder = Path(tempfile.mkdtemp(prefix="duiding-export-"))
        target = folder / filename

        def write() -> None:
            archive = open_archive(location)
            try:
                export(archive, parsed, what, fmt, target)
            finally:
                archive.close()

        try:
            await asyncio.to_thread(write)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            _EXPORTS.release()
        return FileResponse(
            target,
            media_type=_MEDIA[fmt],
            headers=headers,
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )

    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
    stop = threading.Event()
    sink = _QueueWriter(chunks, stop)
    threading.Thread(
        target=_produce, args=(location, parsed, what, fmt, sink), name="duiding-export", daemon=True
    ).start()

    async def body() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await loop.run_in_executor(None, chunks.get)
                if item is None or isinstance(item, BaseException):
                    return
                yield item
        finally:
            stop.set()

    return StreamingResponse(body(), media_type=_MEDIA[fmt], headers=headers)


# -- writing ------------------------------------------------------------------------------------------


def _to_articles(items: list[ArticleIn]) -> list[Article]:
    """Articles as the JSON Lines reader makes them (same fields, dates and identity), or 422."""
    from zoneinfo import ZoneInfo

    from duiding.ingest.errors import Reject
    from duiding.ingest.readers import _article

    tz = ZoneInfo("Europe/Amsterdam")
    out: list[Article] = []
    problems: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        made = _article("api", i + 1, item.model_dump(exclude_none=True), tz)
        if isinstance(made, Reject):
            problems.append({"loc": ["body", i], "msg": made.problem, "type": "value_error"})
        else:
            out.append(made)
    if problems:
        raise ApiError(422, problems)  # type: ignore[arg-type]
    return out


@router.post(
    "/articles",
    response_model=IngestOut,
    tags=["articles"],
    summary="Ingest articles (editor)",
    responses={201: {"model": IngestOut, "description": "At least one article was new."}},
)
async def ingest(
    request: Request,
    body: Annotated[
        ArticleIn | Annotated[list[ArticleIn], Field(min_length=1, max_length=MAX_INGEST)],
        Body(description=f"One article or a list of at most {MAX_INGEST}."),
    ],
    nlp: Annotated[bool, Query(description="Find entities and quotes (the Dutch NLP).")] = True,
    user: User = editor,
) -> JSONResponse:
    """Articles go through the ingest pipeline as a JSON Lines file's would: identity by canonical URL,
    else the source's id, else content (the same article again is ``unchanged``), language detection,
    the Dutch NLP (entities and quotes) unless ``nlp=false``, duplicate clusters, search index, watches.
    Nothing is stored when any article is invalid (422, saying which)."""
    from duiding.ingest.pipeline import IngestOptions, ingest_records
    from duiding.nlp import ModelMissing
    from duiding.store import Outcome

    items = body if isinstance(body, list) else [body]
    articles = _to_articles(items)
    done: list[IngestedArticle] = []

    def run(archive: Archive) -> Any:
        from duiding.ingest.pipeline import default_rejects_path

        def on_batch(batch: list[Article], outcomes: list[Outcome]) -> None:
            done.extend(
                IngestedArticle(id=a.id, outcome=o.value) for a, o in zip(batch, outcomes, strict=True)
            )

        rejects = default_rejects_path(local_dir(archive.location) / "rejects")
        return ingest_records(archive, lambda _: articles, rejects, IngestOptions(nlp=nlp), on_batch=on_batch)

    try:
        summary = await pool(request).write(run)
    except IndexLockedError as e:
        raise ApiError(409, f"{e}; try again when it is done", headers={"Retry-After": "10"}) from None
    except ModelMissing as e:
        raise ApiError(503, f"{e}; or ingest with nlp=false") from None
    out = IngestOut(
        added=summary.added,
        updated=summary.updated,
        unchanged=summary.unchanged,
        seconds=round(summary.seconds, 3),
        articles=done,
    )
    return JSONResponse(out.model_dump(), status_code=201 if summary.added else 200)


# -- users (admin) ------------------------------------------------------------------------------------


@router.get("/users", response_model=list[UserOut], tags=["account"], summary="Users (admin)")
async def users(request: Request, user: User = admin) -> list[UserOut]:
    return [UserOut(**u.to_dict()) for u in settings(request).keys.users()]


@router.post(
    "/users", response_model=NewUserOut, status_code=201, tags=["account"], summary="Add a user (admin)"
)
async def add_user(request: Request, new: NewUserIn, user: User = admin) -> NewUserOut:
    """A new user with a new key, returned this once."""
    keys = settings(request).keys
    try:
        key = await asyncio.to_thread(keys.add, new.name, new.role)
    except AuthError as e:
        raise ApiError(409 if "exists" in str(e) else 400, str(e)) from None
    made = next(u for u in keys.users() if u.name == new.name)
    return NewUserOut(**made.to_dict(), key=key)


@router.delete("/users/{name}", status_code=204, tags=["account"], summary="Remove a user (admin)")
async def remove_user(request: Request, name: str, user: User = admin) -> Response:
    if not settings(request).keys.remove(name):
        raise ApiError(404, f"no user {name!r}")
    return Response(status_code=204)
