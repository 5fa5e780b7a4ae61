"""The read-only walk (``readonly_visit``) must be invisible: the same hook calls in the same
order, the same metadata, the same codemod results, and transformers untouched."""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import libcst as cst
import pytest
from hypothesis import given, settings
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, ScopeProvider

from codemods import registry
from codemods.cstkit import readonly_visit
from codemods.cstkit.readonly_visit import CONDITIONAL, readonly_visits

from .helpers import assert_same_when_disabled, fixture_texts, libcst_modules
from .test_properties import shaped_programs

EDGES = [
    "x = f'{a:>{w}}' + f'{b}' + f'{c!r}' + f'{d=}'\n",
    "from a import *\nfrom . import (b, c as d)\nimport e.f as g\n",
    "def f[T](x: 'T', *a, k=1, **kw) -> 'int':\n    return [y async for y in x if y]\n",
    "try:\n    pass\nexcept* E:\n    pass\nmatch p:\n    case {'k': [1, *r]} | C(a=b) if r:\n        pass\n",
    "class C(B, metaclass=M):\n    @d\n    async def m(self):\n        async with a as b, c:\n            await b; del b\n",
    "lambda: (yield)\nx: int = 1\nglobal g\nwith (a, b): pass\n",
]


def sources() -> Iterator[str]:
    return fixture_texts(EDGES)


class Recorder(cst.CSTVisitor):
    """Logs every hook call; skips the children of lambdas to cover ``on_visit`` returning
    False."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", type(node).__name__, id(node), ""))
        return not isinstance(node, cst.Lambda)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", type(original_node).__name__, id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("visit_attr", type(node).__name__, id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.log.append(("leave_attr", type(original_node).__name__, id(original_node), attribute))


class Names(cst.CSTVisitor):
    """A visitor with one attribute hook of its own (the others are libcst's no-op stubs)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.seen.append(node.value)

    def visit_Call_func(self, node: cst.Call) -> None:
        self.seen.append("<call>")


def hook_calls(module: cst.Module, visitor: cst.CSTVisitor) -> object:
    result = module.visit(visitor)
    assert result is module
    return visitor.log if isinstance(visitor, Recorder) else visitor.seen  # type: ignore[attr-defined]


def both_ways(module: cst.Module, make: type[cst.CSTVisitor]) -> tuple[object, object]:
    plain = hook_calls(module, make())
    with readonly_visits():
        assert cst.CSTNode.visit is not readonly_visit._ORIGINAL
        fast = hook_calls(module, make())
    assert cst.CSTNode.visit is readonly_visit._ORIGINAL
    return plain, fast


def test_the_same_hooks_are_called_in_the_same_order() -> None:
    checked = 0
    for module in libcst_modules(sources()):
        for make in (Recorder, Names):
            plain, fast = both_ways(module, make)
            assert plain == fast
        checked += 1
    assert checked > 100


@settings(max_examples=40, deadline=None)
@given(shaped_programs())
def test_generated_programs_get_the_same_hook_calls(source: str) -> None:
    plain, fast = both_ways(cst.parse_module(source), Recorder)
    assert plain == fast


def metadata(module: cst.Module) -> object:
    """Scopes and expression contexts of the module's own nodes (string annotations are parsed
    into new nodes on every resolution, so those are compared by count)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    contexts = wrapper.resolve(ExpressionContextProvider)
    own = {id(n) for n, _ in hook_pairs(module)}
    out: list[object] = [len(scopes), len(contexts)]
    for node, scope in scopes.items():
        if id(node) in own:
            out.append((id(node), type(scope).__name__, id(getattr(scope, "node", None))))
    for node, context in contexts.items():
        out.append((id(node), context))
    for scope in {id(s): s for s in scopes.values() if s is not None}.values():
        for a in scope.assignments:
            out.append(("assign", a.name, id(getattr(a, "node", None))))
        for access in scope.accesses:
            out.append(("access", id(access.node), sorted(id(getattr(r, "node", None)) for r in access.referents)))
    return sorted(map(repr, out))


def hook_pairs(module: cst.Module) -> list[tuple[cst.CSTNode, str]]:
    found: list[tuple[cst.CSTNode, str]] = []

    class Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append((node, type(node).__name__))
            return True

    module.visit(Walk())
    return found


def test_scope_and_expression_context_metadata_are_the_same() -> None:
    for module in libcst_modules(sources()):
        plain = metadata(module)
        with readonly_visits():
            fast = metadata(module)
        assert plain == fast


@pytest.mark.parametrize("unsafe", [False, True])
def test_every_codemod_gives_the_same_results(unsafe: bool) -> None:
    codemods = list(registry.all_codemods().values())
    for source in sources():
        assert_same_when_disabled(readonly_visit, source, codemods, unsafe)


def test_transformers_still_rebuild_the_tree() -> None:
    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    module = cst.parse_module("def f(a):\n    return g(a)  # c\n")
    with readonly_visits():
        assert module.visit(Rename()).code == "def F(A):\n    return G(A)  # c\n"


def test_the_original_visit_is_restored_after_an_error() -> None:
    class Boom(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            raise ValueError("boom")

    with pytest.raises(ValueError), readonly_visits():
        cst.parse_module("x\n").visit(Boom())
    assert cst.CSTNode.visit is readonly_visit._ORIGINAL


def _subclasses(kind: type) -> Iterator[type]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_only_the_known_classes_visit_a_field_conditionally() -> None:
    """The field order is learnt once per class, which is exact only if libcst visits the same
    fields for every instance: a libcst upgrade that adds a conditional must fail here."""
    conditional = set()
    for kind in set(_subclasses(cst.CSTNode)):
        method = kind.__dict__.get("_visit_and_replace_children")
        if method is None or not kind.__module__.startswith("libcst._nodes"):
            continue
        if getattr(sys.modules[kind.__module__], kind.__name__, None) is not kind:
            continue  # the class ``add_slots`` replaced
        body = inspect.getsource(method)
        if re.search(r"\bif\b|\bfor\b|\bwhile\b", body.split(":", 1)[1]):
            conditional.add(kind)
    assert {k for k in conditional if "names = self.names" not in inspect.getsource(k)} == set(CONDITIONAL)


def test_a_sequence_field_of_another_type_is_walked_like_libcst_does() -> None:
    """A codemod may build a node with any ``Sequence``; libcst iterates it, and so must we."""

    class Names(Sequence[cst.BaseSmallStatement]):
        def __init__(self, items: list[cst.BaseSmallStatement]) -> None:
            self.items = items

        def __getitem__(self, index: Any) -> Any:
            return self.items[index]

        def __len__(self) -> int:
            return len(self.items)

    line = cst.SimpleStatementLine(body=Names([cst.Expr(cst.Name("a")), cst.Expr(cst.Name("b"))]))
    module = cst.Module(body=[line])
    plain, fast = both_ways(module, Recorder)
    assert plain == fast
    assert [entry[1] for entry in fast if entry[0] == "visit"].count("Name") == 2  # type: ignore[union-attr]


# -- whitespace and punctuation are not walked for a visitor that cannot see them --------------

TOKEN_EDGES = [
    "f(a,  # a comment inside the comma's whitespace\n  b)\nx = (1 +  # and in an operator's\n  2)\n",
    "async def g():\n    return [a for a in b if not a] or {1: 2, **c}\n",
]


class Hooks(cst.CSTVisitor):
    """libcst's own dispatch, with hooks on a few node classes (none a token)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int]] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.seen.append(("Name", id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.seen.append(("Call", id(original_node)))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.seen.append(("def", id(node)))
        return not node.name.value.startswith("_")


class Commented(Hooks):
    """A hook on a token class: comments sit in whitespace inside punctuation."""

    def visit_Comment(self, node: cst.Comment) -> None:
        self.seen.append(("Comment", id(node)))


class Ancestors(cst.CSTVisitor):
    """Its own ``on_visit``/``on_leave`` that ignore tokens, as wrap-blocking-calls' rewriter."""

    SKIPS_TOKENS = True

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: list[tuple[str, ...]] = []
        self.tokens = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) in readonly_visit.TOKENS:
            self.tokens += 1
            return True
        self.stack.append(type(node).__name__)
        self.seen.append(tuple(self.stack))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if type(original_node) not in readonly_visit.TOKENS:
            self.stack.pop()


