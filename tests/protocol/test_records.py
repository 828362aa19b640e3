"""protocol.records against the real thing: every catalogue class (and the catalogue's own spec
records) behaves as the dataclass that `@dataclass(frozen=True, slots=True, kw_only=...)` makes
of the very same class statement.

Each record class's source is compiled again as a real dataclass (its "twin", on a twin base),
and the two are compared: dataclasses.fields, the __init__ signature and its errors, repr, ==,
hash, frozen attributes, pickled state, dataclasses.replace, __match_args__, __slots__.
"""

from __future__ import annotations
import __future__

import ast
import copy
import dataclasses
import inspect
import pickle
import sys
import textwrap
from typing import Any

import pytest

from protocol import records
from protocol.messages import ATTRIBUTES, CATALOGUE, AttributeSpec, FieldSpec, Message
from protocol.records import Record
from tests.protocol.samples import SAMPLES, full, minimal

_TWINS: dict[type, type] = {}


def twin(cls: type) -> type:
    """The real dataclass compiled from cls's own class statement, on the twin of its base."""
    if cls is Record:
        return object
    if cls in _TWINS:
        return _TWINS[cls]
    (base,) = cls.__bases__
    (statement,) = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
    assert isinstance(statement, ast.ClassDef)
    kw_only = True
    for keyword in statement.keywords:
        assert keyword.arg == "kw_only" and isinstance(keyword.value, ast.Constant)
        kw_only = keyword.value.value
    statement.decorator_list = []  # @message(...): registration, not the dataclass
    statement.keywords = []
    statement.bases = [ast.Name("_TwinBase", ast.Load())]
    namespace = dict(vars(sys.modules[cls.__module__]), _TwinBase=twin(base))
    module = ast.fix_missing_locations(ast.Module([statement], []))
    code = compile(module, inspect.getfile(cls), "exec", flags=__future__.annotations.compiler_flag)
    exec(code, namespace)
    made = dataclasses.dataclass(frozen=True, slots=True, kw_only=kw_only)(namespace[cls.__name__])
    for name in ("MESSAGE_TYPE", "ANSWER", "FIELDS"):  # what @message sets, which validation reads
        if name in cls.__dict__:
            setattr(made, name, getattr(cls, name))
    _TWINS[cls] = made
    return made


def _field_view(cls: type) -> list[tuple[Any, ...]]:
    names = ("name", "type", "default", "default_factory", "init", "repr", "hash", "compare")
    return [
        (*(getattr(f, name) for name in names), dict(f.metadata), f.kw_only, f._field_type)  # type: ignore[attr-defined]
        for f in dataclasses.fields(cls)
    ]


def _slots(cls: type) -> set[str]:
    return {slot for klass in cls.__mro__ for slot in klass.__dict__.get("__slots__", ())}


def _raised(action: Any) -> tuple[type[BaseException], str]:
    with pytest.raises(Exception) as caught:
        action()
    return caught.type, str(caught.value)


_CLASSES = [AttributeSpec, FieldSpec, *CATALOGUE.values()]


@pytest.mark.parametrize("cls", _CLASSES, ids=lambda c: c.__name__)
def test_declaration_is_the_dataclass_it_reads_as(cls: type) -> None:
    real = twin(cls)
    assert _field_view(cls) == _field_view(real)
    assert inspect.signature(cls) == inspect.signature(real)
    assert cls.__match_args__ == real.__match_args__
    assert _slots(cls) == _slots(real)
    assert cls.__doc__ == real.__doc__
    assert dataclasses.is_dataclass(cls)
    assert not hasattr(_an_instance(cls), "__dict__")


def _an_instance(cls: type) -> object:
    if issubclass(cls, Message):
        return minimal(cls)
    spec = ATTRIBUTES["this_dn"]
    return spec if cls is AttributeSpec else FieldSpec(spec, True, False)


@pytest.mark.parametrize("cls", list(CATALOGUE.values()), ids=lambda c: c.__name__)
def test_messages_behave_as_their_twins(cls: type[Message]) -> None:
    real = twin(cls)
    for message in (minimal(cls), full(cls)):
        _compare_with_twin(message, real)
    assert _raised(lambda: cls(not_a_field=1)) == _raised(lambda: real(not_a_field=1))
    assert _raised(lambda: cls(1)) == _raised(lambda: real(1))
    if any(fs.mandatory for fs in cls.FIELDS):
        assert _raised(cls) == _raised(real)


def _compare_with_twin(message: Message, real: type) -> None:
    cls = type(message)
    values = {name: getattr(message, name) for name in cls._record_names}
    other = real(**values)
    assert repr(message) == repr(other)
    assert hash(message) == hash(other)
    assert message == cls(**values)
    assert (message != cls(**values)) is False
    assert message != other  # different classes, as two dataclasses would be
    changed = dataclasses.replace(message, reference_id=4242)
    assert repr(changed) == repr(dataclasses.replace(other, reference_id=4242))
    assert changed != message
    assert message.__reduce_ex__(2)[2] == other.__reduce_ex__(2)[2]
    assert pickle.loads(pickle.dumps(message)) == message
    assert copy.copy(message) == message and copy.deepcopy(message) == message
    assert _raised(lambda: setattr(message, "reference_id", 1)) == _raised(
        lambda: setattr(other, "reference_id", 1)
    )
    assert _raised(lambda: delattr(message, "reference_id")) == _raised(
        lambda: delattr(other, "reference_id")
    )
    # Not a field: a slotted frozen dataclass trips over its own class being re-created
    # (TypeError from super(); CPython 3.11); a record says what it means.
    assert _raised(lambda: setattr(message, "x", 1)) == (
        dataclasses.FrozenInstanceError,
        "cannot assign to field 'x'",
    )


def test_validation_errors_are_the_twins() -> None:
    for message in SAMPLES:
        cls = type(message)
        for fs in cls.FIELDS:
            values = dict(message.attributes(), **{fs.spec.field: object()})
            assert _construct(cls, values) == _construct(twin(cls), values)


def _construct(cls: type, values: dict[str, Any]) -> tuple[type[BaseException], str]:
    return _raised(lambda: cls(**values))


def test_spec_records_are_positional() -> None:
    original = ATTRIBUTES["this_dn"]
    spec = AttributeSpec(*[getattr(original, name) for name in AttributeSpec.__match_args__])
    assert spec == original and hash(spec) == hash(original)
    assert repr(FieldSpec(spec, True, False)) == repr(twin(FieldSpec)(spec, True, False))


def test_record_declaration_errors() -> None:
    with pytest.raises(TypeError, match="__slots__"):

        class Slotted(Record):
            __slots__ = ("a",)

    with pytest.raises(TypeError, match="not supported"):

        class WithField(Record):
            a: int = dataclasses.field(default=1)

    with pytest.raises(ValueError, match="mutable default"):

        class Mutable(Record):
            a: list[int] = []

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        class Order(Record, kw_only=False):
            a: int = 1
            b: int


def test_missing_is_shown_as_such() -> None:
    assert repr(records.MISSING) == "MISSING"


def test_what_a_record_defines_itself_is_kept() -> None:
    class Shown(Record):
        a: int

        def __repr__(self) -> str:
            return f"<{self.a}>"

    assert repr(Shown(a=1)) == "<1>"
    assert Shown(a=1) == Shown(a=1) and hash(Shown(a=1)) == hash((1,))
