"""``codemod batch --push REMOTE``: the codemod branch goes to a remote, and what a repository's
own configuration may make of that push.

REMOTE is the user's (command line): a remote name, or a URL or path. A name means whatever
URL the repository configures for it. Unless ``--trust-repo-config``:

- transports: https, http and ssh; ``file`` (a local path) only when the destination is the
  user's: no ``remote.<REMOTE>.url``/``pushurl`` and no ``url.<base>.insteadOf``/``pushInsteadOf``
  (which rewrite any URL) in the repository's own configuration. Pushing to a local repository
  runs that repository's hooks and configuration on this machine, and one the repository names
  could be a bare repository it ships, with a ``post-receive`` hook. Every other transport
  (``ext::``, ``fd::``, ``git://``, ``<helper>::``, ``remote.<name>.vcs``) stays refused by git
  itself (``protocol.allow=never``, each allowed protocol ``always``, so neither the ``user``
  policy nor ``GIT_PROTOCOL_FROM_USER`` comes into play);
- refused before git runs, naming the key: ``remote.<REMOTE>.receivepack`` or ``uploadpack``
  (git takes the *first* value, so a command-scope setting cannot win; for a local path the
  command runs here), a credential helper (``credential.helper``, ``credential.<url>.helper``:
  a command, in a list a later setting cannot take items out of) and ``core.gitProxy``;
- refused before git runs, naming the key: every ``http.*`` key (``http.<url>.*`` included) but
  ``extraHeader`` (a header, as ``actions/checkout`` writes it), ``remote.<REMOTE>.proxy`` and
  ``proxyAuthMethod``. They choose where git connects (a proxy, ``curloptResolve``), what it
  trusts (``sslVerify``, ``sslCAInfo``, redirects) and files curl reads and writes
  (``cookieFile`` with ``saveCookies`` overwrites any file the user can write; without it, sends
  a file's lines as cookies). Refused rather than overridden: a command-scope ``http.proxy``
  loses to the repository's ``http.<url>.proxy``, git taking the most specific URL match;
- refused before git runs, naming the key: a setting of the repository's own that may send a
  push to a URL or path given on the command line elsewhere: ``remote.<URL>.url`` or
  ``pushurl`` (git takes the argument for a remote's name first), or a ``url.<base>.insteadOf``
  or ``pushInsteadOf`` whose value begins it; a remote name's URL is the repository's to
  choose anyway;
- ``core.sshCommand`` and ``core.askPass`` are the user's or git's default (see
  :data:`codemods.batch_git.PROGRAMS`); no hook runs (``pre-push``).

Never forced unless ``--force-push``, and then ``--force-with-lease``: the remote branch is
replaced only when it is where the remote-tracking branch says (a URL has none: rejected).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import batch_pr
from .batch_git import UNTRUSTED_SCOPES, BatchError, Git, canonical, message
from .batch_settings import Outcome, Settings

#: the transports of a push to a destination the repository names
NETWORK = ("https", "http", "ssh")
#: ``git push --porcelain`` flags of a successful update, as the report words them
PUSHED = {"*": "new branch", " ": "fast-forward", "+": "forced update", "=": "up to date"}
TRANSPORT_HINT = (
    "batch pushes over https, http and ssh, and to a local path only when the command line "
    "names it; see docs/security.md"
)


def publish(git: Git, outcome: Outcome, settings: Settings, base: str | None) -> None:
    """Push the repository's branch and, with ``--open-pr``, open its pull request; a failure
    is the repository's status (``push-failed``, ``pr-failed``), the commit stays."""
    assert settings.push is not None
    git.stop.check()  # interrupted: the commit is done, nothing more starts
    failure = "push-failed"
    try:
        outcome.pushed, destination = push(git, settings.push, settings.branch, settings.force_push)
        outcome.detail = "; ".join(
            filter(None, (outcome.detail, f"pushed to {settings.push}: {outcome.pushed}"))
        )
        failure = "pr-failed"
        if settings.open_pr:
            git.stop.check()
            outcome.pr, outcome.pr_command, body = batch_pr.open_pr(
                git, settings, outcome.name, str(outcome.commit), base, destination
            )
            outcome.pr_body = str(body)
    except BatchError as exc:
        outcome.status, outcome.detail = failure, str(exc)


def is_name(remote: str) -> bool:
    """Whether git can only take ``remote`` for a remote's name (not a URL or a path)."""
    return not any(char in remote for char in "/:\\")


def refusal(key: str, remote: str) -> str | None:
    """Why the repository's own setting of ``key`` (canonical) stops a push to ``remote``."""
    commands = {canonical(f"remote.{remote}.{var}") for var in ("receivepack", "uploadpack")}
    if (
        key in commands
        or key == "core.gitproxy"
        or re.fullmatch(r"credential\.(?:.+\.)?helper", key)
    ):
        return "a command git would run"
    proxies = {canonical(f"remote.{remote}.{var}") for var in ("proxy", "proxyauthmethod")}
    if key in proxies or (key.startswith("http.") and not key.endswith(".extraheader")):
        return "it chooses where git connects, what it trusts, or files it reads or writes"
    return None


