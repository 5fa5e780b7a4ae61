"""``codemod batch --push --open-pr``: the ``gh`` step, with a recording stand-in for ``gh`` on
``PATH`` (it logs its arguments, its working directory and the body file, runs ``git status``
in the repository as the real ``gh pr create`` does, and prints canned JSON), and without one."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import sys
from pathlib import Path

from .conftest import git
from .test_batch import BRANCH, GIT_ENV, HOIST, batch, make_repo, out, summary
from .test_batch_push import bare, remote_tip

STANDIN = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
entry = {{"argv": args, "cwd": os.getcwd(), "prompt": os.environ.get("GH_PROMPT_DISABLED")}}
if "--body-file" in args:
    with open(args[args.index("--body-file") + 1], encoding="utf-8") as body:
        entry["body"] = body.read()
subprocess.run(["git", "status", "--porcelain"], capture_output=True)
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(entry) + "\\n")
if os.environ.get("GH_FAIL") == args[1]:
    sys.exit("HTTP 422: Validation Failed")
if args[:2] == ["pr", "list"]:
    print(os.environ.get("GH_OPEN", "[]"))
else:
    print("https://github.com/owner/svc/pull/" + (args[2] if args[1] == "edit" else "12"))
"""
TITLE = "codemod: hoist-imports"


def standin(tmp_path: Path, **env: str) -> tuple[dict[str, str], Path]:
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    gh = tools / "gh"
    gh.write_text(STANDIN.format(python=sys.executable), encoding="utf-8")
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "gh.log"
    log.unlink(missing_ok=True)
    path = f"{tools}{os.pathsep}{os.environ['PATH']}"
    return {**GIT_ENV, "PATH": path, "GH_LOG": str(log), **env}, log


def calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_opens_a_pull_request_then_updates_it(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    # what gh does in the repository must not run the repository's commands either
    git(repo, "config", "core.fsmonitor", f"touch {tmp_path}/fsmonitor-ran; false")
    env, log = standin(tmp_path)
    args = ["svc", "--push", str(remote), "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stdout
    body = (tmp_path / "prs" / "svc.md").absolute()
    listed, created = calls(log)
    assert listed["argv"] == ["pr", "list", "--head", BRANCH, "--json", "number"]
    assert created["argv"] == [
        "pr", "create", "--title", TITLE, "--body-file", str(body), "--head", BRANCH, "--base", "main",
    ]  # fmt: skip
    assert created["body"] == body.read_text(encoding="utf-8") and str(created["body"]).startswith(
        "## codemod: "
    )
    assert listed["cwd"] == created["cwd"] == str(repo) and created["prompt"] == "1"
    assert not (tmp_path / "fsmonitor-ran").exists()
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["pr"], record["pr_body"]) == (
        "changed", "https://github.com/owner/svc/pull/12", str(body),
    )  # fmt: skip
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)
    # a rerun (the commit done, the remote up to date) updates the open pull request
    env, log = standin(tmp_path, GH_OPEN='[{"number": 12}]')
    again = batch(tmp_path, *args, env=env)
    assert again.returncode == 0, again.stdout
    listed, edited = calls(log)
    assert listed["argv"] == ["pr", "list", "--head", BRANCH, "--json", "number"]
    assert edited["argv"] == ["pr", "edit", "12", "--title", TITLE, "--body-file", str(body)]
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["pushed"], record["pr"]) == (
        "already-done", "up to date", "https://github.com/owner/svc/pull/12",
    )  # fmt: skip


def test_a_gh_failure_is_that_repository_s_error_and_a_rerun_completes_it(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    env, log = standin(tmp_path, GH_FAIL="create")
    args = ["svc", "--push", str(remote), "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "pr-failed"
    assert record["detail"] == "gh pr create failed: HTTP 422: Validation Failed"
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)  # pushed all the same
    env, log = standin(tmp_path)
    again = batch(tmp_path, *args, env=env)
    assert again.returncode == 0, again.stdout
    assert [call["argv"][:2] for call in calls(log)] == [["pr", "list"], ["pr", "create"]]
    assert summary(tmp_path / "s.json")["svc"]["pr"] == "https://github.com/owner/svc/pull/12"


def test_an_already_done_commit_without_its_body_gets_the_commit_message(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    assert batch(tmp_path, "svc").returncode == 0  # committed, no --out
    env, log = standin(tmp_path)
    done = batch(tmp_path, "svc", "--push", str(remote), "--open-pr", "--out", "prs", env=env)
    assert done.returncode == 0, done.stdout
    body = calls(log)[1]["body"]
    assert body == out(repo, "log", "-1", "--format=%b", BRANCH) + "\n"
    assert "  app.py:2: " in str(body)


def test_without_gh_the_exact_command_is_printed(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "gh").exists()
    )
    assert shutil.which("gh", path=path) is None
    env = {**GIT_ENV, "PATH": path}
    args = ["svc", "--push", str(remote), "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.decode().splitlines()
    at = lines.index("gh is not installed (or not on PATH); open the pull requests with:")
    command = lines[at + 1]
    assert lines[at + 1 :] == [command]
    assert command == summary(tmp_path / "s.json")["svc"]["pr_command"]
    body = (tmp_path / "prs" / "svc.md").absolute()
    assert shlex.split(command) == [
        "cd", str(repo), "&&", "gh", "pr", "create", "--title", TITLE, "--body-file", str(body),
        "--head", BRANCH, "--base", "main",
    ]  # fmt: skip
    assert summary(tmp_path / "s.json")["svc"]["status"] == "changed"
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)
