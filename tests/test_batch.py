"""``codemod batch`` on real git repositories made in a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from codemods.batch import repo_names
from codemods.reports.batch import commit_message

from .conftest import git, run_cli

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}  # fmt: skip
HOIST = "def f():\n    import json\n    return json.dumps(1)\n"
PLAIN = "import os\n\n\ndef g():\n    return os.sep\n"
BRANCH = "codemod/hoist-imports"


def make_repo(root: Path, name: str, files: dict[str, str]) -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def out(repo: Path, *args: str) -> str:
    return git(repo, *args).stdout.decode("utf-8").strip()


def state(repo: Path) -> dict[str, object]:
    """Everything a user could notice: every file's bytes (ignored ones too), HEAD, branches."""
    files = {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "files": files,
        "head": out(repo, "rev-parse", "HEAD"),
        "on": out(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "branches": out(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
        "status": out(repo, "status", "--porcelain", "--ignored"),
    }


def unbranched(snapshot: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in snapshot.items() if k != "branches"}


def batch(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return run_cli(["batch", "--select", "hoist-imports", *args], cwd, env=env or GIT_ENV)


def summary(path: Path) -> dict[str, dict[str, object]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {r["name"]: r for r in data["repos"]}


def test_clean_repo_gets_a_branch_and_one_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST, "pkg/mod.py": HOIST, "pkg/plain.py": PLAIN})
    before = state(repo)
    done = batch(tmp_path, "svc", "--out", "prs", "--summary-json", "s.json")
    assert done.returncode == 0, done.stderr
    assert unbranched(state(repo)) == unbranched(before)
    assert out(repo, "rev-list", "--count", f"main..{BRANCH}") == "1"
    assert out(repo, "rev-parse", f"{BRANCH}^") == before["head"]
    # the commit's tree is exactly what `codemod apply` makes of the checkout
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    applied = run_cli(["apply", "--select", "hoist-imports", "--no-cache", "."], clone)
    assert applied.returncode == 0, applied.stderr
    git(clone, "add", "-A")
    assert out(clone, "write-tree") == out(repo, "rev-parse", f"{BRANCH}^{{tree}}")
    message = out(repo, "log", "-1", "--format=%B", BRANCH)
    assert message.startswith("codemod: hoist-imports\n")
    assert "hoist-imports (2 changes in 2 files)" in message
    assert "  app.py:2: " in message and "  pkg/mod.py:2: " in message
    assert message.endswith("Codemod-Batch: hoist-imports")
    body = (tmp_path / "prs" / "svc.md").read_text(encoding="utf-8")
    assert body.startswith("## codemod: 2 changes in 2 files")
    assert "<code>pkg/mod.py</code>" in body
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "changed" and record["files_changed"] == 2 and record["changes"] == 2
    assert record["commit"] == out(repo, "rev-parse", BRANCH)
    table = done.stdout.decode()
    assert "svc" in table and "changed" in table and "1 changed, 0 unchanged" in table


def test_dirty_repo_is_untouched(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "dirty", {"app.py": HOIST})
    (repo / "app.py").write_text(HOIST + "# local edit\n", encoding="utf-8")
    (repo / "notes.txt").write_text("untracked\n", encoding="utf-8")
    before = state(repo)
    done = batch(tmp_path, "dirty", "--summary-json", "s.json")
    assert done.returncode == 3
    assert state(repo) == before
    record = summary(tmp_path / "s.json")["dirty"]
    assert record["status"] == "dirty" and "app.py" in str(record["detail"])


def test_untracked_file_alone_makes_a_repo_dirty(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "r", {"app.py": HOIST})
    (repo / "new.py").write_text(HOIST, encoding="utf-8")
    before = state(repo)
    assert batch(tmp_path, "r").returncode == 3
    assert state(repo) == before


def test_failing_verify_leaves_the_repo_byte_identical(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST, ".gitignore": "*.log\ncache/\n"})
    (repo / "kept.log").write_text("an ignored file that was there before\n", encoding="utf-8")
    before = state(repo)
    verify = "echo junk > junk.txt; echo x > made.log; mkdir -p cache && touch cache/z; echo tests failed >&2; exit 3"
    done = batch(tmp_path, "svc", "--verify", verify, "--out", "prs", "--summary-json", "s.json")
    assert done.returncode == 3
    assert state(repo) == before
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "verify-failed"
    assert record["detail"] == "verify exited 3: tests failed"
    assert not (tmp_path / "prs" / "svc.md").exists()


def test_passing_verify_sees_the_fixes_and_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    check = "head -1 app.py | grep -q '^import json' && echo junk > junk.txt"
    done = batch(tmp_path, "svc", "--verify", check)
    assert done.returncode == 0, done.stdout
    assert out(repo, "rev-list", "--count", f"main..{BRANCH}") == "1"
    assert out(repo, "status", "--porcelain") == ""  # what the command left behind is gone
    assert "junk.txt" not in out(repo, "ls-tree", "-r", "--name-only", BRANCH)


def test_a_rerun_does_no_work(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    assert batch(tmp_path, "svc").returncode == 0
    tip = out(repo, "rev-parse", BRANCH)
    reflog = out(repo, "reflog", "--format=%H %gs")
    before = state(repo)
    done = batch(tmp_path, "svc", "--summary-json", "s.json")
    assert done.returncode == 0
    assert summary(tmp_path / "s.json")["svc"]["status"] == "already-done"
    assert out(repo, "rev-parse", BRANCH) == tip
    assert out(repo, "reflog", "--format=%H %gs") == reflog  # not even a checkout happened
    assert state(repo) == before


def test_unchanged_repo_keeps_no_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "plain", {"mod.py": PLAIN})
    before = state(repo)
    done = batch(tmp_path, "plain", "--summary-json", "s.json")
    assert done.returncode == 0
    assert state(repo) == before
    assert summary(tmp_path / "s.json")["plain"]["status"] == "unchanged"


def test_repos_file_parallel_jobs_and_summary(tmp_path: Path) -> None:
    make_repo(tmp_path / "repos", "one", {"a.py": HOIST})
    make_repo(tmp_path / "repos", "two", {"b.py": PLAIN})
    make_repo(tmp_path / "repos", "three", {"c.py": HOIST})
    (tmp_path / "repos" / "nogit").mkdir()
    (tmp_path / "repos" / "list.txt").write_text(
        "# the fleet\none\ntwo  # no change expected\n\nthree\nnogit\n", encoding="utf-8"
    )
    done = batch(tmp_path, "--repos-file", "repos/list.txt", "-j", "3", "--summary-json", "s.json")
    assert done.returncode == 3  # nogit failed
    records = summary(tmp_path / "s.json")
    assert {n: r["status"] for n, r in records.items()} == {
        "nogit": "failed", "one": "changed", "three": "changed", "two": "unchanged",
    }  # fmt: skip
    assert str(records["nogit"]["detail"]).startswith("not a git repository")  # git's own words
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["counts"] == {
        "already-done": 0, "changed": 2, "dirty": 0, "failed": 1, "unchanged": 1, "verify-failed": 0,
        "push-failed": 0, "pr-failed": 0,
    }  # fmt: skip
    lines = done.stdout.decode().splitlines()
    assert lines[0].split() == ["repository", "status", "files", "changes", "detail"]
    assert [line.split()[0] for line in lines[1:5]] == ["nogit", "one", "three", "two"]
    assert lines[-1] == (
        "2 changed, 1 unchanged, 0 already-done, 0 dirty, 1 failed, 0 verify-failed, 0 push-failed, 0 pr-failed"
    )


def test_existing_branch_of_someone_else_is_left_alone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    git(repo, "branch", BRANCH)
    before = state(repo)
    done = batch(tmp_path, "svc", "--summary-json", "s.json")
    assert done.returncode == 3
    assert state(repo) == before
    assert "already exists" in str(summary(tmp_path / "s.json")["svc"]["detail"])


def test_detached_head_and_custom_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    git(repo, "checkout", "-q", "--detach")
    before = state(repo)
    assert batch(tmp_path, "svc", "--branch", "fix/imports").returncode == 0
    assert state(repo)["on"] == "HEAD" and state(repo)["head"] == before["head"]
    assert out(repo, "rev-parse", "fix/imports^") == before["head"]


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    make_repo(tmp_path, "svc", {"app.py": HOIST})
    assert batch(tmp_path).returncode == 2
    assert batch(tmp_path, "svc", "--branch", "bad..name").returncode == 2
    assert run_cli(["batch", "--select", "no-such-codemod", "svc"], tmp_path).returncode == 2


def test_commit_message_and_names() -> None:
    doc = {
        "codemods": [{"id": "hoist-imports", "summary": "Move imports."}],
        "files": [
            {"path": "a.py", "status": "changed", "changes": [
                {"applied": True, "codemod": "hoist-imports", "line": 3, "message": "Import `x`: moved"},
                {"applied": False, "codemod": "hoist-imports", "line": 9, "message": "unsafe"},
            ]},
            {"path": "b.py", "status": "failed", "changes": []},
        ],
    }  # fmt: skip
    assert commit_message(doc, ["hoist-imports"]) == (
        "codemod: hoist-imports\n\n"
        "hoist-imports (1 change in 1 file): Move imports.\n"
        "  a.py:3: Import `x`: moved\n\n"
        "Codemod-Batch: hoist-imports\n"
    )
    assert repo_names([Path("/x/app"), Path("/y/app"), Path("/z/api")]) == ["app", "app-2", "api"]


def test_progress_only_on_a_terminal_and_not_with_quiet(tmp_path: Path) -> None:
    from .test_interactive import Terminal

    make_repo(tmp_path, "one", {"a.py": HOIST, "b.py": PLAIN})
    make_repo(tmp_path, "two", {"c.py": PLAIN})
    piped = batch(tmp_path, "one", "two", "--branch", "piped")
    assert piped.returncode == 0 and piped.stderr == b""
    term = Terminal(["batch", "--select", "hoist-imports", "--branch", "tty", "one", "two"], tmp_path, env=GIT_ENV)
    assert term.finish() == 0
    assert "repositories [##########----------] 1/2" in term.text
    assert "repositories [####################] 2/2  files 3/3" in term.text
    quiet = Terminal(["batch", "--select", "hoist-imports", "--branch", "quiet", "-q", "one", "two"], tmp_path, env=GIT_ENV)
    assert quiet.finish() == 0
    assert "repositories [" not in quiet.text
    assert "1 changed, 1 unchanged" in quiet.text  # the summary table is still printed
