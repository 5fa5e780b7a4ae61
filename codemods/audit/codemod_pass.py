"""Run the real codemods over each file, write nothing, and keep what they would fix or skip.

The audit never re-implements a codemod's rules: a finding says "the `hoist-imports` codemod
fixes this" only when that codemod, run on the original file, reported a change on that line.
Each codemod runs on its own on the original text, so every line number is a line of the file.
Codemods that are not installed are simply absent from the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import registry
from ..astkit.asts import Trees
from ..base import Codemod
from ..engine import TransformError, transform_source
from ..io import SourceError, read_source
from ..project import ProjectFacts
from ..types import Options, Safety

#: The codemods whose results feed the audit, when installed. ``windows-loop-policy`` is left
#: out on purpose: a missing Windows policy is not a finding (domain facts D and F).
AUDIT_CODEMODS: tuple[str, ...] = (
    "hoist-imports",
    "dedupe-imports",
    "wrap-blocking-calls",
    "lifespan",
    "event-loop-policy",
)


@dataclass(frozen=True)
class CodemodSite:
    """A change a codemod would make, or a site it recognised and left alone."""

    codemod: str
    line: int
    #: ``change`` or ``skip``.
    kind: str
    #: The change's message, or the skip's reason.
    message: str
    fix_title: str = ""
    safety: Safety | None = None

    def fix_text(self) -> str:
        """How running the codemod fixes this, for the report's fix column."""
        if self.safety is Safety.SAFE:
            return f"`{self.codemod}` codemod"
        if self.safety is Safety.UNSAFE:
            return f"`{self.codemod}` codemod with `--unsafe-fixes`"
        return f"by hand ({self.codemod}: {self.fix_title or self.message})"


@dataclass(frozen=True)
class PassResult:
    #: resolved path -> sites, in line order
    sites: dict[str, tuple[CodemodSite, ...]]
    #: resolved path -> why the file could not be processed
    failures: dict[str, str]
    #: ids of the codemods that ran
    ran: tuple[str, ...]


def available_codemods(ids: Iterable[str] = AUDIT_CODEMODS) -> list[type[Codemod]]:
    known = registry.all_codemods()
    return [known[i] for i in ids if i in known]


def run_codemods(
    files: Sequence[Path],
    codemods: Sequence[type[Codemod]],
    options: Options,
    project: ProjectFacts,
    trees: Trees | None = None,
) -> PassResult:
    """Each codemod on each file, separately, nothing written, unsafe fixes not applied
    (``trees``: the audit's ``ast`` memo, so that each text is read once by all of them)."""
    trees = Trees() if trees is None else trees
    sites: dict[str, tuple[CodemodSite, ...]] = {}
    failures: dict[str, str] = {}
    for path in files:
        key = str(path.resolve())
        try:
            _, text, _ = read_source(path)
        except SourceError as exc:
            failures[key] = f"{exc.stage} error: {exc.message}"
            continue
        found: list[CodemodSite] = []
        for codemod in codemods:
            try:
                result = transform_source(text, [codemod], options, project, path, trees=trees)
            except TransformError as exc:
                failures.setdefault(key, exc.failure.describe())
                if exc.failure.stage == "parse":
                    break
                continue
            found.extend(
                CodemodSite(c.codemod, c.line, "change", c.message, c.fix_title, c.safety)
                for c in result.changes
            )
            found.extend(CodemodSite(s.codemod, s.line, "skip", s.reason) for s in result.skips)
        sites[key] = tuple(sorted(found, key=lambda s: (s.line, s.codemod, s.kind, s.message)))
    return PassResult(sites, failures, tuple(c.ID for c in codemods))
