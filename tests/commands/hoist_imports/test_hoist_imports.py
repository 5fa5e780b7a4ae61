"""``hoist-imports``: no-ops first, then moves, placement, comments, skips, the project-wide
cycle checks, the prefilter, and real programs run before and after the rewrite."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from codemods.commands.hoist_imports import Command
from codemods.engine import transform_source
from codemods.project import ModuleInfo, gather_project
from codemods.types import Options, Safety

from ...helpers import (
    DECLARED,
    FIXTURES,
    assert_codemod,
    dedent,
    run,
    run_python,
    run_tree,
    write_tree,
)

ID = "hoist-imports"

NOOPS = {
    "no imports": "x = 1\n",
    "module level only": "import os\nfrom json import dumps\n\n\ndef f():\n    return dumps(os.sep)\n",
    "already hoisted": """
        import json


        async def handler():
            return json.dumps({})
        """,
    "lazy import outside any function": """
        if True:
            import json
        """,
}


@pytest.mark.parametrize("code", NOOPS.values(), ids=NOOPS.keys())
def test_noop(code: str) -> None:
    result = assert_codemod(ID, code)
    assert not result.changes


SKIPS = {
    "star import": ("def f():\n    from os.path import *\n    return join\n", "star import"),
    "future import": ("def f():\n    from __future__ import annotations\n", "`__future__` import"),
    "relative import, module unknown": (
        "def f():\n    from .models import User\n    return User\n",
        "relative import in a file whose module is unknown",
    ),
    "bare noqa": (
        "def f():\n    import json  # noqa\n    return json\n",
        "kept by `# noqa: PLC0415`",
    ),
    "noqa with other codes": (
        "def f():\n    import json  # noqa: E402, PLC0415\n    return json\n",
        "kept by `# noqa: PLC0415`",
    ),
    "later identical import": (
        "import os\n\n\ndef f():\n    from b import g\n    return g()\n\n\nfrom b import g\n",
        "`g` is already imported at module level further down (line 9)",
    ),
    "module star import": (
        "from helpers import *\n\n\ndef f():\n    import json\n    return json\n",
        "`from helpers import *` (line 1) may bind `json` too",
    ),
    "state set up in the function": (
        "def f():\n    if DEBUG:\n        sys.modules.pop('cfg', None)\n    import cfg\n    return cfg\n",
        "runs after `sys.modules.pop`, which it may depend on",
    ),
    "monkey patching first": (
        "def f():\n    monkey.patch_all()\n    import requests\n    return requests\n",
        "runs after `monkey.patch_all()`",
    ),
    "matplotlib backend": (
        "def plot():\n    matplotlib.use('Agg')\n    import seaborn\n    return seaborn\n",
        "runs after `matplotlib.use('Agg')`",
    ),
    "name in an enclosing function": (
        "def outer(json):\n    def inner():\n        import json\n        return json\n    return inner\n",
        "`json` is also bound in the enclosing function `outer`",
    ),
    "dotted platform module": (
        "def f():\n    from asyncio import windows_events\n    return windows_events\n",
        "`asyncio.windows_events` is a platform-only module",
    ),
    # pyflakes (ruff F) findings the module-level import would get from other scopes
    "loop variable in another function": (
        "def f():\n    from os.path import sep\n    return sep\n\n\nasync def g(x):\n    async for a, sep in x:\n        print(sep)\n",
        "`sep` is a loop variable in function `g` (line 7): at module level the import would be shadowed by it (pyflakes F402)",
    ),
    "loop variable in a class body": (
        "def f():\n    import os\n    return os\n\n\nclass C:\n    for os in ():\n        pass\n",
        "`os` is a loop variable in class `C` (line 7)",
    ),
    # an unused import stays for its side effects (issue 19), before pyflakes' F811 is asked
    "unused import, comprehension target elsewhere": (
        "def f():\n    import json\n\n\ndef g(x):\n    return [json for json in x]\n",
        "imported for its side effects (`json` is never used in function `f`)",
    ),
    "unused import, parameter elsewhere": (
        "def f():\n    import json\n\n\ndef g(json):\n    return json\n",
        "imported for its side effects (`json` is never used in function `f`)",
    ),
}  # fmt: skip


def test_bindings_elsewhere_that_pyflakes_accepts_do_not_stop_the_move() -> None:
    # a used import may share its name with a comprehension target or a parameter elsewhere,
    # a class attribute or another import of the same object (ruff 0.17)
    assert_codemod(
        ID,
        """
        def f():
            from os.path import sep
            return sep


        def g(sep, x):
            return [sep for sep in x]


        def h():
            import json
            return json


        class C:
            def json(self):
                if self:
                    import json
                    return json
        """,
        """
        import json
        from os.path import sep


        def f():
            return sep


        def g(sep, x):
            return [sep for sep in x]


        def h():
            return json


        class C:
            def json(self):
                if self:
                    import json
                    return json
        """,
    )


@pytest.mark.parametrize(("code", "reason"), SKIPS.values(), ids=SKIPS.keys())
def test_skip(code: str, reason: str) -> None:
    result = assert_codemod(ID, code, skips=[reason])
    assert not result.changes


def test_one_line_bodies_are_reported_when_the_file_is_parsed() -> None:
    code = """
        def one(): import json


        def two():
            try: import json
            except Exception: pass


        def three():
            import json  # noqa: PLC0415
            return json
        """
    assert_codemod(
        ID,
        code,
        skips=[
            "on the same line as its `def`",
            "on the same line as its `try:`",
            "kept by `# noqa: PLC0415`",
        ],
    )
    assert Command.TRIGGER is not None and not Command.TRIGGER.search("def one(): import json\n")


# -- moves ---------------------------------------------------------------------------------------


def test_async_endpoint_message_and_safety() -> None:
    result = assert_codemod(
        ID,
        """
        from fastapi import FastAPI

        app = FastAPI()


        @app.post("/analyse")
        async def analyse(text: str):
            from groq import AsyncGroq
            return await AsyncGroq().chat(text)
        """,
        """
        from fastapi import FastAPI
        from groq import AsyncGroq

        app = FastAPI()


        @app.post("/analyse")
        async def analyse(text: str):
            return await AsyncGroq().chat(text)
        """,
        changes=1,
        project=DECLARED,
    )
    (change,) = result.changes
    assert change.line == 8
    assert (
        change.message
        == "Import `AsyncGroq` from `groq` inside function `analyse` (moved to module level)"
    )
    assert change.fix_title == "Move import to the top of the module"
    assert change.safety is Safety.SAFE and change.applied


def test_same_import_in_many_functions_becomes_one() -> None:
    assert_codemod(
        ID,
        """
        import os


        def a():
            from review_queue import ReviewQueueManager
            return ReviewQueueManager()


        class Views:
            def b(self):
                from review_queue import ReviewQueueManager, JourneyMode
                return ReviewQueueManager(JourneyMode)

            async def c(self):
                from review_queue import ReviewQueueManager
                return ReviewQueueManager()
        """,
        """
        import os

        from review_queue import JourneyMode, ReviewQueueManager


        def a():
            return ReviewQueueManager()


        class Views:
            def b(self):
                return ReviewQueueManager(JourneyMode)

            async def c(self):
                return ReviewQueueManager()
        """,
        changes=3,
        project=DECLARED,
    )


def test_order_of_first_appearance_and_multi_name_import() -> None:
    assert_codemod(
        ID,
        """
        import os


        def b():
            import json, base64
            return json, base64


        def a():
            import abc
            return abc
        """,
        """
        import abc
        import base64
        import json
        import os


        def b():
            return json, base64


        def a():
            return abc
        """,
    )


def test_partly_present_multi_name_import_adds_only_the_rest() -> None:
    assert_codemod(
        ID,
        """
        import os


        def f():
            import os, uuid
            return os.sep, uuid.uuid4()
        """,
        """
        import os
        import uuid


        def f():
            return os.sep, uuid.uuid4()
        """,
    )


def test_merge_into_parenthesised_from_import() -> None:
    assert_codemod(
        ID,
        """
        from typing import (
            Any,
            Optional,
        )


        def f(x: Any) -> Optional[int]:
            from typing import cast
            return cast(int, x)
        """,
        """
        from typing import (
            Any,
            Optional,
            cast,
        )


        def f(x: Any) -> Optional[int]:
            return cast(int, x)
        """,
    )


def test_no_merge_into_commented_or_conditional_from_import() -> None:
    assert_codemod(
        ID,
        """
        from typing import Any  # noqa: F401
        try:
            from collections import OrderedDict
        except ImportError:
            OrderedDict = dict


        def f():
            from typing import cast
            from collections import deque
            return cast(Any, deque())
        """,
        """
        from typing import Any  # noqa: F401
        try:
            from collections import OrderedDict
        except ImportError:
            OrderedDict = dict
        from collections import deque
        from typing import cast


        def f():
            return cast(Any, deque())
        """,
    )


def test_import_with_comments_inside_is_inserted_whole() -> None:
    assert_codemod(
        ID,
        """
        from decimal import Decimal


        def f():
            from decimal import (
                Decimal,
                localcontext,  # precision per request
            )
            with localcontext():
                return Decimal(1)
        """,
        """
        from decimal import Decimal
        from decimal import (
            Decimal,
            localcontext,  # precision per request
        )


        def f():
            with localcontext():
                return Decimal(1)
        """,
    )


def test_type_checking_twin_is_a_deliberate_deferral() -> None:
    # issue 19: a module-level copy only under `if TYPE_CHECKING` means the run-time import is
    # deferred on purpose (typically against an import cycle); it used to be hoisted
    assert_codemod(
        ID,
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from decimal import Decimal


        def f(x: "Decimal"):
            from decimal import Decimal
            return Decimal(x)
        """,
        skips=[
            "`Decimal` is imported at module level only under `if TYPE_CHECKING` (line 4): "
            "its run-time import is deferred on purpose"
        ],
    )


