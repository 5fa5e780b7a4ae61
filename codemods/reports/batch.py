"""What ``codemod batch`` reports: the commit message of each repository and the run summary
(a table for people, a JSON document for scripts). Deterministic: sorted by repository name."""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..batch_settings import Outcome, Settings

STATUSES = ("changed", "unchanged", "already-done", "dirty", "failed", "verify-failed", "push-failed", "pr-failed")
TRAILER = "Codemod-Batch:"
#: Changes listed per codemod in a commit message before it says "... and N more".
MAX_LISTED = 100


def commit_message(doc: dict[str, Any], codemods: Sequence[str]) -> str:
    """The commit message: a subject, then per codemod its summary and its changes."""
    summaries = {c["id"]: c["summary"] for c in doc["codemods"]}
    per: dict[str, list[tuple[str, int, str]]] = {}
    for entry in doc["files"]:
        if entry["status"] != "changed":
            continue
        for change in entry["changes"]:
            if change["applied"]:
                per.setdefault(change["codemod"], []).append((entry["path"], change["line"], change["message"]))
    lines = [f"codemod: {', '.join(sorted(per)) or 'no changes'}", ""]
    for codemod in sorted(per):
        listed = per[codemod]
        n, files = len(listed), len({path for path, _, _ in listed})
        lines.append(
            f"{codemod} ({n} change{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}): "
            f"{summaries.get(codemod, '')}"
        )
        lines += [f"  {path}:{line}: {message}" for path, line, message in listed[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more")
        lines.append("")
    lines.append(f"{TRAILER} {','.join(codemods)}")
    return "\n".join(lines) + "\n"


def summary(outcomes: Sequence[Outcome], settings: Settings) -> dict[str, Any]:
    found = Counter(o.status for o in outcomes)
    return {
        "branch": settings.branch,
        "codemods": list(settings.codemods),
        "counts": {status: found[status] for status in STATUSES},
        "repos": [asdict(o) for o in sorted(outcomes, key=lambda o: o.name)],
    }


def table(outcomes: Sequence[Outcome]) -> str:
    rows = [("repository", "status", "files", "changes", "detail")]
    rows += [(o.name, o.status, str(o.files_changed), str(o.changes), o.detail) for o in sorted(outcomes, key=lambda o: o.name)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip() for row in rows]
    found = Counter(o.status for o in outcomes)
    lines.append(", ".join(f"{found[s]} {s}" for s in STATUSES))
    commands = [o.pr_command for o in sorted(outcomes, key=lambda o: o.name) if o.pr_command]
    if commands:
        lines += ["", "gh is not installed (or not on PATH); open the pull requests with:", *commands]
    return "\n".join(lines) + "\n"


class Progress:
    """One status line on stderr (repositories and files); silent unless enabled."""

    def __init__(self, repos: int, enabled: bool) -> None:
        self.enabled = enabled
        self.repos_total = repos
        self.repos_done = 0
        self.files_total = 0
        self.files_done = 0
        self.lock = threading.Lock()

    def update(self, repos_done: int = 0, files_total: int = 0, files_done: int = 0) -> None:
        with self.lock:
            self.repos_done += repos_done
            self.files_total += files_total
            self.files_done += files_done
            if not self.enabled:
                return
            width = 20
            filled = width * self.repos_done // max(1, self.repos_total)
            bar = "#" * filled + "-" * (width - filled)
            files = f"files {self.files_done}/{self.files_total}" if self.files_total else "files -"
            sys.stderr.write(f"\rrepositories [{bar}] {self.repos_done}/{self.repos_total}  {files}\x1b[K")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
