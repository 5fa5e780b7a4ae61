"""``codemod audit --python PATH``: installed modules are looked up in the app's interpreter, by a
standard-library probe run there (a real throwaway virtualenv with fake distributions); without
it the report names the interpreter running codemod; a PATH that is not a working interpreter is
a clear error (exit 2); the probe's answer is parsed strictly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import venv
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods.audit import audit_paths
from codemods.audit.cli import audit as audit_command
from codemods.audit.envprobe import ProbeError, parse, probe_environment, run_probe, source

from .conftest import CLI, run_cli
from .helpers import write_tree

METADATA = "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


@pytest.fixture(scope="module")
def app_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv without pip holding two fake distributions and none of codemod's:
    ``fake-dist`` (module ``fakedist_mod``, a ``top_level.txt``) requires ``other-dist``
    (module ``othermod``, found from its RECORD)."""
    root = tmp_path_factory.mktemp("appvenv")
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(root)
    python = root / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    site = Path(purelib)
    write_tree(
        site,
        {
            "fakedist_mod/__init__.py": "raise SystemExit('fakedist_mod was imported')\n",
            "fake_dist-1.0.dist-info/METADATA": METADATA.format(name="fake-dist", version="1.0")
            + "Requires-Dist: other-dist\nRequires-Dist: extra-only ; extra == 'x'\n",
            "fake_dist-1.0.dist-info/top_level.txt": "fakedist_mod\n",
            "othermod/__init__.py": "raise SystemExit('othermod was imported')\n",
            "other_dist-2.0.dist-info/METADATA": METADATA.format(name="other-dist", version="2.0"),
            "other_dist-2.0.dist-info/RECORD": "othermod/__init__.py,,\n"
            "other_dist-2.0.dist-info/METADATA,,\nother_dist-2.0.dist-info/RECORD,,\n",
        },
    )
    return python


def _project(root: Path) -> Path:
    write_tree(
        root,
        {
            "requirements.txt": "fake-dist\n",
            "app/main.py": "import fakedist_mod\nimport othermod\nimport libcst\n",
        },
    )
    return root / "app"


