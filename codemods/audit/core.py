"""``audit_paths``: discover, gather (stdlib ``ast``), run the codemods without writing, analyse.

Nothing the audit reads is imported or executed; see :mod:`.environment` and :mod:`.envprobe`
for where an environment is asked about installed modules.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import libcst as cst

from .. import preflight, registry
from ..astkit.asts import Trees
from ..files import discover
from ..io import SourceError, read_source
from ..project import FileFacts, GatherFn, Item, gather_file, gather_project
from ..types import Options
from .codemod_pass import AUDIT_CODEMODS, available_codemods, run_codemods
from .context import AuditContext
from .declared import DECLARATION_KINDS, declaration_files, declares_anything
from .environment import Environment, current_environment
from .imports import (
    import_findings,
    shadowing_findings,
    third_party_names,
    undeclared_findings,
)
from .model import AuditReport, FileError, Finding
from .runtime import (
    blocking_findings,
    env_findings,
    handler_findings,
    import_work_findings,
    leftover_findings,
    policy_findings,
)
from .scan import ModuleScan, scan_module

SCAN_KEY = "codemod-audit"

NOTE_IMPORTS = (
    "Not a crash cause: a function-level import that fails does not take the server down. "
    "uvicorn answers that request with HTTP 500, logs the traceback and keeps serving (checked "
    "with uvicorn 0.54 on Python 3.11 and 3.13). Hoisting imports is hygiene plus fail-fast at "
    "startup, not a crash fix."
)
NOTE_LOOP = (
    "Not a cause: Python 3.13 did not change the Windows event loop (ProactorEventLoop has been "
    "the default since 3.8; 3.14 deprecates the policy API). No finding here is fixed by setting "
    "an event-loop policy."
)


def audit_paths(
    paths: Sequence[Path],
    options: Options | None = None,
    environment: Environment | None = None,
    *,
    root_label: str | None = None,
    include_tests: bool = False,
    codemod_ids: Sequence[str] = AUDIT_CODEMODS,
) -> AuditReport:
    """Audit the Python files under ``paths`` and return the report (never raises for a bad
    file: unreadable or unparsable files become :class:`FileError` entries).

    ``codemod_ids`` are the codemods whose results feed the findings (those not installed are
    skipped); with none, the audit falls back to its own small blocking-call list.
    """
    options = options or Options()
    env = environment or current_environment()
    found = discover(paths, options.exclude, options.follow_symlinks, options.respect_gitignore)
    files = found.files
    base = _base(paths)
    codemods = available_codemods(codemod_ids)
    gatherers: dict[str, GatherFn] = {c.ID: c.gather for c in codemods if c.has_gather()}
    gatherers[SCAN_KEY] = scan_module
    combiners = {c.ID: c.combine for c in codemods if c.has_gather()}
    records: dict[str, FileFacts] = {}
    trees = Trees()  # the gather phase and the codemod pass read each text once

    def capture(fn: object, items: list[Item]) -> Iterable[FileFacts]:
        for path, info in items:
            record = gather_file(path, gatherers, info=info, trees=trees)
            records[record.path] = record
            yield record

    project = gather_project(files, gatherers, combiners, map_fn=capture)

    def display(resolved: str) -> str:
        return os.path.relpath(resolved, base).replace(os.sep, "/")

    audited = {str(p.resolve()) for p in files if include_tests or not is_test_file(p, base)}
    all_scans: dict[str, ModuleScan] = {
        path: record.codemod[SCAN_KEY]
        for path, record in records.items()
        if record.parsed and isinstance(record.codemod.get(SCAN_KEY), ModuleScan)
    }
    errors, newer = _unparsed(sorted(p for p in audited if p not in all_scans), display)
    # a directory that cannot be listed, a named path that is not a regular file: not audited
    errors.extend(FileError(display(os.path.abspath(p)), reason) for p, reason in found.errors)
    for path, scan in sorted(all_scans.items()):
        if scan.error is not None and path in audited:
            errors.append(FileError(display(path), scan.error))
    all_scans = {p: s for p, s in all_scans.items() if s.error is None}
    broken = {e.path for e in errors}
    runnable = [
        p for p in files if str(p.resolve()) in audited and display(str(p.resolve())) not in broken
    ]
    pass_options = replace(options, unsafe_fixes=False, select=None)
    result = run_codemods(runnable, codemods, pass_options, project, trees)
    for path, message in sorted(result.failures.items()):
        if display(path) not in broken:
            errors.append(FileError(display(path), message))
    ctx = AuditContext(
        env=env,
        project=project,
        base=str(base),
        scans={p: s for p, s in all_scans.items() if p in audited},
        all_scans=all_scans,
        infos={path: record.info for path, record in records.items()},
        display=display,
        sites=result.sites,
        ran=result.ran,
        target_version=options.target_version,
    )
    env.prefetch(third_party_names(ctx))  # one question to another interpreter, not one per name
    findings: list[Finding] = []
    for analysis in (
        import_findings,
        undeclared_findings,
        shadowing_findings,
        env_findings,
        blocking_findings,
        handler_findings,
        policy_findings,
        import_work_findings,
        leftover_findings,  # last: it reports what the others did not use
    ):
        findings.extend(analysis(ctx))
    labels = {display(p): ctx.component_label(p) for p in sorted(audited)}
    findings = [
        replace(f, component=labels.get(f.path) or _label_of(ctx, f.path)) for f in findings
    ]
    components = {ctx.component(p).root: ctx.component(p) for p in sorted(audited)}
    notes = _notes(ctx, sorted(audited), findings, newer, result.ran)
    notes += [f"{display(os.path.abspath(p))}: skipped: {reason}" for p, reason in found.passed]
    return AuditReport(
        root=root_label or " ".join(p.as_posix() for p in paths),
        python=f"{env.python[0]}.{env.python[1]}",
        files=len(audited),
        findings=tuple(sorted(set(findings))),
        errors=tuple(sorted(errors, key=lambda e: e.path)),
        declarations=tuple(
            sorted({display(f) for c in components.values() for f in declaration_files(c)})
        ),
        components=tuple(sorted(set(labels.values()))),
        notes=tuple(notes),
        environment=env.describe(),
    )


def _label_of(ctx: AuditContext, shown: str) -> str:
    """The component of a finding's file, from its shown path (every finding is in an audited
    file, so this is only a fallback)."""
    return ctx.component_label(os.path.normpath(os.path.join(ctx.base, shown)))


def is_test_file(path: Path, base: Path) -> bool:
    """Test code: ``test_*.py``, ``*_test.py``, ``conftest.py``, or under a ``tests``/``test`` directory."""
    try:
        parts = path.resolve().relative_to(base).parts
    except ValueError:
        parts = path.parts
    name = parts[-1] if parts else path.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(p in {"tests", "test"} for p in parts[:-1])
    )


def _base(paths: Sequence[Path]) -> Path:
    dirs = [p.resolve() if p.is_dir() else p.resolve().parent for p in paths] or [Path.cwd()]
    return Path(os.path.commonpath([str(d) for d in dirs]))


def _unparsed(paths: list[str], display: Callable[[str], str]) -> tuple[list[FileError], list[str]]:
    """Files ``ast`` could not read: broken ones are errors; libcst-readable ones (syntax newer
    than this interpreter) are only noted."""
    errors: list[FileError] = []
    newer: list[str] = []
    for path in paths:
        try:
            _, text, _ = read_source(Path(path))
        except SourceError as exc:
            errors.append(FileError(display(path), f"{exc.stage} error: {exc.message}"))
            continue
        refused = preflight.check(text, Trees())  # what would crash libcst
        if refused is not None:
            errors.append(FileError(display(path), f"{refused.stage} error: {refused.message}"))
            continue
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            errors.append(
                FileError(display(path), f"syntax error at line {exc.raw_line}: {exc.message}")
            )
        except RecursionError:
            errors.append(FileError(display(path), "too deeply nested to parse"))
        else:
            newer.append(display(path))
    return errors, newer


def _notes(
    ctx: AuditContext,
    audited: list[str],
    findings: list[Finding],
    newer: list[str],
    ran: tuple[str, ...],
) -> list[str]:
    notes = []
    if any(f.category == "function-import" for f in findings) or any(
        f.category == "missing-module" and "inside" in f.message for f in findings
    ):
        notes.append(NOTE_IMPORTS)
    uses_fastapi = any(ctx.view(p).uses_fastapi for p in audited)
    if uses_fastapi or any(f.category == "loop-policy" for f in findings):
        notes.append(NOTE_LOOP)
    # undeclared imports are checked per component: say which components declare nothing
    lacking = {
        p: ctx.component_label(p) for p in audited if not declares_anything(ctx.component(p))
    }
    if lacking and len(lacking) == len(audited):
        notes.append(
            f"No dependency declarations found ({DECLARATION_KINDS}), "
            "so undeclared imports were not checked."
        )
    elif lacking:
        undeclaring = sorted(set(lacking.values()))
        names = ", ".join(f"`{c}`" for c in undeclaring)
        their = "its" if len(undeclaring) == 1 else "their"
        notes.append(
            f"No dependency declarations found for {names} ({DECLARATION_KINDS}), "
            f"so undeclared imports were not checked in {their} files."
        )
    for path in newer:
        notes.append(
            f"`{path}` uses syntax newer than the Python running codemod "
            f"({sys.version_info[0]}.{sys.version_info[1]}): not analysed."
        )
    missing = [c for c in AUDIT_CODEMODS if c not in ran and c not in registry.all_codemods()]
    if missing:
        notes.append(
            "Codemods not installed, so their fixes are not offered: " + ", ".join(missing) + "."
        )
    return notes
