"""libcst's ``AddImportsVisitor``, run on the only statements it reads or edits.

``AddImportsVisitor`` looks at the module's leading import block (after a docstring) and at the
first statement after it, but walks the whole tree twice to get there; on a large module that
cost more than everything else wrap-blocking-calls does. :func:`add_imports` hands it a module
holding just those statements and puts the rest back afterwards: the same output
(``tests/test_add_imports.py`` compares the two on every fixture). ``libcst.codemod`` is
imported on first use: with ``libcst.matchers`` it is about 0.2 s of start-up that a
warm-cache run, which parses nothing, would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Import | cst.ImportFrom)
    )


def head_length(module: cst.Module, skip_first: bool) -> int:
    """How many leading statements ``AddImportsVisitor`` can read or change: the optional
    docstring, the import block, and the statement after it (its leading lines may change)."""
    start = 1 if skip_first else 0
    end = start
    while end < len(module.body) and _is_import_line(module.body[end]):
        end += 1
    return min(end + 1, len(module.body))


def add_imports(module: cst.Module, imports: Iterable[tuple[str, str | None]]) -> cst.Module:
    """Add ``import module`` (``obj`` None) or ``from module import obj`` where missing."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem
    from libcst.codemod.visitors._add_imports import _skip_first

    items = [ImportItem(name, obj, None, 0) for name, obj in imports]
    cut = head_length(module, _skip_first(module))
    head = module.with_changes(body=module.body[:cut])
    # What ``transform_module`` does, minus its defensive deep copy (we never reuse trees).
    wrapper = MetadataWrapper(head, unsafe_skip_copy=True)
    visitor = AddImportsVisitor(CodemodContext(wrapper=wrapper), items)
    with visitor.resolve(wrapper):
        done = visitor.transform_module_impl(wrapper.module)
    return done.with_changes(body=[*done.body, *module.body[cut:]])
