"""Every git call ``codemod batch`` makes, kept from running what a repository brings along.

A repository's ``.git/config`` and ``.git/hooks`` come with the repository, not from the user:
hooks, ``core.fsmonitor``, filter drivers and others name commands that git runs. Unless the user
trusts the repositories (``--trust-repo-config``), each call gets:

- no hooks (``core.hooksPath=/dev/null``), ``core.fsmonitor=false``, no recursion into
  submodules, no automatic gc or maintenance (nothing keeps running after batch), and every
  transport refused: only ``--push`` needs the network (:mod:`codemods.batch_push` allows it a
  few), and a partial clone's lazy fetch would otherwise run an ``ext::`` URL;
- every command key the repository's own configuration sets (local or worktree scope, includes
  followed) replaced by its value in the user's global or system configuration, or else made
  inert: filter, diff and merge drivers, the signing programs, ``core.sshCommand`` and
  ``core.askPass``.

The overrides are read again before each call (an ``includeIf "onbranch:..."`` can depend on the
branch) and travel in ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``: command
scope, so they win over every file, and, unlike ``-c``, they can name any subsection (a filter
called ``a=b``). Always: no pager, no editor, no terminal prompt, literal pathspecs (a file
named ``:(exclude)x.py`` is that file), a session of its own (a Ctrl-C reaches batch, which
stops in order), registered with the run's :class:`~codemods.batch_procs.Stop` (an interrupt
sends it SIGTERM: git removes its lock files and exits, even when blocked on a named pipe), and
``--git-timeout`` seconds: a named pipe among the files git reads (a config include,
``info/exclude``, ``.gitignore``) would block it forever.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from .batch_procs import Interrupted, Stop, communicate

#: git >= 2.31 reads GIT_CONFIG_COUNT; an older one would silently ignore the overrides.
MIN_VERSION = (2, 31)
PROTOCOLS = ("file", "git", "ssh", "http", "https", "ext")
ALWAYS: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("submodule.recurse", "false"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("protocol.allow", "never"),
)
UNTRUSTED_SCOPES = frozenset({"local", "worktree"})
#: (section, variable) -> the inert value of keys with a subsection (``filter.<name>.clean``);
#: an empty command is "no command" for each of them.
INERT_SUB = {
    ("filter", "clean"): "", ("filter", "smudge"): "", ("filter", "process"): "",
    ("filter", "required"): "false",
    ("diff", "textconv"): "", ("diff", "command"): "", ("merge", "driver"): "",
}  # fmt: skip
INERT_PLAIN = {"diff.external": ""}
#: the signing programs and those of a push (ssh, the password prompt): key -> (the keys that
#: set the same program, git's default); an empty key command makes signing fail rather than
#: run anything, an empty ``core.askPass`` asks nobody (no terminal prompt either)
PROGRAMS = {
    "gpg.program": (("gpg.program", "gpg.openpgp.program"), "gpg"),
    "gpg.openpgp.program": (("gpg.program", "gpg.openpgp.program"), "gpg"),
    "gpg.x509.program": (("gpg.x509.program",), "gpgsm"),
    "gpg.ssh.program": (("gpg.ssh.program",), "ssh-keygen"),
    "gpg.ssh.defaultkeycommand": (("gpg.ssh.defaultkeycommand",), ""),
    "core.sshcommand": (("core.sshcommand",), "ssh"),
    "core.askpass": (("core.askpass",), ""),
}


class BatchError(Exception):
    """A step failed; the repository is put back and reported ``failed``."""


class GitTimeout(BatchError):
    """A git call outlived ``--git-timeout``; the later calls in that repository are not made."""


def canonical(key: str) -> str:
    """``Section.Sub.Var`` as git compares it: section and variable lower case."""
    section, _, rest = key.partition(".")
    sub, dot, var = rest.rpartition(".")
    return f"{section.lower()}.{sub}{dot}{var.lower()}"


def inert_value(key: str) -> str | None:
    """The value that keeps ``key`` from running a command, or None when it runs none."""
    key = canonical(key)
    if key in PROGRAMS:
        return PROGRAMS[key][1]
    section, _, rest = key.partition(".")
    sub, _, var = rest.rpartition(".")
    return INERT_SUB.get((section, var)) if sub else INERT_PLAIN.get(key)


def parse_config(listing: str) -> Iterator[tuple[str, str, str]]:
    """``git config --show-scope --list -z`` as (scope, canonical key, value) triples."""
    fields = listing.split("\0")
    for scope, entry in zip(fields[0::2], fields[1::2], strict=False):
        key, _, value = entry.partition("\n")
        yield scope, canonical(key), value


def overrides(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The command-scope settings for one repository's configuration."""
    entries = list(entries)
    trusted: dict[str, tuple[int, str]] = {}  # key -> (position of its last setting, value)
    for position, (scope, key, value) in enumerate(entries):
        if scope not in UNTRUSTED_SCOPES:
            trusted[key] = (position, value)
    found: dict[str, str] = {}
    protocols = set(PROTOCOLS)
    for scope, key, _ in entries:
        match = re.fullmatch(r"protocol\.(.+)\.allow", key)
        if match:
            protocols.add(match.group(1))
        if scope not in UNTRUSTED_SCOPES or inert_value(key) is None:
            continue
        names, _ = PROGRAMS.get(key, ((key,), ""))
        values = sorted(trusted[name] for name in names if name in trusted)
        found[key] = values[-1][1] if values else str(inert_value(key))
    return [
        *ALWAYS,
        *((f"protocol.{name}.allow", "never") for name in sorted(protocols)),
        *sorted(found.items()),
    ]


