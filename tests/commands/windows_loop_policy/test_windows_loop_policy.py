"""``windows-loop-policy`` (opt-in): no-ops first, then inserts, skips, and the rewritten scripts run."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import registry
from codemods.types import Options, Safety

from ...helpers import FIXTURES, assert_codemod, dedent, run, run_tree, write_tree

ID = "windows-loop-policy"
PY311 = Options(target_version=(3, 11))
PY312 = Options(target_version=(3, 12))

NOOPS = {
    "nothing to do": "x = 1\n",
    "run is not a server": "def run():\n    pass\n\nrun()\n",
    "a method named run": "import uvicorn\n\nclass Server:\n    def run(self):\n        pass\n\nServer().run()\n",
    "loop_factory already passed": """
        import asyncio
        import sys
        if __name__ == "__main__":
            asyncio.run(main(), loop_factory=None)
        """,
    "existing guard": """
        import asyncio
        import sys
        import uvicorn
        if __name__ == "__main__":
            if sys.platform == "win32" and sys.version_info < (3, 14):
                asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
            uvicorn.run("m:app")
        """,
}


def test_opt_in() -> None:
    assert registry.get(ID).DEFAULT_ON is False
    assert ID not in [c.ID for c in registry.selected(None)]


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    assert_codemod(ID, code, changes=0)


def test_app_module_is_skipped_with_the_reason() -> None:
    result = assert_codemod(
        ID, "from fastapi import FastAPI\napp = FastAPI()\n", skips=["uvicorn main:app"]
    )
    assert "uvicorn >= 0.36 chooses the loop itself (`--loop`)" in result.skips[0].reason


def test_guard_before_uvicorn_run_in_main_block() -> None:
    result = assert_codemod(
        ID,
        """
        import uvicorn

        if __name__ == "__main__":
            uvicorn.run("main:app")
        """,
        """
        import asyncio
        import sys

        import uvicorn

        if __name__ == "__main__":
            if sys.platform == "win32" and sys.version_info < (3, 14):
                asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
            uvicorn.run("main:app")
        """,
    )
    (change,) = result.changes
    assert change.safety is Safety.SAFE
    assert 'ignores the policy unless `loop="none"`' in change.message


def test_main_block_wins_over_functions() -> None:
    """Only the call in the `__main__` block gets the guard, not a helper's."""
    result = run(
        ID,
        dedent(
            """
            import asyncio

            def helper():
                asyncio.run(job())

            if __name__ == "__main__":
                asyncio.run(main())
            """
        ),
        PY311,
    )
    assert result.code.count("set_event_loop_policy") == 1
    assert result.code.index("set_event_loop_policy") > result.code.index("__main__")


def test_loop_factory_from_312() -> None:
    assert_codemod(
        ID,
        """
        import asyncio

        if __name__ == "__main__":
            asyncio.run(main(), debug=True)
        """,
        """
        import asyncio
        import sys

        if __name__ == "__main__":
            asyncio.run(main(), debug=True, loop_factory=asyncio.ProactorEventLoop if sys.platform == "win32" else None)
        """,
        options=PY312,
    )


def test_uvicorn_on_314_is_skipped() -> None:
    code = 'import uvicorn\nif __name__ == "__main__":\n    uvicorn.run("m:app")\n'
    assert_codemod(ID, code, options=Options(target_version=(3, 14)), skips=["--loop"])


def test_sys_bound_to_something_else() -> None:
    code = 'import uvicorn\nsys = None\nif __name__ == "__main__":\n    uvicorn.run("m:app")\n'
    assert_codemod(ID, code, skips=["`sys` or `asyncio` is bound to something else"])


def test_file_with_its_own_policy() -> None:
    code = """
        import asyncio
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
        if __name__ == "__main__":
            asyncio.run(main())
        """
    assert_codemod(ID, code, skips=["the file already sets an event loop policy (line 2)"])


def test_imported_module_that_cannot_be_analysed_makes_it_unsafe(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "serve.py": 'import uvicorn\nimport db\nif __name__ == "__main__":\n    uvicorn.run("app:app")\n',
            "db.py": "import asyncio\nasyncio.set_event_loop_policy(None)\n",
            "opaque.py": "type X = int\nimport serve\nasyncio.set_event_loop_policy(None)\n",
        },
    )
    results = run_tree(tmp_path, Options(select=(ID,)))
    assert [s.reason for s in results["serve.py"].skips] == [
        "`db` sets an event loop policy when imported (line 2); the insert would override it"
    ]


# -- the rewritten entry points run -----------------------------------------------------------------


def interpreters(minimum: tuple[int, int]) -> list[str]:
    """Python interpreters on this machine, at least ``minimum`` (the running one included)."""
    found = [sys.executable] if sys.version_info >= minimum else []
    for minor in range(minimum[1], 17):
        for candidate in (
            shutil.which(f"python3.{minor}"),
            *glob.glob(f"/root/.pyenv/versions/3.{minor}.*/bin/python"),
        ):
            if candidate and candidate not in found and os.access(candidate, os.X_OK):
                version = subprocess.run(
                    [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if version.returncode == 0 and version.stdout.strip() == str((3, minor)):
                    found.append(candidate)
                    break
    return found


@pytest.mark.parametrize(
    ("case", "minimum"), [("asyncio_run_guard", (3, 8)), ("asyncio_run_loop_factory", (3, 12))]
)
def test_rewritten_scripts_run_without_deprecation_warnings(
    case: str, minimum: tuple[int, int], tmp_path: Path
) -> None:
    pythons = interpreters(minimum)
    if not pythons:
        pytest.skip(f"no Python >= {minimum} on this machine")
    script = tmp_path / "script.py"
    script.write_text((FIXTURES / ID / f"{case}.after.py").read_text())
    for python in pythons:
        proc = subprocess.run(
            [python, "-W", "error::DeprecationWarning", str(script)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, (python, proc.stderr)
        assert "worker running" in proc.stderr
