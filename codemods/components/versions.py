"""Poetry version constraints as PEP 440 specifiers.

Poetry writes constraints PEP 440 cannot (``^1.2``, ``~1.2``, ``1.2``, ``>=1 <2``, ``1 || 2``);
``poetry_constraint`` turns one into specifier strings that ``packaging.specifiers.SpecifierSet``
accepts, following Poetry's documented rules (python-poetry.org, "Dependency specification"):

========== ==================  ========== ==================
Poetry     PEP 440             Poetry     PEP 440
========== ==================  ========== ==================
``^1.2.3`` ``>=1.2.3,<2.0.0``  ``~1.2.3`` ``>=1.2.3,<1.3.0``
``^1.2``   ``>=1.2,<2.0``      ``~1.2``   ``>=1.2,<1.3``
``^1``     ``>=1,<2``          ``~1``     ``>=1,<2``
``^0.2.3`` ``>=0.2.3,<0.3.0``  ``1.2.*``  ``==1.2.*``
``^0.0.3`` ``>=0.0.3,<0.0.4``  ``*``      ``""`` (any version)
``^0.0``   ``>=0.0,<0.1``      ``1.2.3``  ``==1.2.3``
``^0``     ``>=0,<1``          ``~=1.2``  ``~=1.2`` (PEP 440 already)
========== ==================  ========== ==================

A caret allows what does not change the left-most non-zero part of the version (of the parts
written: ``^0.0`` keeps ``0.0``'s minor part, ``^0`` its major part). A tilde allows patch-level
changes, or minor-level ones when only a major version is written. The upper bound has as many
release parts as the version written. Comma- or space-separated constraints must all hold;
``||`` (or ``|``) separates alternatives, which no single specifier set can express, so the
result is one specifier string per alternative.

Versions are parsed with ``packaging.version.Version``; only operators are split off by hand.
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

#: One constraint: an optional operator, then a version (or wildcard) with no separator in it.
_CONSTRAINT = re.compile(r"\s*(\^|~=|~|==|!=|<>|<=|>=|<|>|=)?\s*([^\s,|<>=~^]+)\s*")
_ANY = re.compile(r"v?[xX*](?:\.[xX*])*")
_WILDCARD = re.compile(r"(?P<base>[^*xX]+?)(?:\.[xX*])+")
_ALTERNATIVES = re.compile(r"\s*\|\|?\s*")
#: Poetry's comparison operators and their PEP 440 spelling (no operator means ``==``).
_BASIC_OPS = {
    "": "==", "=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
}  # fmt: skip


def poetry_constraint(text: str) -> tuple[str, ...]:
    """PEP 440 specifier strings for the Poetry constraint ``text``, one per ``||``
    alternative (``("",)`` for any version). Raises ``ValueError`` naming what cannot be read."""
    if not text.strip():
        raise ValueError("empty version constraint")
    results: list[str] = []
    for alternative in _ALTERNATIVES.split(text.strip()):
        specifier = _alternative(alternative.rstrip(", "), text)
        if specifier == "":
            return ("",)  # one alternative allows every version: so does the whole
        results.append(specifier)
    return tuple(dict.fromkeys(results))


def _alternative(text: str, whole: str) -> str:
    if not text:
        raise ValueError(f"empty alternative in version constraint {whole!r}")
    clauses: list[str] = []
    position = 0
    while position < len(text):
        if text[position] == ",":
            position += 1
            continue
        m = _CONSTRAINT.match(text, position)
        if m is None or m.end() == position:
            raise ValueError(f"cannot read version constraint {whole!r} at {text[position:]!r}")
        clauses.extend(_clauses(m.group(1) or "", m.group(2), whole))
        position = m.end()
    specifier = ",".join(clauses)
    try:
        SpecifierSet(specifier)
    except InvalidSpecifier as error:
        raise ValueError(f"version constraint {whole!r} is not valid PEP 440: {error}") from None
    return specifier


def _version(text: str, whole: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise ValueError(f"invalid version {text!r} in constraint {whole!r}") from None


def _bump(version: Version, index: int) -> str:
    """The release of ``version`` with part ``index`` incremented and every later part zeroed,
    as many parts as written (at least ``index + 1``); the epoch is kept."""
    release = list(version.release) + [0] * (index + 1 - len(version.release))
    release[index] += 1
    release[index + 1 :] = [0] * (len(release) - index - 1)
    text = ".".join(str(part) for part in release)
    return f"{version.epoch}!{text}" if version.epoch else text


def _clauses(op: str, value: str, whole: str) -> list[str]:
    """The PEP 440 clauses (``>=1.2``, ``<2.0``) for one Poetry constraint."""
    if _ANY.fullmatch(value):
        if op not in ("", "==", "="):
            raise ValueError(f"{op}{value} in {whole!r}: a wildcard needs == or no operator")
        return []
    wildcard = _WILDCARD.fullmatch(value)
    if wildcard:
        base = _version(wildcard.group("base"), whole)
        if op not in ("", "==", "=", "!=", "<>"):
            raise ValueError(f"{op}{value} in {whole!r}: a wildcard needs ==, != or no operator")
        prefix = "!=" if op in ("!=", "<>") else "=="
        return [f"{prefix}{base}.*"]
    version = _version(value, whole)
    if op == "^":
        release = version.release
        if release[0] > 0 or len(release) == 1:
            index = 0
        elif release[1] > 0 or len(release) == 2:
            index = 1
        else:
            index = 2
        return [f">={version}", f"<{_bump(version, index)}"]
    if op == "~":
        index = 0 if len(version.release) == 1 else 1
        return [f">={version}", f"<{_bump(version, index)}"]
    if op == "~=":
        if len(version.release) < 2:
            raise ValueError(f"~={value} in {whole!r}: ~= needs at least two release parts")
        return [f"~={version}"]
    return [f"{_BASIC_OPS[op]}{version}"]
