"""What every endpoint needs: the archive pool, the caller's identity and role, parsed queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import HTTPException, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from duiding.api.archives import ArchivePool
from duiding.api.auth import KeyStore, User, role_allows
from duiding.search.query import ParsedQuery, QuerySyntaxError, parse_query

#: The longest query the API and the web pages take (the parser itself allows more).
MAX_QUERY = 1000
#: The most hits, quotes or rows one page may have, and the deepest page.
MAX_PAGE_SIZE = 100
MAX_PAGE = 1000

#: Who a server without API keys (bound to loopback) serves.
LOCAL_USER = User("local", "admin")

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key from `duiding users add`, as `Authorization: Bearer KEY`.",
)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKey",
    description="The same key as an `X-API-Key` header.",
)


@dataclass
class ServerSettings:
    """How the app was set up (kept on ``app.state.settings``)."""

    pool: ArchivePool
    keys: KeyStore
    allow_open: bool  # may it serve without keys when none are configured (bound to loopback)?


def settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def pool(request: Request) -> ArchivePool:
    return settings(request).pool


class ApiError(HTTPException):
    """An error answered as ``{"detail": message, ...extra}``."""

    def __init__(
        self, status_code: int, detail: Any, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.extra = extra


_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def identify(request: Request, key: str | None, needed: str) -> User:
    """The caller with this key (None: none given), checked for the role ``needed``.

    401 without a valid key when keys are configured (or when the server may not run open), 403 when
    the key's role is below ``needed``.
    """
    conf = settings(request)
    if key:
        user = await run_in_threadpool(conf.keys.verify, key)
        if user is None:
            raise ApiError(401, "invalid API key", headers=_UNAUTHORIZED)
    elif conf.keys.has_users():
        raise ApiError(
            401,
            "an API key is needed: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
            headers=_UNAUTHORIZED,
        )
    elif conf.allow_open:
        user = LOCAL_USER
    else:
        raise ApiError(
            401,
            "this server has no API keys configured yet; add one with `duiding users add NAME --role admin`",
            headers=_UNAUTHORIZED,
        )
    if not role_allows(user.role, needed):
        raise ApiError(403, f"{user.name!r} has the role {user.role}; this needs {needed} or above")
    request.state.user = user
    return user


def require(role: str) -> Callable[..., Awaitable[User]]:
    """A dependency: the caller, who must hold ``role`` (or a higher one)."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
        api_key: Annotated[str | None, Security(api_key_header)],
    ) -> User:
        key = credentials.credentials if credentials is not None else None
        return await identify(request, key or api_key, role)

    dependency.__name__ = f"require_{role}"
    return dependency


def parse_or_400(q: str) -> ParsedQuery:
    """The parsed query, or 400 with the parser's one-line message and the position it points at."""
    try:
        return parse_query(q)
    except QuerySyntaxError as e:
        raise ApiError(400, e.message, position=e.position, query=q) from None


def scoped(q: str | None) -> ParsedQuery | None:
    """A query that may be left out (None or blank: the whole archive)."""
    if q is None or not q.strip():
        return None
    return parse_or_400(q)


def with_dates(q: str, since: date | None, until: date | None) -> str:
    """``q`` narrowed to articles published from ``since`` to ``until`` (each inclusive, either open)."""
    if since is None and until is None:
        return q
    if since and until and since > until:
        raise ApiError(400, f"from ({since}) is after to ({until})")
    bounds = f"published:[{since or '*'} TO {until or '*'}]"
    return bounds if q.strip() in ("", "*") else f"({q}) AND {bounds}"
