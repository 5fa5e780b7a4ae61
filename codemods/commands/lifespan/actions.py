"""What the ``lifespan`` codemod's plan produces: reportable actions and the line-keyed edits
that apply them (plain data; ``plan`` decides, ``edit`` applies)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...types import Safety


@dataclass(frozen=True)
class Step:
    """One handler call inside the generated lifespan."""

    code: str
    #: Module-level flag that says whether the (conditional) registration ran.
    flag: str | None = None


@dataclass
class Spec:
    """A lifespan function to insert before an object's creation statement."""

    name: str
    #: Type of the ``app`` parameter (the app class); None for a router's lifespan.
    annotation: str | None
    acm: str
    startup: list[Step] = field(default_factory=list)
    shutdown: list[Step] = field(default_factory=list)
    #: The existing lifespan to wrap: an expression producing its context manager.
    wrap: str | None = None
    param: str = "app"
    #: Name of the wrapped lifespan's state inside the function.
    state: str = "state"


@dataclass
class Edits:
    """Line-keyed edits; lines are those of the analysed source."""

    remove_decorators: set[int] = field(default_factory=set)
    #: Module-level statements to delete (their comments move to the next statement).
    remove_statements: set[int] = field(default_factory=set)
    #: Registration statement line -> flag set to True in its place.
    flag_statements: dict[int, str] = field(default_factory=dict)
    #: ``def`` line -> flags set to True right after it.
    flag_after_def: dict[int, list[str]] = field(default_factory=dict)
    #: Module-level ``if`` line -> flags initialised to False just before it.
    flag_defaults: dict[int, list[str]] = field(default_factory=dict)
    #: Object creation line -> lifespan to insert before it.
    lifespans: dict[int, Spec] = field(default_factory=dict)
    #: Object creation line -> ``lifespan=`` value to set (None: only drop the event keywords).
    #: ``on_startup=``/``on_shutdown=`` are always dropped.
    call_edits: dict[int, str | None] = field(default_factory=dict)
    #: Object creation line -> lines of module-level statements moved to the lifespan's start.
    moved: dict[int, list[int]] = field(default_factory=dict)
    #: ``from ... import`` line -> (name, alias) to add to it.
    import_names: dict[int, list[tuple[str, str | None]]] = field(default_factory=dict)
    import_acm: bool = False

    def merge(self, other: Edits) -> None:
        self.remove_decorators |= other.remove_decorators
        self.remove_statements |= other.remove_statements
        self.flag_statements.update(other.flag_statements)
        for key, flags in other.flag_after_def.items():
            self.flag_after_def.setdefault(key, []).extend(flags)
        for key, flags in other.flag_defaults.items():
            self.flag_defaults.setdefault(key, []).extend(flags)
        self.lifespans.update(other.lifespans)
        self.call_edits.update(other.call_edits)
        for key, lines in other.moved.items():
            self.moved.setdefault(key, []).extend(lines)
        for key, names in other.import_names.items():
            self.import_names.setdefault(key, []).extend(names)
        self.import_acm |= other.import_acm


@dataclass
class Action:
    """One reportable change and the edits that apply it."""

    line: int
    message: str
    fix_title: str
    safety: Safety
    edits: Edits = field(default_factory=Edits)
    #: Apply only if the action before it was applied.
    needs_previous: bool = False
    #: Report only if the action before it was not applied (a notice that the fix before it,
    #: once applied, makes untrue).
    unless_previous: bool = False


@dataclass
class Outcome:
    actions: list[Action] = field(default_factory=list)
    skips: list[tuple[int, str]] = field(default_factory=list)


class Names:
    """Fresh module-level names: ``base``, ``base_1``, ``base_2``, ..."""

    def __init__(self, taken: frozenset[str]) -> None:
        self.taken = set(taken)

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name
