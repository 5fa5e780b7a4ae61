"""Blocking calls the author asked to keep: ``# noqa`` for the linters' rule of that call, or a
comment saying the blocking is deliberate (``wrap-blocking-calls``).

Each linter code suppresses only its own rule (ruff's semantics), matched by family, since ruff
and flake8-async split some families differently (``os.spawn*`` is ``ASYNC220`` or ``ASYNC221``
by its mode; flake8-async has ``ASYNC211``/``ASYNC231``/``ASYNC232`` that ruff lacks):

- HTTP (``ASYNC210``, ``ASYNC211``, ``ASYNC212``): ``requests``, ``httpx``, ``urllib3``,
  ``urllib.request``;
- processes (``ASYNC220``, ``ASYNC221``, ``ASYNC222``): ``subprocess``, ``os.system``/``popen``/
  ``spawn*``/``posix_spawn*``/``wait*``;
- files (``ASYNC230``, ``ASYNC231``, ``ASYNC232``): ``open``, ``io.open``, ``os.fdopen``, methods
  of file objects, ``Path.open``;
- paths (``ASYNC240``): ``os.path`` and the other ``pathlib.Path`` methods;
- ``input`` (``ASYNC250``) and ``time.sleep`` (``ASYNC251``).

A call no linter rule names (SDK clients, ``shutil``, the project's own functions) is kept by any
``ASYNC`` code on its line: the author spoke about blocking there, and no rule tells which call
they meant. ``ASYNC200`` (flake8-async's configured blocking calls) and a bare ``# noqa`` keep
every call on the line.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping

from . import receivers

_HTTP = frozenset({"ASYNC210", "ASYNC211", "ASYNC212"})
_PROCESS = frozenset({"ASYNC220", "ASYNC221", "ASYNC222"})
_FILES = frozenset({"ASYNC230", "ASYNC231", "ASYNC232"})
_PATHS = frozenset({"ASYNC240"})
_SPAWN = ("spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe")

#: qualified-name or class prefix -> the codes of its family (first match, longest first)
_FAMILIES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    sorted(
        {
            "requests": _HTTP,
            "httpx": _HTTP,
            "urllib3": _HTTP,
            receivers.URLLIB3_POOL: _HTTP,
            "urllib.request": _HTTP,
            "subprocess": _PROCESS,
            **{f"os.{n}": _PROCESS for n in ("system", "popen", "posix_spawn", "posix_spawnp")},
            **{f"os.{n}": _PROCESS for n in _SPAWN},
            **{f"os.{n}": _PROCESS for n in ("wait", "wait3", "wait4", "waitid", "waitpid")},
            "builtins.open": _FILES,
            "io.open": _FILES,
            "io.open_code": _FILES,
            "os.fdopen": _FILES,
            receivers.FILE: _FILES,
            f"{receivers.PATH}.open": _FILES,
            "os.path": _PATHS,
            receivers.PATH: _PATHS,
            "builtins.input": frozenset({"ASYNC250"}),
            "time.sleep": frozenset({"ASYNC251"}),
        }.items(),
        key=lambda item: -len(item[0]),
    )
)


def codes_for(key: str) -> frozenset[str] | None:
    """The linter codes that flag a call to ``key`` (a qualified name or ``<class>.<method>``);
    None when no rule names it."""
    for prefix, codes in _FAMILIES:
        if key == prefix or key.startswith(prefix + "."):
            return codes
    return None


def noqa_keeps(noqa: Mapping[int, frozenset[str]], lines: range, key: str | None) -> str | None:
    """The ``# noqa`` on ``lines`` that keeps a call to ``key`` (None: a project function or
    unknown): ``""`` for a bare ``# noqa``, else the matching code; None when none keeps it."""
    family = codes_for(key) if key else None
    for line in lines:
        codes = noqa.get(line)
        if codes is None:
            continue
        if not codes:
            return ""
        matching = sorted(
            c
            for c in codes
            if c == "ASYNC200" or (c in family if family is not None else c.startswith("ASYNC2"))
        )
        if matching:
            return matching[0]
    return None


#: Words that say the blocking is on purpose. "blocks the event loop" alone is not enough:
#: ``# FIXME: blocks the event loop`` asks for the fix.
_DELIBERATE = re.compile(
    r"\b(deliberate(ly)?|intentional(ly)?|on purpose|purposely|purposefully|by design)\b",
    re.IGNORECASE,
)
#: ... and the same comment must be about blocking: ``# Intentionally no cache here`` or
#: ``# deliberately short timeout`` say something else is on purpose.
_ABOUT_BLOCKING = re.compile(
    r"\b(block\w*|sync\w*|synchronous\w*|sleep\w*|(event[ -]?)?loop|thread\w*)\b", re.IGNORECASE
)


def _says_deliberate(comment: str) -> bool:
    return _DELIBERATE.search(comment) is not None and _ABOUT_BLOCKING.search(comment) is not None


class Intent:
    """Comments saying a blocking call is deliberate, read from the source on first use."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._comments: dict[int, str] | None = None
        self._lines: list[str] = []

    def _read(self) -> dict[int, str]:
        if self._comments is None:
            self._comments = {}
            if _DELIBERATE.search(self._source):  # else no comment can say it: no tokenizing
                self._lines = self._source.splitlines()
                try:
                    tokens = list(tokenize.generate_tokens(io.StringIO(self._source).readline))
                except (tokenize.TokenError, SyntaxError):
                    tokens = []
                self._comments = {
                    t.start[0]: t.string for t in tokens if t.type == tokenize.COMMENT
                }
        return self._comments

    def deliberate(self, first: int) -> str | None:
        """The comment ending line ``first`` (the call's first line), or on the comment lines
        directly above it, that says the blocking is deliberate (stripped), else None. A
        comment inside the call's arguments speaks of that argument, not of the call."""
        comments = self._read()
        if not comments:
            return None
        found = comments.get(first)
        if found is not None and _says_deliberate(found):
            return found.strip()
        line = first - 1
        while line >= 1 and line in comments and self._lines[line - 1].lstrip().startswith("#"):
            if _says_deliberate(comments[line]):
                return comments[line].strip()
            line -= 1
        return None
