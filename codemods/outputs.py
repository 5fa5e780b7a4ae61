"""Refuse an output file (``--output``, ``--summary-json``) that is one of the run's inputs.

``codemod check --diff --output b.py b.py`` would truncate ``b.py`` before reading it. The
output is compared with every file the run reads (the named ones, those found in the named
directories, and stdin when it is a file) by device and inode, so a symlink or a hard link to an
input is caught too; the output is not opened before this check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from .files import discover


def _identity(path: Path | int) -> tuple[int, int] | None:
    """(device, inode) of a path or an open file descriptor; None when it cannot be stat'ed."""
    try:
        st = os.fstat(path) if isinstance(path, int) else os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def refuse_input(output: Path | None, option: str, inputs: Iterable[Path]) -> None:
    """Raise ``click.UsageError`` when ``output`` is the same file as one of ``inputs``."""
    target = _identity(output) if output is not None else None
    if target is None:  # no output, or not there yet: it cannot be an input
        return
    for path in inputs:
        if _identity(path) == target:
            raise click.UsageError(
                f"{option} {output} is the input file {path}: refusing to overwrite it"
            )


def refuse_run_input(
    output: Path | None,
    paths: Sequence[Path],
    exclude: Iterable[str] = (),
    follow_symlinks: bool = False,
    stdin: bool = False,
    respect_gitignore: bool = True,
) -> None:
    """``--output`` against what a run over ``paths`` reads (with ``stdin``: the file behind
    stdin, and ``paths`` are the ``--stdin-filename``, most likely the file piped in)."""
    target = _identity(output) if output is not None else None
    if target is None:
        return
    if stdin and _identity(0) == target:
        raise click.UsageError(
            f"--output {output} is the file read from stdin: refusing to overwrite it"
        )
    refuse_input(output, "--output", paths)
    if any(path.is_dir() for path in paths):
        refuse_input(output, "--output", discover(paths, exclude, follow_symlinks, respect_gitignore).files)
