"""``codemod audit`` and the guards around an import: ``if __name__ == "__main__":`` (runs only
as a script), ``TYPE_CHECKING`` (never runs), ``try``/``except ImportError`` (handled there) and
platform or version tests (not evaluated). See docs/decisions.md, "Audit"."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from codemods.audit import AuditReport, Risk, audit_paths, fixed_environment
from codemods.audit.cli import audit as audit_command

from .helpers import write_tree

HEALTHY_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def root():
    return {"ok": True}


if __name__ == "__main__":
    import uvicorn
    from fastapi import FastAPI as _Again

    uvicorn.run(app)
"""


def _audit(root: Path, files: dict[str, str], installed: dict[str, list[str]]) -> AuditReport:
    write_tree(root, files)
    env = fixed_environment((3, 11), installed)
    return audit_paths([root], environment=env, root_label="project")


def _rules(report: AuditReport) -> list[tuple[int, str, str]]:
    return [(f.line, f.rule, f.risk.value) for f in report.findings]


def test_imports_under_the_main_guard_are_not_import_time_failures(tmp_path: Path) -> None:
    report = _audit(
        tmp_path,
        {"requirements.txt": "fastapi\n", "main.py": HEALTHY_APP},
        {"fastapi": ["fastapi"]},  # uvicorn is not installed here
    )
    assert _rules(report) == [
        (12, "import-not-found-script", "low"),
        (12, "undeclared-dependency", "low"),
    ]
    missing, undeclared = report.findings
    assert "runs only when `main` is run as a script" in missing.why
    assert "never when the app is imported by its server" in missing.why
    assert 'only under `if __name__ == "__main__":`' in undeclared.why
    assert not report.at_or_above(Risk.HIGH)


def test_fail_on_high_passes_a_healthy_app(tmp_path: Path) -> None:
    """The issue's case, through the command: neither fastapi nor uvicorn installed in the
    checked environment is a failure of the ``__main__`` block only."""
    source = HEALTHY_APP.replace("fastapi", "surely_missing_fw").replace("uvicorn", "surely_srv")
    # the top import left out: only the script block imports what is not installed
    write_tree(tmp_path, {"main.py": source.split("\n", 1)[1]})
    result = CliRunner().invoke(audit_command, [str(tmp_path), "--fail-on", "high"])
    assert result.exit_code == 0, result.output
    assert "surely_srv" in result.stdout and "| low |" in result.stdout
    result = CliRunner().invoke(audit_command, [str(tmp_path), "--fail-on", "low"])
    assert result.exit_code == 1


def test_every_spelling_of_the_main_guard(tmp_path: Path) -> None:
    source = """\
        import os

        if "__main__" == __name__:
            import first
        if os.environ.get("X"):
            pass
        elif __name__ == "__main__":
            import second
        if __name__ != "__main__":
            import imported_always
        else:
            import third
        if __name__ == "__main__":
            pass
        else:
            import at_import_too
        if __name__ == "__main__" and os.name == "nt":
            import fourth
        if __name__ == "__main__" or os.environ.get("Y"):
            import at_import_too_maybe
        """
    report = _audit(tmp_path, {"main.py": source}, {})
    assert _rules(report) == [
        (4, "import-not-found-script", "low"),
        (8, "import-not-found-script", "low"),
        (10, "import-not-found", "high"),
        (12, "import-not-found-script", "low"),
        (16, "import-not-found", "high"),
        (18, "import-not-found-script", "low"),
        (20, "import-not-found", "high"),
    ]


def test_removed_modules_under_guards(tmp_path: Path) -> None:
    source = """\
        import sys
        from typing import TYPE_CHECKING

        try:
            import imp
        except ImportError:
            imp = None

        if TYPE_CHECKING:
            import telnetlib

        if sys.version_info < (3, 12):
            import asyncore

        if __name__ == "__main__":
            import cgi


        def helper():
            if TYPE_CHECKING:
                import nntplib
            try:
                import pipes
            except ImportError:
                return None
            return pipes
        """
    report = _audit(tmp_path, {"main.py": source}, {})
    assert [(f.line, f.rule, f.risk.value) for f in report.findings] == [
        (13, "removed-stdlib-module", "low"),  # the version test is not evaluated
        (16, "removed-stdlib-module", "low"),  # only when run as a script
        (21, "function-import-type-checking", "info"),
        (23, "function-import-optional", "info"),
    ]
    asyncore, cgi = report.findings[:2]
    assert "unless its platform or version test" in asyncore.why
    assert cgi.why.endswith("when the module is run as a script")


def test_work_under_the_main_guard_is_not_import_time_work(tmp_path: Path) -> None:
    source = """\
        import sqlite3

        db = sqlite3.connect("app.db")

        if __name__ == "__main__":
            conn = sqlite3.connect("script.db")
        """
    report = _audit(tmp_path, {"main.py": source}, {})
    assert _rules(report) == [(3, "import-time-connect", "medium")]


def test_a_policy_outside_the_main_guard_is_said_to_run_at_import(tmp_path: Path) -> None:
    source = """\
        import asyncio

        if __name__ != "__main__":
            asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
        if __name__ == "__main__":
            asyncio.set_event_loop_policy(None)
        """
    report = _audit(tmp_path, {"main.py": source}, {})
    at_import, as_script = (f for f in report.findings if f.category == "loop-policy")
    assert "set while the app module is imported" in at_import.why
    assert "set while the app module is imported" not in as_script.why
