"""Reading a file found in the tree: only a regular file, and only up to a size cap.

A file in a repository is not trusted to be an ordinary file: a FIFO named ``x.py`` blocks
``open`` and ``read`` forever, and a symlink to ``/dev/zero`` never ends. :func:`read_regular`
checks the path before opening it (so no device is opened), opens it with ``O_NONBLOCK`` (a FIFO
swapped in between never blocks the open), checks the opened file again and reads at most the
cap (plus one byte, to tell a file at the cap from a larger one). Without ``follow``, a symlink
is refused, and one swapped in after the check is not opened (``O_NOFOLLOW``).
"""

from __future__ import annotations

import errno
import os
import stat

#: The largest file read (8 MiB). Hand-written modules are far smaller and generated ones rarely
#: pass a few MiB; libcst needs about 0.8 GB of memory per MiB of source, so a bigger file is
#: refused rather than read (docs/decisions.md).
MAX_SOURCE_BYTES = 8 * 1024 * 1024

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


#: Why a symlink is not processed: a file is read and written under its own name, and through a
#: symlink only with ``--follow-symlinks`` (docs/security.md).
SYMLINK_REFUSED = "is a symlink; not followed without --follow-symlinks"

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class NotReadable(OSError):
    """A path that is deliberately not read; ``strerror`` says why (not a regular file, too large)."""


def file_kind(mode: int) -> str:
    """The kind of file ``mode`` (not a regular file's ``st_mode``) describes, for messages."""
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "of an unknown kind"


#: How every reason :func:`not_regular` gives starts.
NOT_REGULAR = "not a regular file"


def not_regular(mode: int) -> str:
    """The reason a file with ``st_mode`` is not read."""
    return f"{NOT_REGULAR} ({file_kind(mode)}); not read"


def _check(st: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise NotReadable(errno.EINVAL, not_regular(st.st_mode))
    if st.st_size > limit:
        raise NotReadable(errno.EFBIG, too_large(limit))


def too_large(limit: int) -> str:
    return f"larger than {limit // (1024 * 1024)} MiB; not read"


def read_regular(
    path: str | os.PathLike[str], limit: int = MAX_SOURCE_BYTES, follow: bool = True
) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed only if ``follow``); raise
    :class:`OSError` (:class:`NotReadable` for anything but a regular file of at most ``limit``
    bytes, or a symlink when not ``follow``)."""
    st = os.stat(path, follow_symlinks=follow)
    if stat.S_ISLNK(st.st_mode):
        raise NotReadable(errno.ELOOP, SYMLINK_REFUSED)
    _check(st, limit)
    try:
        fd = os.open(path, _OPEN_FLAGS | (0 if follow else _NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:  # swapped for a symlink since the check
            raise NotReadable(errno.ELOOP, SYMLINK_REFUSED) from None
        raise
    try:
        st = os.fstat(fd)
        _check(st, limit)
        chunks: list[bytes] = []
        left, want = limit + 1, st.st_size + 1  # one read to the end, one to see the end
        while left > 0:
            chunk = os.read(fd, min(left, want))
            if not chunk:
                break
            chunks.append(chunk)
            left, want = left - len(chunk), 1 << 20
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew after the check
        raise NotReadable(errno.EFBIG, too_large(limit))
    return data
