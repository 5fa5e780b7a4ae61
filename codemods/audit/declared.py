"""What a file's component declares, asked the audit's questions.

The audit uses the project model the codemods decide by (``codemods.components``): each file
belongs to its *component*, the nearest enclosing directory holding dependency declarations
(``pyproject.toml``, ``setup.cfg``, ``setup.py``, requirement files, ``Pipfile``; read as data,
never run). A file's imports are checked against its own component's declarations only, never
against a set merged across a tree, so a monorepo's services each keep their own list.
"""

from __future__ import annotations

import os

from ..components.distributions import NAMESPACE_PREFIXES, provided_by
from ..components.index import Component
from ..components.locks import LOCK_FILES
from .environment import Environment

#: The declaration file a fix names first, when it declares something (at the component root).
PREFERRED_FILES = ("requirements.txt", "pyproject.toml", "setup.cfg", "setup.py", "Pipfile")

#: What the notes call the files that declare dependencies.
DECLARATION_KINDS = "requirements files, pyproject.toml, setup.cfg, setup.py, Pipfile"


def declares_anything(component: Component) -> bool:
    """Does the component have dependency declarations (a lock file alone is none)?"""
    return component.root is not None and component.declares


def declared_names(component: Component) -> frozenset[str]:
    """Normalised names of every distribution the component declares, whatever the role
    (required, an extra, a dependency group), and of the distribution it builds."""
    decl = component.declarations
    if decl is None or not declares_anything(component):
        return frozenset()
    names = {r.name for r in decl.requirements}
    if decl.project_name:
        names.add(decl.project_name)
    return frozenset(names)


def declares_module(component: Component, module: str, env: Environment) -> bool:
    """Does ``component`` declare a distribution that provides the dotted ``module``?

    ``components.distributions.provided_by`` decides (the built-in import-name table, namespace
    packages by their dotted path); for an ordinary top-level name, the distributions installed
    here that provide it count too (their metadata knows names the table does not). A namespace
    package's installed distributions are its siblings as well, so those are matched by path only.
    """
    names = declared_names(component)
    if not names:
        return False
    if provided_by(module, names):
        return True
    top = module.split(".")[0]
    return top not in NAMESPACE_PREFIXES and any(d in names for d in env.provided_by(top))


def incomplete(component: Component) -> str | None:
    """Why the component's declarations could not all be read as data; None when they could."""
    decl = component.declarations
    if decl is None or not declares_anything(component) or decl.complete:
        return None
    return decl.problems[0] if decl.problems else "some declarations could not be read"


def declaration_files(component: Component) -> tuple[str, ...]:
    """The declaration files read for the component (absolute; lock files and includes too),
    empty when it declares nothing."""
    decl = component.declarations
    if decl is None or not declares_anything(component):
        return ()
    return decl.files


def fix_file(component: Component) -> str | None:
    """The declaration file (absolute) a fix should name: ``requirements.txt``, then
    ``pyproject.toml``, ``setup.cfg``, ``setup.py``, ``Pipfile`` at the component root, first
    those that declare something; otherwise the first file any requirement comes from."""
    decl = component.declarations
    if decl is None or component.root is None or not declares_anything(component):
        return None
    # a requirement's source is "file (relative to the component root):line: text"
    sources = sorted({r.source.split(":", 1)[0] for r in decl.requirements})
    present = {os.path.relpath(f, component.root).replace(os.sep, "/") for f in decl.files}
    chosen = (
        next((n for n in PREFERRED_FILES if n in sources), None)
        or next((s for s in sources if os.path.basename(s) not in LOCK_FILES), None)
        or next((n for n in PREFERRED_FILES if n in present), None)
        or next((p for p in sorted(present) if os.path.basename(p) not in LOCK_FILES), None)
    )
    return None if chosen is None else os.path.join(component.root, chosen)
