"""Machine-readable and reviewer-facing reports (``--format``).

Each format is a function ``(RunInfo, results, codemods) -> str``. Reporters read results, never
trees; their output is deterministic (sorted, no timestamps, no absolute paths).
"""

from __future__ import annotations

from . import github, json, markdown, sarif
from .run_info import Reporter, RunInfo

__all__ = ["REPORT_FORMATS", "Reporter", "RunInfo"]

#: ``--format`` name -> reporter. ``diff`` is rendered by the CLI itself.
REPORT_FORMATS: dict[str, Reporter | None] = {
    "diff": None,
    "github": github.render,
    "json": json.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
}
