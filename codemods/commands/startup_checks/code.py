"""The code ``startup-checks`` writes: its check statements, recognising its own check on a later
run, and the ``lifespan=`` argument it adds to an app's constructor call."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import TypeAlias

import libcst as cst

from ...audit.astutil import Aliases
from ...audit.envvars import own_check

MESSAGE = "missing required environment variables: "
_OS = Aliases(ast.parse("import os"))
Statement: TypeAlias = cst.SimpleStatementLine | cst.BaseCompoundStatement


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def own_names(code: str) -> list[str] | None:
    """The names of a ``startup-checks`` check statement, or None if it is not one."""
    try:
        tree = ast.parse(code.strip())
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return None
    found = own_check(tree.body[0], _OS)
    return found or None


def own_target(stmt: cst.BaseStatement) -> str:
    line = cst.ensure_type(stmt, cst.SimpleStatementLine)
    assign = cst.ensure_type(line.body[0], cst.Assign)
    return cst.ensure_type(assign.targets[0].target, cst.Name).value


def check_assign(target: str, required: Sequence[str]) -> cst.BaseSmallStatement:
    return cst.ensure_type(check_statements(target, required)[0], cst.SimpleStatementLine).body[0]


def check_statements(target: str, required: Sequence[str]) -> list[Statement]:
    literals = [json.dumps(n) for n in required]
    items = ", ".join(literals) + ("," if len(literals) == 1 else "")
    one_line = f"{target} = [name for name in ({items}) if name not in os.environ]"
    if len(one_line) <= 92:
        assign = one_line
    else:
        tuple_line = f"    for name in ({items})"
        if len(tuple_line) > 92:
            inner = "".join(f"        {lit},\n" for lit in literals)
            tuple_line = f"    for name in (\n{inner}    )"
        assign = f"{target} = [\n    name\n{tuple_line}\n    if name not in os.environ\n]"
    raise_stmt = f'if {target}:\n    raise RuntimeError("{MESSAGE}" + ", ".join({target}))\n'
    return [cst.parse_statement(assign + "\n"), cst.parse_statement(raise_stmt)]


def free_name(base: str, func: cst.FunctionDef, module: cst.Module) -> str:
    code = module.code_for_node(func)
    used = set(re.findall(r"\b_missing\w*\b", code))
    if base not in used:
        return base
    return next(f"{base}_env{i or ''}" for i in range(100) if f"{base}_env{i or ''}" not in used)


def app_call(stmt: cst.BaseStatement) -> cst.Call | None:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    value = small.value if isinstance(small, cst.Assign | cst.AnnAssign) else None
    if not isinstance(value, cst.Call) or any(a.star for a in value.args):
        return None
    return value


def with_lifespan(call: cst.Call, name: str) -> cst.Call:
    new_arg = cst.Arg(
        value=cst.Name(name),
        keyword=cst.Name("lifespan"),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new_arg])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: the new argument goes on its own line
        args[-1] = last.with_changes(
            comma=last.comma.with_changes(whitespace_after=call.whitespace_before_args)
        )
        args.append(new_arg.with_changes(comma=last.comma))
    else:
        space = call.whitespace_before_args
        after = (
            space if isinstance(space, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
        )
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=after), whitespace_after_arg=cst.SimpleWhitespace("")
        )
        args.append(new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call.with_changes(args=args)
