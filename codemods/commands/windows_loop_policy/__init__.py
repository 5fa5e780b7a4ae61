"""Set the Windows Proactor event loop explicitly at a server's entry point (opt-in).

## What it does
Only when selected (`--select windows-loop-policy`, or `select` in `[tool.codemod]`). At each
entry point — a `uvicorn.run(...)` or `asyncio.run(...)` call in the module's
`if __name__ == "__main__":` block, or, when no such block has one, in a module-level function
or statement — it inserts, directly before the call:

```python
if sys.platform == "win32" and sys.version_info < (3, 14):
    asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
```

adding `import sys` / `import asyncio` when missing. For `asyncio.run(main())` with a target
Python of 3.12 or later it passes the loop instead, which Python 3.16 still supports:
`asyncio.run(main(), loop_factory=asyncio.ProactorEventLoop if sys.platform == "win32" else None)`.

A module that only defines an app which uvicorn imports (`uvicorn main:app`) gets nothing: the
skip report says why.

## Why is this bad?
It mostly is not, which is why this is opt-in: the MetaGuardian crash report asked for a
Windows event loop policy, but `ProactorEventLoop` has been the Windows default since Python
3.8 and Python 3.13 changed nothing about it. What the codemod guarantees is that, if you want
the choice written down, it is written where it takes effect and never where it fails later:
- a policy set in a module uvicorn imports does nothing (the loop exists already);
- uvicorn >= 0.36 creates its own loop from `--loop`/`loop=` and ignores the policy unless
  `loop="none"` (it picks `ProactorEventLoop` on Windows, `SelectorEventLoop` with `--reload`
  or `--workers`);
- the policy API is deprecated in Python 3.14 and removed in 3.16, where an unguarded
  `asyncio.WindowsProactorEventLoopPolicy()` raises `AttributeError` at import;
- forcing Proactor under `--reload`/`--workers` on an old uvicorn brings back `WinError 87`,
  and psycopg 3's async driver refuses `ProactorEventLoop`.

## Example
```python
import uvicorn

if __name__ == "__main__":
    uvicorn.run("main:app", port=8000)
```

Use instead:
```python
import asyncio
import sys

import uvicorn

if __name__ == "__main__":
    if sys.platform == "win32" and sys.version_info < (3, 14):
        asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
    uvicorn.run("main:app", port=8000)
```

## Fix safety
Off Windows the guard is false, and from Python 3.14 on it is false everywhere; on Windows it
selects the default loop, so the insert is safe — unless something else chose a policy. It is
skipped when the file already sets a policy (outside such a guard), when a first-party module it
imports sets one at import time (the insert would override it), when `sys`/`asyncio` name
something else, and, for `uvicorn.run`, when the target Python is 3.14 or later (use
`--loop`). It is unsafe when a module it imports could not be analysed. An existing guard right
before the call, or an existing `loop_factory=`, is recognised and left alone.

## Options
None. `target-version` decides between the guard (below 3.12, or unknown) and `loop_factory=`.

## References
- [asyncio platform support: Windows](https://docs.python.org/3/library/asyncio-platforms.html#windows)
- [gh-127949: deprecate the asyncio policy system](https://github.com/python/cpython/issues/127949)
- [uvicorn: event loop (`--loop`)](https://www.uvicorn.org/concepts/event-loop/)
- [uvicorn #2435: no longer sets event loop policies (0.36.0)](https://github.com/Kludex/uvicorn/pull/2435)
- `docs/event-loop-policy.md` in this repository: what the insert does on each Python and uvicorn version
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import libcst as cst

from ...astkit.names import this_module
from ...base import Codemod
from ...imports.style import style_for
from ...io import decode_source
from ...project import ModuleInfo, ProjectFacts
from ...readfile import read_regular
from ...types import Safety
from .._loop_policy.analysis import GUARD, LOOP_FACTORY, RunCall, analyse_policy
from .._loop_policy.edit import PolicyEdits, apply_policy_edits

UVICORN_NOTE = (
    'uvicorn >= 0.36 creates its own loop and ignores the policy unless `loop="none"` '
    "(choose the loop with `--loop`)"
)
NOT_HERE = (
    "no `uvicorn.run`/`asyncio.run` entry point in this module: a policy set in a module that "
    "uvicorn imports (`uvicorn main:app`) does nothing, the loop already exists; and uvicorn >= 0.36 "
    "chooses the loop itself (`--loop`)"
)


class Command(Codemod):
    DEFAULT_ON = False
    FIX_SAFETY = "sometimes unsafe"
    TRIGGER = re.compile(r"\brun\b|FastAPI|Starlette")

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> tuple[int, ...]:
        """Lines where the module sets an event loop policy while being imported."""
        try:
            text, _ = decode_source(read_regular(module.path))
        except (OSError, UnicodeError, SyntaxError, ValueError):
            text = "set_event_loop_policy"
        if "set_event_loop_policy" not in text:
            return ()
        return analyse_policy(tree, module, text).import_time_setters

    @classmethod
    def combine(
        cls, per_module: Mapping[str, Any], project: ProjectFacts
    ) -> dict[str, tuple[int, ...]]:
        return {name: lines for name, lines in per_module.items() if lines}

    def transform(self, module: cst.Module) -> cst.Module:
        code = module.code
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return module
        analysis = analyse_policy(tree, self.context.module, code)
        if not analysis.runs:
            if analysis.creates_app:
                self.skip(1, NOT_HERE)
            return module
        setters = [
            u.line for u in analysis.uses if any("set_event_loop_policy" in n for n in u.names)
        ]
        safety, reason = self._others()
        edits = PolicyEdits()
        for run in analysis.runs:
            if run.guarded or run.has_loop_factory:
                continue
            if setters:
                self.skip(
                    run.line, f"the file already sets an event loop policy (line {setters[0]})"
                )
                continue
            if reason:
                self.skip(run.line, reason)
                continue
            if analysis.sys_ok is None or analysis.asyncio_ok is None:
                self.skip(run.line, "`sys` or `asyncio` is bound to something else in this module")
                continue
            if not self._one(run, safety, edits):
                continue
            for name, ok in (("sys", analysis.sys_ok), ("asyncio", analysis.asyncio_ok)):
                if not ok:
                    edits.imports.add(name)
        if not (edits.insert_before or edits.keywords):
            return module
        return apply_policy_edits(module, edits, style_for(self.context))

    def _others(self) -> tuple[Safety, str | None]:
        """Does an imported first-party module set a policy of its own at import time?"""
        me = this_module(self.context.module)
        safety = Safety.SAFE
        for other, lines in sorted((self.facts or {}).items()):
            if other == me:
                continue
            reached = self.context.project.reaches(me, other)
            if reached:
                return (
                    safety,
                    f"`{other}` sets an event loop policy when imported (line {lines[0]}); the insert would override it",
                )
            if reached is None:
                safety = Safety.UNSAFE
        return safety, None

    def _one(self, run: RunCall, safety: Safety, edits: PolicyEdits) -> bool:
        target = self.context.options.target_version
        unsafe_note = (
            " (a module it imports could not be analysed and may set a policy itself)"
            if safety is Safety.UNSAFE
            else ""
        )
        if run.kind == "asyncio" and target is not None and tuple(target) >= (3, 12):
            message = (
                f"`{run.callee}(...)` entry point: pass the Windows loop as `loop_factory=` "
                "(Python >= 3.12; event loop policies are deprecated in 3.14 and removed in 3.16)"
            )
            if self.report(
                run.line, message + unsafe_note, "Add `loop_factory=` to the call", safety
            ):
                edits.keywords[(run.call_line, run.callee)] = ("loop_factory", LOOP_FACTORY)
                return True
            return False
        if run.kind == "uvicorn" and target is not None and tuple(target) >= (3, 14):
            self.skip(
                run.line,
                f"the target Python is >= 3.14, where the policy API is deprecated; {UVICORN_NOTE}",
            )
            return False
        message = (
            f"`{run.callee}(...)` entry point: select the Windows Proactor event loop explicitly, "
            "guarded so it stops before Python 3.14 deprecates the policy API (it is the Windows "
            "default since 3.8)"
        )
        if run.kind == "uvicorn":
            message += f"; {UVICORN_NOTE}"
        if self.report(
            run.line,
            message + unsafe_note,
            "Insert a guarded `set_event_loop_policy` before the call",
            safety,
        ):
            edits.insert_before.setdefault(run.line, []).append(GUARD)
            return True
        return False
