"""bench/smoke_apps.py: the METADATA -> pyproject.toml translation, the lock, the diff reader.

No network, no venv: only the pure parts of the script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smoke_apps", BENCH / "smoke_apps.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("smoke_apps", module)
    spec.loader.exec_module(module)
    return module


smoke_apps = _load()

METADATA = """\
Metadata-Version: 2.1
Name: Demo_App
Version: 1.2.3
Summary: a demo
Requires-Python: >=3.10,<3.14
Provides-Extra: azure
Provides-Extra: custom-data
Provides-Extra: empty
Requires-Dist: fastapi (>=0.88.0,!=0.89.0,<0.116.0)
Requires-Dist: uvloop ; sys_platform != "win32" and platform_python_implementation != "PyPy"
Requires-Dist: pydantic[email]<3,>=2
Requires-Dist: azure-identity>=1.18.0; extra == 'azure'
Requires-Dist: aiohttp; extra == "azure" or extra == "custom-data"
Requires-Dist: pandas-stubs<4,>=2; (python_version >= '3.9') and extra == 'custom-data'
Requires-Dist: uvloop; (platform_system != 'Windows') and extra == 'custom_data'
Requires-Dist: tomli; python_version < "3.11" or extra == "azure"
Requires-Dist: boto3; extra == "azure" and (python_version < "3.12" or os_name == "nt")
Requires-Dist: mylib @ https://example.org/mylib-1.0.zip ; extra == "empty2"

