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

from collections.abc import Iterable, Mapping, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from ..cstkit.metadata import Wrapper
from .nodes import is_docstring
from .order import DEFAULT_STYLE, ImportStyle, reprint
from .place import block_keys, insert_sorted, split_header


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
        return (
            bool(imp.relative)
            or imp.module is None
            or get_full_name_for_node(imp.module) in modules
        )
    assert isinstance(imp, cst.Import)
    return any(get_full_name_for_node(alias.name) in modules for alias in imp.names)


def add_imports(
    module: cst.Module,
    imports: Iterable[tuple[str, str | None]],
    style: ImportStyle = DEFAULT_STYLE,
) -> cst.Module:
    """Add ``import module`` (``obj`` None) or ``from module import obj`` where missing: at their
    sorted places when the leading import block is provably sorted (:mod:`.order`), else
    after its last line; a ``from`` line that grows past the line length is wrapped."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor, ImportItem
    from libcst.codemod.visitors._add_imports import _skip_first

    imports = list(imports)
    items = [ImportItem(name, obj, None, 0) for name, obj in imports]
    # the matcher in ``_skip_first`` reads the whole body; only the first statement decides
    first = 1 if _skip_first(module.with_changes(body=module.body[:1])) else 0
    block = range(first, _block_end(module, first))
    if first == 0 and block:  # the comments above the block's first line stay with it
        header, attached = split_header(module.header)
        if attached:
            top = module.body[0].with_changes(
                leading_lines=[*attached, *module.body[0].leading_lines]
            )
            module = module.with_changes(header=header, body=[top, *module.body[1:]])
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
    # done.body: the statements before the block, the kept lines (one may have a name more),
    # the new import lines, and the statements after the block (the first may gain a blank line)
    after = cut - block.stop
    kept = dict(zip(keep, out[first : first + len(keep)], strict=True))
    added = out[first + len(keep) : len(out) - after]
    lines = _placed(module, block, kept, added, style)
    body = [*out[:first], *lines, *out[len(out) - after :]]
    return done.with_changes(body=[*body, *module.body[cut:]])


def _placed(
    module: cst.Module,
    block: range,
    kept: Mapping[int, cst.BaseStatement],
    added: Sequence[cst.BaseStatement],
    style: ImportStyle,
) -> list[cst.BaseStatement]:
    """The import block after the visitor's edits: merged and new ``from`` lines reprinted, the
    new lines at their sorted places when the block was provably sorted, else at its end."""
    original = [module.body[i] for i in block]
    ordered = block_keys(original, style) is not None
    lines: list[cst.BaseStatement] = []
    for i in block:
        stmt = kept.get(i, module.body[i])
        if stmt is not module.body[i] and isinstance(stmt, cst.SimpleStatementLine):
            stmt = reprint(stmt, style, order=ordered)
        lines.append(stmt)
    new = [s for s in added if isinstance(s, cst.SimpleStatementLine)]
    if ordered and len(new) == len(added):
        prefix: list[cst.EmptyLine] = []
        if not original and block.start == 1 and is_docstring(module.body[0]):
            prefix = [cst.EmptyLine()]  # ruff format puts a blank line after a docstring
        placed = insert_sorted(lines, new, style, prefix)
        if placed is not None:
            return list(placed)
    return [*lines, *(reprint(s, style, order=False) for s in new)]
