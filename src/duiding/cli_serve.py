"""``duiding serve`` (the HTTP API and web UI) and ``duiding users`` (API keys and roles).

Registered on the ``duiding`` group by :mod:`duiding.cli` (which imports this module at its end).
"""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from duiding.api.auth import AUTH_FILE, ROLES, AuthError, KeyStore
from duiding.cli import db_option, err, fail, main, out
from duiding.store import local_dir, shown_location


def _keys(db: str) -> KeyStore:
    try:
        return KeyStore.for_data_dir(db)
    except OSError as e:
        fail(f"{local_dir(db) / AUTH_FILE}: {e.strerror or e}")
        raise  # unreachable: fail exits


def refusal(host: str, has_keys: bool) -> str | None:
    """Why the server may not start on ``host`` (None: it may): without keys, only on loopback."""
    from duiding.api import is_loopback

    if has_keys or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} without API keys: anyone who can reach it could read the archive "
        "and change it. Add a key first (duiding users add NAME --role admin), then start again, or "
        "serve on 127.0.0.1 only."
    )


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(db: str, host: str, port: int, log_level: str) -> None:
    """Serve the archive: the web UI at / and the JSON API at /api (OpenAPI: /openapi.json).

    \b
    With API keys (duiding users add), every request needs one, sent as
    'Authorization: Bearer KEY' or 'X-API-Key: KEY' (the web UI asks for it once).
    Without any, the server runs open for the one local user, on a loopback address only:
    binding another address (--host 0.0.0.0) without keys is refused.
    Ctrl-C stops it.
    """
    import uvicorn

    from duiding.api import create_app, is_loopback

    keys = _keys(db)
    try:
        has_keys = keys.has_users()
    finally:
        keys.close()
    problem = refusal(host, has_keys)
    if problem:
        fail(problem)
    app = create_app(db, allow_open=is_loopback(host))
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    out.print(
        f"duiding serves {escape(shown_location(db))} at [bold]{escape(url)}[/]\n"
        f"  API {escape(url)}api, OpenAPI {escape(url)}openapi.json; Ctrl-C stops",
        highlight=False,
    )
    if not has_keys:
        err.print(
            "[yellow]note:[/] no API keys configured: open to this machine only "
            "(duiding users add NAME --role admin turns keys on)"
        )
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level, access_log=log_level in ("info", "debug")
    )
    server = uvicorn.Server(config)
    server.run()  # until Ctrl-C (uvicorn handles the signal)
    if not server.started:
        fail(f"could not serve on {host}:{port} (is the port in use?)", code=1)


@main.group()
def users() -> None:
    """API keys and their roles: reader (search and read), editor (+ ingest), admin (+ users).

    Keys are kept hashed in DIR/auth.sqlite; a key is shown once, when its user is added.
    """


@users.command(name="add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the key may do.")
@db_option
def users_add(name: str, role: str, db: str) -> None:
    """Add user NAME with a new API key, and print the key (shown this once)."""
    keys = _keys(db)
    try:
        key = keys.add(name, role)
    except AuthError as e:
        fail(str(e))
    finally:
        keys.close()
    err.print(f"added {escape(name)} ({role}); the key, shown only now:")
    click.echo(key)


@users.command(name="list")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print [{name, role, key_id, created_at}].")
def users_list(db: str, as_json: bool) -> None:
    """The users and their roles (never their keys)."""
    keys = _keys(db)
    try:
        found = keys.users()
    finally:
        keys.close()
    if as_json:
        out.print_json(data=[u.to_dict() for u in found])
        return
    if not found:
        out.print("no users: the server runs open on 127.0.0.1 only (duiding users add NAME --role R)")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("name", "role", "key id", "added"):
        table.add_column(column)
    for u in found:
        table.add_row(escape(u.name), u.role, u.key_id, u.created_at or "")
    out.print(table)


@users.command(name="remove")
@click.argument("name")
@db_option
def users_remove(name: str, db: str) -> None:
    """Remove user NAME: their key stops working at once."""
    keys = _keys(db)
    try:
        removed = keys.remove(name)
    finally:
        keys.close()
    if not removed:
        fail(f"no user {name!r}", code=1)
    out.print(f"removed {escape(name)}")
