"""The layout move of issue 20, as a script: one package per codemod, shared toolkits.

Run from the repository's top level, on a clean tree: ``python scripts/relayout.py``. It

1. ``git mv``-s every file of :data:`MOVES` that still exists (old path -> new path) and writes
   the new packages' ``__init__.py`` (:data:`PACKAGES`);
2. rewrites every import of a moved module in ``codemods/``, ``tests/``, ``scripts/`` and
   ``bench/`` (libcst, statement by statement: a relative import stays relative and is spelled
   from the importing file's new place, an absolute one stays absolute; ``from pkg import mod``
   of a moved module names its new package, ``as`` keeping the old name where the module's own
   name changed);
3. rewrites dotted module names (``codemods.visitors.x``, monkeypatch targets, ``-m`` paths,
   ``:mod:`` references) and file paths (``codemods/visitors/x.py``) in Python files and
   ``docs/*.md``;
4. lets ruff sort the import blocks it touched (``--select I001 --fix``), nothing else.

It is deterministic and idempotent: on a tree where the move is done it changes nothing. After
other branches are merged, run it again on the merged tree: the files they added or edited at
the old places are moved and their imports rewritten. It refuses to finish when a module is
left in ``codemods/visitors/`` that the table does not place (add it to :data:`MOVES`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import libcst as cst

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("codemods", "tests", "scripts", "bench")
RUFF = Path(sys.executable).parent / "ruff"
SELF = "scripts/relayout.py"

V = "codemods/visitors/"
C = "codemods/commands/"
W = C + "wrap_blocking_calls/"
H = C + "hoist_imports/"
L = C + "lifespan/"
T = "tests/commands/"
#: the codemod ids, as package names
CODEMODS = (
    "dedupe_imports",
    "event_loop_policy",
    "hoist_imports",
    "lifespan",
    "startup_checks",
    "windows_loop_policy",
    "wrap_blocking_calls",
)

#: old path -> new path, every file the move touches.
MOVES: dict[str, str] = {
    # one package per codemod: the command module becomes the package's __init__
    **{f"{C}{cid}.py": f"{C}{cid}/__init__.py" for cid in CODEMODS},
    # the ast toolkit
    "codemods/astnodes.py": "codemods/astkit/astnodes.py",
    "codemods/asts.py": "codemods/astkit/asts.py",
    V + "ast_names.py": "codemods/astkit/names.py",
    V + "ast_candidates.py": "codemods/astkit/candidates.py",
    # the libcst toolkit
    "codemods/printing.py": "codemods/cstkit/printing.py",
    V + "positions.py": "codemods/cstkit/positions.py",
    V + "readonly_visit.py": "codemods/cstkit/readonly_visit.py",
    V + "path_rebuild.py": "codemods/cstkit/path_rebuild.py",
    V + "metadata.py": "codemods/cstkit/metadata.py",
    V + "statements.py": "codemods/cstkit/statements.py",
    V + "statement_lines.py": "codemods/cstkit/statement_lines.py",
    # import statements as ruff lays them out, for every codemod that adds or moves imports
    V + "imports.py": "codemods/imports/nodes.py",
    V + "import_order.py": "codemods/imports/order.py",
    V + "import_place.py": "codemods/imports/place.py",
    V + "import_style.py": "codemods/imports/style.py",
    V + "import_top.py": "codemods/imports/top.py",
    V + "add_imports.py": "codemods/imports/add.py",
    # the FastAPI/Starlette app model (lifespan, startup-checks)
    V + "fastapi.py": "codemods/appmodel/analysis.py",
    V + "fastapi_checks.py": "codemods/appmodel/checks.py",
    V + "fastapi_light.py": "codemods/appmodel/light.py",
    V + "fastapi_links.py": "codemods/appmodel/links.py",
    V + "fastapi_model.py": "codemods/appmodel/model.py",
    V + "lifespan_project.py": "codemods/appmodel/project_view.py",
    V + "lifespan_canonical.py": "codemods/appmodel/canonical.py",
    V + "lifespan_lift.py": "codemods/appmodel/lift.py",
    V + "lifespan_order.py": "codemods/appmodel/handler_order.py",
    # lifespan
    V + "lifespan_actions.py": L + "actions.py",
    V + "lifespan_edit.py": L + "edit.py",
    V + "lifespan_plan.py": L + "plan.py",
    V + "lifespan_runs.py": L + "runs.py",
    # startup-checks
    V + "env_reach.py": C + "startup_checks/reach.py",
    V + "env_scope.py": C + "startup_checks/scope.py",
    V + "startup_code.py": C + "startup_checks/code.py",
    # dedupe-imports
    V + "dedupe_edit.py": C + "dedupe_imports/edit.py",
    V + "dedupe_guard.py": C + "dedupe_imports/guard.py",
    V + "dedupe_scan.py": C + "dedupe_imports/scan.py",
    # the two loop-policy codemods' shared analysis and editor (``_``: not a codemod)
    V + "loop_policy.py": C + "_loop_policy/analysis.py",
    V + "loop_policy_edit.py": C + "_loop_policy/edit.py",
    # hoist-imports
    V + "hoisting.py": H + "analysis.py",
    V + "hoist_copies.py": H + "copies.py",
    V + "hoist_deps.py": H + "deps.py",
    V + "hoist_edits.py": H + "edits.py",
    V + "hoist_effects.py": H + "effects.py",
    V + "hoist_excluded.py": H + "excluded.py",
    V + "hoist_intent.py": H + "intent.py",
    V + "hoist_isolated.py": H + "isolated.py",
    V + "hoist_rules.py": H + "rules.py",
    V + "hoist_shadow.py": H + "shadow.py",
    V + "scope_pruning.py": H + "scope_pruning.py",
    # wrap-blocking-calls
    V + "blocking.py": W + "catalogue.py",
    V + "blocking_cst.py": W + "cst_scope.py",
    V + "blocking_edit.py": W + "edit.py",
    V + "blocking_escape.py": W + "escape.py",
    V + "blocking_facts.py": W + "combine.py",
    V + "blocking_gather.py": W + "gather.py",
    V + "blocking_imports.py": W + "unused_imports.py",
    V + "blocking_infer.py": W + "infer.py",
    V + "blocking_keep.py": W + "keep.py",
    V + "blocking_names.py": W + "names.py",
    V + "blocking_objects.py": W + "objects.py",
    V + "blocking_rewrite.py": W + "rewrite.py",
    V + "blocking_role.py": W + "role.py",
    V + "blocking_scope.py": W + "scope.py",
    V + "blocking_threads.py": W + "threads.py",
    V + "blocking_verdict.py": W + "verdict.py",
    V + "blocking_view.py": W + "view.py",
    V + "offload.py": W + "offload.py",
    V + "offload_choice.py": W + "offload_choice.py",
    # tests of one codemod side by side: tests/commands/<id>/test_<id>.py, test_<aspect>.py
    T + "test_dedupe_imports.py": T + "dedupe_imports/test_dedupe_imports.py",
    T + "test_event_loop_policy.py": T + "event_loop_policy/test_event_loop_policy.py",
    T + "test_windows_loop_policy.py": T + "windows_loop_policy/test_windows_loop_policy.py",
    T + "test_startup_checks.py": T + "startup_checks/test_startup_checks.py",
    T + "test_startup_checks_scope.py": T + "startup_checks/test_scope.py",
    T + "test_hoist_imports.py": T + "hoist_imports/test_hoist_imports.py",
    T + "test_hoist_imports_components.py": T + "hoist_imports/test_components.py",
    T + "test_hoist_imports_converge.py": T + "hoist_imports/test_converge.py",
    T + "test_hoist_imports_effects.py": T + "hoist_imports/test_effects.py",
    T + "test_hoist_imports_excluded.py": T + "hoist_imports/test_excluded.py",
    "tests/test_hoist_e402.py": T + "hoist_imports/test_e402.py",
    "tests/test_hoist_isolated.py": T + "hoist_imports/test_isolated.py",
    "tests/test_hoist_precision.py": T + "hoist_imports/test_precision.py",
    "tests/test_hoist_walks.py": T + "hoist_imports/test_walks.py",
    "tests/test_scope_pruning.py": T + "hoist_imports/test_scope_pruning.py",
    T + "test_lifespan.py": T + "lifespan/test_lifespan.py",
    T + "test_lifespan_links.py": T + "lifespan/test_links.py",
    T + "test_lifespan_runs.py": T + "lifespan/test_runs.py",
    T + "test_lifespan_starlette_router.py": T + "lifespan/test_starlette_router.py",
    T + "test_lifespan_versions.py": T + "lifespan/test_versions.py",
    "tests/test_lifespan_behaviour.py": T + "lifespan/test_behaviour.py",
    "tests/test_lifespan_nested.py": T + "lifespan/test_nested.py",
    "tests/test_lifespan_runs.py": T + "lifespan/test_runs_real.py",
    "tests/test_lifespan_starlette_router.py": T + "lifespan/test_starlette_router_real.py",
    "tests/test_fastapi_versions.py": T + "lifespan/test_fastapi_versions.py",
    T + "test_wrap_blocking_calls.py": T + "wrap_blocking_calls/test_wrap_blocking_calls.py",
    **{
        f"{T}test_wrap_blocking_{aspect}.py": f"{T}wrap_blocking_calls/test_{aspect}.py"
        for aspect in (
            "components",
            "infer",
            "offload",
            "precision",
            "receivers",
            "review",
            "scope",
            "single_file",
            "threads",
        )
    },
    "tests/test_blocking_names.py": T + "wrap_blocking_calls/test_names.py",
    "tests/test_wrap_blocking_behaviour.py": T + "wrap_blocking_calls/test_behaviour.py",
}

#: new package -> the docstring of its ``__init__.py`` (written only when the file is missing).
PACKAGES: dict[str, str] = {
    "codemods/astkit": (
        "The standard library ``ast`` toolkit every phase shares: each file's node list, the tree\n"
        "memo of one process, module-level names, the cheap prefilter checks.\n\n"
        "Read-only: nothing here ever changes a tree (the trees are shared between phases), runs\n"
        "or imports the code it reads, or knows about one codemod's rules.\n"
    ),
    "codemods/cstkit": (
        "The libcst speed layer: printing, positions, read-only visits, path rebuilds, metadata\n"
        "and statement walks that several codemods use in place of libcst's slower defaults.\n\n"
        "Each answers exactly what the libcst API it replaces answers (tested against it); none\n"
        "decides anything for a codemod, and only ``path_rebuild`` builds new nodes, along the\n"
        "path a transformer asks for.\n"
    ),
    "codemods/imports": (
        "Import statements as ruff lays them out, for every codemod that adds or moves imports:\n"
        "isort's order, where a new import goes in a sorted block, the project's import style,\n"
        "where ruff's E402 top of file ends, and libcst's ``AddImportsVisitor`` made cheap.\n\n"
        "It never decides whether an import may be added or moved: the codemods do.\n"
    ),
    "codemods/appmodel": (
        "The FastAPI/Starlette app model: apps, routers and their event handlers in each module\n"
        "(stdlib ``ast``), and the cross-module view of them that ``lifespan`` and\n"
        "``startup-checks`` share.\n\n"
        "Plain data and pure functions: it never edits a tree and never imports a codemod.\n"
    ),
    "codemods/commands/_loop_policy": (
        "What ``windows-loop-policy`` and ``event-loop-policy`` share: the ``ast`` analysis of\n"
        "event-loop policy uses and server entry points, and the small libcst editor.\n\n"
        "Not a codemod (the ``_`` keeps the registry from looking for one here).\n"
    ),
    **{f"tests/commands/{cid}": "" for cid in CODEMODS},
}

#: The package the move empties; removed when nothing else is left in it.
EMPTIED = "codemods/visitors"


def dotted(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_init(path: str) -> bool:
    return path.endswith("/__init__.py")


#: old dotted module -> new dotted module
MODULES: dict[str, str] = {dotted(old): dotted(new) for old, new in MOVES.items()}
#: new path -> old path
SOURCES: dict[str, str] = {new: old for old, new in MOVES.items()}


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout


def move() -> list[str]:
    """``git mv`` what is still at an old place; return the moved new paths."""
    moved = []
    for old, new in MOVES.items():
        if not (REPO / old).exists():
            continue
        if (REPO / new).exists():
            sys.exit(f"relayout: both {old} and {new} exist")
        (REPO / new).parent.mkdir(parents=True, exist_ok=True)
        git("mv", old, new)
        moved.append(new)
    for package, doc in PACKAGES.items():
        init = REPO / package / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""{doc.rstrip()}\n"""\n' if doc else "", encoding="utf-8")
            git("add", str(init.relative_to(REPO)))
    left = sorted(p.name for p in (REPO / EMPTIED).glob("*.py") if p.name != "__init__.py")
    if left:
        sys.exit(f"relayout: {EMPTIED}/ still holds {', '.join(left)}: place them in MOVES")
    if (REPO / EMPTIED / "__init__.py").exists():
        git("rm", "-q", f"{EMPTIED}/__init__.py")
    return moved


