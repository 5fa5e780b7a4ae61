"""Machine-readable and reviewer-facing reports (``--format``).

Each format is a function ``(RunInfo, results, codemods) -> str``. Reporters read results, never
trees; their output is deterministic (sorted, no timestamps, no absolute paths).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..base import Codemod
from ..types import FileResult, Options


@dataclass(frozen=True)
class RunInfo:
    """The run header every report carries."""

    command: str
    argv: tuple[str, ...]
    config: str | None
    options: Options
    codemods: tuple[str, ...]


Reporter = Callable[[RunInfo, Sequence[FileResult], Sequence[type[Codemod]]], str]

#: ``--format`` name -> reporter. ``diff`` is rendered by the CLI itself.
REPORT_FORMATS: dict[str, Reporter | None] = {"diff": None}

from . import github, json, markdown, sarif  # noqa: E402  (they import RunInfo from here)

REPORT_FORMATS.update(
    {"github": github.render, "json": json.render, "markdown": markdown.render, "sarif": sarif.render}
)
