"""``codemod batch --push``: real pushes to bare repositories made with ``git init --bare``, and
what a repository's own git configuration may not make of a push."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .conftest import git
from .test_batch import BRANCH, GIT_ENV, HOIST, PLAIN, batch, make_repo, out, summary

REF = f"refs/heads/{BRANCH}"


def bare(root: Path, name: str = "remote.git") -> Path:
    path = root / name
    git(root, "init", "-q", "--bare", str(path))
    return path


def remote_tip(remote: Path) -> str:
    done = git(remote, "for-each-ref", "--format=%(objectname)", REF)
    return done.stdout.decode().strip()


def move_main(repo: Path, name: str) -> None:
    """A new commit on main and no codemod branch: the next run makes a new codemod commit."""
    (repo / name).write_text(HOIST, encoding="utf-8")
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", name)
    git(repo, "branch", "-q", "-D", BRANCH)


def test_push_to_a_bare_repository_named_on_the_command_line(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    make_repo(tmp_path, "plain", {"mod.py": PLAIN})
    done = batch(tmp_path, "svc", "plain", "--push", str(remote), "--summary-json", "s.json")
    assert done.returncode == 0, done.stdout
    records = summary(tmp_path / "s.json")
    assert records["svc"]["status"] == "changed" and records["svc"]["pushed"] == "new branch"
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH) == records["svc"]["commit"]
    assert records["plain"]["status"] == "unchanged" and records["plain"]["pushed"] == ""
    # nothing else: no tags, no main
    assert out(remote, "for-each-ref", "--format=%(refname)") == REF
    assert f"pushed to {remote}: new branch" in done.stdout.decode()
    # a rerun finds the commit done and the remote up to date
    again = batch(tmp_path, "svc", "--push", str(remote), "--summary-json", "s.json")
    assert again.returncode == 0, again.stdout
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["pushed"]) == ("already-done", "up to date")


def test_a_rejected_push_is_that_repository_s_error_and_nothing_is_forced(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    first = make_repo(tmp_path, "a", {"app.py": HOIST})
    second = make_repo(tmp_path, "b", {"app.py": HOIST, "other.py": HOIST})
    done = batch(tmp_path, "a", "b", "--push", str(remote), "--summary-json", "s.json")
    assert done.returncode == 3
    records = summary(tmp_path / "s.json")
    assert records["a"]["status"] == "changed" and records["a"]["pushed"] == "new branch"
    assert records["b"]["status"] == "push-failed"
    assert (
        "rejected: the remote branch codemod/hoist-imports has commits this one does not have"
        in str(records["b"]["detail"])
    )
    assert remote_tip(remote) == out(first, "rev-parse", BRANCH)
    # b's commit is kept, b is back on main: a rerun pushes it again
    assert out(second, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert out(second, "rev-list", "--count", f"main..{BRANCH}") == "1"
    again = batch(tmp_path, "b", "--push", str(remote), "--summary-json", "s.json")
    assert again.returncode == 3
    assert summary(tmp_path / "s.json")["b"]["status"] == "push-failed"
    # a URL has no remote-tracking branch, so --force-with-lease has nothing to compare: rejected
    forced = batch(tmp_path, "b", "--push", str(remote), "--force-push", "--summary-json", "s.json")
    assert forced.returncode == 3
    assert "--force-with-lease found the remote branch" in str(
        summary(tmp_path / "s.json")["b"]["detail"]
    )
    assert remote_tip(remote) == out(first, "rev-parse", BRANCH)


def test_force_push_replaces_only_what_the_remote_tracking_branch_saw(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    # the remote comes from the user's own (global) configuration: trusted, local paths allowed
    config = tmp_path / "global.gitconfig"
    config.write_text(
        f'[remote "origin"]\n\turl = {remote}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n',
        encoding="utf-8",
    )
    env = {**GIT_ENV, "GIT_CONFIG_GLOBAL": str(config)}
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})

    def run(*args: str) -> dict[str, object]:
        done = batch(
            tmp_path, "svc", "--push", "origin", "--summary-json", "s.json", *args, env=env
        )
        record = summary(tmp_path / "s.json")["svc"]
        assert done.returncode == (0 if record["status"] in ("changed", "already-done") else 3)
        return record

    assert run()["pushed"] == "new branch"
    old = remote_tip(remote)
    move_main(repo, "second.py")
    assert run()["status"] == "push-failed"  # not a fast-forward: never forced by default
    assert remote_tip(remote) == old
    record = run("--force-push")
    assert (record["status"], record["pushed"]) == ("already-done", "forced update")
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH) != old
    # someone pushes to the branch: --force-push does not throw their commit away
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "-b", BRANCH, str(remote), str(clone))
    (clone / "review.py").write_text(PLAIN, encoding="utf-8")
    git(clone, "add", "review.py")
    git(clone, "commit", "-q", "-m", "review")
    git(clone, "push", "-q", "origin", BRANCH)
    theirs = remote_tip(remote)
    move_main(repo, "third.py")
    record = run("--force-push")
    assert record["status"] == "push-failed" and "--force-with-lease" in str(record["detail"])
    assert remote_tip(remote) == theirs


def test_a_local_remote_the_repository_names_is_refused(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    git(repo, "remote", "add", "origin", str(remote))
    done = batch(tmp_path, "svc", "--push", "origin", "--summary-json", "s.json")
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert record["status"] == "push-failed"
    assert "transport 'file' not allowed" in str(record["detail"])
    assert "only when the command line names it" in str(record["detail"])
    assert remote_tip(remote) == ""
    trusted = batch(
        tmp_path, "svc", "--push", "origin", "--trust-repo-config", "--summary-json", "s.json"
    )
    assert trusted.returncode == 0, trusted.stdout
    assert remote_tip(remote) == out(repo, "rev-parse", BRANCH)


def test_an_unknown_remote_name_is_not_taken_for_a_path(tmp_path: Path) -> None:
    make_repo(tmp_path, "svc", {"app.py": HOIST, "origin/readme.txt": "a directory named origin\n"})
    done = batch(tmp_path, "svc", "--push", "origin", "--summary-json", "s.json")
    assert done.returncode == 3
    record = summary(tmp_path / "s.json")["svc"]
    assert (record["status"], record["detail"]) == (
        "push-failed",
        "not pushed: no remote named origin in this repository",
    )


def test_commands_in_the_repository_config_never_run_on_push(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    marks = tmp_path / "marks"
    marks.mkdir()
    cases = {
        "receivepack": (
            f"remote.{remote}.receivepack",
            f"touch {marks}/receivepack; git-receive-pack",
        ),
        "helper": ("credential.helper", f"!touch {marks}/helper"),
        "urlhelper": ("credential.https://example.invalid.helper", f"!touch {marks}/urlhelper"),
    }
    for name, (key, value) in cases.items():
        repo = make_repo(tmp_path, name, {"app.py": HOIST})
        git(repo, "config", key, value)
        done = batch(tmp_path, name, "--push", str(remote), "--summary-json", "s.json")
        assert done.returncode == 3
        record = summary(tmp_path / "s.json")[name]
        assert record["status"] == "push-failed"
        assert f"the repository's own git configuration sets {key}" in str(record["detail"])
    # an ext:: remote, and a remote helper through remote.<name>.vcs: refused by git itself
    ext = make_repo(tmp_path, "ext", {"app.py": HOIST})
    git(ext, "remote", "add", "evil", f"ext::sh -c touch% {marks}/ext")
    git(ext, "config", "remote.vcs.url", "https://example.invalid/x")
    git(ext, "config", "remote.vcs.vcs", "ext")
    for target, transport in (("evil", "ext"), ("vcs", "ext")):
        done = batch(tmp_path, "ext", "--push", target, "--summary-json", "s.json")
        assert done.returncode == 3
        assert f"transport '{transport}' not allowed" in str(
            summary(tmp_path / "s.json")["ext"]["detail"]
        )
    assert sorted(os.listdir(marks)) == []
    assert remote_tip(remote) == ""


def test_the_repository_cannot_rewrite_a_url_to_a_local_repository(tmp_path: Path) -> None:
    # think of a bare repository with hooks that the repository brings along
    shipped = bare(tmp_path, "shipped.git")
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    git(repo, "config", f"url.{shipped}/.insteadOf", "https://example.invalid/")
    done = batch(
        tmp_path, "svc", "--push", "https://example.invalid/svc.git", "--summary-json", "s.json"
    )
    assert done.returncode == 3
    detail = str(summary(tmp_path / "s.json")["svc"]["detail"])
    assert f"sets url.{shipped}/.insteadof = https://example.invalid/, which may send" in detail
    assert out(shipped, "for-each-ref") == ""


def test_the_repository_cannot_redirect_a_url_given_on_the_command_line(tmp_path: Path) -> None:
    """A URL on the command line is where the user wants the branch: the repository's own
    insteadOf/pushInsteadOf that would rewrite it (to another host, or to a local path the
    user named for something else) is refused before git connects anywhere."""
    elsewhere = bare(tmp_path, "elsewhere.git")
    wanted = bare(tmp_path, "wanted.git")
    cases = {
        "https": ("url.https://attacker.invalid/.insteadOf", "https://example.invalid/", "https://example.invalid/svc.git"),
        "push": ("url.https://attacker.invalid/.pushInsteadOf", "https://example.", "https://example.invalid/svc.git"),
        "path": (f"url.{elsewhere}.insteadOf", str(wanted), str(wanted)),
    }  # fmt: skip
    for name, (key, value, target) in cases.items():
        repo = make_repo(tmp_path, name, {"app.py": HOIST})
        git(repo, "config", key, value)
        done = batch(tmp_path, name, "--push", target, "--summary-json", "s.json")
        assert done.returncode == 3
        record = summary(tmp_path / "s.json")[name]
        assert record["status"] == "push-failed"
        assert f"own git configuration sets {key.lower()} = {value}, which may send the push to another destination" in str(record["detail"])
    # git takes the argument for a remote's name first: a section named after the URL
    for var in ("url", "pushurl"):
        repo = make_repo(tmp_path, var, {"app.py": HOIST})
        git(repo, "config", f"remote.{wanted}.{var}", str(elsewhere))
        done = batch(tmp_path, var, "--push", str(wanted), "--summary-json", "s.json")
        assert done.returncode == 3
        detail = str(summary(tmp_path / "s.json")[var]["detail"])
        assert f"sets remote.{wanted}.{var} = {elsewhere}, which may send the push" in detail
    assert out(elsewhere, "for-each-ref") == "" and out(wanted, "for-each-ref") == ""
    # the user's own rewrite (here their global config) is theirs: followed
    mine = make_repo(tmp_path, "mine", {"app.py": HOIST})
    config = tmp_path / "user.gitconfig"
    config.write_text(f'[url "{wanted}"]\n\tinsteadOf = https://example.invalid/svc.git\n', encoding="utf-8")
    done = batch(
        tmp_path, "mine", "--push", "https://example.invalid/svc.git", "--summary-json", "s.json",
        env={**GIT_ENV, "GIT_CONFIG_GLOBAL": str(config)},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert remote_tip(wanted) == out(mine, "rev-parse", BRANCH)
    # a rewrite of other URLs is not this refusal (a local push stays refused by git while the
    # repository configures any rewrite, as before); --trust-repo-config follows the rewrite
    repo = make_repo(tmp_path, "other", {"app.py": HOIST})
    git(repo, "config", "url.https://attacker.invalid/.insteadOf", "https://unrelated.invalid/")
    done = batch(tmp_path, "other", "--push", str(wanted), "--summary-json", "s.json")
    detail = str(summary(tmp_path / "s.json")["other"]["detail"])
    assert "transport 'file' not allowed" in detail and "may send the push" not in detail
    path = make_repo(tmp_path, "trusted", {"app.py": HOIST})
    git(path, "config", f"url.{elsewhere}.insteadOf", str(wanted))
    done = batch(tmp_path, "trusted", "--push", str(wanted), "--trust-repo-config", "--summary-json", "s.json")
    assert done.returncode == 0, done.stdout
    assert remote_tip(elsewhere) == out(path, "rev-parse", BRANCH)


def test_the_repository_s_ssh_command_is_replaced_by_ssh(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    tools = tmp_path / "bin"
    tools.mkdir()
    ssh = tools / "ssh"
    ssh.write_text(f'#!/bin/sh\necho "$@" >> {marks}/ssh\nexit 1\n', encoding="utf-8")
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    repo = make_repo(tmp_path, "svc", {"app.py": HOIST})
    git(repo, "config", "core.sshCommand", f"touch {marks}/sshcommand; false")
    env = {**GIT_ENV, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    done = batch(
        tmp_path,
        "svc",
        "--push",
        "ssh://git@example.invalid/svc.git",
        "--summary-json",
        "s.json",
        env=env,
    )
    assert done.returncode == 3
    assert summary(tmp_path / "s.json")["svc"]["status"] == "push-failed"
    assert sorted(os.listdir(marks)) == ["ssh"]  # the plain ssh on PATH, never the repository's
    assert "example.invalid" in (marks / "ssh").read_text(encoding="utf-8")


def test_push_flags_need_push(tmp_path: Path) -> None:
    make_repo(tmp_path, "svc", {"app.py": HOIST})
    for args, words in (
        (["--force-push"], "--force-push needs --push REMOTE"),
        (["--open-pr", "--out", "prs"], "--open-pr needs --push REMOTE"),
        (["--push", "origin", "--open-pr"], "--open-pr needs --out DIR"),
        (["--push=--receive-pack=x"], "--push: not a remote name or URL"),
    ):
        done = batch(tmp_path, "svc", *args)
        assert done.returncode == 2 and words in done.stderr.decode(), done.stderr
