"""``wrap-blocking-calls`` with the offload of anyio and trio code: ``threadpool = "anyio"`` or
``"trio"`` runs blocking calls with ``<lib>.to_thread.run_sync`` and turns ``time.sleep`` into
``<lib>.sleep``; an :class:`~codemods.commands.wrap_blocking_calls.offload.Offload` with an unknown field skips the
sites that need it."""

from __future__ import annotations

from typing import ClassVar

import pytest

from codemods.commands.wrap_blocking_calls import Command
from codemods.commands.wrap_blocking_calls.offload import Offload, from_threadpool
from codemods.engine import transform_source
from codemods.types import Options, Safety

from ...helpers import assert_codemod, dedent, run

ID = "wrap-blocking-calls"
LIBRARIES = ("trio", "anyio")


def opts(threadpool: str) -> Options:
    return Options(codemod_options={ID: {"threadpool": threadpool}})


# -- rewrites, for each library -------------------------------------------------------------

REWRITES = {
    "sleep": (
        """
        import time

        async def f():
            time.sleep(0.5)
        """,
        """
        {sleep_imports}

        async def f():
            await {lib}.sleep(0.5)
        """,
    ),
    "plain call": (
        """
        import requests

        async def f(u):
            return requests.get(u)
        """,
        """
        {third}

        async def f(u):
            return await {lib}.to_thread.run_sync(requests.get, u)
        """,
    ),
    "no arguments": (
        "async def f():\n    return input()\n",
        "import {lib}\n\nasync def f():\n    return await {lib}.to_thread.run_sync(input)\n",
    ),
    "keywords go through functools.partial": (
        """
        import requests

        async def f(u):
            return requests.get(u, timeout=5).json()
        """,
        """
        import functools

        {third}

        async def f(u):
            return (await {lib}.to_thread.run_sync(functools.partial(requests.get, u, timeout=5))).json()
        """,
    ),
    "a **kwargs splat goes through functools.partial": (
        """
        import requests

        async def f(u, kw):
            return requests.get(u, **kw)
        """,
        """
        import functools

        {third}

        async def f(u, kw):
            return await {lib}.to_thread.run_sync(functools.partial(requests.get, u, **kw))
        """,
    ),
    "a *args splat passes straight through": (
        """
        import subprocess

        async def f(args):
            subprocess.run(*args)
        """,
        """
        import subprocess
        {section}import {lib}

        async def f(args):
            await {lib}.to_thread.run_sync(subprocess.run, *args)
        """,
    ),
    "method call keeps its receiver": (
        """
        import requests

        async def f(u):
            session = requests.Session()
            return session.get(u).text
        """,
        """
        {third}

        async def f(u):
            session = requests.Session()
            return (await {lib}.to_thread.run_sync(session.get, u)).text
        """,
    ),
    "the library's existing import is reused": (
        """
        import time
        import {lib}

        async def f():
            time.sleep(1)

        {lib}.run(f)
        """,
        """
        import time
        import {lib}

        async def f():
            await {lib}.sleep(1)

        {lib}.run(f)
        """,
    ),
}


def _with_time(lib: str) -> list[str]:
    """The imports of a rewritten sleep read alone: ``time`` stays (who imports it is unknown),
    the library is added in isort's order (stdlib first; a third-party library in a section of
    its own, after a blank line)."""
    return ["asyncio", "time"] if lib == "asyncio" else ["time", "", lib]


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize(("before", "after"), REWRITES.values(), ids=REWRITES.keys())
def test_rewrite(lib: str, before: str, after: str) -> None:
    # the imports are added in sorted order (``requests`` and the library: third party, the
    # reading of ruff run from the project's root); assert_codemod also checks that the output
    # compiles and that a second run changes nothing
    third = "\n        ".join(f"import {name}" for name in sorted(("requests", lib)))
    # read alone (no gather), the now unused ``import time`` stays: who imports it is unknown
    sleep_imports = "\n        ".join(f"import {name}" if name else "" for name in _with_time(lib))
    section = "" if lib == "asyncio" else "\n        "  # a third-party library: its own section
    after = after.replace("{third}", third).replace("{sleep_imports}", sleep_imports)
    after = after.replace("{section}", section).replace("{lib}", lib)
    assert_codemod(ID, before.replace("{lib}", lib), after, options=opts(lib), skips=[])


