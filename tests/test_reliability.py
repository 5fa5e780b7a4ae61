"""Bad input gets a clear error naming the file; every other file is still processed; nothing is lost.

Every case runs the real CLI (``python -m codemods``) on real files, except the two races
(a file deleted / modified during the run), which drive the real engine deterministically.
"""

from __future__ import annotations

import ast
import ctypes
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest

from codemods import engine, registry
from codemods.api import run_paths
from codemods.base import Codemod
from codemods.diffs import display_path
from codemods.engine import TransformError, run_file, transform_source
from codemods.project import ModuleInfo, gather_file
from codemods.types import Options

from .conftest import CLI, REPO

HOISTABLE = "import os\n\n\ndef dump(x):\n    import json\n    return json.dumps(x)\n"
HOISTED = "import json\nimport os\n\n\ndef dump(x):\n    return json.dumps(x)\n"


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_ok_and_bad(cli: CLI, tmp_path: Path, name: str, bad: bytes) -> subprocess.CompletedProcess[bytes]:
    """Apply over a good file and one bad file; the good one must still be fixed."""
    write_bytes(tmp_path / "good.py", HOISTABLE.encode())
    write_bytes(tmp_path / name, bad)
    proc = cli("apply", ".")
    assert (tmp_path / "good.py").read_text() == HOISTED, proc.stderr
    assert (tmp_path / name).read_bytes() == bad, "a bad file was modified"
    return proc


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        # Python's own message and line (libcst would say line 2, where it gave up)
        ("syntax.py", b"def f(:\n    import os\n", b"parse error:1: invalid syntax"),
        ("py2.py", b"def f():\n    import os\n    print 'hello'\n", b"parse error:3: Missing parentheses in call to 'print'"),
        ("undecodable.py", b"def f():\n    import os\n    x = '\xff\xfe'\n", b"decode error: line 3: cannot decode byte 0xff as utf-8"),
        ("bad_cookie.py", b"# -*- coding: klingon -*-\ndef f():\n    import os\n", b"decode error"),
        ("nul.py", b"def f():\n    import os\x00\n", b"parse error:2: "),
        # no codemod's trigger matches, so nothing would parse it but the check that it parses
        ("no_trigger.py", b"x = (\n", b"parse error:1: '(' was never closed"),
        # libcst's native parser overflows its stack (SIGSEGV) on this; Python refuses it
        ("deep.py", b"def f():\n    import os\n    return " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n",
         b"parse error:3: too many nested parentheses"),
    ],
)
def test_bad_files_are_reported_and_others_processed(
    cli: CLI, tmp_path: Path, name: str, content: bytes, reason: bytes
) -> None:
    proc = run_ok_and_bad(cli, tmp_path, name, content)
    assert proc.returncode == 3
    assert f"error: {name}: ".encode() in proc.stderr
    assert reason in proc.stderr, proc.stderr
    assert b"1 file changed, 0 unchanged, 0 skipped, 1 failed" in proc.stderr


