"""The codemod base class and the per-file context every codemod instance receives.

A codemod is one package in ``codemods/commands/``; its ``__init__`` docstring (ruff's rule-doc
shape) is its documentation, and its ``Command`` class does the work. The engine creates one fresh
``Command`` per file, hands it the file's libcst tree, and collects what it reported.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
from libcst.metadata import MetadataWrapper

from .astkit.asts import Trees
from .cstkit.metadata import Wrapper
from .project import ModuleInfo, ProjectFacts
from .types import Change, Options, Safety, Skip

_SKIP_RE = re.compile(r"codemod:\s*skip(?:\[([^\]]*)\])?")
_NOQA_RE = re.compile(r"noqa(?::\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
#: The skip reason of a site a ``# codemod: skip`` comment covers.
SUPPRESSED = "suppressed by a `# codemod: skip` comment"


@dataclass(frozen=True)
class Suppressions:
    """Suppression comments found in a file, by line number."""

    #: line -> codemod ids named in ``# codemod: skip[...]``; an empty set means all codemods.
    skip: Mapping[int, frozenset[str]] = field(default_factory=dict)
    #: line -> rule codes named in a ``noqa`` comment; an empty set means a bare one.
    noqa: Mapping[int, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> Suppressions:
        if not _SKIP_RE.search(text) and not _NOQA_RE.search(text):
            return cls()  # no comment can hold a marker the whole text lacks: skip tokenizing
        skip: dict[int, frozenset[str]] = {}
        noqa: dict[int, frozenset[str]] = {}
        for line, comment in _comments(text):
            if m := _SKIP_RE.search(comment):
                ids = m.group(1)
                skip[line] = frozenset(i.strip() for i in ids.split(",") if i.strip()) if ids else frozenset()
            if m := _NOQA_RE.search(comment):
                codes = m.group(1)
                noqa[line] = frozenset(c.upper() for c in re.split(r"[\s,]+", codes) if c) if codes else frozenset()
        return cls(skip=skip, noqa=noqa)

    def skips(self, codemod: str, lines: range) -> bool:
        for line in lines:
            ids = self.skip.get(line)
            if ids is not None and (not ids or codemod in ids):
                return True
        return False

    def has_noqa(self, code: str, lines: range) -> bool:
        for line in lines:
            codes = self.noqa.get(line)
            if codes is not None and (not codes or code.upper() in codes):
                return True
        return False

    def noqa_of_family(self, prefix: str, lines: range) -> str | None:
        """The ``# noqa`` on ``lines`` that covers a rule of the family ``prefix`` (``ASYNC``):
        the first such code, ``""`` for a bare ``# noqa``; None when there is none."""
        for line in lines:
            codes = self.noqa.get(line)
            if codes is None:
                continue
            if not codes:
                return ""
            found = sorted(c for c in codes if c.startswith(prefix.upper()))
            if found:
                return found[0]
        return None


