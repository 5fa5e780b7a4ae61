"""A content-hash cache (``.codemod_cache/``) for gather facts and per-file results.

Keys are SHA-256 digests of everything the answer depends on: the file's bytes and resolved path,
the tool version, the selected codemods and the effective options; results also depend on the
project facts, keyed by the gather keys of *every* file in the run, so editing any file
invalidates cached results (per-file gather facts stay valid); a result that read files outside
the run (``FileResult.volatile``: who else names a module, for a run given part of a project) is
not cached. Results that did not fail are
cached, including the diff of a file that would change: ``check`` and ``--dry-run`` reuse both,
while ``apply`` reuses only "nothing to change" and always processes (and writes) a changed file.
A project entry (``api.GatherRun``) remembers the digest of the gather keys for a set of given
files, with what else it depended on, so an unchanged project is re-checked without gathering.

Entries are pickled and signed with HMAC-SHA256 under a per-user secret key
(``~/.cache/codemod/key``, created with mode 0600): an entry that does not verify — a cache
directory copied from elsewhere, a corrupt file — is ignored, never unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import secrets
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import __version__

CACHE_DIR_NAME = ".codemod_cache"
SCHEMA = 2


def _user_key() -> bytes:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codemod"
    key_file = base / "key"
    try:
        return key_file.read_bytes()
    except OSError:
        pass
    try:
        base.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key
    except FileExistsError:
        return key_file.read_bytes()
    except OSError:
        # no writable home: a per-process key still makes the cache safe (just not reusable)
        return secrets.token_bytes(32)


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Cache:
    """A small signed key-value store in SQLite. Every failure degrades to a cache miss."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key = _user_key()
        self._pending: dict[str, bytes] = {}
        self._db: sqlite3.Connection | None = None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            gitignore = directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# created by codemod\n*\n", encoding="utf-8")
            self._db = sqlite3.connect(directory / f"v{SCHEMA}.sqlite", timeout=5)
            self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB)")
        except (OSError, sqlite3.Error):
            self._db = None

    def salt(self, *parts: str) -> str:
        return digest(__version__, str(SCHEMA), *parts)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        wanted = list(keys)
        if self._db is None or not wanted:
            return found
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, value FROM entries WHERE key IN ({marks})", chunk)
                for key, blob in rows:
                    value = self._verify(key, blob)
                    if value is not None:
                        found[key] = value[0]
        except sqlite3.Error:
            return {}
        return found

    def put(self, key: str, value: Any) -> None:
        try:
            payload = pickle.dumps((value,), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return
        mac = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        self._pending[key] = mac + payload

    def _verify(self, key: str, blob: bytes) -> tuple[Any] | None:
        mac, payload = blob[:32], blob[32:]
        expected = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            value = pickle.loads(payload)
        except Exception:  # a stale entry from an incompatible version: a miss
            return None
        return value if isinstance(value, tuple) and len(value) == 1 else None

    def flush(self) -> None:
        if self._db is None or not self._pending:
            self._pending.clear()
            return
        with contextlib.suppress(sqlite3.Error), self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", self._pending.items()
            )
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