def python_files() -> Iterator[str]:
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if "/fixtures/" not in rel and "/data/" not in rel:
                yield rel


def package_of(path: str) -> list[str]:
    name = dotted(path).split(".")
    return name if is_init(path) else name[:-1]


def new_name(old: str) -> str:
    """``old`` (a module, or a module's attribute) as named after the move."""
    parts = old.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in MODULES:
            return ".".join([MODULES[head], *parts[cut:]])
    return old


def spell(module: str, package: list[str], relative: bool) -> tuple[int, str]:
    """``module`` as the ``from`` part of an import in ``package``: (level, dotted)."""
    if not relative:
        return 0, module
    target = module.split(".")
    common = 0
    while common < min(len(target), len(package)) and target[common] == package[common]:
        common += 1
    return len(package) - common + 1, ".".join(target[common:])


def module_expr(name: str) -> cst.Attribute | cst.Name:
    parts = name.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(node, cst.Name(part))
    return node


class Rewriter(cst.CSTTransformer):
    """Rewrites the imports of one file, read at its old place, for its new place."""

    def __init__(self, old_package: list[str], new_package: list[str], known: set[str]) -> None:
        super().__init__()
        self.old_package = old_package
        self.new_package = new_package
        self.known = known

    def _resolve(self, node: cst.ImportFrom) -> str:
        module = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
        level = len(node.relative)
        if not level:
            return module or ""
        base = self.old_package[: len(self.old_package) - (level - 1)]
        return ".".join([*base, *([module] if module else [])])

    def _groups(self, node: cst.ImportFrom) -> list[tuple[str, list[cst.ImportAlias]]]:
        if isinstance(node.names, cst.ImportStar):
            return [(new_name(self._resolve(node)), [])]
        source = self._resolve(node)
        groups: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            full = f"{source}.{name}"
            if full in self.known and full in MODULES:
                target = MODULES[full]
                parent, _, base = target.rpartition(".")
                if base != name:
                    asname = alias.asname or cst.AsName(cst.Name(name))
                    alias = alias.with_changes(name=cst.Name(base), asname=asname)
                    if (
                        alias.asname is not None
                        and cst.helpers.get_full_name_for_node(alias.asname.name) == base
                    ):
                        alias = alias.with_changes(asname=None)
                groups.setdefault(parent, []).append(alias)
            else:
                groups.setdefault(new_name(source), []).append(alias)
        return list(groups.items())

    def _build(
        self, node: cst.ImportFrom, module: str, aliases: list[cst.ImportAlias]
    ) -> cst.ImportFrom:
        level, name = spell(module, self.new_package, bool(node.relative))
        old_name = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
        same_names = isinstance(node.names, cst.ImportStar) or aliases == list(node.names)
        if level == len(node.relative) and name == old_name and same_names:
            return node
        changes: dict[str, object] = {
            "relative": [cst.Dot()] * level,
            "module": module_expr(name) if name else None,
        }
        if not same_names:
            if node.lpar is None:  # no trailing comma without parentheses
                aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            changes["names"] = aliases
        return node.with_changes(**changes)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if not any(isinstance(s, cst.ImportFrom) for s in updated.body):
            return updated
        if len(updated.body) > 1:  # ``from a import b; ...``: rewritten in place, never split
            body = []
            for small in updated.body:
                if isinstance(small, cst.ImportFrom):
                    [(module, aliases)] = self._groups(small)
                    small = self._build(small, module, aliases)
                body.append(small)
            return updated.with_changes(body=body)
        node = updated.body[0]
        assert isinstance(node, cst.ImportFrom)
        built = [self._build(node, module, aliases) for module, aliases in self._groups(node)]
        if len(built) == 1:
            return updated.with_changes(body=[built[0]])
        # one statement per package; ruff's isort fix puts them in place afterwards
        lines = [
            updated.with_changes(body=[built[0]], trailing_whitespace=cst.TrailingWhitespace())
        ]
        lines += [
            cst.SimpleStatementLine(body=[b], trailing_whitespace=updated.trailing_whitespace)
            for b in built[1:]
        ]
        return cst.FlattenSentinel(lines)

    def leave_Import(self, original: cst.Import, updated: cst.Import) -> cst.Import:
        names = []
        for alias in updated.names:
            name = cst.helpers.get_full_name_for_node(alias.name) or ""
            new = new_name(name)
            names.append(alias if new == name else alias.with_changes(name=module_expr(new)))
        return updated.with_changes(names=names)


