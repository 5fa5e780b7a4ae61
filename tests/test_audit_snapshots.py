"""Snapshot tests of ``codemod audit`` on the fixture projects, and the seed report checked
claim by claim: every valid finding of ``shared/seed/crash-report.md`` is found, none of its
false claims is.

The environment is fixed (a described set of installed distributions), so the snapshots do not
depend on what happens to be installed. The real codemods run, so a change to what they fix
shows up here as a snapshot diff: review it, then regenerate with
``CODEMOD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_audit_snapshots.py``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from codemods.audit import AuditReport, Finding, Risk, audit_paths, fixed_environment
from codemods.audit.render import RENDERERS

from .helpers import FIXTURES

SNAPSHOTS = FIXTURES / "audit-snapshots"
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
PROJECTS = ("metaguardian", "audit-project", "audit-monorepo")
SUFFIX = {"markdown": "md", "json": "json", "sarif": "sarif.json"}

#: The environment the snapshots describe: everything metaguardian's requirements.txt names is
#: installed, plus anthropic and beautifulsoup4 (so the missing declarations, not a missing
#: install, are what the report shows); the audit-project's stripe, orjson and
#: pydantic-settings are not installed. The audit-monorepo's imports are all installed.
ENVIRONMENT = fixed_environment(
    (3, 11),
    {
        "fastapi": ["fastapi"], "starlette": ["starlette"], "pydantic": ["pydantic"],
        "sqlalchemy": ["SQLAlchemy"], "passlib": ["passlib"], "jose": ["python-jose"],
        "dotenv": ["python-dotenv"], "multipart": ["python-multipart"], "groq": ["groq"],
        "anthropic": ["anthropic"], "bs4": ["beautifulsoup4"], "requests": ["requests"],
        "sendgrid": ["sendgrid"], "websockets": ["websockets"], "uvicorn": ["uvicorn"],
        "httpx": ["httpx"], "yaml": ["PyYAML"],
    },
    {"fastapi": ["starlette", "pydantic"]},
)  # fmt: skip


@cache
def report_for(project: str) -> AuditReport:
    return audit_paths(
        [FIXTURES / project], environment=ENVIRONMENT, root_label=f"fixtures/{project}"
    )


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
@pytest.mark.parametrize("project", PROJECTS)
def test_snapshot(project: str, fmt: str) -> None:
    text = RENDERERS[fmt](report_for(project))
    snapshot = SNAPSHOTS / f"{project}.{SUFFIX[fmt]}"
    if os.environ.get("CODEMOD_UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot {snapshot}; run with CODEMOD_UPDATE_SNAPSHOTS=1"
    if fmt == "sarif":
        jsonschema.validate(json.loads(text), json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert text == snapshot.read_text(encoding="utf-8"), (
        f"{snapshot.name} differs; review and regenerate"
    )


def _find(findings: tuple[Finding, ...], category: str, text: str) -> list[Finding]:
    return [f for f in findings if f.category == category and text in f.message]


#: The seed report's valid findings, one by one: (where the seed put it, category, text that
#: the finding's message contains, how many times). Line numbers differ: the fixture is a
#: reduced reproduction of the seed's 725-line main.py.
SEED_VALID = [
    ("ISSUE 1/5, line 283: import inside async finalize_session", "function-import",
     "`from constitutional_ai import validate_story_synthesis, export_all_receipts` inside `finalize_session()`", 1),
    ("ISSUE 2, line 131: late import of groq", "function-import", "`from groq import AsyncGroq` inside `chat()`", 1),
    ("ISSUE 2, line 465: duplicate datetime import", "function-import", "`from datetime import datetime` inside", 1),
    ("ISSUE 2, line 497: late import of review_queue", "function-import",
     "`from review_queue import ReviewQueueManager, JourneyMode` inside `finalize_session()`", 1),
    ("ISSUE 2, lines 576/609/659/675: repeated late imports", "function-import",
     "`from review_queue import ReviewQueueManager` inside", 4),
    ("ISSUE 4 / Issue B, line 536: blocking e-mail call in async handler", "blocking-call", "send_assessment_email", 1),
    ("line 22: create_all at import time", "import-time-work", "create_all", 1),
    ("REQUIREMENTS: anthropic missing", "undeclared-dependency", "`anthropic` is not declared", 1),
    ("REQUIREMENTS: beautifulsoup4 missing", "undeclared-dependency", "beautifulsoup4", 1),
    ("FIX 2: GROQ_API_KEY not checked at startup", "env-var", "`GROQ_API_KEY`", 1),
    ("FIX 2: ANTHROPIC_API_KEY not checked at startup", "env-var", "`ANTHROPIC_API_KEY`", 1),
    ("FIX 2: SECRET_KEY not checked at startup", "env-var", "`SECRET_KEY`", 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("claim", "category", "text", "count"), SEED_VALID, ids=[c[0] for c in SEED_VALID]
)
def test_seed_valid_finding_is_reported(claim: str, category: str, text: str, count: int) -> None:
    found = _find(report_for("metaguardian").findings, category, text)
    assert len(found) == count, (claim, found)
    assert all(f.risk is not Risk.INFO for f in found), found


def test_seed_missing_dependencies_are_exactly_anthropic_and_beautifulsoup4() -> None:
    undeclared = [
        f for f in report_for("metaguardian").findings if f.category == "undeclared-dependency"
    ]
    assert [(f.path, f.risk) for f in undeclared] == [("harm_detection.py", Risk.HIGH)] * 2
    assert {f.fix for f in undeclared} == {
        "by hand: add `anthropic` to requirements.txt",
        "by hand: add `beautifulsoup4` to requirements.txt",
    }


def test_seed_required_variables_are_exactly_the_api_keys_and_secret_key() -> None:
    env = [
        f.message.split("`")[1]
        for f in report_for("metaguardian").findings
        if f.category == "env-var"
    ]
    assert sorted(env) == ["ANTHROPIC_API_KEY", "GROQ_API_KEY", "SECRET_KEY"]


def test_seed_false_claims_do_not_appear() -> None:
    report = report_for("metaguardian")
    for f in report.findings:
        text = " ".join((f.message, f.why, f.fix)).lower()
        # "silent crash on Windows/Python 3.13", "3.13 changed the default loop", "stricter asyncio"
        for claim in ("silent", "windows", "3.13", "proactor", "stricter", "crash"):
            assert claim not in text, (claim, f)
    # no event-loop policy is recommended or reported (the seed's FIX 4)
    assert not [f for f in report.findings if f.category == "loop-policy"]
    # the late imports are hygiene (low), not the high-risk "main culprit" of the seed
    assert {f.risk for f in report.findings if f.category == "function-import"} == {Risk.LOW}
    # the sync `get_db` dependency (seed: "not optimal for 3.13") is run in the threadpool: no finding
    main = (FIXTURES / "metaguardian" / "main.py").read_text(encoding="utf-8").splitlines()
    get_db = next(i for i, line in enumerate(main, 1) if line.startswith("def get_db"))
    assert not [
        f for f in report.findings if f.path == "main.py" and get_db <= f.line <= get_db + 6
    ]
    # and the report says so where it matters
    assert any("does not take the server down" in n for n in report.notes)
    assert any("did not change the Windows event loop" in n for n in report.notes)


def test_second_fixture_has_each_required_kind() -> None:
    findings = report_for("audit-project").findings
    rules = {(f.path, f.rule) for f in findings}
    assert ("shop/billing.py", "function-import-cycle-guard") in rules
    assert ("shop/exports.py", "function-import-optional") in rules
    assert ("shop/exports.py", "removed-stdlib-module") in rules
    assert ("secrets.py", "stdlib-shadowing") in rules
    assert ("main.py", "dead-event-handler") in rules
