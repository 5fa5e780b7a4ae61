"""Pausing Python's cyclic garbage collector while one file is read or transformed.

A file's trees (libcst's, hundreds of thousands of objects, and ``ast``'s) are freed by
reference counting when the file is done; while they are built, the collector would walk them
again and again (a fifth of the time of a large file's transform, half of its ``ast`` node list
in the gather phase). What a file leaves in cycles is collected at the first allocation after
it, as the counts stand over the threshold by then; ``tests/test_cycles.py`` checks that this
tool leaves no cycles of its own.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (nesting is harmless)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