def test_nested_functions_importing_the_same_module_converge_in_one_run() -> None:
    assert_codemod(
        ID,
        """
        import os


        def outer():
            import json

            def inner():
                import json
                return json.dumps(1)

            return json.loads(inner())
        """,
        """
        import json
        import os


        def outer():
            def inner():
                return json.dumps(1)

            return json.loads(inner())
        """,
        changes=2,
    )


def test_inner_waits_for_an_unsafe_outer_import() -> None:
    before = """
        import os


        def outer():
            try:
                import json
                data = json.loads("{}")
            except Exception:
                data = None

            def inner():
                import json
                return json.dumps(data)

            return inner
        """
    result = assert_codemod(
        ID, before, skips=["`json` is also bound in the enclosing function `outer`"]
    )
    assert [c.applied for c in result.changes] == [False]
    assert_codemod(
        ID,
        before,
        """
        import json
        import os


        def outer():
            try:
                data = json.loads("{}")
            except Exception:
                data = None

            def inner():
                return json.dumps(data)

            return inner
        """,
        unsafe=True,
    )


def test_keep_lazy_option_replaces_the_default_list() -> None:
    code = """
        def frame():
            import pandas
            import polars.io
            return pandas, polars
        """
    options = Options(codemod_options={ID: {"keep-lazy": ("polars",)}})
    assert_codemod(
        ID,
        code,
        """
        import pandas


        def frame():
            import polars.io
            return pandas, polars
        """,
        options=options,
        skips=["`polars` is in `keep-lazy`"],
        project=DECLARED,
    )
    assert_codemod(
        ID,
        code,
        """
        import polars.io


        def frame():
            import pandas
            return pandas, polars
        """,
        skips=["`pandas` is in `keep-lazy` (deferred on purpose)"],
        project=DECLARED,
    )


