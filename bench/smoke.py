"""``make smoke``: every default codemod over a temporary copy of the pinned real-world corpus.

Copies the corpus of ``bench/corpus.lock`` (built by ``bench/build_corpus.py``) to a temporary
directory, runs the real CLI there (``codemod apply``, then ``codemod check``) and reports:

- files changed;
- crashes: internal errors (a codemod or the engine raised), or the CLI itself dying; must be 0;
- outputs that no longer compile: files that compiled before and do not after; must be 0;
- new lint findings: ``ruff check --select F,I,E402`` (pyflakes, import order, imports not at
  the top) before vs after, compared as a multiset of (file, rule, message) so moved lines do
  not count; shown per rule family, must be 0;
- new format failures: files ``ruff format --check`` accepted before and not after; must be 0;
- files a second run would still change (``codemod check`` after ``apply``); must be 0.

Exit status 1 when any of the must-be-0 counts is not 0. The corpus itself is never touched.

    python bench/smoke.py                        # what `make smoke` runs
    python bench/smoke.py --ignore wrap-blocking-calls --json smoke.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent


def corpus_dirs() -> list[Path]:
    out = subprocess.run(
        [sys.executable, str(HERE / "build_corpus.py"), "--quiet", "--paths"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [Path(line) for line in out.split()]


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py")) if p.is_file()}


def compiles(data: bytes, name: str) -> bool:
    try:
        compile(data, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def lint(root: Path) -> Counter[tuple[str, str, str]]:
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--select", "F,I,E402", "--exit-zero",
         "--output-format", "json", "."],
        cwd=root, check=True, capture_output=True, text=True,
    )  # fmt: skip
    found: Counter[tuple[str, str, str]] = Counter()
    for item in json.loads(proc.stdout or "[]"):
        rel = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        found[(rel, item["code"] or "E999", item["message"])] += 1
    return found


def unformatted(root: Path) -> set[str]:
    """The files ``ruff format --check`` would reformat (default settings, like ``lint``)."""
    proc = subprocess.run(
        [str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", "."],
        cwd=root, check=False, capture_output=True, text=True,
    )  # fmt: skip
    prefix = "Would reformat: "
    return {
        Path(line[len(prefix) :]).as_posix() for line in proc.stdout.splitlines() if line.startswith(prefix)
    }


def family(code: str) -> str:
    return "F" if code.startswith("F") else code


def codemod(command: str, root: Path, report: Path, jobs: int, extra: list[str]) -> tuple[dict[str, Any], int, float]:
    """Run the real CLI over every package directory in ``root``; the JSON report, exit status
    and seconds taken."""
    argv = [str(BIN / "codemod"), command, "--no-cache", "--jobs", str(jobs), "--color", "never",
            "--format", "json", "--output", str(report), *extra, *sorted(p.name for p in root.iterdir())]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1, 3) or not report.exists():
        sys.stderr.write(proc.stderr[-4000:])
        return {"files": [], "summary": {}}, proc.returncode, seconds
    return json.loads(report.read_text(encoding="utf-8")), proc.returncode, seconds


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    return proc.stdout.strip() + ("+uncommitted changes" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--ignore", default="", help="codemod ids to leave out (comma-separated)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print where")
    args = parser.parse_args()
    extra = ["--ignore", args.ignore] if args.ignore else []

    work = Path(tempfile.mkdtemp(prefix="codemod-smoke-"))
    tree, reports = work / "corpus", work / "reports"
    tree.mkdir()
    reports.mkdir()
    try:
        for source in corpus_dirs():
            shutil.copytree(source, tree / source.name, ignore=shutil.ignore_patterns(".corpus.json"))
        before = snapshot(tree)
        flakes_before = lint(tree)
        format_before = unformatted(tree)
        applied, apply_status, apply_seconds = codemod("apply", tree, reports / "apply.json", args.jobs, extra)
        after = snapshot(tree)
        flakes_after = lint(tree)
        format_after = unformatted(tree)
        checked, check_status, check_seconds = codemod("check", tree, reports / "check.json", args.jobs, extra)

        changed = sorted(n for n in before if after.get(n) != before[n])
        failures = [f for f in applied["files"] if f["failure"]]
        crashes = [f"{f['path']}: {f['failure']['description']}" for f in failures if f["failure"]["stage"] == "internal"]
        if apply_status not in (0, 1, 3):
            crashes.append(f"codemod apply exited with status {apply_status}")
        if check_status not in (0, 1, 3):
            crashes.append(f"codemod check exited with status {check_status}")
        broken = [n for n in changed if compiles(before[n], n) and not compiles(after[n], n)]
        new_flakes = sorted((flakes_after - flakes_before).elements())
        by_family = Counter(family(code) for _, code, _ in new_flakes)
        new_format = sorted(format_after - format_before)
        still = sorted(f["path"] for f in checked["files"] if f["status"] == "changed")
        numbers: dict[str, Any] = {
            "date": datetime.date.today().isoformat(),
            "commit": git_commit(),
            "python": sys.version.split()[0],
            "ignored codemods": args.ignore or "none",
            "files": len(before),
            "files changed": len(changed),
            "failed files (all stages)": dict(Counter(f["failure"]["stage"] for f in failures)),
            "crashes": len(crashes),
            "outputs that no longer compile": len(broken),
            "new lint findings": len(new_flakes),
            "new F findings": by_family["F"],
            "new I001 findings": by_family["I001"],
            "new E402 findings": by_family["E402"],
            "new ruff format failures": len(new_format),
            "files a second run still changes": len(still),
            "apply seconds": round(apply_seconds, 1),
            "check seconds": round(check_seconds, 1),
        }
        for key, value in numbers.items():
            print(f"{key}: {value}")
        for title, items in (
            ("crashes", crashes),
            ("outputs that no longer compile", broken),
            ("new lint findings", [" ".join(f) for f in new_flakes]),
            ("new ruff format failures", new_format),
            ("files a second run still changes", still),
            ("failures", [f"{f['path']}: {f['failure']['description']}" for f in failures]),
        ):
            for item in items:
                print(f"  {title}: {item}")
        if args.json:
            details = {
                "crash list": crashes, "broken": broken, "new_flakes": new_flakes,
                "new_format": new_format, "still_changing": still,
            }  # fmt: skip
            args.json.write_text(json.dumps({**numbers, **details}, indent=2) + "\n", encoding="utf-8")
        return 1 if crashes or broken or new_flakes or new_format or still else 0
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("FORCE_COLOR", None)
    sys.exit(main())
