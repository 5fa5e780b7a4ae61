"""Import names <-> distribution names, as data.

An import name and the name of the distribution that provides it often differ (``import yaml``
comes from ``PyYAML``, ``import bs4`` from ``beautifulsoup4``). ``KNOWN_DISTRIBUTIONS`` lists the
common cases; every other top-level import name is taken to be provided by the distribution of
the same (normalised) name. Namespace packages shared by many distributions (``azure``,
``google``, ...) are matched by their dotted path instead: see ``provided_by``.

Only entries known to be right belong in the tables; keep them sorted (case-insensitively).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: Top-level import name -> distribution names that provide it, where they differ after
#: normalisation. Several candidates mean "any of them provides it". The import name itself is
#: always a candidate too (``distributions_for``), so it is not repeated here.
KNOWN_DISTRIBUTIONS: Mapping[str, tuple[str, ...]] = {
    "attr": ("attrs",),
    "bs4": ("beautifulsoup4",),
    "Crypto": ("pycryptodome", "pycrypto"),
    "Cryptodome": ("pycryptodomex",),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    ),
    "dateutil": ("python-dateutil",),
    "decouple": ("python-decouple",),
    "discord": ("discord.py", "py-cord"),
    "dns": ("dnspython",),
    "docx": ("python-docx",),
    "dotenv": ("python-dotenv",),
    "engineio": ("python-engineio",),
    "fitz": ("pymupdf",),
    "git": ("gitpython",),
    "grpc": ("grpcio",),
    "jose": ("python-jose",),
    "jwt": ("pyjwt",),
    "kafka": ("kafka-python",),
    "ldap": ("python-ldap",),
    "Levenshtein": ("levenshtein", "python-levenshtein"),
    "magic": ("python-magic",),
    "markdown_it": ("markdown-it-py",),
    "memcache": ("python-memcached",),
    "multipart": ("python-multipart",),
    "MySQLdb": ("mysqlclient",),
    "nacl": ("pynacl",),
    "OpenSSL": ("pyopenssl",),
    "PIL": ("pillow",),
    "pkg_resources": ("setuptools",),
    "pptx": ("python-pptx",),
    "psycopg": ("psycopg", "psycopg-binary"),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "pythoncom": ("pywin32",),
    "pywintypes": ("pywin32",),
    "serial": ("pyserial",),
    "skimage": ("scikit-image",),
    "sklearn": ("scikit-learn",),
    "slugify": ("python-slugify",),
    "socketio": ("python-socketio",),
    "telegram": ("python-telegram-bot",),
    "usb": ("pyusb",),
    "websocket": ("websocket-client",),
    "win32api": ("pywin32",),
    "win32clipboard": ("pywin32",),
    "win32com": ("pywin32",),
    "win32con": ("pywin32",),
    "win32event": ("pywin32",),
    "win32file": ("pywin32",),
    "win32gui": ("pywin32",),
    "win32pipe": ("pywin32",),
    "win32print": ("pywin32",),
    "win32process": ("pywin32",),
    "win32security": ("pywin32",),
    "win32service": ("pywin32",),
    "win32serviceutil": ("pywin32",),
    "win32timezone": ("pywin32",),
    "Xlib": ("python-xlib",),
    "yaml": ("pyyaml",),
    "zmq": ("pyzmq",),
}

#: Top-level namespace packages shared by many distributions (``google.cloud.storage`` comes
#: from ``google-cloud-storage``), and the prefix of those distributions' names.
NAMESPACE_PREFIXES: Mapping[str, str] = {
    "azure": "azure-",
    "backports": "backports-",
    "google": "google-",
    "jaraco": "jaraco-",
    "paho": "paho-",
    "ruamel": "ruamel-",
    "sphinxcontrib": "sphinxcontrib-",
    "zope": "zope-",
}

#: Dotted paths inside a namespace package whose distribution is not named after the path.
NAMESPACE_DISTRIBUTIONS: Mapping[str, tuple[str, ...]] = {
    "google.api": ("googleapis-common-protos",),
    "google.oauth2": ("google-auth",),
    "google.protobuf": ("protobuf",),
    "google.rpc": ("googleapis-common-protos",),
    "google.type": ("googleapis-common-protos",),
}

_NAME_RE = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return _SEPARATORS.sub("-", name).lower()


def requirement_name(text: str) -> str | None:
    """The distribution name at the start of a PEP 508 requirement string."""
    m = _NAME_RE.match(text)
    return normalize(m.group(1)) if m else None


def _namespace_exception(module: str) -> tuple[str, ...] | None:
    """``NAMESPACE_DISTRIBUTIONS`` for the longest dotted prefix of ``module`` it lists."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        found = NAMESPACE_DISTRIBUTIONS.get(".".join(parts[:end]))
        if found is not None:
            return tuple(normalize(d) for d in found)
    return None


def distributions_for(module: str) -> tuple[str, ...]:
    """Normalised names of the distributions that may provide the top-level import name of the
    dotted ``module``: the ``KNOWN_DISTRIBUTIONS`` entries, then the import name itself.

    For a namespace top level (``azure``, ``google``, ...: ``NAMESPACE_PREFIXES``) no single
    name can be given: the result is ``NAMESPACE_DISTRIBUTIONS``'s entry for the module's path
    when it has one (``google.protobuf`` -> ``protobuf``), else ``()``; ``provided_by`` matches
    such modules against declared names.
    """
    top = module.split(".", 1)[0]
    if not top:
        return ()
    if top in NAMESPACE_PREFIXES:
        return _namespace_exception(module) or ()
    names = [normalize(d) for d in KNOWN_DISTRIBUTIONS.get(top, ())]
    names.append(normalize(top))
    return tuple(dict.fromkeys(names))


def _part_prefix(prefix: str, name: str) -> bool:
    """Is the normalised ``prefix`` equal to ``name`` or its leading ``-``-separated parts?"""
    return name == prefix or name.startswith(prefix + "-")


def provided_by(module: str, declared: Iterable[str]) -> tuple[str, ...]:
    """The names in ``declared`` (normalised distribution names) that may provide the dotted
    ``module``, in ``declared``'s order.

    * An ordinary top level (``bs4.element``): a declared name among ``distributions_for``
      (``beautifulsoup4`` or ``bs4``).
    * A namespace top level (``azure.identity``, ``google.cloud.storage``): a declared
      distribution named after the module's dotted path, compared normalised and by whole
      ``-``-separated parts. It provides the module when its name is the path
      (``azure-identity``), a leading part of the path (``azure-identity`` provides
      ``azure.identity.aio``), or the path is a leading part of its name (``google-cloud-storage``
      provides the namespace portion ``google.cloud``). A sibling does not: ``azure-core`` does
      not provide ``azure.identity``. Paths whose distribution is named otherwise
      (``google.protobuf`` -> ``protobuf``) come from ``NAMESPACE_DISTRIBUTIONS`` instead.
    """
    names = tuple(dict.fromkeys(normalize(d) for d in declared))
    top = module.split(".", 1)[0]
    if top not in NAMESPACE_PREFIXES:
        candidates = set(distributions_for(module))
        return tuple(d for d in names if d in candidates)
    exception = _namespace_exception(module)
    if exception is not None:
        return tuple(d for d in names if d in exception)
    path = normalize(module)
    return tuple(d for d in names if _part_prefix(d, path) or _part_prefix(path, d))
