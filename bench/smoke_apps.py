"""``make smoke-apps``: prove the rewrites of real FastAPI/Starlette applications by importing them.

``make smoke`` checks what can be checked statically (outputs compile, no new pyflakes finding,
a second run is a no-op). Some rewrites pass all of that and still break an application at run
time: an import hoisted out of a function is executed when the module is imported, so hoisting
the import of an *optional* dependency (one declared only under an extra) breaks every install
without that extra, hoisting can close an import cycle, and a hoisted first-party import can name
a module that does not exist. This script finds such regressions by running the code.

For each application of ``bench/apps.lock`` (or those of ``--only``):

1. **Venv.** ``$CODEMOD_BENCH_DIR/apps/<name>-<version>/venv`` (default ``~/.cache/codemod-bench``)
   gets the app's wheel, fetched by ``pip download --no-deps --require-hashes`` and checked again
   (``bench/build_corpus.py``), installed WITH its required dependencies and NO extras, under the
   constraints of ``bench/apps-constraints/<name>.txt``. A ``build.json`` marker next to the venv
   records what was installed; while it matches, a later run installs nothing.
   The constraints file is generated once, by ``pip freeze --all`` after an unconstrained
   install, and then committed; every later build uses it with ``-c``, so builds are
   reproducible. To regenerate it (after changing the lock entry, or to move to newer
   dependencies): delete the file, or pass ``--refresh-constraints``, and run
   ``python bench/smoke_apps.py --only NAME --build-only``.
2. **Copy.** The app's own top-level packages (``@packages`` in the lock, checked against the
   wheel) are extracted from the wheel into a temporary ``work/<name>/``, next to a
   ``pyproject.toml`` whose ``[project]`` is translated from the wheel's ``METADATA``:
   ``Name``, ``Version``, ``Requires-Python``, and each ``Requires-Dist`` either to
   ``dependencies`` or, when its marker tests ``extra``, to ``optional-dependencies.<extra>`` with
   the ``extra`` clause taken out of the marker (the marker is evaluated partially for each extra:
   ``(a) and extra == 'x'`` becomes ``a`` in group ``x``). The tool sees the app's real
   declarations.
3. **Imports before.** Every module of the copy (``__main__`` modules excepted: importing one runs
   the program) is imported in a fresh subprocess of the app venv's python:
   ``python -c "import importlib; importlib.import_module(NAME)"`` with
   ``PYTHONPATH=work/<name>`` (the copy shadows the installed package; its dist-info still
   answers ``importlib.metadata``), an empty temporary directory as working directory and
   ``HOME``, bytecode written outside the copy (``PYTHONPYCACHEPREFIX``, one per phase), a
   timeout per module, ``--jobs`` at a time. Each module is recorded as ``ok``, ``failed`` (with
   the exception's line and the traceback's frames inside the copy) or ``timeout``. The result
   depends only on the venv and the pristine copy, so it is cached next to the venv
   (``before-imports.json``; ``--no-before-cache`` to redo it).
4. **Rewrite.** The real CLI of this repository (``.venv/bin/python -m codemods`` of the repository, with
   ``PYTHONPATH`` = the repository, default codemods, ``--no-cache``) runs with the temporary
   directory as working directory: ``check --format json work/<name>`` on the pristine copy (the
   changes with codemod ids and lines, skips, failures), ``apply --dry-run work/<name>`` (the
   diff, saved to ``$CODEMOD_BENCH_DIR/smoke-apps/<timestamp>/<name>.diff``), ``apply`` (with
   its JSON report), then ``check --format json`` again: a second run must change nothing.
   Around ``apply``, ``ruff check --select F,I,E402`` and ``ruff format --check`` (``make
   smoke``'s ``lint`` and ``unformatted``, default settings) count the new findings and the files
   the formatter accepted before and not after.
5. **Imports after**, the same way, of every module that imported before and whose import
   loaded a file the rewrite changed (each good import reports the files of the copy it loaded):
   importing any other module runs exactly the code it ran before, so its result is carried over.
   ``--all-after`` imports every module again instead (about twice the time on marimo).
   A **regression** is a module that imported before and fails
   after (a timeout is tried again, so that one on a loaded machine is not one). Each is
   reported with its exception and the hunk that caused it: the innermost frame of the traceback
   that lies on a line the rewrite added, the original line it came from, and the change of the
   JSON report (codemod, line, message) at that line.
   A module shows only its first failure, so the regressions are then **unmasked**: the files
   that caused them are put back as they were, the modules that regressed are imported again,
   and what still breaks them is reported as found in round 1 (``--unmask N`` rounds, default
   2; 0 to skip). Every figure but these rounds is of the full rewrite.
6. ``--testclient``: for apps with an ``@asgi`` object, ``with TestClient(app): ...`` before and
   after (startup and shutdown, no request); a startup that worked before and fails after is
   reported. It needs ``httpx`` in the app's venv (not every app has it) and a start-up that needs
   no database server or secret; failures before the rewrite are just recorded.

Per app it prints modules, imported before, regressions, the changes per codemod, skips,
failures, outputs that do not compile and files a second run changes, then every regression; it
writes ``summary.json`` next to the diffs. Exit status 1 when any app has a regression, an output
that does not compile (a file that compiled before) or a second-run change; 2 when an app could
not be set up (its venv did not build, its copy could not be made).

**The stub finder, and why it is so narrow.** A module that fails to import before the rewrite
only because a third-party module is missing cannot show a regression. When an app *requires* a
distribution (``Requires-Dist`` without an ``extra`` marker) that cannot be installed here, the
lock may name it with ``@stub: DIST=module,...``: the app is then installed without that
distribution, and a ``sys.meta_path`` finder, injected by the ``-c`` prelude (never by a file in
the copy), appended last (so a real module always wins), serves empty stand-in packages for those
top-level modules (names read from them are placeholder classes). The script refuses a stub whose
distribution is not a required dependency of the app: stubbing a module of an optional extra, or
of an undeclared distribution, would make exactly the regression this script hunts (an optional
import hoisted to module level, a hoisted import of something that does not exist) import fine.

    python bench/smoke_apps.py                          # what `make smoke-apps` runs
    python bench/smoke_apps.py --only mcpo,chainlit --keep
    python bench/smoke_apps.py --only lnbits --build-only --refresh-constraints
    python bench/smoke_apps.py --codemod-args="--select hoist-imports" --testclient
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import datetime
import email.parser
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # build_corpus sits next to this file (also when loaded by a test)
    sys.path.insert(0, str(HERE))

import build_corpus  # noqa: E402
import smoke  # noqa: E402

LOCK = HERE / "apps.lock"
CONSTRAINTS_DIR = HERE / "apps-constraints"
MARKER = "build.json"
BEFORE_CACHE = "before-imports.json"
BUILD_VERSION = 1  # bump when the way venvs are built changes
IMPORT_PROTOCOL = 2  # bump when the way modules are imported changes (invalidates before-imports)


def repo_python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


# --------------------------------------------------------------------------------------------
# The lock: bench/apps.lock with its per-app directives
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    locked: build_corpus.Locked
    packages: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    asgi: str | None = None
    constrain: tuple[str, ...] = ()
    stubs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (distribution, modules)
    comment: str = ""

    @property
    def name(self) -> str:
        return self.locked.name

    @property
    def version(self) -> str:
        return self.locked.version

    @property
    def dirname(self) -> str:
        return self.locked.dirname

    @property
    def stub_modules(self) -> tuple[str, ...]:
        return tuple(sorted({m for _, modules in self.stubs for m in modules}))


DIRECTIVE = re.compile(r"^#\s@(?P<key>[a-z]+):\s*(?P<value>.*?)\s*$")


def read_apps(path: Path = LOCK) -> list[App]:
    """The lock's entries (via ``build_corpus.read_lock``) with the directives and comment lines
    of the block just above each."""
    locked = {p.line: p for p in build_corpus.read_lock(path)}
    apps: list[App] = []
    block: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            block = []
            continue
        if line.startswith("#"):
            block.append(line)
            continue
        requirement = line.partition("#")[0].strip()
        entry = locked[requirement]
        directives: dict[str, list[str]] = {}
        text: list[str] = []
        for comment in block:
            if m := DIRECTIVE.match(comment):
                directives.setdefault(m["key"], []).append(m["value"])
            else:
                text.append(comment.lstrip("#").strip())
        unknown = set(directives) - {"packages", "env", "asgi", "constrain", "stub"}
        if unknown:
            raise SystemExit(f"{path}: {entry.name}: unknown directive(s) {sorted(unknown)}")
        packages = tuple(p.strip() for v in directives.get("packages", []) for p in v.split(","))
        if not packages or not all(p.isidentifier() for p in packages):
            raise SystemExit(f"{path}: {entry.name}: '# @packages: a, b' is required")
        env = []
        for value in directives.get("env", []):
            key, sep, val = value.partition("=")
            if not sep or not key.isidentifier():
                raise SystemExit(f"{path}: {entry.name}: bad '# @env: KEY=VALUE': {value!r}")
            env.append((key, val))
        stubs = []
        for value in directives.get("stub", []):
            dist, sep, modules = value.partition("=")
            names = tuple(m.strip() for m in modules.split(",") if m.strip())
            if not sep or not names or not all(m.isidentifier() for m in names):
                raise SystemExit(f"{path}: {entry.name}: bad '# @stub: DIST=mod,...': {value!r}")
            stubs.append((dist.strip(), names))
        asgi = directives.get("asgi", [None])[-1]
        apps.append(
            App(entry, packages, tuple(env), asgi, tuple(directives.get("constrain", [])),
                tuple(stubs), " ".join(text))
        )  # fmt: skip
        block = []
    return apps


# --------------------------------------------------------------------------------------------
# METADATA -> pyproject.toml [project]
# --------------------------------------------------------------------------------------------


class MarkerError(ValueError):
    """A marker this translation cannot read exactly."""


@dataclass(frozen=True)
class Atom:
    lhs: str
    op: str
    rhs: str

    def text(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    items: tuple[Marker, ...]


Marker: TypeAlias = Atom | BoolOp | bool

_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>)|(?P<paren>[()])"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"""
)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise MarkerError(f"cannot read marker {text!r} at {pos}")
        tokens.append(m.group(m.lastgroup or ""))
        pos = m.end()
    return tokens


