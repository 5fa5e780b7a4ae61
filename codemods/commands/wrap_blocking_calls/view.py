"""What ``wrap-blocking-calls`` may conclude from *other* files (who imports a file, star-imports
it, or names its attributes in a string).

The view's files are judged by their gathered facts. Every other file of the component must be
shown not to name the module (:mod:`codemods.mentions`): a run given one file, a subset of the
project, or a project with excluded files can then still prove the module has no importer
outside the view (for a file in no component: under the directory its module name starts
from). A file read alone (stdin, no gather), or an unparsable file in the view: unknown.
"""

from __future__ import annotations

import os

from ... import mentions
from ...facts import ProjectFacts, resolved


def outside_mentions(path: str | None, project: ProjectFacts) -> frozenset[str] | None:
    """The files of the component, outside the view, that name the module at ``path`` (they
    may import it); None when that is unknown."""
    if not path:
        return None
    own = resolved(path)
    info = project.by_path.get(own)
    if info is None or own not in project.resolutions or project.opaque_paths or project.opaque:
        return None
    scan = scan_for(path, project)
    if scan.files is None or scan.files:
        scan.asked.add(own)
    return scan.mentioning(mentions.word(info.name.rpartition(".")[2]))


def read_outside(path: str | None, project: ProjectFacts) -> bool:
    """Did a decision about the file at ``path`` read files outside the view (so its result
    must not be cached under keys made of the view's files)?"""
    if not path or resolved(path) not in project.resolutions:
        return False
    scan = mentions.made(project, _root(path, project))  # no question asked: no scan made
    return scan is not None and resolved(path) in scan.asked


def scan_for(path: str, project: ProjectFacts) -> mentions.Scan:
    """The files that may import the file at ``path`` and that the view does not hold."""
    return mentions.scan(project, _root(path, project))


def _root(path: str, project: ProjectFacts) -> str:
    """Where the files that may import the file at ``path`` are: its component, or for a file
    in no component (no declarations, no repository) the root its module name starts from."""
    root = project.component.root
    if root is None:
        info = project.by_path.get(resolved(path))
        root = info.root if info is not None and info.root else os.path.dirname(resolved(path))
    return root


def importers_known(path: str | None, project: ProjectFacts) -> bool:
    """Are all the files that may import the file at ``path`` in the view (so its facts tell
    which do)?"""
    outside = outside_mentions(path, project)
    return outside is not None and not outside


def importers(path: str, project: ProjectFacts) -> list[str]:
    """The files of the view that import the file at ``path`` (or may: an ambiguous name)."""
    own = resolved(path)
    return [
        other
        for other, table in project.resolutions.items()
        if other != own and any(f.path == own or own in f.ambiguous for f in table.values())
    ]