DOTTED = re.compile(r"\b(?:codemods|tests)(?:\.\w+)+")
PATH = re.compile(
    r"(?<![\w/.])((?:codemods/|tests/)?(?:visitors|commands)/\w+\.py|(?:codemods|tests)/\w+\.py)"
)
#: ``:mod:`.x``` and ``~.x.Name`` in the docstrings of a moved module
SPHINX_RELATIVE = re.compile(r"(?<=[`~])\.(\w+)")


def rewrite_text(text: str) -> str:
    text = DOTTED.sub(lambda m: new_name(m.group(0)), text)

    def path(match: re.Match[str]) -> str:
        found = match.group(1)
        for prefix in ("", "codemods/", "tests/"):
            if prefix + found in MOVES:
                return MOVES[prefix + found].removeprefix(prefix)
        return found

    return PATH.sub(path, text)


def rewrite_sphinx(text: str, old_path: str, new_path: str) -> str:
    """``.x`` references in a moved module's docstrings, spelled from its new place."""
    old_package = package_of(old_path)

    def ref(match: re.Match[str]) -> str:
        old = ".".join([*old_package, match.group(1)])
        if old not in MODULES:
            return match.group(0)
        level, name = spell(MODULES[old], package_of(new_path), True)
        return "." * level + name

    return SPHINX_RELATIVE.sub(ref, text)


