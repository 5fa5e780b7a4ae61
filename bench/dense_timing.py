"""Measurement (e), in one process after imports: ``codemod apply --dry-run`` on one file against
the bare ``libcst.parse_module(source).code`` round trip of the same file.

Each side runs once untimed (warm-up: lazy imports, codemod discovery), then ``--reps`` times,
alternating. The bare round trip is timed once more in a process of its own that imports only
libcst (``parse_print_fresh``): in this process it pays for the garbage collector's passes over
whatever the codemod side left alive, so a tool that leaks makes its own baseline slower (the
ninth session's code left 240,000 objects, and its round trip took 0.62-0.69 s here against
0.575 s fresh). The codemod side calls ``codemods.cli.main`` exactly as the command line would
(one file, so no worker pool; ``--no-cache``), with its output captured; prints one JSON object.

    python bench/dense_timing.py FILE [--reps 3] [--codemod-args "..."]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import libcst

from codemods.cli import main as codemod_main


def _round_trip(source: str) -> float:
    start = time.perf_counter()
    code = libcst.parse_module(source).code
    elapsed = time.perf_counter() - start
    if code != source:
        raise SystemExit("libcst round trip is not byte-identical")
    return elapsed


def _codemod(argv: list[str]) -> tuple[float, int, str, str]:
    # binary-backed, since the renderer writes diffs to sys.stdout.buffer
    raw_out, raw_err = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(raw_out, encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(raw_err, encoding="utf-8", write_through=True)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        start = time.perf_counter()
        code = codemod_main(argv)
        elapsed = time.perf_counter() - start
    return (
        elapsed,
        code,
        raw_out.getvalue().decode("utf-8", "replace"),
        raw_err.getvalue().decode("utf-8", "replace"),
    )


_FRESH = """
import json, sys, time
import libcst
source = open(sys.argv[1], encoding="utf-8").read()
libcst.parse_module(source).code
runs = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    libcst.parse_module(source).code
    runs.append(time.perf_counter() - start)
print(json.dumps(runs))
"""


def _fresh_round_trips(path: Path, reps: int) -> list[float]:
    """The bare round trip in a new process that imports nothing but libcst (``-I``)."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", _FRESH, str(path), str(reps)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    runs: list[float] = json.loads(done.stdout)
    return runs


def _stats(values: list[float]) -> dict[str, float | list[float]]:
    return {
        "min_s": round(min(values), 4),
        "median_s": round(statistics.median(values), 4),
        "runs_s": [round(v, 4) for v in values],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--codemod-args", default="", help="extra arguments for codemod apply")
    args = parser.parse_args(argv)
    source = args.file.read_text(encoding="utf-8")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    command = ["apply", "--dry-run", "--no-cache", "--jobs", "1", "--color", "never",
               *shlex.split(args.codemod_args), str(args.file)]  # fmt: skip

    _round_trip(source)
    _, exit_code, diff, messages = _codemod(command)
    bare, tool = [], []
    for _ in range(args.reps):
        bare.append(_round_trip(source))
        elapsed, exit_code, diff, messages = _codemod(command)
        tool.append(elapsed)
    fresh = _fresh_round_trips(args.file, args.reps)
    lines = diff.splitlines()
    result = {
        "lines": source.count("\n"),
        "bytes": len(source.encode()),
        "parse_print": _stats(bare),
        "codemod": _stats(tool),
        "ratio_min": round(min(tool) / min(bare), 3),
        "ratio_median": round(statistics.median(tool) / statistics.median(bare), 3),
        "parse_print_fresh": _stats(fresh),
        "ratio_fresh_min": round(min(tool) / min(fresh), 3),
        "codemod_exit": exit_code,
        "diff_removed_lines": sum(
            1 for x in lines if x.startswith("-") and not x.startswith("---")
        ),
        "diff_added_lines": sum(1 for x in lines if x.startswith("+") and not x.startswith("+++")),
        "summary": messages.strip().splitlines()[-1] if messages.strip() else "",
        "argv": ["codemod", *command],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
