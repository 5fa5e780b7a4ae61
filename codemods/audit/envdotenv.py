"""Where pydantic settings or ``python-dotenv`` may set a variable that ``os.environ`` lacks.

A ``BaseSettings`` class with ``env_file``/``secrets_dir`` (``model_config`` or ``class Config``,
its own or a base's of the module), or built with ``_env_file=``/``_secrets_dir=`` (or ``**``
arguments) anywhere in the project, may fill a required field from a dotenv file or a secrets
directory: ``os.environ`` is not where its value surely comes from, so ``startup-checks`` does not
require it. A ``load_dotenv()`` call inside a function may set variables after the startup check
ran; one at module level runs at import, before the check, and is fine.
"""

from __future__ import annotations

import ast

from .astutil import Aliases, str_constant

_DOTENV_KEYS = frozenset({"env_file", "secrets_dir"})
_CALL_KEYS = frozenset({"_env_file", "_secrets_dir"})
_LOADERS = frozenset({"dotenv.load_dotenv", "dotenv.main.load_dotenv"})


def reads_dotenv(cls: ast.ClassDef) -> bool:
    """Does ``cls``'s own configuration name a dotenv file or secrets directory (or hide it)?"""
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            named = any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets)
            if named and (stmt.value is None or _config_reads_dotenv(stmt.value)):
                return True
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                targets = inner.targets if isinstance(inner, ast.Assign) else []
                if isinstance(inner, ast.AnnAssign):
                    targets = [inner.target]
                if any(isinstance(t, ast.Name) and t.id in _DOTENV_KEYS for t in targets):
                    return True
    return False


def _config_reads_dotenv(value: ast.expr) -> bool:
    if isinstance(value, ast.Call):
        return any(k.arg is None or k.arg in _DOTENV_KEYS for k in value.keywords) or bool(
            value.args
        )
    if isinstance(value, ast.Dict):
        return any(k is None or str_constant(k) in _DOTENV_KEYS for k in value.keys)
    return True  # a name or an expression: what it holds is unknown


def dotenv_callees(node: ast.Call) -> str | None:
    """The called name when ``node`` passes ``_env_file=``/``_secrets_dir=`` or ``**``."""
    if not any(k.arg is None or k.arg in _CALL_KEYS for k in node.keywords):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def is_load_dotenv(node: ast.Call, aliases: Aliases) -> bool:
    return aliases.qualify(node.func) in _LOADERS


def env_prefix(cls: ast.ClassDef) -> str:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets
        ):
            value = stmt.value
            if isinstance(value, ast.Call):
                for keyword in value.keywords:
                    if (
                        keyword.arg == "env_prefix"
                        and (prefix := str_constant(keyword.value)) is not None
                    ):
                        return prefix
            if isinstance(value, ast.Dict):
                for key, item in zip(value.keys, value.values, strict=True):
                    if (
                        str_constant(key) == "env_prefix"
                        and (prefix := str_constant(item)) is not None
                    ):
                        return prefix
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if (
                    isinstance(inner, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "env_prefix" for t in inner.targets)
                    and (prefix := str_constant(inner.value)) is not None
                ):
                    return prefix
    return ""
