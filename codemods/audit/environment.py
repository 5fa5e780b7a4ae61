"""What a Python environment has installed, and how import names map to distributions.

:func:`current_environment` is the Python running codemod; :mod:`.envprobe` asks another
interpreter (``codemod audit --python``).

Security rule: nothing here imports the analysed code. ``importlib.util.find_spec`` is called only
on *top-level* names (a dotted name would import its parent package) that the caller has already
classified as neither standard library nor first party; finding a spec for a top-level name runs
no module code.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from ..components.distributions import KNOWN_DISTRIBUTIONS as KNOWN_DISTRIBUTIONS
from ..components.distributions import NAMESPACE_PREFIXES as NAMESPACE_PREFIXES
from ..components.distributions import normalize as normalize
from ..components.distributions import requirement_name as requirement_name
from ..components.modules import REMOVED_STDLIB as REMOVED_STDLIB
from .model import CheckedEnvironment


@dataclass(frozen=True)
class Environment:
    """The facts about the Python environment the audit relies on (injectable for tests)."""

    #: (major, minor) of the interpreter whose environment this is.
    python: tuple[int, int]
    #: Top-level import name -> is a module of that name importable here?
    installed: Callable[[str], bool]
    #: Top-level import name -> normalised names of the installed distributions providing it.
    provided_by: Callable[[str], tuple[str, ...]]
    #: Normalised distribution name -> normalised names of what it requires (no extras).
    requires: Callable[[str], tuple[str, ...]] = field(default=lambda _name: ())
    #: Which environment this is, for the report (``None``: a described one).
    checked: CheckedEnvironment | None = None
    #: Told every top-level name :attr:`installed` may be asked about, before it is asked: an
    #: environment that answers from another process looks them all up at once.
    prefetch: Callable[[Iterable[str]], None] = field(default=lambda _names: None)

    def describe(self) -> CheckedEnvironment:
        return self.checked or CheckedEnvironment("described", f"{self.python[0]}.{self.python[1]}")

    def distributions(self, top: str) -> tuple[str, ...]:
        """Distributions that may provide import name ``top``: installed metadata first, then
        the built-in table, then the import name itself."""
        found = self.provided_by(top)
        if found:
            return found
        known = KNOWN_DISTRIBUTIONS.get(top)
        if known:
            return tuple(normalize(n) for n in known)
        return (normalize(top),)

    def closure(self, roots: Iterable[str]) -> frozenset[str]:
        """Every distribution that installing ``roots`` brings in (as far as metadata tells)."""
        seen: set[str] = set()
        stack = [normalize(r) for r in roots]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self.requires(name))
        return frozenset(seen)


def _find_spec_installed(top: str) -> bool:
    if "." in top or not top.isidentifier():
        return False
    if top in sys.modules:
        return True
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError, AttributeError):
        return False


@cache
def _packages_distributions() -> Mapping[str, tuple[str, ...]]:
    mapping = importlib.metadata.packages_distributions()
    return {k: tuple(dict.fromkeys(normalize(d) for d in v)) for k, v in mapping.items()}


@cache
def _requires(dist: str) -> tuple[str, ...]:
    try:
        return requirement_names(importlib.metadata.requires(dist) or [])
    except importlib.metadata.PackageNotFoundError:
        return ()


def requirement_names(requirements: Iterable[str]) -> tuple[str, ...]:
    """The normalised names of a distribution's requirement strings, extras left out."""
    names = []
    for req in requirements:
        if "extra" in req.partition(";")[2]:
            continue
        name = requirement_name(req)
        if name:
            names.append(name)
    return tuple(names)


def current_environment() -> Environment:
    """The environment of the Python running this process."""
    return Environment(
        python=(sys.version_info.major, sys.version_info.minor),
        installed=_find_spec_installed,
        provided_by=lambda top: _packages_distributions().get(top, ()),
        requires=_requires,
        checked=CheckedEnvironment(
            "codemod", ".".join(map(str, sys.version_info[:3])), sys.executable or None
        ),
    )


def fixed_environment(
    python: tuple[int, int],
    distributions: Mapping[str, Iterable[str]],
    requires: Mapping[str, Iterable[str]] | None = None,
) -> Environment:
    """An environment described by data: ``distributions`` maps each installed top-level import
    name to its distributions; ``requires`` maps distributions to their requirements."""
    dists = {k: tuple(normalize(d) for d in v) for k, v in distributions.items()}
    reqs = {normalize(k): tuple(normalize(d) for d in v) for k, v in (requires or {}).items()}
    return Environment(
        python=python,
        installed=lambda top: top in dists,
        provided_by=lambda top: dists.get(top, ()),
        requires=lambda name: reqs.get(name, ()),
    )
