"""Property tests: whatever the input, the output parses, compiles when the input did, and a second
run changes nothing. A bounded run here; ``make fuzz`` runs the same properties much longer
(``CODEMOD_FUZZ_EXAMPLES``)."""

from __future__ import annotations

import ast
import os
import random
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from codemods import registry
from codemods.engine import TransformError, transform_source
from codemods.types import Options

from .helpers import FIXTURES, compiles

EXAMPLES = int(os.environ.get("CODEMOD_FUZZ_EXAMPLES", "60"))
ALL = list(registry.all_codemods().values())
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def python_parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def libcst_parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return False
    return True


def check_properties(source: str, unsafe: bool = False) -> None:
    options = Options(unsafe_fixes=unsafe)
    try:
        first = transform_source(source, ALL, options)
    except TransformError as exc:
        # the only acceptable failure is input that does not parse (libcst is only asked
        # after ``ast`` read the text: libcst crashes on what ``ast`` refuses as too nested)
        assert exc.failure.stage == "parse", exc.failure.describe()
        assert not (python_parses(source) and libcst_parses(source)), exc.failure.describe()
        return
    # the prefilter never passes through input that neither Python nor libcst can read (when
    # ``ast`` fails, transform_source has just parsed the text with libcst, so this is safe)
    assert python_parses(source) or libcst_parses(source), "unparsable input passed through"
    if first.code != source:
        cst.parse_module(first.code)
    if compiles(source):
        assert compiles(first.code), f"output no longer compiles:\n{first.code}"
    second = transform_source(first.code, ALL, options)
    assert second.code == first.code, f"second run changed the code:\n{first.code}\n---\n{second.code}"


@PROFILE
@given(hypothesmith.from_grammar(auto_target=False))
@example("\n\\\r\n")  # Python reads it, libcst does not: no trigger, so left alone
@example("def f(:\n    pass\n")  # no trigger, but unparsable: reported
@example("type Alias[T] = list[T]\n")  # PEP 695: libcst reads what Python 3.11 cannot
def test_grammar_generated_programs(source: str) -> None:
    check_properties(source)


# Programs assembled from the shapes our codemods care about, in random combinations.
MODULE_PRELUDE = [
    "import os\n", "import json\n", "from datetime import datetime, timedelta\n", "import sys\n",
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import json\n", "import requests\n",
    "import time\n", "from fastapi import FastAPI\n", "json = None\n", "sys.path.insert(0, '.')\n",
]  # fmt: skip
BODY_LINES = [
    "import json", "from datetime import datetime", "import os.path", "x = json.dumps({})",
    "json = 1", "time.sleep(1)", "requests.get('http://x', timeout=1)", "return datetime.now()",
    "try:\n        import yaml\n    except ImportError:\n        yaml = None",
    "try:\n        from review_queue import Manager\n        m = Manager()\n    except Exception:\n        raise",
    "for json in []:\n        pass", "del os", "global sys", "import sys", "pass",
    "data = sum(len(open(p).read()) for p in [])", "with open('f') as fh:\n        fh.read()",
]  # fmt: skip
TAILS = [
    "app = FastAPI()\n\n@app.on_event('startup')\nasync def boot():\n    pass\n",
    "@app.on_event('shutdown')\ndef bye():\n    pass\n",
    "if __name__ == '__main__':\n    import uvicorn\n    uvicorn.run(app)\n",
    "class C:\n    import json\n    def m(self):\n        import json\n        return json\n",
]  # fmt: skip


@st.composite
def shaped_programs(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(MODULE_PRELUDE), max_size=5))
    for index in range(draw(st.integers(1, 4))):
        keyword = draw(st.sampled_from(["def", "async def"]))
        lines = draw(st.lists(st.sampled_from(BODY_LINES), min_size=1, max_size=5))
        body = "".join(f"    {line}\n" for line in lines)
        parts.append(f"\n\n{keyword} f{index}(a, b=None):\n{body}")
    parts.extend(draw(st.lists(st.sampled_from(TAILS), max_size=3)))
    return "".join(parts)


@PROFILE
@given(shaped_programs(), st.booleans())
def test_shaped_programs(source: str, unsafe: bool) -> None:
    check_properties(source, unsafe)


def fixture_sources() -> list[Path]:
    return sorted(FIXTURES.rglob("*.py"))


@pytest.mark.parametrize("seed", range(3))
def test_fixture_mutations(seed: int) -> None:
    """Drop random top-level statements and function-body statements from every fixture."""
    rng = random.Random(seed)
    for path in fixture_sources():
        try:
            module = cst.parse_module(path.read_text(encoding="utf-8"))
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            continue
        body = [s for s in module.body if rng.random() > 0.3]
        mutated = module.with_changes(body=body).code
        check_properties(mutated, unsafe=bool(seed % 2))
