"""Check the app's required environment variables in its lifespan, so it refuses to start without them.

## What it does
Finds the environment variables the app surely reads without a default — `os.environ["X"]`,
`os.getenv("X")` and `os.environ.get("X")` with no default, and fields without a default of
pydantic `BaseSettings` classes — and inserts one check at the start of the app's lifespan
(the `@asynccontextmanager` function passed as `lifespan=` to `FastAPI(...)`/`Starlette(...)`
in the same module) that names every missing one:

```python
_missing = [name for name in ("ANTHROPIC_API_KEY", "SECRET_KEY") if name not in os.environ]
if _missing:
    raise RuntimeError("missing required environment variables: " + ", ".join(_missing))
```

`import os` is added when missing. An app without a lifespan and without event handlers gets a
new `@asynccontextmanager async def lifespan(app)` holding the check (defined just before the
app, passed as `lifespan=lifespan`, `asynccontextmanager` imported from `contextlib`). An app
that still has `on_event`/`on_startup=` handlers is skipped: adding a lifespan would silently
stop them running, so run the `lifespan` codemod first (both in one run works: it runs first).

Only the variables the app itself surely reads are checked, never the union of the repository
(other services, optional providers, example plugins). The gather phase follows the app
module's *import closure* (the first-party modules it imports while being imported,
transitively); what runs is the module level of those modules, the app's lifespan, route
handlers (`@app.get`, `@router.post`, `.middleware`, ...), endpoints passed to `Route(...)`
or `add_api_route(...)`, dependencies (`Depends(f)`), and every module-level function of the
closure that one of those *always* calls, by name or through an import (a `BaseSettings` class
called that way reads its required fields). A read counts only when it always runs there: not
under an `if`/`elif`/`else` (unless the test is the constant `True`), a `match` case, a loop,
an `except` block, a conditional expression, a comprehension or the right of `and`/`or`, nor
after an earlier statement of the function that may `return`, `raise` or `assert` —
so a provider-selection branch never makes its key required. Methods, nested functions and
calls through variables are not followed: the list may miss a variable, never add one the
app runs without. Run it on the whole project; a single file on its own counts its own reads.

Variables are left out when some code of the closure reads them with a default or tests them
and carries on without them (`if not key: return ...`, `except KeyError:`): the app is meant
to run without those. So are variables already checked at import or startup (`os.environ["X"]`
at module level, a module-level or lifespan `if not os.getenv("X"): raise`, a settings object
built at import time). So are the fields of a settings class that may read a dotenv file or
a secrets directory (`env_file`/`secrets_dir` in its `model_config` or `class Config`, or
`_env_file=`/`_secrets_dir=` where it is built): `os.environ` need not hold them. Each such
variable the app reads is reported as skipped, naming the settings field that may read it. A variable
counts as present when it is set, even to `""` (`os.environ["X"]` accepts that). An app whose
closure calls `load_dotenv()` inside a function is skipped: it may set variables after the
check; at module level it runs at import, before the check. A second run recognises its own check and updates the list when the
app's variables changed.

## Why is this bad?
`os.getenv("SECRET_KEY")` returns `None` when the variable is unset; the app starts, passes
its health checks and fails later, on the first request that uses the value (a 500, or a
`KeyError` for `os.environ[...]`), one variable at a time. Checked in the lifespan, a missing
variable stops startup with one message naming all of them: uvicorn prints "Application startup
failed. Exiting." and exits with code 3, where a deployment notices.

## Example
```python
SECRET_KEY = os.getenv("SECRET_KEY")


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(lifespan=lifespan)
```

Use instead:
```python
SECRET_KEY = os.getenv("SECRET_KEY")


@asynccontextmanager
async def lifespan(app: FastAPI):
    _missing = [name for name in ("SECRET_KEY",) if name not in os.environ]
    if _missing:
        raise RuntimeError("missing required environment variables: " + ", ".join(_missing))
    yield


app = FastAPI(lifespan=lifespan)
```

## Fix safety
Always unsafe, and off by default (`--select startup-checks --unsafe-fixes`): the app now
refuses to start where it used to start and serve every request that does not need the
variable. Which variables are required is inferred from the code; review the list. Skipped,
with a reason: an app that still has event handlers and no lifespan, a lifespan that is not an
`@asynccontextmanager` `async def` of the same module (imported, a class, a one-line body), an
app created with `**kwargs`, an app whose import closure holds a module that could not be
analysed (unparsable, or a name two files answer: its reads are unknown), and a component that allows FastAPI before 0.93.0 or Starlette before
0.16.0 (no `lifespan=`; the same rule as `lifespan`'s).

## Options
None. The check covers the variables the app's own import closure surely reads.

## References
- [FastAPI: Lifespan Events](https://fastapi.tiangolo.com/advanced/events/)
- [Starlette: Lifespan](https://www.starlette.io/lifespan/)
- [pydantic-settings: required fields](https://docs.pydantic.dev/latest/concepts/pydantic_settings/)
- [The Twelve-Factor App: Config](https://12factor.net/config)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst

from ...appmodel.analysis import AppObject, analyse
from ...appmodel.project_view import lifespan_support
from ...base import Codemod
from ...cstkit.positions import FastPositionProvider
from ...imports.add import add_imports
from ...imports.style import style_for
from ...project import ModuleInfo, ProjectFacts
from ...types import Safety
from .code import (
    Statement,
    app_call,
    check_assign,
    check_statements,
    free_name,
    is_docstring,
    own_names,
    own_target,
    with_lifespan,
)
from .reach import EnvScan, scan_reach
from .scope import EnvScopes, app_variables


class Command(Codemod):
    DEFAULT_ON = False
    FIX_SAFETY = "unsafe"
    TRIGGER = re.compile(r"\b(?:FastAPI|Starlette)\b")

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> EnvScan:
        return scan_reach(tree, module)

    @classmethod
    def combine(cls, per_module: Mapping[str, Any], project: ProjectFacts) -> EnvScopes:
        return EnvScopes({m: f for m, f in per_module.items() if isinstance(f, EnvScan)})

    def transform(self, module: cst.Module) -> cst.Module:
        try:
            tree = ast.parse(module.code)
        except (SyntaxError, ValueError, RecursionError):
            self.skip(1, "the file uses syntax newer than the Python running codemod; not analysed")
            return module
        apps = [o for o in analyse(tree, self.context.module).objects if o.kind == "app"]
        if not apps:
            return module
        required = self._required(tree, apps)
        if not required:
            return module
        if _os_rebound(tree):
            self.skip(apps[0].line, "`os` is bound to something other than the `os` module here")
            return module
        functions = _module_functions(tree)
        positions = self.wrap(module).resolve(FastPositionProvider)
        body = list(module.body)
        lines = [positions[stmt].start.line for stmt in body]
        insert_imports: list[tuple[str, str | None]] = []
        done: set[str] = set()
        for app in sorted(apps, key=lambda a: a.line, reverse=True):
            edit = self._plan(app, functions, required, done)
            if edit is None:
                continue
            kind, name = edit
            if kind == "existing":
                index = next(i for i, s in enumerate(body) if _def_name(s) == name)
                updated = self._update_lifespan(body[index], name, required, lines[index], module)
                if updated is not None:
                    body[index] = updated
                    insert_imports.append(("os", None))
                done.add(name)
            else:
                index = lines.index(app.line) if app.line in lines else -1
                created = self._create_lifespan(body, index, app, required, tree)
                if created is not None:
                    body[index : index + 1] = list(created)
                    lines[index : index + 1] = [app.line] * len(created)
                    insert_imports += [("os", None), ("contextlib", "asynccontextmanager")]
        if not insert_imports:
            return module
        result = module.with_changes(body=body)
        return add_imports(result, insert_imports, style_for(self.context))

    # -- decisions ---------------------------------------------------------------------------

    def _required(self, tree: ast.Module, apps: Sequence[AppObject]) -> tuple[str, ...]:
        """The variables this file's apps surely read (``scope``); () after a skip."""
        scopes = self.facts
        project = self.context.project
        path = self.context.path
        own = project.module_for(path) if path is not None else None
        if not isinstance(scopes, EnvScopes) or own is None:
            # no gather phase (a single source): this file alone, its imports not followed
            scopes = EnvScopes({"": scan_reach(tree, self.context.module)})
            name, project = "", ProjectFacts()
        else:
            name = own.name
        lifespans = [a.lifespan for a in apps if a.lifespan is not None]
        answer = app_variables(name, scopes, project, lifespans)
        if answer.unknown is not None:
            self.skip(apps[0].line, answer.unknown)
        for variable, fields in answer.dotenv:
            self.skip(
                apps[0].line,
                f"`{variable}` is not checked: {', '.join(fields)} may read it from a dotenv "
                "file or a secrets directory (`env_file`/`secrets_dir`, `_env_file=`/"
                "`_secrets_dir=`), so `os.environ` need not hold it",
            )
        return answer.names

    def _plan(
        self,
        app: AppObject,
        functions: Mapping[str, ast.stmt],
        required: Sequence[str],
        done: set[str],
    ) -> tuple[str, str] | None:
        if app.lifespan is not None:
            node = functions.get(app.lifespan)
            if not isinstance(node, ast.AsyncFunctionDef) or not _is_acm(node):
                self.skip(app.line, f"`lifespan={app.lifespan}` is not an `@asynccontextmanager` "
                                    "`async def` of this module; add the check by hand")  # fmt: skip
                return None
            if len(node.body) == 1 and node.body[0].lineno == node.lineno:
                self.skip(node.lineno, "the lifespan has a one-line body; add the check by hand")
                return None
            return None if app.lifespan in done else ("existing", app.lifespan)
        if app.registrations:
            self.skip(app.line, f"`{app.name}` has event handlers and no lifespan: run the `lifespan` "
                                "codemod first (a new lifespan would stop the handlers running)")  # fmt: skip
            return None
        if app.problems:
            self.skip(app.line, f"`{app.name}` cannot get a lifespan: {app.problems[0]}")
            return None
        support = lifespan_support(
            app.framework, self.context.options, self.context.project.component
        )
        if support.ok is False:
            self.skip(
                app.line,
                f"`lifespan=` is not supported by every version the component allows: {support.reason}",
            )
            return None
        return ("create", app.name)

    # -- edits ---------------------------------------------------------------------------------

    def _update_lifespan(
        self, stmt: Statement, name: str, required: Sequence[str], line: int, module: cst.Module
    ) -> Statement | None:
        assert isinstance(stmt, cst.FunctionDef)
        block = stmt.body
        assert isinstance(block, cst.IndentedBlock)
        statements = list(block.body)
        for i, inner in enumerate(statements):
            checked = own_names(module.code_for_node(inner))
            if checked is None:
                continue
            if tuple(checked) == tuple(required):
                return None
            target = own_target(inner)
            if not self.report(line, f"the startup check in `{name}` does not match the required "
                               f"environment variables ({', '.join(required)})",
                               "Update the startup check of required environment variables",
                               Safety.UNSAFE):  # fmt: skip
                return None
            statements[i] = inner.with_changes(body=[check_assign(target, required)])
            return stmt.with_changes(body=block.with_changes(body=statements))
        message = (
            f"`{name}` does not check the required environment variables ({', '.join(required)})"
        )
        fix = "Refuse to start when a required environment variable is missing"
        if not self.report(line, message, fix, Safety.UNSAFE):
            return None
        start = 1 if statements and is_docstring(statements[0]) else 0
        target = free_name("_missing", stmt, module)
        statements[start:start] = check_statements(target, required)
        return stmt.with_changes(body=block.with_changes(body=statements))

    def _create_lifespan(
        self,
        body: list[Statement],
        index: int,
        app: AppObject,
        required: Sequence[str],
        tree: ast.Module,
    ) -> tuple[Statement, Statement] | None:
        if index < 0:
            return None
        stmt = body[index]
        call = app_call(stmt)
        if call is None:
            self.skip(app.line, f"`{app.name} = ...` is not a plain call; add the check by hand")
            return None
        bound = _bound_at_module_level(tree)
        if "asynccontextmanager" in bound and "asynccontextmanager" not in _imported_acm(tree):
            self.skip(app.line, "`asynccontextmanager` is bound to something else in this module")
            return None
        name = next(
            n for n in ("lifespan", *(f"lifespan_{i}" for i in range(1, 100))) if n not in bound
        )
        message = f"`{app.name}` has no lifespan to check the required environment variables in ({', '.join(required)})"
        fix = "Add a lifespan that refuses to start when a required environment variable is missing"
        if not self.report(app.line, message, fix, Safety.UNSAFE):
            return None
        callee = app.callee if re.fullmatch(r"[A-Za-z_]\w*", app.callee) else ""
        annotation = f": {callee}" if callee else ""
        source = f"@asynccontextmanager\nasync def {name}(app{annotation}):\n    yield\n"
        new_def = cst.ensure_type(cst.parse_statement(source), cst.FunctionDef)
        block = cst.ensure_type(new_def.body, cst.IndentedBlock)
        new_def = new_def.with_changes(
            body=block.with_changes(body=[*check_statements("_missing", required), *block.body])
        )
        blank = [cst.EmptyLine(), cst.EmptyLine()]
        original = cst.ensure_type(stmt, cst.SimpleStatementLine)
        comments = [line for line in original.leading_lines if line.comment is not None]
        new_def = new_def.with_changes(leading_lines=blank if index else [])
        new_stmt = original.deep_replace(call, with_lifespan(call, name))
        new_stmt = cst.ensure_type(new_stmt, cst.SimpleStatementLine).with_changes(
            leading_lines=[*blank, *comments]
        )
        return new_def, new_stmt


# -- helpers ---------------------------------------------------------------------------------------


def _module_functions(tree: ast.Module) -> dict[str, ast.stmt]:
    found: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[stmt.name] = stmt
    return found


def _is_acm(node: ast.AsyncFunctionDef) -> bool:
    for deco in node.decorator_list:
        name = deco.attr if isinstance(deco, ast.Attribute) else getattr(deco, "id", "")
        if name == "asynccontextmanager":
            return True
    return False


def _def_name(stmt: cst.CSTNode) -> str | None:
    return stmt.name.value if isinstance(stmt, cst.FunctionDef) else None


def _bound_at_module_level(tree: ast.Module) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    return bound


def _os_rebound(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.alias) and (node.asname or node.name.split(".")[0]) == "os":
            if node.name != "os" and not node.name.startswith("os."):
                return True
        elif (
            isinstance(node, ast.Name) and node.id == "os" and isinstance(node.ctx, ast.Store)
        ) or (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name == "os"
        ):
            return True
    return False


def _imported_acm(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "contextlib"
        for alias in node.names
        if alias.name == "asynccontextmanager"
    }
