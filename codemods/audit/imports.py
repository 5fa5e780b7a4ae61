"""Import findings: missing modules, undeclared dependencies, removed and shadowed standard-library
modules, and the function-level imports (which fail now, which are deliberate, which to hoist)."""

from __future__ import annotations

from pathlib import Path

from ..components.distributions import (
    NAMESPACE_PREFIXES,
    distributions_for,
    normalize,
    provided_by,
)
from ..components.index import Component
from ..project import STDLIB_MODULES
from .context import AuditContext
from .declared import declared_names, declares_anything, declares_module, fix_file, incomplete
from .environment import REMOVED_STDLIB
from .model import Finding, Risk
from .scan import ImportSite

_SCRIPT_ONLY = (
    'the import runs only when `{module}` is run as a script (`if __name__ == "__main__":`), '
    "never when the app is imported by its server"
)
_FAIL_LATE = (
    "it fails only when `{fn}` runs: that request gets HTTP 500 and a logged traceback while the "
    "server keeps running and passes its health checks"
)


def _where(site: ImportSite) -> str:
    if site.scope == "function" and site.function:
        return f"`{site.statement}` inside `{site.function}()`"
    return f"`{site.statement}`"


def classify(ctx: AuditContext, path: str, site: ImportSite) -> str:
    """``first-party``, ``missing-first-party``, ``removed``, ``stdlib``, ``installed`` or
    ``not-installed``, in the view of the file's own component. ``find_spec`` is reached only
    for third-party top-level names."""
    kind = _static_kind(ctx, path, site)
    if kind is not None:
        return kind
    return "installed" if ctx.env.installed((site.module or "").split(".")[0]) else "not-installed"


def _static_kind(ctx: AuditContext, path: str, site: ImportSite) -> str | None:
    """What :func:`classify` knows without asking the environment (``None``: third party)."""
    module = site.module or ""
    top = module.split(".")[0]
    view = ctx.view(path)
    if site.relative:
        return "first-party" if view.is_first_party(module) else "missing-first-party"
    if view.is_first_party(module) or _local_top_level(ctx, path, top):
        return "first-party"
    if top in REMOVED_STDLIB:
        return "removed"
    if top in STDLIB_MODULES or top == "__future__":
        return "stdlib"
    return None


def third_party_names(ctx: AuditContext) -> set[str]:
    """Every top-level name :func:`classify` may ask the environment about."""
    return {
        (site.module or "").split(".")[0]
        for path, scan in ctx.scans.items()
        for site in scan.imports
        if site.module is not None and _static_kind(ctx, path, site) is None
    }


def _local_top_level(ctx: AuditContext, path: str, top: str) -> bool:
    """A file or package named ``top`` next to the importing module's root (never executed)."""
    info = ctx.infos.get(path)
    if info is None or not top.isidentifier():
        return False
    root = Path(info.root)
    return (root / f"{top}.py").is_file() or (root / top / "__init__.py").is_file()


def import_findings(ctx: AuditContext) -> list[Finding]:
    findings: list[Finding] = []
    for path, scan in sorted(ctx.scans.items()):
        shown = ctx.display(path)
        module_level: dict[tuple[str, str, str | None], int] = {}
        for s in scan.imports:
            if s.scope == "module" and s.guard is None:
                for key in _bindings(s):
                    module_level.setdefault(key, s.line)
        for site in scan.imports:
            if site.module is None or (site.guard == "type-checking" and site.scope != "function"):
                continue
            kind = classify(ctx, path, site)
            finding = _classified(ctx, path, shown, site, kind, module_level)
            if finding is not None:
                findings.append(finding)
    return findings


