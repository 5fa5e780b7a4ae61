"""Which files of a component that a run did not read may name a module (read-only, bytes).

A run given one file (pre-commit, ``codemod apply path/to/file.py``) sees the file and what it
imports, not the files that import it. To import ``app.worker``, or to reach its names, a file
must spell ``worker`` somewhere: in ``from app.worker import ...``, ``from app import worker``,
``from .worker import ...``, ``import_module("app.worker")``, ``mock.patch("app.worker.time")``
or a ``__all__``. So a file of the component that does not hold the word, outside the tokens
of longer identifiers, imports nothing from the module by any spelling a whole-project run
would follow either (the same syntactic standard: ``getattr(pkg, "work" + "er")`` is not seen
by either).

:func:`scan` lists the ``*.py`` files under a root (the component's, or for a file in no
component the directory its module name starts from) once per view (skipping the directories a
walk of the project skips: VCS, caches, virtualenvs, ``node_modules``, ``*.egg-info``; not
``.gitignore`` or ``--exclude``: an excluded file still imports) and reads only the files the
view does not hold, once per word asked about. Anything it cannot list or read answers None:
unknown.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Collection
from functools import lru_cache

from .facts import ProjectFacts
from .files import DEFAULT_EXCLUDES

#: A star import (``from app.worker import *``): it may take any name of the module.
STAR = re.compile(rb"\bimport\s*\*")


@lru_cache(maxsize=256)
def word(name: str) -> re.Pattern[bytes] | None:
    """``name`` as a whole identifier in source bytes (None: not ASCII, where an encoding may
    spell it differently)."""
    if not name.isascii() or not name.isidentifier():
        return None
    return re.compile(rb"(?<![\w])" + re.escape(name.encode()) + rb"(?![\w])")


class Scan:
    """The ``*.py`` files under one component root that one view does not hold."""

    def __init__(self, root: str, known: Collection[str]) -> None:
        self.files = _listing(root, known)
        self._found: dict[bytes, frozenset[str] | None] = {}
        #: The files a question was asked for while some file was outside the view (or could
        #: not be listed): their results depend on files the run did not gather.
        self.asked: set[str] = set()

    def mentioning(self, pattern: re.Pattern[bytes] | None) -> frozenset[str] | None:
        """The files (outside the view) in which ``pattern`` occurs; None when unknown."""
        if pattern is None or self.files is None:
            return None
        key = pattern.pattern
        if key not in self._found:
            self._found[key] = _search(self.files, pattern)
        return self._found[key]


def _search(files: list[str], pattern: re.Pattern[bytes]) -> frozenset[str] | None:
    found: set[str] = set()
    for path in files:
        try:
            with open(path, "rb") as handle:
                text = handle.read()
        except OSError:
            return None
        if pattern.search(text):
            found.add(path)
    return frozenset(found)


#: (id of the view, root) -> (the view, weakly: the entry goes with it; its scan). A view lives
#: for one run, so a scan does too, and a finished run's facts are not kept alive here.
_SCANS: dict[tuple[int, str], tuple[weakref.ref[ProjectFacts], Scan]] = {}


def scan(project: ProjectFacts, root: str) -> Scan:
    """The scan of the files under ``root`` that the view ``project`` does not hold."""
    found = made(project, root)
    if found is None:
        key = (id(project), root)
        found = Scan(root, project.resolutions.keys())
        _SCANS[key] = (weakref.ref(project, lambda _gone: _SCANS.pop(key, None)), found)
    return found


def made(project: ProjectFacts, root: str) -> Scan | None:
    """:func:`scan`'s answer if it was made already (listing nothing)."""
    hit = _SCANS.get((id(project), root))
    return hit[1] if hit is not None and hit[0]() is project else None


def _listing(root: str, known: Collection[str]) -> list[str] | None:
    """The ``*.py`` files under ``root`` not in ``known`` (resolved paths); None when a
    directory cannot be listed. Symlinked directories are not entered (a walk of the project
    does not leave its root either); their files, when inside, are listed where they are."""
    real = os.path.realpath(root)
    found: list[str] = []
    stack = [real]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            try:
                link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                return None
            if is_dir:
                if not (entry.name in DEFAULT_EXCLUDES or entry.name.endswith(".egg-info")):
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".pyw")):
                path = os.path.realpath(entry.path) if link else entry.path
                if path not in known:
                    found.append(path)
    return sorted(found)
