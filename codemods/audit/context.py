"""What every part of the analysis reads: scans, project facts, environment, codemod results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..components.index import Component
from ..project import ModuleInfo, ProjectFacts
from .codemod_pass import CodemodSite
from .environment import Environment
from .scan import ModuleScan


@dataclass
class AuditContext:
    env: Environment
    #: The run-level facts: ask :meth:`view` for a file's own component view.
    project: ProjectFacts
    #: The audit base (resolved): paths and component roots are shown relative to it.
    base: str
    #: resolved path -> scan, for the files being audited
    scans: dict[str, ModuleScan]
    #: resolved path -> scan, including first-party modules followed outside the given paths
    all_scans: dict[str, ModuleScan]
    infos: dict[str, ModuleInfo]
    #: resolved path -> the path shown in the report
    display: Callable[[str], str]
    #: resolved path -> what the codemods would fix or skip there
    sites: dict[str, tuple[CodemodSite, ...]] = field(default_factory=dict)
    #: ids of the codemods that ran
    ran: tuple[str, ...] = ()
    #: Oldest Python the project supports (``target-version``), if configured.
    target_version: tuple[int, int] | None = None
    used: set[tuple[str, CodemodSite]] = field(default_factory=set)

    def site(
        self, path: str, codemod: str, lines: range, kinds: tuple[str, ...] = ("change", "skip")
    ) -> CodemodSite | None:
        """The first site ``codemod`` reported on ``lines`` of ``path`` (changes before skips);
        marks it used so it is not reported a second time."""
        candidates = [
            s
            for s in self.sites.get(path, ())
            if s.codemod == codemod and s.line in lines and s.kind in kinds
        ]
        candidates.sort(key=lambda s: (s.kind != "change", s.line))
        for found in candidates:
            self.used.add((path, found))
        return candidates[0] if candidates else None

    def unused_sites(self) -> list[tuple[str, CodemodSite]]:
        return [
            (path, s)
            for path, sites in sorted(self.sites.items())
            for s in sites
            if (path, s) not in self.used
        ]

    def runs_on(self, version: tuple[int, int]) -> bool:
        """Does this environment, or the oldest Python the project supports, reach ``version``?"""
        return self.env.python >= version or (self.target_version or (0, 0)) >= version

    def view(self, path: str) -> ProjectFacts:
        """The facts of the component ``path`` belongs to: its modules, import graph and
        first-party names (two services that both have an ``app.main`` never mix)."""
        return self.project.view_for(path)

    def component(self, path: str) -> Component:
        return self.view(path).component

    def component_label(self, path: str) -> str:
        """The component of ``path`` for the report: its root relative to the audit base (``.``
        for the base itself), ``(no component)`` when no component encloses the file."""
        return self.component(path).describe(self.base)

    def module_name(self, path: str) -> str:
        info = self.infos.get(path)
        return info.name if info else ""
