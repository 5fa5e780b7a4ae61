"""The catalogue of blocking callables, as data, and the catalogue as a run configures it.

A *callee key* names what a call invokes: a function's qualified name (``requests.get``,
``builtins.open``) or, for a method called on a receiver of a known class, ``<class>.<method>``
(``requests.Session.get``, ``smtplib.SMTP.login``). Classes are tracked by canonical id
(:mod:`.receivers`: what a factory returns, what a method returns, and which methods block).

Sources: ruff's and flake8-async's ASYNC2xx rules plus the SDK table of domain-facts C.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .receivers import CLASSES, FACTORIES, HTTP_VERBS, _prefixed

#: Plain callables that block when called (besides the blocking factories below).
FUNCTIONS: frozenset[str] = frozenset(
    [
        *_prefixed("requests", HTTP_VERBS),
        *_prefixed("requests.api", HTTP_VERBS),
        *_prefixed("httpx", HTTP_VERBS + " stream"),
        "urllib3.request",
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        *_prefixed("socket", "getaddrinfo gethostbyname gethostbyname_ex gethostbyaddr"),
        *_prefixed("subprocess", "run call check_call check_output getoutput getstatusoutput"),
        *_prefixed("os", "system popen posix_spawn posix_spawnp"),
        *_prefixed("os", "spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe"),
        *_prefixed("os", "wait wait3 wait4 waitid waitpid"),
        *_prefixed("os", "listdir stat lstat remove unlink makedirs mkdir rmdir removedirs"),
        *_prefixed("os", "rename renames replace"),
        *_prefixed(
            "os.path",
            "exists lexists isfile isdir islink ismount isjunction isdevdrive getatime getmtime"
            " getctime getsize samefile sameopenfile realpath abspath relpath expanduser"
            " normpath _path_normpath _joinrealpath",
        ),
        *_prefixed(
            "shutil",
            "copy copy2 copyfile copyfileobj copymode copystat copytree move rmtree"
            " make_archive unpack_archive disk_usage chown",
        ),
        "builtins.input",
        "time.sleep",
    ]
)

#: Flagged by ruff's ASYNC240 but pure string work (at most a ``getcwd``): never offloaded (a
#: thread hop protects nothing), and they do not make a project function blocking.
LINT_ONLY: frozenset[str] = frozenset(
    [*_prefixed("os.path", "normpath _path_normpath abspath relpath expanduser"), "pathlib.Path.cwd"]
)

#: Calls that return a context manager and do their I/O only when it is entered (httpx's
#: ``stream`` is a ``@contextmanager``): a ``with`` over one is reported, the bare call is not I/O.
CONTEXT_ONLY: frozenset[str] = frozenset({"httpx.stream", "httpx.Client.stream"})

#: Where the offloading helpers live; calls to them are never wrapped again.
OFFLOADERS: frozenset[str] = frozenset(
    {
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
    }
)

#: Calls that need the event loop of the calling thread: a sync function making them must not be
#: moved to a worker thread (``RuntimeError: no running event loop``).
LOOP_APIS: frozenset[str] = frozenset(
    _prefixed("asyncio", "get_running_loop get_event_loop create_task ensure_future current_task all_tasks")
)

#: Decorators that keep a sync function a plain sync callable.
TRANSPARENT_DECORATORS: frozenset[str] = frozenset(
    {"builtins.staticmethod", "builtins.classmethod", "functools.cache", "functools.lru_cache", "typing.final", "typing.override",
     "typing_extensions.override", "typing_extensions.final"}
)
CONTEXT_MANAGER_DECORATORS: frozenset[str] = frozenset({"contextlib.contextmanager"})


def _matches(key: str, patterns: Iterable[str]) -> bool:
    return any(key == p or key.startswith(p + ".") for p in patterns)


@dataclass(frozen=True)
class Catalogue:
    """The catalogue as configured: ``extra-blocking`` adds names, ``not-blocking`` removes them.

    A configured name matches a callee key equal to it or starting with it plus a dot, so
    ``not-blocking = ["os.path"]`` turns off every ``os.path`` function.
    """

    extra: tuple[str, ...] = ()
    not_blocking: tuple[str, ...] = ()

    def excluded(self, key: str) -> bool:
        return _matches(key, self.not_blocking)

    def added(self, key: str) -> bool:
        return _matches(key, self.extra) and not self.excluded(key)

    def blocks(self, key: str, transitive: bool = False) -> bool:
        """Does calling ``key`` (a function name or ``<class>.<method>``) block?

        ``transitive``: asked for a call inside a project function, where the lint-only names
        (pure string work) do not count.
        """
        if _matches(key, self.not_blocking):
            return False
        if transitive and key in LINT_ONLY and not _matches(key, self.extra):
            return False
        if _matches(key, self.extra) or key in FUNCTIONS:
            return True
        factory = FACTORIES.get(key)
        if factory is not None:
            return factory[1]
        owner, _, method = key.rpartition(".")
        cls = CLASSES.get(owner)
        if cls is None or not method or method.startswith("__"):
            return False
        if cls.capitalised and method[:1].isupper():
            return False
        return method not in cls.pure if cls.methods is None else method in cls.methods


DEFAULT = Catalogue()
