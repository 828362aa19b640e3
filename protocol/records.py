"""Frozen records: classes that behave as frozen, slotted, keyword-only dataclasses and cost
next to nothing to declare.

`@dataclass(frozen=True, slots=True, kw_only=True)` compiles six functions per class and
builds every slotted class twice, all at import: ~1.5 ms a class, most of a second for the
message catalogue. A Record subclass is declared the same way (annotated fields, defaults for
the optional ones) and behaves the same: the same `__init__` signature, errors and
`__post_init__` call, the same repr, ==, hash and pickled state, frozen attributes raising
dataclasses.FrozenInstanceError, and `dataclasses.fields` / `dataclasses.replace` working on
it. What differs is when the work happens: the class is built once, with its `__slots__` from
the start, and each generated method (`__init__`, `__repr__`, `__eq__`, `__hash__`: the same
code dataclasses writes) is compiled for a class when that class first uses it (see Lazy); the
`__dataclass_fields__` that dataclasses.fields and dataclasses.replace read are made by
dataclasses itself, on first use too. tests/protocol/test_records.py checks every catalogue
class against the real dataclass compiled from the same class statement.

To mypy, Record is a `dataclass_transform`: it checks Record subclasses as the frozen,
keyword-only dataclasses they behave as.

Supported: single inheritance between records (mixins without fields are fine), annotated
fields with or without an immutable default, `ClassVar` annotations (not fields),
`__post_init__`, and `kw_only=False` as a class keyword for positional fields. Not supported (a
TypeError says so): `dataclasses.field()` specifiers, a declared `__slots__`. This module knows
nothing about messages or bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, dataclass_transform

if TYPE_CHECKING:
    from dataclasses import Field


class _Missing:
    """The default of a field that has none."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: The default of a field that has none (mandatory).
MISSING: Any = _Missing()


class FieldDeclaration(NamedTuple):
    """One field as its class declares it."""

    name: str
    #: The annotation as written (a string under `from __future__ import annotations`).
    annotation: Any
    #: The default, or MISSING.
    default: Any
    kw_only: bool


class Lazy:
    """A class attribute built on first use, for the class it is looked up on.

    `build(cls)` makes the value; it then replaces this descriptor in that class's namespace,
    so every later lookup is an ordinary one. A function value binds as a method would; wrap a
    value in staticmethod() to keep it unbound.
    """

    __slots__ = ("build", "name")

    def __init__(self, name: str, build: Callable[[type], Any]) -> None:
        self.name = name
        self.build = build

    def __get__(self, instance: object, owner: type) -> Any:
        value = self.build(owner)
        type.__setattr__(owner, self.name, value)
        get = getattr(type(value), "__get__", None)
        return value if get is None else get(value, instance, owner)


_CLASSVAR = ("ClassVar", "typing.ClassVar")


def _is_classvar(annotation: Any) -> bool:
    if type(annotation) is str:
        return annotation.startswith(_CLASSVAR)
    import typing

    return annotation is typing.ClassVar or typing.get_origin(annotation) is typing.ClassVar


class RecordType(type):
    """Metaclass of Record: collects the fields and makes the class slotted at once."""

    def __new__(
        mcls,
        name: str,
        bases: tuple[type, ...],
        namespace: dict[str, Any],
        *,
        kw_only: bool = True,
    ) -> RecordType:
        if namespace.get("__slots__", ()) != ():
            raise TypeError(f"{name} declares __slots__: a record's fields make them")
        fields: dict[str, FieldDeclaration] = {}
        for base in reversed(bases):
            if issubclass(base, Record):
                fields.update(zip(base._record_names, base._record_fields, strict=True))
        inherited = set(fields)
        own: list[str] = []
        for field, annotation in namespace.get("__annotations__", {}).items():
            if _is_classvar(annotation):
                continue
            default = namespace.pop(field, MISSING)
            if default is not MISSING and default is not None:
                if type(default).__name__ == "Field":
                    raise TypeError(f"{name}.{field}: field() is not supported by records")
                if type(default).__hash__ is None:
                    raise ValueError(
                        f"mutable default {type(default)} for field {field} is not allowed"
                    )
            fields[field] = FieldDeclaration(field, annotation, default, kw_only)
            if field not in inherited:
                own.append(field)
        positional = [f for f in fields.values() if not f.kw_only]
        for before, after in pairwise(positional):
            if before.default is not MISSING and after.default is MISSING:
                raise TypeError(f"non-default argument {after.name!r} follows default argument")
        namespace["__slots__"] = tuple(own)
        namespace["_record_fields"] = tuple(fields.values())
        namespace["_record_names"] = tuple(fields)
        namespace["__match_args__"] = tuple(f.name for f in positional)
        for attribute, build in _BUILT_ON_FIRST_USE.items():
            if attribute not in namespace:  # as dataclasses, keep what the class defines itself
                namespace[attribute] = Lazy(attribute, build)
        return super().__new__(mcls, name, bases, namespace)


