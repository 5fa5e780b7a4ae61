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
from libcst.helpers import get_full_name_for_node

from .metadata import Wrapper


def _is_import_line(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Import | cst.ImportFrom)
    )


def _block_end(module: cst.Module, start: int) -> int:
    """The index of the first statement from ``start`` on that is not an import line."""
    end = start
    while end < len(module.body) and _is_import_line(module.body[end]):
        end += 1
    return end


def _mentions(stmt: cst.BaseStatement, modules: frozenset[str]) -> bool:
    """Could ``AddImportsVisitor`` read or change this import line for ``modules``? Yes when it
    imports one of them (either way) or is relative (its module depends on the package)."""
    assert isinstance(stmt, cst.SimpleStatementLine)
    imp = stmt.body[0]
    if isinstance(imp, cst.ImportFrom):
        return bool(imp.relative) or imp.module is None or get_full_name_for_node(imp.module) in modules
    assert isinstance(imp, cst.Import)
    return any(get_full_name_for_node(alias.name) in modules for alias in imp.names)


def add_imports(module: cst.Module, imports: Iterable[tuple[str, str | None]]) -> cst.Module:
    """Add ``import module`` (``obj`` None) or ``from module import obj`` where missing."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem
    from libcst.codemod.visitors._add_imports import _skip_first

    items = [ImportItem(name, obj, None, 0) for name, obj in imports]
    # the matcher in ``_skip_first`` reads the whole body; only the first statement decides
    first = 1 if _skip_first(module.with_changes(body=module.body[:1])) else 0
    block = range(first, _block_end(module, first))
    cut = min(block.stop + 1, len(module.body))
    # The visitor matches every node it walks, which is slow on a long import block (a
    # thousand hoisted imports: a second). It only changes import lines that name a requested
    # module and inserts after the block's last line: it is given those lines alone, and the
    # others are put back around what it returns.
    modules = frozenset(name for name, _ in imports)
    keep = list(block)
    if len(block) > 1 and "__future__" not in modules:
        keep = [i for i in block if i == block[-1] or _mentions(module.body[i], modules)]
    given = [*module.body[:first], *(module.body[i] for i in keep), *module.body[block.stop : cut]]
    head = module.with_changes(body=given)
    # What ``transform_module`` does, minus its defensive deep copy (we never reuse trees).
    wrapper = Wrapper(head)
    visitor = AddImportsVisitor(CodemodContext(wrapper=wrapper), items)
    with visitor.resolve(wrapper):
        done = visitor.transform_module_impl(wrapper.module)
    out = list(done.body)
    if len(keep) == len(block):
        return done.with_changes(body=[*out, *module.body[cut:]])
    # done.body: the statements before the block, the kept lines (one may have a name more),
    # the new import lines, and the statements after the block (the first may gain a blank line)
    after = cut - block.stop
    kept = dict(zip(keep, out[first : first + len(keep)], strict=True))
    added = out[first + len(keep) : len(out) - after]
    body = [*out[:first], *(kept.get(i, module.body[i]) for i in block), *added, *out[len(out) - after :]]
    return done.with_changes(body=[*body, *module.body[cut:]])
