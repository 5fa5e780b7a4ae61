"""Render an :class:`AuditReport` as Markdown (for people), JSON or SARIF 2.1.0 (for machines).

All three are deterministic: findings sorted, no timestamps, no absolute paths.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..reports.sarif import SCHEMA_URI, uri
from .model import AuditReport, CheckedEnvironment, Finding, Risk, category

_RISK_ORDER = (Risk.HIGH, Risk.MEDIUM, Risk.LOW, Risk.INFO)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _components(report: AuditReport) -> tuple[str, ...]:
    """The components the report spans (from the findings when the report does not say)."""
    return report.components or tuple(sorted({f.component for f in report.findings if f.component}))


def _checked(report: AuditReport) -> CheckedEnvironment:
    return report.environment or CheckedEnvironment("described", report.python)


def render_markdown(report: AuditReport) -> str:
    """One table per category; a ``component`` column only when the audit spans more than one
    component (a single project's report reads as it always did)."""
    lines = [f"# Audit report: `{report.root}`", ""]
    declared = ", ".join(f"`{d}`" for d in report.declarations) or "none found"
    components = _components(report)
    several = len(components) > 1
    spans = (
        " Components (each checked against its own declarations): "
        + ", ".join(f"`{c}`" for c in components)
        + "."
        if several
        else ""
    )
    lines += [
        f"{report.files} Python file{'s' if report.files != 1 else ''} analysed"
        f" ({len(report.errors)} could not be parsed). {_checked(report).sentence()}"
        f" Dependency declarations: {declared}." + spans,
        "",
    ]
    actionable = [f for f in report.findings if f.risk is not Risk.INFO]
    counts = ", ".join(
        f"{sum(1 for f in actionable if f.risk is r)} {r.value}" for r in _RISK_ORDER[:3]
    )
    lines += ["## Root-cause summary", "", f"{len(actionable)} findings: {counts}.", ""]
    rows = report.summary()
    if rows:
        lines += ["| # | category | high | medium | low | fix |", "|---|---|---:|---:|---:|---|"]
        for i, row in enumerate(rows, 1):
            c = row.counts
            lines.append(
                f"| {i} | {row.category.title} | {c[Risk.HIGH]} | {c[Risk.MEDIUM]} | {c[Risk.LOW]} | {_cell(row.fix)} |"
            )
        lines.append("")
    else:
        lines += ["Nothing found.", ""]
    for note in report.notes:
        lines += [f"> {note}", ""]
    if report.errors:
        lines += ["## Files that could not be analysed", ""]
        lines += [f"- `{e.path}`: {e.message}" for e in report.errors]
        lines.append("")
    for row in rows:
        found = [f for f in report.findings if f.category == row.category.id]
        found.sort(key=lambda f: (-f.risk.rank, f.path, f.line, f.rule))
        lines += [f"## {row.category.title} ({len(found)})", ""]
        if several:
            lines += [
                "| where | component | risk | finding | why | fix |",
                "|---|---|---|---|---|---|",
            ]
        else:
            lines += ["| where | risk | finding | why | fix |", "|---|---|---|---|---|"]
        for f in found:
            component = f" `{_cell(f.component)}` |" if several else ""
            lines.append(
                f"| `{f.path}:{f.line}` |{component} {f.risk.value} | {_cell(f.message)} | {_cell(f.why)} | {_cell(f.fix)} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path,
        "line": f.line,
        "risk": f.risk.value,
        "category": f.category,
        "rule": f.rule,
        "message": f.message,
        "why": f.why,
        "fix": f.fix,
        "codemod": f.codemod,
        "component": f.component,
    }


def render_json(report: AuditReport) -> str:
    data = {
        "version": 1,
        "tool": {"name": "codemod audit", "version": __version__},
        "root": report.root,
        "python": report.python,
        "environment": _checked(report).as_json(),
        "files": report.files,
        "declarations": list(report.declarations),
        "components": list(_components(report)),
        "summary": [
            {
                "category": row.category.id,
                "title": row.category.title,
                "counts": {r.value: row.counts[r] for r in _RISK_ORDER},
                "fix": row.fix,
            }
            for row in report.summary()
        ],
        "findings": [
            _finding_json(f)
            for f in sorted(report.findings, key=lambda f: (f.path, f.line, f.category, f.rule))
        ],
        "errors": [{"path": e.path, "message": e.message} for e in report.errors],
        "notes": list(report.notes),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_SARIF_LEVEL = {Risk.HIGH: "error", Risk.MEDIUM: "warning", Risk.LOW: "note", Risk.INFO: "none"}


def render_sarif(report: AuditReport) -> str:
    """SARIF 2.1.0: one rule per finding rule id (sorted), one result per finding.

    INFO findings are left out (they are not problems)."""
    findings = [f for f in report.findings if f.risk is not Risk.INFO]
    rules = sorted({(f.category, f.rule) for f in findings}, key=lambda cr: cr[1])
    rule_ids = [r for _, r in rules]
    results = []
    for f in sorted(findings, key=lambda f: (f.path, f.line, f.rule)):
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rule_ids.index(f.rule),
                "level": _SARIF_LEVEL[f.risk],
                "message": {"text": f"{f.message}: {f.why}. Fix: {f.fix}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri(f.path), "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": f.line},
                        }
                    }
                ],
                "properties": {
                    "risk": f.risk.value,
                    "category": f.category,
                    "codemod": f.codemod,
                    "component": f.component,
                },
            }
        )
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(e.path), "uriBaseId": "%SRCROOT%"}
                    }
                }
            ],
        }
        for e in report.errors
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "codemod-audit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [
                    {
                        "id": rule,
                        "name": rule,
                        "shortDescription": {"text": category(cat).title},
                        "help": {"text": "Fix: " + category(cat).manual},
                        "properties": {"category": cat},
                    }
                    for cat, rule in rules
                ],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": report.root}}},
        "properties": {"environment": _checked(report).as_json()},
        "results": results,
        "invocations": [
            {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
        ],
    }
    data = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[AuditReport], str]] = {
    "markdown": render_markdown,
    "json": render_json,
    "sarif": render_sarif,
}
