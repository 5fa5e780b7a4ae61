"""Start-up cost: ``--version``, ``--help`` and a re-check answered from the cache import neither
libcst nor any codemod (issue 22). Checked on what a real CLI process imported (``-X
importtime``), never on timings; the speed itself is measured by ``bench/run.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import catalog, registry
from codemods.audit.cli import FORMATS as AUDIT_FORMATS
from codemods.audit.render import RENDERERS
from codemods.cli import REPORT_FORMAT_NAMES
from codemods.reports import REPORT_FORMATS

from .conftest import REPO
from .helpers import write_tree

#: what a start-up or a fully cached run must not import
HEAVY = ("libcst", "codemods.commands", "codemods.visitors", "codemods.registry")


def run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """The CLI in a child process, and every module it imported."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codemods", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    stderr = "".join(
        line + "\n" for line in proc.stderr.splitlines() if not line.startswith("import time:")
    )
    assert "codemods.cli" in modules  # the measurement itself works
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, stderr), modules


def said(proc: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return proc.returncode, proc.stdout, proc.stderr


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(HEAVY))


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["-V"],
        ["--help"],
        ["check", "--help"],
        ["apply", "--help"],
        ["audit", "--help"],
        ["batch", "--help"],
        ["list"],
    ],
)
def test_version_and_help_import_no_codemod(args: list[str], tmp_path: Path) -> None:
    proc, modules = run(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert heavy(modules) == []
    if args[0] in ("--version", "-V"):
        assert proc.stdout == "codemod, version 0.1.0\n"
    if args == ["--help"]:
        for command in ("apply", "audit", "batch", "check", "explain", "list"):
            assert f"  {command} " in proc.stdout
    if args == ["check", "--help"]:
        assert "[diff|github|json|markdown|sarif]" in proc.stdout


def test_the_static_catalog_is_the_registry() -> None:
    found = [
        catalog.Entry(cid, cls.DEFAULT_ON, cls.FIX_SAFETY, cls.has_gather(), registry.summary(cls))
        for cid, cls in registry.all_codemods().items()
    ]
    assert list(catalog.CODEMODS) == found


def test_the_static_format_names_are_the_reporters() -> None:
    assert tuple(sorted(REPORT_FORMATS)) == REPORT_FORMAT_NAMES
    assert tuple(sorted(RENDERERS)) == AUDIT_FORMATS


def test_explain_still_reads_the_codemod(tmp_path: Path) -> None:
    proc, _ = run(["explain", "dedupe-imports"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("# dedupe-imports\n\nDefault: on. Fix safety: sometimes unsafe.")


APP = {
    # a project root: module lookup does not list the (busy) directories above it
    "pyproject.toml": '[project]\nname = "app"\nversion = "0"\ndependencies = ["fastapi"]\n',
    "app/__init__.py": "",
    "app/main.py": (
        "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\nasync def root():\n    import json\n    time.sleep(1)\n"
        "    return json.dumps({})\n"
    ),
    "app/util.py": "def helper():\n    from app import main\n    return main\n",
    "app/clean.py": "VALUE = 1\n",
}


@pytest.mark.parametrize(
    "command", [["check"], ["check", "--diff"], ["apply", "--dry-run", "--exit-non-zero-on-change"]]
)
def test_a_cached_recheck_imports_no_codemod_and_says_the_same(
    command: list[str], tmp_path: Path
) -> None:
    project, cache = tmp_path / "proj", tmp_path / "cache"
    write_tree(project, APP)
    args = [*command, ".", "--cache-dir", str(cache)]
    cold, cold_modules = run(args, project)
    assert cold.returncode == 1, cold.stderr
    assert "libcst" in cold_modules
    warm, warm_modules = run(args, project)
    assert heavy(warm_modules) == []
    assert said(warm) == said(cold)
    uncached, _ = run([*command, ".", "--no-cache"], project)
    assert said(uncached) == said(cold)

    # an edited file is processed again, and the output is what an uncached run gives
    (project / "app" / "clean.py").write_text(
        "async def f():\n    import os\n    return os\n", encoding="utf-8"
    )
    edited, _ = run(args, project)
    fresh, _ = run([*command, ".", "--no-cache"], project)
    assert said(edited) == said(fresh)
    assert "clean.py" in edited.stdout + edited.stderr
    again, again_modules = run(args, project)
    assert heavy(again_modules) == []
    assert said(again) == said(fresh)
