"""The web UI: server-rendered pages (Jinja2, autoescaped) over the same archive and analysis as the API.

Pages: ``/search`` (hits, facets, a date histogram), ``/articles/{id}`` (quotes highlighted per speaker,
entity mentions linked), ``/speakers/{key}``, ``/entities`` and ``/entities/{id}``, ``/sources`` (who is
quoted for a query). Charts are drawn by plotly.js, served from the installed ``plotly`` package at
``/static/vendor/plotly.min.js`` (nothing from a CDN). Pages need the reader role: with API keys
configured, a browser signs in once at ``/login`` with its key (kept in an HttpOnly cookie).
"""

from __future__ import annotations

import functools
import gzip
import math
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from duiding.analysis import NotFoundError, aggregate, entity_label, entity_profile, speaker_profile
from duiding.api.auth import User
from duiding.api.deps import MAX_PAGE, MAX_QUERY, ApiError, identify, pool, settings, with_dates
from duiding.search.query import ParsedQuery, QuerySyntaxError, caret, parse_query
from duiding.store import Archive
from duiding.web import render

COOKIE = "duiding_key"
PAGE_SIZE = 20
GENDER_COLOURS = {"female": "#a23b72", "male": "#2f6db5", "unknown": "#b9b9b9"}
FACETS = 8

_HERE = Path(str(resources.files("duiding.web")))

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    num=render.num, pct=render.pct, day=render.day, moment=render.moment, month=render.month_label
)
_env.globals.update(
    article_url=render.article_url,
    entity_url=render.entity_url,
    speaker_url=render.speaker_url,
    search_url=render.search_url,
    sources_url=render.sources_url,
    refine=render.refine,
    phrase=render.phrase,
    entity_query=render.entity_query,
    LABEL_NAMES=render.LABEL_NAMES,
    TYPE_NAMES=render.TYPE_NAMES,
    GENDER_NAMES=render.GENDER_NAMES,
)
templates = Jinja2Templates(env=_env)

router = APIRouter(include_in_schema=False)

QueryParam = Annotated[str | None, Query(max_length=MAX_QUERY)]


class LoginRequired(Exception):
    def __init__(self, next_url: str, message: str | None = None) -> None:
        self.next_url = next_url
        self.message = message


def _key_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or request.cookies.get(COOKIE)


async def web_user(request: Request) -> User:
    """The signed-in reader; without a (valid) key while keys are on: off to /login."""
    try:
        return await identify(request, _key_of(request), "reader")
    except ApiError as e:
        if e.status_code != 401:
            raise
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target, None if settings(request).keys.has_users() else str(e.detail)) from None