def _classified(
    ctx: AuditContext,
    path: str,
    shown: str,
    site: ImportSite,
    kind: str,
    module_level: dict[tuple[str, str, str | None], int],
) -> Finding | None:
    top = (site.module or "").split(".")[0]
    fn = site.function or "the function"
    if kind in {"not-installed", "missing-first-party"} and site.guard in (None, "main"):
        what = (
            "not installed in this environment"
            if kind == "not-installed"
            else "not found in the project"
        )
        if site.guard == "main":
            why = f"`{top}` is {what}; " + _SCRIPT_ONLY.format(module=ctx.module_name(path))
        elif site.scope == "function":
            why = f"`{top}` is {what}; " + _FAIL_LATE.format(fn=fn)
        else:
            why = (
                f"`{top}` is {what}; importing `{ctx.module_name(path)}` raises ModuleNotFoundError"
            )
        declared = declares_module(ctx.component(path), site.module or top, ctx.env)
        if kind == "missing-first-party":
            fix = "by hand: fix the module name, or add the missing module"
        elif declared:
            fix = "by hand: install the declared requirements in this environment"
        else:
            fix = "by hand: install it and declare it, or fix the module name"
        if ctx.site(path, "hoist-imports", range(site.line, site.end_line + 1), ("change",)):
            fix += "; then `hoist-imports` moves it to the top, so a missing install stops startup"
        main = site.guard == "main"
        return Finding(
            shown,
            site.line,
            "missing-module",
            "import-not-found-script" if main else "import-not-found",
            Risk.LOW if main else Risk.HIGH,
            _where(site),
            why,
            fix,
        )
    # under TYPE_CHECKING it never runs; in ``try``/``except ImportError`` it is handled there
    if kind == "removed" and site.guard not in ("type-checking", "optional"):
        removed = REMOVED_STDLIB[top]
        version = f"{removed[0]}.{removed[1]}"
        now = ctx.runs_on(removed)
        risk = Risk.HIGH if now else Risk.MEDIUM
        when = f", when `{fn}` runs" if site.scope == "function" else ", at import"
        if site.guard == "main":
            risk, when = Risk.LOW, ", when the module is run as a script"
        elif site.guard == "platform":
            risk = Risk.LOW
            when += (
                f", unless its platform or version test (which the audit does not evaluate) "
                f"excludes Python {version} and later"
            )
        why = (
            f"`{top}` was removed from the standard library in Python {version}: ModuleNotFoundError"
            + (
                " on the Python the project runs on"
                if now
                else f" once the project runs on {version}"
            )
            + when
        )
        return Finding(shown, site.line, "removed-stdlib", "removed-stdlib-module", risk, _where(site), why,
                       f"by hand: replace `{top}` (PEP 594 names replacements)")  # fmt: skip
    if site.scope != "function":
        return None
    return _function_import(ctx, path, shown, site, kind, module_level)


def _function_import(
    ctx: AuditContext,
    path: str,
    shown: str,
    site: ImportSite,
    kind: str,
    module_level: dict[tuple[str, str, str | None], int],
) -> Finding:
    lines = range(site.line, site.end_line + 1)
    where = _where(site)

    def info(rule: str, why: str) -> Finding:
        ctx.site(path, "hoist-imports", lines)  # consumed: the skip says the same
        return Finding(shown, site.line, "function-import", rule, Risk.INFO, where, why, "keep it")

    if site.guard == "type-checking":
        return info("function-import-type-checking", "only for type checkers; never runs")
    if site.guard == "optional":
        return info(
            "function-import-optional",
            "optional dependency: the ImportError is handled right there",
        )
    if site.guard == "platform":
        return info(
            "function-import-platform", "platform- or version-specific import under a guard"
        )
    if kind == "first-party" and site.module:
        current = ctx.module_name(path)
        target = _target_module(ctx, path, site)
        cycle = ctx.view(path).reaches(target, current) if target else False
        if cycle:
            return info(
                "function-import-cycle-guard",
                f"breaks an import cycle: `{target}` imports `{current}` at import time, so hoisting would fail",
            )
    keys = _bindings(site)
    duplicate = (
        min((module_level[k] for k in keys), default=None)
        if keys and all(k in module_level for k in keys)
        else None
    )
    if duplicate is not None:
        why = f"already imported at module level (line {duplicate}); this copy is redundant"
    else:
        why = (
            "runs on the first call instead of at startup: a broken dependency surfaces as HTTP 500 on "
            "that call instead of stopping startup"
        )
        if site.is_async:
            why += ", and the first call runs the import on the event loop"
    found = ctx.site(path, "hoist-imports", lines)
    if duplicate is not None:  # the dedupe codemod's fix is the simpler one
        found = ctx.site(path, "dedupe-imports", lines, ("change",)) or found
    if found is not None and found.kind == "change":
        fix = found.fix_text()
    elif found is not None:
        fix = f"by hand, after review (hoist-imports left it: {found.message})"
    else:
        fix = "by hand: move it to the module's import block"
    rule = "function-import-duplicate" if duplicate is not None else "function-import-hoistable"
    codemod = (
        found.codemod
        if found is not None and found.kind == "change" and fix.startswith("`")
        else None
    )
    return Finding(shown, site.line, "function-import", rule, Risk.LOW, where, why, fix, codemod)


def _bindings(site: ImportSite) -> list[tuple[str, str, str | None]]:
    """What an import binds, as ``(module, name, asname)``; ``import a.b`` is ``("", "a.b", None)``."""
    if site.names:
        return [(site.module or "", name, asname) for name, asname in site.names if name != "*"]
    return [("", site.module or "", None)]


def _target_module(ctx: AuditContext, path: str, site: ImportSite) -> str | None:
    """The first-party module an import loads (``from pkg import mod`` may load ``pkg.mod``),
    by its name in the importing file's view (an import may call it by another name)."""
    view = ctx.view(path)

    def known(name: str) -> str | None:
        canonical = view.canonical(name)
        return canonical if canonical is not None and canonical in view.modules else None

    module = site.module or ""
    for name, _ in site.names:
        if found := known(f"{module}.{name}"):
            return found
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        if found := known(".".join(parts[:i])):
            return found
    return None