Requires-Dist: this line is the description, not a header
"""


def test_translate_metadata_exactly() -> None:
    project = smoke_apps.translate(smoke_apps.parse_metadata(METADATA))
    assert project == {
        "name": "Demo_App",
        "version": "1.2.3",
        "requires-python": ">=3.10,<3.14",
        "dependencies": [
            "fastapi (>=0.88.0,!=0.89.0,<0.116.0)",
            'uvloop; sys_platform != "win32" and platform_python_implementation != "PyPy"',
            "pydantic[email]<3,>=2",
            'tomli; python_version < "3.11"',
        ],
        "optional-dependencies": {
            "azure": [
                "azure-identity>=1.18.0",
                "aiohttp",
                "tomli",
                'boto3; python_version < "3.12" or os_name == "nt"',
            ],
            "custom-data": [
                "aiohttp",
                "pandas-stubs<4,>=2; python_version >= '3.9'",
                "uvloop; platform_system != 'Windows'",
            ],
            "empty": [],
            "empty2": ["mylib @ https://example.org/mylib-1.0.zip"],
        },
    }


def test_pyproject_round_trips() -> None:
    project = smoke_apps.translate(smoke_apps.parse_metadata(METADATA))
    text = smoke_apps.render_pyproject(project, "demo.whl:Demo_App-1.2.3.dist-info/METADATA")
    assert tomllib.loads(text)["project"] == project
    assert "[project.optional-dependencies]" in text


def test_markers() -> None:
    tree = smoke_apps.parse_marker("(a == 'x' or extra == 'e') and b not in 'y'")
    assert smoke_apps.render_marker(smoke_apps.with_extra(tree, "e")) == "b not in 'y'"
    assert (
        smoke_apps.render_marker(smoke_apps.with_extra(tree, None)) == "a == 'x' and b not in 'y'"
    )
    assert smoke_apps.with_extra(smoke_apps.parse_marker('extra == "E_x"'), "e-x") is True
    assert smoke_apps.with_extra(smoke_apps.parse_marker('"e" != extra'), None) is True
    for bad in ("extra ~= 'x'", "a ==", "(a == 'b'", "a == 'b' c"):
        with pytest.raises(smoke_apps.MarkerError):
            smoke_apps.translate(
                smoke_apps.parse_metadata(f"Name: n\nVersion: 1\nRequires-Dist: r; {bad}\n\n")
            )


def test_lock_directives(tmp_path: Path) -> None:
    lock = tmp_path / "apps.lock"
    lock.write_text(
        "# header\n#   # @packages: not a directive\n\n"
        "# demo: an app.\n# @packages: demo, demo_extra\n# @env: KEY=a=b\n"
        "# @stub: psycopg2=psycopg2\n# @asgi: demo.app:create()\n"
        "demo==1.0 --hash=sha256:" + "0" * 64 + "  # demo-1.0-py3-none-any.whl\n",
        encoding="utf-8",
    )
    (app,) = smoke_apps.read_apps(lock)
    assert (app.name, app.version, app.packages) == ("demo", "1.0", ("demo", "demo_extra"))
    assert app.env == (("KEY", "a=b"),)
    assert app.stubs == (("psycopg2", ("psycopg2",)),)
    assert app.asgi == "demo.app:create()"
    assert app.comment == "demo: an app."


def test_stubs_only_for_required_dependencies(tmp_path: Path) -> None:
    meta = smoke_apps.parse_metadata(METADATA)
    lock = smoke_apps.build_corpus.Locked("demo", "1", "0" * 64, "demo.whl", "demo==1")
    required = smoke_apps.App(lock, ("demo",), stubs=(("Pydantic", ("pydantic",)),))
    smoke_apps.check_stubs(required, meta)
    for dist in ("azure-identity", "requests"):  # an extra's, an undeclared one
        refused = smoke_apps.App(lock, ("demo",), stubs=((dist, ("azure",)),))
        with pytest.raises(SystemExit, match="refused"):
            smoke_apps.check_stubs(refused, meta)


def test_shipped_lock_reads() -> None:
    apps = smoke_apps.read_apps()
    assert len(apps) >= 6
    assert all(app.packages and app.locked.filename.endswith(".whl") for app in apps)


DIFF = "\n".join([
    "--- a/work/demo/demo/api.py",
    "+++ b/work/demo/demo/api.py",
    "@@ -1,3 +1,4 @@",
    " import os",
    "+from azure.identity import DefaultAzureCredential",
    " ",
    " ",
    "@@ -10,5 +11,4 @@",
    " def token():",
    "-    from azure.identity import DefaultAzureCredential",
    "-",
    "-- not a header",
    "+-- a plus line",
    "     return DefaultAzureCredential()",
])  # fmt: skip


def test_diff_and_attribution(tmp_path: Path) -> None:
    files = smoke_apps.parse_diff(DIFF)
    fd = files["work/demo/demo/api.py"]
    assert fd.added == {
        2: "from azure.identity import DefaultAzureCredential",
        12: "-- a plus line",
    }
    assert fd.removed[11] == "    from azure.identity import DefaultAzureCredential"
    assert fd.removed[13] == "- not a header"
    changes = {
        "work/demo/demo/api.py": [
            {"line": 11, "codemod": "hoist-imports", "message": "hoisted", "applied": True}
        ]
    }
    cause = smoke_apps.attribute(
        [["demo/__init__.py", 1, "<module>"], ["demo/api.py", 2, "<module>"]],
        "work/demo",
        files,
        changes,
        tmp_path,
    )
    assert cause["file"] == "work/demo/demo/api.py"
    assert cause["from_lines"] == [11]
    assert cause["changes"] == [{"line": 11, "codemod": "hoist-imports", "message": "hoisted"}]


def test_exception_line() -> None:
    stderr = (
        "warning\nTraceback (most recent call last):\n"
        '  File "/w/demo/api.py", line 2, in <module>\n    import azure\n'
        "ModuleNotFoundError: No module named 'azure'\n"
    )
    assert smoke_apps.exception_line(stderr) == "ModuleNotFoundError: No module named 'azure'"
    assert smoke_apps.work_frames(stderr, Path("/w")) == [["demo/api.py", 2, "<module>"]]


def test_stub_finder_serves_only_missing_listed_modules() -> None:
    program = smoke_apps.STUB_FINDER % (["nopkg_smoke", "json"],) + (
        "import nopkg_smoke\n"
        "from nopkg_smoke.extras import Thing\n"
        "import json\n"
        "assert nopkg_smoke.__smoke_apps_stub__ and isinstance(Thing, type)\n"
        "assert not hasattr(json, '__smoke_apps_stub__')  # a real module always wins\n"
        "try:\n    import other_missing_smoke\nexcept ModuleNotFoundError:\n    print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
