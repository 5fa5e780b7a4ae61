"""Which files a run touches: walk the given paths, honour ``.gitignore`` and excludes.

Rules (documented in docs/decisions.md):
- A directory is walked for ``*.py`` files, skipping the usual tool and virtualenv directories,
  anything a ``.gitignore`` between the walk root and the file ignores, and ``--exclude`` globs.
- A file named explicitly is processed whatever its suffix, unless an ``--exclude`` glob matches.
- Symlinks are not followed out of the given root unless ``follow_symlinks``; symlinked
  directories are never entered twice (no loops). A path given twice is processed once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

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


def _spec(lines: Iterable[str]) -> Spec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _gitignores_above(directory: Path) -> list[tuple[Path, Spec]]:
    """``.gitignore`` files from the repository root down to ``directory`` (exclusive)."""
    chain: list[Path] = []
    for parent in directory.parents:
        chain.append(parent)
        if (parent / ".git").exists():
            break
    else:
        return []
    specs = []
    for parent in reversed(chain):
        specs.extend(_read_gitignore(parent))
    return specs


def _read_gitignore(directory: Path, base: Path | None = None) -> list[tuple[Path, Spec]]:
    ignore = directory / ".gitignore"
    try:
        return [(base or directory, _spec(ignore.read_text(encoding="utf-8", errors="replace").splitlines()))]
    except OSError:
        return []


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
    paths: Iterable[Path], exclude: Iterable[str] = (), follow_symlinks: bool = False
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
        if given.is_file() or (given.is_symlink() and not given.is_dir()):
            found.setdefault(os.path.realpath(given), given)
            continue
        root = given.resolve()
        specs = _gitignores_above(root) + _read_gitignore(root)
        visited = {root}
        # (directory to list, its path below the resolved root, the .gitignore specs in force,
        # its resolved path: an entry that is not a symlink resolves to that plus its name)
        stack: list[tuple[Path, Path, list[tuple[Path, Spec]], str]] = [(given, root, specs, str(root))]
        while stack:
            directory, logical_dir, dir_specs, real_dir = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                result.ignored.append((directory, f"cannot list directory: {exc.strerror}"))
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
                except OSError:
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
                    stack.append((path, logical, dir_specs + _read_gitignore(path, logical), real_path))
                elif entry.name.endswith(".py"):
                    if _ignored(logical, False, dir_specs) or user_excluded(path):
                        continue
                    found.setdefault(real_path, path)
    result.files = sorted(found.values(), key=lambda p: p.as_posix())
    return result
