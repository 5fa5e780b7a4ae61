"""Write <case>.after.py for fixture pairs from the current codemods and print the diffs and skips
for review (`python scripts/regen_fixture.py fixtures/<id>/<case>.before.py ...`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from codemods import registry  # noqa: E402
from codemods.engine import make_diff, transform_source  # noqa: E402
from tests.helpers import case_options  # noqa: E402


def main(paths: list[str]) -> int:
    for name in paths:
        before = Path(name)
        case = before.with_name(before.name[: -len(".before.py")])
        options, meta = case_options(case)
        codemods = [registry.get(i) for i in meta.get("select", [before.parent.name])]
        source = before.read_bytes().decode("utf-8")
        result = transform_source(source, codemods, options, path=before)
        before.with_name(case.name + ".after.py").write_bytes(result.code.encode("utf-8"))
        print(f"===== {case.name}")
        print(make_diff(source, result.code, case.name + ".py") or "(no change)")
        for change in result.changes:
            print(f"  change {change.line}: {change.message} [{change.safety.value}, applied={change.applied}]")
        for skip in result.skips:
            print(f"  skip {skip.line}: {skip.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
