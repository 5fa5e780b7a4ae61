"""The probe ``codemod audit --python PATH`` runs in the app's interpreter: ``PATH -I -c SOURCE``.

Its text is sent as ``-c`` source (see :mod:`.envprobe`); codemod itself never imports it for
use. It must stay standard-library only and run on Python 3.8 and later. It never imports the
app: ``importlib.util.find_spec`` is called on *top-level* names only (a dotted name would
import its parent package), and finding a spec runs no module code. ``-I`` keeps the working
directory, ``PYTHONPATH`` and the user's site-packages off ``sys.path``; ``site`` still runs, so
the environment's own site-packages are seen as the app sees them.

Request (stdin, JSON): ``{"names": [top-level import names], "metadata": true|false}``.
Answer (stdout, one JSON object): ``probe`` (the protocol, 1), ``executable``, ``version``
(``[major, minor, micro]``), ``found`` (each requested name -> is a module of that name
importable?) and, when ``metadata`` was asked, ``distributions`` (top-level import name ->
names of the installed distributions providing it) and ``requires`` (distribution name -> its
requirement strings, markers included).
"""

from __future__ import annotations

import json
import sys
from typing import Any

PROTOCOL = 1


def found(name: str) -> bool:
    if not name.isidentifier():  # dotted names too: never looked up
        return False
    if name in sys.modules:
        return True
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError, AttributeError):
        return False


def distributions() -> dict[str, list[str]]:
    import importlib.metadata as metadata

    mapping: dict[str, list[str]] = {}
    if hasattr(metadata, "packages_distributions"):  # 3.10+
        for top, names in metadata.packages_distributions().items():
            mapping[top] = [n for n in names if isinstance(n, str)]
        return mapping
    for dist in metadata.distributions():  # 3.8, 3.9: what packages_distributions does
        name = dist.metadata["Name"]
        if not name:
            continue
        text = dist.read_text("top_level.txt")
        tops = text.split() if text else _inferred_tops(dist.files or [])
        for top in tops:
            mapping.setdefault(top, []).append(name)
    return mapping


def _inferred_tops(files: list[Any]) -> list[str]:
    tops = {
        f.parts[0] if len(f.parts) > 1 else f.with_suffix("").name
        for f in files
        if f.suffix == ".py"
    }
    return sorted(tops)


def requires() -> dict[str, list[str]]:
    import importlib.metadata as metadata

    found_requires: dict[str, list[str]] = {}
    for dist in metadata.distributions():  # the first of a name wins, as importlib's lookups do
        name = dist.metadata["Name"]
        if name and name not in found_requires:
            found_requires[name] = list(dist.requires or [])
    return found_requires


def main() -> int:
    if sys.version_info < (3, 8):  # noqa: UP036 - runs in the app's interpreter, not codemod's
        sys.stderr.write("codemod audit --python needs Python 3.8 or newer\n")
        return 3
    request = json.load(sys.stdin)
    names = [n for n in request["names"] if isinstance(n, str)]
    answer = {
        "probe": PROTOCOL,
        "executable": sys.executable,
        "version": list(sys.version_info[:3]),
        "found": {name: found(name) for name in names},
    }
    if request.get("metadata"):
        answer["distributions"] = distributions()
        answer["requires"] = requires()
    json.dump(answer, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
