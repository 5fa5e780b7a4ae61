"""Callables known to do nothing but build a value when a module calls them at import time.

``import_effects`` counts every other module-level call as an import-time effect: a call it
cannot see into may read configuration, register a plugin, connect or exit. The list is by
qualified name (what the module's imports make of the called name; builtins when the module
binds the name nowhere). ``typing_extensions.X`` counts as ``typing.X``. Reading the
environment (``os.getenv``, ``os.environ``, ``sys.argv``) is deliberately absent: a module that
reads configuration at import time reads it at another moment once its import is hoisted.
"""

from __future__ import annotations

import builtins


def _names(prefix: str, names: str) -> set[str]:
    return {f"{prefix}.{n}" for n in names.split()}


PURE_CALLABLES: frozenset[str] = frozenset(
    _names(
        "builtins",
        "object frozenset set dict list tuple str int float complex bool bytes bytearray range "
        "len sorted reversed enumerate zip min max sum abs round repr isinstance issubclass "
        "hasattr getattr callable property staticmethod classmethod slice type any all map "
        "filter iter chr ord hex format divmod pow",
    )
    | _names(
        "typing",
        "TypeVar ParamSpec TypeVarTuple NewType NamedTuple TypedDict cast overload final "
        "runtime_checkable ForwardRef no_type_check override",
    )
    | _names("collections", "namedtuple defaultdict OrderedDict deque Counter ChainMap")
    | _names("dataclasses", "dataclass field make_dataclass")
    | _names("enum", "Enum IntEnum StrEnum Flag IntFlag auto unique")
    | _names(
        "functools",
        "partial partialmethod wraps lru_cache cache cached_property total_ordering "
        "singledispatch singledispatchmethod reduce",
    )
    | _names("abc", "abstractmethod")
    | _names("contextlib", "contextmanager asynccontextmanager suppress nullcontext")
    | _names("logging", "getLogger")
    | _names("re", "compile escape")
    | _names("os.path", "join dirname basename abspath realpath normpath expanduser splitext split")
    | _names("os", "fspath")
    | _names("pathlib", "Path PurePath PurePosixPath PureWindowsPath")
    | _names("contextvars", "ContextVar")
    | _names("threading", "Lock RLock Event local Semaphore BoundedSemaphore Condition")
    | _names("uuid", "UUID")
    | _names("datetime", "timedelta datetime date time timezone")
    | _names("decimal", "Decimal")
    | _names("fractions", "Fraction")
    | _names("weakref", "WeakValueDictionary WeakKeyDictionary WeakSet ref")
    | _names("operator", "itemgetter attrgetter methodcaller")
    | _names("string", "Template")
    | _names("struct", "Struct")
    | _names("types", "SimpleNamespace MappingProxyType")
    # web frameworks: application and router objects, parameter markers
    | _names(
        "fastapi",
        "FastAPI APIRouter Depends Query Path Body Header Cookie Form File Security HTTPException",
    )
    | _names("fastapi.params", "Depends Query Path Body Header Cookie Form File Security")
    | _names(
        "fastapi.security",
        "OAuth2PasswordBearer OAuth2AuthorizationCodeBearer HTTPBearer HTTPBasic APIKeyHeader "
        "APIKeyQuery APIKeyCookie SecurityScopes",
    )
    | _names("fastapi.templating", "Jinja2Templates")
    | _names("fastapi.routing", "APIRouter APIRoute")
    | _names("starlette.applications", "Starlette")
    | _names("starlette.routing", "Router Route Mount WebSocketRoute")
    | _names("starlette.middleware", "Middleware")
    | _names("starlette.templating", "Jinja2Templates")
    | _names(
        "pydantic",
        "Field ConfigDict PrivateAttr computed_field field_validator model_validator "
        "field_serializer model_serializer validator root_validator",
    )
    | _names("pydantic_settings", "SettingsConfigDict")
    # ORM declarations: columns and types, metadata and mappers (no connection)
    | _names(
        "sqlalchemy",
        "Column ForeignKey Table MetaData Index UniqueConstraint PrimaryKeyConstraint "
        "CheckConstraint ForeignKeyConstraint Enum String Integer Text Boolean DateTime Date Time "
        "Float Numeric BigInteger SmallInteger JSON LargeBinary Interval Uuid UUID ARRAY Sequence",
    )
    | _names(
        "sqlalchemy.orm",
        "relationship mapped_column declarative_base registry backref column_property sessionmaker",
    )
    | _names("sqlalchemy.ext.declarative", "declarative_base")
    # command-line interfaces: commands and their parameters
    | _names(
        "click",
        "command group option argument pass_context pass_obj version_option help_option Choice "
        "Path IntRange FloatRange DateTime File make_pass_decorator",
    )
    | _names("typer", "Typer Option Argument")
    | _names("pytest", "fixture")
    | _names("jinja2", "pass_context pass_environment pass_eval_context")
)

#: Qualified-name prefixes whose every callable builds a value (SQL function and type objects).
PURE_PREFIXES: tuple[str, ...] = (
    "sqlalchemy.func.",
    "sqlalchemy.sql.func.",
    "sqlalchemy.types.",
    "sqlalchemy.dialects.",
    "pytest.mark.",
)

