"""The benchmark driver (``make bench``): times codemod against its anchors on the pinned corpus.

Measurements, all on the same files on the same machine, each ``--reps`` times (interleaved, so
drift in the machine's load spreads over all of them), reported as min / median:

- (a) baseline: ``python -m libcst.tool codemod`` with a no-op ``VisitorBasedCodemodCommand``,
  ``-j JOBS --no-format --hide-progress -u 3`` (a diff on stdout, so nothing is ever written);
- (b) ``codemod check --jobs JOBS --no-cache`` with the default codemods;
- (c) the same with a warm cache (primed by one untimed-for-the-ratio cold run, reported as c0);
- (d) ``ruff check --isolated --no-cache --select PLC0415,ASYNC`` for context;
- (e) a dense generated file (1,000 hoistable imports, 1,000 blocking calls): ``codemod apply
  --dry-run`` in-process against the bare libcst parse-and-print of the same file;
- (f) linearity: (b) on 1, 2 and 4 copies of a subset of the corpus;
- (v) start-up: ``codemod --version`` against ``ruff --version``, each ``--version-runs`` times;
- (s) a small project (fastapi + starlette) re-checked with a warm cache against ``ruff check``
  with its own warm cache (each primed by one cold run, s0 and sr0).

Every command runs with the working directory outside the corpus (``$CODEMOD_BENCH_DIR/work``).
Results go to ``$CODEMOD_BENCH_DIR/results/latest.json`` (``--output`` to choose); a Markdown
table with the ratios and targets is printed. ``--quick`` uses fastapi + starlette only, to
smoke-test the harness in a minute or two; its numbers mean little.

    python bench/run.py [--reps 3] [--quick] [--only abcdefsv] [--jobs 2] [--output FILE]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# bench/ is sys.path[0] when this runs as `python bench/run.py`
from build_corpus import LOCK, bench_dir, build, sha256_file
from make_dense import dense_source
from measure import Run, measure
from report import render, summarise

REPO = Path(__file__).resolve().parents[1]
QUICK = {"fastapi", "starlette"}
# (f) runs (b) on 1 + 2 + 4 copies of this subset per repetition, so it is kept small
# (s): a small project's warm re-check, where start-up is most of the time
SMALL = {"fastapi", "starlette"}
SCALING = {"full": {"fastapi", "starlette", "boto3"}, "quick": {"starlette"}}
NOOP = '''"""The no-op codemod of measurement (a): libcst.tool's own parse + visit + codegen cost."""
import sys

from libcst.codemod import VisitorBasedCodemodCommand

# sympy's resolvent_lookup.py needs more than the default 1000 (performance-facts.md); set at
# import, before libcst.tool forks its workers, so the baseline processes every file too.
sys.setrecursionlimit(3000)


class NoOpCommand(VisitorBasedCodemodCommand):
    DESCRIPTION = "Changes nothing."
