"""Helpers for values read from TOML documents (``tomllib``'s plain dicts and lists)."""

from __future__ import annotations

import json
import re
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def table(value: object) -> dict[str, Any]:
    """``value`` when it is a TOML table, else an empty one."""
    return value if isinstance(value, dict) else {}


def toml_inline(value: object) -> str:
    """``value`` written back as inline TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{k if _BARE_KEY.fullmatch(k) else json.dumps(k)} = {toml_inline(v)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    return str(value)
