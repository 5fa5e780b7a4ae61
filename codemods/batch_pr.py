"""``codemod batch --open-pr``: open, or update, the pull request of each pushed branch with the
GitHub CLI (``gh``).

``gh pr list --head BRANCH --json number`` looks for an open one: ``gh pr edit NUMBER --title
TITLE --body-file BODY`` updates it; otherwise ``gh pr create --title TITLE --body-file BODY
--head BRANCH`` (``--base`` the branch the commit was made on) opens it. The title is the
commit's subject, the body ``--out DIR/<name>.md``; a repository found ``already-done`` keeps
the body of the run that made its commit, or, when that went elsewhere, gets the commit message.

Every gh command names the GitHub repository with ``--repo HOST/OWNER/NAME``, taken from the URL
the branch was pushed to (an https, http or ssh URL, or ``host:owner/name``, on github.com or the
user's ``GH_HOST``): left to itself, gh would pick one from the checkout's remotes, which the
repository configures. A push elsewhere (a local path, another host) is ``pr-failed``, gh never
run. gh runs in the repository, where it runs git itself: it gets the environment of batch's own
git calls (the repository's configuration runs nothing), no prompts, and ``--git-timeout``.
Without ``gh`` on ``PATH`` nothing runs: the exact command (shell-quoted) is returned for the user.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from .batch_git import BatchError, Git, environment, message
from .batch_procs import communicate
from .batch_settings import Settings

#: ``OWNER/NAME`` as GitHub allows them, ``.git`` and a final ``/`` optional
GITHUB_PATH = re.compile(r"/?([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)(?:\.git)?/?")


def github_repository(url: str, gh_host: str | None = None) -> str | None:
    """``HOST/OWNER/NAME`` of a push URL on github.com (or ``gh_host``), else None."""
    if "://" in url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.scheme not in ("https", "http", "ssh", "git+ssh", "ssh+git"):
            return None
        host, path = parts.hostname or "", parts.path
    else:  # scp-like ``[user@]host:owner/name``, as git reads it: a colon before any slash
        authority, colon, path = url.partition(":")
        if not colon or "/" in authority:
            return None
        host = authority.rpartition("@")[2].lower()
    found = GITHUB_PATH.fullmatch(path)
    if host not in {"github.com", (gh_host or "github.com").lower()} or found is None:
        return None
    owner, repo = found.groups()
    return None if repo in (".", "..") else f"{host}/{owner}/{repo}"


def open_pr(
    git: Git, settings: Settings, name: str, commit: str, base: str | None, destination: str
) -> tuple[str, str, Path]:
    """(the pull request, as gh names it; the command to run when gh is absent; the body file),
    in the GitHub repository the branch was pushed to (``destination``, a URL)."""
    assert settings.out is not None  # --open-pr requires --out
    repository = github_repository(destination, os.environ.get("GH_HOST"))
    if repository is None:
        raise BatchError(
            f"no pull request opened: the branch went to {destination or 'an unknown URL'}, "
            "not a repository on github.com (or GH_HOST); open it yourself"
        )
    body = (settings.out / f"{name}.md").absolute()
    if not body.is_file():
        body.write_text(_log(git, "%b", commit).strip() + "\n", encoding="utf-8")
    title = _log(git, "%s", commit).strip()
    content = ["--title", title, "--body-file", str(body)]
    create = ["gh", "pr", "create", "--repo", repository, *content, "--head", settings.branch]
    create += ["--base", base] if base is not None else []
    if shutil.which("gh") is None:
        return "", f"cd {shlex.quote(str(git.path.absolute()))} && {shlex.join(create)}", body
    env = {**environment(git.settings()), "GH_PROMPT_DISABLED": "1", "GH_NO_UPDATE_NOTIFIER": "1"}
    find = ["gh", "pr", "list", "--repo", repository, "--head", settings.branch, "--json", "number"]
    listed = _gh(git, env, find)
    try:
        numbers = [int(entry["number"]) for entry in json.loads(listed)]
    except (ValueError, TypeError, KeyError):
        raise BatchError(
            f"gh pr list printed no list of numbers: {listed.strip()[:200]!r}"
        ) from None
    if numbers:
        edit = ["gh", "pr", "edit", str(numbers[0]), "--repo", repository, *content]
        return _last_line(_gh(git, env, edit)) or f"#{numbers[0]}", "", body
    return _last_line(_gh(git, env, create)), "", body


def _log(git: Git, format: str, commit: str) -> str:
    return git("log", "-1", "--no-show-signature", f"--format={format}", commit, "--").stdout


def _gh(git: Git, env: dict[str, str], command: list[str]) -> str:
    done = communicate(git.stop, command, git.path, env, git.timeout)
    if done is None:
        raise BatchError(f"{shlex.join(command[:3])} timed out after {git.timeout:g}s")
    if done.returncode != 0:
        raise BatchError(f"{shlex.join(command[:3])} failed: {message(done)}")
    return done.stdout


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
