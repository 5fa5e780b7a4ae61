"""Findings as ``codemod check`` lists them: ruff's concise format, and ``--statistics``.

One line per reported change, ``PATH:LINE:COL: CODEMOD [*] MESSAGE``, where ``[*]`` marks a fix
``apply`` makes (ruff's mark); a fix held back says why at the end: ``[unsafe: --unsafe-fixes]``,
``[display-only]`` (never applied: for a person to decide) or ``[not applied]`` (declined).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .types import Change, Safety

FIX = "[*]"
HELD = {Safety.UNSAFE: "[unsafe: --unsafe-fixes]", Safety.DISPLAY_ONLY: "[display-only]"}
#: ``--statistics`` label of each kind, as ruff marks fixable rules
KINDS = {
    "fix": "[*] fix",
    "unsafe": "[ ] unsafe fix (--unsafe-fixes)",
    "display-only": "[ ] display-only",
}


def order(change: Change) -> tuple[int, int, str, str]:
    return change.line, change.column, change.codemod, change.message


def kind(change: Change) -> str:
    """fix / unsafe / display-only / not-applied."""
    if change.applied:
        return "fix"
    if change.safety is Safety.UNSAFE:
        return "unsafe"
    if change.safety is Safety.DISPLAY_ONLY:
        return "display-only"
    return "not-applied"


def line(path: str, change: Change) -> str:
    where = f"{path}:{change.line}:{change.column}: {change.codemod}"
    if change.applied:
        return f"{where} {FIX} {change.message}"
    return f"{where} {change.message} {HELD.get(change.safety, '[not applied]')}"


class Statistics:
    """Counts per codemod and kind of finding, printed as ruff prints ``--statistics``."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, changes: Iterable[Change]) -> None:
        self.counts.update((c.codemod, kind(c)) for c in changes)

    def table(self) -> str:
        rows = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        if not rows:
            return ""
        count_width = max(len(str(n)) for _, n in rows)
        id_width = max(len(cid) for (cid, _), _ in rows)
        return "".join(
            f"{n:>{count_width}}\t{cid:<{id_width}}\t{KINDS.get(k, '[ ] ' + k)}\n"
            for (cid, k), n in rows
        )
