"""printing: the text cut from the source for each top-level statement is libcst's print of it,
the printer's output is ``Module.code``, and printing that way changes no outcome."""

from __future__ import annotations

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codemods.commands.hoist_imports import Command as Hoist
from codemods.commands.wrap_blocking_calls import Command as Wrap
from codemods.cstkit import printing
from codemods.cstkit.printing import Printer, source_texts

from .helpers import (
    assert_every_codemod_same_when_disabled,
    assert_same_when_disabled,
    fixture_texts,
    libcst_modules,
)
from .test_properties import PROFILE, shaped_programs
from .test_statement_lines import sources

#: Cut where the shares of neighbouring statements meet in unusual ways.
CUT = {
    "header and footer comments": "#!/usr/bin/env python\n# header\n\nimport os\n\n# footer\n\n",
    "comments between decorators": "# before\n@a\n# between\n\n@b(\n    1,\n)\ndef f():\n    pass\n",
    "closing comments of a body": "def f():\n    pass\n    # the body's\n  # still the body's\n# the next one's\nx = 1\n",
    "semicolons": "import os; import sys\nx = 1; y = 2  # trailing\n",
    "one-line suites": "class C: x = 1\nif a: pass\nelif b: pass\nelse: pass\n",
    "backslash continuation": "x = 1 + \\\n    2\ny = 3\n",
    "strings that look like comments": 'x = """\n# not a comment\n\n"""\n# a comment\ny = 2\n',
    "crlf": "import os\r\n\r\n# c\r\ndef f():\r\n    return os\r\n",
    "async and match": "async def f():\n    pass\nmatch x:\n    case 1:\n        pass\n",
    "try star": "try:\n    pass\nexcept* E:\n    pass\n# after\n",
    "trailing blank lines": "x = 1\n\n\n\n",
}

#: Texts whose statements are printed, not cut: libcst and ``ast`` might count their lines apart,
#: or libcst prints something the source does not hold.
NOT_CUT = {
    "lone cr": "import os\rx = 1\r",
    "no trailing newline": "import os\nx = 1",
    "only comments": "# nothing\n",
    "newer syntax than ast reads here, or none": "def f(:\n    pass\n",
    "decorator after a continued @": "@\\\nd\ndef f():\n    pass\n",
    "form feed before a statement": "x = 1\n\x0cy = 2\n",
    # libcst does not print the blank line again (found by hypothesis); cut, it would be kept
    "blank line before an indented comment at the end": "import os\n\n    # an indented comment\n",
}


def assert_cut(source: str) -> int:
    """Every cut text is the statement's print; returns how many statements were cut."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return 0
    texts = source_texts(source, module)
    for statement, text in texts:
        assert text == module.code_for_node(statement)
    body = iter(module.body)
    assert all(any(s is other for other in body) for s, _ in texts)  # the module's, in order
    return len(texts)


def test_the_fast_codegen_prints_what_libcst_prints() -> None:
    count = 0
    for module in libcst_modules(sources()):
        assert printing.code_for_node(module, module) == module.code
        for statement in module.body:
            assert printing.code_for_node(module, statement) == module.code_for_node(statement)
            count += 1
    assert count > 3_000


def test_every_fixture_and_module_is_cut_as_libcst_prints_it() -> None:
    assert sum(assert_cut(source) for source in sources()) > 3_000


@pytest.mark.parametrize("name", sorted(CUT))
def test_cut_edges(name: str) -> None:
    assert assert_cut(CUT[name]) > 0


@pytest.mark.parametrize("name", sorted(NOT_CUT))
def test_texts_not_cut(name: str) -> None:
    source = NOT_CUT[name]
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return
    assert source_texts(source, module) == []
    assert Printer(source, module).code(module) == module.code


#: Top-level pieces joined at random: neighbours share blank and comment lines in every way.
PIECES = [
    "\n",
    "# a comment\n",
    "    # an indented comment\n",
    "import os\n",
    "x = 1; y = 2\n",
    "z = (\n    1,\n)\n",
    "w = 1 + \\\n    2\n",
    "@deco\n# between\n@other(1)\ndef f():\n    return 1\n    # closing\n",
    "class C:\n    x = 1\n\n    # in C\n",
    "async def g():\n    import json\n    return json\n",
    "if x:\n    pass\nelse:\n    pass\n",
    's = """\n# text\n"""\n',
]


@st.composite
def joined_pieces(draw: st.DrawFn) -> str:
    return "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12)))


@PROFILE
@given(joined_pieces())
def test_joined_pieces_are_cut_as_libcst_prints_them(source: str) -> None:
    module = cst.parse_module(source)
    assert_cut(source)
    assert Printer(source, module).code(module) == module.code
    if module.body and "#" not in source:  # no comment for libcst to place after a statement
        assert len(source_texts(source, module)) == len(module.body)


def test_the_printer_prints_only_statements_it_has_not_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    source = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n# end\n"
    module = cst.parse_module(source)
    printer = Printer(source, module)
    printed: list[cst.CSTNode] = []
    original = printing.code_for_node

    def spy(module: cst.Module, node: cst.CSTNode) -> str:
        printed.append(node)
        return original(module, node)

    monkeypatch.setattr(printing, "code_for_node", spy)
    assert printer.code(module) == source
    assert [type(n).__name__ for n in printed] == ["EmptyLine"]  # the footer's comment
    first, f, g = module.body
    changed = module.with_changes(body=[first, f.with_changes(name=cst.Name("h")), g])
    printed.clear()
    assert printer.code(changed) == changed.code
    assert printed.count(changed.body[1]) == 1
    assert not any(n is first or n is g for n in printed)
    printed.clear()
    assert printer.code(changed) == changed.code
    assert printed.count(changed.body[1]) == 0


def test_modules_whose_layout_changed_are_printed_whole() -> None:
    source = "def f():\n    return 1\n"
    module = cst.parse_module(source)
    printer = Printer(source, module)
    for other in (module.with_changes(default_indent="  "), module.with_changes(has_trailing_newline=False)):
        assert printer.code(other) == other.code


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    assert_every_codemod_same_when_disabled(printing, fixture_texts(CUT.values(), NOT_CUT.values()), unsafe)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs_give_the_same_results(source: str, unsafe: bool) -> None:
    assert_same_when_disabled(printing, source, [Hoist, Wrap], unsafe)
