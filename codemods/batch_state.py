"""What a run of ``codemod batch`` in progress keeps about a repository, so that a rerun after a
kill (SIGKILL, a crash, a power cut) can put the repository back and run again.

One JSON file per repository, written before the branch is created and removed once the
repository is back on its original branch, committed or put back. It records the branch, the
original branch (or None when detached), the original HEAD, the ignored paths that were there
before, and batch's process id (a live one means another run is at work in this repository).

It lives in the user's cache directory (``$XDG_CACHE_HOME/codemod/batch/``, named after the
repository's git directory), never in the repository: putting back resets the work tree and
removes ignored files, so a state file that came with a repository could make batch discard the
user's work. Without a home directory there is no state, and a killed run is not resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .batch_git import BatchError


def location(git_dir: str) -> Path | None:
    """The state file of the repository whose (absolute) git directory is ``git_dir``."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory
        return None
    name = hashlib.sha256(os.fsencode(os.path.realpath(git_dir))).hexdigest()[:32]
    return base.absolute() / "codemod" / "batch" / f"{name}.json"


@dataclass(frozen=True)
class State:
    branch: str
    original: str | None
    head: str
    ignored: tuple[str, ...]
    pid: int


def save(path: Path | None, state: State) -> Path | None:
    """Write ``state``; the path written, None when it cannot be (the run goes on, unresumable)."""
    if path is None:
        return None
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp.write_text(json.dumps(asdict(state), sort_keys=True), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        return None
    return path


def remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def load(path: Path | None) -> State | None:
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BatchError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
        return State(
            branch=str(data["branch"]), original=None if data["original"] is None else str(data["original"]),
            head=str(data["head"]), ignored=tuple(map(str, data["ignored"])), pid=int(data["pid"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        raise BatchError(
            f"{path} is not what an interrupted codemod batch leaves; delete it"
        ) from None


def running(pid: int) -> bool:
    """Whether another process ``pid`` is alive (the run that wrote the state is still at work)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _temporary_of(path: str, candidates: set[str]) -> bool:
    """Whether ``path`` is the temporary file of an atomic write to one of ``candidates``
    (``.<name>.<8 hex digits>.codemod-tmp`` beside it), left by a kill."""
    head, _, name = path.rpartition("/")
    match = re.fullmatch(r"\.(.+)\.[0-9a-f]{8}\.codemod-tmp", name)
    if match is None:
        return False
    return (f"{head}/{match.group(1)}" if head else match.group(1)) in candidates


def foreign_changes(entries: list[str], candidates: set[str], ignored: Iterable[str]) -> list[str]:
    """The changes in a tree (``git status --porcelain -z --ignored`` entries) that a killed run
    could not have made: anything but a modified ``candidate``, the temporary file of one, or an
    ignored path that was there before. A killed run's ``--verify`` may have left files too, but
    they cannot be told from the user's: they count as foreign."""
    before = set(ignored)
    foreign = []
    fields = iter(entries)
    for entry in fields:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            next(fields, None)  # the source of a rename or copy
            foreign.append(path)
        elif code == "!!":
            if path not in before and not _temporary_of(path, candidates):
                foreign.append(path)
        elif code == "??":
            if not _temporary_of(path, candidates):
                foreign.append(path)
        elif set(code) - {" ", "M"} or path not in candidates:
            foreign.append(path)
    return foreign