def environment(settings: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The environment of a git call: the caller's, the settings appended to its own
    ``GIT_CONFIG_COUNT`` ones (later wins), and what batch never wants from git."""
    env = {
        **os.environ,
        "GIT_LITERAL_PATHSPECS": "1", "GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": ":",
    }  # fmt: skip
    env.pop("GIT_GLOB_PATHSPECS", None)
    env.pop("GIT_ICASE_PATHSPECS", None)
    count = int(env.get("GIT_CONFIG_COUNT") or 0)
    for key, value in settings:
        env[f"GIT_CONFIG_KEY_{count}"], env[f"GIT_CONFIG_VALUE_{count}"] = key, value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def run_git(
    cwd: Path,
    args: Iterable[str],
    settings: Iterable[tuple[str, str]],
    stop: Stop,
    timeout: float,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """One git call, registered with ``stop`` (an interrupt sends it SIGTERM, on which git
    removes its lock files); raise :class:`BatchError` when it outlives ``timeout`` seconds."""
    arguments = list(args)
    command = ["git", "--no-pager", *arguments]
    done = communicate(stop, command, cwd, environment(settings), timeout, input)
    if done is None:
        raise GitTimeout(
            f"git {' '.join(arguments[:2])} timed out after {timeout:g}s (a named pipe or a slow "
            "file system among the repository's config includes, ignore or attribute files?)"
        )
    return done


def message(done: subprocess.CompletedProcess[str]) -> str:
    """git's own words, on one line: ``fatal: `` dropped, lines joined."""
    text = (done.stderr or done.stdout).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines).removeprefix("fatal: ")[-500:] or f"exit code {done.returncode}"


class Git:
    """git in one repository (its working directory), trusted or not."""

    def __init__(self, path: Path, trusted: bool, stop: Stop, timeout: float) -> None:
        self.path = path
        self.trusted = trusted
        self.stop = stop
        self.timeout = timeout
        #: the call that timed out: every later one would likely hang as well, so none is made
        self.hung: GitTimeout | None = None

    def _run(
        self, args: Iterable[str], settings: Iterable[tuple[str, str]], input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        if self.hung is not None:
            raise GitTimeout(f"{self.hung}; the repository is left as it is")
        triggered = self.stop.triggered
        try:
            done = run_git(self.path, args, settings, self.stop, self.timeout, input)
        except GitTimeout as exc:
            self.hung = exc
            raise
        if not triggered and self.stop.triggered and done.returncode != 0:
            raise Interrupted  # stopped halfway by the interrupt
        return done

    def entries(self) -> list[tuple[str, str, str]]:
        """The repository's configuration as (scope, canonical key, value), every scope."""
        listing = self._run(["config", "--show-scope", "--list", "-z"], ALWAYS)
        if listing.returncode != 0:
            raise BatchError(f"git config failed: {message(listing)}")
        return list(parse_config(listing.stdout))

    def settings(self) -> list[tuple[str, str]]:
        return [] if self.trusted else overrides(self.entries())

    def __call__(
        self,
        *args: str,
        check: bool = True,
        input: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
    ) -> subprocess.CompletedProcess[str]:
        """``git ARGS``; ``extra`` settings come after (and win over) the usual overrides."""
        done = self._run(args, [*self.settings(), *extra], input)
        if check and done.returncode != 0:
            raise BatchError(f"git {' '.join(args[:2])} failed: {message(done)}")
        return done


def version_problem() -> str | None:
    """Why this git cannot keep repository configuration from running commands, if it cannot."""
    try:
        done = subprocess.run(["git", "version"], capture_output=True, text=True, check=False)
    except OSError as exc:
        return f"cannot run git: {exc}"
    found = re.search(r"(\d+)\.(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        return f"cannot run git: {(done.stderr or done.stdout).strip()}"
    if (int(found.group(1)), int(found.group(2))) < MIN_VERSION:
        return (
            f"codemod batch needs git {'.'.join(map(str, MIN_VERSION))} or newer to keep the "
            f"repositories' git configuration from running commands (found {done.stdout.strip()}); "
            "upgrade git, or pass --trust-repo-config"
        )
    return None
