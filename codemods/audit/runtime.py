"""Runtime findings: environment variables, blocking calls in async code, event handlers that
never run, event-loop policy use and work done at import time; plus every codemod change the
other findings did not already account for."""

from __future__ import annotations

from collections.abc import Mapping

from .. import registry
from ..project import ProjectFacts, resolve_relative
from .codemod_pass import CodemodSite
from .context import AuditContext
from .envrequired import required_vars
from .envvars import EnvFacts
from .model import Finding, Risk
from .scan import AppSite, CallSite, HandlerSite

_BLOCKS = "blocks the event loop: every other request on this worker waits until it returns"


def env_findings(ctx: AuditContext) -> list[Finding]:
    """Required variables, per component: a variable is decided by the reads of the files of
    the component's view (its own files and what they import), as the ``startup-checks``
    codemod decides it, and reported in the component's audited files."""
    by_component: dict[str | None, list[str]] = {}
    for path in sorted(ctx.scans):
        by_component.setdefault(ctx.component(path).root, []).append(path)
    findings = []
    for paths in by_component.values():
        view = ctx.view(paths[0])
        per_file = {
            ctx.display(p): ctx.all_scans[p].env for p in view.by_path if p in ctx.all_scans
        }
        findings.extend(_env_in(per_file, {ctx.display(p) for p in paths}))
    return findings


def _env_in(per_file: Mapping[str, EnvFacts], audited: set[str]) -> list[Finding]:
    has_codemod = "startup-checks" in registry.all_codemods()
    fix = (
        "`startup-checks` codemod (opt-in, unsafe: `--select startup-checks --unsafe-fixes`)"
        if has_codemod
        else "by hand: check it in the lifespan, or give it a default"
    )
    findings = []
    for var in required_vars(per_file, include_own=False):
        sites = [s for s in var.sites if s[0] in audited]
        if not sites:
            continue
        shown, line, how = sites[0]
        more = len(var.sites) - 1
        why = (
            "no default and no check at startup: when it is unset the app starts anyway and fails "
            "only when this code runs"
            + (f" (read in {more} more place{'s' if more > 1 else ''})" if more else "")
        )
        message = f"`{var.name}` is read without a default (`{how}`)"
        findings.append(
            Finding(
                shown,
                line,
                "env-var",
                "env-var-unchecked",
                Risk.MEDIUM,
                message,
                why,
                fix,
                "startup-checks" if has_codemod else None,
            )
        )
    return findings


def blocking_findings(ctx: AuditContext) -> list[Finding]:
    findings: list[Finding] = []
    codemod_runs = "wrap-blocking-calls" in ctx.ran
    per_view: dict[int, dict[str, str]] = {}
    for path, scan in sorted(ctx.scans.items()):
        shown = ctx.display(path)
        view = ctx.view(path)
        blocking_functions = per_view.get(id(view))
        if blocking_functions is None:
            blocking_functions = per_view[id(view)] = _blocking_functions(ctx, view)
        if codemod_runs:
            for site in ctx.sites.get(path, ()):
                if site.codemod != "wrap-blocking-calls":
                    continue
                ctx.used.add((path, site))
                findings.append(_codemod_blocking(shown, site))
        else:
            for call in scan.blocking:
                findings.append(
                    Finding(
                        shown,
                        call.line,
                        "blocking-call",
                        "blocking-call",
                        Risk.MEDIUM,
                        f"`{call.name}(...)` in `async def {call.function}()`",
                        _BLOCKS,
                        "by hand: `await run_in_threadpool(...)` or an async client",
                    )
                )
        reported = {f.line for f in findings if f.path == shown}
        info = ctx.infos.get(path)
        for call in scan.async_calls:
            name = call.name
            if name.startswith(".") and info is not None:
                dots = len(name) - len(name.lstrip("."))
                base = resolve_relative(info, None, dots) or ""
                name = f"{base}.{name.lstrip('.')}" if base else name.lstrip(".")
            inner = blocking_functions.get(name)
            if inner is None and "." in name:  # the name the import uses -> the view's own
                module, _, function = name.rpartition(".")
                canonical = view.canonical(module)
                if canonical is not None and canonical != module:
                    inner = blocking_functions.get(f"{canonical}.{function}")
            if inner is None or call.line in reported:
                continue
            findings.append(
                Finding(
                    shown,
                    call.line,
                    "blocking-call",
                    "blocking-project-function",
                    Risk.MEDIUM,
                    f"`{call.name.lstrip('.')}(...)` in `async def {call.function}()`",
                    f"a sync function that calls `{inner}(...)`; it {_BLOCKS.replace('blocks', 'block')}",
                    "by hand: `await run_in_threadpool(" + call.name.split(".")[-1] + ", ...)`",
                )
            )
    return findings


