"""Nested routers (issue 19), run for real: an app whose routers include routers converts into
the app's lifespan with the same startup and shutdown sequence, and a router whose inclusions are
not all known stays as it is.

The "before" sequence is FastAPI < 0.112.2's (the rewrite is an unsafe fix where the component
allows a later release: ``test_runs_real.py``): ``include_router`` copied a router's
handlers onto the includer's lists (and a router included by a router was copied into it
first), so the app ran the whole tree flattened at the include positions. Each rewritten app is run three ways:

- on the installed FastAPI, against the emulated copy semantics (``old_include``, as in
  ``test_behaviour``);
- on real FastAPI 0.93.0 (the first release with ``lifespan=``) and 0.112.1 (the last that only
  copied), before and after the rewrite, with no emulation: the sequences must be equal;
- on real FastAPI 0.112.2, which also merges every router's default lifespan, so the unconverted
  app runs a sub-router's handlers three times; the rewritten app runs each once, in the
  contract's order (docs/decisions.md, "lifespan").

The virtualenvs come from ``tests/venvs.py`` (built once and cached, as for
``test_fastapi_versions``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from codemods.types import Options

from ...helpers import FIXTURES, case_options, run_tree, write_tree
from ...venvs import fastapi_venv, run_in_venv
from .test_behaviour import _LOGGING, HARNESS, _handler, run_app

CASES = FIXTURES / "lifespan"


def run_real(version: str, root: Path, module: str) -> list[str]:
    """The messages ``module``'s apps log, started and stopped on real FastAPI ``version``."""
    harness = root / "_harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    proc = run_in_venv(
        fastapi_venv(version), harness, root, args=[str(root), module, "0"], timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "error" not in result, f"{module} failed to import: {result['error']}\n{proc.stderr}"
    return [message for message, _on_loop in result["records"]]


def messages(records: list[tuple[str, bool | None]]) -> list[str]:
    return [message for message, _on_loop in records]


def handlers(sequence: list[str]) -> list[str]:
    return [m for m in sequence if not m.startswith("--")]


def pair(case: str, tmp_path: Path) -> tuple[Path, Path]:
    """The fixture's before and after, as importable trees (a single file is ``app_module``)."""
    before, after = tmp_path / "before", tmp_path / "after"
    if (CASES / case).is_dir():
        shutil.copytree(CASES / case / "before", before)
        shutil.copytree(CASES / case / "after", after)
    else:
        for directory, suffix in ((before, "before"), (after, "after")):
            directory.mkdir()
            shutil.copy(CASES / f"{case}.{suffix}.py", directory / "app_module.py")
            shutil.copy(CASES / "requirements.txt", directory)  # the versions the fixtures declare
    return before, after


NESTED = {
    # FastAPI's own router events test: app, router, sub-router, each with both handlers
    "router_nested": (
        "app_module",
        ["app startup", "router startup", "sub-router startup"],
        ["app shutdown", "router shutdown", "sub-router shutdown"],
    ),
    # the routers in another module, the app registering handlers before and after the include,
    # a router registering one after including its sub-router
    "router_nested_modules": (
        "shop.main",
        ["configured", "api pool opened", "items loaded", "api cache warmed", "ready"],
        ["logs flushed", "items dropped", "api pool closed", "disconnected"],
    ),
}


@pytest.mark.parametrize("case", sorted(NESTED))
def test_nested_routers_keep_the_sequence(case: str, tmp_path: Path) -> None:
    module, startup, shutdown = NESTED[case]
    before, after = pair(case, tmp_path)
    # the fixture's "after" is what the tool writes (the case's options, the declared versions:
    # `router_nested` allows FastAPI >= 0.112.2, where the move is an unsafe fix)
    rewritten = tmp_path / "rewritten"
    shutil.copytree(before, rewritten)
    options, _meta = case_options(CASES / case)
    run_tree(
        rewritten, Options(select=("lifespan",), unsafe_fixes=options.unsafe_fixes), write=True
    )
    for path in after.rglob("*.py"):
        assert (rewritten / path.relative_to(after)).read_text() == path.read_text(), path
    expected = messages(run_app(before, module, after=False, old_include=True))
    assert handlers(expected) == startup + shutdown
    assert expected.index("-- serving") == 1 + len(startup)
    # the rewritten app on today's FastAPI, no deprecated event API left
    assert messages(run_app(after, module, after=True)) == expected
    for version in ("0.93.0", "0.112.1"):
        assert run_real(version, before, module) == expected, version
        assert run_real(version, after, module) == expected, version


