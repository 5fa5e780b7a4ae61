"""Move imports at the top of a function body to the module's import block.

## What it does
Finds `import` statements that sit alone on a line at the top level of a function body (sync or
`async def`, methods and nested functions included) and moves them to the module's import
block: after the docstring, the `from __future__` imports and the last import of the module's
leading block of imports and setup statements, so never above a `sys.path.insert(...)` or an
event-loop-policy line that precedes an existing import. Where ruff would report an import there
as not at the top of the file (`E402`, after `VERSION = "1.2"`), it goes just above the statement
that ends the top when everything from there down only binds literals or names or imports
(`VERSION = "1.2"`, `try: import cython`). Several functions importing the same
thing give one module-level import; a `from m import x` without comments is merged into the
module's existing `from m import ...` line; an import the module already has is simply removed
from the function. The same import twice in one function is one import: the first copy moves and
the repeats go with it, so `dedupe-imports` has nothing left to do there. Comment lines above
the import stay in the function (on the statement that follows, or above the `pass` a body left
empty gets): they usually describe the code below, or why the import is there. Only the comment
on the import's own line (`# type: ignore`, `# noqa: ...`) moves with it. When the module's
import block is sorted the way ruff's isort rules (`I001`) want it, each moved import goes to its
sorted place (section, then order) and a merged name to its place in the line; otherwise after
the block's last line. A merged `from` line that grows
past the line length (ruff's or black's `line-length`, default 88) is wrapped one name per line,
as ruff prints it. It is the fix for ruff's `PLC0415` (`import-outside-top-level`), which has no
autofix.

## Why is this bad?
An import inside a function runs when the function is first called, not when the module is
imported. A missing or broken dependency then surfaces only when that endpoint is hit, as an
HTTP 500 on every request to it (a failed import is retried, and logged, each time), while the
application starts and passes its health checks. Hoisted, the same failure stops the application
at startup (uvicorn exits with code 3), where deployment checks catch it. In an `async def`, a
first-call import runs the imported module's code on the event loop, stalling every other
request meanwhile.

This is hygiene and fail-fast behaviour, not a crash fix: a failing import inside an endpoint
does not crash a uvicorn server (it answers 500 and keeps serving), and nothing about it is
specific to Windows or Python 3.13. A cached function-level import costs about 180 ns per call:
moving it is not a speed-up either.

## Example
```python
async def review_queue(db: Session = Depends(get_db)):
    from review_queue import ReviewQueueManager
    return ReviewQueueManager(db).pending()
```

Use instead:
```python
from review_queue import ReviewQueueManager


async def review_queue(db: Session = Depends(get_db)):
    return ReviewQueueManager(db).pending()
```

## Fix safety
Hoisting changes *when* the import runs, which is the point. Each import is left alone, with a
reason in the skip report (`--show-skips`), wherever that is not provably harmless:
- imports under `if`, `with`, `for`, `while`, `match`, `except`, `else` or `finally` in the
  function, under `if TYPE_CHECKING`, in class bodies (they are class attributes), in functions
  that are themselves defined under a condition (`if sys.platform == "win32": def ...`), and
  imports sharing their line with other statements;
- a `try` whose handlers catch `ImportError`/`ModuleNotFoundError` (also in a tuple, or as
  `builtins.X`), `BaseException` or everything (bare `except:`), or whose body holds only
  imports: an optional dependency;
- a name with another binding in the function (parameter, assignment, `del`, loop, `with`,
  `except`, `match` or walrus target, nested `def`/`class`), declared `nonlocal`, used in the
  function before the import, or bound in an enclosing function; a name bound to something else
  at module level (including under module-level `if`/`try` or `if TYPE_CHECKING`), or that would
  shadow a builtin (`from os import open`), or that a module-level star import may bind; two
  functions importing different things under one name (`global x` then `import x` is fine);
- a name that, once a module-level import, pyflakes (ruff `F`) would report: a `for` target of
  that name in another function or class shadows it (`F402`); an import never used in its
  function would be redefined by any binding of the name in another function (`F811`);
- an import whose name is never used in the function, standard library included: it is there
  for its side effects (plugin registration, monkey-patching; `import this` prints the Zen of
  Python, `import antigravity` opens a browser), which would then happen at import time. An
  unused copy of an import the module's import block already has is simply removed;
- an import with a comment on its line, directly above it, above the run of imports it belongs
  to, or on the `def`/`try` line starting that run, that says it is local on purpose (lazy,
  deferred, "import here", avoid/prevent importing, circular, import cycle, start-up time,
  import time, optional dependency/import, a heavy/slow import, importing ... is
  cheap/slow/expensive, `import-outside-toplevel`): the reason quotes it. A comment about the
  code ("slow path for huge files", "avoid loading the whole file") holds nothing;
- a name the module imports only under `if TYPE_CHECKING`: its run-time import is deferred on
  purpose (typically against an import cycle);
- a third-party import whose distribution the file's *component* (the nearest directory with
  `pyproject.toml`, `setup.py`/`setup.cfg`, `requirements*.txt` or a `Pipfile`) does not declare
  as a required, unconditional dependency: declared only under an extra
  (`[project.optional-dependencies]`, `extras_require`), in a dependency group or a
  `requirements-dev.txt`, with an environment marker, not at all, or with no declarations found
  (then nothing is known). A function-level import of such a module is the optional-dependency
  pattern: at module level, the module would fail to import wherever it is not installed. A
  package the module already imports unconditionally at module level needs no declaration;
- `from m import X` where the function compares `X` with `None` (a module global set at run
  time, such as a middleware's `BABEL`), or where `m` is a module of the project whose
  functions declare `global X`: inside the function the import reads the current value on each
  call, at module level it would bind the first one for good;
- first-party imports (relative, or of a module of the analysed project) of a module that no
  file of the project answers (a deleted module, a typo) or that two files answer (`src/app`
  and `app`: it depends on how the program is run), or of another component's module that
  this component does not require;
- first-party imports where the import graph shows the imported module (transitively) imports
  this one, so the deferred import breaks an import cycle; where function-level imports of other
  modules, hoisted too, would close a cycle; or where that cannot be proven (a module could not
  be analysed, or this file's module name is unknown, as for stdin). The graph follows what
  each import statement resolves to, namespace packages (no `__init__.py`) included;
- platform-only modules (`winreg`, `msvcrt`, `fcntl`, `termios`, `resource`, `pwd`, `uvloop`, ...),
  standard-library modules a CPython build leaves out when a library is missing (`tkinter`,
  `turtle`, `idlelib`, `sqlite3`, `lzma`, `bz2`, `ctypes`, `ssl`, `zlib`, `gzip`, `ensurepip`,
  `readline`, `curses`, `dbm.gnu`, `dbm.ndbm`, `compression.zstd` and their `_` modules: the
  table of CPython's "Requirements for optional modules"; and `dbm.sqlite3`, `compression.gzip`,
  `compression.bz2`, `compression.lzma`, `compression.zlib`, which import one), standard-library modules removed in
  Python 3.12 (`asyncore`, `asynchat`, `smtpd`, `distutils`, `imp`) or 3.13 (PEP 594, and
  `lib2to3`), whatever Python runs the tool, modules in `keep-lazy`, star and `__future__` imports;
- imports that follow a statement of the function touching import state (`sys.path`,
  `sys.modules`, `os.environ`, `importlib`, `site.addsitedir`, `django.setup()`,
  `matplotlib.use(...)`, `patch_all()`), and all imports of a module that changes such state at
  module level below its import block (a late `sys.path.insert(...)`); an import held only by
  an earlier import of the function (`import importlib.metadata`) moves when that one moves,
  and after it;
- every import of a module where the hoisted line would get an `E402` and cannot go higher: a
  statement that ends ruff's top of file (a call such as `logging.basicConfig()`, an
  event-loop-policy line) comes before an import, and a call, `with` or `sys.path` change lies
  between it and the module's last import;
- an import the module already has, but only further down (often a deliberate cycle breaker).
  When that module-level import is above the function and the statement imports more names,
  the rest moves and the repeated name is dropped from it (the module-level import binds it
  whenever the function runs);
- lines marked `# noqa: PLC0415` (or a bare `# noqa`), `# noqa: F811` (the re-import is
  intended; `dedupe-imports` keeps those lines too) or `# codemod: skip`;
- every copy of an import the function makes more than once, as soon as one copy stays (for any
  reason above): that copy keeps the name local to the function, so the function would read it
  unbound before reaching that copy. Only a later identical copy directly in the function body,
  with nothing else binding the name in between, never holds the others: it re-binds the same
  object, so it goes with the first copy, and when its statement stays for its other names, just
  the repeated name is removed from it.

A first-party import of a module whose import *does something* is hoisted only as an **unsafe**
fix, whose message names the effect and where it is ("importing `app.settings` runs
`Settings()` (app/settings.py:12)"): hoisted, that effect would run whenever the importing
module is imported (a CLI's `--help` failing on a missing setting, test collection registering
production plugins, an import ending the process). An effect is any module-level statement that
is not provably pure: a call other than known-pure ones (`logging.getLogger`, `TypeVar`,
`APIRouter()`, `Depends(...)`, `Column(...)`, `re.compile`, ..., and methods of objects the
module creates itself with a known constructor or a literal, such as `@router.get("/x")` on
`router = APIRouter()`; not of `out = sys.stdout`), a decorator other than known-pure ones
(`@register` and `@atexit.register` are calls; `@property`, `@dataclass`, `@lru_cache` are
not), a class based on anything but `object`, builtins, `typing`/`enum`/`abc` classes, a few
library bases (pydantic `BaseModel`, SQLAlchemy `DeclarativeBase`, Starlette responses...) or
a pure class or own object of the module (a project base may have `__init_subclass__` or a
metaclass), a read of `os.environ`/`os.getenv`/`sys.argv`, `raise`, `assert`, `while`, a
Django model class; followed through the first-party modules it imports at import time (the
standard library and third-party packages count as effect-free), unless the importing module
surely imports that module itself (at module level or in a class body; not under `if`,
`if __name__ == "__main__":` included, `try`, `with` or a loop). A module that could not be
analysed counts as having effects.

An import at the top of a `try` used for general error handling (`except Exception:` around the
whole handler) is hoisted as an **unsafe** fix: an import failure no longer reaches that
handler; it stops the application at startup instead. Its copies in the same function move with
it, so they are unsafe fixes too.

An import that follows a statement of its function with possible effects is an **unsafe** fix
too (hoisted, it runs before that statement, at import time: a test that patches
`builtins.open` and then imports). Only these statements are known to have none: a docstring,
other imports, `global`/`nonlocal`, `pass`, a bare string or `...`, and assignments of literals,
names, or tuples/lists/sets/dicts of those to plain names (`x = 1`, `y: int = z`). Anything else
counts: calls, attribute or subscript assignments, augmented assignments, f-strings, and every
compound statement (`if`, `with`, `for`, `def`, ...).

## Options
- `keep-lazy` (list of module names; default `torch`, `tensorflow`, `jax`, `pandas`,
  `matplotlib`, `scipy`, `sklearn`, `transformers`, `cv2`, `spacy`, `nltk`): modules deferred on
  purpose because they are expensive to import. A name also covers its submodules; setting the
  option replaces the default list.
- `exclude-fixtures-and-migrations` (bool; default `true`): leave alone `conftest.py` files,
  pytest fixtures (`@pytest.fixture`, `@fixture`, with the functions nested in them), Alembic
  revisions (a `versions/` directory next to an `env.py`, or a file assigning `down_revision`)
  and Django migrations (a `migrations/` directory, `class Migration`). Imports in test set-up
  usually come after environment set-up on purpose, and migrations are frozen history that every
  migration command loads. Each is reported as a skip; `false` hoists there too.

## References
- [ruff `PLC0415` import-outside-top-level](https://docs.astral.sh/ruff/rules/import-outside-top-level/)
- [PEP 8: Imports](https://peps.python.org/pep-0008/#imports)
- [PEP 594: Removing dead batteries from the standard library](https://peps.python.org/pep-0594/)
- [PEP 810: Explicit lazy imports](https://peps.python.org/pep-0810/)
- [CPython: Requirements for optional modules](https://docs.python.org/3/using/configure.html#requirements-for-optional-modules)
- [uvicorn release notes (0.50.0: exit code 3 when startup fails)](https://www.uvicorn.org/release-notes/)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import libcst as cst

from ...astkit import astnodes
from ...astkit.candidates import imports_below_module_level
from ...base import Codemod, Option
from ...imports.style import style_for
from ...project import ModuleInfo, ProjectFacts, imported_names
from ...types import Safety
from .analysis import Planner
from .candidate import Candidate
from .edits import Move, apply_edits, plan_edits
from .excluded import OPTION, excluded_file, fixture_functions, fixture_reason

DEFAULT_KEEP_LAZY = (
    "torch", "tensorflow", "jax", "pandas", "matplotlib", "scipy", "sklearn", "transformers",
    "cv2", "spacy", "nltk",
)  # fmt: skip


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "sometimes unsafe"
    #: An import statement starting an indented line: the only kind this codemod moves.
    TRIGGER = re.compile(r"^[ \t\f]+(?:import[ \t\f\\]|from[ \t\f\\.])", re.M)
    may_change = staticmethod(imports_below_module_level)
    OPTIONS: ClassVar[dict[str, Option]] = {
        "keep-lazy": Option(DEFAULT_KEEP_LAZY, "modules deferred on purpose (never hoisted)", list),
        OPTION: Option(True, "leave conftest.py, pytest fixtures and migrations alone", bool),
    }

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> tuple[str, ...]:
        """Every module a function-level import of this file may load if it were hoisted (the
        imports at the top of a function body, or of a ``try`` there)."""
        found: list[str] = []
        for node in astnodes.nodes(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = list(node.body)
                for stmt in node.body:
                    if isinstance(stmt, ast.Try | ast.TryStar):
                        body.extend(stmt.body)
                for stmt in body:
                    if isinstance(stmt, ast.Import | ast.ImportFrom):
                        found.extend(imported_names(stmt, module))
        return tuple(dict.fromkeys(found))

    @classmethod
    def combine(
        cls, per_module: Mapping[str, Any], project: ProjectFacts
    ) -> dict[str, frozenset[str]]:
        """module -> the first-party modules (and their parent packages) it would import."""
        graph: dict[str, frozenset[str]] = {}
        for name, loads in per_module.items():
            edges: set[str] = set()
            for load in loads:
                parts = load.split(".")
                edges.update(
                    c
                    for i in range(1, len(parts) + 1)
                    if (c := project.canonical(".".join(parts[:i]))) is not None and c in project.modules
                )
            edges.discard(name)
            if edges:
                graph[name] = frozenset(edges)
        return graph

    def transform(self, module: cst.Module) -> cst.Module:
        excluding = bool(self.option(OPTION))
        if excluding and (why := excluded_file(self.context.path, module)) is not None:
            self.skip(1, why)
            return module
        fixtures = fixture_functions(module, self.context.source) if excluding else {}
        facts = self.facts if isinstance(self.facts, Mapping) else None
        planner = Planner(self, module, tuple(self.option("keep-lazy")), facts)
        moves: list[Candidate] = []
        for c in planner.plan():
            if c.fn in fixtures:
                self.skip(c.line, fixture_reason(fixtures[c.fn]))
                continue
            blocked = [(o, name) for o, name in c.needs if not o.applied]
            if blocked:
                outer, name = blocked[0]
                self.skip(
                    c.line, f"`{name}` is also bound in the enclosing function `{outer.function}`"
                )
                continue
            held = next((why for o, why in c.after if not o.applied), None)
            if held is not None:
                self.skip(c.line, held)
                continue
            stays = next((o for o in c.echoes.values() if not o.applied), None)
            if c.pure_echo and stays is not None:
                self.skip(c.line, f"its copy at line {stays.line} stays in function `{c.function}`")
                continue
            already = all(planner.in_prelude(b) for b in c.moving or c.bindings)
            copied = [o for o in c.copies if o.applied]
            covered = all(
                planner.in_prelude(b) or any(b.satisfied_by(d) for o in copied for d in o.bindings)
                for b in c.moving
            )
            message = f"Import {_describe(c)} inside function `{c.function}`"
            if already:
                message += " (already imported at module level)"
                title = "Remove the import: the module already has it"
            elif copied and covered:
                message += f" (a copy of line {copied[0].line}, which moves to module level)"
                title = "Remove the import: its copy moves to the top of the module"
            else:
                message += " (moved to module level)"
                title = "Move import to the top of the module"
            if c.covered:
                names = ", ".join(f"`{c.bindings[i].bound}`" for i in c.covered)
                line = min(c.covered.values())
                message += (
                    f"; {names} is dropped: the module imports it above the function (line {line})"
                )
            if c.unsafe_reason is not None:
                message += f"; {c.unsafe_reason}"
            safety = Safety.UNSAFE if c.unsafe_reason is not None else Safety.SAFE
            if self.report(c.line, message, title, safety, end_line=c.end_line):
                c.applied = True
                moves.append(c)
        stripped = self._strip(planner.candidates)
        if not moves and not stripped:
            return module
        ordered = [
            Move(c.stmt, c.imp, c.bindings, frozenset([*c.echoes, *c.covered]), after=bool(c.after))
            for c in sorted(moves, key=lambda c: c.line)
        ]
        plan = plan_edits(
            module, planner.insertion, planner.prelude, ordered, style_for(self.context)
        )
        plan.stripped.update(stripped)
        return apply_edits(module, plan)

    def _strip(self, candidates: list[Candidate]) -> dict[int, list[int]]:
        """Remove the aliases of statements that stay in their function but repeat a copy that
        moved: left there, they would keep the name local (``copies``)."""
        stripped: dict[int, list[int]] = {}
        for c in candidates:
            gone = [i for i in c.strip if c.echoes[i].applied]
            if not gone:
                continue
            names = ", ".join(f"`{c.bindings[i].bound}`" for i in gone)
            first = c.echoes[gone[0]].line
            message = (
                f"Import of {names} inside function `{c.function}` repeats line {first}, "
                "which moves to module level; the rest of the statement stays"
            )
            title = "Remove the repeated name from the import"
            if self.report(c.line, message, title, end_line=c.end_line):
                stripped[id(c.stmt)] = [i for i in range(len(c.bindings)) if i not in gone]
        return stripped


def _describe(c: Candidate) -> str:
    shown = c.moving or c.bindings  # an alias repeating an earlier copy is dropped, not moved
    first = shown[0]
    if first.kind == "import":
        return ", ".join(f"`{b.module}{f' as {b.asname}' if b.asname else ''}`" for b in shown)
    names = ", ".join(f"`{b.name}{f' as {b.asname}' if b.asname else ''}`" for b in shown)
    return f"{names} from `{first.module}`"