reader = Depends(web_user)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    context.setdefault("q", None)
    context["user"] = user
    context["keys_on"] = settings(request).keys.has_users()
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(
    request: Request, status_code: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    titles = {
        400: "Ongeldige vraag",
        401: "Niet aangemeld",
        403: "Geen toegang",
        404: "Niet gevonden",
        409: "Bezet",
        413: "Te groot",
    }
    response = page(
        request,
        "error.html",
        status_code=status_code,
        title=titles.get(status_code, "Fout"),
        message=message,
        status=status_code,
    )
    for k, v in (headers or {}).items():
        if k.lower() != "www-authenticate":
            response.headers[k] = v
    return response


def _parse(q: str | None) -> tuple[ParsedQuery | None, str | None]:
    """The parsed query (None when blank) and the parser's message with a caret, if it is malformed."""
    if q is None or not q.strip():
        return None, None
    try:
        return parse_query(q), None
    except QuerySyntaxError as e:
        return None, caret(q, e)


def _charts(*specs: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [s for s in specs if s]


# -- search ---------------------------------------------------------------------------------------------


def _histogram(archive: Archive, parsed: ParsedQuery) -> dict[str, Any] | None:
    buckets = aggregate(archive, parsed, "month")
    unit = "month"
    if 0 < len(buckets) <= 2:
        buckets = aggregate(archive, parsed, "day")
        unit = "day"
    if not buckets:
        return None
    q = parsed.text
    return {
        "id": "chart-dates",
        "kind": "bar",
        "x": [b.extra["start"] for b in buckets] if unit == "month" else [b.key for b in buckets],
        "y": [b.count for b in buckets],
        "text": [render.month_label(b.key) if unit == "month" else render.day(b.key) for b in buckets],
        "links": [render.search_url(render.refine(q, f"published:{b.key}")) for b in buckets],
        "xtype": "date",
        "unit": unit,
        "ytitle": "artikelen",
    }


def _search_data(archive: Archive, parsed: ParsedQuery, offset: int) -> dict[str, Any]:
    results = archive.search(parsed, limit=PAGE_SIZE, offset=offset)
    facets = {
        "outlet": aggregate(archive, parsed, "outlet", limit=FACETS),
        "category": aggregate(archive, parsed, "category", limit=FACETS),
        "person": aggregate(archive, parsed, "person", limit=FACETS),
        "speaker": aggregate(archive, parsed, "speaker", limit=FACETS),
    }
    return {
        "results": results,
        "facets": facets,
        "histogram": _histogram(archive, parsed) if results.total else None,
    }


def _home_data(archive: Archive) -> dict[str, Any]:
    return {"count": archive.count(), "entities": archive.entities(limit=15)}


@router.get("/", response_class=HTMLResponse)
async def home() -> Response:
    return RedirectResponse("/search", status_code=307)


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    q: QueryParam = None,
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    user: User = reader,
) -> Response:
    if (q is None or not q.strip()) and since is None and until is None:
        data = await pool(request).read(_home_data)
        return page(request, "home.html", **data)
    text = q.strip() if q and q.strip() else "*"
    parsed, problem = _parse(text)
    if problem is None and (since or until):
        try:
            parsed, problem = _parse(with_dates(text, since, until))
        except ApiError as e:
            parsed, problem = None, str(e.detail)
    if parsed is None:
        return page(
            request, "search.html", status_code=400, q=q, since=since, until=until, problem=problem, data=None
        )
    offset = (page_no - 1) * PAGE_SIZE
    data = await pool(request).read(lambda a: _search_data(a, parsed, offset))
    total = data["results"].total
    pages = min(math.ceil(total / PAGE_SIZE), MAX_PAGE)
    paging = [n for n in range(1, pages + 1) if n in (1, pages) or abs(n - page_no) <= 2]

    def page_url(n: int) -> str:
        return render.search_url(q, **{"from": since, "to": until, "page": n if n > 1 else None})

    return page(
        request,
        "search.html",
        q=q,
        since=since,
        until=until,
        parsed=parsed,
        data=data,
        page_no=page_no,
        pages=pages,
        paging=paging,
        page_url=page_url,
        offset=offset,
        charts=_charts(data["histogram"]),
        snippet=render.snippet,
    )


# -- article --------------------------------------------------------------------------------------------


@router.get("/articles/{ref:path}", response_class=HTMLResponse)
async def article_page(request: Request, ref: str, user: User = reader) -> Response:
    article = await pool(request).read(lambda a: a.get(ref))
    if article is None:
        return error_page(request, 404, f"Er is geen artikel {ref!r} in het archief.")
    speakers = render.speakers_of(article)
    quotes = sorted(article.quotes, key=lambda q: q.start)
    return page(
        request,
        "article.html",
        article=article,
        body=render.article_body(article, speakers),
        speakers=list(speakers.values()),
        speaker_of={k: s for k, s in speakers.items()},
        key_of=render.speaker_key,
        quotes=quotes,
        entities=render.entities_of(article),
        title=article.title,
    )


# -- speaker --------------------------------------------------------------------------------------------


def _speaker_charts(profile: dict[str, Any]) -> list[dict[str, Any]]:
    months = profile["per_month"]
    per_month = (
        {
            "id": "chart-months",
            "kind": "bar",
            "x": [b["extra"]["start"] for b in months],
            "y": [b["count"] for b in months],
            "text": [render.month_label(b["key"]) for b in months],
            "xtype": "date",
            "unit": "month",
            "ytitle": "citaten",
        }
        if months
        else None
    )
    points = [q for q in profile["quotes"] if q.get("published")]
    timeline = None
    if points:
        labels = [
            " · ".join(x for x in (q.get("role"), q.get("organisation")) if x) or "(geen rol)" for q in points
        ]
        timeline = {
            "id": "chart-timeline",
            "kind": "timeline",
            "x": [q["published"] for q in points],
            "y": labels,
            "text": [q["text"][:140] + ("…" if len(q["text"]) > 140 else "") for q in points],
            "links": [render.article_url(q["article_id"], q["start"]) for q in points],
            "xtype": "date",
        }
    return _charts(per_month, timeline)


@router.get("/speakers/{ref:path}", response_class=HTMLResponse)
async def speaker_page(request: Request, ref: str, q: QueryParam = None, user: User = reader) -> Response:
    parsed, problem = _parse(q)
    if problem:
        return error_page(request, 400, problem)
    try:
        profile = await pool(request).read(lambda a: speaker_profile(a, ref, parsed))
    except NotFoundError:
        return error_page(request, 404, f"Geen geciteerde bron {ref!r} gevonden.")
    return page(
        request,
        "speaker.html",
        q=q,
        p=profile,
        title=profile["speaker"]["name"],
        charts=_speaker_charts(profile),
    )


# -- entities -------------------------------------------------------------------------------------------


@router.get("/entities", response_class=HTMLResponse)
async def entities_page(
    request: Request, q: QueryParam = None, label: str | None = None, user: User = reader
) -> Response:
    try:
        wanted = entity_label(label)
    except ValueError as e:
        return error_page(request, 400, str(e))
    parsed, problem = _parse(q)
    if problem:
        return error_page(request, 400, problem)

    def load(archive: Archive) -> list[dict[str, Any]]:
        if parsed is None:
            return [
                {
                    "id": e.id,
                    "label": e.label,
                    "canonical": e.canonical,
                    "aliases": e.aliases,
                    "mentions": e.mention_count,
                }
                for e in archive.entities(limit=100, label=wanted)
            ]
        return [
            {
                "id": b.key,
                "label": b.extra["entity_label"],
                "canonical": b.label,
                "aliases": b.extra["aliases"],
                "mentions": b.count,
                "articles": b.extra["articles"],
            }
            for b in aggregate(archive, parsed, "entity", limit=100, label=wanted)
        ]

    rows = await pool(request).read(load)
    return page(request, "entities.html", q=q, label=wanted, rows=rows, title="Entiteiten")


def _entity_charts(profile: dict[str, Any]) -> list[dict[str, Any]]:
    months = profile["per_month"]
    if not months:
        return []
    return [
        {
            "id": "chart-mentions",
            "kind": "bar",
            "x": [b["extra"]["start"] for b in months],
            "y": [b["count"] for b in months],
            "y2": [b["extra"].get("articles", 0) for b in months],
            "text": [render.month_label(b["key"]) for b in months],
            "xtype": "date",
            "unit": "month",
            "ytitle": "vermeldingen",
            "y2title": "artikelen",
        }
    ]


@router.get("/entities/{ref:path}", response_class=HTMLResponse)
async def entity_page(request: Request, ref: str, q: QueryParam = None, user: User = reader) -> Response:
    parsed, problem = _parse(q)
    if problem:
        return error_page(request, 400, problem)
    try:
        profile = await pool(request).read(lambda a: entity_profile(a, ref, parsed, quotes_limit=200))
    except NotFoundError:
        return error_page(request, 404, f"Geen entiteit {ref!r} in het archief.")
    e = profile["entity"]
    return page(
        request,
        "entity.html",
        q=q,
        p=profile,
        e=e,
        title=e["canonical"],
        search_q=render.entity_query(e["label"], e["canonical"]),
        charts=_entity_charts(profile),
    )


# -- sources --------------------------------------------------------------------------------------------


def _sources_data(archive: Archive, parsed: ParsedQuery | None) -> dict[str, Any]:
    return {
        "speakers": aggregate(archive, parsed, "speaker", limit=25),
        "roles": aggregate(archive, parsed, "role", limit=15),
        "organisations": aggregate(archive, parsed, "organisation", limit=15),
        "gender": aggregate(archive, parsed, "gender"),
        "outlets": aggregate(archive, parsed, "outlet", limit=None),
    }


def _sources_charts(data: dict[str, Any], q: str | None) -> list[dict[str, Any]]:
    charts: list[dict[str, Any] | None] = []
    order = {"female": 0, "male": 1, "unknown": 2}
    gender = sorted(data["gender"], key=lambda b: order.get(b.key, 3))
    if any(b.count for b in gender):
        names = [render.GENDER_NAMES[b.key] for b in gender]
        colours = [GENDER_COLOURS.get(b.key, "#b9b9b9") for b in gender]
        for chart_id, values in (
            ("chart-gender", [b.count for b in gender]),
            ("chart-gender-quotes", [b.extra["quotes"] for b in gender]),
        ):
            charts.append(
                {"id": chart_id, "kind": "pie", "labels": names, "values": values, "colors": colours}
            )
    roles = data["roles"]
    if roles:
        charts.append(
            {
                "id": "chart-roles",
                "kind": "hbar",
                "x": [b.count for b in roles],
                "y": [b.label for b in roles],
                "xtitle": "citaten",
            }
        )
    outlets = data["outlets"][:12]
    if outlets:
        charts.append(
            {
                "id": "chart-outlets",
                "kind": "hbar",
                "x": [b.count for b in outlets],
                "y": [b.label for b in outlets],
                "links": [
                    render.search_url(render.refine(q, f"outlet:{render.phrase(b.key)}")) if b.key else None
                    for b in outlets
                ],
                "xtitle": "artikelen",
            }
        )
    return _charts(*charts)


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request, q: QueryParam = None, user: User = reader) -> Response:
    parsed, problem = _parse(q)
    if problem:
        return page(
            request, "sources.html", status_code=400, q=q, problem=problem, data=None, title="Bronnen"
        )
    data = await pool(request).read(lambda a: _sources_data(a, parsed))
    articles = sum(b.count for b in data["outlets"])
    quotes = sum(b.extra["quotes"] for b in data["gender"])
    speakers = sum(b.count for b in data["gender"])
    top = max((b.count for b in data["speakers"]), default=0) or 1
    return page(
        request,
        "sources.html",
        q=q,
        data=data,
        articles=articles,
        quotes=quotes,
        speakers=speakers,
        top=top,
        title="Bronnen",
        charts=_sources_charts(data, q),
    )


