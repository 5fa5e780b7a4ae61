"""``[tool.codemod]``: discovery, validation, merging with flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.config import ConfigError, find_pyproject, load, parse_python_version
from codemods.options import build_options


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_pyproject_with_table_stops_at_repo_root(tmp_path: Path) -> None:
    outer = write(tmp_path / "pyproject.toml", "[tool.codemod]\nselect = ['lifespan']\n")
    write(tmp_path / "repo/pyproject.toml", "[project]\nname = 'x'\n")  # no table: keep looking
    (tmp_path / "repo/src").mkdir()
    assert find_pyproject(tmp_path / "repo/src") == outer
    (tmp_path / "repo/.git").mkdir()
    assert find_pyproject(tmp_path / "repo/src") is None


def test_load_and_merge(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", """
[tool.codemod]
select = ["hoist-imports"]
exclude = ["gen/"]
unsafe-fixes = true
target-version = "py312"
target-fastapi = "0.112.2"
surprise = 1

[tool.codemod.hoist-imports]
keep-lazy = ["torch"]
nonsense = 2
""")
    config = load(path)
    assert config.values["target-version"] == (3, 12)
    assert config.values["target-fastapi"] == (0, 112, 2)
    assert config.codemod_options == {"hoist-imports": {"keep-lazy": ("torch",)}}
    assert any("tool.codemod.surprise" in w for w in config.warnings)
    assert any("hoist-imports.nonsense" in w for w in config.warnings)
    options = build_options(config, {"select": None, "unsafe_fixes": False, "exclude": ("x/",)})
    assert options.select == ("hoist-imports",)
    assert options.unsafe_fixes is False  # the flag wins
    assert options.exclude == ("gen/", "x/")
    assert options.option("hoist-imports", "keep-lazy", ()) == ("torch",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("select = 'x'", "must be a list of strings"),
        ("unsafe-fixes = 'yes'", "must be true or false"),
        ("target-version = '2.7'", "Python version"),
        ("target-fastapi = 'latest'", "version like"),
        ("hoist-imports = 3", "must be a table"),
        ("[tool.codemod.hoist-imports]\nkeep-lazy = 'torch'", "must be a list of strings"),
        ("select = [", "invalid TOML"),
    ],
)
def test_invalid_config(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path / "pyproject.toml", f"[tool.codemod]\n{body}\n")
    with pytest.raises(ConfigError, match=message):
        load(path)


def test_python_versions() -> None:
    assert parse_python_version("3.9", "x") == (3, 9)
    assert parse_python_version("py314", "x") == (3, 14)
    with pytest.raises(ConfigError):
        parse_python_version("4.0", "x")