'''
TITLES = {
    "a": "libcst.tool codemod, no-op command (baseline)",
    "b": "codemod check, no cache",
    "c0": "codemod check, cold cache (primes c)",
    "c": "codemod check, warm cache",
    "d": "ruff check --select PLC0415,ASYNC",
    "e": "dense file: codemod apply --dry-run (in-process)",
    "e0": "dense file: libcst parse + print (in-process)",
    "v": "codemod --version",
    "vr": "ruff --version",
    "s0": "small project: codemod check, cold cache (primes s)",
    "s": "small project: codemod check, warm cache",
    "sr0": "small project: ruff check, cold cache (primes sr)",
    "sr": "small project: ruff check --select PLC0415,ASYNC, warm cache",
}


def _tool(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


def _output(command: Sequence[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip()


def _environment(codemod: str, ruff: str) -> dict[str, Any]:
    from importlib.metadata import version

    meminfo = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()
    cpu = [x.split(":", 1)[1].strip() for x in Path("/proc/cpuinfo").read_text().splitlines()
           if x.startswith("model name")]  # fmt: skip
    listed = _output([codemod, "list"]).splitlines()
    return {
        "machine": {
            "cores": os.cpu_count(), "cpu": cpu[0] if cpu else "?", "kernel": os.uname().release,
            "mem_total_gib": round(int(meminfo[1]) / 1024**2, 1), "python": sys.version.split()[0],
        },
        "tools": {
            "codemod": _output([codemod, "--version"]),
            "codemod_commit": _output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
            "codemod_uncommitted_changes": bool(_output(["git", "-C", str(REPO), "status", "--porcelain", "--", "codemods"])),
            "default_codemods": [line.split()[0] for line in listed if line.split()[1:2] == ["on"]],
            "libcst": version("libcst"),
            "ruff": _output([ruff, "--version"]),
        },
    }  # fmt: skip


def _summary(key: str, returncode: int, out: Path, err: Path) -> tuple[str, bool]:
    """A one-line outcome of a run, and whether the run did the work it was meant to (a tool that
    crashed at start-up is fast, not good)."""
    if key in ("v", "vr"):
        first = out.read_text(errors="replace").strip().splitlines()[:1]
        return (first[0] if first else "no version printed"), returncode == 0 and bool(first)
    key = "d" if key.startswith("sr") else key[0]
    text = err.read_text(errors="replace")
    if "Traceback (most recent call last)" in text and key != "a":
        final = [x for x in text.splitlines() if x.strip()][-1:]
        return f"CRASHED: {final[0] if final else '?'}", False
    if key == "a":
        counts = [
            re.search(rf"{word} (\d+)", text)
            for word in ("Transformed", "Skipped", "Failed to codemod")
        ]
        ok, skipped, failed = (m.group(1) if m else "?" for m in counts)
        return f"{ok} ok, {skipped} skipped, {failed} failed", returncode == 0 and ok != "?"
    if key == "d":
        found = re.search(r"Found (\d+) errors?", out.read_text(errors="replace"))
        return f"{found.group(1) if found else 0} findings", returncode in (0, 1)
    nonblank = [x for x in text.splitlines() if x.strip()]
    errors = sum(1 for x in nonblank if x.startswith("error:"))
    # the summary line ("N files would change, M unchanged, ...") may be followed by notes
    summary = next((x for x in reversed(nonblank) if re.search(r"\d+ unchanged", x)), None)
    valid = returncode in (0, 1, 3) and summary is not None
    last = summary or (nonblank[-1] if nonblank else "")
    return last + (f"; {errors} error lines in {err.name}" if errors else ""), valid


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = bench_dir() / "work"
        self.logs = self.work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.work / "noop_codemod.py").write_text(NOOP, encoding="utf-8")
        self.codemod, self.ruff = _tool("codemod"), _tool("ruff")
        self.env = {k: v for k, v in os.environ.items() if k != "CODEMOD_CACHE_DIR"}
        # the checkout this script belongs to is what is measured, whatever is installed
        self.env["PYTHONPATH"] = os.pathsep.join([str(self.work), str(REPO)])
        self.results: dict[str, dict[str, Any]] = {}

    def run(self, key: str, command: Sequence[str], rep: int, total: int) -> Run:
        out, err = self.logs / f"{key}.out", self.logs / f"{key}.err"
        result = measure(
            command, cwd=self.work, env=self.env, stdout=out, stderr=err, timeout=self.args.timeout
        )
        entry = self.results.setdefault(
            key, {"title": TITLES.get(key, key), "command": list(command), "runs": []}
        )
        entry["summary"], valid = _summary(key, result.returncode, out, err)
        if result.timed_out:
            entry["summary"], valid = f"TIMEOUT: killed after {self.args.timeout:.0f} s", False
        entry["runs"].append({**result.as_dict(), "valid": valid})
        print(
            f"[{key} {rep}/{total}] {result.wall_s:8.2f} s  cpu {result.cpu_s:7.1f} s  "
            f"rss {result.max_rss_mib:6.0f} MiB  foreign {result.foreign_cpu_s:6.1f} s  "
            f"exit {result.returncode}  {entry['summary']}",
            file=sys.stderr,
            flush=True,
        )
        return result

    def commands(
        self, paths: Sequence[str], has_cache: bool, small: Sequence[str] = ()
    ) -> dict[str, list[str]]:
        jobs = str(self.args.jobs)
        check = [
            self.codemod,
            "check",
            "--jobs",
            jobs,
            "--color",
            "never",
            *shlex.split(self.args.codemod_args),
        ]
        return {
            "a": [sys.executable, "-m", "libcst.tool", "codemod", "-x", "noop_codemod.NoOpCommand",
                  "--no-format", "-j", jobs, "--hide-progress", "-u", "3", *paths],
            "b": [*check, *(["--no-cache"] if has_cache else []), *paths],
            "c": [*check, "--cache-dir", str(self.work / "codemod_cache"), *paths],
            "d": [self.ruff, "check", "--isolated", "--no-cache", "--select", "PLC0415,ASYNC",
                  "--output-format", "concise", *paths],
            "v": [self.codemod, "--version"],
            "vr": [self.ruff, "--version"],
            "s": [*check, "--cache-dir", str(self.work / "codemod_cache_small"), *small],
            "sr": [self.ruff, "check", "--isolated", "--cache-dir", str(self.work / "ruff_cache_small"),
                   "--select", "PLC0415,ASYNC", "--output-format", "concise", *small],
        }  # fmt: skip

    def scaling_trees(self, stats: Sequence[Any]) -> dict[int, list[str]]:
        """1, 2 and 4 hard-linked copies of the scaling subset, each copy in its own directory."""
        subset = SCALING["quick" if self.args.quick else "full"]
        trees: dict[int, list[str]] = {}
        for copies in (1, 2, 4):
            roots = []
            for k in range(copies):
                for s in stats:
                    if s.name not in subset:
                        continue
                    dest = self.work / "scaling" / f"copy{k}" / Path(s.path).name
                    if not dest.exists():
                        shutil.copytree(s.path, dest, copy_function=os.link)
                    roots.append(str(dest))
            trees[copies] = roots
        return trees

    def dense(self, reps: int) -> None:
        path = self.work / "dense" / "dense_app.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dense_source(1000, 1000), encoding="utf-8")
        out, err = self.logs / "e.json", self.logs / "e.err"
        script = Path(__file__).resolve().with_name("dense_timing.py")
        command = [sys.executable, str(script), str(path), "--reps", str(reps)]
        if self.args.codemod_args:
            command.append(f"--codemod-args={self.args.codemod_args}")
        run = measure(
            command, cwd=self.work, env=self.env, stdout=out, stderr=err, timeout=self.args.timeout
        )
        if run.returncode != 0:
            print(f"[e] failed (exit {run.returncode}); see {err}", file=sys.stderr)
            if run.timed_out:
                err.write_text(
                    f"TIMEOUT: killed after {self.args.timeout:.0f} s\n", encoding="utf-8"
                )
            self.results["e"] = {
                "title": TITLES["e"],
                "error": err.read_text(errors="replace")[-2000:],
            }
            return
        data = json.loads(out.read_text())
        data.update(
            title=TITLES["e"],
            process=run.as_dict(),
            file=str(path),
            valid=data["codemod_exit"] == 0,
        )
        self.results["e"] = data
        print(
            f"[e] codemod {data['codemod']['min_s']:.3f} s vs parse+print "
            f"{data['parse_print']['min_s']:.3f} s: {data['ratio_min']:.2f}x (a fresh process's "
            f"parse+print {data['parse_print_fresh']['min_s']:.3f} s: {data['ratio_fresh_min']:.2f}x)"
            f"  {data['summary']}",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="fastapi + starlette only (harness smoke test)"
    )
    parser.add_argument(
        "--only", default="abcdefsv", help="measurements to run, e.g. 'bd' (default abcdefsv)"
    )
    parser.add_argument(
        "--version-runs", type=int, default=20, help="runs of each --version in (v) (default 20)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for (a), (b), (c)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="kill a run after this many seconds (default 3600)",
    )
    parser.add_argument(
        "--codemod-args",
        default="",
        help="extra codemod arguments for (b), (c), (e), (f), e.g. '--ignore X'",
    )
    parser.add_argument(
        "--output", type=Path, help="JSON file (default $CODEMOD_BENCH_DIR/results/latest.json)"
    )
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only re-print the table of a saved run"
    )
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        saved.update(summarise(saved))
        print(render(saved))
        return 0
    output = args.output or bench_dir() / "results" / (
        "quick.json" if args.quick else "latest.json"
    )
    started = datetime.datetime.now(datetime.UTC)
    load_start = os.getloadavg()

    stats = build(QUICK if args.quick else None)
    paths = [s.path for s in stats]
    bench = Bench(args)
    has_cache = "--no-cache" in _output([bench.codemod, "check", "--help"])
    small = [s.path for s in stats if s.name in SMALL]
    commands = bench.commands(paths, has_cache, small)
    timed = [k for k in "abcd" if k in args.only and (k != "c" or has_cache)]
    trees = bench.scaling_trees(stats) if "f" in args.only else {}

    if "c" in timed:  # prime the cache: one cold run that writes it
        shutil.rmtree(bench.work / "codemod_cache", ignore_errors=True)
        bench.run("c0", commands["c"], 1, 1)
    for rep in range(1, args.reps + 1):
        for key in timed:
            if key == "b" and not has_cache:
                shutil.rmtree(bench.work / ".codemod_cache", ignore_errors=True)
            bench.run(key, commands[key], rep, args.reps)
        for copies, roots in trees.items():
            command = [*commands["b"][: -len(paths)], *roots]
            bench.run(f"f{copies}", command, rep, args.reps)
    if "s" in args.only:  # a small project, re-checked with a warm cache by both tools
        for key in ("s", "sr"):
            shutil.rmtree(
                bench.work / ("codemod_cache_small" if key == "s" else "ruff_cache_small"),
                ignore_errors=True,
            )
            bench.run(f"{key}0", commands[key], 1, 1)
        for rep in range(1, args.reps + 1):
            for key in ("s", "sr"):
                bench.run(key, commands[key], rep, args.reps)
    if "v" in args.only:  # start-up, interleaved
        for rep in range(1, args.version_runs + 1):
            for key in ("v", "vr"):
                bench.run(key, commands[key], rep, args.version_runs)
    if "e" in args.only:
        bench.dense(args.reps)

    corpus = {
        "packages": [{"name": s.name, "version": s.version, "files": s.files, "lines": s.lines} for s in stats],
        "files": sum(s.files for s in stats), "lines": sum(s.lines for s in stats),
        "bytes": sum(s.bytes for s in stats), "lock_sha256": sha256_file(LOCK),
        "scaling_subset_lines": sum(s.lines for s in stats if s.name in SCALING["quick" if args.quick else "full"]),
        "small_lines": sum(s.lines for s in stats if s.name in SMALL),
        "small_files": sum(s.files for s in stats if s.name in SMALL),
    }  # fmt: skip
    data: dict[str, Any] = {
        "schema": 1,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "codemod_args": args.codemod_args,
        "timeout_s": args.timeout, "reps": args.reps, "jobs": args.jobs,
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        **_environment(bench.codemod, bench.ruff),
        "corpus": corpus,
        "cache_supported": has_cache,
        "measurements": bench.results,
    }  # fmt: skip
    data.update(summarise(data))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(render(data))
    print(f"\nwritten to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