def _blocking_functions(ctx: AuditContext, view: ProjectFacts) -> dict[str, str]:
    """Qualified name -> the blocking call it makes, for the sync functions of a view's modules
    (a name two files of the view answer is left out: which one runs is unknown)."""
    paths = [p for p, info in view.by_path.items() if info.name not in view.ambiguous]
    return {
        name: call
        for p in sorted(paths)
        if (scan := ctx.all_scans.get(p)) is not None
        for name, call in scan.blocking_functions
    }


def _codemod_blocking(shown: str, site: CodemodSite) -> Finding:
    if site.kind == "change":
        return Finding(shown, site.line, "blocking-call", "blocking-call", Risk.MEDIUM, site.message, _BLOCKS,
                       site.fix_text(), site.codemod if site.safety is not None and site.fix_text().startswith("`") else None)  # fmt: skip
    return Finding(shown, site.line, "blocking-call", "blocking-call-left-alone", Risk.MEDIUM,
                   site.message, _BLOCKS, "by hand (wrap-blocking-calls left it alone)")  # fmt: skip


def handler_findings(ctx: AuditContext) -> list[Finding]:
    findings = []
    for path, scan in sorted(ctx.scans.items()):
        shown = ctx.display(path)
        apps = {a.var: a for a in scan.apps if a.var}
        for handler in scan.handlers:
            findings.append(_handler(ctx, path, shown, handler, apps))
    return findings


def _handler(
    ctx: AuditContext, path: str, shown: str, handler: HandlerSite, apps: dict[str, AppSite]
) -> Finding:
    is_arg = handler.kind.endswith("=")
    app = apps.get(handler.target.split(".")[0]) if handler.target else None
    app_kind = handler.app_kind if is_arg else (app.kind if app else "")
    has_lifespan = handler.app_lifespan if is_arg else bool(app and app.has_lifespan)
    if handler.kind == "on_event":
        what = f'`@{handler.target}.on_event("{handler.event}")` on `{handler.function}()`'
    elif handler.kind == "add_event_handler":
        what = f'`{handler.target}.add_event_handler("{handler.event}", ...)`'
    else:
        what = f"`{app_kind}({handler.kind}[...])`"
    site = ctx.site(path, "lifespan", range(handler.line, handler.end_line + 1))
    if (site is None or site.kind != "change") and app is not None and not has_lifespan:
        # the lifespan codemod reports one conversion per app, on the app's line
        site = ctx.site(path, "lifespan", range(app.line, app.line + 1), ("change",)) or site
    codemod_fix = site.fix_text() if site is not None and site.kind == "change" else None
    codemod = "lifespan" if codemod_fix and codemod_fix.startswith("`") else None

    def finding(rule: str, risk: Risk, why: str, fix: str) -> Finding:
        return Finding(shown, handler.line, "event-handler", rule, risk, what, why, fix, codemod)

    if has_lifespan:
        codemod = None
        if app is not None:  # the lifespan codemod reports the dead handlers on the app's line
            ctx.site(path, "lifespan", range(app.line, app.line + 1))
        return finding(
            "dead-event-handler",
            Risk.HIGH,
            "never runs: the app has a `lifespan`, and then startup/shutdown handlers are ignored "
            "without an error (no warning at all since FastAPI 0.128.3)",
            "by hand: move its body into the lifespan (it has never run: review it first)",
        )
    if app_kind == "Starlette" or (handler.kind == "add_event_handler" and app_kind == "FastAPI"):
        error = "TypeError" if is_arg else "AttributeError"
        return finding(
            "removed-event-api",
            Risk.HIGH,
            f"Starlette 1.0 removed this API: {error} with Starlette >= 1.0"
            + (
                " (FastAPI 0.165 has no `add_event_handler` either)"
                if app_kind == "FastAPI"
                else ""
            ),
            codemod_fix or "by hand: convert it to a lifespan",
        )
    return finding(
        "deprecated-event-handler",
        Risk.MEDIUM,
        "deprecated since FastAPI 0.104 (DeprecationWarning); Starlette 1.0 removed event handlers "
        "and FastAPI keeps them only for now",
        codemod_fix or "by hand: convert to a `lifespan` context manager",
    )


