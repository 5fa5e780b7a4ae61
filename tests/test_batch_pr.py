"""``codemod batch --push --open-pr``: the ``gh`` step, with a recording stand-in for ``gh`` on
``PATH`` (it logs its arguments, its working directory and the body file, runs ``git status``
in the repository as the real ``gh pr create`` does, and prints canned JSON), and without one.
The branch goes to ``git@github.com:owner/svc.git``: an ``ssh`` on ``PATH`` runs the real
``git receive-pack`` in a bare repository under ``github/`` instead of connecting."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import sys
from pathlib import Path

import pytest

from codemods.batch_pr import github_repository

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
SSH = """#!{python}
import os, shlex, sys
program, path = shlex.split(sys.argv[-1])  # git-receive-pack 'owner/svc.git'
os.chdir({root!r})
os.execvp("git", ["git", program.removeprefix("git-"), path.lstrip("/")])
"""
TITLE = "codemod: hoist-imports"
URL = "git@github.com:owner/svc.git"
REPO = ["--repo", "github.com/owner/svc"]


def script(tools: Path, name: str, text: str) -> None:
    tools.mkdir(exist_ok=True)
    path = tools / name
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def github(tmp_path: Path) -> Path:
    """The bare repository behind ``URL`` (``ssh`` on ``PATH`` in ``tmp_path/bin`` leads there)."""
    root = tmp_path / "github"
    script(tmp_path / "bin", "ssh", SSH.format(python=sys.executable, root=str(root)))
    (root / "owner").mkdir(parents=True, exist_ok=True)
    return bare(root / "owner", "svc.git")


def standin(tmp_path: Path, **env: str) -> tuple[dict[str, str], Path]:
    tools = tmp_path / "bin"
    script(tools, "gh", STANDIN.format(python=sys.executable))
    log = tmp_path / "gh.log"
    log.unlink(missing_ok=True)
    path = f"{tools}{os.pathsep}{os.environ['PATH']}"
    return {**GIT_ENV, "PATH": path, "GH_LOG": str(log), **env}, log


def calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_opens_a_pull_request_then_updates_it(tmp_path: Path) -> None:
    remote = github(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    # what gh does in the repository must not run the repository's commands either
    git(repo, "config", "core.fsmonitor", f"touch {tmp_path}/fsmonitor-ran; false")
    # nor may the checkout's remotes choose the repository: it is the one the branch went to
    git(repo, "remote", "add", "origin", "https://github.com/attacker/svc.git")
    env, log = standin(tmp_path)
    args = ["svc", "--push", URL, "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stdout
    body = (tmp_path / "prs" / "svc.md").absolute()
    listed, created = calls(log)
    assert listed["argv"] == ["pr", "list", *REPO, "--head", BRANCH, "--json", "number"]
    assert created["argv"] == [
        "pr", "create", *REPO, "--title", TITLE, "--body-file", str(body), "--head", BRANCH,
        "--base", "main",
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
    assert listed["argv"] == ["pr", "list", *REPO, "--head", BRANCH, "--json", "number"]
    assert edited["argv"] == ["pr", "edit", "12", *REPO, "--title", TITLE, "--body-file", str(body)]
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["pushed"], record["pr"]) == (
        "already-done", "up to date", "https://github.com/owner/svc/pull/12",
    )  # fmt: skip


def test_a_gh_failure_is_that_repository_s_error_and_a_rerun_completes_it(tmp_path: Path) -> None:
    remote = github(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    env, log = standin(tmp_path, GH_FAIL="create")
    args = ["svc", "--push", URL, "--open-pr", "--out", "prs", "--summary-json", "s.json"]
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
    github(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    assert batch(tmp_path, "svc").returncode == 0  # committed, no --out
    env, log = standin(tmp_path)
    done = batch(tmp_path, "svc", "--push", URL, "--open-pr", "--out", "prs", env=env)
    assert done.returncode == 0, done.stdout
    body = calls(log)[1]["body"]
    assert body == out(repo, "log", "-1", "--format=%b", BRANCH) + "\n"
    assert "  app.py:2: " in str(body)


def test_without_gh_the_exact_command_is_printed(tmp_path: Path) -> None:
    remote = github(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "gh").exists()
    )
    assert shutil.which("gh", path=path) is None
    env = {**GIT_ENV, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{path}"}
    args = ["svc", "--push", URL, "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 0, done.stdout
    lines = done.stdout.decode().splitlines()
    at = lines.index("gh is not installed (or not on PATH); open the pull requests with:")
    command = lines[at + 1]
    assert lines[at + 1 :] == [command]
    assert command == summary(tmp_path / "s.json")["svc"]["pr_command"]
    body = (tmp_path / "prs" / "svc.md").absolute()
    assert shlex.split(command) == [
        "cd", str(repo), "&&", "gh", "pr", "create", *REPO, "--title", TITLE, "--body-file",
        str(body), "--head", BRANCH, "--base", "main",
    ]  # fmt: skip
    assert summary(tmp_path / "s.json")["svc"]["status"] == "changed"
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)


def test_no_pull_request_where_the_push_went_is_not_github(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    # gh would take the repository from this remote: the branch never went there
    git(repo, "remote", "add", "origin", "https://github.com/owner/svc.git")
    env, log = standin(tmp_path)
    args = ["svc", "--push", str(remote), "--open-pr", "--out", "prs", "--summary-json", "s.json"]
    done = batch(tmp_path, *args, env=env)
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["detail"]) == (
        "pr-failed",
        f"no pull request opened: the branch went to {remote}, not a repository on github.com "
        "(or GH_HOST); open it yourself",
    )
    assert calls(log) == []
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)  # pushed all the same


@pytest.mark.parametrize(
    ("url", "gh_host", "repository"),
    [
        ("https://github.com/owner/svc.git", None, "github.com/owner/svc"),
        ("https://github.com/owner/svc", None, "github.com/owner/svc"),
        ("http://GitHub.com/owner/svc.git/", None, "github.com/owner/svc"),
        ("ssh://git@github.com/owner/svc.git", None, "github.com/owner/svc"),
        ("ssh://git@github.com:22/owner/my.repo.git", None, "github.com/owner/my.repo"),
        ("git@github.com:owner/svc.git", None, "github.com/owner/svc"),
        ("github.com:owner/svc", None, "github.com/owner/svc"),
        ("git@ghe.example:team/svc.git", "ghe.example", "ghe.example/team/svc"),
        ("https://github.com/owner/svc.git", "ghe.example", "github.com/owner/svc"),
        ("git@ghe.example:team/svc.git", None, None),
        ("https://gitlab.com/owner/svc.git", None, None),
        ("https://github.com.example/owner/svc.git", None, None),
        ("https://example.com/github.com/owner/svc.git", None, None),
        ("https://github.com/owner/svc/extra", None, None),
        ("https://github.com/owner", None, None),
        ("https://github.com/owner/..", None, None),
        ("git://github.com/owner/svc.git", None, None),
        ("file:///srv/github.com/owner/svc.git", None, None),
        ("/srv/git/svc.git", None, None),
        ("ext::ssh github.com:owner/svc", None, None),
        ("", None, None),
    ],
)
def test_the_github_repository_of_a_push_url(
    url: str, gh_host: str | None, repository: str | None
) -> None:
    assert github_repository(url, gh_host) == repository
