"""Value types of the protocol that plain Python types do not cover: ConnID and KVList.

ConnID is a 64-bit connection id shown as 16 hex digits, as T-Server logs show it. KVList is
the T-Library key-value list (UserData, Extensions, Reasons): ordered pairs of a string key and
a value that is a string, an integer, bytes or a nested KVList; keys may repeat.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Union

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


class ConnID(int):
    """A 64-bit connection id. Shown as 16 lower-case hex digits, e.g. 007102719818000d."""

    __slots__ = ()

    def __new__(cls, value: int) -> ConnID:
        if not 0 <= value <= UINT64_MAX:
            raise ValueError(f"ConnID {value} is outside 0..2**64-1")
        return super().__new__(cls, value)

    @classmethod
    def parse(cls, text: str) -> ConnID:
        """Read a ConnID from its 16-hex-digit form (as printed by str())."""
        if len(text) != 16:
            raise ValueError(f"ConnID {text!r} is not 16 hex digits")
        return cls(int(text, 16))

    def __str__(self) -> str:
        return f"{int(self):016x}"

    def __repr__(self) -> str:
        return f"ConnID({str(self)!r})"


KVValue = Union[str, int, bytes, "KVList"]


class KVList:
    """An immutable, ordered list of (key, value) pairs; keys may repeat."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Iterable[tuple[str, KVValue]] = ()) -> None:
        checked: list[tuple[str, KVValue]] = []
        for pair in pairs:
            key, value = pair
            if not isinstance(key, str):
                raise TypeError(f"KVList key {key!r} is not a string")
            if isinstance(value, bool) or not isinstance(value, str | int | bytes | KVList):
                raise TypeError(
                    f"KVList value {value!r} for key {key!r} is not str/int/bytes/KVList"
                )
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                raise ValueError(f"KVList integer {value} for key {key!r} is outside int64")
            checked.append((key, value))
        self._pairs: tuple[tuple[str, KVValue], ...] = tuple(checked)

    @classmethod
    def _trusted(cls, pairs: tuple[tuple[str, KVValue], ...]) -> KVList:
        """Build from pairs the decoder already checked (no second validation pass)."""
        kv = object.__new__(cls)
        kv._pairs = pairs
        return kv

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, KVValue]) -> KVList:
        return cls(mapping.items())

    @property
    def pairs(self) -> tuple[tuple[str, KVValue], ...]:
        return self._pairs

    def get(self, key: str, default: KVValue | None = None) -> KVValue | None:
        """The value of the first pair with this key."""
        for k, v in self._pairs:
            if k == key:
                return v
        return default

    def get_all(self, key: str) -> list[KVValue]:
        return [v for k, v in self._pairs if k == key]

    def to_json(self) -> list[list[object]]:
        """A JSON-ready form: a list of [key, value] (bytes as hex, nested lists recursively)."""
        out: list[list[object]] = []
        for k, v in self._pairs:
            if isinstance(v, KVList):
                out.append([k, v.to_json()])
            elif isinstance(v, bytes):
                out.append([k, {"hex": v.hex()}])
            else:
                out.append([k, v])
        return out

    def __iter__(self) -> Iterator[tuple[str, KVValue]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KVList):
            return NotImplemented
        return self._pairs == other._pairs

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __repr__(self) -> str:
        return f"KVList({list(self._pairs)!r})"