def _audit_json(cli: CLI, *args: str | os.PathLike[str]) -> tuple[int, dict[str, object]]:
    done = cli("audit", *args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.returncode, json.loads(done.stdout)


def _markdown(*args: str | os.PathLike[str]) -> str:
    """The Markdown report, from the command run in this process (the probe still runs)."""
    result = CliRunner().invoke(audit_command, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _rules(data: dict[str, object]) -> list[tuple[str, int, str, str]]:
    findings = data["findings"]
    assert isinstance(findings, list)
    return [(f["path"], f["line"], f["rule"], f["risk"]) for f in findings]


def test_modules_are_looked_up_in_the_given_interpreter(
    tmp_path: Path, cli: CLI, app_python: Path
) -> None:
    app = _project(tmp_path)
    _, data = _audit_json(cli, app, "--python", app_python)
    # fakedist_mod: installed there and declared through its distribution's metadata;
    # othermod: installed there as a requirement of fake-dist; libcst: codemod's, not the app's
    assert _rules(data) == [
        ("main.py", 2, "undeclared-dependency", "low"),
        ("main.py", 3, "import-not-found", "high"),
        ("main.py", 3, "undeclared-dependency", "high"),
    ]
    assert data["environment"] == {
        "origin": "--python",
        "executable": str(app_python),
        "python": ".".join(map(str, sys.version_info[:3])),  # the venv's base is this Python
    }
    markdown = _markdown(app, "--python", app_python)
    assert f"the environment of `{app_python}` (Python" in markdown
    assert "given with `--python`" in markdown


def test_without_python_the_report_names_the_interpreter_running_codemod(
    tmp_path: Path, cli: CLI
) -> None:
    app = _project(tmp_path)
    _, data = _audit_json(cli, app)
    assert _rules(data) == [
        ("main.py", 1, "import-not-found", "high"),
        ("main.py", 1, "undeclared-dependency", "high"),
        ("main.py", 2, "import-not-found", "high"),
        ("main.py", 2, "undeclared-dependency", "high"),
        ("main.py", 3, "undeclared-dependency", "high"),
    ]
    assert data["environment"] == {
        "origin": "codemod",
        "executable": sys.executable,
        "python": ".".join(map(str, sys.version_info[:3])),
    }
    markdown = _markdown(app)
    assert f"the environment of `{sys.executable}`" in markdown
    assert "the interpreter running codemod, which may not be the app's" in markdown


def test_the_probe_sees_neither_the_working_directory_nor_pythonpath(
    tmp_path: Path, app_python: Path
) -> None:
    """``-I``: a module next to where codemod runs, or on codemod's ``PYTHONPATH``, is not the
    app's; and nothing is imported (the fake modules would exit if they were)."""
    sentinel = tmp_path / "ran.txt"
    payload = f"open({str(sentinel)!r}, 'w').write('ran')\n"
    write_tree(
        tmp_path,
        {
            "project/requirements.txt": "fake-dist\n",
            "project/app/main.py": "import nearby\nimport leaky\nimport fakedist_mod\n",
            "cwd/nearby.py": payload,
            "extra/leaky/__init__.py": payload,
        },
    )
    env = {
        "PYTHONPATH": os.pathsep.join([os.environ.get("PYTHONPATH", ""), str(tmp_path / "extra")])
    }
    args = ["audit", tmp_path / "project" / "app", "--format", "json"]
    with_python = json.loads(
        run_cli([*args, "--python", app_python], tmp_path / "cwd", env=env).stdout
    )
    missing = [f["message"] for f in with_python["findings"] if f["rule"] == "import-not-found"]
    assert missing == ["`import nearby`", "`import leaky`"]
    own = json.loads(run_cli(args, tmp_path / "cwd", env=env).stdout)
    missing = [f["message"] for f in own["findings"] if f["rule"] == "import-not-found"]
    assert missing == ["`import fakedist_mod`"]  # codemod's process sees cwd and PYTHONPATH
    assert not sentinel.exists()


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-ins")
def test_a_path_that_is_not_a_working_interpreter_is_a_clear_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app.py": "import os\n"})
    plain = tmp_path / "plain.txt"
    plain.write_text("print(1)\n", encoding="utf-8")
    cases = {
        str(tmp_path / "nowhere" / "python"): "no such file",
        "codemod-surely-no-such-python": "not found on PATH",
        str(tmp_path): "a directory, not a Python interpreter",
        str(plain): "cannot run it: Permission denied",
        str(_script(tmp_path / "fails", "echo 'boom: bad interpreter' >&2\nexit 1\n")): (
            "not a working Python 3.8+ interpreter (exit 1: boom: bad interpreter)"
        ),
        str(_script(tmp_path / "chatty", "echo hello\n")): (
            "did not answer as codemod's probe does (not JSON); its output: 'hello'"
        ),
        str(_script(tmp_path / "wrong", "cat >/dev/null\necho '{\"probe\": 1}'\n")): (
            "did not answer as codemod's probe does (not the expected object)"
        ),
    }
    for python, message in cases.items():
        done = CliRunner().invoke(audit_command, [str(tmp_path / "app.py"), "--python", python])
        assert done.exit_code == 2, (python, done.output)
        assert "Invalid value for '--python'" in done.stderr, (python, done.stderr)
        assert message in " ".join(done.stderr.split()), (python, done.stderr)  # click wraps
        assert done.stdout == ""  # no report from the wrong environment
    done = run_cli(["audit", tmp_path / "app.py", "--python", plain], tmp_path)
    assert done.returncode == 2 and b"cannot run it: Permission denied" in done.stderr


@pytest.mark.skipif(os.name != "posix", reason="process groups")
@pytest.mark.timeout(120)  # a regression hangs on the grandchild's pipe: fail, not hang
def test_a_probe_that_does_not_answer_is_killed_with_what_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    # the shell is no Python: it starts a child that keeps the pipes open, and waits for it
    stuck = _script(tmp_path / "stuck", f"sleep 100000 &\necho $! > {pid_file}\nwait\n")
    with pytest.raises(ProbeError, match="no answer within 1 s"):
        run_probe(str(stuck), ["json"], metadata=False, timeout=1)
    pid = int(pid_file.read_text())
    stat = Path(f"/proc/{pid}/stat")

    def dead() -> bool:
        try:
            return stat.read_text().split(") ")[1][0] in "ZX"
        except FileNotFoundError:
            return True

    # SIGKILL is delivered asynchronously: on a loaded machine the sleep may still be running
    # for a moment after the group was signalled; a sleep nobody killed would never end
    deadline = time.monotonic() + 30
    while not dead() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert dead()


def test_the_probe_answers_for_top_level_names_only(app_python: Path) -> None:
    answer = run_probe(
        str(app_python), ["fakedist_mod", "libcst", "json", "os.path", "1x"], metadata=True
    )
    assert answer.found == {"fakedist_mod": True, "json": True, "libcst": False}
    assert answer.executable == str(app_python)
    assert answer.distributions is not None and answer.requires is not None
    assert answer.distributions["fakedist_mod"] == ("fake-dist",)
    assert answer.distributions["othermod"] == ("other-dist",)  # inferred from RECORD
    assert answer.requires["fake-dist"] == ("other-dist", "extra-only ; extra == 'x'")
    env = probe_environment(str(app_python))
    assert env.closure(["fake-dist"]) == {"fake-dist", "other-dist"}  # extras left out
    assert env.installed("othermod") and not env.installed("othermod.sub")


GOOD = {"probe": 1, "executable": "/x/python", "version": [3, 12, 1], "found": {"a": True}}


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("", "not JSON"),
        ("[]", "not the expected object"),
        (json.dumps({**GOOD, "probe": 2}), "not the expected object"),
        (json.dumps({**GOOD, "extra": 1}), "not the expected object"),
        (json.dumps({**GOOD, "version": [3, 12]}), "bad version"),
        (json.dumps({**GOOD, "version": [3, True, 1]}), "bad version"),
        (json.dumps({**GOOD, "found": {"a": True, "b": False}}), "bad executable or names"),
        (json.dumps({**GOOD, "found": {"a": 1}}), "bad names"),
        (json.dumps(GOOD) + "\ntrailing", "not JSON"),
    ],
)
def test_the_answer_is_parsed_strictly(output: str, reason: str) -> None:
    assert parse(json.dumps(GOOD), ("a",), False, "py").found == {"a": True}
    with pytest.raises(ProbeError, match=reason):
        parse(output, ("a",), False, "py")