# -- placement and comments ----------------------------------------------------------------------


def test_placement_after_event_loop_policy_and_later_imports() -> None:
    assert_codemod(
        ID,
        """
        import asyncio
        import sys

        if sys.platform == "win32":
            asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())

        from app.main import app

        SETTINGS = {"debug": False}


        def handler():
            import json
            return json.dumps(SETTINGS)
        """,
        """
        import asyncio
        import sys

        if sys.platform == "win32":
            asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())

        import json

        from app.main import app

        SETTINGS = {"debug": False}


        def handler():
            return json.dumps(SETTINGS)
        """,
    )


def test_leading_comments_of_the_first_statement_stay_with_it() -> None:
    assert_codemod(
        ID,
        """
        #!/usr/bin/env python
        # Copyright header.

        # The only function.
        def f():
            import json
            return json.dumps(1)
        """,
        """
        #!/usr/bin/env python
        # Copyright header.

        import json


        # The only function.
        def f():
            return json.dumps(1)
        """,
    )


def test_comments_of_a_removed_import_are_kept() -> None:
    assert_codemod(
        ID,
        """
        import json


        def first():
            # parse the payload
            import json  # stdlib
            return json.loads("1")


        def only():
            # warm the import cache
            import json


        def last():
            value = 1
            # trailing
            import json
        """,
        """
        import json


        def first():
            # parse the payload
            # stdlib
            return json.loads("1")


        def only():
            # warm the import cache
            pass


        def last():
            value = 1
            # trailing
        """,
        changes=3,
    )


