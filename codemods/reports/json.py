"""``--format json``: the whole run as one JSON document, for bots and scripts.

Keys are sorted and lists have a fixed order (codemods by id, files by path, changes and skips by
line), so two runs over the same code give byte-identical reports. No timestamps, no absolute
paths. ``docs/reports.md`` describes every field and how it maps onto codemodder's CodeTF.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..base import Codemod
from ..types import FileResult
from .common import (
    TOOL,
    VERSION,
    codemod_doc,
    command_line,
    counts,
    options_dict,
    per_codemod,
    relative_arg,
    sorted_results,
    status,
    worth_reporting,
)
from .run_info import RunInfo

#: Bumped when a field changes meaning or disappears (new fields do not bump it).
REPORT_VERSION = 1


def document(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> dict[str, Any]:
    """The report as plain data (what :func:`render` serialises)."""
    by_codemod = per_codemod(results)
    docs = sorted((codemod_doc(c) for c in codemods), key=lambda d: d.id)
    return {
        "report_version": REPORT_VERSION,
        "run": {
            "argv": [relative_arg(a) for a in info.argv],
            "codemods": sorted(info.codemods),
            "command": info.command,
            "command_line": command_line(info.argv),
            "config": relative_arg(info.config) if info.config else None,
            "options": options_dict(info.options),
            "tool": TOOL,
            "version": VERSION,
        },
        "codemods": [
            {
                "default_on": d.default_on,
                "description": d.description,
                "fix_safety": d.fix_safety,
                "id": d.id,
                "references": [{"description": text, "url": url} for url, text in d.references],
                "summary": d.summary,
            }
            for d in docs
        ],
        "files": [file_entry(r) for r in sorted_results(results) if worth_reporting(r)],
        "summary": {
            "by_codemod": {
                d.id: {"changes": by_codemod.get(d.id, (0, 0))[1], "files": by_codemod.get(d.id, (0, 0))[0]}
                for d in docs
            },
            "changes": {
                "applied": sum(1 for r in results if r.failure is None for c in r.changes if c.applied),
                "not_applied": sum(
                    1 for r in results for c in r.changes if not c.applied or r.failure is not None
                ),
            },
            "files": counts(results),
            "skips": sum(len(r.skips) for r in results),
        },
    }


def file_entry(result: FileResult) -> dict[str, Any]:
    failure = result.failure
    return {
        "changes": [
            {
                "applied": c.applied and failure is None,
                "codemod": c.codemod,
                "fix_title": c.fix_title,
                "line": c.line,
                "message": c.message,
                "safety": c.safety.value,
            }
            for c in sorted(result.changes, key=lambda c: (c.line, c.codemod, c.message))
        ],
        "diff": result.diff if failure is None else "",
        "encoding": result.encoding,
        "failure": None
        if failure is None
        else {
            "codemod": failure.codemod,
            "description": failure.describe(),
            "line": failure.line,
            "message": failure.message,
            "stage": failure.stage,
        },
        "path": result.path,
        "skipped": result.skipped,
        "skips": [
            {"codemod": s.codemod, "line": s.line, "reason": s.reason}
            for s in sorted(result.skips, key=lambda s: (s.line, s.codemod, s.reason))
        ],
        "status": status(result),
        "written": result.written,
    }


def render(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> str:
    return json.dumps(document(info, results, codemods), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
