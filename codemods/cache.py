"""A content-hash cache (``.codemod_cache/``) for gather facts and per-file results.

Keys are SHA-256 digests of everything the answer depends on: the file's bytes and resolved path,
the tool version, the interpreter and the runtime distributions (:func:`environment`), the
selected codemods and the effective options; results also depend on the
project facts, keyed by the gather keys of *every* file in the run, so editing any file
invalidates cached results (per-file gather facts stay valid); a result that read files outside
the run (``FileResult.volatile``: who else names a module, for a run given part of a project) is
not cached. Results that did not fail are
cached, including the diff of a file that would change: ``check`` and ``--dry-run`` reuse both,
while ``apply`` reuses only "nothing to change" and always processes (and writes) a changed file.
A project entry (``api.GatherRun``) remembers the digest of the gather keys for a set of given
files, with what else it depended on, so an unchanged project is re-checked without gathering.

Entries are plain values (:mod:`codemods.cache_codec`: no format that can run code on loading)
signed with HMAC-SHA256 under a per-user secret key (``~/.cache/codemod/key``): an entry that
does not verify (a cache directory copied from elsewhere, a corrupt file) is ignored, never
decoded. The key is trusted only as a regular file of :data:`KEY_BYTES` bytes, owned by this user
and readable by no one else; anything else (an empty file left by a full disk, a symlink) is
replaced, atomically, by a new key.

Nothing under the cache directory is followed through a symlink: the directory (a repository can
commit ``.codemod_cache``) must be a real directory owned by this user, and its files regular
files; otherwise the cache is not used (:func:`refusal`, :class:`Cache`). Nor is a database
whose schema is not exactly the one table the tool creates (:func:`schema_problem`): a committed
database can hold a view named ``entries`` whose query never ends, or triggers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import os
import secrets
import sqlite3
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import __version__, cache_codec

CACHE_DIR_NAME = ".codemod_cache"
#: 3: entries in cache_codec's format instead of pickle
SCHEMA = 3
KEY_BYTES = 32
DB_NAME = f"v{SCHEMA}.sqlite"
#: every name SQLite may open or create next to the database, and ours
_FILES = (".gitignore", DB_NAME, f"{DB_NAME}-journal", f"{DB_NAME}-wal", f"{DB_NAME}-shm")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CREATE_TABLE = "CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB)"
#: ``sqlite_master`` (type, name, tbl_name, sql) of the database the tool creates, and nothing else
_SCHEMA_ROWS = sorted(
    [
        ("table", "entries", "entries", _CREATE_TABLE),
        ("index", "sqlite_autoindex_entries_1", "entries", None),
    ],
    key=repr,
)


def _key_file() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codemod" / "key"


def _mine(info: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or info.st_uid == os.geteuid()


def _read_key(path: Path) -> bytes | None:
    """The key in ``path`` if it can be trusted: a regular file, not a symlink, owned by this
    user, readable and writable by no one else, exactly :data:`KEY_BYTES` long."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not (stat.S_ISREG(info.st_mode) and _mine(info) and info.st_mode & 0o077 == 0):
            return None
        key = os.read(fd, KEY_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key if len(key) == KEY_BYTES else None


def _user_key() -> bytes:
    path = _key_file()
    key = _read_key(path)
    if key is not None:
        return key
    key = secrets.token_bytes(KEY_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # a complete key or none: written in full under another name (mode 0600, O_EXCL,
        # O_NOFOLLOW), then renamed over the path, which replaces a bad key or a symlink itself
        fd, tmp = tempfile.mkstemp(prefix=".key-", dir=path.parent)
        try:
            try:
                written = os.write(fd, key)
                os.fsync(fd)
            finally:
                os.close(fd)
            if written != KEY_BYTES:
                raise OSError(f"wrote {written} of {KEY_BYTES} bytes")
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        # no usable home: a per-process key still makes the cache safe (just not reusable)
        return key
    # another process may have renamed its own key over ours in the meantime: use the one kept
    return _read_key(path) or key


#: The distributions whose code decides answers: libcst reads and prints, packaging reads the
#: dependency declarations hoist-imports decides with, pathspec picks the files.
RUNTIME = ("libcst", "packaging", "pathspec", "yaml")


@functools.cache
def environment() -> str:
    """What every cached answer also depends on: the interpreter (its ``ast``, the names of its
    standard library, its builtins) and the runtime distributions (:data:`RUNTIME`), found but
    not imported (a fully cached run imports neither libcst nor a codemod): each by the size
    and time of its ``__init__.py``, which a new install changes. A cache shared by two Pythons
    or two environments (a project's ``.codemod_cache`` used by a developer's and by
    pre-commit's) keeps one set of answers for each."""
    return digest(*environment_parts())


def environment_parts() -> list[str]:
    """What :func:`environment` digests."""
    parts = [sys.implementation.name, repr(tuple(sys.version_info))]
    for name in RUNTIME:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        try:
            found = os.stat(origin) if origin is not None else None
        except OSError:
            found = None
        parts.append(f"{name} {origin} {found.st_size} {found.st_mtime_ns}" if found else f"{name} {origin}")
    return parts


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _problem(name: str, info: os.stat_result, directory: bool = False) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return f"{name} is a symbolic link"
    if not (stat.S_ISDIR(info.st_mode) if directory else stat.S_ISREG(info.st_mode)):
        return f"{name} is not a {'directory' if directory else 'regular file'}"
    if directory and not _mine(info):
        return f"{name} belongs to another user"
    return None


def refusal(directory: Path) -> str | None:
    """Why ``directory`` must not hold the cache (None: it may, or it does not exist yet).
    Looks only, creates nothing; :class:`Cache` checks again as it opens each file."""
    try:
        problem = _problem(str(directory), directory.lstat(), directory=True)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{directory}: {exc.strerror or exc}"
    for name in _FILES:
        if problem is not None:
            break
        path = directory / name
        try:
            problem = _problem(str(path), path.lstat())
        except FileNotFoundError:
            continue
        except OSError as exc:
            problem = f"{path}: {exc.strerror or exc}"
    if problem is None and (directory / DB_NAME).exists():
        problem = _db_refusal(directory / DB_NAME)
    return problem


def _connect(target: str | Path, uri: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(target, timeout=5, uri=uri)
    try:
        # no function with side effects in a view, trigger or default the database itself holds
        db.execute("PRAGMA trusted_schema = OFF")
    except BaseException:
        db.close()
        raise
    return db


def schema_problem(db: sqlite3.Connection, name: str) -> str | None:
    """Why the open database ``db`` (``name``, for the message) is not one the tool created:
    anything in its ``sqlite_master`` but the table ``entries`` (views, triggers, other tables,
    another definition). Reading the schema runs none of it."""
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    if sorted(rows, key=repr) == _SCHEMA_ROWS or not rows:
        return None
    return f"{name} holds a schema the tool did not create"


def _db_refusal(path: Path) -> str | None:
    """:func:`schema_problem` of the existing database ``path``, opened read-only."""
    try:
        db = _connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            return schema_problem(db, str(path))
        finally:
            db.close()
    except sqlite3.Error as exc:
        return f"{path}: {exc}"


def chosen_dir(no_cache: bool, cache_dir: Path | None, warn: Callable[[str], None]) -> Path | None:
    """The command line's cache directory, or None (``--no-cache``, or one that :func:`refusal`
    rejects: then ``warn`` is told why, once)."""
    if no_cache:
        return None
    directory = cache_dir or Path(CACHE_DIR_NAME)
    problem = refusal(directory)
    if problem is not None:
        warn(f"warning: not using the cache: {problem}")
        return None
    return directory


def _open_dir(directory: Path) -> int:
    """A descriptor of ``directory``, created if missing (mode 0700), never through a symlink;
    raises OSError (or ValueError with the reason) when it must not be used."""
    with contextlib.suppress(FileExistsError):
        directory.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(directory, 0o700)
    fd = os.open(directory, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    try:
        info = os.fstat(fd)
        problem = _problem(str(directory), info, directory=True)
        if problem is not None:
            raise ValueError(problem)
        if info.st_mode & 0o022:  # no one else may add a symlink while it is used
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & ~0o022)
        for name in _FILES:
            with contextlib.suppress(FileNotFoundError):
                problem = _problem(name, os.stat(name, dir_fd=fd, follow_symlinks=False))
                if problem is not None:
                    raise ValueError(problem)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _create(name: str, dir_fd: int, data: bytes | None) -> None:
    """Create ``name`` (``data``: only if missing) or open the existing regular file, never
    following a symlink."""
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | (os.O_EXCL if data is not None else 0)
    try:
        fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    except FileExistsError:
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{name} is not a regular file")
        if data is not None:
            os.write(fd, data)
    finally:
        os.close(fd)


class Cache:
    """A small signed key-value store in SQLite. Every failure degrades to a cache miss."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key = _user_key()
        self._pending: dict[str, bytes] = {}
        self._db: sqlite3.Connection | None = None
        try:
            fd = _open_dir(directory)
            try:
                _create(".gitignore", fd, b"# created by codemod\n*\n")
                _create(DB_NAME, fd, None)
            finally:
                os.close(fd)
            self._db = _connect(directory / DB_NAME)
            if schema_problem(self._db, DB_NAME) is not None:  # checked again: it may have changed
                raise ValueError(DB_NAME)
            self._db.execute(_CREATE_TABLE.replace("TABLE", "TABLE IF NOT EXISTS", 1))
        except (OSError, ValueError, sqlite3.Error):
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
            self._db = None

    def salt(self, *parts: str) -> str:
        return digest(__version__, str(SCHEMA), environment(), *parts)

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
            payload = cache_codec.dumps(value)
        except cache_codec.FormatError:
            return
        mac = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        self._pending[key] = mac + payload

    def _verify(self, key: str, blob: bytes) -> tuple[Any] | None:
        mac, payload = blob[:32], blob[32:]
        expected = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, expected):
            return None
        try:
            return (cache_codec.loads(payload),)
        except cache_codec.FormatError:  # an entry of an incompatible version: a miss
            return None

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