def policy_findings(ctx: AuditContext) -> list[Finding]:
    findings = []
    for path, scan in sorted(ctx.scans.items()):
        shown = ctx.display(path)
        by_line: dict[int, list[CallSite]] = {}
        for site in scan.policies:
            by_line.setdefault(site.line, []).append(site)
        for line, sites in sorted(by_line.items()):
            names = sorted({s.name for s in sites})
            why = "deprecated in Python 3.14 (DeprecationWarning), removed in 3.16 (AttributeError)"
            if "asyncio.WindowsProactorEventLoopPolicy" in names:
                why += "; Proactor is already the Windows default since 3.8, so it changes nothing"
            if not any(s.extra == "main" for s in sites) and any(
                s.name.endswith("set_event_loop_policy") for s in sites
            ):
                why += "; set while the app module is imported, it does not affect uvicorn's loop"
            risk = Risk.HIGH if ctx.runs_on((3, 16)) else Risk.MEDIUM
            end = max(s.end_line for s in sites)
            found = ctx.site(path, "event-loop-policy", range(line, end + 1))
            fix = (
                found.fix_text()
                if found is not None and found.kind == "change"
                else ("by hand: remove it, or use `asyncio.run(..., loop_factory=...)`")
            )
            codemod = "event-loop-policy" if fix.startswith("`") else None
            calls = sorted((s.text for s in sites if s.text), key=len, reverse=True)
            message = f"`{calls[0]}`" if calls else ", ".join(f"`{n}`" for n in names)
            findings.append(
                Finding(
                    shown,
                    line,
                    "loop-policy",
                    "event-loop-policy",
                    risk,
                    message,
                    why,
                    fix,
                    codemod,
                )
            )
    return findings


def import_work_findings(ctx: AuditContext) -> list[Finding]:
    findings = []
    for path, scan in sorted(ctx.scans.items()):
        shown = ctx.display(path)
        for call in scan.import_work:
            moved = ctx.site(path, "lifespan", range(call.line, call.end_line + 1), ("change",))
            fix = moved.fix_text() if moved is not None else "by hand: create it in the lifespan"
            codemod = "lifespan" if moved is not None and fix.startswith("`") else None
            if call.extra == "create_all":
                risk, why = (
                    Risk.LOW,
                    (
                        "runs DDL against the database whenever the module is imported (tests, tools, "
                        "every worker), before the app starts"
                    ),
                )
            elif call.extra == "connect":
                risk, why = (
                    Risk.MEDIUM,
                    (
                        "connects at import: the import fails when the service is down, and one "
                        "connection is shared by every request and thread"
                    ),
                )
            else:
                risk, why = (
                    Risk.LOW,
                    (
                        "client built at import: it reads its credentials at import time and is never closed"
                    ),
                )
            findings.append(
                Finding(
                    shown,
                    call.line,
                    "import-time-work",
                    f"import-time-{call.extra.replace('_', '-')}",
                    risk,
                    f"`{call.text or call.name}` at module level",
                    why,
                    fix,
                    codemod,
                )
            )
    return findings


_CODEMOD_CATEGORY = {
    "hoist-imports": ("function-import", Risk.LOW),
    "dedupe-imports": ("duplicate-import", Risk.LOW),
    "wrap-blocking-calls": ("blocking-call", Risk.MEDIUM),
    "lifespan": ("event-handler", Risk.MEDIUM),
    "event-loop-policy": ("loop-policy", Risk.MEDIUM),
}


def leftover_findings(ctx: AuditContext) -> list[Finding]:
    """Changes the codemods would make that no other finding accounts for. Skips that no finding
    accounts for are not findings: they are sites a codemod looked at and left alone."""
    findings = []
    for path, site in ctx.unused_sites():
        if site.kind != "change" or path not in ctx.scans:
            continue
        category, risk = _CODEMOD_CATEGORY.get(site.codemod, (site.codemod, Risk.LOW))
        fix = site.fix_text()
        findings.append(
            Finding(
                ctx.display(path),
                site.line,
                category,
                site.codemod,
                risk,
                site.message,
                site.fix_title or "reported by the codemod",
                fix,
                site.codemod if fix.startswith("`") else None,
            )
        )
    return findings