def test_fastapi_0_112_2_ran_nested_handlers_several_times(tmp_path: Path) -> None:
    """Documented, not kept: the merged default lifespans of the routers ran their handlers
    again (the sub-router's three times); the rewritten app runs each handler once."""
    before, after = pair("router_nested", tmp_path)
    old = handlers(run_real("0.112.2", before, "app_module"))
    assert old.count("sub-router startup") == 3 and old.count("router startup") == 2
    startup, shutdown = NESTED["router_nested"][1:]
    assert handlers(run_real("0.112.2", after, "app_module")) == startup + shutdown


# -- item 2: a router whose inclusions are not all known ----------------------------------------

UNKNOWN = {
    # a nested router also included by a loop (not a module-level statement), before the app's
    # handler: [rs, a, rs]; with router lifespans the rewrite made it [a, rs, rs]
    "included again by a loop": (
        "rs = APIRouter()\nouter = APIRouter()\napp = FastAPI()\n"
        + _handler("rs", "startup", "rs_start")
        + "\n\nfor router in (rs,):\n    app.include_router(router)\n"
        + _handler("app", "startup", "a")
        + "\n\nouter.include_router(rs)\napp.include_router(outer)\n",
        ["rs_start", "a", "rs_start"],
    ),
    # an app built in a function includes the router too: moving its handler into `app` left
    # `build()`'s app without it
    "included by an app built in a function": (
        "rs = APIRouter()\napp = FastAPI()\n"
        + _handler("rs", "startup", "rs_start")
        + "\n\napp.include_router(rs)\n\n\ndef build():\n    other = FastAPI()\n"
        + "    other.include_router(rs)\n    return other\n\n\nsecond = build()\n",
        ["rs_start", "rs_start"],
    ),
    # the app includes the router through a loop only: its `lifespan=` made the copied handler
    # dead on FastAPI 0.93-0.112.1
    "included only by a loop": (
        "rs = APIRouter()\napp = FastAPI()\n"
        + _handler("app", "startup", "a")
        + _handler("rs", "startup", "rs_start")
        + "\n\nfor router in (rs,):\n    app.include_router(router)\n",
        ["a", "rs_start"],
    ),
}


@pytest.mark.parametrize("target", [None, (0, 112, 2)], ids=["declared", "target-0.112.2"])
@pytest.mark.parametrize("case", sorted(UNKNOWN))
def test_a_router_included_where_the_analysis_cannot_see_is_left_alone(
    case: str, target: tuple[int, ...] | None, tmp_path: Path
) -> None:
    source, sequence = UNKNOWN[case]
    write_tree(tmp_path, {"requirements.txt": "fastapi>=0.100\n"})
    module = tmp_path / "app_module.py"
    module.write_text(_LOGGING + source, encoding="utf-8")
    result = run_tree(tmp_path, Options(select=("lifespan",), target_fastapi=target), write=True)
    assert not result["app_module.py"].changed, module.read_text(encoding="utf-8")
    reasons = " | ".join(s.reason for s in result["app_module.py"].skips)
    assert "`rs` not converted" in reasons and "not as the router of a module-level" in reasons
    assert (
        handlers(messages(run_app(tmp_path, "app_module", after=False, old_include=True)))
        == sequence
    )
    for version in ("0.93.0", "0.112.1"):
        assert handlers(run_real(version, tmp_path, "app_module")) == sequence, version
