"""``--format sarif``: SARIF 2.1.0 for code-scanning dashboards.

One rule per selected codemod (sorted by id; its documentation is the rule's help), one result per
change, failures as tool execution notifications. Each applied change carries ``fixes``: the
line edits between the file before and after. A file's edits are shared out among its results
(each edit goes to the nearest change), so applying the fixes of every result of a file gives
exactly the fixed file; a single result's fix may depend on another's (a hoisted import is
removed in one place and added in another) and is not meant to be applied alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from ..base import Codemod
from ..types import Change, FileResult, Safety
from .common import TOOL, VERSION, codemod_doc, command_line, sorted_results
from .edits import Edit, edits, offsets, position
from .run_info import RunInfo

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

_LEVEL = {Safety.SAFE: "warning", Safety.UNSAFE: "warning", Safety.DISPLAY_ONLY: "note"}


def uri(path: str) -> str:
    """A relative path as a URI reference (``%``-encoded: spaces, non-ASCII, ``#``, ``?``)."""
    return quote(path, safe="/")


def rule_name(codemod_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", codemod_id))


def document(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> dict[str, Any]:
    docs = sorted((codemod_doc(c) for c in codemods), key=lambda d: d.id)
    index = {d.id: i for i, d in enumerate(docs)}
    rules = [
        {
            "id": d.id,
            "name": rule_name(d.id),
            "shortDescription": {"text": d.summary or d.id},
            "fullDescription": {"text": d.sections.get("What it does", d.summary) or d.id},
            "help": {"text": d.description or d.summary or d.id, "markdown": d.description or d.summary or d.id},
            "defaultConfiguration": {"enabled": d.default_on, "level": "warning"},
            "properties": {"fixSafety": d.fix_safety, "references": [u for u, _ in d.references]},
        }
        for d in docs
    ]
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for result in sorted_results(results):
        if result.failure is not None:
            notifications.append(_notification(result))
            continue
        sarif_results.extend(_results(result, index))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL, "version": VERSION, "semanticVersion": VERSION, "rules": rules}},
        "invocations": [
            {
                "commandLine": command_line(info.argv),
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": sarif_results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _location(path: str, line: int) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri(path)},
            "region": {"startLine": max(1, line)},
        }
    }


def _notification(result: FileResult) -> dict[str, Any]:
    assert result.failure is not None
    return {
        "level": "error",
        "message": {"text": f"{result.path}: {result.failure.describe()}"},
        "locations": [_location(result.path, result.failure.line or 1)],
        "properties": {"stage": result.failure.stage, "codemod": result.failure.codemod},
    }


def assign_edits(changes: Sequence[Change], file_edits: Sequence[Edit]) -> dict[int, list[Edit]]:
    """Share a file's edits out among its applied changes: index into ``changes`` -> edits.

    Each edit goes to the change whose line lies in it or, failing that, is nearest to it (ties:
    the earlier change); every edit goes somewhere as long as one change was applied.
    """
    applied = [i for i, c in enumerate(changes) if c.applied]
    assigned: dict[int, list[Edit]] = {i: [] for i in applied}
    if not applied:
        return assigned
    for edit in file_edits:
        first, last = edit.old_start + 1, max(edit.old_end, edit.old_start + 1)

        def distance(i: int, first: int = first, last: int = last) -> tuple[int, int]:
            line = changes[i].line
            return (0 if first <= line <= last else min(abs(line - first), abs(line - last)), i)

        assigned[min(applied, key=distance)].append(edit)
    return assigned


def _results(result: FileResult, index: dict[str, int]) -> list[dict[str, Any]]:
    changes = sorted(result.changes, key=lambda c: (c.line, c.codemod, c.message))
    assigned: dict[int, list[Edit]] = {}
    before = result.before or ""
    starts: list[int] = []
    if result.changed and result.before is not None and result.after is not None:
        assigned = assign_edits(changes, edits(result.before, result.after))
        starts = offsets(before)
    out = []
    for i, change in enumerate(changes):
        item: dict[str, Any] = {
            "ruleId": change.codemod,
            "level": _LEVEL.get(change.safety, "warning"),
            "message": {"text": f"{change.message} (fix: {change.fix_title})"},
            "locations": [_location(result.path, change.line)],
            "properties": {"safety": change.safety.value, "applied": change.applied},
        }
        if change.codemod in index:
            item["ruleIndex"] = index[change.codemod]
        mine = assigned.get(i)
        if mine:
            item["fixes"] = [
                {
                    "description": {"text": change.fix_title},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": uri(result.path)},
                            "replacements": [_replacement(e, before, starts) for e in mine],
                        }
                    ],
                }
            ]
        out.append(item)
    return out


def _replacement(edit: Edit, before: str, starts: Sequence[int]) -> dict[str, Any]:
    start, end = starts[edit.old_start], starts[edit.old_end]
    start_line, start_column = position(starts, before, start)
    end_line, end_column = position(starts, before, end)
    return {
        "deletedRegion": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": end_column,
            "charOffset": start,
            "charLength": end - start,
        },
        "insertedContent": {"text": "".join(edit.new_lines)},
    }


def render(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> str:
    return json.dumps(document(info, results, codemods), indent=2, ensure_ascii=False) + "\n"
