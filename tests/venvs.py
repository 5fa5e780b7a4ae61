"""Throwaway virtualenvs with exactly pinned requirements, to run real apps under old frameworks.

``ensure_venv(requirements)`` returns a virtualenv that has exactly ``requirements`` installed:
every line must be ``name==version`` and the list must be complete, because it is installed with
``pip install --no-deps --only-binary=:all:`` (nothing floats, nothing is built) and then checked
with ``pip check``. The environment is built once and cached under
``$CODEMOD_TEST_VENVS/<key>`` (default ``~/.cache/codemod-test-venvs/<key>``), where ``<key>``
hashes the sorted requirement lines and the base Python's version and installation (the running
Python's, or those of another interpreter given as ``base``).

A venv is built in a temporary directory beside its final place, the marker file
``.codemod-venv-complete`` is written last, and the directory is then renamed into place. A
directory without the marker (a build interrupted some other way, or a venv whose base Python is
gone) is replaced. Two pytest processes that race each build their own copy; the first rename
wins and the loser removes its copy. A venv moved this way is used only through its
``bin/python`` (``Venv.python``), which does not depend on where it was built; the console scripts
in ``bin/`` keep the build path in their shebang lines and are never called.

``run_in_venv(venv, script, cwd)`` runs a script file (a ``Path``) or Python source (a ``str``)
with that interpreter, without the caller's ``PYTHONPATH``, virtualenv or user site-packages, and
returns the ``CompletedProcess`` (text mode, output captured, never raises on a non-zero exit).

Nothing here imports the project: the helpers only need the standard library and pip.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import venv as venv_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MARKER: Final = ".codemod-venv-complete"
ENV_ROOT: Final = "CODEMOD_TEST_VENVS"
_BUILD_PREFIX: Final = ".build-"
_STALE_PREFIX: Final = ".stale-"
_LEFTOVER_AGE: Final = 24 * 3600.0  # build/stale directories older than this are removed
_PIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?==[A-Za-z0-9.+!_-]+")
# Variables that would let the caller's environment leak into the venv's interpreter.
_DROPPED_ENV: Final = frozenset(
    {
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "PYTHONSAFEPATH",
        "VIRTUAL_ENV",
        "__PYVENV_LAUNCHER__",
    }
)

# Complete, exact dependency sets that install from wheels and run on CPython 3.11.7 (checked with
# `pip install --no-deps --only-binary=:all:` + `pip check`, which every build repeats, and by the
# apps of tests/commands/lifespan/test_fastapi_versions.py). Supporting packages are from each release's own era:
# FastAPI < 0.100 needs pydantic 1.x; starlette < 0.21 has a `requests` TestClient, later ones an
# httpx one whose `app=` argument httpx 0.28 removed; starlette <= 0.20 needs anyio < 4.
_FASTAPI_2023: Final = (
    "pydantic==1.10.5",
    "typing_extensions==4.5.0",
    "anyio==3.6.2",
    "sniffio==1.3.0",
    "idna==3.4",
    "httpx==0.23.3",
    "httpcore==0.16.3",
    "h11==0.14.0",
    "certifi==2022.12.7",
    "rfc3986==1.5.0",
)
_FASTAPI_2024: Final = (
    "starlette==0.38.2",
    "pydantic==2.8.2",
    "pydantic_core==2.20.1",
    "annotated-types==0.7.0",
    "typing_extensions==4.12.2",
    "anyio==4.4.0",
    "sniffio==1.3.1",
    "idna==3.7",
    "httpx==0.27.0",
    "httpcore==1.0.5",
    "h11==0.14.0",
    "certifi==2024.7.4",
)
FASTAPI_PINS: Final[Mapping[str, tuple[str, ...]]] = {
    "0.88.0": ("fastapi==0.88.0", "starlette==0.22.0", *_FASTAPI_2023),
    "0.92.0": ("fastapi==0.92.0", "starlette==0.25.0", *_FASTAPI_2023),
    "0.93.0": ("fastapi==0.93.0", "starlette==0.25.0", *_FASTAPI_2023),
    "0.112.1": ("fastapi==0.112.1", *_FASTAPI_2024),
    "0.112.2": ("fastapi==0.112.2", *_FASTAPI_2024),
}


class VenvBuildError(RuntimeError):
    """Creating the virtualenv or installing its requirements failed (the message has pip's output)."""


@dataclass(frozen=True)
class Venv:
    path: Path
    requirements: tuple[str, ...]

    @property
    def python(self) -> Path:
        if os.name == "nt":
            return self.path / "Scripts" / "python.exe"
        return self.path / "bin" / "python"

    def pinned(self, name: str) -> str | None:
        """The version pinned for distribution ``name`` (compared case- and ``-``/``_``-insensitively)."""
        wanted = _canonical(name)
        for line in self.requirements:
            dist, _, version = line.partition("==")
            if _canonical(dist) == wanted:
                return version
        return None


def venvs_root() -> Path:
    """``$CODEMOD_TEST_VENVS``, else ``$XDG_CACHE_HOME/codemod-test-venvs`` (``~/.cache`` by default)."""
    configured = os.environ.get(ENV_ROOT)
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "codemod-test-venvs"


def normalize_requirements(requirements: Sequence[str]) -> tuple[str, ...]:
    """The requirement lines, stripped, blank lines and ``#`` comments dropped, sorted.

    Raises ``ValueError`` for any line that is not an exact ``name==version`` pin, or for a
    distribution named twice.
    """
    lines: list[str] = []
    seen: set[str] = set()
    for raw in requirements:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not _PIN.fullmatch(line):
            raise ValueError(f"not an exact pin (name==version): {raw!r}")
        name = _canonical(line.partition("==")[0])
        if name in seen:
            raise ValueError(f"{name} is pinned twice")
        seen.add(name)
        lines.append(line)
    return tuple(sorted(lines, key=str.lower))


def requirements_key(requirements: Sequence[str], base: str | None = None) -> str:
    """The cache key: a hash of the normalized requirements and of the base Python (the running
    one, or the interpreter ``base``)."""
    payload = {
        "requirements": normalize_requirements(requirements),
        "python": sys.version,
        "base": os.path.realpath(sys.base_prefix),
        "implementation": sys.implementation.cache_tag,
    }
    if base is not None:
        payload = {"requirements": payload["requirements"], "interpreter": _describe(base)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _describe(base: str) -> str:
    """``sys.version`` and ``sys.base_prefix`` of the interpreter ``base``."""
    done = subprocess.run(
        [base, "-I", "-c", "import sys; print(sys.version, sys.base_prefix)"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise VenvBuildError(f"{base} does not run: {done.stderr}")
    return done.stdout.strip()


def ensure_venv(
    requirements: Sequence[str], *, root: Path | None = None, base: str | None = None
) -> Venv:
    """The cached virtualenv with exactly ``requirements``, built first if needed (see the module
    doc); on the interpreter ``base`` (another Python installed here) instead of the running one."""
    pins = normalize_requirements(requirements)
    root = venvs_root() if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    final = root / requirements_key(pins, base)
    wanted = Venv(final, pins)
    if _complete(wanted):
        return wanted
    _remove_leftovers(root)
    build = Path(tempfile.mkdtemp(prefix=f"{_BUILD_PREFIX}{final.name}-", dir=root))
    try:
        _build(Venv(build, pins), base)
        _move_into_place(build, final, wanted)
    finally:
        if build.exists():
            shutil.rmtree(build, ignore_errors=True)
    if not _complete(wanted):  # pragma: no cover - only if someone deletes it under our feet
        raise VenvBuildError(f"{final} is not a complete virtualenv after building it")
    return wanted


def fastapi_venv(version: str, *, root: Path | None = None) -> Venv:
    """``ensure_venv`` of ``FASTAPI_PINS[version]``."""
    return ensure_venv(FASTAPI_PINS[version], root=root)


def run_in_venv(
    venv: Venv,
    script: Path | str,
    cwd: Path,
    *,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (a file when a ``Path``, Python source when a ``str``) with ``venv``'s Python.

    The child gets the caller's environment less ``PYTHONPATH``/``PYTHONHOME``/``VIRTUAL_ENV`` and
    similar, plus ``env``; it runs with ``-s`` (no user site-packages) and writes no bytecode. The
    script's directory (for a file) or ``cwd`` (for source) is first on ``sys.path``, as usual.
    """
    command = [str(venv.python), "-s"]
    command += [str(script)] if isinstance(script, Path) else ["-c", script]
    command += list(args)
    child_env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
    child_env["PYTHONDONTWRITEBYTECODE"] = "1"
    child_env.update(env or {})
    return subprocess.run(
        command,
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _complete(venv: Venv) -> bool:
    marker = venv.path / MARKER
    # exists() follows the symlink: a venv whose base Python is gone is not complete.
    if not marker.is_file() or not venv.python.exists():
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and recorded.get("requirements") == list(venv.requirements)


def _build(target: Venv, base: str | None = None) -> None:
    """Create a virtualenv at ``target.path`` (an empty directory) with the running Python, or
    with ``base``, and install the pins into it."""
    own_pip = importlib.util.find_spec("pip") is not None
    if base is not None:
        if not own_pip:
            raise VenvBuildError("a virtualenv on another interpreter is filled by this one's pip")
        done = subprocess.run(
            [base, "-I", "-m", "venv", "--without-pip", "--clear", str(target.path)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise VenvBuildError(f"creating a virtualenv with {base} failed: {done.stderr}")
    else:
        try:
            venv_module.EnvBuilder(
                with_pip=not own_pip, symlinks=os.name != "nt", clear=True
            ).create(target.path)
        except (OSError, subprocess.CalledProcessError) as error:
            raise VenvBuildError(
                f"creating a virtualenv in {target.path} failed: {error}"
            ) from error
    if target.requirements:
        requirements_file = target.path / "requirements.txt"
        requirements_file.write_text("\n".join(target.requirements) + "\n", encoding="utf-8")
        # pip >= 22.3 installs into another interpreter with --python; the venv itself then needs
        # no pip of its own (faster, and one pip version for every venv).
        pip = (
            [sys.executable, "-m", "pip", "--python", str(target.python)]
            if own_pip
            else [str(target.python), "-m", "pip"]
        )
        quiet = ["--disable-pip-version-check", "--no-input", "-q"]
        install = [
            *pip,
            "install",
            *quiet,
            "--no-deps",
            "--only-binary=:all:",
            "-r",
            str(requirements_file),
        ]
        _run_pip(install, "installing")
        _run_pip(
            [*pip, "check", "--disable-pip-version-check"], "checking (is the pin list complete?)"
        )
    marker = {
        "requirements": list(target.requirements),
        "python": sys.version,
        "built": time.time(),
    }
    (target.path / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")


def _run_pip(command: list[str], what: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED_ENV}
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=900, check=False
    )
    if result.returncode != 0:
        raise VenvBuildError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}"
        )


def _move_into_place(build: Path, final: Path, wanted: Venv) -> None:
    """Rename the finished ``build`` to ``final``; another process's complete copy also does."""
    for _ in range(3):
        try:
            os.rename(build, final)
            return
        except OSError:
            if _complete(wanted):  # another process got there first
                return
            if final.exists():  # a half-built or broken venv: move it aside, then retry
                stale = final.with_name(f"{_STALE_PREFIX}{final.name}-{uuid.uuid4().hex[:8]}")
                try:
                    os.rename(final, stale)
                except OSError:
                    continue
                shutil.rmtree(stale, ignore_errors=True)
    raise VenvBuildError(f"could not move {build} to {final}")


def _remove_leftovers(root: Path) -> None:
    """Remove build and stale directories that interrupted runs left behind (older than a day)."""
    now = time.time()
    for entry in root.iterdir():
        if not entry.name.startswith((_BUILD_PREFIX, _STALE_PREFIX)):
            continue
        try:
            if now - entry.stat().st_mtime > _LEFTOVER_AGE:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue
