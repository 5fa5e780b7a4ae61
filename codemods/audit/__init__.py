"""``codemod audit``: a risk-ranked report of what endangers a FastAPI/Starlette app at startup
and at runtime, with the codemod (or manual step) that fixes each finding.

Public API: :func:`audit_paths` -> :class:`AuditReport`; renderers in :mod:`.render`; the click
command ``audit`` in :mod:`.cli`.
"""

from __future__ import annotations

from .core import audit_paths
from .environment import Environment, current_environment, fixed_environment
from .model import AuditReport, FileError, Finding, Risk

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