def parse_marker(text: str) -> Marker:
    """A PEP 508 environment marker as a tree (``or`` of ``and`` of atoms and groups)."""
    tokens = _tokens(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise MarkerError(f"marker {text!r} ends too early")
        pos += 1
        return tokens[pos - 1]

    def value() -> str:
        token = take()
        if token in ("(", ")", "and", "or", "in", "not") or token[0] in "=!<>~":
            raise MarkerError(f"marker {text!r}: expected a value, got {token!r}")
        return token

    def atom() -> Marker:
        if peek() == "(":
            take()
            inner = either()
            if take() != ")":
                raise MarkerError(f"marker {text!r}: unbalanced parentheses")
            return inner
        lhs = value()
        op = take()
        if op == "not":
            if take() != "in":
                raise MarkerError(f"marker {text!r}: 'not' without 'in'")
            op = "not in"
        elif op != "in" and op[0] not in "=!<>~":
            raise MarkerError(f"marker {text!r}: expected an operator, got {op!r}")
        return Atom(lhs, op, value())

    def both() -> Marker:
        items = [atom()]
        while peek() == "and":
            take()
            items.append(atom())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def either() -> Marker:
        items = [both()]
        while peek() == "or":
            take()
            items.append(both())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    tree = either()
    if pos != len(tokens):
        raise MarkerError(f"marker {text!r}: unexpected {tokens[pos]!r}")
    return tree


def normalize_name(name: str) -> str:
    """PEP 503/685 normalisation (distributions and extras)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _unquote(token: str) -> str | None:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"" else None


def _extra_test(atom: Atom) -> tuple[str, str] | None:
    """``(op, value)`` when the atom compares ``extra`` with a string, else None."""
    if atom.lhs == "extra" and (value := _unquote(atom.rhs)) is not None:
        return atom.op, value
    if atom.rhs == "extra" and (value := _unquote(atom.lhs)) is not None:
        return atom.op, value
    if "extra" in (atom.lhs, atom.rhs):
        raise MarkerError(f"cannot translate {atom.text()!r}: only extra == / != 'name' are read")
    return None


def extras_in(tree: Marker) -> list[str]:
    """The extras a marker compares ``extra`` with, in order of appearance."""
    if isinstance(tree, Atom):
        test = _extra_test(tree)
        return [test[1]] if test else []
    if isinstance(tree, BoolOp):
        return [e for item in tree.items for e in extras_in(item)]
    return []


def with_extra(tree: Marker, extra: str | None) -> Marker:
    """The marker evaluated for ``extra`` (None: installed without extras) where it tests
    ``extra``, every other atom kept: ``True``, ``False`` or the rest of the marker."""
    if isinstance(tree, bool):
        return tree
    if isinstance(tree, Atom):
        test = _extra_test(tree)
        if test is None:
            return tree
        op, value = test
        if op not in ("==", "!=", "==="):
            raise MarkerError(f"cannot translate {tree.text()!r}: only == and != on extra")
        same = normalize_name(value) == normalize_name(extra or "")
        return same if op != "!=" else not same
    items: list[Marker] = []
    for item in tree.items:
        result = with_extra(item, extra)
        if (tree.op == "and" and result is False) or (tree.op == "or" and result is True):
            return result
        if not isinstance(result, bool):
            items.append(result)
    if not items:
        return tree.op == "and"
    return items[0] if len(items) == 1 else BoolOp(tree.op, tuple(items))


def render_marker(tree: Marker) -> str:
    if isinstance(tree, bool):
        raise ValueError("a constant marker has no text")
    if isinstance(tree, Atom):
        return tree.text()
    if tree.op == "or":
        return " or ".join(render_marker(item) for item in tree.items)
    return " and ".join(
        f"({render_marker(item)})" if isinstance(item, BoolOp) else render_marker(item)
        for item in tree.items
    )


@dataclass(frozen=True)
class Metadata:
    name: str
    version: str
    requires_python: str | None
    requires_dist: tuple[str, ...]
    provides_extra: tuple[str, ...]


def parse_metadata(text: str) -> Metadata:
    """The fields of a ``*.dist-info/METADATA`` text that ``[project]`` needs."""
    message = email.parser.HeaderParser().parsestr(text)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise ValueError("METADATA without Name or Version")
    return Metadata(
        name=str(name).strip(),
        version=str(version).strip(),
        requires_python=str(message["Requires-Python"]).strip() if message["Requires-Python"] else None,
        requires_dist=tuple(str(v).strip() for v in message.get_all("Requires-Dist") or []),
        provides_extra=tuple(str(v).strip() for v in message.get_all("Provides-Extra") or []),
    )  # fmt: skip


def split_requirement(line: str) -> tuple[str, str | None]:
    """``requirement; marker`` into its two parts (a URL requirement needs a space before ``;``)."""
    if "@" in line.partition(";")[0]:
        requirement, sep, marker = line.partition(" ;")
    else:
        requirement, sep, marker = line.partition(";")
    return requirement.strip(), (marker.strip() or None) if sep else None


def translate(meta: Metadata) -> dict[str, Any]:
    """``[project]`` for ``meta``: required dependencies in ``dependencies``, each requirement
    whose marker tests ``extra`` in ``optional-dependencies.<extra>`` with the test taken out."""
    spelled = {normalize_name(e): e for e in meta.provides_extra}
    dependencies: list[str] = []
    optional: dict[str, list[str]] = {e: [] for e in meta.provides_extra}

    def join(requirement: str, marker: Marker) -> str:
        return requirement if marker is True else f"{requirement}; {render_marker(marker)}"

    for line in meta.requires_dist:
        requirement, marker_text = split_requirement(line)
        if marker_text is None:
            dependencies.append(requirement)
            continue
        tree = parse_marker(marker_text)
        mentioned = extras_in(tree)
        if not mentioned:
            dependencies.append(f"{requirement}; {marker_text}")
            continue
        core = with_extra(tree, None)
        if core is not False:
            dependencies.append(join(requirement, core))
        seen: set[str] = set()
        for extra in [*meta.provides_extra, *mentioned]:
            key = normalize_name(extra)
            if key in seen:
                continue
            seen.add(key)
            result = with_extra(tree, extra)
            if result is False or (core is not False and join(requirement, result) == join(requirement, core)):
                continue  # never installed by this extra, or already by the core dependency
            optional.setdefault(spelled.get(key, extra), []).append(join(requirement, result))
    project: dict[str, Any] = {"name": meta.name, "version": meta.version}
    if meta.requires_python:
        project["requires-python"] = meta.requires_python
    project["dependencies"] = dependencies
    if optional:
        project["optional-dependencies"] = optional
    return project


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_list(values: Sequence[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"    {json.dumps(v, ensure_ascii=False)},\n" for v in values) + "]"


def render_pyproject(project: dict[str, Any], source: str) -> str:
    """``pyproject.toml`` text for a ``translate`` result (TOML basic strings are JSON strings)."""
    lines = [f"# Written by bench/smoke_apps.py from {source}", "[project]"]
    for key in ("name", "version", "requires-python"):
        if key in project:
            lines.append(f"{key} = {json.dumps(project[key], ensure_ascii=False)}")
    lines.append(f"dependencies = {_toml_list(project['dependencies'])}")
    if project.get("optional-dependencies"):
        lines += ["", "[project.optional-dependencies]"]
        for extra, values in project["optional-dependencies"].items():
            lines.append(f"{_toml_key(extra)} = {_toml_list(values)}")
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text)["project"] != project:  # the file must say exactly what was translated
        raise AssertionError("pyproject.toml does not round-trip")
    return text


def check_stubs(app: App, meta: Metadata) -> None:
    """Refuse stubs for anything but a required dependency of the app (see the docstring)."""
    project = translate(meta)
    required = {normalize_name(split_name(r)) for r in project["dependencies"]}
    for dist, modules in app.stubs:
        if normalize_name(dist) not in required:
            raise SystemExit(
                f"{app.name}: '@stub: {dist}=...' refused: {dist} is not a required dependency of "
                f"{app.name} (an extra's module or an undeclared one must never be stubbed)"
            )
        own = set(modules) & set(app.packages)
        if own:
            raise SystemExit(f"{app.name}: '@stub' names the app's own package(s) {sorted(own)}")


def split_name(requirement: str) -> str:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if m is None:
        raise ValueError(f"no distribution name in {requirement!r}")
    return m.group(1)


# --------------------------------------------------------------------------------------------
# Wheels and venvs
# --------------------------------------------------------------------------------------------


def apps_dir() -> Path:
    return build_corpus.bench_dir() / "apps"


def wheel_metadata(wheel: Path) -> tuple[str, str]:
    """The METADATA text of a wheel and its member name."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if len(names) != 1:
            raise SystemExit(f"{wheel.name}: expected one *.dist-info/METADATA, found {names}")
        return archive.read(names[0]).decode("utf-8"), names[0]


def wheel_top_levels(wheel: Path) -> set[str]:
    """Top-level packages and modules of a wheel (``.dist-info``/``.data`` left out)."""
    tops: set[str] = set()
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            parts = PurePosixPath(name).parts
            if not parts or parts[0].endswith((".dist-info", ".data")):
                continue
            if len(parts) > 1:
                tops.add(parts[0])
            elif parts[0].endswith(".py"):
                tops.add(parts[0][:-3])
    return tops


def extract_packages(app: App, wheel: Path, dest: Path) -> int:
    """Extract the app's own packages (every file: templates and static files are read at import
    time) into ``dest``; the number of files."""
    tops = wheel_top_levels(wheel)
    missing = set(app.packages) - tops
    if missing:
        raise SystemExit(f"{app.name}: @packages {sorted(missing)} not in the wheel (it has {sorted(tops)})")
    count = 0
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.is_dir() or not parts or ".." in parts or info.filename.startswith("/"):
                continue
            top = parts[0][:-3] if len(parts) == 1 and parts[0].endswith(".py") else parts[0]
            if (len(parts) == 1 and not parts[0].endswith(".py")) or top not in app.packages:
                continue
            out = dest.joinpath(*parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.read(info))
            count += 1
    return count


def venv_python(app: App) -> Path:
    return apps_dir() / app.dirname / "venv" / "bin" / "python"


def constraints_file(app: App) -> Path:
    return CONSTRAINTS_DIR / f"{app.name}.txt"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _build_key(app: App, constraints: Path) -> dict[str, Any]:
    return {
        "build": BUILD_VERSION,
        "name": app.name,
        "version": app.version,
        "sha256": app.locked.sha256,
        "constraints": build_corpus.sha256_file(constraints) if constraints.is_file() else None,
        "constrain": list(app.constrain),
        "stubs": [[d, list(m)] for d, m in app.stubs],
        "python": sys.version.split()[0],
    }


def _run(command: Sequence[str], log: Path, **kwargs: Any) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {shlex.join(command)}\n")
        out.flush()
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False, **kwargs)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        raise RuntimeError(f"exit {proc.returncode}: {shlex.join(command)}\n" + "\n".join(tail))


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_size
    return total


