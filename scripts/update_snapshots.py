"""Regenerate the report snapshots in ``fixtures/reports/`` from ``fixtures/report-project/``.

Run it after an intended change to a report format (or to a codemod's documentation, which the
reports quote), then review ``git diff fixtures/reports`` like any other change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_reports import SNAPSHOTS, copy_project, render_all  # noqa: E402


def main() -> int:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        outputs = render_all(copy_project(Path(tmp)))
    for name, data in sorted(outputs.items()):
        target = SNAPSHOTS / name
        old = target.read_bytes() if target.exists() else None
        target.write_bytes(data)
        print(f"{'unchanged' if old == data else 'updated  '} {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