#: Methods of a ``str`` literal, and of a ``pathlib`` path built from pure values.
STR_METHODS = frozenset(
    [
        "format",
        "join",
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "replace",
        "startswith",
        "endswith",
        "encode",
        "title",
        "casefold",
        "partition",
        "removeprefix",
        "removesuffix",
    ]
)
PATH_METHODS = frozenset(
    [
        "resolve",
        "absolute",
        "joinpath",
        "with_name",
        "with_suffix",
        "with_stem",
        "relative_to",
        "expanduser",
        "as_posix",
    ]
)
PATH_ATTRIBUTES = frozenset({"parent", "parents", "name", "stem", "suffix"})

#: Module attributes whose mere reading is configuration: their value depends on when it runs.
CONFIGURATION_READS = frozenset({"os.environ", "os.getenv", "os.getenvb", "sys.argv"})


#: Callables whose result the module owns: an application, a router, a registry, a container.
#: Calling a method of it (``router.get(...)``, ``__all__.extend(...)``) or basing a class on
#: it (``Base = declarative_base()``) registers on the module's own object, whenever it runs.
#: Not ``Path`` (``.mkdir()``, ``.read_text()`` touch the file system) nor ``getLogger()``
#: without ``__name__`` (the root logger is everyone's).
OWN_CONSTRUCTORS: frozenset[str] = frozenset(
    _names("builtins", "dict list set")
    | _names("collections", "defaultdict OrderedDict deque Counter")
    | _names("types", "SimpleNamespace")
    | _names("weakref", "WeakValueDictionary WeakKeyDictionary WeakSet")
    | _names("fastapi", "FastAPI APIRouter")
    | _names("fastapi.routing", "APIRouter")
    | _names("starlette.applications", "Starlette")
    | _names("starlette.routing", "Router")
    | _names("typer", "Typer")
    | _names("fastapi.templating", "Jinja2Templates")
    | _names("starlette.templating", "Jinja2Templates")
    | _names("sqlalchemy", "MetaData")
    | _names("sqlalchemy.orm", "declarative_base registry")
    | _names("sqlalchemy.ext.declarative", "declarative_base")
)

#: Classes whose subclassing runs no code of the project and reads nothing: builtins (the
#: exceptions included), ``typing``/``enum``/``abc`` classes, and library bases whose class
#: creation only validates the class body and records it in the library's own registry
#: (pydantic models and settings: the environment is read on instantiation; SQLAlchemy's
#: ``DeclarativeBase`` and SQLModel: the table joins the base's ``metadata``, the same table
#: whenever the module is imported). Any other base may have a metaclass or an
#: ``__init_subclass__`` that registers a plugin or reads configuration: an effect.
PURE_BASES: frozenset[str] = frozenset(
    {
        f"builtins.{n}"
        for n, v in vars(builtins).items()
        if isinstance(v, type) and issubclass(v, BaseException)
    }
    | _names("builtins", "object dict list set frozenset str int float bytes tuple bytearray type")
    | _names("typing", "NamedTuple TypedDict Protocol Generic")
    | _names("enum", "Enum IntEnum StrEnum Flag IntFlag ReprEnum")
    | _names("abc", "ABC")
    | _names("collections", "OrderedDict defaultdict UserDict UserList UserString Counter deque")
    | _names("json", "JSONEncoder JSONDecoder")
    | _names("logging", "Handler Formatter Filter LoggerAdapter")
    | _names("contextlib", "AbstractContextManager AbstractAsyncContextManager ContextDecorator")
    | _names("unittest", "TestCase IsolatedAsyncioTestCase")
    | _names("pydantic", "BaseModel RootModel")
    | _names("pydantic_settings", "BaseSettings")
    | _names("sqlalchemy.orm", "DeclarativeBase DeclarativeBaseNoMeta MappedAsDataclass")
    | _names("sqlmodel", "SQLModel")
    | _names("sqlalchemy", "TypeDecorator")
    | _names("fastapi", "HTTPException")
    | _names("starlette.exceptions", "HTTPException")
    | _names("starlette.middleware.base", "BaseHTTPMiddleware")
    | _names("starlette.endpoints", "HTTPEndpoint WebSocketEndpoint")
)
#: Metaclasses of the standard library that register nothing.
PURE_METACLASSES = frozenset({"builtins.type", "abc.ABCMeta", "enum.EnumMeta", "enum.EnumType"})


def _plain(qualified: str) -> str:
    if qualified.startswith("typing_extensions."):
        return "typing." + qualified[len("typing_extensions.") :]
    return qualified


def is_pure_callable(qualified: str) -> bool:
    qualified = _plain(qualified)
    return qualified in PURE_CALLABLES or qualified.startswith(PURE_PREFIXES)


def is_pure_base(qualified: str) -> bool:
    qualified = _plain(qualified)
    return qualified in PURE_BASES or qualified.startswith(_PURE_BASE_PREFIXES)


#: Modules whose every class can be subclassed without a hook: abstract collections, response
#: and middleware classes of Starlette/FastAPI, SQLAlchemy column types (``TypeDecorator``).
_PURE_BASE_PREFIXES = (
    "collections.abc.",
    "fastapi.responses.",
    "starlette.responses.",
    "fastapi.middleware.",
    "starlette.middleware.",
    "sqlalchemy.types.",
)
