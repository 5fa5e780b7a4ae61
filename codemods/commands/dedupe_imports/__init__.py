"""Remove an import that re-binds exactly what an earlier runtime import already bound.

## What it does
Removes a later copy of an import when an identical import (same module, same imported name,
same alias) already bound that name and nothing re-binds it in between:
- at module level, a second unconditional top-level copy of an unconditional top-level import;
- inside a function, at any depth (including under `if`/`try`), a copy of an unconditional
  top-level import of the module, when that import is the name's only module-level binding and
  the function binds the name nowhere else;
- the same import twice at the top level of one function body.

From `from m import a, b` only the duplicate names go. ruff's `F811` (`redefined-while-unused`)
and pylint's `W0404` (`reimported`) are the closest linter rules.

## Why is this bad?
The copy does nothing useful: the module is already in `sys.modules` and the name already holds
the same object. It makes readers wonder which import is in effect, and inside a function it
runs the import statement on every call (about 180 ns, against about 26 ns for a global lookup,
measured on Python 3.11). Such copies typically appear when an import was deferred into an
endpoint and later also added at the top of the file.

## Example
```python
from datetime import datetime, timedelta


async def finalize_session(request: FinalizeSessionRequest):
    from datetime import datetime
    return {"finished": datetime.now().isoformat()}
```

Use instead:
```python
from datetime import datetime, timedelta


async def finalize_session(request: FinalizeSessionRequest):
    return {"finished": datetime.now().isoformat()}
```

## Fix safety
These are not duplicates and are never touched: `import a.b` vs `import a.c` (each loads its
own submodule); `import x` vs `from x import y` vs `import x as y`; an import under
`if TYPE_CHECKING:` vs a runtime one; copies in different `try`/`except`/`if` branches at module
level; imports in class bodies (they are class attributes); `lazy` imports; an import guard,
that is a copy in the body of a `try` whose handler may catch its `ImportError` (`except
ImportError`, `except ModuleNotFoundError`, a tuple holding one of them, a bare `except:`,
`except Exception`/`BaseException`, or a name that is not a built-in exception class) or under
`with suppress(ImportError)`: it checks that an optional dependency is installed, and an import
elsewhere (one hoist-imports made, say) does not replace that check; and a copy marked
`# noqa: F401`, which says the import is there on purpose.

Left alone, with a reason in the skip report: a copy after something re-binds the name in
between (assignment, `def`, `class`, `del`, another import, a `for`/`with`/`except` target, a
star import); any name declared `global` in a function; a function-level copy when the function
binds the name anywhere else (the name would stay local and raise `UnboundLocalError`), when an
enclosing function binds it, when the name has another module-level binding, or when the
module-level import comes after the function. All copies of a name in one function go together
or not at all.

Removing a line that carries a comment deletes the comment, so that fix is **unsafe** (pragmas
such as `# noqa` or `# type: ignore` do not count). Own-line comments above a removed import
move to the next statement; a block left empty gets `pass`.

Two behaviour changes are possible. A function-level `from m import x` reads `m.x` again on
every call: if code or tests re-assign `m.x` at runtime (`mock.patch("m.x")`) and rely on the
function seeing the new value, keep the copy with `# noqa: F811`. And a function that uses the
name before its own copy runs raises `UnboundLocalError` today; without the copy it works.

Lines marked `# noqa: F811`, `# noqa: F401`, a bare `# noqa` or `# codemod: skip` are kept.

## Options
This codemod has no options.

## References
- [ruff `F811` redefined-while-unused](https://docs.astral.sh/ruff/rules/redefined-while-unused/)
- [pylint `W0404` reimported](https://pylint.readthedocs.io/en/stable/user_guide/messages/warning/reimported.html)
- [The import system: the module cache](https://docs.python.org/3/reference/import.html#the-module-cache)
- [Python FAQ: UnboundLocalError](https://docs.python.org/3/faq/programming.html#why-am-i-getting-an-unboundlocalerror-when-the-variable-has-a-value)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from ...astkit.candidates import Key, duplicate_imports
from ...base import SUPPRESSED, Codemod
from ...types import Safety
from .edit import Remover, deletes_comment
from .scan import Collector, Event, Imp, Scope, maybe_duplicates

#: A duplicate needs two bindings: two ``import`` keywords, or one statement with two aliases
#: (a comma, or a parenthesised / continued list). Sound for ``import os; import os`` too.
TRIGGER = re.compile(r"\bimport\b(?:[\s\S]*?\bimport\b|[^;#\n]*[,(\\])")


@dataclass(eq=False)
class Cand:
    """A copy to remove: the import it duplicates, and the copies it must go together with."""

    imp: Imp
    earlier: int
    group: list[Imp]
    #: The group is every import of the name in its function: once gone, the name is not local.
    whole: bool = False
    unsafe: bool = False


class Command(Codemod):
    DEFAULT_ON = True
    FIX_SAFETY = "sometimes unsafe"
    TRIGGER = TRIGGER
    may_change = staticmethod(duplicate_imports)

    def transform(self, module: cst.Module) -> cst.Module:
        if not maybe_duplicates(module):
            return module
        collector = Collector()
        self.wrap(module).visit(collector)
        self._module = collector.module
        self._globals = collector.globals
        #: (scope, name) pairs whose every copy was removed: the name is no longer local there
        cleared: set[tuple[int, str]] = set()
        remove: set[int] = set()
        for scope in collector.scopes:
            if scope is collector.module:
                names = [
                    n
                    for n, evs in scope.events.items()
                    if sum(1 for e in evs if e.imp and e.imp.top) > 1
                ]
                cands = [
                    c
                    for name in names
                    for c in self._scan(scope, name, self._global_block(name))[0]
                ]
            else:
                cands = self._function(scope, cleared)
            self._apply(scope, cands, remove, cleared)
        return module.visit(Remover(remove)) if remove else module

    # -- analysis -----------------------------------------------------------------------------

    def _noqa(self, imp: Imp, code: str) -> bool:
        has = self.context.suppressions.has_noqa
        last = imp.lines[-1]
        return (
            has(code, imp.alias_lines)
            or has(code, imp.lines[:1])
            or has(code, range(last, last + 1))
        )

    def _kept(self, imp: Imp) -> str | None:
        """Why ``imp`` is not a duplicate whatever imports the same name: the author said so,
        or it guards an optional dependency."""
        if self._noqa(imp, "F811"):
            return "suppressed by `# noqa: F811`"
        if self._noqa(imp, "F401"):
            return "marked `# noqa: F401`: imported on purpose, not a duplicate"
        if imp.guarded:
            return (
                f"it checks that `{imp.key[1]}` is installed (a `try` whose handler catches "
                "`ImportError`), which an import elsewhere does not replace"
            )
        return None

    def _held(self, imp: Imp) -> str | None:
        if kept := self._kept(imp):
            return kept
        if self.suppressed(imp.line, imp.lines[-1]):
            return SUPPRESSED
        return None

    def _global_block(self, name: str) -> str | None:
        if name not in self._globals:
            return None
        line, where = self._globals[name]
        return f"`{name}` is declared `global` in `{where}` (line {line}), which may re-bind it"

    def _scan(self, scope: Scope, name: str, blocked: str | None) -> tuple[list[Cand], set[int]]:
        """Later unconditional copies of an unconditional import of ``scope`` with nothing
        re-binding the name in between; returns them and the ids of every import it reported."""
        cands: list[Cand] = []
        handled: set[int] = set()
        events = scope.of(name)
        bound: Imp | None = None
        seen: dict[Key, int] = {}
        for index, event in enumerate(events):
            imp = event.imp
            if imp is not None and bound is not None and imp.key == bound.key:
                if imp.top:  # an identical import elsewhere in between does not re-bind
                    handled.add(id(imp))
                    reason = blocked or self._kept(imp)
                    if reason:
                        self.skip(imp.line, reason)
                    else:
                        cands.append(Cand(imp, bound.at, [imp]))
                continue
            if imp is not None and imp.top:
                if imp.key in seen:
                    first = seen[imp.key]
                    breaker = next(
                        e
                        for e in events[first + 1 : index]
                        if e.imp is None or e.imp.key != imp.key
                    )
                    handled.add(id(imp))
                    self.skip(imp.line, f"`{name}` is re-bound at line {breaker.pos[0]} ({breaker.what}) "
                                        f"after its import at line {events[first].pos[0]}")  # fmt: skip
                bound = imp
                seen[imp.key] = index
            else:
                bound = None
        return cands, handled

    def _function(self, scope: Scope, cleared: set[tuple[int, str]]) -> list[Cand]:
        cands: list[Cand] = []
        for name, events in scope.events.items():
            imps = [e.imp for e in events if e.imp is not None and not e.imp.tc]
            if not imps:
                continue
            reason, earlier = self._copy_blocker(scope, name, events, imps, cleared)
            if earlier is not None and reason is None:
                cands += [Cand(imp, earlier, imps, whole=True) for imp in imps]
                continue
            local = next((e for e in events if e.decl), None)
            blocked = (
                f"`{name}` may be re-bound through the {local.what} at line {local.pos[0]}"
                if local
                else None
            )
            found, handled = self._scan(scope, name, blocked)
            cands += found
            if reason is not None:
                for imp in imps:
                    if id(imp) not in handled:
                        self.skip(imp.line, self._held(imp) or reason)
        return cands

    def _copy_blocker(
        self,
        scope: Scope,
        name: str,
        events: list[Event],
        imps: list[Imp],
        cleared: set[tuple[int, str]],
    ) -> tuple[str | None, int | None]:
        """Why the function's copies of ``name`` cannot go, given the module-level runtime
        import they copy (None when there is none: ``(None, None)``)."""
        keys = {imp.key for imp in imps}
        tops = [
            e.imp
            for e in self._module.events.get(name, ())
            if e.imp is not None and e.imp.top and e.imp.key in keys
        ]
        if not tops:
            return None, None
        before = [t for t in tops if t.line < scope.top_line]
        if not before:
            after = tops[0].at
            return f"its module-level import at line {after} comes after `{scope.name}`", after
        first = before[0]
        if reason := self._global_block(name):
            return reason, first.at
        other = next(
            (e for e in self._module.of(name) if e.imp is None or e.imp.key != first.key), None
        )
        if other is not None:
            return (
                f"`{name}` is also bound at module level at line {other.pos[0]} ({other.what})",
                first.at,
            )
        other = next(
            (e for e in events if e.imp is None or e.imp.tc or e.imp.key != first.key), None
        )
        if other is not None:
            return (f"`{name}` is also bound at line {other.pos[0]} in `{scope.name}` ({other.what}); "
                    "without the import it would be an unbound local"), first.at  # fmt: skip
        outer = scope.parent
        while outer is not None and outer.kind != "module":
            if (
                outer.kind == "function"
                and outer.events.get(name)
                and (id(outer), name) not in cleared
            ):
                return f"the enclosing function `{outer.name}` binds `{name}`", first.at
            outer = outer.parent
        for imp in imps:
            if held := self._held(imp):
                return (
                    f"its copy at line {imp.line} is kept ({held}), so `{name}` stays local",
                    first.at,
                )
        return None, first.at

    # -- reporting ----------------------------------------------------------------------------

    def _apply(
        self, scope: Scope, cands: list[Cand], remove: set[int], cleared: set[tuple[int, str]]
    ) -> None:
        chosen = {id(c.imp.alias) for c in cands}
        for cand in cands:
            cand.unsafe = deletes_comment(cand.imp, chosen)
        unsafe = {id(c.imp) for c in cands if c.unsafe}
        for cand in sorted(cands, key=lambda c: (c.imp.line, c.imp.alias_lines.start)):
            imp = cand.imp
            group_unsafe = any(id(other) in unsafe for other in cand.group)
            message = f"`{imp.shown()}` is already imported at line {cand.earlier}"
            if cand.unsafe:
                message += "; removing it deletes a comment"
            elif group_unsafe:
                message += "; it goes together with a copy whose removal deletes a comment"
            safety = Safety.UNSAFE if group_unsafe else Safety.SAFE
            if self.report(imp.line, message, "Remove duplicate import", safety, imp.lines[-1]):
                remove.add(id(imp.alias))
        for cand in cands:
            if cand.whole and all(id(other.alias) in remove for other in cand.group):
                cleared.add((id(scope), cand.imp.name))
