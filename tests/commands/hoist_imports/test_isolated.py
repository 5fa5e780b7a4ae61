"""hoist-imports' isolated.py: names hoist-imports decides without libcst's scopes, and that deciding them so
changes no outcome."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codemods.commands.hoist_imports import Command
from codemods.commands.hoist_imports import isolated as hoist_isolated
from codemods.commands.hoist_imports.isolated import isolated_imports
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

#: (source, the names found isolated in the import on its line 2)
CASES = {
    "used after": ("def f():\n    import os\n    return os.sep\n", {"os"}),
    "several names": ("def f():\n    from os import sep, pathsep as p\n    return sep, p\n", {"sep", "p"}),
    "in a comprehension": ("def f():\n    import os\n    return [os.sep for _ in 'ab']\n", {"os"}),
    "method of a class": ("class C:\n    def m(self):\n        import os\n        return os\n", {"os"}),
    "never used": ("def f():\n    import os\n", set()),
    "used before": ("def f():\n    os.sep\n    import os\n    return os\n", set()),
    "rebound": ("def f():\n    import os\n    os = 1\n    return os\n", set()),
    "parameter": ("def f(os):\n    import os\n    return os\n", set()),
    "global": ("def f():\n    global os\n    import os\n    return os\n", set()),
    "module level use": ("def f():\n    import os\n    return os\nos.sep\n", set()),
    "other function": ("def f():\n    import os\n    return os\ndef g():\n    return os\n", set()),
    "nested def": ("def f():\n    import os\n    def g():\n        return os\n    return g\n", set()),
    "lambda": ("def f():\n    import os\n    return lambda: os\n", set()),
    "enclosed": ("def outer():\n    def f():\n        import os\n        return os\n    return f\n", set()),
    "string annotation": ("def f():\n    import os\n    x: 'os.PathLike' = os.sep\n    return x\n", set()),
    "__all__": ("def f():\n    import os\n    return os\n__all__ = ['os']\n", set()),
    "docstring": ('def f():\n    """Uses os."""\n    import os\n    return os\n', {"os"}),
    "other string": ("def f():\n    import os\n    return 'os', os\n", set()),
    "f-string": ("def f():\n    import os\n    return f'{os.sep} os'\n", set()),
    "dotted": ("def f():\n    import os.path\n    return os.path\n", set()),
    "dotted aliased": ("def f():\n    import os.path as p\n    return p\n", {"p"}),
    "walrus": ("def f():\n    import os\n    return [(os := 1) for _ in 'a'], os\n", set()),
    "comprehension target": ("def f():\n    import os\n    return [os for os in 'a']\n", set()),
    "except as": ("def f():\n    import os\n    try:\n        pass\n    except E as os:\n        pass\n    return os\n", set()),
    "match capture": ("def f(x):\n    import os\n    match x:\n        case os:\n            pass\n    return os\n", set()),
    "keyword argument": ("def f():\n    import os\n    return g(os=os)\n", {"os"}),
    "attribute": ("def f():\n    import sep\n    return sep, x.sep\n", {"sep"}),
    "decorator inside": ("def f():\n    import os\n    @os.fspath\n    def g():\n        pass\n    return g\n", {"os"}),
    "own decorator": ("@d(os)\ndef f():\n    import os\n    return os\n", set()),
    "own default": ("def f(a=os):\n    import os\n    return os\n", set()),
    "class body in it": ("def f():\n    import os\n    class C:\n        x = os\n    return C\n", set()),
    "twice": ("def f():\n    import os\n    import os\n    return os\n", set()),
    "two on a line": ("def f():\n    import os; import sys\n    return os, sys\n", set()),
    "def name": ("def f():\n    import os\n    return os\ndef os():\n    pass\n", set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_isolated_names(name: str) -> None:
    source, expected = CASES[name]
    found = isolated_imports(ast.parse(source))
    line = next(n.lineno for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom))
    assert set(found.get(line, ("", frozenset()))[1]) == expected


def sources() -> Iterator[str]:
    return fixture_texts(text for source, _ in CASES.values() for text in (source, "import sys\n\n" + source))


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    assert_every_codemod_same_when_disabled(hoist_isolated, sources(), unsafe)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs_give_the_same_results(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(hoist_isolated, source, [Command], unsafe)


def test_a_file_of_isolated_names_never_resolves_the_scopes(monkeypatch: pytest.MonkeyPatch) -> None:
    source = dedent(
        """
        def a():
            import json
            return json.dumps({})


        def b():
            from os import path as p
            return [p.join(x) for x in 'ab']
        """
    )
    resolved = scope_resolutions(monkeypatch)
    result = transform_source(source, [Command], Options())
    assert result.code.startswith("import json\nfrom os import path as p\n")
    assert resolved == []
    transform_source(source + "\njson = None\n", [Command], Options())
    assert len(resolved) == 1  # a module-level binding: the scopes decide