def policy(entries: Sequence[tuple[str, str, str]], remote: str) -> list[tuple[str, str]]:
    """The transports this push may use; raise :class:`BatchError` when the repository's own
    configuration would make git run a command of its choosing or choose how it connects."""
    own = [key for scope, key, _ in entries if scope in UNTRUSTED_SCOPES]
    for key in own:
        why = refusal(key, remote)
        if why is not None:
            raise BatchError(
                f"not pushed: the repository's own git configuration sets {key} ({why}); "
                "push it yourself, or pass --trust-repo-config"
            )
    redirect = _redirect_of(entries, remote)
    if redirect is not None:
        raise BatchError(
            f"not pushed: the repository's own git configuration sets {redirect}, which may send "
            f"the push to another destination than the one given on the command line ({remote}); "
            "push it yourself, or pass --trust-repo-config"
        )
    destinations = _destinations(remote)
    named = any(key in destinations or _REWRITE.fullmatch(key) for key in own)
    return [
        *((f"protocol.{name}.allow", "always") for name in NETWORK),
        ("protocol.file.allow", "never" if named else "always"),
    ]


#: ``url.<base>.insteadOf`` and ``pushInsteadOf``, canonical: they rewrite any URL they begin
_REWRITE = re.compile(r"url\..+\.(?:push)?insteadof")


def _destinations(remote: str) -> set[str]:
    """The keys that say where a push to the remote named ``remote`` goes."""
    return {canonical(f"remote.{remote}.{var}") for var in ("url", "pushurl")}


def _redirect_of(entries: Sequence[tuple[str, str, str]], remote: str) -> str | None:
    """``key = value`` of the repository's own setting that may send a push to a URL or path
    given on the command line elsewhere; None for a remote name, whose URL the repository
    chooses anyway. git looks the argument up as a remote name first, so a ``remote.<URL>.url``
    or ``pushurl`` replaces it; and a ``url.<base>.insteadOf``/``pushInsteadOf`` whose value
    begins it rewrites it (unless a longer match of the user's wins: refused all the same)."""
    if is_name(remote):
        return None
    destinations = _destinations(remote)
    for scope, key, value in entries:
        if scope in UNTRUSTED_SCOPES and (
            key in destinations or (_REWRITE.fullmatch(key) and remote.startswith(value))
        ):
            return f"{key} = {value}"
    return None


def push(git: Git, remote: str, branch: str, force: bool) -> tuple[str, str]:
    """Push ``branch`` to the same name on ``remote``: how the remote branch moved
    (``new branch``, ``up to date``...) and the URL git pushed it to (its ``To`` line: the
    first, when the remote has several push URLs); raise :class:`BatchError` when it did not."""
    entries = git.entries()
    known = {canonical(f"remote.{remote}.{var}") for var in ("url", "vcs")}
    if is_name(remote) and not any(key in known for _, key, _ in entries):
        raise BatchError(f"not pushed: no remote named {remote} in this repository")
    ref = f"refs/heads/{branch}"
    done = git(
        "push", "--porcelain", "--no-follow-tags", "--no-signed", "--recurse-submodules=no",
        *([f"--force-with-lease={ref}"] if force else []), "--", remote, f"{ref}:{ref}",
        check=False, extra=[] if git.trusted else policy(entries, remote),
    )  # fmt: skip
    flag, summary, destination = _porcelain(done.stdout, ref)
    if done.returncode == 0 and flag in PUSHED:
        return PUSHED[flag], destination
    if "non-fast-forward" in summary or "fetch first" in summary:
        raise BatchError(
            f"push to {remote} rejected: the remote branch {branch} has commits this one does not "
            "have (--force-push replaces it)"
        )
    if "stale info" in summary:
        raise BatchError(
            f"push to {remote} rejected: --force-with-lease found the remote branch {branch} "
            "elsewhere than its remote-tracking branch says (or there is none: fetch it first)"
        )
    if summary:
        raise BatchError(f"push to {remote} rejected: {summary}: {message(done)}")
    words = message(done)
    hint = f" ({TRANSPORT_HINT})" if re.search(r"transport '[^']*' not allowed", words) else ""
    raise BatchError(f"push to {remote} failed: {words}{hint}")


def _porcelain(stdout: str, ref: str) -> tuple[str, str, str]:
    """The flag and summary of ``ref`` in ``git push --porcelain`` output, and the URL of the
    ``To`` line above it ('' when absent)."""
    destination = ""
    for line in stdout.splitlines():
        if line.startswith("To "):
            destination = line.removeprefix("To ")
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] == f"{ref}:{ref}":
            return fields[0], fields[2], destination
    return "", "", ""
