"""The README and docs/ describe what exists: every CLI option, every configuration key, every
docs page, every pre-commit hook, and no link to a file or heading that is not there."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from codemods import registry
from codemods.cli import cli
from codemods.config import GLOBAL_KEYS

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _command_options() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option):
                found.extend((name, opt) for opt in param.opts + param.secondary_opts if opt.startswith("--"))
    return found


@pytest.mark.parametrize(("command", "option"), _command_options(), ids=lambda v: str(v))
def test_readme_documents_every_option(command: str, option: str) -> None:
    assert f"`codemod {command}" in README, f"README does not mention `codemod {command}`"
    assert re.search(rf"`[^`]*{re.escape(option)}\b", README), f"README lacks `{option}` of `codemod {command}`"


def test_readme_documents_every_configuration_key() -> None:
    keys = list(GLOBAL_KEYS)
    for cid, codemod in registry.all_codemods().items():
        keys.extend(f"{cid}.{name}" for name in codemod.OPTIONS)
    missing = [k for k in keys if f"`{k}`" not in README]
    assert not missing, f"README's configuration table lacks {missing}"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_readme_links_every_docs_page(page: Path) -> None:
    assert f"](docs/{page.name})" in README, f"README does not link docs/{page.name}"


def test_readme_names_every_pre_commit_hook() -> None:
    text = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    hooks = re.findall(r"^- id: (\S+)$.*?^  entry: ([^\n]+)$", text, re.M | re.S)
    assert hooks, ".pre-commit-hooks.yaml defines no hooks"
    for hook_id, entry in hooks:
        assert f"id: {hook_id}" in README, f"README's pre-commit example lacks hook {hook_id}"
        assert f"`{entry}`" in README, f"README misstates what hook {hook_id} runs"


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL
        file_part, _, anchor = target.partition("#")
        path = (page.parent / file_part).resolve() if file_part else page
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in _anchors(path)):
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"
