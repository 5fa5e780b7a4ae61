"""PEP 508 requirement strings, and pip's URL and path references, read with ``packaging``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from .distributions import normalize

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EGG = re.compile(r"[#&]egg=([^&]+)")
_EXTRAS = re.compile(r"\[[^\]]*\]$")
_ARCHIVES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")


@dataclass(frozen=True)
class Parsed:
    """One requirement, as ``Requirement`` fields need it."""

    #: PEP 503-normalised distribution name.
    name: str
    #: A PEP 440 specifier set; ``""`` for any version (and for direct references).
    specifier: str
    marker: str | None
    #: The exact version when the specifier is one ``==`` (no wildcard) or ``===``.
    pin: str | None
    #: A direct reference (``name @ url``, a path, a VCS checkout): its version is unknown.
    direct: bool = False


def exact_pin(specifier: SpecifierSet) -> str | None:
    """The version ``specifier`` pins exactly (``==1.2.3``, ``===1.2.3``), if it does."""
    specs = list(specifier)
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
        return spec.version
    return None


def parse_pep508(text: str) -> Parsed:
    """``text`` as a PEP 508 requirement. Raises ``ValueError`` with packaging's reason."""
    try:
        req = Requirement(text)
    except InvalidRequirement as error:
        raise ValueError(str(error).splitlines()[0]) from None
    return Parsed(
        normalize(req.name),
        str(req.specifier),
        str(req.marker) if req.marker is not None else None,
        exact_pin(req.specifier),
        direct=req.url is not None,
    )


def marker_text(text: str) -> str:
    """``text`` checked (and normalised) as an environment marker. Raises ``ValueError``."""
    try:
        return str(Marker(text))
    except InvalidMarker as error:
        raise ValueError(f"invalid marker {text!r}: {str(error).splitlines()[0]}") from None


def is_reference(text: str) -> bool:
    """Does ``text`` look like a URL or a path rather than a requirement?"""
    head = text.split(";", 1)[0].strip()
    return bool(
        _URL.match(head)
        or head.startswith((".", "/", "~", "file:"))
        or "/" in head
        or "\\" in head
        or head.lower().endswith(_ARCHIVES)
    )


def parse_reference(text: str, base: Path, root: Path) -> Parsed | None:
    """A pip URL or path reference (``-e``, or a requirement line that is not PEP 508):
    the name from ``#egg=``, else from a wheel or sdist file name. ``None`` when it points at
    the component root itself (``-e .``). Raises ``ValueError`` when no name can be told."""
    url = bool(_URL.match(text.strip()))
    head, sep, marker = text.partition("; " if url else ";")
    head = head.strip()
    marker_str = marker_text(marker.strip()) if sep and marker.strip() else None
    egg = _EGG.search(head)
    if egg:
        try:
            name = Requirement(unquote(egg.group(1))).name
        except InvalidRequirement:
            raise ValueError(f"invalid #egg= name in {head!r}") from None
        return Parsed(normalize(name), "", marker_str, None, direct=True)
    location = head.split("#", 1)[0]
    if url and not location.startswith("file:"):
        filename = PurePosixPath(unquote(urlsplit(location).path)).name
    else:
        local = unquote(urlsplit(location).path) if location.startswith("file:") else location
        local = _EXTRAS.sub("", local)
        target = Path(local).expanduser()
        target = target if target.is_absolute() else base / target
        if target.resolve() == root:
            return None
        filename = target.name
    found = _name_from_filename(filename)
    if found is None:
        raise ValueError(f"cannot tell which distribution {head!r} is (no #egg=name)")
    return Parsed(found, "", marker_str, None, direct=True)


def _name_from_filename(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return normalize(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return normalize(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None