def test_blank_lines_around_a_removed_import() -> None:
    assert_codemod(
        ID,
        """
        def f():
            import json

            return json.dumps(1)


        def g():
            x = 1

            import uuid

            return x, uuid.uuid4()
        """,
        """
        import json
        import uuid


        def f():
            return json.dumps(1)


        def g():
            x = 1

            return x, uuid.uuid4()
        """,
    )


def test_crlf_newlines_are_kept() -> None:
    before = "import os\r\n\r\n\r\ndef f():\r\n    # why\r\n    import json\r\n    return json\r\n"
    after = "import json\r\nimport os\r\n\r\n\r\ndef f():\r\n    # why\r\n    return json\r\n"
    assert_codemod(ID, before, after, dedent_code=False)


# -- the try rule --------------------------------------------------------------------------------


def test_general_try_is_an_unsafe_fix() -> None:
    before = """
        from fastapi import HTTPException


        async def finalize(request):
            try:
                from constitutional_ai import validate
                return validate(request)
            except Exception as e:
                raise HTTPException(status_code=500, detail=str(e))
        """
    result = assert_codemod(ID, before, project=DECLARED)
    (change,) = result.changes
    assert change.safety is Safety.UNSAFE and not change.applied
    assert "an import failure no longer reaches its handler" in change.message
    assert_codemod(
        ID,
        before,
        """
        from constitutional_ai import validate
        from fastapi import HTTPException


        async def finalize(request):
            try:
                return validate(request)
            except Exception as e:
                raise HTTPException(status_code=500, detail=str(e))
        """,
        unsafe=True,
        project=DECLARED,
    )


# -- the prefilter -------------------------------------------------------------------------------

TRIGGER_CASES = [
    "def f():\n    from.sub import x\n    return x\n",
    "def f():\n    import\\\n        json\n    return json\n",
    "def f():\n\timport json\n\treturn json\n",
    "class C:\n    def m(self):\n        from json import dumps\n        return dumps\n",
]


@pytest.mark.parametrize("code", TRIGGER_CASES)
def test_trigger_matches_every_import_the_codemod_may_move(code: str) -> None:
    assert Command.TRIGGER is not None and Command.TRIGGER.search(code)


def test_prefilter_never_hides_a_change() -> None:
    sources = [*NOOPS.values(), *(c for c, _ in SKIPS.values()), *TRIGGER_CASES]
    sources += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / ID).glob("*.before.py"))]
    for source in sources:
        text = dedent(source)
        filtered = transform_source(text, [Command], Options(unsafe_fixes=True))
        full = transform_source(text, [Command], Options(unsafe_fixes=True), prefilter=False)
        assert filtered.code == full.code and filtered.changes == full.changes, text


# -- the project: gather facts and cycles --------------------------------------------------------


def test_gather_and_combine(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    from pkg.b import g\n    try:\n        import json\n    except Exception:\n        pass\n",
            "pkg/b.py": "def g():\n    if True:\n        from pkg import a\n",
        },
    )
    paths = sorted(tmp_path.rglob("*.py"))
    facts = gather_project(paths, {ID: Command.gather}, {ID: Command.combine})
    assert facts.codemod_facts[ID] == {"pkg.a": frozenset({"pkg", "pkg.b"})}
    info = ModuleInfo("pkg.a", str(tmp_path / "pkg/a.py"), str(tmp_path))
    tree = ast.parse((tmp_path / "pkg/a.py").read_text())
    assert Command.gather(tree, info) == ("pkg.b", "pkg.b.g", "json")


