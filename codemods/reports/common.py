"""What every report format shares: codemod documentation split into its parts, file statuses,
the run header, and counts. Pure functions over results; nothing here touches the disk."""

from __future__ import annotations

import os
import re
import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__, registry
from ..base import Codemod
from ..diffs import display_path
from ..types import FileResult, Options

TOOL = "codemod"
VERSION = __version__

_LINK_RE = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)|<(https?://[^>\s]+)>|(https?://[^\s)>\]]+)")


@dataclass(frozen=True)
class CodemodDoc:
    """A codemod's documentation, taken apart (the docstring is the single source)."""

    id: str
    summary: str
    #: the documentation without its summary line (Markdown)
    description: str
    #: ``## Title`` -> section body (Markdown), in document order
    sections: dict[str, str]
    #: (url, text) for each link in ``## References``, in document order
    references: tuple[tuple[str, str], ...]
    fix_safety: str
    default_on: bool


def split_sections(doc: str) -> dict[str, str]:
    """``## Heading`` -> body. Headings inside fenced code blocks do not count."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fence: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {title: "\n".join(body).strip() for title, body in sections.items()}


def parse_references(text: str) -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        for m in _LINK_RE.finditer(line):
            url = m.group(2) or m.group(3) or m.group(4)
            label = m.group(1) or line.strip().lstrip("-* ").replace(m.group(0), "").strip(" :-—") or url
            if url not in {u for u, _ in found}:
                found.append((url, label))
    return tuple(found)


def codemod_doc(codemod: type[Codemod]) -> CodemodDoc:
    doc = codemod.DOC or ""
    summary = registry.summary(codemod)
    body = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
    sections = split_sections(doc)
    return CodemodDoc(
        id=codemod.ID,
        summary=summary,
        description=body,
        sections=sections,
        references=parse_references(sections.get("References", "")),
        fix_safety=str(codemod.FIX_SAFETY),
        default_on=bool(codemod.DEFAULT_ON),
    )


def status(result: FileResult) -> str:
    """changed / unchanged / skipped / failed (``changed`` also means *would* change)."""
    if result.failure is not None:
        return "failed"
    if result.skipped is not None:
        return "skipped"
    return "changed" if result.changed else "unchanged"


def worth_reporting(result: FileResult) -> bool:
    """Files a report lists: anything but an unchanged file with nothing to say."""
    return status(result) != "unchanged" or bool(result.changes or result.skips)


def sorted_results(results: Sequence[FileResult]) -> list[FileResult]:
    return sorted(results, key=lambda r: r.path)


def counts(results: Sequence[FileResult]) -> dict[str, int]:
    found = Counter(status(r) for r in results)
    return {key: found[key] for key in ("changed", "unchanged", "skipped", "failed")}


def per_codemod(results: Sequence[FileResult]) -> dict[str, tuple[int, int]]:
    """codemod id -> (files with an applied change, applied changes)."""
    files: Counter[str] = Counter()
    changes: Counter[str] = Counter()
    for result in results:
        if result.failure is not None:
            continue
        applied = [c for c in result.changes if c.applied]
        for codemod in {c.codemod for c in applied}:
            files[codemod] += 1
        changes.update(c.codemod for c in applied)
    return {cid: (files[cid], changes[cid]) for cid in sorted(set(files) | set(changes))}


def relative_arg(arg: str) -> str:
    """An absolute path on the command line, made relative (reports hold no absolute paths)."""
    if os.path.isabs(arg) and os.path.exists(arg):
        return display_path(Path(arg))
    return arg


def command_line(argv: Sequence[str]) -> str:
    return shlex.join([TOOL, *(relative_arg(a) for a in argv)])


def options_dict(options: Options) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items())}
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(value)

    return {
        "codemod_options": {k: plain(dict(v)) for k, v in sorted(options.codemod_options.items())},
        "exclude": list(options.exclude),
        "follow_symlinks": options.follow_symlinks,
        "ignore": list(options.ignore),
        "include_generated": options.include_generated,
        "select": list(options.select) if options.select is not None else None,
        "target_fastapi": ".".join(map(str, options.target_fastapi)) if options.target_fastapi else None,
        "target_version": ".".join(map(str, options.target_version)) if options.target_version else None,
        "unsafe_fixes": options.unsafe_fixes,
    }


def fence(text: str) -> str:
    """A Markdown code fence longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)
