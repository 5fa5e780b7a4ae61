"""``--format github``: GitHub Actions workflow commands, one annotation per line of the log.

``::warning file=PATH,line=N,title=CODEMOD::MESSAGE`` for each change (``notice`` for
display-only ones), ``::error`` for each file that could not be processed. Values are escaped
as the runner expects (``%``, ``\\r``, ``\\n``, and in properties also ``:`` and ``,``).

GitHub turns at most :data:`PER_STEP` annotations of each level (error, warning, notice) of a
step into annotations, and 50 of a whole job (``docs/problem-matchers.md`` of actions/toolkit,
"Limitations"); the rest are silently dropped. So errors come first, then warnings, then
notices, each in path and line order; when a level has more, the rest are printed after them as
plain log lines (``codemod: LEVEL: PATH:LINE: CODEMOD: MESSAGE``), announced by one notice saying how many.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..base import Codemod
from ..types import FileResult, Safety
from .common import TOOL, sorted_results
from .run_info import RunInfo

#: Annotations of each level GitHub shows per step.
PER_STEP = 10
_LEVELS = ("error", "warning", "notice")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, path: str, line: int | None, title: str, message: str) -> str:
    props = [f"file={escape_property(path)}"]
    if line:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


#: (level, path, line, title, message)
Annotation = tuple[str, str, int | None, str, str]


def collect(results: Sequence[FileResult]) -> list[Annotation]:
    found: list[Annotation] = []
    for result in sorted_results(results):
        if result.failure is not None:
            failure = result.failure
            found.append(("error", result.path, failure.line, f"codemod: {failure.stage} error", failure.describe()))
            continue
        for change in sorted(result.changes, key=lambda c: (c.line, c.codemod, c.message)):
            level = "notice" if change.safety is Safety.DISPLAY_ONLY else "warning"
            state = "" if change.applied else f" [{change.safety.value} fix, not applied]"
            message = f"{change.message}{state}\nFix: {change.fix_title}"
            found.append((level, result.path, change.line, change.codemod, message))
    return found


def _plain(level: str, path: str, line: int | None, title: str, message: str) -> str:
    """A log line that is no workflow command (it starts with the tool's name)."""
    text = " — ".join(message.splitlines())
    return escape_data(f"{TOOL}: {level}: {path}:{line or 1}: {title}: {text}")


def render(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> str:
    found = collect(results)
    by_level = {level: [a for a in found if a[0] == level] for level in _LEVELS}
    over = {level: max(0, len(items) - PER_STEP) for level, items in by_level.items()}
    lines: list[str] = []
    left: list[Annotation] = []
    if any(over.values()):
        over["notice"] = max(0, len(by_level["notice"]) - (PER_STEP - 1))  # room for this notice
        counts = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in over.items() if n)
        lines.append(
            f"::notice title={TOOL}::{sum(over.values())} more finding(s) ({counts}) are not annotated: GitHub "
            f"shows at most {PER_STEP} annotations of each level per step. They are listed at the end of this log."
        )
    for level in _LEVELS:
        keep = len(by_level[level]) - over[level]
        lines += [command(*a) for a in by_level[level][:keep]]
        left += by_level[level][keep:]
    lines += [_plain(*a) for a in left]
    return "".join(line + "\n" for line in lines)
