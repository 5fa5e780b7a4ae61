"""The app's own environment (``codemod audit --python PATH``): asked by running a probe there.

The probe (:mod:`.probe_script`, standard library only) runs as ``PATH -I -c SOURCE``: no shell,
a timeout, its process group killed when it outlives it or when codemod is interrupted. ``-I``
keeps the working directory, ``PYTHONPATH`` and the user's site-packages off its ``sys.path``,
so nothing of the audited repository can be found there, let alone run; ``site`` still runs
(without it a virtualenv's site-packages are not on ``sys.path`` before Python 3.11), and with
it the environment's own ``.pth`` files, as at every start of that interpreter. Its answer must
be exactly the JSON it is specified to write (:func:`parse`), or the audit stops with an error.

Two calls: :func:`probe_environment` reads the version and the distribution metadata at once
(a wrong ``PATH`` fails before any file is read); :attr:`Environment.prefetch` then asks about
every top-level name the audit may look up, in one more call.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..batch_procs import kill_group
from ..components.distributions import normalize
from .environment import Environment, requirement_names
from .model import CheckedEnvironment

PROTOCOL = 1
TIMEOUT = 30.0
#: Variables that would make the child report another interpreter than the one given.
_DROPPED_ENV = frozenset({"__PYVENV_LAUNCHER__"})


class ProbeError(Exception):
    """``PATH`` is not a Python interpreter that answered the probe (the message says why)."""


@dataclass(frozen=True)
class Answer:
    executable: str
    version: tuple[int, int, int]
    found: Mapping[str, bool]
    distributions: Mapping[str, tuple[str, ...]] | None = None
    requires: Mapping[str, tuple[str, ...]] | None = None


def resolve(python: str) -> str:
    """The interpreter to run: a path (made absolute, symlinks kept: a virtualenv's
    ``bin/python`` is a symlink whose target knows nothing of the virtualenv), or a bare name
    looked up on ``PATH`` (never in the working directory, which may be the audited repository)."""
    if os.sep in python or (os.altsep and os.altsep in python):
        path = os.path.abspath(python)
        if not os.path.exists(path):
            raise ProbeError(f"{python}: no such file")
        if os.path.isdir(path):
            raise ProbeError(f"{python}: a directory, not a Python interpreter")
        return path
    found = shutil.which(python)
    if found is None:
        raise ProbeError(f"{python}: not found on PATH")
    return found


def source() -> str:
    return resources.files(__package__).joinpath("probe_script.py").read_text(encoding="utf-8")


def run_probe(
    python: str, names: Iterable[str], *, metadata: bool, timeout: float = TIMEOUT
) -> Answer:
    """Run the probe in ``python`` (already :func:`resolve`-d) and return its parsed answer."""
    asked = tuple(sorted({n for n in names if n.isidentifier()}))
    request = json.dumps({"names": list(asked), "metadata": metadata})
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    posix = os.name == "posix"
    try:
        proc = subprocess.Popen(
            [python, "-I", "-c", source()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            text=True, encoding="utf-8", errors="replace", start_new_session=posix,
        )  # fmt: skip
    except OSError as exc:
        raise ProbeError(f"{python}: cannot run it: {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(request, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ProbeError(
            f"{python}: no answer within {timeout:g} s (is it a Python interpreter?)"
        ) from None
    finally:
        if proc.returncode is None:  # timed out or interrupted: the child and what it started
            if posix:
                kill_group(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover - Windows
                proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        said = " ".join(stderr.strip().splitlines()[-3:])[-500:] or "no message"
        raise ProbeError(
            f"{python}: not a working Python 3.8+ interpreter (exit {proc.returncode}: {said})"
        )
    return parse(stdout, asked, metadata, python)


def parse(stdout: str, asked: tuple[str, ...], metadata: bool, python: str) -> Answer:
    """The probe's answer, checked strictly: anything but the specified JSON is an error."""

    def wrong(what: str) -> ProbeError:
        head = stdout.strip()[:200]
        return ProbeError(
            f"{python}: did not answer as codemod's probe does ({what}); its output: {head!r}"
        )

    try:
        data: Any = json.loads(stdout)
    except ValueError:
        raise wrong("not JSON") from None
    keys = {"probe", "executable", "version", "found"}
    if metadata:
        keys |= {"distributions", "requires"}
    if not isinstance(data, dict) or set(data) != keys or data["probe"] != PROTOCOL:
        raise wrong("not the expected object")
    version = data["version"]
    if not (
        isinstance(version, list)
        and len(version) == 3
        and all(type(v) is int and v >= 0 for v in version)
    ):
        raise wrong("bad version")
    executable = data["executable"]
    found = data["found"]
    if not isinstance(executable, str) or not isinstance(found, dict) or set(found) != set(asked):
        raise wrong("bad executable or names")
    if not all(isinstance(v, bool) for v in found.values()):
        raise wrong("bad names")
    answer = Answer(executable, (version[0], version[1], version[2]), found)
    if not metadata:
        return answer
    distributions = _string_lists(data["distributions"])
    requires = _string_lists(data["requires"])
    if distributions is None or requires is None:
        raise wrong("bad metadata")
    return Answer(answer.executable, answer.version, found, distributions, requires)


def _string_lists(value: object) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for key, items in value.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return None
        out[key] = tuple(items)
    return out


def probe_environment(python: str, *, timeout: float = TIMEOUT) -> Environment:
    """The environment of the interpreter ``python`` (a path, or a name on ``PATH``)."""
    path = resolve(python)
    first = run_probe(path, (), metadata=True, timeout=timeout)
    assert first.distributions is not None and first.requires is not None
    provides = {
        top: tuple(dict.fromkeys(normalize(d) for d in dists))
        for top, dists in first.distributions.items()
    }
    requires = {normalize(d): requirement_names(reqs) for d, reqs in first.requires.items()}
    found: dict[str, bool] = {}

    def prefetch(names: Iterable[str]) -> None:
        wanted = {n for n in names if n.isidentifier()} - set(found)
        if wanted:
            found.update(run_probe(path, wanted, metadata=False, timeout=timeout).found)

    def installed(top: str) -> bool:
        if top not in found:
            prefetch((top,))  # not announced: one more call, still correct
        return found.get(top, False)

    major, minor, micro = first.version
    return Environment(
        python=(major, minor),
        installed=installed,
        provided_by=lambda top: provides.get(top, ()),
        requires=lambda name: requires.get(name, ()),
        checked=CheckedEnvironment(
            "--python", f"{major}.{minor}.{micro}", first.executable or path
        ),
        prefetch=prefetch,
    )
