"""pip requirement files (``requirements*.txt``, ``requirements/*.in``, ...), read as data.

Read as pip reads them: ``\\`` continues a line, ``#`` at the start of a line or after
whitespace starts a comment, option lines (``--index-url`` ...) and per-requirement options
(``--hash=...``) are ignored. ``-r``/``--requirement`` includes are followed relative to the
including file, ``-c``/``--constraint`` files give constraints (so does anything they include);
each file is read once, which stops cycles, and a path that leaves the repository is refused.
``-e`` and URL or path lines give the name of ``#egg=name`` or of the wheel or sdist file.

Roles: a file's name decides its own (``group_for``: only ``requirements``, ``base``, ``prod``,
... make it required); an included file takes the strongest role
of the files that include it (required > optional > group), so ``requirements.txt: -r base.txt``
makes ``base.txt``'s entries required. An exact pin (``==1.2.3``, ``===1.2.3``) is also recorded
as locked, for names no lock file locks.
"""

from __future__ import annotations

import os
import re
import shlex
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .model import ROLE_RANK, Role
from .pep508 import Parsed, is_reference, parse_pep508, parse_reference
from .reading import Collector

#: Name parts (split at ``-``, ``_``, ``.``) that make a requirements file a group of its own.
#: Words of a requirements file's name that make it the component's own requirements
#: (``requirements.txt``, ``requirements/base.txt``, ``requirements-prod.txt``). Any other name
#: (``requirements-dev.txt``, ``requirements-aws.txt``, ``requirements/optional.txt``) is a group:
#: what it lists may not be installed where the component runs.
REQUIRED_WORDS = frozenset(
    {"requirements", "requirement", "reqs", "base", "main", "prod", "production", "common",
     "core", "runtime", "deploy", "default", "install", "app"}
)  # fmt: skip

_COMMENT = re.compile(r"(^|\s+)#.*$")
_PART = re.compile(r"[-_.]+")
_INCLUDE = {"-r": "r", "--requirement": "r", "-c": "c", "--constraint": "c"}
_EDITABLE = ("-e", "--editable")
#: pip options that take a value (the value is skipped with them).
_VALUED = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host",
     "--no-binary", "--only-binary", "--use-feature", "--hash", "--config-settings",
     "-C", "--global-option", "--install-option", "--progress-bar"}
)  # fmt: skip

Kind = Literal["r", "c"]


def group_for(display: str) -> tuple[Role, str | None]:
    """The role a requirements file's own name gives it: required when every part of its stem
    is in ``REQUIRED_WORDS``, else a group named after the file (its path relative to the
    component root). Unknown stays unknown: only the names that say so are required."""
    stem = display.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    if all(part in REQUIRED_WORDS for part in _PART.split(stem) if part):
        return "required", None
    return "group", display


@dataclass
class _Entry:
    line: int
    written: str
    parsed: Parsed


@dataclass
class _File:
    display: str
    entries: list[_Entry] = field(default_factory=list)
    #: (kind, named path) of each include that may be read.
    includes: list[tuple[Kind, Path]] = field(default_factory=list)


@dataclass(frozen=True)
class _State:
    role: Role
    group: str | None
    named: Path


