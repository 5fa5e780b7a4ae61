"""The MetaGuardian demo app (``fixtures/metaguardian``) runs, and its own test suite passes.

The app is copied to a temporary directory and its suite is run there in a fresh
interpreter, exactly as a user would: ``python -m pytest -q tests`` from the app directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .helpers import FIXTURES

APP = FIXTURES / "metaguardian"

#: Variables the app reads; the fixture suite sets its own values, so never leak ours in.
APP_ENV_VARS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_FROM",
    "GROQ_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "HARM_DETECTION_USE_LLM",
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
)


def copy_app(dest: Path) -> Path:
    shutil.copytree(
        APP,
        dest,
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", ".pytest_cache", "*.db", ".codemod_cache"
        ),
    )
    return dest


def run_app_suite(app_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in APP_ENV_VARS}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_metaguardian_suite_passes_before_rewrite(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path / "metaguardian")
    result = run_app_suite(app_dir)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert " passed" in result.stdout, output
    assert " failed" not in result.stdout and " error" not in result.stdout, output
