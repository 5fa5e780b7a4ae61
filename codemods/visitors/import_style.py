"""The import style of a file's project: ruff's (or black's) line length, whether ruff's isort
settings are ones :mod:`.import_order` models, and ruff's probable view of first-party modules.

Read from the nearest ``ruff.toml``/``.ruff.toml``, or ``pyproject.toml`` with ``[tool.ruff]``
or ``[tool.black]``, at or above the file (stopping at a repository root), once per directory.
Of ruff's isort settings only ``known-first-party`` is followed and ``force-single-line`` is
known (no name joins an existing ``from`` line); any other isort setting (a changed order, custom
sections) means no block is provably sorted, so added imports keep their place at the end of the
block. Every config file read goes into :func:`style_digest`, part of the result cache's key.

ruff calls a module first party when its top-level name is a directory or ``.py`` file in one of
its ``src`` roots: ``.`` and ``src`` under its project root, the directory of the ruff config in
effect, or, with no ruff config, the directory ruff runs in. With a config the root is known;
without one, ruff may run in any directory from the file's up to the repository root, and a
name counts only when every one of those roots sees it the same way. A configured ``src`` is not
modelled: then no module outside the standard library and ``known-first-party`` has a section.
Where the roots disagree, the one ruff most plausibly runs in (the repository's root, else the
outermost directory with a ``pyproject.toml``) orders the readings :mod:`.import_place` tries.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base import FileContext
from .import_order import ImportStyle

#: ruff isort settings that do not change where an import goes (``force-single-line`` does, but
#: only for merges, which :attr:`ImportStyle.single_line` turns off; sorting stays off with it)
_HARMLESS = frozenset({"known-first-party", "known-local-folder", "required-imports"})


@dataclass(frozen=True)
class _Settings:
    length: int = 88
    known: frozenset[str] = frozenset()
    sorting: bool = True
    single_line: bool = False
    #: the directories ruff may take as its project root (one when a ruff config is in effect)
    roots: tuple[str, ...] = ()
    #: the one of them ruff most plausibly runs in: the repository's root, else the outermost
    #: directory with a pyproject.toml; None when neither is there
    home: str | None = None
    #: the config files read, by path and content
    digest: str = ""


def _read(data: bytes | None) -> dict[str, Any] | None:
    """The TOML in ``data`` (newlines read as ``Path.read_text`` reads them), None when unreadable."""
    if data is None:
        return None
    try:
        return tomllib.loads(data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


@functools.lru_cache(maxsize=256)
def _settings(directory: str) -> _Settings:
    """The settings for files in ``directory``."""
    here = Path(directory)
    seen = hashlib.sha256()
    walked: list[str] = []
    projects: list[str] = []
    git = False
    for folder in [here, *here.parents]:
        walked.append(str(folder))
        found: dict[str, bytes | None] = {}  # each config file read once: hashed, then parsed
        for name in (".ruff.toml", "ruff.toml", "pyproject.toml"):
            if (folder / name).is_file():
                seen.update(f"{folder / name}\0".encode())
                try:
                    found[name] = (folder / name).read_bytes()
                except OSError:
                    found[name] = None
                data = found[name]
                seen.update(b"?" if data is None else hashlib.sha256(data).digest())
        if "pyproject.toml" in found:
            projects.append(str(folder))
        ruff: dict[str, Any] | None = None
        black: dict[str, Any] | None = None
        for name in (".ruff.toml", "ruff.toml"):
            if name in found:
                ruff = _read(found[name]) or {}
                break
        if ruff is None and "pyproject.toml" in found:
            tool = (_read(found["pyproject.toml"]) or {}).get("tool", {})
            ruff, black = tool.get("ruff"), tool.get("black")
        if ruff is not None:
            roots = () if "src" in ruff else (str(folder),)
            return _style(ruff, black or {}, roots, seen.hexdigest())
        if black is not None:  # ruff may still find its own config further up
            return _style({}, black, (), seen.hexdigest())
        if (folder / ".git").exists():
            git = True
            break
    home = walked[-1] if git else projects[-1] if projects else None
    return _Settings(roots=tuple(walked), home=home, digest=seen.hexdigest())


def _style(
    ruff: dict[str, Any], black: dict[str, Any], roots: tuple[str, ...], seen: str
) -> _Settings:
    length = ruff.get("line-length", black.get("line-length", 88))
    lint = ruff.get("lint", {})
    isort = {**ruff.get("isort", {}), **(lint.get("isort", {}) if isinstance(lint, dict) else {})}
    known = isort.get("known-first-party", [])
    single = isort.get("force-single-line", False) is not False
    ok = isinstance(length, int) and isinstance(known, list) and set(isort) <= _HARMLESS
    if isort.get("known-local-folder"):
        ok = False
    return _Settings(
        length if isinstance(length, int) else 88,
        frozenset(map(str, known)) if isinstance(known, list) else frozenset(),
        ok,
        single,
        roots,
        roots[0] if roots else None,
        seen,
    )


@functools.lru_cache(maxsize=4096)
def _ruff_first(roots: tuple[str, ...], top: str) -> bool | None:
    """ruff's view of ``top`` from each of ``roots``: the answer when they all agree."""
    views = {
        any(
            (Path(root, src, top).is_dir() or Path(root, src, f"{top}.py").is_file())
            for src in (".", "src")
        )
        for root in roots
    }
    return views.pop() if len(views) == 1 else None


def style_digest(path: Path) -> str:
    """What the style of the file at ``path`` was read from (for the result cache's key)."""
    return _settings(str(path.resolve().parent)).digest


def forget() -> None:
    """Drop what was read: a new run reads the config files again."""
    _settings.cache_clear()
    _ruff_first.cache_clear()


def style_for(context: FileContext) -> ImportStyle:
    """The import style for the file a codemod is transforming."""
    found = (
        _Settings() if context.path is None else _settings(str(Path(context.path).resolve().parent))
    )
    module = context.module
    own = (
        frozenset({module.name.split(".")[0]})
        if module is not None and module.name
        else frozenset()
    )
    roots, home = found.roots, found.home
    return ImportStyle(
        line_length=found.length,
        first_party=found.known | own,
        is_first=context.project.is_first_party if context.project.modules else None,
        ruff_first=(lambda top: _ruff_first(roots, top)) if roots else None,
        ruff_home=(lambda top: _ruff_first((home,), top) is True) if home else None,
        sorting=found.sorting,
        single_line=found.single_line,
    )