def _build_init(cls: type) -> Callable[..., None]:
    """Compile cls's `__init__`: the one dataclasses would generate for these fields (the
    positional fields first, then the keyword-only ones)."""
    fields: tuple[FieldDeclaration, ...] = cls._record_fields  # type: ignore[attr-defined]
    # the names the body uses besides the fields' own are dunders, so that no field hides them
    namespace: dict[str, Any] = {"__record_set__": object.__setattr__}
    positional: list[str] = []
    keyword: list[str] = []
    for field in fields:
        param = field.name
        if field.default is not MISSING:
            namespace[f"__record_default_{field.name}__"] = field.default
            param += f"=__record_default_{field.name}__"
        (keyword if field.kw_only else positional).append(param)
    params = ["self", *positional, *(["*", *keyword] if keyword else [])]
    body = [f"    __record_set__(self, {field.name!r}, {field.name})" for field in fields]
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    init: Callable[..., None] = _compile(cls, "__init__", source, namespace)
    init.__annotations__ = {field.name: field.annotation for field in fields}
    init.__annotations__["return"] = None
    return init


def _compile(cls: type, name: str, source: str, namespace: dict[str, Any] | None = None) -> Any:
    """The function `name` that `source` defines, as a method of cls."""
    namespace = {} if namespace is None else namespace
    exec(source, namespace)
    function = namespace[name]
    function.__qualname__ = f"{cls.__qualname__}.{function.__name__}"
    function.__module__ = cls.__module__
    return function


def _build_repr(cls: type) -> Callable[[Any], str]:
    """cls's `__repr__`, as dataclasses writes it (all fields, !r)."""
    shown = ", ".join(f"{name}={{self.{name}!r}}" for name in cls._record_names)  # type: ignore[attr-defined]
    source = f'def __repr__(self):\n    return self.__class__.__qualname__ + f"({shown})"'
    function: Callable[[Any], str] = _compile(cls, "__repr__", source)
    return function


def _build_eq(cls: type) -> Callable[[Any, object], bool]:
    """cls's `__eq__`, as dataclasses writes it: same class, then the field tuples compared."""
    names: tuple[str, ...] = cls._record_names  # type: ignore[attr-defined]
    mine = "".join(f"self.{name}," for name in names)
    theirs = "".join(f"other.{name}," for name in names)
    source = (
        "def __eq__(self, other):\n"
        "    if other.__class__ is self.__class__:\n"
        f"        return ({mine}) == ({theirs})\n"
        "    return NotImplemented"
    )
    function: Callable[[Any, object], bool] = _compile(cls, "__eq__", source)
    return function


def _build_hash(cls: type) -> Callable[[Any], int]:
    """cls's `__hash__`, as dataclasses writes it for a frozen class: the field tuple's hash."""
    mine = "".join(f"self.{name}," for name in cls._record_names)  # type: ignore[attr-defined]
    source = f"def __hash__(self):\n    return hash(({mine}))"
    function: Callable[[Any], int] = _compile(cls, "__hash__", source)
    return function


def _dataclass_fields(cls: type) -> dict[str, Field[Any]]:
    """What dataclasses.fields and dataclasses.replace read: dataclasses' own Field objects,
    made by dataclasses from a plain class with the same fields (no methods generated)."""
    import dataclasses

    fields: tuple[FieldDeclaration, ...] = cls._record_fields  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {
        "__annotations__": {field.name: field.annotation for field in fields},
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    for field in fields:
        default = dataclasses.MISSING if field.default is MISSING else field.default
        namespace[field.name] = dataclasses.field(default=default, kw_only=field.kw_only)
    plain = type(cls.__name__, (), namespace)
    dataclasses.dataclass(init=False, repr=False, eq=False, match_args=False)(plain)
    declared: dict[str, Field[Any]] = plain.__dataclass_fields__  # type: ignore[attr-defined]
    return declared


#: What each record class builds on first use, and how.
_BUILT_ON_FIRST_USE: dict[str, Callable[[type], Any]] = {
    "__init__": _build_init,
    "__dataclass_fields__": _dataclass_fields,
    "__repr__": _build_repr,
    "__eq__": _build_eq,
    "__hash__": _build_hash,
}


if TYPE_CHECKING:
    # To mypy a record is what it behaves as: a dataclass (the dataclass_transform below), of a
    # plain metaclass, so that record classes join to `type` as dataclasses do.
    _Metaclass = type
else:
    _Metaclass = RecordType


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Record(metaclass=_Metaclass):
    """Base of the frozen records. Subclasses declare fields as a dataclass does."""

    __slots__ = ()

    if TYPE_CHECKING:

        def __init_subclass__(cls, *, kw_only: bool = True) -> None:
            """`class X(Record, kw_only=False)` makes X's own fields positional."""

    #: Every field in order, inherited ones first.
    _record_fields: ClassVar[tuple[FieldDeclaration, ...]]
    #: The field names, in order.
    _record_names: ClassVar[tuple[str, ...]]

    def __setattr__(self, name: str, value: Any) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __getstate__(self) -> list[Any]:
        return [getattr(self, name) for name in self._record_names]

    def __setstate__(self, state: list[Any]) -> None:
        for name, value in zip(self._record_names, state, strict=False):
            object.__setattr__(self, name, value)
