"""``wrap-blocking-calls`` receiver inference on functions that rebind a variable from itself.

Inference used to re-infer every binding site of a local each time the local was read, so a
function rebinding ``x`` from ``x`` forty times never finished (``pydantic/experimental/
pipeline.py``). Now each local is inferred once per scope, and a local reached again while it
is being inferred is unknown. These tests need no timing: without the fix they hang until the
timeout below; and the work is counted, not timed.
"""

from __future__ import annotations

import ast

import pytest

from codemods.commands.wrap_blocking_calls.gather import gather_module
from codemods.commands.wrap_blocking_calls.infer import View
from codemods.commands.wrap_blocking_calls.scope import Env, ModuleScope
from codemods.project import ModuleInfo

from ...helpers import assert_codemod

ID = "wrap-blocking-calls"
INFO = ModuleInfo(name="m", path="m.py", root=".")
REBINDINGS = (
    "x = x.with_suffix('.{i}')",
    "if flag:\n        x = x / 'sub{i}'",
    "x = x.parent",
    "if not flag:\n        x = f(x)",
)


def _function(n: int, is_async: bool, links: int = 40) -> str:
    """A function rebinding ``x`` from itself ``n`` times, ``a``/``b`` rebinding each other
    ``n`` times, and a method chain ``links`` long on an unknown receiver (each link used to
    infer the receiver twice)."""
    body = [
        "client = requests.Session()",
        "p = pathlib.Path(u)",
        "x = pathlib.Path(u)",
        *(REBINDINGS[i % len(REBINDINGS)].format(i=i) for i in range(n)),
        "a = b = pathlib.Path(u)",
        *(f"a = b.with_name('{i}')\n    b = a.parent" for i in range(n)),
        "chain = u" + "".join(f".m{i}()" for i in range(links)),
        "x.exists()",
        "a.exists()",
        "chain.exists()",
        "p.exists()",
        "return client.get(u)",
    ]
    head = f"{'async ' if is_async else ''}def run(u, flag, f):"
    return (
        "import pathlib\nimport requests\n\n\n"
        + head
        + "".join(f"\n    {line}" for line in body)
        + "\n"
    )


@pytest.mark.timeout(60)
def test_gather_rebinding_from_itself() -> None:
    facts = gather_module(ast.parse(_function(40, is_async=False)), INFO)
    (fn,) = facts.functions
    callees = [callee for callee, _line in fn.calls]
    # ``x``, ``a`` and ``b`` are read while being inferred: unknown, so their calls have no key
    assert "pathlib.Path.exists" in callees and callees.count("pathlib.Path.exists") == 1  # p only
    assert callees[-1] == "requests.Session.get"
    assert not any(c.startswith("pathlib.Path.m") for c in callees)


@pytest.mark.timeout(60)
def test_rewrite_rebinding_from_itself() -> None:
    before = _function(40, is_async=True)
    after = (
        before.replace("import requests\n", "import requests\nimport asyncio\n")
        .replace("    p.exists()", "    await asyncio.to_thread(p.exists)")
        .replace("return client.get(u)", "return await asyncio.to_thread(client.get, u)")
    )
    result = assert_codemod(ID, before, after, dedent_code=False)
    assert len([c for c in result.changes if c.applied]) == 2


class _Counting(Env):
    views = 0

    def view(self, node: ast.expr) -> View[ast.expr]:
        _Counting.views += 1
        return super().view(node)


def _inference_work(n: int) -> int:
    tree = ast.parse(_function(n, is_async=False, links=3))
    fn = tree.body[-1]
    assert isinstance(fn, ast.FunctionDef)
    env = _Counting(ModuleScope(tree, INFO), fn)
    _Counting.views = 0
    for node in ast.walk(fn):
        if isinstance(node, ast.Call):
            env.callee_key(node)
    return _Counting.views


@pytest.mark.timeout(60)
def test_inference_work_is_linear_in_the_bindings() -> None:
    small, large = _inference_work(40), _inference_work(80)
    assert large < 2.5 * small
