"""Shared fixtures: the ../shared folder (skip with a reason when absent), the bundled sample, and the two
storage backends the store, search and analysis tests run against.

``backend`` is ``"embedded"`` (SQLite + tantivy in a data directory) or ``"postgres"`` (a throwaway
PostgreSQL server the test run starts itself, see ``tests/pg.py``; those variants skip, saying why, where
PostgreSQL is not installed). A test or fixture that asks for ``db`` (one fresh archive location per
test) or ``new_db`` (a factory of them, for module fixtures) runs once per backend: the location is a
data directory or a ``postgresql://`` URL, and goes to ``--db`` and ``open_archive`` alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest

from pg import PgServer, unavailable

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
BACKENDS = ["embedded", "postgres"]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: tests that read the shared corpora are skipped")
    return SHARED


@pytest.fixture(scope="session")
def sample_txt() -> Path:
    """The bundled copy of the NOS sample article in the archive text layout (always available)."""
    return Path(str(resources.files("duiding") / "samples" / "nos-2448020.txt"))


@pytest.fixture(scope="session", autouse=True)
def local_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where a server archive's local files (rejects reports, API keys) go during the tests: not ./"""
    path = tmp_path_factory.mktemp("local")
    old = os.environ.get("DUIDING_LOCAL_DIR")
    os.environ["DUIDING_LOCAL_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("DUIDING_LOCAL_DIR", None)
    else:
        os.environ["DUIDING_LOCAL_DIR"] = old


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A throwaway PostgreSQL cluster for the whole run (skips, saying why, without PostgreSQL)."""
    reason = unavailable()
    if reason:
        pytest.skip(f"PostgreSQL backend not tested: {reason}")
    server = PgServer()
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend under test."""
    if request.param == "postgres":
        request.getfixturevalue("pg_server")  # skips when PostgreSQL is not there
    return str(request.param)


@pytest.fixture(scope="module")
def new_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Callable[[], str]:
    """Makes a fresh, empty archive location of the backend: a data directory (not yet created) or the
    URL of a new database (a copy of a migrated template: fast)."""
    if backend == "postgres":
        server: PgServer = request.getfixturevalue("pg_server")
        return server.new_database
    return lambda: str(tmp_path_factory.mktemp("archive") / "db")


@pytest.fixture
def db(new_db: Callable[[], str]) -> str:
    """A fresh, empty archive location for this test (see ``new_db``)."""
    return new_db()


@pytest.fixture
def embedded(backend: str) -> None:
    """For tests of the embedded backend's own machinery (its tantivy index, SQLite file, migrations)."""
    if backend != "embedded":
        pytest.skip("embedded backend only: tests its tantivy index or SQLite file")
