"""Where a file's import style is read from: the nearest ``ruff.toml``/``.ruff.toml``, or
``pyproject.toml`` with ``[tool.ruff]`` or ``[tool.black]``, at or above it (stopping at a
repository root), once per directory. :mod:`codemods.imports.style` turns these settings
into an ``ImportStyle``; this module imports no libcst, so the result cache's key
(:func:`style_digest`) can be computed on a re-check that runs no codemod.
"""

from __future__ import annotations

import functools
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ruff isort settings that do not change where an import goes (``force-single-line`` does, but
#: only for merges, which :attr:`ImportStyle.single_line` turns off; sorting stays off with it)
_HARMLESS = frozenset({"known-first-party", "known-local-folder", "required-imports"})


@dataclass(frozen=True)
class Settings:
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
def settings(directory: str) -> Settings:
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
    return Settings(roots=tuple(walked), home=home, digest=seen.hexdigest())


def _style(
    ruff: dict[str, Any], black: dict[str, Any], roots: tuple[str, ...], seen: str
) -> Settings:
    length = ruff.get("line-length", black.get("line-length", 88))
    lint = ruff.get("lint", {})
    isort = {**ruff.get("isort", {}), **(lint.get("isort", {}) if isinstance(lint, dict) else {})}
    known = isort.get("known-first-party", [])
    single = isort.get("force-single-line", False) is not False
    ok = isinstance(length, int) and isinstance(known, list) and set(isort) <= _HARMLESS
    if isort.get("known-local-folder"):
        ok = False
    return Settings(
        length if isinstance(length, int) else 88,
        frozenset(map(str, known)) if isinstance(known, list) else frozenset(),
        ok,
        single,
        roots,
        roots[0] if roots else None,
        seen,
    )


@functools.lru_cache(maxsize=4096)
def ruff_first(roots: tuple[str, ...], top: str) -> bool | None:
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
    return settings(str(path.resolve().parent)).digest


def forget() -> None:
    """Drop what was read: a new run reads the config files again."""
    settings.cache_clear()
    ruff_first.cache_clear()
