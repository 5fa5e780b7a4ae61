"""wrap-blocking-calls' names.py: the answers wrap-blocking-calls takes from ``ast`` are libcst's, node by node,
and taking them changes no outcome."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st
from libcst.metadata import GlobalScope, MetadataWrapper, Scope, ScopeProvider

from codemods.astkit.asts import Trees
from codemods.commands.wrap_blocking_calls import Command
from codemods.commands.wrap_blocking_calls import names as blocking_names
from codemods.commands.wrap_blocking_calls.edit import IntroducedNames
from codemods.commands.wrap_blocking_calls.names import FileBindings
from codemods.engine import transform_source
from codemods.types import Options

from ...helpers import (
    assert_every_codemod_same_when_disabled,
    assert_same_when_disabled,
    dedent,
    fixture_texts,
    scope_resolutions,
)
from ...test_properties import PROFILE, shaped_programs

INTRODUCED = ("asyncio", "functools", "anyio", "run_in_threadpool")

#: Small files that bind names in every way the module distinguishes.
CASES = [
    "import requests\nasync def f():\n    requests.get(u)\n",
    "import requests as r\nasync def f():\n    r.get(u).json()\n",
    "import os.path as p\nasync def f():\n    p.join(a, b)\n",
    "import os.path\nasync def f():\n    os.path.exists(a)\n",
    "from os import path\nasync def f():\n    path.exists(a)\n",
    "from os import path as q, sep\nasync def f():\n    q.exists(sep)\n",
    "from . import helpers\nfrom ..pkg.mod import thing as t\nasync def f():\n    helpers.run(t.x)\n",
    "from .mod import *\nasync def f():\n    run(x)\n",
    "def helper():\n    pass\nclass K:\n    pass\nVALUE = 1\nasync def f():\n    helper(K.m, VALUE.real)\n",
    "import time\ntime = None\nasync def f():\n    time.sleep(1)\n",
    "import time\nasync def f():\n    time = 1\n    time.sleep(1)\n",
    "import time\nasync def f(time):\n    time.sleep(1)\n",
    "import time\ndef g():\n    global time\n    time = 2\nasync def f():\n    time.sleep(1)\n",
    "import time\nclass C:\n    time = 1\n    async def f(self):\n        time.sleep(1)\n",
    "import time\nasync def f():\n    [time for time in x]\n    time.sleep(1)\n",
    "try:\n    import ujson as json\nexcept ImportError:\n    import json\nasync def f():\n    json.loads(s)\n",
    "if x:\n    import asyncio\nasync def f():\n    open(p).read()\n",
    "import asyncio\nimport functools\nasync def f():\n    open(p).read()\n",
    "import asyncio as aio\nfrom functools import partial as functools\nasync def f():\n    open(p)\n",
    "from fastapi.concurrency import run_in_threadpool\nasync def f():\n    open(p)\n",
    "from starlette.concurrency import run_in_threadpool as run_in_threadpool\nasync def f():\n    open(p)\n",
    "run_in_threadpool = None\nasyncio: int = 1\nasync def f():\n    print(len(x), __name__)\n",
    "for anyio in x:\n    pass\nwith a as functools:\n    pass\nasync def f():\n    open(p)\n",
    "async def f():\n    import asyncio\n    (asyncio := 1)\n    open(p)\n",
    "x: int\nasync def f():\n    x.sleep(1)\n",
    "def f(*, a, **kw):\n    lambda b: a\nasync def g():\n    try:\n        pass\n    except E as asyncio:\n        del kw\n",
    "match v:\n    case {'a': functools, **rest}:\n        pass\n    case [*anyio]:\n        pass\nrest.get(x)\n",
    "import réquests\nasync def f():\n    réquests.get(u)\n",
    "import \uff52equests\nasync def f():\n    requests.get(u)\n",  # fullwidth r: NFKC makes it one name
    "x = f'{y}'\nasync def f():\n    x.y.z()\n",
    "try:\n    import orjson\nexcept ImportError:\n    orjson = None\nasync def f():\n    orjson.dumps(x)\n",
    "import logging\nlogger: logging.Logger = logging.getLogger()\nasync def f():\n    logger.info(x)\n",
    "if a:\n    from m import g\nelse:\n    def g():\n        pass\nclass g2: pass\nasync def f():\n    g(g2)\n",
]


def sources() -> Iterator[str]:
    return fixture_texts(CASES)


def _compare(source: str) -> int:
    """Compare every answer :class:`FileBindings` gives for ``source`` with libcst's; return
    how many it gave."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return 0
    bindings = FileBindings.read(source, Trees())
    if bindings is None:
        return 0
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    answered = 0
    for node, scope in scopes.items():
        # wrap-blocking-calls asks only about names in function bodies; at module level libcst
        # links a name to the assignments before it only
        if not isinstance(node, cst.Name | cst.Attribute) or isinstance(scope, GlobalScope):
            continue
        found = bindings.qualified(node)
        if found is None:
            continue
        assert isinstance(scope, Scope), cst.Module([]).code_for_node(node)
        assert found == set(scope.get_qualified_names_for(node)), (source, cst.Module([]).code_for_node(node))
        answered += 1
    names = IntroducedNames(lambda: scopes, module, lambda: bindings)
    for name in INTRODUCED:
        fast = names._from_ast(name)
        if fast is not None:
            assert fast == names._from_scopes(name), (source, name)
            answered += 1
    return answered


