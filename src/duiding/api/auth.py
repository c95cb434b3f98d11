"""API keys and roles: who may read, ingest or manage users.

Keys live in their own SQLite file in the data directory (``auth.sqlite``), apart from the article
store and its migrations. A key is ``duid_<key id>_<secret>``: the key id (public, 8 hex digits) finds
the user, the whole key is checked against its scrypt hash (random salt per key) with a constant-time
comparison. Only the hash is stored; the key is shown once, when the user is added.

Roles are ordered: ``reader`` (every read endpoint and page) < ``editor`` (+ ingest) < ``admin``
(+ user management). With no users at all, the archive has no keys configured: a server bound to a
loopback address may then run open for its one local user (see :mod:`duiding.api.app`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["AUTH_FILE", "ROLES", "AuthError", "KeyStore", "User", "role_allows"]

AUTH_FILE = "auth.sqlite"
ROLES: tuple[str, ...] = ("reader", "editor", "admin")
KEY_PREFIX = "duid_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

# scrypt parameters: n=2**14, r=8 (16 MiB, some tens of ms a check). A verified key is remembered (by
# its SHA-256, in memory) beside the stored hash it matched, so only a key's first request pays that.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_CACHE_SIZE = 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    key_id TEXT NOT NULL UNIQUE,
    salt BLOB NOT NULL,
    key_hash BLOB NOT NULL,
    created_at TEXT NOT NULL
)
"""


class AuthError(ValueError):
    """A user or role that cannot be added or removed (the message says why)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    key_id: str = ""
    created_at: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "role": self.role, "key_id": self.key_id, "created_at": self.created_at}


def role_allows(role: str, needed: str) -> bool:
    """Does ``role`` include what ``needed`` may do?"""
    return ROLES.index(role) >= ROLES.index(needed)


def _hash(key: str, salt: bytes) -> bytes:
    return hashlib.scrypt(key.encode("utf-8"), salt=salt, **_SCRYPT)  # type: ignore[arg-type]


def _key_id(key: str) -> str | None:
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not sep or not secret or not re.fullmatch(r"[0-9a-f]{8}", key_id):
        return None
    return key_id


class KeyStore:
    """The users of one data directory and their hashed keys (``DIR/auth.sqlite``).

    Safe to share between threads: one connection, used under a lock. Every check reads the file, so a
    user added or removed by ``duiding users`` in another process counts at once.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        # (key id, stored hash) -> SHA-256 of the key that was verified against it
        self._verified: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()

    @classmethod
    def for_data_dir(cls, directory: str | Path) -> KeyStore:
        """The users of the archive at ``directory`` (a server URL's: in its local directory)."""
        from duiding.store import local_dir

        return cls(local_dir(directory) / AUTH_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def has_users(self) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def users(self) -> list[User]:
        with self._lock:
            rows = self._conn.execute("SELECT name, role, key_id, created_at FROM users ORDER BY name")
            return [User(*row) for row in rows.fetchall()]

    def add(self, name: str, role: str) -> str:
        """Add a user with a new key; returns the key (it is not stored, only its hash)."""
        if not NAME.match(name):
            raise AuthError(
                f"bad user name {name!r}: use 1-64 letters, digits and . _ @ - "
                "(starting with a letter or digit)"
            )
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
        key_id = secrets.token_hex(4)
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_bytes(16)
        digest = _hash(key, salt)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO users (name, role, key_id, salt, key_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, role, key_id, salt, digest, created),
                )
            except sqlite3.IntegrityError:
                if self._conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                    raise AuthError(
                        f"user {name!r} exists already (remove it first to issue a new key)"
                    ) from None
                raise AuthError("key id collision; try again") from None
        return key

    def remove(self, name: str) -> bool:
        with self._lock:
            return self._conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0

    def verify(self, key: str | None) -> User | None:
        """The user this key belongs to, or None (no such key, or a wrong secret)."""
        if not key:
            return None
        key_id = _key_id(key)
        if key_id is None:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, salt, key_hash, created_at FROM users WHERE key_id = ?", (key_id,)
            ).fetchone()
        if row is None:
            return None
        name, role, salt, stored, created = row
        user = User(name, role, key_id, created)
        quick = hashlib.sha256(key.encode("utf-8")).digest()
        cached = self._verified.get((key_id, stored))
        if cached is not None and hmac.compare_digest(cached, quick):
            return user
        if not hmac.compare_digest(_hash(key, salt), stored):
            return None
        with self._lock:
            self._verified[(key_id, stored)] = quick
            while len(self._verified) > _CACHE_SIZE:
                self._verified.popitem(last=False)
        return user
