"""Imports ``wrap-blocking-calls``' own rewrite left unused (``import time`` after every
``time.sleep(x)`` became ``await asyncio.sleep(x)``), removed; never one that was unused before.

Only the names of rewritten sleeps are candidates (an offloaded call keeps its callee). A name
is removed when every read of it in the file was one of those sleeps, and nothing else can see
it: its only binding is one module-level import statement of its own line with no comment on it
(``# noqa`` included) nor a comment line directly above it (it may speak of the import), no
string in the file holds the name as a word (``__all__``, ``globals()``, an annotation, a
doctest's ``>>> time.monotonic()``, ``eval("time.time()")``), the file is not a package's
``__init__``, and no module of the project imports the name from this one, star-imports this
module (unless an ``__all__`` or a leading underscore leaves the name out), or names it in a
dotted string (``mock.patch("app.worker.time.sleep")``). Those last three need the other files:
the view's are judged by their facts; a file of the component outside the view (a run given only
this file, a subset, excluded files) that names this module must not hold the word ``name`` nor a
star import (:mod:`codemods.mentions`); when that cannot be read (no gather, stdin, no component),
the name is kept.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable

import libcst as cst

from ... import mentions
from ...astkit import astnodes
from ...astkit.asts import Trees
from ...facts import ProjectFacts
from ...project import ModuleInfo
from .combine import BlockingFacts
from .names import FileBindings, normalisation_differs
from .view import outside_mentions, scan_for


def removable(
    names: Counter[str],
    bindings: FileBindings | None,
    source: str,
    trees: Trees,
    info: ModuleInfo,
    facts: BlockingFacts,
    path: str | None,
    project: ProjectFacts,
) -> set[str]:
    """The ``names`` (each with how many of its reads the rewrite removed) that no code reads
    any more, and that no other code can see."""
    if not names or info.path.endswith("__init__.py"):
        return set()
    outside = outside_mentions(path, project)
    if outside is None or path is None:
        return set()
    if bindings is None:  # not read for the rewrite (``blocking_names.ENABLED`` off)
        bindings = _read(source, trees)
        if bindings is None:
            return set()
    tree = bindings.tree
    reads: Counter[str] = Counter()
    strings: list[str] = []
    has_all = False
    for node in astnodes.nodes(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                reads[node.id] += 1
            elif node.id == "__all__":
                has_all = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            strings.append(node.value)
    found = set()
    for name, rewritten in names.items():
        binding = bindings.introduced(name)
        if not binding or not binding.top or reads[name] != rewritten:
            continue
        word = re.compile(rf"\b{re.escape(name)}\b")
        if any(word.search(s) for s in strings):
            continue
        starred = not has_all and not name.startswith("_")
        if _seen_elsewhere(name, info.name, facts, starred):
            continue
        if _unread_outside(outside, name, path, project, starred):
            found.add(name)
    return found


def _unread_outside(
    outside: frozenset[str], name: str, path: str, project: ProjectFacts, starred: bool
) -> bool:
    """Does no file outside the view that names this module (``outside``) take ``name`` from
    it? Without the word ``name``, only a star import could (when ``starred``)."""
    if not outside:
        return True
    scan = scan_for(path, project)
    by_name = scan.mentioning(mentions.word(name))
    stars = scan.mentioning(mentions.STAR) if starred else frozenset()
    return by_name is not None and stars is not None and not outside & (by_name | stars)


def _seen_elsewhere(name: str, module: str, facts: BlockingFacts, starred: bool) -> bool:
    """Does another module import ``module.name``, star-import ``module`` (when ``starred``:
    the star takes the name), or name ``module.name`` in a dotted string?"""
    spellings = {module, *(a for a, t in facts.module_aliases.items() if t == module)}
    owns = {f"{m}.{name}" for m in spellings}
    exported = {*facts.aliases.values(), *(c for f in facts.functions.values() for c, _ in f.calls)}
    if any(e in owns or e.startswith(tuple(o + "." for o in owns)) for e in exported):
        return True
    for other, found in facts.modules.items():
        if other == module:
            continue
        if starred and any(s is None or s in spellings for s in found.stars):
            return True
        if any(d in owns or d.startswith(tuple(o + "." for o in owns)) for d in found.dotted):
            return True
    return False


def _read(source: str, trees: Trees) -> FileBindings | None:
    if not source.isascii() and normalisation_differs(source):
        return None  # ``ast`` and libcst read an identifier differently
    try:
        return FileBindings(trees.parse(source))
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
        if imp is None or isinstance(imp.names, cst.ImportStar) or _commented_above(module, stmt):
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


def _commented_above(module: cst.Module, stmt: cst.BaseStatement) -> bool:
    """Is there a comment line between ``stmt`` and the statement before it, or, for the first
    statement, right above it at the end of the module's header? It may speak of the import:
    removing the import would leave it above other code."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    if stmt is module.body[0]:
        lines = [*module.header, *stmt.leading_lines]
        return bool(lines) and lines[-1].comment is not None
    return any(line.comment is not None for line in stmt.leading_lines)


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
