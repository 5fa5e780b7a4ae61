"""Byte-faithful reading and atomic writing of source files.

Source is decoded exactly as Python would (PEP 263 cookie, UTF-8 BOM) and encoded back with the
same codec, so the BOM, the cookie's encoding and every newline (libcst keeps each line's own
``\\n`` / ``\\r\\n``) survive a round trip.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from pathlib import Path

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


def encode_source(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(path: Path) -> tuple[bytes, str, str]:
    """Read ``path`` and return ``(raw bytes, text, encoding)``; raise :class:`SourceError`."""
    try:
        data = read_regular(path)
    except FileNotFoundError:
        raise SourceError("read", "file vanished before it could be read") from None
    except IsADirectoryError:
        raise SourceError("read", "is a directory") from None
    except OSError as exc:
        raise SourceError("read", exc.strerror or str(exc)) from None
    text, encoding = decode_source(data)
    return data, text, encoding


def write_atomic(path: Path, data: bytes, expected_digest: str) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits.

    Refuses (``SourceError("conflict")``) when the file no longer holds the bytes that were read,
    so an edit made by someone else during the run is never overwritten. The new content goes to
    a temporary file in the same directory, is flushed to disk, then renamed over the original:
    a crash at any moment leaves either the old or the new file, never a mix. A symlink is
    written through (its target is replaced), never replaced by a regular file.
    """
    path = Path(os.path.realpath(path))
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("conflict", "file was deleted during the run; not recreated") from None
    except OSError as exc:
        raise SourceError("write", exc.strerror or str(exc)) from None
    if digest(current) != expected_digest:
        raise SourceError("conflict", "file changed on disk during the run; not overwritten")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".codemod-tmp", dir=path.parent)
    except OSError as exc:
        raise SourceError("write", exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SourceError("write", exc.strerror or str(exc)) from None
