"""The audit's value types: risk levels, categories, findings and the report.

Everything here is a frozen, picklable dataclass; renderers read these and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Risk(enum.Enum):
    """How urgent a finding is. ``INFO`` marks what was looked at and is fine (a deliberate
    function-level import, say); it is listed for completeness and never fails ``--fail-on``."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1, "info": 0}[self.value]

    @classmethod
    def parse(cls, text: str) -> Risk:
        return cls(text.lower())


@dataclass(frozen=True)
class Category:
    """A group of findings with one heading in the report."""

    id: str
    title: str
    #: What fixes this kind of finding when no codemod does.
    manual: str


#: Every category, in the order the report's sections appear when their risks tie.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "missing-module",
        "Imports that fail in this environment",
        "install the distribution (and declare it), or guard the import as optional",
    ),
    Category(
        "undeclared-dependency",
        "Third-party imports the project does not declare",
        "add the distribution to the project's requirements",
    ),
    Category(
        "removed-stdlib",
        "Standard-library modules removed in Python 3.12/3.13",
        "replace the module (PEP 594 lists replacements) or vendor it",
    ),
    Category(
        "stdlib-shadowing",
        "Local files that shadow a standard-library module",
        "rename the file",
    ),
    Category(
        "event-handler",
        "Startup/shutdown handlers",
        "move the handlers into the lifespan",
    ),
    Category(
        "env-var",
        "Environment variables read without a default or a startup check",
        "check them at startup, or give them a default",
    ),
    Category(
        "blocking-call",
        "Blocking calls in async code",
        "run the call in a thread (`await run_in_threadpool(f, ...)`) or use an async client",
    ),
    Category(
        "loop-policy",
        "Event-loop policy use",
        "remove it, or pass `loop_factory=` to `asyncio.run`/`asyncio.Runner`",
    ),
    Category(
        "import-time-work",
        "Work done at import time",
        "move it into the lifespan",
    ),
    Category(
        "function-import",
        "Function-level imports",
        "move the import to the top of the module",
    ),
    Category(
        "duplicate-import",
        "Duplicate imports",
        "delete the repeated import",
    ),
)

CATEGORY_BY_ID: dict[str, Category] = {c.id: c for c in CATEGORIES}


def category(category_id: str) -> Category:
    """The category ``category_id``; unknown ids (a codemod's own) get a generic one."""
    found = CATEGORY_BY_ID.get(category_id)
    if found is None:
        return Category(
            category_id,
            f"Reported by the `{category_id}` codemod",
            "see the codemod's documentation",
        )
    return found


@dataclass(frozen=True, order=True)
class Finding:
    """One thing the audit found, at one place."""

    #: Path relative to the audit root, ``/``-separated.
    path: str
    line: int
    category: str
    #: A finer-grained id inside the category (the SARIF rule id), e.g. ``function-import-hoistable``.
    rule: str
    risk: Risk = field(compare=False)
    #: What is there, e.g. "`from groq import AsyncGroq` inside `chat()`".
    message: str = field(compare=False)
    #: One line: why it matters (or why it is fine).
    why: str = field(compare=False)
    #: How to fix it: a codemod run, or the manual step.
    fix: str = field(compare=False)
    #: The codemod that fixes it, if one does.
    codemod: str | None = field(default=None, compare=False)
    #: The component the file belongs to (the nearest directory with dependency declarations):
    #: its root relative to the audit root, ``.`` for the root itself, ``(no component)``.
    component: str = field(default="", compare=False)


@dataclass(frozen=True)
class FileError:
    """A file the audit could not analyse."""

    path: str
    message: str


@dataclass(frozen=True)
class SummaryRow:
    category: Category
    counts: dict[Risk, int]
    fix: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def top(self) -> Risk:
        return max(
            (r for r, n in self.counts.items() if n), key=lambda r: r.rank, default=Risk.INFO
        )


@dataclass(frozen=True)
class CheckedEnvironment:
    """Which Python environment answered "is it installed?", as the report names it."""

    #: ``codemod`` (the interpreter running codemod), ``--python`` (the interpreter given with
    #: ``--python``) or ``described`` (an environment given as data, by the API or a test).
    origin: str
    #: ``major.minor.micro`` (``major.minor`` for a described environment).
    version: str
    executable: str | None = None

    def sentence(self) -> str:
        """How the Markdown header says it."""
        if self.origin == "described" or self.executable is None:
            return f"Installed modules were checked against a described Python {self.version} environment."
        where = f"Installed modules were looked up in the environment of `{self.executable}` (Python {self.version})"
        if self.origin == "--python":
            return where + ", given with `--python`."
        return (
            where + ", the interpreter running codemod, which may not be the app's: "
            "`--python PATH` checks the app's own interpreter."
        )

    def as_json(self) -> dict[str, str | None]:
        return {"origin": self.origin, "python": self.version, "executable": self.executable}


@dataclass(frozen=True)
class AuditReport:
    """Everything one audit found; rendered as Markdown, JSON or SARIF."""

    #: The audited path(s) as given, ``/``-separated.
    root: str
    #: ``major.minor`` of the Python whose environment answered "is it installed?" (see
    #: :attr:`environment`).
    python: str
    files: int
    findings: tuple[Finding, ...] = ()
    errors: tuple[FileError, ...] = ()
    #: Dependency declaration files of the audited files' components, relative to the root, sorted.
    declarations: tuple[str, ...] = ()
    #: The components of the audited files (as :attr:`Finding.component` names them), sorted.
    components: tuple[str, ...] = ()
    #: Short statements of fact printed under the summary ("not a cause" notes, limits).
    notes: tuple[str, ...] = ()
    #: The environment installed modules were looked up in (``None``: not said).
    environment: CheckedEnvironment | None = None

    def at_or_above(self, risk: Risk) -> list[Finding]:
        return [f for f in self.findings if f.risk.rank >= risk.rank and f.risk is not Risk.INFO]

    def summary(self) -> list[SummaryRow]:
        """One row per category that has findings, ranked by risk (then count)."""
        rows = []
        for cat in CATEGORIES + tuple(
            category(cid)
            for cid in sorted({f.category for f in self.findings} - set(CATEGORY_BY_ID))
        ):
            found = [f for f in self.findings if f.category == cat.id]
            if not found:
                continue
            counts = {risk: sum(1 for f in found if f.risk is risk) for risk in Risk}
            codemods = sorted({f.codemod for f in found if f.codemod and f.risk is not Risk.INFO})
            if codemods:
                fix = ", ".join(f"`{c}` codemod" for c in codemods)
                if any(f.codemod is None and f.risk is not Risk.INFO for f in found):
                    fix += "; the rest by hand: " + cat.manual
            elif all(f.risk is Risk.INFO for f in found):
                fix = "nothing to do"
            else:
                fix = "by hand: " + cat.manual
            rows.append(SummaryRow(cat, counts, fix))
        order = {c.id: i for i, c in enumerate(CATEGORIES)}
        rows.sort(
            key=lambda r: (
                -r.top.rank,
                -r.counts[r.top],
                order.get(r.category.id, len(order)),
                r.category.id,
            )
        )
        return rows
