"""``--format github``: GitHub Actions workflow commands, one annotation per line of the log.

``::warning file=PATH,line=N,title=CODEMOD::MESSAGE`` for each change (``notice`` for
display-only ones), ``::error`` for each file that could not be processed. Values are escaped
as the runner expects (``%``, ``\\r``, ``\\n``, and in properties also ``:`` and ``,``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..base import Codemod
from ..types import FileResult, Safety
from . import RunInfo
from .common import sorted_results


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


def render(info: RunInfo, results: Sequence[FileResult], codemods: Sequence[type[Codemod]]) -> str:
    lines: list[str] = []
    for result in sorted_results(results):
        if result.failure is not None:
            failure = result.failure
            lines.append(command("error", result.path, failure.line, f"codemod: {failure.stage} error", failure.describe()))
            continue
        for change in sorted(result.changes, key=lambda c: (c.line, c.codemod, c.message)):
            level = "notice" if change.safety is Safety.DISPLAY_ONLY else "warning"
            state = "" if change.applied else f" [{change.safety.value} fix, not applied]"
            message = f"{change.message}{state}\nFix: {change.fix_title}"
            lines.append(command(level, result.path, change.line, change.codemod, message))
    return "".join(line + "\n" for line in lines)
