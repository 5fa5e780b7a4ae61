"""Regenerate the codemod table in README.md from the registry (`make readme`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> int:
    table = subprocess.run(
        [sys.executable, "-m", "codemods", "list", "--format", "markdown"],
        cwd=README.parent,  # this checkout's codemods, whichever directory make runs from
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    text = README.read_text(encoding="utf-8")
    new = re.sub(
        r"(<!-- codemods-table:start -->\n).*?(<!-- codemods-table:end -->)",
        lambda m: f"{m.group(1)}{table}\n{m.group(2)}",
        text,
        flags=re.S,
    )
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