def rewrite(files: Sequence[str], known: set[str], moved: set[str]) -> list[str]:
    """Rewrite ``files``; a file moved by this run is read as it was at its old place."""
    changed = []
    for path in files:
        if path == SELF:
            continue
        old_path = SOURCES[path] if path in moved else path
        text = (REPO / path).read_text(encoding="utf-8")
        module = cst.parse_module(text)
        new = module.visit(Rewriter(package_of(old_path), package_of(path), known)).code
        new = rewrite_text(new)
        if old_path != path:
            new = rewrite_sphinx(new, old_path, path)
        if new != text:
            (REPO / path).write_text(new, encoding="utf-8")
            changed.append(path)
    for doc in sorted((REPO / "docs").glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        new = rewrite_text(text)
        if new != text:
            doc.write_text(new, encoding="utf-8")
    return changed


def main() -> int:
    if git("status", "--porcelain", "--untracked-files=no"):
        sys.exit("relayout: commit or stash your changes first")
    known = {dotted(SOURCES.get(f, f)) for f in python_files()} | set(MODULES)
    moved = move()
    changed = rewrite(list(python_files()), known, set(moved))
    touched = sorted(set(changed) | set(moved))
    if touched:
        subprocess.run(
            [str(RUFF), "check", "--quiet", "--select", "I001", "--fix", *touched],
            cwd=REPO,
            check=False,
        )
    git("add", "-A", *ROOTS, "docs")
    print(f"relayout: {len(moved)} files moved, {len(changed)} files rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