def test_latin1_with_cookie_keeps_encoding(cli: CLI, tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\ndef f():\n    import json\n    return json.dumps('\xe9t\xe9')\n"
    path = write_bytes(tmp_path / "l1.py", source.encode("latin-1"))
    assert cli("apply", "l1.py").returncode == 0
    assert path.read_bytes() == (
        "# -*- coding: latin-1 -*-\nimport json\n\n\ndef f():\n    return json.dumps('\xe9t\xe9')\n"
    ).encode("latin-1")


def test_mixed_newlines_tabs_and_form_feeds_survive(cli: CLI, tmp_path: Path) -> None:
    source = b"import os\r\n\x0c\n\ndef f():\n\timport json\r\n\treturn json.dumps(os.sep)  # tab-indented\n\x0c\ndef g():\n    pass\r\n"
    path = write_bytes(tmp_path / "mixed.py", source)
    proc = cli("apply", "mixed.py")
    assert proc.returncode == 0, proc.stderr
    out = path.read_bytes()
    assert out.replace(b"import json\r\n", b"", 1).replace(b"\timport json\r\n", b"") == source.replace(
        b"\timport json\r\n", b""
    )
    assert out.count(b"import json") == 1
    compile(out, "mixed.py", "exec")


def test_empty_file_and_whitespace_only(cli: CLI, tmp_path: Path) -> None:
    write_bytes(tmp_path / "empty.py", b"")
    write_bytes(tmp_path / "blank.py", b"\n\n   \n")
    proc = cli("check", ".")
    assert proc.returncode == 0
    assert b"2 unchanged" in proc.stderr


def test_five_megabyte_one_line_file(cli: CLI, tmp_path: Path) -> None:
    """libcst would need ~8 GB and many minutes for this literal: a file no codemod needs to
    parse passes untouched; one that would need parsing is refused with the reason."""
    big = b"DATA = [" + b"1, " * (5 * 1024 * 1024 // 3) + b"]\n"
    write_bytes(tmp_path / "big.py", big)
    write_bytes(tmp_path / "big_with_function.py", big + HOISTABLE.encode())
    proc = cli("apply", ".")
    assert proc.returncode == 3, proc.stderr
    assert (tmp_path / "big.py").read_bytes() == big
    assert (tmp_path / "big_with_function.py").read_bytes() == big + HOISTABLE.encode()
    assert b"error: big_with_function.py: size error: too large to transform: 1," in proc.stderr
    assert b"syntax nodes (limit 400,000)" in proc.stderr
    assert b"0 files changed, 1 unchanged, 0 skipped, 1 failed" in proc.stderr, proc.stderr


NEW_SYNTAX = {
    "pep695.py": "def first[T](items: list[T]) -> T:\n    import json\n    return json.loads(json.dumps(items))[0]\n\ntype Alias = list[int]\n",
    "pep701.py": 'def show(d):\n    import json\n    return f"{json.dumps(d["k"])} {f"{\'nested\'}"}"\n',
    "pep758.py": "def parse(s):\n    import json\n    try:\n        return json.loads(s)\n    except ValueError, TypeError:\n        return None\n",
}


@pytest.mark.parametrize("name", sorted(NEW_SYNTAX))
def test_newer_syntax_is_processed_not_rejected(cli: CLI, tmp_path: Path, name: str) -> None:
    write_bytes(tmp_path / name, NEW_SYNTAX[name].encode())
    proc = cli("apply", name)
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / name).read_text()
    assert out.startswith("import json\n"), out
    assert out.count("import json") == 1
    cst.parse_module(out)


def test_symlinks_outside_root_and_loops(cli: CLI, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_bytes(outside / "secret.py", HOISTABLE.encode())
    root = tmp_path / "root"
    write_bytes(root / "inside.py", HOISTABLE.encode())
    (root / "link_to_outside.py").symlink_to(outside / "secret.py")
    (root / "dir_link").symlink_to(outside)
    (root / "loop").symlink_to(root)  # a symlink loop
    proc = cli("apply", "--dry-run", "root")
    assert proc.returncode == 0, proc.stderr
    assert b"a/root/inside.py" in proc.stdout
    assert b"secret" not in proc.stdout
    assert proc.stdout.count(b"--- a/") == 1
    proc = cli("apply", "--dry-run", "--follow-symlinks", "root")
    assert proc.returncode == 0, proc.stderr
    # followed, but the same real file is processed once and the loop is not re-entered
    assert proc.stdout.count(b"--- a/") == 2, proc.stdout


def test_path_given_twice_is_processed_once(cli: CLI, tmp_path: Path) -> None:
    write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    proc = cli("apply", "--dry-run", "a.py", "./a.py", ".")
    assert proc.stdout.count(b"--- a/") == 1


@pytest.fixture
def shared_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for p in tmp_path.rglob("*"):  # give back what the test took away, for the clean-up
        p.chmod(0o777 if p.is_dir() else 0o666)


# From <linux/prctl.h> and <linux/capability.h>.
PR_CAPBSET_DROP = 24
CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 0, 1, 2, 3
FILE_CAPABILITIES = (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER)


def _dropping(capabilities: tuple[int, ...]) -> Callable[[], None]:
    def drop() -> None:
        """In the child, before exec: remove ``capabilities`` from the bounding set (by default
        those that let root ignore file permissions), so the program exec'd next is checked
        like any other user."""
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in capabilities:
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def run_without_file_privileges(
    args: list[str], cwd: Path, capabilities: tuple[int, ...] = FILE_CAPABILITIES
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI without the power to bypass file permissions (or without ``capabilities``).

    As root, switching to ``nobody`` is not possible here (the interpreter lives under the
    private ``/root``); dropping ``CAP_DAC_OVERRIDE`` and friends gives the same permission
    checks while keeping the same interpreter."""
    preexec = _dropping(capabilities) if os.geteuid() == 0 else None
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "codemods", *args], cwd=cwd, capture_output=True, env=env,
            preexec_fn=preexec, timeout=120, check=False,
        )  # fmt: skip
    except subprocess.SubprocessError as exc:  # prctl refused: no CAP_SETPCAP in this container
        pytest.skip(f"running as root and cannot drop CAP_DAC_OVERRIDE here: {exc}")


def test_unreadable_file(shared_dir: Path) -> None:
    good = write_bytes(shared_dir / "good.py", HOISTABLE.encode())
    bad = write_bytes(shared_dir / "secret.py", HOISTABLE.encode())
    good.chmod(0o666)
    bad.chmod(0o000)
    proc = run_without_file_privileges(["apply", "."], shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert b"error: secret.py: read error: Permission denied" in proc.stderr
    assert good.read_text() == HOISTED
    bad.chmod(0o644)
    assert bad.read_text() == HOISTABLE


def test_read_only_directory(shared_dir: Path) -> None:
    ro = shared_dir / "ro"
    path = write_bytes(ro / "a.py", HOISTABLE.encode())
    path.chmod(0o666)  # the file itself is writable; the directory is not
    ro.chmod(0o555)
    proc = run_without_file_privileges(["apply", "ro"], shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert b"error: ro/a.py: write error: Permission denied" in proc.stderr
    assert path.read_text() == HOISTABLE
    assert sorted(p.name for p in ro.iterdir()) == ["a.py"], "a temporary file was left behind"


def test_file_deleted_during_the_run(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        write_bytes(tmp_path / name, HOISTABLE.encode())
    results = run_paths([tmp_path], Options(), write=True, jobs=1)
    first = next(results)  # files are processed lazily, one by one, in sorted order
    assert first.written
    (tmp_path / "b.py").unlink()
    rest = list(results)
    assert rest[0].failure is not None and rest[0].failure.stage == "read"
    assert "vanished" in rest[0].failure.message
    assert rest[1].written and (tmp_path / "c.py").read_text() == HOISTED
    assert not (tmp_path / "b.py").exists(), "a deleted file was recreated"


class _ConcurrentEditor(Codemod):
    """Stands in for a person saving the file while the codemod is working on it."""

    ID = "concurrent-editor"

    def transform(self, module: cst.Module) -> cst.Module:
        assert self.context.path is not None
        self.context.path.write_text("EDITED = True\n")
        return module


def test_file_modified_between_read_and_write_is_not_overwritten(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    codemods = [_ConcurrentEditor, registry.get("hoist-imports")]
    result = run_file(path, codemods, Options(), write=True)
    assert result.failure is not None and result.failure.stage == "conflict"
    assert "changed on disk" in result.failure.message
    assert path.read_text() == "EDITED = True\n"


class _Breaker(Codemod):
    """A deliberately broken codemod: its output does not compile."""

    ID = "breaker"

    def transform(self, module: cst.Module) -> cst.Module:
        self.report(1, "break it", "Break it")
        return module.with_changes(body=[*module.body, cst.parse_statement("return 1\n")])


def test_output_that_does_not_compile_is_never_written(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    result = run_file(path, [registry.get("hoist-imports"), _Breaker], Options(), write=True)
    assert result.failure is not None
    assert result.failure.stage == "verify" and result.failure.codemod == "breaker"
    assert path.read_text() == HOISTABLE
    with pytest.raises(TransformError, match="output does not compile"):
        transform_source("x = 1\n", [_Breaker], Options())
    # input that never compiled (here: `return` outside a function) is held to the parser only:
    # an output that still parses is accepted, one that no longer parses never is
    assert transform_source("return 0\n", [_Breaker], Options()).code == "return 0\nreturn 1\n"


def test_only_the_final_output_is_verified_and_the_first_breaking_codemod_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The final code is compiled once (and the input only when it fails); when it fails, the
    codemod named is the first whose output failed, also when another codemod changed the code
    after it."""
    hoist = registry.get("hoist-imports")
    with pytest.raises(TransformError, match="output does not compile") as caught:
        transform_source(HOISTABLE, [_Breaker, hoist], Options())
    assert caught.value.failure.codemod == "breaker"
    compiled: list[str] = []
    original = engine._compiles

    def counting(text: str) -> bool:
        compiled.append(text)
        return original(text)

    monkeypatch.setattr(engine, "_compiles", counting)
    source = "import time\n\n\nasync def f():\n    import json\n    time.sleep(1)\n    return json.dumps(1)\n"
    result = transform_source(source, [hoist, registry.get("wrap-blocking-calls")], Options())
    assert {c.codemod for c in result.changes} == {"hoist-imports", "wrap-blocking-calls"}
    assert compiled == [result.code]  # the final output only: it compiles, so the input need not


class _Cycle:
    def __init__(self) -> None:
        self.me = self


class _GcProbe(Codemod):
    """Records whether the cyclic collector runs while a file is processed, leaves a reference
    cycle behind, and fails on request."""

    ID = "gc-probe"
    TRIGGER = None
    seen: ClassVar[list[bool]] = []
    left: ClassVar[list[weakref.ref[_Cycle]]] = []

    def transform(self, module: cst.Module) -> cst.Module:
        type(self).seen.append(gc.isenabled())
        type(self).left.append(weakref.ref(_Cycle()))
        if "FAIL" in module.code:
            raise RuntimeError("probe asked to fail")
        return module


def test_no_cyclic_collection_during_a_file_and_its_cycles_go_after(tmp_path: Path) -> None:
    """``run_file`` pauses the collector for one file (a fifth of the time on large files) and
    restores it, also when the codemod crashes; what the file left in cycles is collected."""
    good = write_bytes(tmp_path / "a.py", HOISTABLE.encode())
    bad = write_bytes(tmp_path / "b.py", b"FAIL = 1\n")
    assert gc.isenabled()
    assert run_file(good, [_GcProbe], Options()).failure is None
    failed = run_file(bad, [_GcProbe], Options())
    assert failed.failure is not None and "probe asked to fail" in failed.failure.message
    assert gc.isenabled()
    assert _GcProbe.seen == [False, False]
    garbage = [[] for _ in range(2000)]  # allocations: the counts trigger a collection
    del garbage
    assert [ref() for ref in _GcProbe.left] == [None, None]
    gc.disable()
    try:
        run_file(good, [_GcProbe], Options())
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()


def test_no_cyclic_collection_while_a_file_is_gathered(tmp_path: Path) -> None:
    """``gather_file`` pauses the collector too (its ``ast`` tree and node list are many small
    objects), and restores it, also when a gatherer raises."""
    path = write_bytes(tmp_path / "m.py", HOISTABLE.encode())
    seen: list[bool] = []

    def probe(tree: ast.Module, module: ModuleInfo) -> int:
        seen.append(gc.isenabled())
        return len(tree.body)

    def crash(tree: ast.Module, module: ModuleInfo) -> int:
        raise RuntimeError("gatherer asked to fail")

    assert gc.isenabled()
    facts = gather_file(path, {"probe": probe})
    assert facts.parsed and facts.codemod["probe"] > 0
    with pytest.raises(RuntimeError, match="asked to fail"):
        gather_file(path, {"probe": probe, "crash": crash})
    assert gc.isenabled()
    assert seen == [False, False]


def test_sigkill_mid_apply_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    count = 400
    work = tmp_path / "work"
    for i in range(count):
        # different sizes so writes take different times
        filler = "".join(f"X{j} = {j}\n" for j in range(i % 50 * 20))
        write_bytes(work / f"m{i:04d}.py", (filler + HOISTABLE).encode())
    expected_dir = tmp_path / "expected"
    shutil.copytree(work, expected_dir)
    # cwd: the cache goes to tmp_path, not to the repository that every test process shares
    subprocess.run([sys.executable, "-m", "codemods", "apply", "-q", str(expected_dir)],
                   cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True)  # fmt: skip
    originals = {p.name: p.read_bytes() for p in work.iterdir()}
    expected = {p.name: p.read_bytes() for p in expected_dir.iterdir()}
    assert all(originals[n] != expected[n] for n in originals)
    proc = subprocess.Popen(
        [sys.executable, "-m", "codemods", "apply", "-q", "--jobs", "2", str(work)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        done = sum(1 for p in work.glob("*.py") if p.read_bytes() == expected[p.name])
        if done >= 5:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    names = {p.name for p in work.iterdir()}
    leftovers = sorted(n for n in names if not n.endswith(".py"))
    finished = 0
    for name, original in originals.items():
        data = (work / name).read_bytes()
        assert data in (original, expected[name]), f"{name} is neither old nor new"
        finished += data == expected[name]
        cst.parse_module(data)
    assert finished > 0, "the kill came before any write; the test proved nothing"
    # a kill may strand a temporary file (never a half-written source file); it is hidden
    # (dot-prefixed) and ends in .codemod-tmp so it can be cleaned up
    assert all(n.startswith(".") and n.endswith(".codemod-tmp") for n in leftovers), leftovers


class _WorkerKiller(Codemod):
    """Stands in for a crash in native code (libcst's parser once overflowed its stack on deep
    nesting): the worker process is killed outright while it handles a marked file."""

    ID = "worker-killer"

    @classmethod
    def gather(cls, tree: ast.Module, module: ModuleInfo) -> None:
        if module.name.endswith("kill_in_gather"):
            os.kill(os.getpid(), signal.SIGKILL)

    def transform(self, module: cst.Module) -> cst.Module:
        if "KILL_THE_WORKER" in self.context.source:
            os.kill(os.getpid(), signal.SIGKILL)
        return module


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the workers must be forked to see the test codemod")
@pytest.mark.parametrize("write", [True, False])
def test_a_worker_that_dies_takes_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: bool) -> None:
    monkeypatch.setitem(registry.all_codemods(), _WorkerKiller.ID, _WorkerKiller)
    names = [f"m{i:02d}.py" for i in range(60)]
    for name in names:
        write_bytes(tmp_path / name, HOISTABLE.encode())
    write_bytes(tmp_path / "m17.py", (HOISTABLE + "KILL_THE_WORKER = 1\n").encode())
    write_bytes(tmp_path / "m41_kill_in_gather.py", HOISTABLE.encode())
    options = Options(select=("hoist-imports", _WorkerKiller.ID))
    results = {r.path: r for r in run_paths([tmp_path], options, write=write, jobs=2)}
    killed = results[display_path(tmp_path / "m17.py")]
    assert killed.failure is not None and killed.failure.stage == "internal"
    assert "worker process died" in killed.failure.message
    assert (tmp_path / "m17.py").read_text() == HOISTABLE + "KILL_THE_WORKER = 1\n"
    # a death in the gather phase only costs that file its facts; it is still transformed
    others = [*sorted(set(names) - {"m17.py"}), "m41_kill_in_gather.py"]
    for name in others:
        result = results[display_path(tmp_path / name)]
        assert result.changed and result.written == write, name
        assert (tmp_path / name).read_text() == (HOISTED if write else HOISTABLE), name
    assert len(results) == len(others) + 1


# Found by `make smoke` (docs/reliability.md); reduced to the smallest file that shows each.
def test_smoke_second_run_is_a_no_op(cli: CLI, tmp_path: Path) -> None:
    write_bytes(tmp_path / "m.py", b"import sys\n\n\ndef f():\n    import importlib.metadata\n    import platform\n"
                b"    return platform, importlib.metadata, sys\n")  # fmt: skip
    assert cli("apply", "m.py").returncode == 0
    proc = cli("check", "--diff", "m.py")
    assert proc.returncode == 0, proc.stdout.decode()


def test_smoke_hoisting_adds_no_pyflakes_finding(cli: CLI, tmp_path: Path) -> None:
    source = b"def f():\n    from os.path import sep\n    return sep\n\n\ndef g():\n    for sep in range(3):\n        print(sep)\n"
    write_bytes(tmp_path / "s.py", source)
    ruff = [str(Path(sys.executable).parent / "ruff"), "check", "--isolated", "--no-cache", "--select", "F", "s.py"]
    assert subprocess.run(ruff, cwd=tmp_path, capture_output=True, check=False).returncode == 0
    assert cli("apply", "s.py").returncode == 0
    proc = subprocess.run(ruff, cwd=tmp_path, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stdout.decode()
