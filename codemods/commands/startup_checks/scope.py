"""The environment variables one app surely needs: ``startup-checks``' scope.

Only what the app's own code reads counts (docs/decisions.md, "startup-checks"):

1. The *closure*: the app's module and the first-party modules it imports while being imported,
   transitively (``ProjectFacts.imports``). A module of the closure that could not be analysed
   (unparsable, or a name two files answer) makes the answer unknown: :func:`app_variables`
   returns a reason to skip instead.
2. What runs: the module level of every module of the closure, the app's lifespan, and the
   *entries* of every module of the closure (route handlers, endpoints, dependencies:
   ``reach``), then every module-level function of the closure that one of those always
   calls (by its name, or through an import), transitively. A ``BaseSettings`` class called
   that way reads its required fields.
3. A variable counts when one of those reads it without a default and the read always runs
   there (not guarded: ``audit.envsites``; provider-selection branches are guarded), and no
   read anywhere in the closure gives it a default, tests it and carries on, or checks it
   already at import (``audit.envvars``).

Anything not followed (methods, nested functions, calls through variables, third-party code)
is left out: the list may miss a variable, never name one the app can run without.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ...audit.envrequired import dotenv_backed, names, required_vars
from ...facts import ProjectFacts
from .reach import EnvScan, Target

_REQUIRED = frozenset({"unchecked", "late-check"})


@dataclass(frozen=True)
class EnvScopes:
    """``startup-checks``' combined facts: each module's scan, by its name in the view."""

    scans: Mapping[str, EnvScan] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    names: tuple[str, ...] = ()
    #: Why the variables cannot be known (then skip).
    unknown: str | None = None
    #: Variables the app surely reads that are left out only because a settings class may read
    #: them from a dotenv file or a secrets directory: (name, ``Cls.field`` (module, line), ...).
    dotenv: tuple[tuple[str, tuple[str, ...]], ...] = ()


def app_variables(
    module: str, scopes: EnvScopes, project: ProjectFacts, lifespans: Iterable[str]
) -> Answer:
    closure: list[str] = []
    seen: set[str] = set()
    stack = [module]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.startswith("?") or current in project.opaque or current not in scopes.scans:
            what = f"its own module `{module}`" if current == module else f"`{current.lstrip('?')}`"
            return Answer(unknown=f"the variables the app needs are unknown: {what} could not be "
                                  "analysed (unparsable, or two files answer the name)")  # fmt: skip
        closure.append(current)
        stack.extend(sorted(project.imports.get(current, ())))
    scans = {m: scopes.scans[m] for m in closure}
    for name in closure:
        if scans[name].env.late_dotenv:
            line = scans[name].env.late_dotenv[0]
            return Answer(unknown=f"`load_dotenv()` at line {line} of `{name}` runs inside a "
                                  "function: it may set variables after the check")  # fmt: skip
    reach = _Reach(scans, project, frozenset(closure))
    for name in closure:
        reach.add(name, "")
        for entry in scans[name].entries:
            reach.follow(name, entry)
    for lifespan in lifespans:
        reach.add(module, lifespan)
    reach.run()
    reached: set[str] = set()
    for name, scan in scans.items():
        for read in scan.env.reads:
            runs = read.scope in reach.scopes.get(name, ()) and not read.guarded
            if runs and read.status in _REQUIRED:
                reached.add(read.name)
        for cls, fields in scan.env.settings:
            if cls in reach.scopes.get(name, ()):
                reached.update(f.name for f in fields)
    env = {m: s.env for m, s in scans.items()}
    required = names(required_vars(env, include_own=True))
    dotenv = tuple(
        (
            name,
            tuple(
                f"`{read.how}` ({module or 'this file'}, line {read.line})"
                for module, read in sites
            ),
        )
        for name, sites in dotenv_backed(env).items()
        if name in reached
    )
    return Answer(names=tuple(n for n in required if n in reached), dotenv=dotenv)


class _Reach:
    def __init__(
        self, scans: Mapping[str, EnvScan], project: ProjectFacts, closure: frozenset[str]
    ) -> None:
        self.scans = scans
        self.project = project
        self.closure = closure
        #: module -> its scopes (``""``, functions, settings classes) that surely run
        self.scopes: dict[str, set[str]] = {}
        self.pending: list[tuple[str, str]] = []
        self.calls = {m: dict(s.calls) for m, s in scans.items()}
        self.settings = {m: {c for c, _ in s.env.settings} for m, s in scans.items()}

    def add(self, module: str, scope: str) -> None:
        known = self.scopes.setdefault(module, set())
        if scope not in known:
            known.add(scope)
            self.pending.append((module, scope))

    def run(self) -> None:
        while self.pending:
            module, scope = self.pending.pop()
            for target in self.calls[module].get(scope, ()):
                self.follow(module, target)

    def follow(self, module: str, target: Target) -> None:
        found = self._resolve(module, target)
        if found is not None:
            self.add(*found)

    def _resolve(self, module: str, target: Target) -> tuple[str, str] | None:
        dotted, imported = target
        parts = dotted.split(".")
        if not imported:
            return (module, dotted) if len(parts) == 1 and self._defines(module, dotted) else None
        if len(parts) < 2:
            return None
        owner = self._module(module, ".".join(parts[:-1]))
        if owner is not None and self._defines(owner, parts[-1]):
            return owner, parts[-1]
        return None

    def _defines(self, module: str, name: str) -> bool:
        return name in self.scans[module].functions or name in self.settings[module]

    def _module(self, importer: str, name: str) -> str | None:
        """The closure's module ``name`` loads when the module ``importer`` imports it."""
        info = self.project.modules.get(importer)
        found = self.project.resolve(info.path, name) if info is not None else None
        if found is None or found.path is None:
            return None
        target = self.project.by_path.get(found.path)
        if target is None or target.name not in self.closure:
            return None
        return target.name
