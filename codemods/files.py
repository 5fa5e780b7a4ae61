"""Which files a run touches: walk the given paths, honour ``.gitignore`` and excludes.

Rules (documented in docs/decisions.md):
- A directory is walked for ``*.py`` files, skipping the usual tool and virtualenv directories,
  anything a ``.gitignore`` between the repository root and the file or the repository's
  ``.git/info/exclude`` ignores (unless not ``respect_gitignore``), and ``--exclude`` globs.
- A file named explicitly is processed whatever its suffix, unless an ``--exclude`` glob matches.
- Symlinks are not followed out of the given root unless ``follow_symlinks``; symlinked
  directories are never entered twice (no loops). A path given twice is processed once.
- Only regular files are read: a FIFO or device named ``*.py`` met in a walk is passed over
  (reported), one named explicitly is an error, and so is a directory that cannot be listed or
  whose ``.gitignore`` cannot be read (what it holds is unknown, so the run is incomplete).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from .readfile import MAX_SOURCE_BYTES, not_regular, read_regular

Spec = pathspec.GitIgnoreSpec

DEFAULT_EXCLUDES = frozenset(
    {
        ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
        ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache",
        ".svn", ".tox", ".venv", ".vscode", "__pypackages__", "_build", "buck-out", "dist",
        "node_modules", "site-packages", "venv", ".codemod_cache", "__pycache__",
    }
)  # fmt: skip


@dataclass
class Discovery:
    """The files to process, in sorted order, and what was passed over and why."""

    files: list[Path] = field(default_factory=list)
    #: (path, reason) pairs for explicitly named paths that were not processed.
    ignored: list[tuple[Path, str]] = field(default_factory=list)
    #: (path, reason) pairs for walked entries named like Python files that are not regular files.
    passed: list[tuple[Path, str]] = field(default_factory=list)
    #: (path, reason) pairs for what could not be examined: the run is incomplete.
    errors: list[tuple[Path, str]] = field(default_factory=list)


def _spec(lines: Iterable[str]) -> Spec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def invalid_pattern(patterns: Iterable[str]) -> str | None:
    """The first of ``patterns`` that is not a valid gitignore-style pattern (None: all are)."""
    for pattern in patterns:
        try:
            _spec([pattern])
        except ValueError:
            return pattern
    return None


def _gitignore_spec(lines: list[str]) -> Spec:
    try:
        return _spec(lines)
    except ValueError:  # git passes over a pattern it cannot use ("!", a lone "\\"), as here
        return _spec(line for line in lines if invalid_pattern([line]) is None)


def _gitignores_above(directory: Path) -> list[tuple[Path, Spec]]:
    """The repository's ``.git/info/exclude`` and the ``.gitignore`` files from its root down to
    ``directory`` (exclusive); raise :class:`OSError` for one that exists but cannot be read."""
    chain: list[Path] = []
    for parent in directory.parents:
        chain.append(parent)
        if (parent / ".git").exists():
            break
    else:
        return []
    specs = _read_info_exclude(chain[-1], chain[-1])
    for parent in reversed(chain):
        specs.extend(_read_gitignore(parent))
    return specs


def _read_gitignore(directory: Path, base: Path | None = None) -> list[tuple[Path, Spec]]:
    return _read_patterns(directory / ".gitignore", base or directory)


def _read_patterns(path: Path, base: Path) -> list[tuple[Path, Spec]]:
    data = _read(path)
    if data is None:
        return []
    lines = data.decode("utf-8", errors="replace").splitlines()
    return [(base, _gitignore_spec(lines))]


def _read(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes | None:
    """The bytes of the regular file at ``path``, None when there is none; raise
    :class:`OSError` naming ``path`` for one that cannot be read."""
    try:
        return read_regular(path, limit)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        exc.filename = exc.filename or str(path)
        raise


#: The largest ``.git`` file (``gitdir: ...``) or ``commondir`` file read.
_POINTER_BYTES = 64 * 1024


def _pointer(path: Path) -> str | None:
    """The text of a git pointer file (``.git``: ``gitdir: ...``; ``commondir``), or None."""
    data = _read(path, _POINTER_BYTES)
    return None if data is None else data.decode("utf-8", errors="replace").strip()


def _read_info_exclude(directory: Path, base: Path) -> list[tuple[Path, Spec]]:
    """The patterns of ``info/exclude`` in the git directory of the work tree at ``directory``,
    read as data: a ``.git`` file (a worktree, a submodule) names that directory, and a
    ``commondir`` file there the one holding ``info/`` (git's layout). Raise :class:`OSError`
    for a file that exists but cannot be read."""
    git_dir = directory / ".git"
    if not git_dir.is_dir():
        text = _pointer(git_dir)
        if text is None or not text.startswith("gitdir:"):
            return []  # git refuses such a .git file, so no exclude file is in force
        git_dir = directory / text.removeprefix("gitdir:").strip()
    common = _pointer(git_dir / "commondir")
    if common:
        git_dir = git_dir / common
    return _read_patterns(git_dir / "info" / "exclude", base)


def _reason(exc: OSError, what: str) -> str:
    return f"{what}: {exc.strerror or exc}"


def _ignored(path: Path, is_dir: bool, specs: list[tuple[Path, Spec]]) -> bool:
    for base, spec in specs:
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(rel + "/" if is_dir else rel):
            return True
    return False


def discover(
    paths: Iterable[Path],
    exclude: Iterable[str] = (),
    follow_symlinks: bool = False,
    respect_gitignore: bool = True,
) -> Discovery:
    excluded = _spec(exclude)
    cwd = Path.cwd()
    found: dict[str, Path] = {}
    result = Discovery()

    def user_excluded(path: Path) -> bool:
        if not excluded.patterns:
            return False
        try:
            rel = path.absolute().relative_to(cwd).as_posix()
        except ValueError:
            rel = path.absolute().as_posix()
        return bool(excluded.match_file(rel)) or bool(excluded.match_file(path.name))

    for given in paths:
        if user_excluded(given):
            result.ignored.append((given, "excluded"))
            continue
        try:
            mode = given.stat().st_mode
        except OSError as exc:
            result.errors.append((given, _reason(exc, "cannot read")))
            continue
        if stat.S_ISREG(mode):
            found.setdefault(os.path.realpath(given), given)
            continue
        if not stat.S_ISDIR(mode):
            result.errors.append((given, not_regular(mode)))
            continue
        root = given.resolve()
        try:
            specs = _gitignores_above(root) if respect_gitignore else []
        except OSError as exc:
            result.errors.append((given, _reason(exc, f"cannot read {exc.filename} above it")))
            continue
        visited = {root}
        # (directory to list, its path below the resolved root, the .gitignore specs in force
        # above it, its resolved path: an entry that is not a symlink resolves to that plus its
        # name). A directory's own .gitignore is read once it is listed.
        stack: list[tuple[Path, Path, list[tuple[Path, Spec]], str]] = [(given, root, specs, str(root))]
        while stack:
            directory, logical_dir, dir_specs, real_dir = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                result.errors.append((directory, _reason(exc, "cannot list directory")))
                continue
            names = {entry.name for entry in entries} if respect_gitignore else set()
            try:
                if ".git" in names:  # the root of a repository: its info/exclude applies below
                    dir_specs = dir_specs + _read_info_exclude(directory, logical_dir)
                if ".gitignore" in names:
                    dir_specs = dir_specs + _read_gitignore(directory, logical_dir)
            except OSError as exc:
                result.errors.append((directory, _reason(exc, f"cannot read {exc.filename}")))
                continue
            for entry in entries:
                path = Path(entry.path)
                logical = logical_dir / entry.name
                link = entry.is_symlink()
                real_path = os.path.realpath(entry.path) if link else os.path.join(real_dir, entry.name)
                if link:
                    target = Path(real_path)
                    inside = target == root or root in target.parents
                    if not (follow_symlinks or inside) or not target.exists():
                        continue
                    if not follow_symlinks and not target.is_dir():
                        continue  # a file is processed under its own name, never through a link
                try:
                    is_dir = entry.is_dir()
                except OSError as exc:
                    result.errors.append((path, _reason(exc, "cannot read")))
                    continue
                if is_dir:
                    if entry.name in DEFAULT_EXCLUDES or entry.name.endswith(".egg-info"):
                        continue
                    real = Path(real_path)
                    if real in visited:
                        continue  # a symlink loop, or a directory reached twice
                    visited.add(real)
                    if _ignored(logical, True, dir_specs) or user_excluded(path):
                        continue
                    stack.append((path, logical, dir_specs, real_path))
                elif entry.name.endswith(".py"):
                    if _ignored(logical, False, dir_specs) or user_excluded(path):
                        continue
                    if not entry.is_file():
                        try:
                            result.passed.append((path, not_regular(entry.stat().st_mode)))
                        except OSError as exc:
                            result.errors.append((path, _reason(exc, "cannot read")))
                        continue
                    found.setdefault(real_path, path)
    result.files = sorted(found.values(), key=lambda p: p.as_posix())
    return result
