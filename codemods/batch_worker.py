"""The worker of ``codemod batch``: ``codemod apply .`` in one repository, in a process of its own.

It runs with the repository as working directory (its ``[tool.codemod]``, its ``.gitignore``),
but the repository is never on ``sys.path``: ``python -P`` keeps the working directory off it,
and ``PYTHONPATH`` is made absolute against batch's own directory with every entry inside the
repository dropped. Otherwise a repository's ``json.py``, ``click.py``, ``libcst/``,
``codemods/`` or ``sitecustomize.py`` would run in place of the real ones.

Only files git tracks as regular files are processed, none inside a submodule or a nested
repository: what batch can commit. The parent lists them (``git ls-files``) in the spec's
``files`` document. The worker reads its stdin until end of file: when batch dies, however it
dies, the worker stops its process group rather than keep writing into the repository.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def command(spec: dict[str, Any]) -> list[str]:
    return [sys.executable, "-P", "-m", "codemods.batch_worker", json.dumps(spec)]


def environment(repo: Path) -> dict[str, str]:
    """The worker's environment: ``PYTHONPATH`` is this package's root, then the caller's entries
    made absolute (as they are for batch itself), none of them inside ``repo``."""
    real = os.path.realpath(repo)
    entries = [str(Path(__file__).resolve().parent.parent)]
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if not entry:
            continue
        absolute = os.path.realpath(entry)
        if absolute != real and not absolute.startswith(real.rstrip(os.sep) + os.sep):
            entries.append(absolute)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(entries)}


def tracked_files(listing: str) -> dict[str, list[str]]:
    """``git ls-files -s -z`` as the spec's ``files`` document: regular files, and gitlinks
    (submodules, nested repositories added to the index)."""
    regular, nested = [], []
    for entry in filter(None, listing.split("\0")):
        info, _, path = entry.partition("\t")
        mode = info.split(" ", 1)[0]
        if mode == "160000":
            nested.append(path)
        elif mode in ("100644", "100755"):
            regular.append(path)
    return {"regular": regular, "nested": nested}


def selected(discovered: list[Path], files: dict[str, list[str]]) -> list[Path]:
    """The discovered files batch may change: tracked regular files outside any nested repository
    (a gitlink, or any directory holding a ``.git``)."""
    regular = set(files["regular"])
    nested = {Path(p) for p in files["nested"]}
    repos: dict[Path, bool] = {}

    def in_nested(path: Path) -> bool:
        for parent in path.parents:
            if parent == Path("."):
                return False
            if parent not in repos:
                repos[parent] = parent in nested or os.path.lexists(parent / ".git")
            if repos[parent]:
                return True
        return False

    return [p for p in discovered if p.as_posix() in regular and not in_nested(p)]


def _stop_when_parent_dies() -> None:
    """Batch holds our stdin open; its end means batch is gone."""
    while os.read(0, 4096):  # the raw descriptor: a daemon thread must hold no lock of sys.stdin
        pass
    if os.getpgrp() == os.getpid():  # the leader of a group of our own: the pool workers too
        os.killpg(0, signal.SIGKILL)
    os._exit(1)


def main(spec: dict[str, Any]) -> int:
    """``codemod apply .`` writing the JSON and markdown reports, printing ``total N`` then one
    ``file`` line per file processed (the progress feed)."""
    import click

    from .api import run_paths
    from .files import discover
    from .options import resolve
    from .reports import RunInfo, markdown
    from .reports import json as json_report

    threading.Thread(target=_stop_when_parent_dies, daemon=True).start()
    root = Path(".")
    flags = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["flags"].items()}
    try:
        resolved = resolve(root, flags)
    except click.UsageError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    options = resolved.options
    files = json.loads(Path(spec["files"]).read_text(encoding="utf-8"))
    paths = selected(discover([root], options.exclude, options.follow_symlinks, options.respect_gitignore).files, files)
    print(f"total {len(paths)}", flush=True)
    results = []
    for result in (
        run_paths(paths, options, write=True, jobs=spec["jobs"], cache_dir=None) if paths else ()
    ):
        results.append(result)
        print("file", flush=True)
    argv = ["apply", ".", *flag_args(spec["flags"])]
    info = RunInfo("apply", tuple(argv), None, options, tuple(c.ID for c in resolved.codemods))
    Path(spec["markdown"]).write_text(
        markdown.render(info, results, resolved.codemods), encoding="utf-8"
    )
    Path(spec["json"]).write_text(
        json_report.render(info, results, resolved.codemods), encoding="utf-8"
    )
    return 0


def flag_args(flags: dict[str, Any]) -> list[str]:
    args: list[str] = []
    if flags.get("select") is not None:
        args += ["--select", ",".join(flags["select"])]
    if flags.get("extend_select"):
        args += ["--extend-select", ",".join(flags["extend_select"])]
    if flags.get("ignore"):
        args += ["--ignore", ",".join(flags["ignore"])]
    if flags.get("unsafe_fixes") is not None:
        args.append("--unsafe-fixes" if flags["unsafe_fixes"] else "--no-unsafe-fixes")
    for pattern in flags.get("exclude") or ():
        args += ["--exclude", pattern]
    if flags.get("target_version"):
        args += ["--target-version", flags["target_version"]]
    return args


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -P -m codemods.batch_worker SPEC (internal; use `codemod batch`)")
    sys.exit(main(json.loads(sys.argv[1])))
