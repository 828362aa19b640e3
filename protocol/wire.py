"""The frame layout, declared once with construct: the single source of truth for the bytes.

A frame is an 8-byte header (magic "CT", message type, body length) followed by the body, a
run of attributes in tag-type-length-value form. Values are Int (int64), String (UTF-8),
ConnID (uint64), KVList (recursive pairs) or Binary. All integers are big-endian.

Two codecs are built from these declarations:
- `parse_frame` / `build_frame` here use construct directly. They are the reference: slow,
  obviously right, and what tests compare the fast path against byte for byte.
- protocol.codec packs and unpacks the fixed-size parts declared here with struct.Struct. Their
  formats are derived from these declarations (see `struct_format`) ahead of time:
  `python -m protocol.wire` writes them to protocol/_wire_formats.py, so that the codec and the
  framer never import construct (~30 ms), and tests/protocol/test_codec.py fails when that
  file is stale.

This module knows the byte layout only; which attributes a message carries is the catalogue's
business (protocol.messages).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import construct as c

from protocol.enums import ValueType

#: The two bytes every frame starts with ("CT").
MAGIC = b"CT"
#: Default largest frame (header included) a reader accepts.
DEFAULT_MAX_FRAME_SIZE = 1 << 20

FrameHeader = c.Struct(
    "magic" / c.Const(MAGIC),
    "message_type" / c.Int16ub,
    "body_length" / c.Int32ub,
)

AttributeHeader = c.Struct(
    "tag" / c.Int16ub,
    "value_type" / c.Int8ub,
    "length" / c.Int32ub,
)

KVPairHeader = c.Struct(
    "key_length" / c.Int16ub,
)

KVPairValueHeader = c.Struct(
    "value_type" / c.Int8ub,
    "length" / c.Int32ub,
)

KVListCount = c.Struct("count" / c.Int32ub)

IntValue = c.Int64sb
ConnIDValue = c.Int64ub
StringValue = c.GreedyString("utf8")
BinaryValue = c.GreedyBytes


def _value_switch(this_type: Any) -> c.Construct:
    return c.Switch(
        this_type,
        {
            int(ValueType.Int): IntValue,
            int(ValueType.String): StringValue,
            int(ValueType.ConnID): ConnIDValue,
            int(ValueType.KVList): c.LazyBound(lambda: KVListValue),
            int(ValueType.Binary): BinaryValue,
        },
        default=BinaryValue,  # an unknown value type is kept as bytes and can be skipped
    )


KVPair = c.Struct(
    "key" / c.PascalString(c.Int16ub, "utf8"),
    "value_type" / c.Int8ub,
    "length" / c.Int32ub,
    "value" / c.FixedSized(c.this.length, _value_switch(c.this.value_type)),
)

KVListValue = c.Struct(
    "count" / c.Int32ub,
    "pairs" / c.Array(c.this.count, KVPair),
    c.Terminated,
)

AttributeTLV = c.Struct(
    "tag" / c.Int16ub,
    "value_type" / c.Int8ub,
    "length" / c.Int32ub,
    "value" / c.FixedSized(c.this.length, _value_switch(c.this.value_type)),
)

Frame = c.Struct(
    "magic" / c.Const(MAGIC),
    "message_type" / c.Int16ub,
    "body_length" / c.Int32ub,
    "attributes" / c.FixedSized(c.this.body_length, c.GreedyRange(AttributeTLV)),
)

#: Sizes of the fixed parts, read off the declarations.
FRAME_HEADER_SIZE: int = FrameHeader.sizeof()
ATTRIBUTE_HEADER_SIZE: int = AttributeHeader.sizeof()
KV_VALUE_HEADER_SIZE: int = KVPairValueHeader.sizeof()


def struct_format(struct: c.Struct) -> str:
    """The struct-module format of a construct Struct made only of fixed-size fields.

    This is how the fast codec is derived from the declarations above instead of being written
    twice: every FormatField contributes its format character, Const(bytes) a run of bytes.
    """
    parts = [">"]
    for sub in struct.subcons:
        inner = sub.subcon if isinstance(sub, c.Renamed) else sub
        if isinstance(inner, c.Const):
            parts.append(f"{len(inner.value)}s")
        elif isinstance(inner, c.FormatField):
            if inner.fmtstr[0] != ">":
                raise TypeError(f"field {sub.name!r} is not big-endian")
            parts.append(inner.fmtstr[1:])
        else:
            raise TypeError(f"field {sub.name!r} ({inner!r}) has no fixed struct format")
    return "".join(parts)


def _to_construct_value(value_type: int, value: Any) -> Any:
    if value_type == ValueType.KVList:
        pairs = [
            {"key": key, "value_type": vt, "length": 0, "value": _to_construct_value(vt, v)}
            for key, vt, v in value
        ]
        return {"count": len(pairs), "pairs": pairs}
    return value


def _from_construct_value(value_type: int, value: Any) -> Any:
    if value_type == ValueType.KVList:
        return [
            (p.key, p.value_type, _from_construct_value(p.value_type, p.value)) for p in value.pairs
        ]
    return value


def build_frame(message_type: int, attributes: list[tuple[int, int, Any]]) -> bytes:
    """Reference encoder: (tag, value type, value) triples to frame bytes, via construct.

    KVList values are given as lists of (key, value type, value) triples, recursively.
    """
    attrs = []
    for tag, vt, value in attributes:
        cv = _to_construct_value(vt, value)
        raw = _build_value(vt, cv)
        attrs.append({"tag": tag, "value_type": vt, "length": len(raw), "value": cv})
    body = c.GreedyRange(AttributeTLV).build(attrs)
    return bytes(
        Frame.build({"message_type": message_type, "body_length": len(body), "attributes": attrs})
    )


def _build_value(value_type: int, cv: Any) -> bytes:
    if value_type == ValueType.KVList:
        for pair in cv["pairs"]:
            pair["length"] = len(_build_value(pair["value_type"], pair["value"]))
        return bytes(KVListValue.build(cv))
    return bytes(_value_switch(c.this.value_type).build(cv, value_type=value_type))


def parse_frame(data: bytes) -> tuple[int, list[tuple[int, int, Any]]]:
    """Reference decoder: frame bytes to (message type, [(tag, value type, value), ...])."""
    parsed = Frame.parse(data)
    return parsed.message_type, [
        (a.tag, a.value_type, _from_construct_value(a.value_type, a.value))
        for a in parsed.attributes
    ]


#: What protocol/_wire_formats.py holds: its name for each fixed-size part, and the part.
FAST_PATH_PARTS: dict[str, c.Struct | c.FormatField] = {
    "FRAME_HEADER": FrameHeader,
    "ATTRIBUTE_HEADER": AttributeHeader,
    "KV_PAIR_HEADER": KVPairHeader,
    "KV_PAIR_VALUE_HEADER": KVPairValueHeader,
    "KV_LIST_COUNT": KVListCount,
    "INT_VALUE": IntValue,
    "CONN_ID_VALUE": ConnIDValue,
}

FORMATS_PATH = Path(__file__).with_name("_wire_formats.py")


def render_formats() -> str:
    """The text of protocol/_wire_formats.py: the constants and struct formats the fast codec
    and the framer need, derived from the declarations above."""
    lines = [
        '"""The fixed-size parts of the frame layout as struct formats, for protocol.codec.',
        "",
        "Generated from the construct declarations in protocol.wire by `python -m protocol.wire`;",
        "do not edit. It lets the codec and the framer know the layout without importing",
        "construct; tests/protocol/test_codec.py fails when it is stale.",
        '"""',
        "",
        "#: The bytes every frame starts with.",
        f'MAGIC = b"{MAGIC.decode("ascii")}"',
        "#: Default largest frame (header included) a reader accepts.",
        f"DEFAULT_MAX_FRAME_SIZE = {DEFAULT_MAX_FRAME_SIZE!r}",
    ]
    for name, part in FAST_PATH_PARTS.items():
        fmt = struct_format(part) if isinstance(part, c.Struct) else part.fmtstr
        lines.append(f'{name} = "{fmt}"')
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Write protocol/_wire_formats.py (or the path given)."""
    Path(argv[0] if argv else FORMATS_PATH).write_text(render_formats(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
