"""``event-loop-policy``: no-ops first, then reports, the unsafe ``loop_factory`` fix, and how it
coexists with ``windows-loop-policy``."""

from __future__ import annotations

import pytest

from codemods import registry
from codemods.types import Options, Safety

from ...helpers import assert_codemod, dedent, run

ID = "event-loop-policy"
PY312 = Options(target_version=(3, 12), unsafe_fixes=True)

NOOPS = {
    "no policy": "import asyncio\nasyncio.run(main())\n",
    "version-guarded": """
        import asyncio
        import sys
        if sys.platform == "win32" and sys.version_info < (3, 14):
            asyncio.set_event_loop_policy(asyncio.WindowsProactorEventLoopPolicy())
        """,
    "guarded with <= (3, 13)": """
        import asyncio
        import sys
        if sys.version_info <= (3, 13):
            policy = asyncio.get_event_loop_policy()
        """,
    "an unrelated name": "from mylib import WindowsSelectorEventLoopPolicy\nWindowsSelectorEventLoopPolicy()\n",
}


def test_on_by_default() -> None:
    assert registry.get(ID).DEFAULT_ON is True


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    assert_codemod(ID, code, options=PY312, changes=0)


def test_each_statement_is_reported_once() -> None:
    result = assert_codemod(
        ID,
        """
        import asyncio
        from asyncio import WindowsSelectorEventLoopPolicy as Selector
        import sys

        if sys.platform == "win32":
            asyncio.set_event_loop_policy(Selector())
        policy = asyncio.get_event_loop_policy()
        if sys.version_info < (3, 15):
            asyncio.set_event_loop_policy(None)
        """,
        changes=3,
    )
    assert [c.line for c in result.changes] == [6, 7, 9]
    assert all(c.safety is Safety.DISPLAY_ONLY and not c.applied for c in result.changes)
    assert (
        "`asyncio.set_event_loop_policy`, `asyncio.WindowsSelectorEventLoopPolicy`"
        in result.changes[0].message
    )
    assert "deprecated in Python 3.14 and removed in 3.16" in result.changes[1].message


def test_loop_factory_fix_needs_a_312_target_and_unsafe_fixes() -> None:
    code = """
        import asyncio
        import sys
        if sys.platform == "win32":
            asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
        asyncio.run(main())
        """
    fixed = """
        import asyncio
        import sys
        asyncio.run(main(), loop_factory=asyncio.SelectorEventLoop if sys.platform == "win32" else None)
        """
    assert_codemod(ID, code, fixed, options=PY312)
    shown = assert_codemod(ID, code, options=Options(target_version=(3, 12)), changes=1)
    assert shown.changes[0].safety is Safety.UNSAFE and not shown.changes[0].applied
    old = assert_codemod(
        ID, code, options=Options(target_version=(3, 11), unsafe_fixes=True), changes=1
    )
    assert old.changes[0].safety is Safety.DISPLAY_ONLY


def test_default_policy_is_just_removed() -> None:
    assert_codemod(
        ID,
        """
        import asyncio
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())  # reset
        asyncio.run(main())
        """,
        """
        import asyncio
        # reset
        asyncio.run(main())
        """,
        options=PY312,
    )


def test_no_fix_when_the_run_is_not_next() -> None:
    code = """
        import asyncio
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
        configure()
        asyncio.run(main())
        """
    result = assert_codemod(ID, code, options=PY312, changes=1)
    assert result.changes[0].safety is Safety.DISPLAY_ONLY


def test_uvicorn_run_is_not_given_loop_factory() -> None:
    code = """
        import asyncio
        import uvicorn
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())
        uvicorn.run("main:app")
        """
    result = assert_codemod(ID, code, options=PY312, changes=1)
    assert result.changes[0].safety is Safety.DISPLAY_ONLY
    assert "`--loop`" in result.changes[0].fix_title


@pytest.mark.parametrize("target", [(3, 11), (3, 12), (3, 14)])
def test_the_two_policy_codemods_converge(target: tuple[int, int]) -> None:
    """windows-loop-policy's guard is never reported, and both together reach a fixed point."""
    code = dedent(
        """
        import asyncio
        import uvicorn

        if __name__ == "__main__":
            asyncio.run(main())
            uvicorn.run("main:app")
        """
    )
    options = Options(target_version=target, unsafe_fixes=True)
    result = assert_codemod(
        ["windows-loop-policy", ID],
        code,
        run(["windows-loop-policy", ID], code, options).code,
        options=options,
        dedent_code=False,
    )
    assert not [c for c in result.changes if c.codemod == ID]
