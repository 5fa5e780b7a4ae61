"""The run header every report carries, and the shape of a reporter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..base import Codemod
from ..types import FileResult, Options


@dataclass(frozen=True)
class RunInfo:
    """The run header every report carries."""

    command: str
    argv: tuple[str, ...]
    config: str | None
    options: Options
    codemods: tuple[str, ...]


Reporter = Callable[[RunInfo, Sequence[FileResult], Sequence[type[Codemod]]], str]
