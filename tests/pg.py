"""A throwaway PostgreSQL server for the tests: initdb in a temporary directory, pg_ctl start, databases
made from a migrated template, everything stopped and removed at the end.

Used by the session fixture ``pg_server`` in ``conftest.py``. The server listens on a unix socket in its
own directory and on a free loopback port, trusts local connections (it lives as long as the test run
and holds nothing else), and runs without fsync: a crash loses only test data.

PostgreSQL refuses to run as root. As root, the directory is handed to the ``postgres`` system user and
``initdb``/``pg_ctl`` run as that user (``runuser -u postgres --``, else ``su postgres``); the directory
is made in ``/tmp`` with mode 0755, so that user can reach the socket and data. Without PostgreSQL's
binaries (or, as root, without a ``postgres`` user) :func:`unavailable` says why, and the PostgreSQL
variants of the tests skip with that reason.

Run it by hand to try it: ``python tests/pg.py`` starts a server and prints its URL until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

TEMPLATE = "duiding_template"
SUPERUSER = "duiding"


def bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: ``$PG_BINDIR``, ``pg_config --bindir``, the newest
    ``/usr/lib/postgresql/*/bin`` (Debian's layout), else PATH. None when there are none."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", p.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def _run_as() -> list[str]:
    """The command prefix that runs a PostgreSQL binary as a user it accepts (none unless root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return []  # su is used instead, see PgServer._run


def unavailable() -> str | None:
    """Why no throwaway server can be started here (None: it can)."""
    if bindir() is None:
        return (
            "PostgreSQL is not installed (no initdb/pg_ctl via pg_config, /usr/lib/postgresql/*/bin or "
            "PATH; `make test` installs Debian's postgresql package when run as root)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' system user to run PostgreSQL as"
        if not shutil.which("runuser") and not shutil.which("su"):
            return "running as root and neither runuser nor su is there to run PostgreSQL as 'postgres'"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One throwaway cluster: :meth:`start`, then :meth:`new_database` per test, :meth:`stop` at the end."""

    def __init__(self) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError(unavailable() or "no PostgreSQL binaries")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="duiding-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.log = self.root / "server.log"
        self._names = itertools.count(1)
        self._started = False

    # -- running the binaries -------------------------------------------------------------------------

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            prefix = _run_as()
            if prefix:
                cmd = [*prefix, *cmd]
            else:  # no runuser: su, with the command as one shell string
                cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(_shell_quote(c) for c in cmd)]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{log}"
            )
        return result

    def start(self) -> PgServer:
        # The socket directory must be reachable by the server's user and by us.
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        locale = ["--locale=C.UTF-8"] if _has_c_utf8() else ["--no-locale"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            *locale,
            "--no-sync",
        )
        options = (
            f"-k {self.root} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._started = True
        atexit.register(self.stop)  # also after a crash of the test run
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start"
        )
        self._make_template()
        return self

    def url(self, database: str = "postgres") -> str:
        """A URL for ``database`` over the unix socket in the server's directory."""
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.root), safe='')}&port={self.port}"

    def tcp_url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def _make_template(self) -> None:
        """A database with duiding's schema migrated: each test's database is a copy (fast)."""
        from duiding.store import open_archive

        self._admin(f'CREATE DATABASE "{TEMPLATE}"')
        archive = open_archive(self.url(TEMPLATE))
        archive.close()  # and its connections with it: a template must have none open

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty (migrated) database; returns its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        for attempt in range(50):
            try:
                self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
                break
            except psycopg.errors.ObjectInUse:
                # the template's last connection (closed just now) may take a moment to go
                if attempt == 49:
                    raise
                time.sleep(0.1)
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            self._started = False
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def _shell_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def _has_c_utf8() -> bool:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10)
        return any(name.lower() in ("c.utf8", "c.utf-8") for name in out.stdout.split())
    return False


if __name__ == "__main__":  # pragma: no cover - by hand
    reason = unavailable()
    if reason:
        raise SystemExit(reason)
    server = PgServer().start()
    print(server.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
