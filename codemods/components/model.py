"""The value types of a component's declarations (frozen, picklable dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: How a requirement is needed: always (``required``), by an extra (``optional``), or by a
#: development, test or documentation group (``group``).
Role = Literal["required", "optional", "group"]

#: Role strength: an entry reached in several ways takes the strongest role.
ROLE_RANK: Mapping[Role, int] = {"required": 2, "optional": 1, "group": 0}


@dataclass(frozen=True)
class Requirement:
    """One declared (or constrained) distribution, as written in one place."""

    #: PEP 503-normalised distribution name.
    name: str
    #: PEP 440 specifier sets, one per alternative (usually one); ``("",)`` means any version.
    specifier: tuple[str, ...]
    #: Environment marker text; ``None`` when unconditional.
    marker: str | None
    role: Role
    #: The extra, dependency group or requirements-file group; ``None`` when ``required``.
    group: str | None
    #: For messages: the file (relative to the component root) and what was written there,
    #: e.g. ``'requirements.txt:3: fastapi==0.88.0'``.
    source: str
    #: A direct reference (a URL, a path, a VCS checkout): its version is unknown.
    direct: bool = False


@dataclass(frozen=True)
class Declarations:
    """Everything one component declares, and how far it could be read."""

    #: The absolute component directory (symlinks resolved).
    root: str
    #: Every file read (absolute, symlinks resolved, sorted): lock files and includes too.
    files: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    #: From ``-c`` files: they narrow versions and declare nothing.
    constraints: tuple[Requirement, ...] = ()
    #: Normalised name -> (exact version, source), from lock files and exact pins.
    locked: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: ``Requires-Python`` specifier alternatives; ``None`` when not declared.
    requires_python: tuple[str, ...] | None = None
    requires_python_source: str | None = None
    #: False when something could not be read as data (``problems`` says what).
    complete: bool = True
    problems: tuple[str, ...] = ()
    #: Absolute import roots the build configuration names (``src`` layouts).
    package_roots: tuple[str, ...] = ()
    #: Normalised name of the distribution this component builds.
    project_name: str | None = None