def read_requirement_files(c: Collector, roots: Mapping[Path, tuple[Role, str | None]]) -> None:
    """Read the requirement files ``roots`` (absolute paths -> their own role and group) and
    every file they include."""
    parsed: dict[Path, _File | None] = {}
    states: dict[tuple[Path, Kind], _State] = {}
    queue: deque[tuple[Path, Kind]] = deque()

    def assign(named: Path, kind: Kind, role: Role, group: str | None) -> None:
        key = (Path(os.path.realpath(named)), kind)
        old = states.get(key)
        if old is None or ROLE_RANK[role] > ROLE_RANK[old.role]:
            states[key] = _State(role, group, old.named if old else named)
            queue.append(key)

    for named, (role, group) in sorted(roots.items()):
        assign(named, "r", role, group)
    while queue:
        key = queue.popleft()
        state = states[key]
        if key[0] not in parsed:
            parsed[key[0]] = _parse(c, state.named)
        found = parsed[key[0]]
        for kind, target in found.includes if found else ():
            assign(target, "c" if "c" in (kind, key[1]) else "r", state.role, state.group)
    for (real, kind), state in sorted(states.items(), key=lambda kv: (kv[0][1], str(kv[0][0]))):
        found = parsed.get(real)
        if found is None:
            continue
        for entry in found.entries:
            source = f"{found.display}:{entry.line}"
            p = entry.parsed
            c.add(
                p.name,
                (p.specifier,),
                p.marker,
                state.role,
                state.group,
                f"{source}: {entry.written}",
                constraint=kind == "c",
                direct=p.direct,
            )
            if p.pin is not None:
                c.lock(p.name, p.pin, source, pin=True)


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: continuations joined, comments cut."""
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.endswith("\\") and not _COMMENT.match(line):
            if not pending:
                start = number
            pending.append(line[:-1])
            continue
        first = start if pending else number
        joined = _COMMENT.sub("", "".join([*pending, line])).strip()
        pending = []
        if joined:
            yield first, joined
    if pending and (joined := _COMMENT.sub("", "".join(pending)).strip()):
        yield start, joined


def _parse(c: Collector, named: Path) -> _File | None:
    text = c.read_text(named)
    if text is None:
        return None
    found = _File(c.display(named))
    for number, line in logical_lines(text):
        where = f"{found.display}:{number}"
        tokens = line.split(" ")
        split = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
        requirement = " ".join(tokens[:split]).strip()
        if requirement:
            _requirement(c, found, named, number, requirement, where)
            continue
        try:
            options = shlex.split(line)
        except ValueError:
            c.problem(f"{where}: cannot read the options {line!r}")
            continue
        _options(c, found, named, number, options, where)
    return found


def _requirement(
    c: Collector, found: _File, named: Path, number: int, text: str, where: str
) -> None:
    try:
        parsed: Parsed | None = parse_pep508(text)
    except ValueError as error:
        if not is_reference(text):
            c.problem(f"{where}: invalid requirement {text!r} ({error})")
            return
        try:
            parsed = parse_reference(text, named.parent, c.root)
        except ValueError as reason:
            c.problem(f"{where}: {reason}")
            return
    if parsed is not None:
        found.entries.append(_Entry(number, text, parsed))


def _options(
    c: Collector, found: _File, named: Path, number: int, options: list[str], where: str
) -> None:
    i = 0
    while i < len(options):
        option, value = _option(options, i)
        i += 1 if value is None or "=" in options[i] or _attached(options[i]) else 2
        if option in _INCLUDE:
            _include(c, found, named, _INCLUDE[option], value, where, option)
        elif option in _EDITABLE:
            if value is None:
                c.problem(f"{where}: {option} without a value")
                continue
            _editable(c, found, named, number, option, value, where)


def _attached(token: str) -> bool:
    """``-rfile`` / ``-efile``: a short option with its value in the same token."""
    return len(token) > 2 and token[0] == "-" and token[1] != "-"


def _option(options: list[str], i: int) -> tuple[str, str | None]:
    token = options[i]
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        if eq:
            return name, value
    elif _attached(token):
        return token[:2], token[2:]
    else:
        name = token
    takes = name in _INCLUDE or name in _EDITABLE or name in _VALUED
    if takes and i + 1 < len(options):
        return name, options[i + 1]
    return name, None


def _include(
    c: Collector, found: _File, named: Path, kind: str, value: str | None, where: str, option: str
) -> None:
    if value is None:
        c.problem(f"{where}: {option} without a file")
        return
    if "://" in value:
        c.problem(f"{where}: {option} {value}: a remote file; not read")
        return
    target = Path(os.path.normpath(named.parent / Path(value).expanduser()))
    if not c.inside(target):
        c.problem(f"{where}: {option} {value} is outside the repository; not read")
        return
    if not target.is_file():
        c.problem(f"{where}: {option} {value}: no such file")
        return
    found.includes.append(("c" if kind == "c" else "r", target))


def _editable(
    c: Collector, found: _File, named: Path, number: int, option: str, value: str, where: str
) -> None:
    try:
        parsed = parse_reference(value, named.parent, c.root)
    except ValueError as error:
        c.problem(f"{where}: {error}")
        return
    if parsed is not None:
        found.entries.append(_Entry(number, f"{option} {value}", parsed))
