"""The cache's entry format: plain values in :mod:`marshal`, and a decoder that runs no code.

An entry is a value built from ``str``, ``int``, ``float``, ``bool``, ``None``, ``tuple``,
``frozenset`` and ``dict``, and the tool's own frozen dataclasses and enums. :func:`dumps` turns
each dataclass into ``[CLASS, "module:QualName", *field values]`` and each enum into
``[ENUM, "module:QualName", value]``, and a frozenset holding any of those into
``[FROZENSET, *items]`` (lists appear nowhere else, so a tag is never ambiguous), and marshals
the result. :func:`loads` unmarshals and rebuilds those objects, looking the class up in
an already imported module of this package (a dictionary lookup, never an import or an attribute
hook) and filling its fields directly, as ``pickle`` does, without calling ``__init__``.

Unlike ``pickle``, nothing in an entry can make the decoder call a function: a forged entry can
at worst name one of our value types with wrong field values. ``marshal`` is not hardened against
crafted bytes (a malformed entry might crash the process), so entries are still signed and
checked before they are decoded (:mod:`codemods.cache`). Measured against ``pickle`` in
docs/performance.md ("Cache format").
"""

from __future__ import annotations

import dataclasses
import enum
import marshal
import sys
from collections.abc import Callable
from typing import Any

CLASS, ENUM, FROZENSET = 0, 1, 2
PACKAGE = __name__.partition(".")[0]
_PLAIN = (str, int, float, type(None))  # bool is an int

_fields: dict[type, tuple[str, ...]] = {}
_builders: dict[str, Callable[[list[Any]], Any]] = {}
_enums: dict[str, type[enum.Enum]] = {}


class FormatError(ValueError):
    """An entry this version cannot encode or decode: a cache miss."""


def dumps(value: Any) -> bytes:
    try:
        return marshal.dumps(_encode(value))
    except (TypeError, ValueError) as exc:  # e.g. a dict key holding a dataclass
        raise FormatError(str(exc)) from None


def loads(data: bytes) -> Any:
    try:
        return _decode(marshal.loads(data))
    except (EOFError, TypeError, ValueError, IndexError, KeyError) as exc:
        raise FormatError(str(exc)) from None


def _names(cls: type) -> tuple[str, ...]:
    names = _fields.get(cls)
    if names is None:
        names = _fields[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN or kind is bool:
        return value
    if kind is tuple:
        return tuple([_encode(item) for item in value])
    if kind is frozenset:
        items = [_encode(item) for item in value]
        # a set of our value types cannot hold their (unhashable) list tags
        return [FROZENSET, *items] if any(type(i) is list for i in items) else frozenset(items)
    if kind is dict:
        return {_encode(k): _encode(v) for k, v in value.items()}
    name = f"{kind.__module__}:{kind.__qualname__}"
    if not (kind.__module__ == PACKAGE or kind.__module__.startswith(PACKAGE + ".")):
        raise FormatError(f"not a value type of {PACKAGE}: {name}")
    if isinstance(value, enum.Enum):
        return [ENUM, name, value.value]
    if dataclasses.is_dataclass(value):
        return [CLASS, name, *[_encode(getattr(value, n)) for n in _names(kind)]]
    raise FormatError(f"cannot store a {name}")


def _decode(value: Any) -> Any:
    kind = type(value)
    if kind is tuple:
        # most items are strings: no call for those
        return tuple([item if type(item) is str else _decode(item) for item in value])
    if kind is list:
        tag = value[0]
        if tag == CLASS:
            return _builder(value[1])(
                [item if type(item) is str else _decode(item) for item in value[2:]]
            )
        if tag == ENUM:
            return _enum(value[1])(value[2])
        if tag == FROZENSET:
            return frozenset([_decode(item) for item in value[1:]])
        raise FormatError(f"unknown tag {tag!r}")
    if kind is dict:
        return {k: _decode(v) for k, v in value.items()}
    if kind in _PLAIN or kind is bool or kind is frozenset:
        return value  # a frozenset holds plain values only (see _encode)
    raise FormatError(f"unexpected {kind.__name__} in an entry")


def _lookup(name: str) -> type:
    """The class ``module:QualName`` of this package, from an imported module's namespace only."""
    module_name, _, qualname = name.partition(":")
    module = sys.modules.get(module_name)
    if module is None or not (module_name == PACKAGE or module_name.startswith(PACKAGE + ".")):
        raise FormatError(f"no such value type: {name}")
    found: Any = module
    for part in qualname.split("."):
        found = vars(found).get(part)  # plain dictionary lookups: no __getattr__, no descriptor
    if (
        not isinstance(found, type)
        or found.__module__ != module_name
        or found.__qualname__ != qualname
    ):
        raise FormatError(f"no such value type: {name}")
    return found


def _builder(name: str) -> Callable[[list[Any]], Any]:
    build = _builders.get(name)
    if build is None:
        cls = _lookup(name)
        if not dataclasses.is_dataclass(cls):
            raise FormatError(f"not a dataclass: {name}")
        build = _builders[name] = _make_builder(cls, _names(cls))
    return build


def _make_builder(cls: type, names: tuple[str, ...]) -> Callable[[list[Any]], Any]:
    slotted = "__slots__" in vars(cls)

    def build(values: list[Any]) -> Any:
        if len(values) != len(names):
            raise FormatError(f"{cls.__qualname__}: {len(values)} values for {len(names)} fields")
        obj: Any = object.__new__(cls)
        if slotted:
            for field_name, field_value in zip(names, values, strict=True):
                object.__setattr__(obj, field_name, field_value)
        else:
            obj.__dict__.update(zip(names, values, strict=True))
        return obj

    return build


def _enum(name: str) -> type[enum.Enum]:
    cls = _enums.get(name)
    if cls is None:
        found = _lookup(name)
        if not issubclass(found, enum.Enum):
            raise FormatError(f"not an enum: {name}")
        cls = _enums[name] = found
    return cls