def test_hoisted_program_behaves_the_same(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/pricing.py": """
            def with_tax(amount):
                from decimal import Decimal
                from shop.rates import RATE
                return (Decimal(amount) * RATE).quantize(Decimal("0.01"))
            """,
        "shop/rates.py": "from decimal import Decimal\n\nRATE = Decimal('1.2')\n",
        "shop/report.py": """
            import json


            def render(items):
                import json
                from collections import Counter
                from shop.pricing import with_tax
                return json.dumps({k: str(with_tax(v)) for k, v in Counter(items).items()})
            """,
    }
    program = "from shop.report import render; print(render(['1', '2', '2']))"
    before, after = tmp_path / "before", tmp_path / "after"
    write_tree(before, files)
    write_tree(after, files)
    results = run_tree(after, Options(select=(ID,)), write=True)
    assert sum(len(r.changes) for r in results.values()) == 5
    assert "    from" not in (after / "shop/report.py").read_text()
    assert "    import" not in (after / "shop/pricing.py").read_text()
    old, new = run_python(before, program), run_python(after, program)
    assert old.returncode == new.returncode == 0, new.stderr
    assert old.stdout == new.stdout == '{"1": "1.20", "2": "2.40"}\n'


CYCLE = {
    "models.py": """
        import services


        class User:
            def save(self):
                return services.store(self)
        """,
    "services.py": """
        def store(user):
            from models import User
            assert isinstance(user, User)
            return "stored"
        """,
}


def test_cycle_guard_is_kept_and_is_needed(tmp_path: Path) -> None:
    program = "import models; print(models.User().save())"
    write_tree(tmp_path, CYCLE)
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert not any(r.changed for r in results.values())
    assert [s.reason for s in results["services.py"].skips] == [
        "breaks an import cycle: `models` imports `services`"
    ]
    assert run_python(tmp_path, program).stdout == "stored\n"
    # the naive hoist the codemod refuses to do: the app no longer starts
    naive = "from models import User\n\n\ndef store(user):\n    assert isinstance(user, User)\n    return 'stored'\n"
    (tmp_path / "services.py").write_text(naive)
    broken = run_python(tmp_path, program)
    assert broken.returncode != 0
    assert "partially initialized module" in broken.stderr


def test_two_function_level_imports_that_would_form_a_cycle(tmp_path: Path) -> None:
    files = {
        "a.py": "def f():\n    from b import g\n    return g()\n\n\nVALUE = 1\n",
        "b.py": "def g():\n    from a import VALUE\n    return VALUE\n",
    }
    write_tree(tmp_path, files)
    results = run_tree(tmp_path, Options(select=(ID,)), write=True)
    assert not any(r.changed for r in results.values())
    assert "may create an import cycle" in results["a.py"].skips[0].reason
    assert "may create an import cycle" in results["b.py"].skips[0].reason
    assert run_python(tmp_path, "import a; print(a.f())").stdout == "1\n"
    # each hoist alone passes the plain cycle check; together they break the import of `a`
    (tmp_path / "a.py").write_text("from b import g\n\n\ndef f():\n    return g()\n\n\nVALUE = 1\n")
    (tmp_path / "b.py").write_text("from a import VALUE\n\n\ndef g():\n    return VALUE\n")
    broken = run_python(tmp_path, "import a; print(a.f())")
    assert broken.returncode != 0 and "partially initialized module" in broken.stderr


def test_first_party_import_outside_a_known_project_is_not_hoisted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"app/__init__.py": "", "app/util.py": "X = 1\n"})
    project = gather_project(sorted(tmp_path.rglob("*.py")))
    code = "def f():\n    from app.util import X\n    return X\n"
    result = run(ID, code, project=project)
    assert result.code == code
    assert [s.reason for s in result.skips] == [
        "cannot prove there is no import cycle: the module name of this file is unknown"
    ]



def test_a_reason_names_the_first_of_several_bindings_on_every_run() -> None:
    # libcst keeps a name's assignments in a set, whose order changes from one parse to the
    # next: the reason must name the first conflicting binding in the source every time (this
    # source gave line 4 or line 5 at random before)
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import json\n"
        "json = None\njson = None\n\n\ndef f():\n    import json\n    return json\n"
    )
    reasons = {tuple(s.reason for s in transform_source(source, [Command], Options()).skips) for _ in range(40)}
    assert reasons == {("`json` is bound differently at module level (line 4)",)}
