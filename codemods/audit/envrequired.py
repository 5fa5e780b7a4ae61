"""Which variables a project requires, from every module's :class:`~.envvars.EnvFacts`.

A variable is *required* when some read is ``unchecked``/``late-check`` and no read anywhere
gives it a default, treats it as optional, checks it at startup or may take it from a dotenv
file (``envvars``' statuses). Shared by ``codemod audit`` and the ``startup-checks`` codemod.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .envvars import EnvFacts, EnvRead

#: Statuses that say the app runs, or starts, without the variable in ``os.environ``.
_NOT_REQUIRED = frozenset({"default", "optional", "startup", "dotenv"})
_MISSING_FAILS = frozenset({"unchecked", "late-check"})

Sites = dict[str, list[tuple[str, EnvRead]]]


@dataclass(frozen=True)
class RequiredVar:
    """A required variable and where it is read: ``(module, line, how)`` triples."""

    name: str
    sites: tuple[tuple[str, int, str], ...]


def env_sites(per_module: Mapping[str, EnvFacts]) -> Sites:
    """Every read of every variable, ``(module, read)`` by variable name; settings fields with
    their combined status (built at import: ``startup``; else may read a dotenv file:
    ``dotenv``)."""
    built = {name for facts in per_module.values() for name in facts.import_time_calls}
    from_files = {name for facts in per_module.values() for name in facts.dotenv_calls}
    sites: Sites = {}
    for module, facts in sorted(per_module.items()):
        for read in facts.reads:
            sites.setdefault(read.name, []).append((module, read))
        for cls, fields in facts.settings:
            for read in fields:
                # built at import, it fails there already; a settings class that may read a
                # dotenv file is never required from os.environ
                status = "unchecked"
                if cls in built:
                    status = "startup"
                elif read.status == "dotenv" or cls in from_files:
                    status = "dotenv"
                sites.setdefault(read.name, []).append(
                    (module, EnvRead(read.name, read.line, read.how, status))
                )
    return sites


def required_vars(per_module: Mapping[str, EnvFacts], *, include_own: bool) -> list[RequiredVar]:
    """The required variables of a project, sorted by name.

    ``include_own=False`` (the audit) drops variables the ``startup-checks`` codemod's check
    already covers; the codemod itself passes True so that its check stays stable.
    """
    sites = env_sites(per_module)
    own = {name for facts in per_module.values() for name in facts.own_checked}
    required = []
    for name in sorted(sites):
        statuses = {read.status for _, read in sites[name]}
        if statuses & _NOT_REQUIRED or not statuses & _MISSING_FAILS:
            continue
        if not include_own and name in own:
            continue
        located = tuple(sorted((m, r.line, r.how) for m, r in sites[name]))
        required.append(RequiredVar(name, located))
    return required


def dotenv_backed(per_module: Mapping[str, EnvFacts]) -> dict[str, tuple[tuple[str, EnvRead], ...]]:
    """Variables that are not required only because a settings class may read them from a dotenv
    file or a secrets directory: no read gives a default, treats them as optional or checks them
    at startup. Name -> the settings fields ``(module, read)`` that may read them from a file."""
    found = {}
    for name, sites in sorted(env_sites(per_module).items()):
        statuses = {read.status for _, read in sites}
        if "dotenv" in statuses and not statuses & (_NOT_REQUIRED - {"dotenv"}):
            found[name] = tuple(sorted((m, r) for m, r in sites if r.status == "dotenv"))
    return found


def names(required: Iterable[RequiredVar]) -> tuple[str, ...]:
    return tuple(r.name for r in required)