@pytest.mark.parametrize("lib", LIBRARIES)
def test_fix_titles_name_the_call(lib: str) -> None:
    code = "import time, requests\n\nasync def f(u):\n    time.sleep(1)\n    requests.get(u)\n"
    result = run(ID, code, opts(lib))
    assert [c.fix_title for c in result.changes] == [
        f"Use `await {lib}.sleep(...)`",
        f"Run it in a worker thread: `await {lib}.to_thread.run_sync(...)`",
    ]
    assert all(c.applied and c.safety is Safety.SAFE for c in result.changes)


@pytest.mark.parametrize("lib", LIBRARIES)
def test_second_run_is_a_noop(lib: str) -> None:
    code = dedent("""
        import time, requests

        async def f(u, kw):
            time.sleep(1)
            requests.get(u, timeout=2, **kw).raise_for_status()
        """)
    first = run(ID, code, opts(lib))
    assert first.code != code and len(first.changes) == 2
    second = run(ID, first.code, opts(lib))
    assert (second.code, second.changes, second.skips) == (first.code, (), ())


# -- no-ops and skips ----------------------------------------------------------------------

NOOPS = {
    "awaited already": """
        import functools, requests, {lib}

        async def f(u):
            await {lib}.sleep(1)
            await {lib}.to_thread.run_sync(requests.get, u)
            await {lib}.to_thread.run_sync(functools.partial(requests.get, u, timeout=5))
        """,
    "offload call not awaited (a coroutine, not a blocking call)": """
        import requests, {lib}

        async def f(u):
            return {lib}.to_thread.run_sync(requests.get, u)
        """,
    "sync function": "import time\n\ndef f():\n    time.sleep(1)\n",
}


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(lib: str, code: str) -> None:
    result = assert_codemod(ID, code.replace("{lib}", lib), options=opts(lib), skips=[])
    assert result.changes == ()


SKIPS = {
    "parameter": ("import time\n\nasync def f({lib}):\n    time.sleep(1)\n", 1),
    "module-level assignment": ("import requests\n{lib} = None\n\nasync def f(u):\n    requests.get(u)\n", 1),
    "imported under the name": (
        "import requests\nfrom mylib import {lib}\n\nasync def f(u):\n    requests.get(u)\n    requests.head(u)\n",
        2,
    ),
}


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize(("code", "count"), SKIPS.values(), ids=SKIPS.keys())
def test_library_name_bound_to_something_else_is_skipped(lib: str, code: str, count: int) -> None:
    assert_codemod(ID, code.replace("{lib}", lib), options=opts(lib), skips=[f"`{lib}` is bound to something else"] * count)


@pytest.mark.parametrize(("threadpool", "taken"), [("asyncio", "trio"), ("trio", "asyncio"), ("trio", "anyio")])
def test_only_the_names_the_rewrite_uses_must_be_free(threadpool: str, taken: str) -> None:
    before = f"import time\n{taken} = None\n\nasync def f():\n    time.sleep(1)\n"
    # read alone (no gather), the now unused ``import time`` stays: who imports it is unknown
    imports = "".join(f"import {name}\n" if name else "\n" for name in _with_time(threadpool))
    after = f"{imports}\n{taken} = None\n\nasync def f():\n    await {threadpool}.sleep(1)\n"
    assert_codemod(ID, before, after, options=opts(threadpool), skips=[])


@pytest.mark.parametrize("lib", LIBRARIES)
def test_display_only_reports_are_unchanged(lib: str) -> None:
    code = dedent("""
        import requests

        async def f(p, urls):
            with open(p) as fh:
                fh.read()
            return sum(len(requests.get(u).text) for u in urls)
        """)
    by_lib = assert_codemod(ID, code, options=opts(lib))
    by_default = assert_codemod(ID, code)
    assert [(c.message, c.fix_title, c.safety) for c in by_lib.changes] == [
        (c.message, c.fix_title, c.safety) for c in by_default.changes
    ]
    assert len(by_lib.changes) == 2 and all(c.safety is Safety.DISPLAY_ONLY for c in by_lib.changes)


