"""The receiver classes wrap-blocking-calls knows: which methods of their instances block,
what a factory, a method, an attribute or an annotation gives, which objects are bound to
their thread (data), and the read-only helpers to query them. The callables that block
without a receiver, and the configured catalogue, are in :mod:`.catalogue`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BlockingClass:
    """What is known about instances of one class."""

    #: Methods that block; None means every method not listed in ``pure``.
    methods: frozenset[str] | None = frozenset()
    pure: frozenset[str] = frozenset()
    #: method -> class of its result (only where the result is useful as a receiver).
    returns: Mapping[str, str] = field(default_factory=dict)
    #: attribute -> class of the attribute; ``"*"`` is any attribute not a known method.
    attributes: Mapping[str, str] = field(default_factory=dict)
    #: class of ``obj[...]``, if known.
    subscript: str | None = None
    #: class of ``obj(...)`` (``SessionLocal()`` for a ``sessionmaker``).
    call: str | None = None
    #: Capitalised methods build sub-objects of this class without I/O (boto3 resources).
    capitalised: str | None = None
    #: Objects that must stay on the thread that made them (domain-facts B).
    thread_bound: bool = False
    #: ``with obj as x`` binds ``x`` to the object itself.
    enter_self: bool = True


def _f(*names: str) -> frozenset[str]:
    """A set of names; each argument may hold several, separated by spaces."""
    return frozenset(n for group in names for n in group.split())


def _prefixed(prefix: str, names: str) -> list[str]:
    return [f"{prefix}.{n}" for n in names.split()]


HTTP_VERBS = "get options head post put patch delete request"

FILE = "io.TextIOWrapper"
PATH = "pathlib.Path"
SESSION = "sqlalchemy.orm.Session"
QUERY = "sqlalchemy.orm.Query"
BOTO_CLIENT = "botocore.client.BaseClient"
BOTO_RESOURCE = "boto3.resources.base.ServiceResource"
URLLIB3_POOL = "urllib3.PoolManager"
HTTP_CLIENT = "python_http_client.Client"
SQLITE = "sqlite3.Connection"
SQLITE_CURSOR = "sqlite3.Cursor"
MONGO_DB = "pymongo.database.Database"
MONGO_COLLECTION = "pymongo.collection.Collection"

_QUERY_CHAIN = (
    "filter filter_by order_by join outerjoin limit offset options group_by having distinct"
    " with_entities select_from where"
)
_SESSION_METHODS = _f(
    "execute", "scalars", "scalar", "get", "get_one", "commit", "flush", "refresh", "rollback",
    "close", "merge", "connection",
)

CLASSES: Mapping[str, BlockingClass] = {
    "requests.Session": BlockingClass(_f(*HTTP_VERBS.split(), "send")),
    "httpx.Client": BlockingClass(_f(*HTTP_VERBS.split(), "send", "stream", "close")),
    URLLIB3_POOL: BlockingClass(None),
    "smtplib.SMTP": BlockingClass(
        _f(
            "connect", "helo", "ehlo", "ehlo_or_helo_if_needed", "starttls", "login", "auth",
            "sendmail", "send_message", "quit", "close", "noop", "rset", "verify", "expn",
            "mail", "rcpt", "data", "docmd", "putcmd", "getreply",
        )
    ),
    "sendgrid.SendGridAPIClient": BlockingClass(_f("send"), attributes={"client": HTTP_CLIENT}),
    HTTP_CLIENT: BlockingClass(_f("get post put patch delete"), attributes={"*": HTTP_CLIENT}),
    BOTO_CLIENT: BlockingClass(
        None,
        pure=_f(
            "get_paginator", "get_waiter", "can_paginate", "generate_presigned_url",
            "generate_presigned_post", "close",
        ),
    ),
    BOTO_RESOURCE: BlockingClass(None, pure=_f("meta"), capitalised=BOTO_RESOURCE),
    "boto3.session.Session": BlockingClass(returns={"client": BOTO_CLIENT, "resource": BOTO_RESOURCE}),
    "botocore.session.Session": BlockingClass(returns={"create_client": BOTO_CLIENT}),
    "psycopg2.extensions.connection": BlockingClass(
        _f("commit", "rollback", "cancel", "reset"), returns={"cursor": "psycopg2.extensions.cursor"}
    ),
    "psycopg2.extensions.cursor": BlockingClass(
        _f(
            "execute", "executemany", "callproc", "fetchone", "fetchmany", "fetchall",
            "copy_from", "copy_to", "copy_expert", "scroll",
        )
    ),
    SQLITE: BlockingClass(
        _f("execute", "executemany", "executescript", "commit", "rollback", "close", "backup"),
        returns={"cursor": SQLITE_CURSOR, "execute": SQLITE_CURSOR, "executemany": SQLITE_CURSOR,
                 "executescript": SQLITE_CURSOR},
        thread_bound=True,
    ),
    SQLITE_CURSOR: BlockingClass(
        _f("execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall", "close"),
        returns={"execute": SQLITE_CURSOR, "executemany": SQLITE_CURSOR},
        thread_bound=True,
    ),
    SESSION: BlockingClass(_SESSION_METHODS, returns={"query": QUERY}, thread_bound=True),
    "sqlalchemy.orm.scoped_session": BlockingClass(
        _SESSION_METHODS, returns={"query": QUERY}, call=SESSION, thread_bound=True
    ),
    QUERY: BlockingClass(
        _f("all", "first", "one", "one_or_none", "scalar", "count", "delete", "update", "get"),
        returns=dict.fromkeys(_QUERY_CHAIN.split(), QUERY),
        thread_bound=True,
    ),
    "sqlalchemy.orm.sessionmaker": BlockingClass(call=SESSION),
    "sqlalchemy.engine.Engine": BlockingClass(
        _f("connect", "begin"), returns=dict.fromkeys(["connect", "begin"], "sqlalchemy.engine.Connection")
    ),
    "sqlalchemy.engine.Connection": BlockingClass(
        _f("execute", "exec_driver_sql", "commit", "rollback", "close", "scalar", "scalars")
    ),
    "redis.Redis": BlockingClass(
        None,
        pure=_f(
            "pipeline", "pubsub", "lock", "register_script", "get_encoder", "get_connection_kwargs",
            "set_response_callback",
        ),
        returns={"pipeline": "redis.client.Pipeline"},
    ),
    "redis.client.Pipeline": BlockingClass(_f("execute", "watch", "unwatch", "immediate_execute_command")),
    "pymongo.MongoClient": BlockingClass(
        _f("list_database_names", "list_databases", "drop_database", "server_info"),
        returns={"get_database": MONGO_DB, "get_default_database": MONGO_DB},
        attributes={"*": MONGO_DB},
        subscript=MONGO_DB,
    ),
    MONGO_DB: BlockingClass(
        _f("list_collection_names", "list_collections", "create_collection", "drop_collection",
           "command", "validate_collection", "aggregate"),
        returns={"get_collection": MONGO_COLLECTION},
        attributes={"*": MONGO_COLLECTION},
        subscript=MONGO_COLLECTION,
    ),
    MONGO_COLLECTION: BlockingClass(
        _f(
            "find_one", "insert_one", "insert_many", "update_one", "update_many", "replace_one",
            "delete_one", "delete_many", "aggregate", "count_documents", "estimated_document_count",
            "distinct", "find_one_and_delete", "find_one_and_replace", "find_one_and_update",
            "bulk_write", "create_index", "create_indexes", "drop_index", "drop_indexes", "drop",
            "index_information", "rename",
        ),
        attributes={"*": MONGO_COLLECTION},
        subscript=MONGO_COLLECTION,
    ),
    "socket.socket": BlockingClass(
        _f(
            "accept", "connect", "connect_ex", "recv", "recv_into", "recvfrom", "recvfrom_into",
            "recvmsg", "send", "sendall", "sendto", "sendmsg", "sendfile",
        )
    ),
    "subprocess.Popen": BlockingClass(_f("wait", "communicate")),
    FILE: BlockingClass(
        _f("read", "readline", "readlines", "readinto", "write", "writelines", "flush", "seek",
           "truncate", "close")
    ),
    PATH: BlockingClass(
        None,
        # ruff's pure allow-list, plus the lazy generators (wrapping them would offload nothing)
        pure=_f(
            "with_name", "with_stem", "with_suffix", "with_segments", "joinpath", "relative_to",
            "is_relative_to", "is_absolute", "is_reserved", "match", "full_match", "as_posix",
            "as_uri", "iterdir", "glob", "rglob", "walk",
        ),
        returns={
            **dict.fromkeys(
                ["with_name", "with_stem", "with_suffix", "joinpath", "relative_to", "resolve",
                 "absolute", "expanduser", "with_segments"],
                PATH,
            ),
            "open": FILE,
        },
        attributes={"parent": PATH},
    ),
}

#: Callables that build an instance of a catalogue class: qualified name -> (class, the call blocks).
FACTORIES: Mapping[str, tuple[str, bool]] = {
    **dict.fromkeys(
        ["requests.Session", "requests.session", "requests.sessions.Session", "requests.sessions.session"],
        ("requests.Session", False),
    ),
    "httpx.Client": ("httpx.Client", False),
    **dict.fromkeys(
        [*_prefixed("urllib3", "PoolManager ProxyManager HTTPConnectionPool HTTPSConnectionPool"),
         "urllib3.connection_from_url", "urllib3.poolmanager.PoolManager", "urllib3.poolmanager.ProxyManager",
         "urllib3.connectionpool.HTTPConnectionPool", "urllib3.connectionpool.HTTPSConnectionPool"],
        (URLLIB3_POOL, False),
    ),
    **dict.fromkeys(_prefixed("smtplib", "SMTP SMTP_SSL LMTP"), ("smtplib.SMTP", True)),
    **dict.fromkeys(
        ["sendgrid.SendGridAPIClient", "sendgrid.sendgrid.SendGridAPIClient"],
        ("sendgrid.SendGridAPIClient", False),
    ),
    "boto3.client": (BOTO_CLIENT, False),
    "boto3.resource": (BOTO_RESOURCE, False),
    "boto3.Session": ("boto3.session.Session", False),
    "boto3.session.Session": ("boto3.session.Session", False),
    "botocore.session.get_session": ("botocore.session.Session", False),
    "botocore.session.Session": ("botocore.session.Session", False),
    "psycopg2.connect": ("psycopg2.extensions.connection", True),
    "sqlite3.connect": (SQLITE, True),
    "sqlalchemy.create_engine": ("sqlalchemy.engine.Engine", False),
    "sqlalchemy.engine.create_engine": ("sqlalchemy.engine.Engine", False),
    "sqlalchemy.orm.Session": (SESSION, False),
    "sqlalchemy.orm.session.Session": (SESSION, False),
    "sqlalchemy.orm.sessionmaker": ("sqlalchemy.orm.sessionmaker", False),
    "sqlalchemy.orm.session.sessionmaker": ("sqlalchemy.orm.sessionmaker", False),
    "sqlalchemy.orm.scoped_session": ("sqlalchemy.orm.scoped_session", False),
    "sqlalchemy.orm.scoping.scoped_session": ("sqlalchemy.orm.scoped_session", False),
    **dict.fromkeys(
        [*_prefixed("redis", "Redis StrictRedis from_url"), "redis.Redis.from_url",
         "redis.StrictRedis.from_url", "redis.client.Redis", "redis.client.StrictRedis"],
        ("redis.Redis", False),
    ),
    "pymongo.MongoClient": ("pymongo.MongoClient", False),
    "pymongo.mongo_client.MongoClient": ("pymongo.MongoClient", False),
    "socket.socket": ("socket.socket", False),
    "socket.create_connection": ("socket.socket", True),
    "subprocess.Popen": ("subprocess.Popen", True),
    **dict.fromkeys(["builtins.open", "io.open", "io.open_code", "os.fdopen"], (FILE, True)),
    **dict.fromkeys(_prefixed("pathlib", "Path PosixPath WindowsPath"), (PATH, False)),
}

#: Annotations that prove a parameter's or attribute's class: qualified name -> class.
ANNOTATIONS: Mapping[str, str] = {
    **{name: cls for name, (cls, _) in FACTORIES.items() if name.rpartition(".")[2][:1].isupper()},
    **{name: name for name in CLASSES},
    **dict.fromkeys(_prefixed("io", "TextIOWrapper BufferedReader BufferedWriter BufferedRandom"), FILE),
    "sqlalchemy.orm.Query": QUERY,
    "sqlalchemy.orm.query.Query": QUERY,
    "sqlalchemy.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.Connection": "sqlalchemy.engine.Connection",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.engine.Connection",
    "pymongo.database.Database": MONGO_DB,
    "pymongo.collection.Collection": MONGO_COLLECTION,
    "redis.client.Pipeline": "redis.client.Pipeline",
}

#: Module-level names built from a ``sessionmaker`` are conventionally called this.
SESSION_FACTORY_NAME = "SessionLocal"


def class_of_factory(qualname: str) -> str | None:
    """The class a call to ``qualname`` returns, if it is a known factory."""
    found = FACTORIES.get(qualname)
    if found is not None:
        return found[0]
    if qualname.rpartition(".")[2] == SESSION_FACTORY_NAME:
        return SESSION
    return None


def class_of_annotation(qualname: str) -> str | None:
    return ANNOTATIONS.get(qualname)


def method_result(cls: str, method: str) -> str | None:
    info = CLASSES.get(cls)
    if info is None:
        return None
    if info.capitalised and method[:1].isupper():
        return info.capitalised
    return info.returns.get(method)


def attribute_class(cls: str, attr: str) -> str | None:
    info = CLASSES.get(cls)
    if info is None or attr.startswith("_"):
        return None
    found = info.attributes.get(attr)
    if found is None and "*" in info.attributes and attr not in (info.methods or ()):
        found = info.attributes["*"]
    return found


def subscript_class(cls: str) -> str | None:
    info = CLASSES.get(cls)
    return info.subscript if info else None


def call_class(cls: str) -> str | None:
    info = CLASSES.get(cls)
    return info.call if info else None


def enters_self(cls: str) -> bool:
    info = CLASSES.get(cls)
    return info is not None and info.enter_self


def is_thread_bound(cls: str | None) -> bool:
    info = CLASSES.get(cls) if cls else None
    return info is not None and info.thread_bound


def short(cls: str) -> str:
    """``sqlalchemy.orm.Session`` -> ``Session`` (for messages)."""
    return cls.rpartition(".")[2]
