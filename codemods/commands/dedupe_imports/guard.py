"""Import guards for ``dedupe-imports``: a ``try`` (or ``with suppress(...)``) whose handler may
catch the ``ImportError`` of an import in its body. Such an import checks that an optional
dependency is installed; it is never a duplicate, whatever else imports the module.

A handler counts when it may catch ``ImportError``: a bare ``except:``; ``ImportError``,
``ModuleNotFoundError``, ``Exception`` or ``BaseException``; a tuple holding one of them; and any
expression that is not a built-in exception class (``except OPTIONAL_ERRORS:`` may be one of
them). Only a handler naming built-in classes that cannot catch an ``ImportError``
(``except (KeyError, OSError):``) does not make the ``try`` a guard.
"""

from __future__ import annotations

import builtins

import libcst as cst
from libcst.helpers import get_full_name_for_node


def _may_catch_import_error(node: cst.BaseExpression | None) -> bool:
    if node is None:
        return True
    if isinstance(node, cst.Tuple):
        return any(_may_catch_import_error(e.value) for e in node.elements)
    name = get_full_name_for_node(node)
    if name is None:
        return True
    name = name.removeprefix("builtins.")
    value = getattr(builtins, name, None) if "." not in name else None
    if not (isinstance(value, type) and issubclass(value, BaseException)):
        return True  # not a built-in exception class: unknown, so it may
    return issubclass(ImportError, value) or issubclass(ModuleNotFoundError, value)


def guards_imports(node: cst.Try | cst.TryStar) -> bool:
    """Does a handler of ``node`` catch (or may it catch) an ``ImportError`` of its body?"""
    return any(_may_catch_import_error(h.type) for h in node.handlers)


def suppresses_imports(node: cst.With) -> bool:
    """``with suppress(ImportError):`` (``contextlib.suppress`` under any spelling)."""
    for item in node.items:
        call = item.item
        if not isinstance(call, cst.Call):
            continue
        name = get_full_name_for_node(call.func) or ""
        if name.split(".")[-1] != "suppress":
            continue
        if not call.args or any(_may_catch_import_error(a.value) for a in call.args):
            return True
    return False