# -- signing in -----------------------------------------------------------------------------------------


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/search"
    return value


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    return page(request, "login.html", next=_safe_next(next), error=None, title="Aanmelden")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    target = _safe_next((form.get("next") or [None])[0])
    user = await _verify(request, key)
    if user is None:
        return page(
            request,
            "login.html",
            status_code=401,
            next=target,
            error="Deze sleutel is onbekend.",
            title="Aanmelden",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=30 * 24 * 3600,
    )
    return response


async def _verify(request: Request, key: str) -> User | None:
    if not key:
        return None
    return await run_in_threadpool(settings(request).keys.verify, key)


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# -- assets ---------------------------------------------------------------------------------------------


def plotly_js() -> Path | None:
    """plotly.min.js as the installed plotly package ships it."""
    try:
        path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


@functools.cache
def _plotly_gzip(path: Path) -> bytes:
    # 4.8 MB of JavaScript is 1.4 MB gzipped: compressed once per process, on first request.
    return gzip.compress(path.read_bytes(), compresslevel=6)


@router.get("/static/vendor/plotly.min.js")
async def plotly(request: Request) -> Response:
    path = plotly_js()
    if path is None:
        return Response("/* plotly is not installed: charts are not drawn */", media_type="text/javascript")
    headers = {"Cache-Control": "public, max-age=604800", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = await run_in_threadpool(_plotly_gzip, path)
        return Response(body, media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(path, media_type="text/javascript", headers=headers)


def install(app: FastAPI) -> None:
    """Add the pages, the static files and the sign-in redirect to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if exc.message:  # keys are needed but none are configured: signing in cannot help
            return error_page(request, 401, exc.message)
        return RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303)