def test_every_answer_is_libcsts() -> None:
    answered = sum(_compare(source) for source in sources())
    assert answered > 2_000  # most names of the fixtures are answered from ast (5,210 when written)


@pytest.mark.parametrize("source", CASES)
def test_each_case_is_libcsts(source: str) -> None:
    _compare(source)


def test_what_is_left_to_the_scopes() -> None:
    def ask(source: str, dotted: str) -> object:
        bindings = FileBindings.read(source, Trees())
        assert bindings is not None
        return bindings.qualified(cst.parse_expression(dotted))

    assert {q.name for q in ask(CASES[1], "r.get") or ()} == {"requests.get"}
    assert {q.name for q in ask(CASES[2], "p.join") or ()} == {"os.path.join"}
    assert {q.name for q in ask(CASES[6], "t.x") or ()} == {"..pkg.mod.thing.x"}
    assert {q.name for q in ask(CASES[8], "helper") or ()} == {"helper"}
    assert {q.name for q in ask(CASES[21], "len") or ()} == {"builtins.len"}
    assert ask(CASES[21], "undefined_name") == set()
    assert ask(CASES[3], "os.path.exists") is None  # plain dotted import
    assert ask(CASES[7], "run") is None  # star import
    twice = {(q.name, q.source.name) for q in ask(CASES[9], "time.sleep") or ()}
    assert twice == {("time.sleep", "IMPORT"), ("time.sleep", "LOCAL")}  # both module-level bindings
    assert ask(CASES[10], "time.sleep") is None  # also bound in a function
    assert ask(CASES[12], "time.sleep") is None  # global
    assert ask(CASES[21], "__name__") is None  # dunder
    assert ask(CASES[24], "x.sleep") is None  # annotation only
    fullwidth, accented = (next(c for c in CASES if c.startswith(f"import {w}")) for w in ("\uff52", "r\u00e9"))
    assert FileBindings.read(fullwidth, Trees()) is None  # identifiers NFKC changes
    assert FileBindings.read(accented, Trees()) is not None  # non-ASCII, but NFKC keeps it
    assert FileBindings.read("def f(:\n", Trees()) is None


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    assert_every_codemod_same_when_disabled(blocking_names, sources(), unsafe)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs_give_the_same_results(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(blocking_names, source, [Command], unsafe)


def test_a_file_of_plain_calls_never_resolves_the_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    source = dedent(
        """
        import time

        import requests


        async def a(url):
            time.sleep(1)
            return requests.get(url, timeout=5).json()
        """
    )
    resolved = scope_resolutions(monkeypatch)
    result = transform_source(source, [Command], Options())
    assert "await asyncio.sleep(1)" in result.code
    assert "await run_in_threadpool(requests.get, url, timeout=5)" in result.code or "asyncio.to_thread" in result.code
    assert resolved == []
    transform_source(source + "\ndef b():\n    global time\n", [Command], Options())
    assert len(resolved) == 1  # a ``global``: the scopes decide


@PROFILE
@given(shaped_programs())
def test_shaped_programs_answers_are_libcsts(source: str) -> None:
    _compare(source)
