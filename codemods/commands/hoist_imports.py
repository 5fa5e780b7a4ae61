"""Move imports at the top of a function body to the module's import block.

## What it does
Finds `import` statements that sit at the top level of a function body (sync or `async def`,
methods included) and moves them to the module's import block, after the docstring,
`from __future__` imports and the existing imports. If the module already has the identical
import, the function's copy is simply removed. It is the fix for ruff's `PLC0415`
(`import-outside-top-level`), which has no autofix.

## Why is this bad?
An import inside a function runs when the function is first called, not when the module is
imported. A missing or broken dependency then surfaces only when that endpoint is hit — as an
HTTP 500 on every request to it — while the application starts and passes its health checks.
Hoisted, the same failure stops the application at startup (uvicorn exits with code 3), where
deployment checks catch it. In an `async def`, the first call also runs the imported module's
code on the event loop, stalling every other request meanwhile.

This is hygiene and fail-fast behaviour, not a crash fix: a failing import inside an endpoint
does not crash a uvicorn server (it returns 500 and keeps serving), and nothing about it is
specific to Windows or Python 3.13.

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
Hoisting changes *when* the import runs, which is the point. It is left alone, with a reason in
the skip report (`--show-skips`), wherever that is not provably safe:
- imports under `if`, `with`, `for`, `while`, `match`, `except`, `else`, `finally`, under
  `if TYPE_CHECKING`, and in class bodies (they are class attributes);
- a `try` whose handlers catch `ImportError`/`ModuleNotFoundError` (or everything), or whose body
  holds only imports: an optional dependency;
- any name bound elsewhere in the function (parameter, assignment, loop/`with`/`except` target,
  `del`, `nonlocal`, nested definition), used before the import, bound in an enclosing function,
  or bound to something else at module level; two functions importing different things under one
  name;
- first-party imports where the project's import graph shows the imported module (transitively)
  imports this one — such a deferred import breaks an import cycle — or where that cannot be
  proven because a module could not be analysed;
- platform-only modules (`winreg`, `msvcrt`, `fcntl`, `termios`, `resource`, `pwd`, …), standard
  library modules removed in Python 3.13 (PEP 594), modules in `keep-lazy`, star imports, imports
  sharing a line with other statements, and imports that follow a statement they may depend on
  (`sys.path`, `os.environ`, `importlib`, `django.setup()`, `matplotlib.use()`, monkey-patching);
- lines marked `# noqa: PLC0415` or `# codemod: skip`.

An import at the top of a `try` used for general error handling (`except Exception:` around the
whole handler) is hoisted as an **unsafe** fix: an import failure no longer reaches that handler;
it stops the application at startup instead. Removing an already-imported copy that carries a
trailing comment would delete the comment, so that is unsafe too.

## Options
- `keep-lazy` (list of module names, default: `torch`, `tensorflow`, `jax`, `pandas`,
  `matplotlib`, `scipy`, `sklearn`, `transformers`, `cv2`, `spacy`, `nltk`): modules deferred on
  purpose because they are expensive to import; a name also covers its submodules.

## References
- [ruff `PLC0415` import-outside-top-level](https://docs.astral.sh/ruff/rules/import-outside-top-level/)
- [PEP 8: Imports](https://peps.python.org/pep-0008/#imports)
- [PEP 594: removed dead batteries](https://peps.python.org/pep-0594/)
- [PEP 810: explicit lazy imports](https://peps.python.org/pep-0810/)
"""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from ..base import Codemod, Option
from ..types import Safety
from ..visitors.hoisting import Candidate, Planner, insert_imports, remove_statements

DEFAULT_KEEP_LAZY = (
    "torch", "tensorflow", "jax", "pandas", "matplotlib", "scipy", "sklearn", "transformers",
    "cv2", "spacy", "nltk",
)  # fmt: skip


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "sometimes unsafe"
    TRIGGER = re.compile(r"^[ \t]+(?:import[ \t]+[\w.]|from[ \t]+[.\w]+[ \t]+import\b)", re.M)
    OPTIONS: ClassVar[dict[str, Option]] = {
        "keep-lazy": Option(DEFAULT_KEEP_LAZY, "modules deferred on purpose (never hoisted)", list),
    }

    def transform(self, module: cst.Module) -> cst.Module:
        planner = Planner(self, module, tuple(self.option("keep-lazy")))
        plan = planner.plan()
        moved: list[Candidate] = []
        dropped: list[Candidate] = []
        for candidate in plan.hoist:
            unsafe = candidate.unsafe_reason is not None
            message = f"Import `{candidate.code}` inside function `{candidate.function}`"
            if candidate.already_imported:
                comment = candidate.trailing_comment
                safety = Safety.UNSAFE if (unsafe or comment) else Safety.SAFE
                why = f" (already imported at module level{'; removing it deletes its comment' if comment else ''})"
                if candidate.unsafe_reason:
                    why += f"; {candidate.unsafe_reason}"
                if self.report(candidate.line, message + why, "Remove the function-level import", safety, candidate.end_line):
                    dropped.append(candidate)
            else:
                why = f" ({candidate.unsafe_reason})" if unsafe else ""
                safety = Safety.UNSAFE if unsafe else Safety.SAFE
                if self.report(candidate.line, message + why, "Move the import to the top of the module", safety, candidate.end_line):
                    moved.append(candidate)
        if not moved and not dropped:
            return module
        module = remove_statements(module, {c.stmt: c for c in [*moved, *dropped]}, moved_ids={id(c.stmt) for c in moved})
        return insert_imports(module, moved, planner.existing_runtime_imports())