def _comments(text: str) -> list[tuple[int, str]]:
    if "#" not in text:
        return []
    try:
        return [
            (tok.start[0], tok.string)
            for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Newer syntax than this interpreter's tokenizer knows: fall back to a line scan.
        return [(n, line[line.index("#") :]) for n, line in enumerate(text.splitlines(), 1) if "#" in line]


@dataclass(frozen=True)
class Option:
    """A per-codemod configuration key (``[tool.codemod.<id>] <name> = ...``)."""

    default: Any
    help: str
    #: The Python type every value must have (list items are checked one by one).
    kind: type = str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileContext:
    """What a codemod instance knows about the file it transforms. Read-only."""

    path: Path | None
    module: ModuleInfo | None
    options: Options
    project: ProjectFacts
    #: The suppression comments of :attr:`source`, by its line numbers.
    suppressions: Suppressions
    #: This codemod's input: the file as read, or as the codemods before it left it.
    source: str
    #: The engine's ``ast`` memo: read :attr:`source` with ``trees.parse`` (never ``ast.parse``),
    #: so that the prefilter, the printer and every codemod share one tree of each text.
    trees: Trees
    #: Set for a re-run restricted to some of the changes (interactive review): whether a
    #: change that would be applied is (see :mod:`codemods.selection`).
    decide: Callable[[Change], bool] | None = None

    def with_source(self, source: str) -> FileContext:
        """The context for the next codemod after an earlier one changed the code: its line
        numbers are those of ``source``, so the suppression comments are scanned again."""
        if source == self.source:
            return self
        return replace(self, source=source, suppressions=Suppressions.scan(source))


class Codemod:
    """Base class of every codemod's ``Command``.

    Subclasses set the class attributes and implement :meth:`transform`. Every edit goes through
    :meth:`report`, which records the change and says whether to apply it (safety, suppression
    comments, ``--unsafe-fixes``); sites deliberately left alone go through :meth:`skip`.
    """

    #: Codemod id; set by the registry from the package name (``hoist_imports`` -> ``hoist-imports``).
    ID: ClassVar[str] = ""
    #: Runs without ``--select``.
    DEFAULT_ON: ClassVar[bool] = True
    #: Shown by ``codemod list``: safe, sometimes unsafe, unsafe or display-only.
    FIX_SAFETY: ClassVar[str] = "safe"
    #: Textual prefilter over the decoded source; files without a match are never parsed.
    TRIGGER: ClassVar[re.Pattern[str] | None] = None
    OPTIONS: ClassVar[Mapping[str, Option]] = {}
    #: Set on the class by the registry: the module docstring.
    DOC: ClassVar[str] = ""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.changes: list[Change] = []
        self.skips: list[Skip] = []
        #: Set when a decision read files outside the run (not in the facts the result cache is
        #: keyed by): the file's result is then never cached.
        self.volatile = False

    # -- what subclasses implement -------------------------------------------------------------

    def transform(self, module: cst.Module) -> cst.Module:
        raise NotImplementedError

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> Any:
        """Per-file, read-only facts for the gather phase (must be picklable). Optional."""
        return None

    @classmethod
    def combine(cls, per_module: Mapping[str, Any], project: ProjectFacts) -> Any:
        """Fold the per-module results of :meth:`gather` into this codemod's project facts."""
        return per_module

    @classmethod
    def may_change(cls, tree: ast.Module) -> bool:
        """The second, exact-enough prefilter, run on the gather phase's ``ast`` tree: False
        only when :meth:`transform` on this file would neither change nor skip anything, so
        the file need not be parsed with libcst. Must over-approximate; the default defers to
        :attr:`TRIGGER` alone."""
        return True

    @classmethod
    def has_gather(cls) -> bool:
        return cls.gather.__func__ is not Codemod.gather.__func__  # type: ignore[attr-defined]

    # -- helpers --------------------------------------------------------------------------------

    @property
    def facts(self) -> Any:
        return self.context.project.codemod_facts.get(self.ID)

    def option(self, name: str) -> Any:
        return self.context.options.option(self.ID, name, self.OPTIONS[name].default)

    def wrap(self, module: cst.Module) -> MetadataWrapper:
        """Metadata for ``module`` without libcst's defensive deep copy (we never reuse trees)."""
        return Wrapper(module)

    def suppressed(self, line: int, end_line: int | None = None) -> bool:
        lines = range(line, (end_line or line) + 1)
        return self.context.suppressions.skips(self.ID, lines)

    def report(
        self,
        line: int,
        message: str,
        fix_title: str,
        safety: Safety = Safety.SAFE,
        end_line: int | None = None,
    ) -> bool:
        """Record a change at ``line``; return True when the codemod should apply it."""
        if self.suppressed(line, end_line):
            self.skip(line, SUPPRESSED)
            return False
        if safety is Safety.SAFE:
            apply = True
        elif safety is Safety.UNSAFE:
            apply = self.context.options.unsafe_fixes
        else:
            apply = False
        change = Change(line, self.ID, message, fix_title, safety, apply)
        if apply and self.context.decide is not None and not self.context.decide(change):
            change = replace(change, applied=False)
        self.changes.append(change)
        return change.applied

    def skip(self, line: int, reason: str) -> None:
        self.skips.append(Skip(line, self.ID, reason))