def test_metadata_must_be_lists_of_strings() -> None:
    good = {**GOOD, "distributions": {"a": ["a-dist"]}, "requires": {"a-dist": []}}
    assert parse(json.dumps(good), ("a",), True, "py").distributions == {"a": ("a-dist",)}
    for bad in ({"a": "a-dist"}, {"a": [1]}, ["a"]):
        with pytest.raises(ProbeError, match="bad metadata"):
            parse(json.dumps({**good, "distributions": bad}), ("a",), True, "py")
    with pytest.raises(ProbeError, match="not the expected object"):
        parse(json.dumps(GOOD), ("a",), True, "py")  # metadata asked, none given


def test_only_third_party_names_are_asked_about(tmp_path: Path, app_python: Path) -> None:
    write_tree(
        tmp_path,
        {
            "requirements.txt": "fake-dist\n",
            "app/__init__.py": "",
            "app/main.py": "import os\nimport telnetlib\nfrom app import util\nfrom . import util as u\n"
            "import fakedist_mod\nimport libcst.metadata\n",
            "app/util.py": "",
        },
    )
    asked: list[set[str]] = []
    env = probe_environment(str(app_python))

    def record(names: Iterable[str]) -> None:
        asked.append(set(names))
        env.prefetch(asked[-1])

    report = audit_paths([tmp_path / "app"], environment=replace(env, prefetch=record))
    assert asked == [{"fakedist_mod", "libcst"}]
    assert [f.rule for f in report.findings if f.category == "missing-module"] == [
        "import-not-found"
    ]


def test_the_probes_own_mapping_for_python_before_3_10(app_python: Path) -> None:
    """Python 3.8 and 3.9 have no ``packages_distributions``: the probe's fallback, run here
    with the function removed, gives what it gives on 3.10+."""
    request = json.dumps({"names": [], "metadata": True})
    answers = []
    for prelude in ("", "import importlib.metadata as m; del m.packages_distributions; "):
        run = prelude + "import sys; exec(sys.argv[1], {'__name__': '__main__'})"
        done = subprocess.run(
            [app_python, "-I", "-c", run, source()],
            input=request, capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip
        answers.append(json.loads(done.stdout)["distributions"])
    modern, fallback = answers
    assert fallback["fakedist_mod"] == ["fake-dist"] and fallback["othermod"] == ["other-dist"]
    assert fallback == modern


@pytest.mark.skipif(os.name != "posix", reason="shell-script stand-ins")
def test_a_bare_name_is_never_taken_from_the_working_directory(tmp_path: Path) -> None:
    """``--python python3`` run from inside the audited repository, which ships an executable
    named ``python3``: the name is looked up on PATH, the repository's file is never run."""
    sentinel = tmp_path / "ran"
    write_tree(tmp_path, {"app.py": "import os\n"})
    _script(tmp_path / "codemod-test-python", f"touch {sentinel}\nexit 1\n")
    done = run_cli(["audit", ".", "--python", "codemod-test-python"], tmp_path)
    assert done.returncode == 2
    assert b"not found on PATH" in done.stderr
    assert not sentinel.exists()
