"""Report event loop policy uses: deprecated in Python 3.14, removed in 3.16.

## What it does
Reports every statement that uses the asyncio policy API — `asyncio.set_event_loop_policy()`,
`asyncio.get_event_loop_policy()`, `asyncio.WindowsSelectorEventLoopPolicy`,
`asyncio.WindowsProactorEventLoopPolicy`, `asyncio.DefaultEventLoopPolicy`,
`asyncio.AbstractEventLoopPolicy` — except inside an `if` guarded by
`sys.version_info < (3, 14)` (such as the one `windows-loop-policy` inserts), which never runs
where the API is deprecated.

Where the policy is set right before an `asyncio.run(...)` entry point, directly or under a
platform check (`if sys.platform == "win32":`), and the target Python is 3.12 or later, the
fix replaces the policy with the `loop_factory=` argument of `asyncio.run`:
`WindowsSelectorEventLoopPolicy` becomes `asyncio.SelectorEventLoop`,
`WindowsProactorEventLoopPolicy` becomes `asyncio.ProactorEventLoop`, a platform check becomes
`... if <check> else None`.

## Why is this bad?
Python 3.14 deprecates the whole policy system (gh-127949): each of these names warns, and
Python 3.16 removes them, so `asyncio.WindowsSelectorEventLoopPolicy()` then raises
`AttributeError` when the module is imported. The replacement is to pass the loop:
`asyncio.run(main(), loop_factory=...)` (3.12+) or `asyncio.Runner(loop_factory=...)` (3.11+);
under uvicorn, its `--loop` option (uvicorn >= 0.36 ignores policies anyway).

## Example
```python
import asyncio
import sys

if sys.platform == "win32":
    asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
asyncio.run(main())
```

Use instead:
```python
import asyncio
import sys

asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop if sys.platform == "win32" else None)
```

## Fix safety
The report is display-only. The `loop_factory=` fix is **unsafe**: a policy also decides the
loop of every other `asyncio.new_event_loop()`/`asyncio.run()` in the process (threads,
libraries), while `loop_factory` affects only this call; and it needs Python >= 3.12, so it is
offered only when `target-version` says so.

## Options
None. `target-version` (>= 3.12) enables the fix.

## References
- [gh-127949: deprecate the asyncio policy system](https://github.com/python/cpython/issues/127949)
- [`asyncio.run(..., loop_factory=...)`](https://docs.python.org/3/library/asyncio-runner.html#asyncio.run)
- [asyncio platform support: Windows](https://docs.python.org/3/library/asyncio-platforms.html#windows)
- [uvicorn: event loop (`--loop`)](https://www.uvicorn.org/concepts/event-loop/)
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from ...base import Codemod
from ...imports.style import style_for
from ...types import Safety
from .._loop_policy.analysis import PolicyUse, analyse_policy
from .._loop_policy.edit import PolicyEdits, apply_policy_edits

DEPRECATED = "deprecated in Python 3.14 and removed in 3.16"
INSTEAD = "Pass the loop instead: `asyncio.run(..., loop_factory=...)` (3.12+), `asyncio.Runner(loop_factory=...)` (3.11+) or uvicorn's `--loop`"


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "unsafe"
    TRIGGER = re.compile(r"event_loop_policy|EventLoopPolicy")

    def transform(self, module: cst.Module) -> cst.Module:
        code = module.code
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError):
            return module
        analysis = analyse_policy(tree, self.context.module, code)
        target = self.context.options.target_version
        modern = target is not None and tuple(target) >= (3, 12)
        edits = PolicyEdits()
        for use in analysis.uses:
            message = f"{', '.join(f'`{n}`' for n in use.names)}: the event loop policy API is {DEPRECATED}"
            if use.fix is None or not modern or analysis.asyncio_ok is None:
                self.report(use.line, message, INSTEAD, Safety.DISPLAY_ONLY)
                continue
            if self.report(
                use.line,
                message,
                "Replace the policy with `loop_factory=` on the `asyncio.run` call",
                Safety.UNSAFE,
            ):
                self._fix(use, edits, import_asyncio=not analysis.asyncio_ok)
        if not (edits.remove or edits.keywords):
            return module
        return apply_policy_edits(module, edits, style_for(self.context))

    @staticmethod
    def _fix(use: PolicyUse, edits: PolicyEdits, import_asyncio: bool) -> None:
        assert use.fix is not None
        factory, run_line, callee = use.fix
        edits.remove.add(use.line)
        if factory != "None":
            edits.keywords[(run_line, callee)] = ("loop_factory", factory)
        if import_asyncio and "asyncio." in factory:
            edits.imports.add("asyncio")
