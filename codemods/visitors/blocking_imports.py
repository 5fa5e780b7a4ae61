"""Imports ``wrap-blocking-calls``' own rewrite left unused (``import time`` after every
``time.sleep(x)`` became ``await asyncio.sleep(x)``), removed; never one that was unused before.

Only the names of rewritten sleeps are candidates (an offloaded call keeps its callee). A name
is removed when every read of it in the file was one of those sleeps, and nothing else can see
it: its only binding is one module-level import statement of its own line with no comment on it
(``# noqa`` included), no string in the file is the name itself (``__all__``, ``globals()``)
or an annotation naming it, the file is not a package's ``__init__``, and no module of the
project imports the name from this one.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable

import libcst as cst

from .. import astnodes, asts
from ..project import ModuleInfo
from .blocking_facts import BlockingFacts
from .blocking_names import FileBindings, _normalisation_differs


def removable(
    names: Counter[str],
    bindings: FileBindings | None,
    source: str,
    info: ModuleInfo,
    facts: BlockingFacts,
) -> set[str]:
    """The ``names`` (each with how many of its reads the rewrite removed) that no code reads
    any more, and that no other code can see."""
    if not names or info.path.endswith("__init__.py"):
        return set()
    if bindings is None:  # not read for the rewrite (``blocking_names.ENABLED`` off)
        bindings = _read(source)
        if bindings is None:
            return set()
    tree = bindings.tree
    reads: Counter[str] = Counter()
    strings: list[str] = []
    annotations: list[str] = []
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            reads[node.id] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
        elif isinstance(node, ast.arg | ast.AnnAssign | ast.FunctionDef | ast.AsyncFunctionDef):
            note = (
                node.returns
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                else node.annotation
            )
            if note is not None:
                annotations.extend(
                    n.value
                    for n in ast.walk(note)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                )
    exported = {*facts.aliases.values(), *(c for f in facts.functions.values() for c, _ in f.calls)}
    found = set()
    for name, rewritten in names.items():
        binding = bindings.introduced(name)
        if not binding or not binding.top or reads[name] != rewritten or name in strings:
            continue
        word = re.compile(rf"\b{re.escape(name)}\b")
        if any(word.search(a) for a in annotations):
            continue
        own = f"{info.name}.{name}"
        if any(e == own or e.startswith(own + ".") for e in exported):
            continue
        found.add(name)
    return found


def _read(source: str) -> FileBindings | None:
    if not source.isascii() and _normalisation_differs(source):
        return None  # ``ast`` and libcst read an identifier differently
    try:
        return FileBindings(asts.parse(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def drop(module: cst.Module, names: Iterable[str]) -> cst.Module:
    """``module`` without the module-level imports of ``names`` (see :func:`removable`)."""
    wanted = set(names)
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []  # a comment above a removed import heads what follows
    for stmt in module.body:
        if carried:
            stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
            carried = []
        imp = _plain_import(stmt)
        if imp is None or isinstance(imp.names, cst.ImportStar):
            body.append(stmt)
            continue
        kept = [a for a in imp.names if _bound(a) not in wanted]
        if len(kept) == len(imp.names):
            body.append(stmt)
        elif kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            body.append(stmt.with_changes(body=[imp.with_changes(names=kept)]))
        else:
            carried = list(stmt.leading_lines)
    return module.with_changes(body=body, footer=[*carried, *module.footer])


def _plain_import(stmt: cst.BaseStatement) -> cst.Import | cst.ImportFrom | None:
    """The import of a line that holds one import, no parentheses and no comment."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return None
    imp = stmt.body[0]
    if (
        not isinstance(imp, cst.Import | cst.ImportFrom)
        or stmt.trailing_whitespace.comment is not None
    ):
        return None
    if isinstance(imp, cst.ImportFrom) and (
        imp.lpar is not None or isinstance(imp.names, cst.ImportStar)
    ):
        return None
    return imp


def _bound(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return alias.evaluated_name.split(".")[0]
