"""Byte-faithful reading and atomic writing of source files.

Source is decoded exactly as Python would (PEP 263 cookie, UTF-8 BOM) and encoded back with the
same codec, so the BOM, the cookie's encoding and every newline (libcst keeps each line's own
``\\n`` / ``\\r\\n``) survive a round trip. A file whose bytes do not come back from decoding
and encoding again (a stateful or lossy codec: ``utf-7``, ``iso-2022-jp``, ``unicode_escape``)
is refused before anything is changed. A write keeps the file's owner, group, mode and extended
attributes, and never goes through a symlink unless asked to (:class:`Replacement`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import secrets
import stat
import tokenize
from pathlib import Path
from types import TracebackType

from . import interrupts
from .readfile import read_regular


class SourceError(Exception):
    """A file that cannot be read or decoded; carries a one-line reason."""

    def __init__(self, stage: str, message: str) -> None:
        # both arguments go to ``args`` so the exception survives pickling across processes
        super().__init__(stage, message)
        self.stage = stage
        self.message = message

    def __str__(self) -> str:
        return self.message


def decode_source(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; the encoding is ``utf-8-sig`` when a BOM is present."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError("decode", str(exc)) from None
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(
            "decode", f"line {line}: cannot decode byte 0x{data[exc.start]:02x} as {encoding}"
        ) from None
    except LookupError:
        raise SourceError("decode", f"unknown encoding {encoding!r}") from None


#: Codecs whose decoding is one to one on the bytes it accepts (strict UTF-8; ``utf-8-sig`` is
#: chosen only when the BOM it adds back is there): the round trip needs no check.
_ONE_TO_ONE = frozenset({"utf-8", "utf-8-sig"})


def decode_faithful(data: bytes) -> tuple[str, str]:
    """:func:`decode_source`, refusing a text whose encoding does not give back ``data``: a file
    that could not be written back byte for byte outside the fixed lines."""
    text, encoding = decode_source(data)
    if encoding not in _ONE_TO_ONE:
        try:
            same = text.encode(encoding) == data
        except (UnicodeError, LookupError):
            same = False
        if not same:
            raise SourceError(
                "decode",
                f"encoding the text as {encoding} again does not give back the same bytes "
                "(a stateful or lossy encoding); not rewritten",
            )
    return text, encoding


def encode_source(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(path: Path, follow: bool = True) -> tuple[bytes, str, str]:
    """Read ``path`` (through a symlink only if ``follow``) and return ``(raw bytes, text,
    encoding)``; raise :class:`SourceError`."""
    try:
        data = read_regular(path, follow=follow)
    except FileNotFoundError:
        raise SourceError("read", "file vanished before it could be read") from None
    except IsADirectoryError:
        raise SourceError("read", "is a directory") from None
    except OSError as exc:
        raise SourceError("read", exc.strerror or str(exc)) from None
    text, encoding = decode_faithful(data)
    return data, text, encoding


def write_atomic(
    path: Path, data: bytes, expected_digest: str, follow_symlinks: bool = False
) -> None:
    """Replace the file at ``path`` with ``data`` atomically, keeping its metadata.

    Refuses (``SourceError("conflict")``) when the file no longer holds the bytes that were read,
    so an edit made by someone else during the run is never overwritten; see
    :class:`Replacement` for the steps. ``path`` itself is written, never through a symlink:
    a symlink is refused unless ``follow_symlinks``, which writes its target instead. A signal
    :mod:`.interrupts` handles waits for the rename, so none leaves a temporary file behind.
    """
    with interrupts.deferred(), Replacement(path, expected_digest, follow_symlinks) as replacement:
        replacement.stage(data)
        replacement.commit()


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in never blocks the open
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FD = {os.open, os.stat, os.rename, os.unlink} <= os.supports_dir_fd
_XATTRS = hasattr(os, "listxattr")
CHANGED = "file changed on disk during the run; not overwritten"


def _identity(st: os.stat_result) -> tuple[int, ...]:
    """What a write by anyone else changes: the inode, the size, the modification and change times
    (``ctime`` also moves on ``chmod``, ``chown`` and extended attributes)."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _os_error(exc: OSError) -> SourceError:
    return SourceError("write", exc.strerror or str(exc))


