"""Lock files, read as data: the exact version of every distribution they lock.

``poetry.lock``, ``pdm.lock`` and ``uv.lock`` are TOML with one ``[[package]]`` table per locked
distribution (``name``, ``version``); ``Pipfile.lock`` is JSON whose ``default`` and ``develop``
objects map names to ``{"version": "==1.2.3", ...}``. A lock that names two versions of one
distribution (uv can, under different markers) keeps the lowest, and its source says so.
"""

from __future__ import annotations

from pathlib import Path

from .distributions import normalize
from .reading import Collector
from .tomlvalues import table

#: The lock files read, when they sit in the component root.
LOCK_FILES = ("Pipfile.lock", "pdm.lock", "poetry.lock", "uv.lock")


def read_lock(c: Collector, path: Path) -> None:
    """Read the lock file ``path`` into ``c``'s locked versions."""
    display = c.display(path)
    if path.name == "Pipfile.lock":
        data = c.load_json(path)
        if data is None:
            return
        if not isinstance(data, dict):
            c.problem(f"{display}: not a JSON object")
            return
        for section in ("default", "develop"):
            entries = data.get(section)
            for name, entry in entries.items() if isinstance(entries, dict) else ():
                version = entry.get("version") if isinstance(entry, dict) else None
                if isinstance(version, str) and version.startswith("=="):
                    c.lock(normalize(name), version.lstrip("=").strip(), display)
        return
    toml = c.load_toml(path)
    if toml is None:
        return
    packages = toml.get("package")
    for package in packages if isinstance(packages, list) else ():
        name, version = table(package).get("name"), table(package).get("version")
        if isinstance(name, str) and isinstance(version, str):
            c.lock(normalize(name), version, display)
