"""Questions a codemod asks about a component, each answered from its declarations with the
declaration that decided it (for the skip report). Unknown is an answer of its own, and callers
must never treat it as "safe" (docs/decisions.md, "Components").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .declarations import Requirement
from .distributions import normalize, provided_by
from .index import Component
from .locks import LOCK_FILES

Status = Literal["required", "conditional", "optional", "group", "undeclared", "unknown"]


@dataclass(frozen=True)
class Dependency:
    """How the component depends on the distribution providing a module."""

    status: Status
    #: Why, naming the declaration (empty for ``required``): for skip reasons.
    reason: str = ""
    #: The distribution(s) the answer is about.
    distributions: tuple[str, ...] = ()


def dependency(component: Component, module: str) -> Dependency:
    """Is the distribution that provides ``module`` a required dependency of ``component``?"""
    top = module.split(".")[0]
    decl = component.declarations
    if component.root is None or decl is None or not component.declares:
        return Dependency(
            "unknown", "no dependency declarations were found for this file's component"
        )
    declared = {r.name for r in decl.requirements}
    names = provided_by(module, declared)
    own = decl.project_name is not None and normalize(top) == decl.project_name
    if not names:
        if own:
            return Dependency("required", distributions=(decl.project_name or "",))
        if not decl.complete:
            why = decl.problems[0] if decl.problems else "some declarations could not be read"
            return Dependency(
                "unknown", f"`{top}` is not among the dependencies that could be read ({why})"
            )
        files = (
            ", ".join(sorted({_short(r.source) for r in decl.requirements})) or "its declarations"
        )
        return Dependency(
            "undeclared",
            f"no distribution providing `{top}` is declared by the component ({files})",
        )
    found = [r for r in decl.requirements if r.name in names]
    required = [r for r in found if r.role == "required"]
    if any(r.marker is None for r in required):
        return Dependency("required", distributions=tuple(sorted(names)))
    if required:
        r = required[0]
        return Dependency(
            "conditional", f"`{r.name}` is required only where `{r.marker}` ({r.source})", (r.name,)
        )
    optional = [r for r in found if r.role == "optional"]
    if optional:
        r = optional[0]
        return Dependency(
            "optional",
            f"`{r.name}` is declared only under the extra `{r.group}` ({r.source})",
            (r.name,),
        )
    r = found[0]
    return Dependency(
        "group", f"`{r.name}` is declared only in the group `{r.group}` ({r.source})", (r.name,)
    )


def _short(source: str) -> str:
    return source.split(":", 1)[0]


@dataclass(frozen=True)
class Support:
    """Does every version of a distribution that the component allows have a feature?"""

    #: True: every allowed version has it; False: some allowed version lacks it; None: unknown.
    ok: bool | None
    #: The declaration (or lock entry) that decided, for messages.
    reason: str


def supports(component: Component, distribution: str, floor: str, feature: str) -> Support:
    """Do all versions of ``distribution`` the component allows reach ``floor`` (where
    ``feature`` appeared)? A lock file's exact version wins. Otherwise every declaration, in any
    file, role or environment (marker), must agree: an explicit lower bound below the floor says
    those versions are supported; a declaration without one installs the newest release its
    upper bound allows; a direct reference (URL, path, VCS) has an unknown version. Constraint
    files narrow each declaration, except where they carry a marker."""
    minimum = Version(floor)
    return _every_version(
        component,
        distribution,
        lambda version: version >= minimum,
        lambda text: _admits_only_newer(text, minimum),
        f"allows versions before {floor}, which lack {feature}",
    )


def below(component: Component, distribution: str, ceiling: str) -> Support:
    """Do all versions of ``distribution`` the component allows stay below ``ceiling`` (where a
    behaviour changed)? The mirror of :func:`supports`, by the same rules: a lock file's exact
    version wins; otherwise every declaration must have an upper bound at or below ``ceiling``
    (a declaration without one installs the newest release, which is not below it)."""
    limit = Version(ceiling)
    return _every_version(
        component,
        distribution,
        lambda version: version < limit,
        lambda text: _admits_only_older(text, limit),
        f"allows {ceiling} or later",
    )


def _every_version(
    component: Component,
    distribution: str,
    locked_ok: Callable[[Version], bool],
    range_ok: Callable[[str], bool | None],
    otherwise: str,
) -> Support:
    """Does every version the component allows pass: the locked one by ``locked_ok``, else each
    declaration's range (narrowed by the constraint files) by ``range_ok``? ``otherwise`` says
    why a declaration fails, after its source."""
    name = normalize(distribution)
    decl = component.declarations
    if decl is None or (not component.declares and not decl.locked):
        return Support(None, f"`{name}` is not declared (no dependency declarations were found)")
    found = [r for r in decl.requirements if r.name == name]
    locked = decl.locked.get(name)
    if locked is not None and os.path.basename(locked[1].split(":", 1)[0].split(" ", 1)[0]) in LOCK_FILES:
        version, source = locked
        try:
            ok = locked_ok(Version(version))
        except InvalidVersion:
            return Support(None, f"{source}: `{name}` {version} is not a version")
        declared = f", for {found[0].source}" if found else ""
        return Support(ok, f"{source}: {name} {version}{declared}")
    if not found:
        return Support(None, f"`{name}` is not declared by the component")
    narrowing = [s for c in decl.constraints if c.name == name and c.marker is None for s in c.specifier]
    for requirement in found:
        if requirement.direct:
            return Support(None, f"{requirement.source}: a direct reference, whose version is unknown")
        for alternative in requirement.specifier:
            verdict = range_ok(",".join(s for s in [alternative, *narrowing] if s))
            if verdict is None:
                return Support(None, f"{requirement.source}: cannot read the version range")
            if not verdict:
                return Support(False, f"{requirement.source} {otherwise}")
    return Support(True, found[0].source)


def _admits_only_older(text: str, ceiling: Version) -> bool | None:
    """Does the specifier set admit only versions < ``ceiling``: does one of its specifiers
    bound it from above below ``ceiling``?"""
    try:
        specifiers = list(SpecifierSet(text))
    except InvalidSpecifier:
        return None
    verdicts = [_under(s, ceiling) for s in specifiers]
    return True if True in verdicts else None if None in verdicts else False


def _under(spec: Specifier, ceiling: Version) -> bool | None:
    """Does ``spec`` alone admit only versions < ``ceiling`` (None: its version is unreadable)?"""
    op, text = spec.operator, spec.version
    if op in (">", ">=", "!="):
        return False
    try:
        if op == "==" and text.endswith(".*"):  # ``==0.110.*``: below 0.111
            release = Version(text[:-2]).release
            return Version(".".join(map(str, (*release[:-1], release[-1] + 1)))) <= ceiling
        version = Version(text)
    except InvalidVersion:
        return None
    if op == "~=":  # ``~=0.110.0``: below 0.111
        release = version.release[:-1]
        return Version(".".join(map(str, (*release[:-1], release[-1] + 1)))) <= ceiling
    return version <= ceiling if op == "<" else version < ceiling  # ``<=``, ``==``, ``===``


def _admits_only_newer(text: str, floor: Version) -> bool | None:
    """Does the specifier set admit only versions >= ``floor`` (by the rule of :func:`supports`)?"""
    try:
        specifiers = list(SpecifierSet(text))
    except InvalidSpecifier:
        return None
    lower = [b for s in specifiers if (b := _lower_bound(s)) is not None]
    if lower:
        return max(lower) >= floor
    for s in specifiers:  # no lower bound: the newest release the upper bounds allow
        try:
            bound = Version(s.version)
        except InvalidVersion:
            return None
        if (s.operator == "<" and bound <= floor) or (s.operator == "<=" and bound < floor):
            return False
    return True


def _lower_bound(spec: Specifier) -> Version | None:
    if spec.operator not in (">=", ">", "==", "~=", "==="):
        return None
    text = spec.version.removesuffix(".*")
    try:
        return Version(text)
    except InvalidVersion:
        return None


def python_floor(component: Component) -> Version | None:
    """The oldest Python the component declares it supports (None: not declared)."""
    decl = component.declarations
    if decl is None or not decl.requires_python:
        return None
    lowest: Version | None = None
    for alternative in decl.requires_python:
        try:
            bounds = [b for s in SpecifierSet(alternative) if (b := _lower_bound(s)) is not None]
        except InvalidSpecifier:
            return None
        if not bounds:
            return None  # no lower bound: any Python
        low = max(bounds)
        lowest = low if lowest is None or low < lowest else lowest
    return lowest


def declares_required(component: Component, distributions: Iterable[str]) -> bool:
    """Does the component declare one of ``distributions`` as a required, unconditional dependency?"""
    decl = component.declarations
    if decl is None:
        return False
    wanted = {normalize(d) for d in distributions}
    return any(
        r.name in wanted and r.role == "required" and r.marker is None for r in decl.requirements
    )


def _requirements(component: Component, name: str) -> list[Requirement]:
    decl = component.declarations
    return [r for r in decl.requirements if r.name == name] if decl is not None else []


def declares(component: Component, distribution: str) -> bool:
    """Does the component declare ``distribution`` at all (any role)?"""
    return bool(_requirements(component, normalize(distribution)))
