"""The duiding server: the JSON API (``/api``, described at ``/openapi.json``) and the web pages.

``create_app(archive_path)`` builds it for one data directory; ``duiding serve`` runs it with uvicorn.
Who may do what is decided per endpoint from API keys (:mod:`duiding.api.auth`). With no keys
configured, the app serves everyone as the local user, but only when ``allow_open`` (``duiding serve``
passes it only when bound to a loopback address) and only to requests addressed to a loopback host name,
so that a web page elsewhere cannot reach it through DNS rebinding or a cross-site form.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duiding import __version__
from duiding.api.archives import ArchivePool
from duiding.api.auth import AUTH_FILE, KeyStore
from duiding.api.deps import ApiError, ServerSettings
from duiding.search.index import IndexLockedError
from duiding.store import is_server_url, local_dir

__all__ = ["create_app", "is_loopback"]

log = logging.getLogger("duiding.api")

MAX_BODY = 64 * 1024 * 1024  # bytes a request body may have

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        b"form-action 'self'",
    ),
]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Is ``host`` (a name or an address, IPv6 with or without brackets) this machine only?"""
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(value: str) -> str:
    """The host of a Host header (``127.0.0.1:8000``, ``[::1]:8000``) or an Origin (``http://…``)."""
    if "://" in value:
        return urlsplit(value).hostname or ""
    return urlsplit("//" + value).hostname or ""


class _Guard:
    """Pure ASGI middleware: body size cap, the open mode's loopback-only rule, security headers."""

    def __init__(self, app: ASGIApp, conf: ServerSettings) -> None:
        self.app = app
        self.conf = conf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._problem(scope, headers)
        if problem is not None:
            status, message = problem
            response = JSONResponse({"detail": message}, status_code=status)
            await response(scope, receive, self._with_headers(send))
            return
        await self.app(scope, receive, self._with_headers(send))

    def _problem(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        length = headers.get("content-length")
        if length is not None:
            try:
                if int(length) > MAX_BODY:
                    return 413, f"request body too large (at most {MAX_BODY // (1024 * 1024)} MB)"
            except ValueError:
                return 400, "bad Content-Length"
        if self.conf.keys.has_users():
            return None
        # Open (no keys): only requests addressed to this machine by a loopback name, and no writes from
        # pages of other sites.
        if not is_loopback(_hostname(headers.get("host", ""))):
            return 403, (
                "this server has no API keys configured and answers only requests to localhost / "
                "127.0.0.1; add keys with `duiding users add` to serve other hosts"
            )
        origin = headers.get("origin")
        if (
            scope["method"] not in ("GET", "HEAD", "OPTIONS")
            and origin
            and not is_loopback(_hostname(origin))
        ):
            return 403, "cross-site request refused"
        return None

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        return wrapped


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json"


def create_app(
    archive_path: str | Path,
    *,
    auth_path: str | Path | None = None,
    allow_open: bool = True,
    readers: int | None = None,
) -> FastAPI:
    """The app for the archive in ``archive_path`` (a data directory).

    ``auth_path``: the users file (default ``DIR/auth.sqlite``); ``allow_open``: serve without keys
    while none are configured (loopback requests only); ``readers``: threads that read the archive.
    """
    # A server URL stays a string (Path() would fold its "//"); its API keys are kept on this machine.
    location = str(archive_path) if is_server_url(archive_path) else Path(archive_path)
    pool = ArchivePool(location, readers) if readers else ArchivePool(location)
    keys = KeyStore(auth_path or local_dir(archive_path) / AUTH_FILE)
    conf = ServerSettings(pool=pool, keys=keys, allow_open=allow_open)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Create or migrate the archive once, and index what an interrupted ingest left unindexed.
        def prepare(archive: Any) -> int:
            return archive.sync_index() if archive.pending_index() else 0

        try:
            caught_up = await pool.write(prepare)
            if caught_up:
                log.info("indexed %d articles left over by an interrupted ingest", caught_up)
        except IndexLockedError as e:
            log.warning("%s: not catching up the index now", e)
        try:
            yield
        finally:
            pool.shutdown()
            keys.close()

    app = FastAPI(
        title="duiding",
        version=__version__,
        summary="Who says what in Dutch news: search, quotes, entities and analysis of a news archive.",
        description=(
            "Send an API key from `duiding users add` as `Authorization: Bearer KEY` or `X-API-Key: KEY`. "
            "Roles: reader (every GET), editor (+ POST /api/articles), admin (+ /api/users). Errors are "
            '`{"detail": …}` with 400 (bad query: the parser\'s message and `position`), 401, 403, 404, '
            "409, 413 or 422."
        ),
        docs_url=None,  # the interactive docs load their scripts from a CDN; the machine may be offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = conf

    from duiding.api.routes import router as api_router
    from duiding.web.routes import error_page
    from duiding.web.routes import install as install_web

    app.include_router(api_router)
    install_web(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            body: dict[str, Any] = {"detail": exc.detail}
            if isinstance(exc, ApiError):
                body.update(exc.extra)
            return JSONResponse(jsonable_encoder(body), status_code=exc.status_code, headers=exc.headers)
        return error_page(request, exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = jsonable_encoder(exc.errors(), custom_encoder={BaseException: str})
        if _wants_json(request):
            return JSONResponse({"detail": errors}, status_code=422)
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors)
        return error_page(request, 400, f"ongeldige invoer — {where}")

    app.add_middleware(_Guard, conf=conf)
    return app
