from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from . import venvs

REPO = Path(__file__).resolve().parent.parent

CLI = Callable[..., subprocess.CompletedProcess[bytes]]


def run_cli(
    args: Sequence[str | os.PathLike[str]],
    cwd: Path,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[bytes]:
    """Run the real CLI in a subprocess (``python -m codemods``)."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "codemods", *map(str, args)],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


TESTS = Path(__file__).resolve().parent
#: Slow and rarely broken, marked ``slow`` here rather than in each file: cross-checks of the fast
#: paths against libcst over every fixture and module of the repository, and the longest
#: reliability runs. `make test` runs them (first); ``-m "not slow"`` leaves them out.
SLOW: dict[str, frozenset[str]] = {
    "commands/wrap_blocking_calls/test_names.py": frozenset({"test_every_answer_is_libcsts", "test_every_codemod_gives_the_same_results"}),
    "commands/hoist_imports/test_isolated.py": frozenset({"test_every_codemod_gives_the_same_results"}),
    "test_path_rebuild.py": frozenset({"test_every_codemod_gives_the_same_results"}),
    "test_positions.py": frozenset({"test_every_fixture_and_every_module_of_this_repository"}),
    "test_printing.py": frozenset({"test_every_codemod_gives_the_same_results", "test_every_fixture_and_module_is_cut_as_libcst_prints_it"}),
    "test_properties.py": frozenset({"test_fixture_mutations"}),
    "test_readonly_visit.py": frozenset({"test_every_codemod_gives_the_same_results"}),
    "test_reliability.py": frozenset({"test_five_megabyte_one_line_file", "test_sigkill_mid_apply_leaves_every_file_old_or_new"}),
    "test_statement_lines.py": frozenset({"test_every_codemod_gives_the_same_results", "test_one_line_nodes_of_every_fixture_and_module"}),
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the :data:`SLOW` tests, then puts every ``slow`` test first (otherwise in order): run
    in parallel, a long test started last would keep one worker busy after the others finished."""
    for item in items:
        names = SLOW.get(item.path.relative_to(TESTS).as_posix()) if item.path.is_relative_to(TESTS) else None
        if names and getattr(item, "originalname", item.name) in names:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def private_user_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``$XDG_CACHE_HOME`` of this test process (each xdist worker has its own), inherited by
    the CLI subprocesses: the signing key and batch state they keep there never touch the
    developer's ``~/.cache``. The virtualenvs of tests/venvs.py and pip's cache stay where they
    were (slow to rebuild, and safe to share between processes)."""
    home = tmp_path_factory.mktemp("xdg-cache")
    real = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(venvs.ENV_ROOT, str(venvs.venvs_root()))
        patch.setenv("PIP_CACHE_DIR", os.environ.get("PIP_CACHE_DIR") or str(real / "pip"))
        patch.setenv("XDG_CACHE_HOME", str(home))
        yield home


@pytest.fixture(autouse=True)
def no_cache_in_the_repository() -> Iterator[None]:
    """A CLI run whose working directory is the repository puts its ``.codemod_cache`` there,
    one database for every test process at once: a test must run it in its own directory."""
    cache = REPO / ".codemod_cache"
    existed = cache.exists()
    yield
    assert existed or not cache.exists(), f"the test ran codemod with {REPO} as working directory: created {cache}"


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    def call(*args: str | os.PathLike[str], stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
        return run_cli(args, cwd or tmp_path, stdin=stdin)

    return call


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }  # fmt: skip
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=True)