class Replacement:
    """One atomic replacement of a file, in the steps :func:`write_atomic` takes.

    Opening it opens the file's directory once (every later step names the file relative to it,
    so a directory renamed or swapped for a symlink meanwhile is not followed) and takes a
    snapshot of the file: a regular file, not a symlink, holding the expected bytes, with its
    inode, size, times, owner, mode and extended attributes. :meth:`stage` writes the new bytes
    to a temporary file beside it, gives that the same owner, group, mode and extended attributes
    (refusing when it cannot) and flushes it to disk. :meth:`commit` takes the snapshot again,
    content hash included, and renames the temporary file over the original only when nothing
    changed. Leaving the ``with`` block without a commit removes the temporary file.

    What remains (docs/security.md): a write landing between :meth:`commit`'s last check and the
    rename (a few microseconds), or made through a file descriptor opened before the rename, is
    lost: no POSIX call replaces a file only if it is unchanged.
    """

    def __init__(
        self, path: str | os.PathLike[str], expected_digest: str, follow_symlinks: bool = False
    ) -> None:
        target = os.path.realpath(path) if follow_symlinks else os.fspath(path)
        directory, self.name = os.path.split(target)
        self._directory = directory or "."
        self._expected = expected_digest
        self._tmp: str | None = None
        self._dir_fd: int | None = None
        try:
            if _DIR_FD:
                self._dir_fd = os.open(self._directory, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
            self.before, self._xattrs = self._snapshot(read_xattrs=True)
        except FileNotFoundError:
            self.close()
            raise SourceError(
                "conflict", "file was deleted during the run; not recreated"
            ) from None
        except OSError as exc:
            self.close()
            raise _os_error(exc) from None
        except BaseException:
            self.close()
            raise

    def _at(self, name: str) -> str:
        return name if self._dir_fd is not None else os.path.join(self._directory, name)

    def _snapshot(self, read_xattrs: bool = False) -> tuple[os.stat_result, dict[str, bytes]]:
        """The file's status (and extended attributes) as it is now; raises unless it is a
        regular file, reached without a symlink, holding the expected bytes."""
        st = os.stat(self._at(self.name), dir_fd=self._dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise SourceError(
                "conflict", "is a symlink; not written through it (only with --follow-symlinks)"
            )
        if not stat.S_ISREG(st.st_mode):
            raise SourceError("conflict", "is no longer a regular file; not written")
        try:
            fd = os.open(
                self._at(self.name),
                os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC,
                dir_fd=self._dir_fd,
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # swapped for a symlink since the stat
                raise SourceError("conflict", CHANGED) from None
            raise
        try:
            opened = os.fstat(fd)
            sha = hashlib.sha256()
            while chunk := os.read(fd, 1 << 20):
                sha.update(chunk)
            xattrs = _read_xattrs(fd) if read_xattrs else {}
        finally:
            os.close(fd)
        if _identity(opened) != _identity(st) or sha.hexdigest() != self._expected:
            raise SourceError("conflict", CHANGED)
        return opened, xattrs

    def stage(self, data: bytes) -> None:
        """Write ``data`` to a temporary file beside the original, with its metadata, on disk."""
        try:
            fd = self._create()
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                _keep_owner(fd, self.before)
                for name, value in self._xattrs.items():
                    _set_xattr(fd, name, value)
                # after the owner: chown clears the set-user-ID and set-group-ID bits
                os.chmod(
                    fd if os.chmod in os.supports_fd else self._temp_path(),
                    stat.S_IMODE(self.before.st_mode),
                )
                os.fsync(fd)
        except OSError as exc:
            raise _os_error(exc) from None

    def _temp_path(self) -> str:
        return os.path.join(self._directory, self._tmp or "")

    def _create(self) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
        for _ in range(100):
            name = f".{self.name}.{secrets.token_hex(4)}.codemod-tmp"
            try:
                fd = os.open(self._at(name), flags, 0o600, dir_fd=self._dir_fd)
            except FileExistsError:
                continue
            self._tmp = name
            return fd
        raise SourceError("write", "no free name for a temporary file")

    def commit(self) -> None:
        """Check the file once more, content included, and rename the staged file over it."""
        if self._tmp is None:
            raise ValueError("nothing staged")
        try:
            now, _ = self._snapshot()
            if _identity(now) != _identity(self.before):
                raise SourceError("conflict", CHANGED)
            os.replace(
                self._at(self._tmp),
                self._at(self.name),
                src_dir_fd=self._dir_fd,
                dst_dir_fd=self._dir_fd,
            )
        except FileNotFoundError:
            raise SourceError(
                "conflict", "file was deleted during the run; not recreated"
            ) from None
        except OSError as exc:
            raise _os_error(exc) from None
        self._tmp = None

    def close(self) -> None:
        """Remove the temporary file unless it was committed; release the directory."""
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._at(self._tmp), dir_fd=self._dir_fd)
            self._tmp = None
        if self._dir_fd is not None:
            os.close(self._dir_fd)
            self._dir_fd = None

    def __enter__(self) -> Replacement:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _keep_owner(fd: int, before: os.stat_result) -> None:
    """Give the new file the original's owner and group, or refuse: never change them."""
    mine = os.fstat(fd)
    uid = before.st_uid if before.st_uid != mine.st_uid else -1
    gid = before.st_gid if before.st_gid != mine.st_gid else -1
    if uid == -1 and gid == -1:
        return
    try:
        os.fchown(fd, uid, gid)
    except OSError as exc:
        raise SourceError(
            "write",
            f"owned by uid {before.st_uid}, gid {before.st_gid}: this user cannot give the rewritten "
            f"file the same owner ({exc.strerror}); not rewritten",
        ) from None


def _read_xattrs(fd: int) -> dict[str, bytes]:
    """Every extended attribute of the open file ``fd`` (none where unsupported)."""
    if not _XATTRS:
        return {}
    try:
        return {name: os.getxattr(fd, name) for name in os.listxattr(fd)}
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            return {}
        raise


def _set_xattr(fd: int, name: str, value: bytes) -> None:
    """Give the new file the extended attribute ``name``, or refuse: never drop one."""
    with contextlib.suppress(OSError):
        if os.getxattr(fd, name) == value:  # already there: a label or ACL the directory gives
            return
    try:
        os.setxattr(fd, name, value)
    except OSError as exc:
        raise SourceError(
            "write", f"cannot keep the extended attribute {name} ({exc.strerror}); not rewritten"
        ) from None
