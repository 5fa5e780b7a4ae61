"""``codemod audit``: a risk-ranked report of what endangers a FastAPI/Starlette app at startup
and at runtime, with the codemod (or manual step) that fixes each finding.

Public API: :func:`audit_paths` -> :class:`AuditReport`; renderers in :mod:`.render`; the click
command ``audit`` in :mod:`.cli`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import audit_paths
    from .environment import Environment, current_environment, fixed_environment
    from .model import AuditReport, FileError, Finding, Risk

#: each public name's module: imported when first used, so ``codemod audit --help`` (which
#: imports :mod:`.cli`) imports no libcst
_LAZY = {
    "audit_paths": "core",
    "Environment": "environment",
    "current_environment": "environment",
    "fixed_environment": "environment",
    "AuditReport": "model",
    "FileError": "model",
    "Finding": "model",
    "Risk": "model",
}

__all__ = [
    "AuditReport",
    "Environment",
    "FileError",
    "Finding",
    "Risk",
    "audit_paths",
    "current_environment",
    "fixed_environment",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
