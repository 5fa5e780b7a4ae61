"""Processing a file leaves no reference cycles.

The engine pauses the garbage collector while it processes a file (``collector.paused``): the
trees are freed by reference counting when the file is done. Anything that closes a cycle
through them (a visitor keeping its own bound methods, a nested function that calls itself)
keeps a whole libcst tree alive until the collector walks it, which on a large file cost more
than a tenth of the run. Each test runs the real pipeline with the collector off and then
asks it what it would have had to free."""

from __future__ import annotations

import ast
import contextlib
import gc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FunctionType

from codemods import registry
from codemods.api import run_paths
from codemods.commands.hoist_imports.candidate import Candidate
from codemods.engine import TransformError, transform_source
from codemods.types import Options

from .helpers import FIXTURES, fixture_texts


def dense_source(count: int) -> str:
    """The dense benchmark's shape (``bench/make_dense.py``): hoistable imports, blocking calls."""
    parts = ["import time\n\nimport requests\n"]
    for n in range(count):
        parts.append(
            f"\n\ndef helper_{n}(value):\n    import json as json_{n}\n    return json_{n}.dumps, value\n"
            f"\n\nasync def endpoint_{n}(url):\n    time.sleep(0)\n    return requests.get(url, timeout=5)\n"
        )
    return "".join(parts)


def cyclic_garbage(work: Callable[[], object]) -> list[object]:
    """The objects that only the garbage collector would free after ``work``."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        work()
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def in_cycles(garbage: list[object]) -> list[object]:
    """The objects of ``garbage`` that are on a reference cycle themselves, not only reachable
    from one (the strongly connected components of more than one object, or with a self-loop)."""
    index = {id(o): n for n, o in enumerate(garbage)}
    edges = [[index[id(r)] for r in gc.get_referents(o) if id(r) in index] for o in garbage]
    order: list[int] = [-1] * len(garbage)
    low = [0] * len(garbage)
    on_stack = [False] * len(garbage)
    stack: list[int] = []
    found: list[object] = []
    counter = 0
    for root in range(len(garbage)):  # Tarjan's algorithm, without recursion
        if order[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                order[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if child < len(edges[node]):
                work.append((node, child + 1))
                nxt = edges[node][child]
                if order[nxt] == -1:
                    work.append((nxt, 0))
                elif on_stack[nxt]:
                    low[node] = min(low[node], order[nxt])
                continue
            if low[node] == order[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    found.extend(garbage[m] for m in component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def ours(garbage: list[object]) -> Counter[str]:
    """The objects on cycles in ``garbage`` that this tool made: instances of its classes, its
    functions (and so its closures), ``ast`` nodes (only this tool parses with ``ast``). Not
    libcst's scope analysis, whose scopes and assignments refer to each other, nor
    hoist-imports' candidates, which refer to each other as copies of one import: both are left
    to the collector."""
    found: Counter[str] = Counter()
    for o in in_cycles(garbage):
        kind = type(o)
        module = (o.__module__ or "") if isinstance(o, FunctionType) else kind.__module__
        if isinstance(o, ast.AST) or (module.startswith("codemods.") and kind is not Candidate):
            found[f"{module}.{getattr(o, '__qualname__', kind.__qualname__)}"] += 1
    return found


def _transform_all() -> None:
    codemods = list(registry.all_codemods().values())
    for source in fixture_texts():
        for unsafe in (False, True):
            with contextlib.suppress(TransformError):
                transform_source(source, codemods, Options(unsafe_fixes=unsafe))


def test_transforming_every_fixture_leaves_none_of_ours() -> None:
    assert ours(cyclic_garbage(_transform_all)) == Counter()


def test_a_whole_run_over_the_fixtures_leaves_none_of_ours() -> None:
    # the gather phase, the transforms, the diffs, as the command line runs them (one process)
    def work() -> None:
        for _ in run_paths(sorted(FIXTURES.glob("*/*.before.py")), Options(), jobs=1):
            pass

    assert ours(cyclic_garbage(work)) == Counter()


def test_a_file_of_hoists_and_wraps_leaves_no_cycle_at_all(tmp_path: Path) -> None:
    # the dense benchmark's shape: neither scopes nor copies are needed, and every tree is
    # freed the moment the file is done
    path = tmp_path / "dense_app.py"
    path.write_text(dense_source(20), encoding="utf-8")

    def work() -> None:
        (result,) = run_paths([path], Options(), jobs=1)
        assert result.changes

    assert cyclic_garbage(work) == []


def test_the_check_sees_a_cycle() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    garbage = cyclic_garbage(Node)
    assert any(isinstance(o, Node) for o in in_cycles(garbage))
    assert in_cycles([*garbage, [1, 2]]) == in_cycles(garbage)  # not on a cycle