def build_venv(app: App, rebuild: bool, refresh_constraints: bool, log_fn: Any) -> dict[str, Any]:
    """The app's venv, built unless its marker says it is already what the lock asks for."""
    root = apps_dir() / app.dirname
    constraints = constraints_file(app)
    if refresh_constraints and constraints.exists():
        constraints.unlink()
    marker = root / MARKER
    key = _build_key(app, constraints)
    if not rebuild and venv_python(app).exists() and marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            recorded = {}
        if recorded.get("key") == key:
            return dict(recorded)
    root.mkdir(parents=True, exist_ok=True)
    venv = root / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    log = root / "build.log"
    log.write_text("", encoding="utf-8")
    log_fn(f"{app.dirname}: building the venv ({log})")
    start = time.perf_counter()
    wheel = build_corpus.download(app.locked, build_corpus.bench_dir() / "downloads")  # hash-checked
    meta = parse_metadata(wheel_metadata(wheel)[0])
    check_stubs(app, meta)
    _run([sys.executable, "-m", "venv", str(venv)], log)
    py = str(venv / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    extra_constraints = root / "constrain.txt"
    extra_constraints.write_text("".join(f"{c}\n" for c in app.constrain), encoding="utf-8")
    cflags = ["-c", str(extra_constraints)]
    generated = not constraints.is_file()
    if not generated:
        cflags += ["-c", str(constraints)]
    if not app.stubs:
        _run([*pip, *cflags, str(wheel)], log)
    else:  # the app without its deps, then every required dependency but the stubbed ones
        stubbed = {normalize_name(d) for d, _ in app.stubs}
        requirements = root / "requirements.txt"
        requirements.write_text(
            "".join(
                f"{r}\n" for r in translate(meta)["dependencies"]
                if normalize_name(split_name(r)) not in stubbed
            ),
            encoding="utf-8",
        )  # fmt: skip
        _run([*pip, "--no-deps", str(wheel)], log)
        _run([*pip, *cflags, "-r", str(requirements)], log)
    seconds = time.perf_counter() - start
    if generated:
        freeze = subprocess.run(
            [py, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
            check=True, capture_output=True, text=True,
        ).stdout.splitlines()  # fmt: skip
        skip = {normalize_name(app.name), "pip"}
        pins = sorted(
            (line for line in freeze if line.strip() and normalize_name(split_name(line)) not in skip),
            key=lambda line: normalize_name(split_name(line)),
        )
        CONSTRAINTS_DIR.mkdir(exist_ok=True)
        constraints.write_text(
            f"# The dependencies of {app.name}=={app.version} (bench/apps.lock) as resolved on "
            f"{datetime.date.today().isoformat()}, Python {sys.version.split()[0]}: `pip freeze --all`\n"
            "# of its venv after installing its wheel without extras. Used with -c by\n"
            "# bench/smoke_apps.py; delete this file (or --refresh-constraints) to regenerate it.\n"
            + "".join(f"{p}\n" for p in pins),
            encoding="utf-8",
        )
        key = _build_key(app, constraints)
    check = subprocess.run([py, "-m", "pip", "check", "--disable-pip-version-check"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    site = next((venv / "lib").glob("python*/site-packages"))
    dists = len(list(site.glob("*.dist-info")))
    record = {
        "key": key,
        "built": datetime.datetime.now().isoformat(timespec="seconds"),
        "install_seconds": round(seconds, 1),
        "venv_bytes": _tree_size(venv),
        "distributions": dists,
        "pip_check": check.stdout.strip().splitlines(),
        "constraints_generated": generated,
    }
    marker.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    log_fn(f"{app.dirname}: venv built in {seconds:.0f} s, {_tree_size(venv) / 1e6:.0f} MB, {dists} distributions")
    return record


# --------------------------------------------------------------------------------------------
# Importing every module
# --------------------------------------------------------------------------------------------

CLOSURE = "@@smoke-apps-closure@@ "  # the last line an import prints: the copy's files it loaded

STUB_FINDER = '''
import importlib.abc, importlib.machinery, sys
class _SmokeAppsStubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty stand-ins for the modules of required dependencies that cannot be installed."""
    names = frozenset(%r)
    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in self.names:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        module.__path__ = []
        module.__smoke_apps_stub__ = True
        def __getattr__(attr, _name=module.__name__):
            if attr.startswith("__"):
                raise AttributeError(attr)
            placeholder = type(attr, (), {"__module__": _name})
            setattr(sys.modules[_name], attr, placeholder)
            return placeholder
        module.__getattr__ = __getattr__
sys.meta_path.append(_SmokeAppsStubFinder())
'''

IMPORT_PROGRAM = """import importlib, json, os, sys
importlib.import_module(sys.argv[1])
_root = os.environ["PYTHONPATH"] + os.sep
_files = sorted({f[len(_root):] for m in list(sys.modules.values())
                 if isinstance(f := getattr(m, "__file__", None), str) and f.startswith(_root)})
print("\\n" + CLOSURE + json.dumps(_files))
""".replace("CLOSURE", repr(CLOSURE))

TESTCLIENT_PROGRAM = """import importlib, sys
target = sys.argv[1]
module, _, attr = target.partition(":")
factory = attr.endswith("()")
obj = getattr(importlib.import_module(module), attr.removesuffix("()"))
app = obj() if factory else obj
from starlette.testclient import TestClient
with TestClient(app):
    pass
print("startup and shutdown ok")
"""


def prelude(app: App) -> str:
    return STUB_FINDER % (sorted(app.stub_modules),) if app.stubs else ""


def module_names(root: Path, packages: Iterable[str]) -> list[str]:
    """Every importable module of the copy's packages, ``__main__`` modules left out."""
    names: set[str] = set()
    for top in packages:
        single = root / f"{top}.py"
        if single.is_file():
            names.add(top)
        base = root / top
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if not parts or parts[-1] == "__main__" or not all(p.isidentifier() for p in parts):
                continue
            # a module in a directory without __init__.py is still importable (namespace package)
            names.add(".".join(parts))
    return sorted(names)


@dataclass
class ImportResult:
    module: str
    status: Literal["ok", "failed", "timeout"]
    error: str = ""
    frames: list[list[Any]] = field(default_factory=list)  # [file relative to the copy, line, function]
    traceback: str = ""
    seconds: float = 0.0
    closure: list[str] = field(default_factory=list)  # files of the copy loaded by a good import
    reimported: bool = True  # False: carried over, its closure holds no changed file


FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>.*)$')


def exception_line(stderr: str) -> str:
    """The exception of the last traceback in ``stderr`` (with up to two continuation lines)."""
    lines = stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return next((line.strip() for line in reversed(lines) if line.strip()), "")
    for i in range(starts[-1] + 1, len(lines)):
        if lines[i] and not lines[i][0].isspace():
            more = [line.strip() for line in lines[i + 1 : i + 3] if line.startswith(" ")]
            return " | ".join([lines[i].strip(), *more])
    return lines[-1].strip()


def work_frames(stderr: str, root: Path) -> list[list[Any]]:
    """The frames of the last traceback that lie in the copy (outermost first)."""
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    frames: list[list[Any]] = []
    prefix = str(root) + os.sep
    for line in lines[starts[-1] if starts else 0 :]:
        m = FRAME.match(line)
        if m and m["file"].startswith(prefix):
            frames.append([m["file"][len(prefix) :], int(m["line"]), m["func"]])
    return frames


def _env(app: App, root: Path, home: Path, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")}
    env.update(
        HOME=str(home),
        PYTHONPATH=str(root),
        PYTHONPYCACHEPREFIX=str(pycache),
        PYTHONNOUSERSITE="1",
        PYTHONHASHSEED="0",
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
    )
    env.update(dict(app.env))
    return env


def _run_isolated(
    python: Path, code: str, arg: str, env: dict[str, str], scratch: Path, timeout: float
) -> tuple[int | None, str, str, float]:
    """Run ``python -c code arg`` in a new session, in an empty directory that is also HOME;
    ``(returncode or None on timeout, stdout, stderr, seconds)``."""
    sandbox = Path(tempfile.mkdtemp(dir=scratch))
    env = {**env, "HOME": str(sandbox)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(python), "-c", code, arg], cwd=sandbox, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
        code_ = proc.returncode
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code_ = None
    finally:
        # what the program left behind (a child it started may still hold it: errors ignored)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(sandbox, ignore_errors=True)
    return code_, out, err, time.perf_counter() - start


def import_one(app: App, python: Path, root: Path, module: str, scratch: Path, pycache: Path, timeout: float) -> ImportResult:
    env = _env(app, root, scratch, pycache)
    code, out, err, seconds = _run_isolated(python, prelude(app) + IMPORT_PROGRAM, module, env, scratch, timeout)
    if code is None:
        return ImportResult(module, "timeout", f"timeout after {timeout:.0f} s", [], err[-3000:], seconds)
    if code == 0:
        last = next((line for line in reversed(out.splitlines()) if line.startswith(CLOSURE)), None)
        closure = json.loads(last[len(CLOSURE) :]) if last else []
        return ImportResult(module, "ok", seconds=round(seconds, 2), closure=closure)
    error = exception_line(err) or f"exit status {code}"
    return ImportResult(module, "failed", error, work_frames(err, root), err[-6000:], round(seconds, 2))


def import_all(
    app: App, python: Path, root: Path, modules: Sequence[str], scratch: Path, jobs: int,
    timeout: float, label: str, log_fn: Any,
) -> dict[str, ImportResult]:  # fmt: skip
    pycache = scratch / f"pycache-{label}"
    pycache.mkdir(parents=True, exist_ok=True)
    results: dict[str, ImportResult] = {}
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(import_one, app, python, root, m, scratch, pycache, timeout): m for m in modules}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            result = future.result()
            results[result.module] = result
            if done % 100 == 0:
                log_fn(f"  {app.name}: {label}: {done}/{len(modules)} modules")
    ok = sum(r.status == "ok" for r in results.values())
    log_fn(f"  {app.name}: {label}: {ok}/{len(modules)} import ({time.perf_counter() - start:.0f} s)")
    return results


def testclient(app: App, python: Path, root: Path, scratch: Path, timeout: float) -> dict[str, Any]:
    if not app.asgi:
        return {"status": "n/a"}
    pycache = scratch / "pycache-testclient"
    env = _env(app, root, scratch, pycache)
    code, _out, err, seconds = _run_isolated(
        python, prelude(app) + TESTCLIENT_PROGRAM, app.asgi, env, scratch, timeout
    )
    if code == 0:
        return {"status": "ok", "seconds": round(seconds, 1)}
    status = "timeout" if code is None else "failed"
    return {"status": status, "error": exception_line(err) or f"exit {code}",
            "frames": work_frames(err, root), "seconds": round(seconds, 1)}  # fmt: skip


# --------------------------------------------------------------------------------------------
# The codemod CLI, and which hunk caused a regression
# --------------------------------------------------------------------------------------------


def codemod(args: Sequence[str], cwd: Path, log: Path) -> subprocess.CompletedProcess[str]:
    command = [repo_python(), "-m", "codemods", *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {shlex.join(command)}  (exit {proc.returncode})\n{proc.stderr}\n")
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"codemod {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def read_report(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass
class FileDiff:
    added: dict[int, str] = field(default_factory=dict)  # line of the new file -> text
    removed: dict[int, str] = field(default_factory=dict)  # line of the old file -> text
    anchors: list[tuple[int, int]] = field(default_factory=list)  # (new line, old line) of each hunk

    def old_line(self, new: int) -> int:
        """The old file's line for a new file's line (exact outside hunks, near inside)."""
        old = new
        for new_start, old_start in self.anchors:
            if new_start <= new:
                old = old_start + (new - new_start)
        return old


def parse_diff(diff: str) -> dict[str, FileDiff]:
    """A unified diff of several files, by the ``+++`` path (``b/`` removed)."""
    files: dict[str, FileDiff] = {}
    current: FileDiff | None = None
    old = new = old_left = new_left = 0
    for line in diff.splitlines():
        if old_left <= 0 and new_left <= 0:  # between hunks: headers
            if line.startswith("+++ "):
                current = files.setdefault(line[4:].split("\t")[0].removeprefix("b/"), FileDiff())
            elif current is not None and (m := HUNK.match(line)):
                old, new = int(m[1]), int(m[3])
                old_left = int(m[2]) if m[2] is not None else 1
                new_left = int(m[4]) if m[4] is not None else 1
                current.anchors.append((new, old))
            continue
        assert current is not None
        if line.startswith("+"):
            current.added[new] = line[1:]
            new, new_left = new + 1, new_left - 1
        elif line.startswith("-"):
            current.removed[old] = line[1:]
            old, old_left = old + 1, old_left - 1
        elif line.startswith(" ") or line == "":
            old, new, old_left, new_left = old + 1, new + 1, old_left - 1, new_left - 1
        # a "\\ No newline at end of file" line takes no line
    return files


def _imported_modules(text: str) -> set[str]:
    """The modules an import line imports (an opening ``(`` of a multi-line import closed)."""
    source = text.strip()
    if source.endswith("("):
        source += "_)"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def attribute(
    frames: list[list[Any]], prefix: str, diffs: dict[str, FileDiff], changes: dict[str, list[dict[str, Any]]],
    after_root: Path,
) -> dict[str, Any]:  # fmt: skip
    """The hunk behind a failure: the innermost frame (of those in the copy) on a line the
    rewrite added, where that line came from, and the reported changes at its origin."""
    for file, line, func in reversed(frames):
        path = f"{prefix}/{file}"
        fd = diffs.get(path)
        if fd is None or line not in fd.added:
            continue
        text = fd.added[line]
        origins = [n for n, t in fd.removed.items() if t.strip() == text.strip()]
        if not origins and (mods := _imported_modules(text)):
            origins = [n for n, t in fd.removed.items() if _imported_modules(t) & mods]
        file_changes = changes.get(path, [])
        matched = [c for c in file_changes if c["line"] in origins and c["applied"]]
        if not matched:  # an added line that moved nothing (a new import): the nearest changes
            old = fd.old_line(line)
            matched = sorted((c for c in file_changes if c["applied"]), key=lambda c: abs(c["line"] - old))[:2]
        return {
            "file": path, "line_after": line, "function": func, "added": text.strip(),
            "from_lines": sorted(origins),
            "changes": [{k: c[k] for k in ("line", "codemod", "message")} for c in matched],
        }  # fmt: skip
    if frames:  # no frame on an added line: a removed or changed line nearby
        file, line, func = frames[-1]
        path = f"{prefix}/{file}"
        fd = diffs.get(path)
        old = fd.old_line(line) if fd else line
        nearest = sorted((c for c in changes.get(path, []) if c["applied"]), key=lambda c: abs(c["line"] - old))[:3]
        source = after_root / file
        try:
            text = source.read_text(encoding="utf-8", errors="replace").splitlines()[line - 1].strip()
        except (OSError, IndexError):
            text = ""
        return {"file": path, "line_after": line, "function": func, "added": None, "text": text,
                "changes": [{k: c[k] for k in ("line", "codemod", "message")} for c in nearest]}  # fmt: skip
    return {"file": None, "changes": []}


# --------------------------------------------------------------------------------------------
# One app
# --------------------------------------------------------------------------------------------


def compiles(data: bytes, name: str) -> bool:
    try:
        compile(data, name, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py")) if p.is_file()}


def before_imports(
    app: App, python: Path, root: Path, modules: list[str], scratch: Path, args: argparse.Namespace,
    build: dict[str, Any], log_fn: Any,
) -> dict[str, ImportResult]:  # fmt: skip
    cache = apps_dir() / app.dirname / BEFORE_CACHE
    key = {
        "protocol": IMPORT_PROTOCOL, "build": build["key"], "env": [list(e) for e in app.env],
        "stubs": list(app.stub_modules), "timeout": args.timeout, "modules": _digest(*modules),
        "copy": _digest(*(f"{k}:{hashlib.sha256(v).hexdigest()}" for k, v in snapshot(root).items())),
    }  # fmt: skip
    if not args.no_before_cache and cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        if data.get("key") == key:
            log_fn(f"  {app.name}: before: cached in {cache}")
            return {m: ImportResult(**r) for m, r in data["results"].items()}
    results = import_all(app, python, root, modules, scratch, args.jobs, args.timeout, "before", log_fn)
    cache.write_text(json.dumps({"key": key, "results": {m: asdict(r) for m, r in results.items()}}) + "\n",
                     encoding="utf-8")  # fmt: skip
    return results


def run_app(app: App, args: argparse.Namespace, tmp: Path, out: Path, log_fn: Any) -> dict[str, Any]:
    build = build_venv(app, args.rebuild, args.refresh_constraints, log_fn)
    python = venv_python(app)
    wheel = build_corpus.download(app.locked, build_corpus.bench_dir() / "downloads")
    metadata_text, metadata_name = wheel_metadata(wheel)
    meta = parse_metadata(metadata_text)
    check_stubs(app, meta)
    rel = f"work/{app.name}"
    root = tmp / rel
    root.mkdir(parents=True)
    files = extract_packages(app, wheel, root)
    (root / "pyproject.toml").write_text(
        render_pyproject(translate(meta), f"{wheel.name}:{metadata_name}"), encoding="utf-8"
    )
    modules = module_names(root, app.packages)
    scratch = tmp / "scratch" / app.name
    scratch.mkdir(parents=True)
    log = out / f"{app.name}.log"
    log_fn(f"{app.dirname}: {len(modules)} modules, {files} files copied")

    before = before_imports(app, python, root, modules, scratch, args, build, log_fn)
    client_before = testclient(app, python, root, scratch, args.timeout) if args.testclient else None

    extra = shlex.split(args.codemod_args)
    common = ["--no-cache", "--color", "never", "--jobs", str(args.cli_jobs), *extra]
    start = time.perf_counter()
    codemod(["check", *common, "--format", "json", "--output", str(out / f"{app.name}.check.json"), rel], tmp, log)
    dry = codemod(["apply", "--dry-run", *common, rel], tmp, log)
    (out / f"{app.name}.diff").write_text(dry.stdout, encoding="utf-8")
    pristine = snapshot(root)
    lint_before, format_before = smoke.lint(root), smoke.unformatted(root)
    codemod(["apply", *common, "--format", "json", "--output", str(out / f"{app.name}.apply.json"), rel], tmp, log)
    rewritten = snapshot(root)
    new_lint: Counter[str] = Counter()
    for (_, code, _), n in (smoke.lint(root) - lint_before).items():
        new_lint[smoke.family(code)] += n
    new_format = sorted(smoke.unformatted(root) - format_before)
    codemod(["check", *common, "--format", "json", "--output", str(out / f"{app.name}.second.json"), rel], tmp, log)
    cli_seconds = time.perf_counter() - start

    report = read_report(out / f"{app.name}.check.json")
    applied_report = read_report(out / f"{app.name}.apply.json")
    second = read_report(out / f"{app.name}.second.json")
    changes = {f["path"]: f["changes"] for f in report["files"]}
    hunks: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for entry in report["files"]:
        for change in entry["changes"]:
            (hunks if change["applied"] else held)[change["codemod"]] += 1
    changed = sorted(n for n in pristine if rewritten.get(n) != pristine[n])
    broken = [n for n in changed if compiles(pristine[n], n) and not compiles(rewritten[n], n)]
    still = sorted(f["path"] for f in second["files"] if f["status"] == "changed")
    failures = [f"{f['path']}: {f['failure']['stage']}: {f['failure']['description']}"
                for f in applied_report["files"] if f["failure"]]  # fmt: skip
    diff_files = parse_diff(dry.stdout)
    expected_paths = {f"{rel}/{n}" for n in changed}
    diff_mismatch = sorted(expected_paths ^ set(diff_files))

    changed_set = set(changed)
    if args.all_after:
        again = list(modules)
    else:  # a module whose good import loaded no changed file runs the same code after: same result
        again = [m for m in modules if before[m].status == "ok" and changed_set & set(before[m].closure)]
    after = import_all(app, python, root, again, scratch, args.jobs, args.timeout, "after", log_fn)
    for m in modules:
        if m not in after:
            after[m] = ImportResult(**{**asdict(before[m]), "reimported": False})
    # a second try for timeouts: one on a loaded machine is not a regression (an exception is)
    suspects = [m for m in modules if before[m].status == "ok" and after[m].status == "timeout"]
    if suspects:
        retried = import_all(app, python, root, suspects, scratch, args.jobs, args.timeout, "after-retry", log_fn)
        after.update({m: r for m, r in retried.items() if r.status == "ok"})
    fixed = [m for m in modules if before[m].status != "ok" and after[m].status == "ok"]
    client_after = testclient(app, python, root, scratch, args.timeout) if args.testclient else None

    def regression(m: str, result: ImportResult, round_: int) -> dict[str, Any]:
        return {
            "module": m, "error": result.error, "round": round_,
            "frames": [[f"{rel}/{f}", n, fn] for f, n, fn in result.frames],
            "cause": attribute(result.frames, rel, diff_files, changes, root),
            "traceback": result.traceback,
        }  # fmt: skip

    regressions = [regression(m, after[m], 0) for m in modules if before[m].status == "ok" and after[m].status != "ok"]
    # Unmasking: a module shows only its first failure. Put the files that caused the failures
    # back as they were, import those modules again, and report what else breaks them.
    reverted: list[str] = []
    pending = list(regressions)
    for round_ in range(1, args.unmask + 1):
        culprits = {r["cause"]["file"] for r in pending if r["cause"].get("file")} - set(reverted)
        if not culprits:
            break
        for path in sorted(culprits):
            (tmp / path).write_bytes(pristine[path.removeprefix(rel + "/")])
            reverted.append(path)
        modules_ = sorted({r["module"] for r in pending})
        results = import_all(app, python, root, modules_, scratch, args.jobs, args.timeout, f"unmask-{round_}", log_fn)
        pending = [regression(m, r, round_) for m, r in sorted(results.items()) if r.status != "ok"]
        regressions += pending
    client_regression = bool(
        client_before and client_after and client_before["status"] == "ok" and client_after["status"] != "ok"
    )
    seen_causes: set[tuple[Any, ...]] = set()
    for reg in regressions:  # one traceback per cause is enough (marimo: hundreds of modules)
        key = (reg["round"], reg["cause"].get("file"), reg["cause"].get("line_after"), reg["error"])
        if key in seen_causes:
            reg["traceback"] = ""
        seen_causes.add(key)
    summary = report["summary"]
    return {
        "name": app.name, "version": app.version, "packages": list(app.packages),
        "venv": {k: build.get(k) for k in ("install_seconds", "venv_bytes", "distributions", "pip_check")},
        "modules": len(modules),
        "imported_before": sum(r.status == "ok" for r in before.values()),
        "imported_after": sum(r.status == "ok" for r in after.values()),
        "reimported_after": len(again),
        "failed_before": {m: r.error for m, r in before.items() if r.status != "ok"},
        "regressions": regressions,
        "regressed_modules": len({r["module"] for r in regressions}),
        "unmask_reverted": reverted,
        "fixed": fixed,
        "files": len(pristine), "files_changed": len(changed),
        "hunks": dict(sorted(hunks.items())), "held_back": dict(sorted(held.items())),
        "skips": summary.get("skips", 0), "failures": failures,
        "not_compiling": broken, "second_run_changes": still,
        "new_lint": {k: new_lint[k] for k in ("F", "I001", "E402")}, "new_format": new_format,
        "diff_mismatch": diff_mismatch,
        "testclient": {"before": client_before, "after": client_after, "regression": client_regression},
        "cli_seconds": round(cli_seconds, 1),
        "diff": str(out / f"{app.name}.diff"),
    }  # fmt: skip


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def print_table(results: list[dict[str, Any]]) -> None:
    header = ["app", "modules", "before", "after (re-imported)", "regr.", "causes", "files chg.", "skips", "fail", "no-compile", "2nd run", "changes per codemod"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["name"], "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", f"SETUP ERROR: {r['error'].splitlines()[0]}"])
            continue
        per = ", ".join(f"{k}: {v}" for k, v in r["hunks"].items()) or "-"
        rows.append([
            f"{r['name']} {r['version']}", str(r["modules"]), str(r["imported_before"]),
            f"{r['imported_after']} ({r['reimported_after']})",
            str(r["regressed_modules"]),
            str(len({(g["cause"].get("file"), g["cause"].get("line_after"), g["error"]) for g in r["regressions"]})),
            f"{r['files_changed']}/{r['files']}", str(r["skips"]),
            str(len(r["failures"])), str(len(r["not_compiling"])), str(len(r["second_run_changes"])), per,
        ])  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) if i in (0, len(header) - 1) else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip())  # fmt: skip
    for r in results:
        if "error" in r:
            continue
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for reg in r["regressions"]:
            cause = reg["cause"]
            groups.setdefault((reg["round"], cause.get("file"), cause.get("line_after"), reg["error"]), []).append(reg)
        for (round_, _, _, error), regs in groups.items():
            cause = regs[0]["cause"]
            names = [g["module"] for g in regs]
            shown = ", ".join(names[:6]) + (f", ... (+{len(names) - 6})" if len(names) > 6 else "")
            found = f", found after putting back {round_} round(s) of culprit files" if round_ else ""
            print(f"\nREGRESSION {r['name']}: {len(names)} module(s){found}\n  {error}\n  modules: {shown}")
            if cause.get("file"):
                if cause.get("added") is not None:
                    print(f"  caused by {cause['file']}:{cause['line_after']} (added line, in {cause['function']}): "
                          f"{cause['added']}   <- from line(s) {cause['from_lines'] or '?'}")  # fmt: skip
                else:
                    print(f"  failing at {cause['file']}:{cause['line_after']} (unchanged line): {cause.get('text', '')}")
                for c in cause["changes"]:
                    print(f"    {c['codemod']} @ line {c['line']}: {c['message']}")
        for title, items in (("does not compile", r["not_compiling"]), ("second run changes", r["second_run_changes"]),
                             ("failure", r["failures"]), ("diff/apply mismatch", r["diff_mismatch"])):  # fmt: skip
            for item in items:
                print(f"\n{title.upper()} {r['name']}: {item}")
        lint = ", ".join(f"{k} {v}" for k, v in r["new_lint"].items())
        print(f"\nlint {r['name']}: new findings ({lint}), new `ruff format` failures {len(r['new_format'])}")
        tc = r["testclient"]
        if tc["before"] is not None and tc["before"]["status"] != "n/a":
            print(f"\ntestclient {r['name']}: before {tc['before']['status']}, after {tc['after']['status']}"
                  + (f" ({tc['after'].get('error')})" if tc["after"]["status"] != "ok" else ""))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", help="comma-separated app names (default: every app of the lock)")
    parser.add_argument("--jobs", type=int, default=2, help="imports run at once (default 2)")
    parser.add_argument("--cli-jobs", type=int, default=2, help="codemod --jobs (default 2)")
    parser.add_argument("--timeout", type=float, default=90, help="seconds per module import (default 90)")
    parser.add_argument("--codemod-args", default="", help="more arguments for every codemod run")
    parser.add_argument("--testclient", action="store_true", help="also start each @asgi app with TestClient")
    parser.add_argument("--build-only", action="store_true", help="only build (or verify) the venvs")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the venvs even when their marker matches")
    parser.add_argument("--refresh-constraints", action="store_true",
                        help="regenerate bench/apps-constraints/<name>.txt (implies a rebuild)")  # fmt: skip
    parser.add_argument("--all-after", action="store_true",
                        help="import every module after the rewrite, not only those whose import loaded a changed file")  # fmt: skip
    parser.add_argument("--unmask", type=int, default=2,
                        help="rounds of putting back the files that caused regressions to find more (default 2)")  # fmt: skip
    parser.add_argument("--no-before-cache", action="store_true", help="import the pristine copy again")
    parser.add_argument("--out", type=Path, help="output directory (default $CODEMOD_BENCH_DIR/smoke-apps/<timestamp>)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory and print where")
    args = parser.parse_args(argv)
    if args.refresh_constraints:
        args.rebuild = True

    def log_fn(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    apps = read_apps()
    if args.only:
        wanted = {normalize_name(n) for n in args.only.split(",") if n.strip()}
        unknown = wanted - {normalize_name(a.name) for a in apps}
        if unknown:
            raise SystemExit(f"not in {LOCK.name}: {', '.join(sorted(unknown))}")
        apps = [a for a in apps if normalize_name(a.name) in wanted]
    if args.build_only:
        status = 0
        for app in apps:
            try:
                record = build_venv(app, args.rebuild, args.refresh_constraints, log_fn)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                log_fn(f"{app.dirname}: BUILD FAILED: {exc}")
                status = 2
                continue
            print(f"{app.dirname:<22} {record['venv_bytes'] / 1e6:>6.0f} MB  {record['distributions']:>4} dists  "
                  f"installed in {record['install_seconds']:.0f} s  {venv_python(app)}")  # fmt: skip
        return status

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    # the code under test, read at the start (other work may commit to codemods/ during a run)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                            check=False).stdout.strip()  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "codemods"], cwd=REPO,
                           capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    out = (args.out or build_corpus.bench_dir() / "smoke-apps" / stamp).resolve()
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="codemod-smoke-apps-"))
    results: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        for app in apps:
            t0 = time.perf_counter()
            try:
                result = run_app(app, args, tmp, out, log_fn)
            except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError) as exc:
                log_fn(f"{app.dirname}: ERROR: {exc}")
                result = {"name": app.name, "version": app.version, "error": str(exc)}
            result["seconds"] = round(time.perf_counter() - t0, 1)
            results.append(result)
            log_fn(f"{app.dirname}: done in {result['seconds']:.0f} s")
    finally:
        if args.keep:
            log_fn(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    summary = {
        "schema": 1,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": commit + ("+uncommitted changes in codemods/" if dirty else ""),
        "python": sys.version.split()[0],
        "codemod_args": args.codemod_args,
        "seconds": round(time.perf_counter() - start, 1),
        "apps": results,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\ndiffs, reports and summary.json in {out}")
    if any("error" in r for r in results):
        return 2
    bad = any(r["regressions"] or r["not_compiling"] or r["second_run_changes"] or r["testclient"]["regression"]
              for r in results)  # fmt: skip
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.pop("FORCE_COLOR", None)
    sys.exit(main())
