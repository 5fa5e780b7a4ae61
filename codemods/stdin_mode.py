"""``codemod apply -``: one source text from stdin, transformed where a crash cannot lose it.

With ``codemod apply - < f.py | sponge f.py`` whatever reaches stdout replaces the file, so stdout
always carries a whole program: the new source, or the input unchanged when anything fails. The
transform runs in a child process (:mod:`codemods.isolation`), so a crash in libcst's native
parser kills only the child while this process still holds the input; it is reported as an
``internal`` error.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .api import component_facts
from .base import Codemod
from .engine import GENERATED, changed_result, is_generated
from .io import SourceError, decode_faithful, encode_source
from .isolation import transform_isolated
from .per_file import applicable
from .types import Failure, FileResult, Options


def process(
    raw: bytes,
    shown: str,
    codemods: Sequence[type[Codemod]],
    options: Options,
    filename: str | None,
) -> tuple[FileResult, bytes]:
    """The result for the source ``raw``, and what apply mode prints: the new source, or ``raw``
    itself whenever nothing changed or anything failed. Never raises an :class:`Exception`."""
    try:
        text, encoding = decode_faithful(raw)
    except SourceError as exc:
        return FileResult(shown, failure=Failure(exc.stage, exc.message)), raw
    try:
        if not options.include_generated and is_generated(text):
            return FileResult(shown, encoding=encoding, skipped=GENERATED), raw
        project = component_facts(Path(filename)) if filename else None
        codemods = applicable(codemods, options, Path(filename) if filename else None)
        outcome = transform_isolated(text, codemods, options, project)
        if isinstance(outcome, Failure):
            return FileResult(shown, failure=outcome, encoding=encoding), raw
        if outcome.code == text:
            return FileResult(shown, outcome.changes, outcome.skips, encoding=encoding), raw
        result = changed_result(shown, text, outcome, encoding)
        return result, raw if result.failure else encode_source(outcome.code, encoding)
    except Exception as exc:
        return FileResult(shown, failure=Failure("internal", f"{type(exc).__name__}: {exc}")), raw