def undeclared_findings(ctx: AuditContext) -> list[Finding]:
    """Third-party imports the file's own component does not declare (one finding per
    component and distribution). A component without declarations has none."""
    by_component: dict[str | None, list[str]] = {}
    for path in sorted(ctx.scans):
        by_component.setdefault(ctx.component(path).root, []).append(path)
    findings: list[Finding] = []
    for paths in by_component.values():
        component = ctx.component(paths[0])
        if declares_anything(component):
            findings.extend(_undeclared_in(ctx, component, paths))
    return findings


def _undeclared_in(ctx: AuditContext, component: Component, paths: list[str]) -> list[Finding]:
    transitive = ctx.env.closure(declared_names(component))
    by_dist: dict[str, list[tuple[str, ImportSite]]] = {}
    for path in paths:
        for site in ctx.scans[path].imports:
            if site.module is None or site.guard == "type-checking":
                continue
            if classify(ctx, path, site) not in {"installed", "not-installed"}:
                continue
            if declares_module(component, site.module, ctx.env):
                continue
            by_dist.setdefault(_distribution(ctx, site.module), []).append((path, site))
    target = fix_file(component)
    where_to = ctx.display(target) if target is not None else "the component's declarations"
    unreadable = incomplete(component)
    findings = []
    for dist, sites in sorted(by_dist.items()):
        path, site = min(sites, key=lambda ps: (ctx.display(ps[0]), ps[1].line))
        top = (site.module or "").split(".")[0]
        if top in NAMESPACE_PREFIXES:  # the namespace alone names no distribution
            top = ".".join((site.module or "").split(".")[:2])
        more = len(sites) - 1
        where = f"{ctx.display(path)}:{site.line}" + (f" and {more} more" if more else "")
        name = f"`{top}`" + (f" (distribution `{dist}`)" if dist != top.lower() else "")
        if dist in transitive:
            risk, why = (
                Risk.LOW,
                f"imported at {where}; installed only as a dependency of a declared package",
            )
        elif all(s.guard == "optional" for _, s in sites):
            risk, why = (
                Risk.LOW,
                f"imported at {where} as an optional dependency; declare it as an extra",
            )
        elif all(s.guard in ("optional", "main") for _, s in sites):
            also = (
                "" if all(s.guard == "main" for _, s in sites) else " or as an optional dependency"
            )
            risk, why = (
                Risk.LOW,
                f'imported at {where} only under `if __name__ == "__main__":`{also}: '
                "running the module as a script needs it, the app's server never does",
            )
        elif unreadable is not None:
            risk, why = (
                Risk.LOW,
                f"imported at {where}; not among the declarations that could be read "
                f"({unreadable}), so check it by hand",
            )
        else:
            risk = Risk.HIGH
            why = f"imported at {where}; an install of the declared requirements lacks it, so that import fails"
        findings.append(
            Finding(
                ctx.display(path),
                site.line,
                "undeclared-dependency",
                "undeclared-dependency",
                risk,
                f"{name} is not declared",
                why,
                f"by hand: add `{dist}` to {where_to}",
            )
        )
    return findings


def _distribution(ctx: AuditContext, module: str) -> str:
    """The distribution to declare for ``module``: the installed one, then the built-in table,
    then the import name. In a namespace package (``azure.identity``), the installed
    distribution named after the module's path, else the first two parts of the path
    (``azure-identity``): the namespace's other distributions are only its siblings."""
    top = module.split(".")[0]
    if top not in NAMESPACE_PREFIXES:
        return ctx.env.distributions(top)[0]
    found = distributions_for(module) or provided_by(module, ctx.env.provided_by(top))
    return found[0] if found else normalize(".".join(module.split(".")[:2]))


def shadowing_findings(ctx: AuditContext) -> list[Finding]:
    findings = []
    for path in sorted(ctx.scans):
        info = ctx.infos.get(path)
        if info is None or "." in info.name or info.name.startswith("__"):
            continue
        if info.name in STDLIB_MODULES or info.name in REMOVED_STDLIB:
            kind = "package" if info.is_package else "file"
            findings.append(
                Finding(
                    ctx.display(path), 1, "stdlib-shadowing", "stdlib-shadowing", Risk.HIGH,
                    f"local {kind} `{info.name}` shadows the standard-library module `{info.name}`",
                    f"while its directory is on sys.path, `import {info.name}` anywhere (libraries too) "
                    "loads this instead of the standard library",
                    f"by hand: rename `{info.name}` and update its imports",
                )
            )  # fmt: skip
    return findings