@pytest.mark.parametrize("lib", LIBRARIES)
def test_decorated_project_function_title_names_the_library(lib: str) -> None:
    code = "import requests\n\n@retry(3)\ndef fetch(u):\n    return requests.get(u)\n\nasync def f(u):\n    return fetch(u)\n"
    result = assert_codemod(ID, code, options=opts(lib))
    assert [c.fix_title for c in result.changes] == [
        f"If it stays synchronous, run it with `await {lib}.to_thread.run_sync(...)`"
    ]


# -- the sleep that goes with each threadpool -------------------------------------------------

SLEEPS = {"fastapi": "asyncio", "starlette": "asyncio", "asyncio": "asyncio", "anyio": "anyio", "trio": "trio"}


@pytest.mark.parametrize(("threadpool", "sleep"), SLEEPS.items())
def test_sleep_follows_the_threadpool_option(threadpool: str, sleep: str) -> None:
    code = "import time\n\nasync def f():\n    time.sleep(2)\n"
    result = assert_codemod(ID, code, run(ID, code, opts(threadpool)).code, options=opts(threadpool))
    imports = "".join(f"import {name}\n" if name else "\n" for name in _with_time(sleep))  # ``time`` stays: read alone
    assert result.code == f"{imports}\nasync def f():\n    await {sleep}.sleep(2)\n"


@pytest.mark.parametrize(("threadpool", "sleep"), SLEEPS.items())
def test_from_threadpool(threadpool: str, sleep: str) -> None:
    assert from_threadpool(threadpool, "why") == Offload(threadpool, sleep, "why")  # type: ignore[arg-type]


def test_from_threadpool_rejects_auto() -> None:
    with pytest.raises(ValueError, match="auto"):
        from_threadpool("auto")


def test_offload_is_frozen() -> None:
    offload = Offload("trio", "trio")
    with pytest.raises(AttributeError):
        offload.sleep = "asyncio"  # type: ignore[misc]
    assert offload.reason == ""


# -- unknown fields: the sites are skipped ----------------------------------------------------


class _Decided(Command):
    """The codemod with the offload decided by the test: the seam ``_offload`` is."""

    OFFLOAD: ClassVar[Offload]

    def _offload(self) -> Offload:
        return self.OFFLOAD


def _with(offload: Offload) -> type[Command]:
    return type("Decided", (_Decided,), {"OFFLOAD": offload})


BOTH = dedent("""
    import time, requests

    async def f(u):
        time.sleep(1)
        return requests.get(u)
    """)


def test_unknown_threadpool_skips_calls_but_rewrites_sleeps() -> None:
    reason = "this module is imported by both trio and asyncio code"
    result = transform_source(BOTH, [_with(Offload(None, "trio", reason))], Options())
    assert "    await trio.sleep(1)\n" in result.code
    assert "    return requests.get(u)\n" in result.code
    assert "to_thread" not in result.code
    assert [(s.line, s.reason) for s in result.skips] == [(5, reason)]


def test_unknown_sleep_skips_sleeps_but_rewrites_calls() -> None:
    reason = "the sleep of this code's event loop is not known"
    result = transform_source(BOTH, [_with(Offload("anyio", None, reason))], Options())
    assert "    time.sleep(1)\n" in result.code
    assert "    return await anyio.to_thread.run_sync(requests.get, u)\n" in result.code
    assert [(s.line, s.reason) for s in result.skips] == [(4, reason)]


def test_unknown_everything_changes_nothing_and_says_why() -> None:
    result = transform_source(BOTH, [_with(Offload(None, None))], Options())
    assert result.code == BOTH
    assert [s.line for s in result.skips] == [4, 5]
    assert all(s.reason for s in result.skips)


def test_unknown_threadpool_keeps_display_only_reports() -> None:
    code = "import requests\n\nasync def f(urls):\n    return sum(len(requests.get(u).text) for u in urls)\n"
    result = transform_source(code, [_with(Offload(None, None, "unknown"))], Options())
    assert result.code == code
    assert [c.safety for c in result.changes] == [Safety.DISPLAY_ONLY]
    assert result.skips == ()
