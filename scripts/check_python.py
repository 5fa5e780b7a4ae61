# ruff: noqa: UP010, UP020, UP031 (runs on the old interpreters it rejects: 2.7 and 3.x syntax)
"""Exit 1 with a clear message when this interpreter does not satisfy ``requires-python``.

The Makefile runs it with ``$(PYTHON)`` before creating ``.venv``, so it must run on the old
interpreters it rejects: Python 2.7 and 3.x syntax only (no f-strings, no annotations), the
standard library only (no ``tomllib`` before 3.11, no ``packaging``).
"""

from __future__ import print_function

import io
import os
import re
import sys

PYPROJECT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyproject.toml"
)
_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")


def requires_python(path):
    """The ``requires-python`` string of the ``[project]`` table of ``path``."""
    with io.open(path, encoding="utf-8") as handle:
        text = handle.read()
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    found = project and re.search(
        r"^requires-python\s*=\s*[\"']([^\"']+)[\"']", project.group(1), re.M
    )
    if not found:
        raise SystemExit("check_python: no requires-python in the [project] table of " + path)
    return found.group(1)


def _padded(numbers, length):
    return tuple(numbers) + (0,) * (length - len(numbers))


def satisfies(version, specifier):
    """Whether ``version`` (a tuple of ints) meets every comma-separated clause of ``specifier``."""
    for clause in specifier.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            raise SystemExit("check_python: cannot read the clause %r of requires-python" % clause)
        op, wanted = match.group(1), tuple(int(n) for n in match.group(2).split("."))
        length = max(len(wanted), len(version))
        have, want = _padded(version, length), _padded(wanted, length)
        if op in ("==", "!="):
            have = have[: len(wanted)]  # "==3.11" matches 3.11.7, as pip reads it
            want = wanted
        ok = {
            ">=": have >= want,
            "<=": have <= want,
            ">": have > want,
            "<": have < want,
            "==": have == want,
            "!=": have != want,
        }[op]
        if not ok:
            return False
    return True


def main():
    specifier = requires_python(PYPROJECT)
    version = tuple(sys.version_info[:3])
    if satisfies(version, specifier):
        return 0
    shown = ".".join(str(n) for n in version)
    name = sys.argv[1] if len(sys.argv) > 1 else "this interpreter"
    print(
        "codemod needs Python %s (requires-python in pyproject.toml), but %s (%s) is Python %s.\n"
        "Nothing was created: run make again with a newer one, e.g. `make demo PYTHON=python3.12`."
        % (specifier, name, sys.executable, shown),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