def test_which_visitors_skip_tokens() -> None:
    assert readonly_visit._skipped(Hooks(), False) == readonly_visit.TOKENS
    assert readonly_visit._skipped(Ancestors(), False) == readonly_visit.TOKENS
    assert readonly_visit._skipped(Commented(), False) == frozenset()
    assert readonly_visit._skipped(Recorder(), False) == frozenset()  # its on_visit sees all
    names = Names()  # an attribute hook: the fields are announced, tokens' too
    assert readonly_visit._skipped(names, readonly_visit._attribute_hooks(names)) == frozenset()


def test_visitors_that_skip_tokens_see_the_same() -> None:
    checked = 0
    for source in fixture_texts(EDGES, TOKEN_EDGES):
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        for make in (Hooks, Commented, Ancestors):
            plain, fast = make(), make()
            module.visit(plain)
            with readonly_visits():
                module.visit(fast)
            assert plain.seen == fast.seen
            if isinstance(fast, Ancestors):
                assert fast.tokens == 0 < plain.tokens  # skipped indeed
        checked += 1
    assert checked > 100


def test_tokens_hold_only_tokens() -> None:
    """No node under a :data:`TOKENS` node is anything else, on every fixture and edge case."""

    class Under(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0  # how many tokens enclose the node

        def on_visit(self, node: cst.CSTNode) -> bool:
            token = type(node) in readonly_visit.TOKENS
            assert token or not self.depth, type(node).__name__
            self.depth += token
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.depth -= type(original_node) in readonly_visit.TOKENS

    for source in fixture_texts(EDGES, TOKEN_EDGES):
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        module.visit(Under())


def test_holds_agrees_with_a_visitor_on_every_node() -> None:
    """:func:`readonly_visit.holds` (a plain walk) finds a comment, a name or a comma exactly
    where a ``CSTVisitor`` with libcst's own walk finds one, under every node of every fixture."""

    class Finds(cst.CSTVisitor):
        def __init__(self, kind: type[cst.CSTNode]) -> None:
            super().__init__()
            self.kind, self.found, self.nodes = kind, False, []  # type: ignore[var-annotated]

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.nodes.append(node)
            self.found = self.found or type(node) is self.kind
            return True

    def finds(node: cst.CSTNode, kind: type[cst.CSTNode]) -> bool:
        finder = Finds(kind)
        node.visit(finder)
        return finder.found

    checked = {True: 0, False: 0}
    for source in fixture_texts(EDGES, TOKEN_EDGES):
        try:
            module = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue
        every = Finds(cst.Comment)
        module.visit(every)
        for node in every.nodes[:3000]:
            for kind in (cst.Comment, cst.Name, cst.Comma):
                expected = finds(node, kind)
                assert readonly_visit.holds(node, kind) is expected, (type(node).__name__, kind)
                checked[expected] += 1
    assert checked[True] > 1000 and checked[False] > 1000


def _every_hook() -> type[cst.CSTVisitor]:
    """A visitor with libcst's own dispatch and a ``visit_``/``leave_`` hook for every node
    class (tokens too), opted in to the hook table (``HOOK_TABLE``): ``visit_Lambda`` returns
    False, so its children are skipped; ``visit_Call`` and ``visit_Attribute`` return falsy
    values that are not False (0, ""), so theirs are not."""
    returns: dict[str, object] = {"Lambda": False, "Call": 0, "Attribute": ""}

    def hook(prefix: str, name: str) -> Any:
        def logged(self: Any, node: cst.CSTNode) -> object:
            self.seen.append((prefix, name, id(node)))
            return returns.get(name) if prefix == "visit" else None

        return logged

    namespace: dict[str, Any] = {"HOOK_TABLE": True}
    for kind in vars(cst).values():
        if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not inspect.isabstract(kind):
            for prefix in ("visit", "leave"):
                namespace[f"{prefix}_{kind.__name__}"] = hook(prefix, kind.__name__)

    def init(self: Any) -> None:
        cst.CSTVisitor.__init__(self)
        self.seen = []

    namespace["__init__"] = init
    return type("EveryHook", (cst.CSTVisitor,), namespace)


class Tabled(Hooks):
    HOOK_TABLE = True


def test_libcst_dispatch_by_table_calls_the_same_hooks() -> None:
    """A visitor that dispatches as libcst does is walked with a hook table (learnt once per
    node class): every hook is called on the same nodes in the same order, on every fixture."""
    every = _every_hook()
    checked = 0
    for module in libcst_modules(sources()):
        for make in (every, Tabled):
            plain, fast = make(), make()
            module.visit(plain)
            with readonly_visits():
                module.visit(fast)
            assert plain.seen == fast.seen  # type: ignore[attr-defined]
        checked += 1
    assert checked > 100
    for kind in (every, Tabled):  # the tables were used: they learnt the classes they met
        table = readonly_visit._TABLES[kind]
        assert table is not None and cst.Name in table


class Static(cst.CSTVisitor):
    HOOK_TABLE = True

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    @staticmethod
    def visit_Integer(node: cst.Integer) -> None:
        SEEN.append(node.value)


SEEN: list[str] = []


def test_visitors_whose_hooks_cannot_be_tabled_are_walked_by_libcst_s_dispatch() -> None:
    """Hooks that are not plain functions of the class (a ``staticmethod``), hooks or an
    ``on_visit`` set on the instance, and classes that are not this tool's: each node is
    dispatched as libcst does, and every hook is called as before."""
    module = cst.parse_module("x = f(1, 2)\n")
    SEEN.clear()
    with readonly_visits():
        module.visit(Static())
    assert SEEN == ["1", "2"] and readonly_visit._table(Static()) is None

    on_instance = Tabled()
    seen: list[str] = []
    on_instance.visit_Integer = lambda node: seen.append(node.value)  # type: ignore[attr-defined]
    assert readonly_visit._table(on_instance) is None
    with readonly_visits():
        module.visit(on_instance)
    assert seen == ["1", "2"]

    own_on_visit = Tabled()
    visited: list[str] = []
    own_on_visit.on_visit = lambda node: visited.append(type(node).__name__) or True  # type: ignore[method-assign]
    assert readonly_visit._table(own_on_visit) is None
    with readonly_visits():
        module.visit(own_on_visit)
    assert "Integer" in visited

    assert readonly_visit._table(Hooks()) is None  # a class of the tests, not opted in
    assert readonly_visit._table(Recorder()) is None  # its own on_visit
