"""Sans-IO codec: typed messages to frame bytes and back, fast, with typed errors.

`encode(message)` gives one frame's bytes; `decode(frame)` turns one frame (as cut by
protocol.framer.Framer) into a typed message or raises MessageError naming the message type,
the attribute and the byte offset inside the frame. No byte string makes `decode` raise
anything else.

The fixed-size parts are precompiled struct.Struct objects whose formats are derived from the
construct declarations in protocol.wire ahead of time (protocol/_wire_formats.py, written by
`python -m protocol.wire`), so importing the codec does not import construct; tests check that
this codec and the construct reference codec produce and accept the very same bytes.

Each message class's encoder and decode table are generated from its catalogue entry when the
codec first meets the class, not at import: importing the codec costs next to nothing, and the
first encode or decode of a message type costs a fraction of a millisecond.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from protocol import _wire_formats as formats
from protocol.enums import ValueType
from protocol.errors import ErrorCode, MessageError
from protocol.messages import CATALOGUE, Message
from protocol.values import ConnID, KVList, KVValue

_HEADER = struct.Struct(formats.FRAME_HEADER)
_ATTR = struct.Struct(formats.ATTRIBUTE_HEADER)
_KEYLEN = struct.Struct(formats.KV_PAIR_HEADER)
_KVVAL = struct.Struct(formats.KV_PAIR_VALUE_HEADER)
_COUNT = struct.Struct(formats.KV_LIST_COUNT)
_INT = struct.Struct(formats.INT_VALUE)
_CONNID = struct.Struct(formats.CONN_ID_VALUE)

HEADER_SIZE = _HEADER.size
#: The bytes every frame starts with.
MAGIC = formats.MAGIC
#: Deepest KVList nesting accepted (a guard against recursion bombs).
MAX_KVLIST_DEPTH = 32
#: Most KVList pairs in one frame, all its lists and nested lists together: a frame announcing
#: more is refused from the pair counts alone, before any pair is decoded (a bound on the work
#: any one frame can cost).
MAX_KVLIST_PAIRS = 10_000

_VT_STRING = int(ValueType.String)
_VT_INT = int(ValueType.Int)
_VT_CONNID = int(ValueType.ConnID)
_VT_KVLIST = int(ValueType.KVList)
_VT_BINARY = int(ValueType.Binary)


# --------------------------------------------------------------------------------------------
# Encoding


def _encode_kvlist(kv: KVList) -> bytes:
    parts = [_COUNT.pack(len(kv))]
    for key, value in kv.pairs:
        kb = key.encode("utf-8")
        vt, vb = _encode_kv_value(value)
        parts.append(_KEYLEN.pack(len(kb)))
        parts.append(kb)
        parts.append(_KVVAL.pack(vt, len(vb)))
        parts.append(vb)
    return b"".join(parts)


def kvlist_size(kv: KVList) -> int:
    """The bytes a KVList takes on the wire (its value, without the attribute header): what
    the UserData caps count."""
    return len(_encode_kvlist(kv))


def _encode_kv_value(value: KVValue) -> tuple[int, bytes]:
    if isinstance(value, str):
        return _VT_STRING, value.encode("utf-8")
    if isinstance(value, int):
        return _VT_INT, _INT.pack(value)
    if isinstance(value, bytes):
        return _VT_BINARY, value
    return _VT_KVLIST, _encode_kvlist(value)


#: An Int or ConnID attribute packed with its header in one call.
_ATTR_INT = struct.Struct(_ATTR.format + _INT.format.lstrip(">"))
_ATTR_CONNID = struct.Struct(_ATTR.format + _CONNID.format.lstrip(">"))


def _generate_encoder(cls: type[Message]) -> Callable[[Message], bytes]:
    """Generate the encoder of one message class from its catalogue entry.

    The generated function packs each field the way protocol.wire declares it (tests compare
    its output with the construct reference byte for byte); mandatory fields skip the None test.
    """
    namespace: dict[str, Any] = {
        "_header": _HEADER.pack,
        "_attr": _ATTR.pack,
        "_attr_int": _ATTR_INT.pack,
        "_attr_connid": _ATTR_CONNID.pack,
        "_kvlist": _encode_kvlist,
        "_magic": MAGIC,
        "_type": int(cls.MESSAGE_TYPE),
    }
    lines = ["def encode(msg):", "    parts = []", "    add = parts.append"]
    for fs in cls.FIELDS:
        spec = fs.spec
        tag, vt = int(spec.attribute), int(spec.value_type)
        indent = "    "
        lines.append(f"    v = msg.{spec.field}")
        if fs.nullable:
            lines.append("    if v is not None:")
            indent = "        "
        if spec.value_type is ValueType.Int:
            lines.append(f"{indent}add(_attr_int({tag}, {vt}, 8, v))")
        elif spec.value_type is ValueType.ConnID:
            lines.append(f"{indent}add(_attr_connid({tag}, {vt}, 8, v))")
        else:
            if spec.value_type is ValueType.String:
                lines.append(f"{indent}b = v.encode('utf-8')")
            elif spec.value_type is ValueType.KVList:
                lines.append(f"{indent}b = _kvlist(v)")
            else:
                lines.append(f"{indent}b = bytes(v)")
            lines.append(f"{indent}add(_attr({tag}, {vt}, len(b)))")
            lines.append(f"{indent}add(b)")
    lines.append("    body = b''.join(parts)")
    lines.append("    return _header(_magic, _type, len(body)) + body")
    exec("\n".join(lines), namespace)
    encoder: Callable[[Message], bytes] = namespace["encode"]
    return encoder


#: The encoder of each catalogue class the codec has met so far.
_ENCODERS: dict[type[Message], Callable[[Message], bytes]] = {}


def encode(msg: Message) -> bytes:
    """One frame's bytes for this message."""
    try:
        encoder = _ENCODERS[type(msg)]
    except KeyError:
        encoder = _ENCODERS[type(msg)] = _generate_encoder(_catalogue_class(type(msg)))
    return encoder(msg)


def _catalogue_class(cls: type) -> type[Message]:
    """cls itself if it is in the catalogue; KeyError(cls) otherwise."""
    message_type = getattr(cls, "MESSAGE_TYPE", None)
    if message_type is None or CATALOGUE.get(message_type) is not cls:
        raise KeyError(cls)
    return cls


# --------------------------------------------------------------------------------------------
# Decoding


class _Fail(Exception):
    """Internal: a value failed to decode at `offset` (frame-relative)."""

    def __init__(
        self, detail: str, offset: int, code: ErrorCode = ErrorCode.MalformedMessage
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.offset = offset
        self.code = code


def _decode_string(buf: bytes, pos: int, end: int) -> str:
    try:
        return buf[pos:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Fail(f"invalid UTF-8 ({exc.reason})", pos + exc.start) from None


def _decode_int(buf: bytes, pos: int, end: int) -> int:
    if end - pos != _INT.size:
        raise _Fail(f"Int value is {end - pos} bytes, not {_INT.size}", pos)
    return int(_INT.unpack_from(buf, pos)[0])


def _decode_kvlist(buf: bytes, pos: int, end: int, budget: list[int], depth: int = 0) -> KVList:
    """One KVList; `budget` holds how many more pairs the frame may have."""
    if depth > MAX_KVLIST_DEPTH:
        raise _Fail(f"KVList nested deeper than {MAX_KVLIST_DEPTH}", pos)
    if end - pos < _COUNT.size:
        raise _Fail("KVList shorter than its pair count", pos)
    (count,) = _COUNT.unpack_from(buf, pos)
    budget[0] -= count
    if budget[0] < 0:
        raise _Fail(f"more than {MAX_KVLIST_PAIRS} KVList pairs in one frame", pos)
    pos += _COUNT.size
    pairs: list[tuple[str, KVValue]] = []
    for _ in range(count):
        if end - pos < _KEYLEN.size:
            raise _Fail(f"KVList truncated: {count} pairs announced, {len(pairs)} present", pos)
        (klen,) = _KEYLEN.unpack_from(buf, pos)
        kpos = pos + _KEYLEN.size
        vhpos = kpos + klen
        if vhpos + _KVVAL.size > end:
            raise _Fail("KVList pair overruns its list", pos)
        key = _decode_string(buf, kpos, vhpos)
        vt, vlen = _KVVAL.unpack_from(buf, vhpos)
        vpos = vhpos + _KVVAL.size
        vend = vpos + vlen
        if vend > end:
            raise _Fail(f"KVList value of key {key!r} overruns its list", vhpos)
        value: KVValue
        if vt == _VT_STRING:
            value = _decode_string(buf, vpos, vend)
        elif vt == _VT_INT:
            value = _decode_int(buf, vpos, vend)
        elif vt == _VT_BINARY:
            value = buf[vpos:vend]
        elif vt == _VT_KVLIST:
            value = _decode_kvlist(buf, vpos, vend, budget, depth + 1)
        else:
            raise _Fail(f"KVList value of key {key!r} has unknown value type {vt}", vhpos)
        pairs.append((key, value))
        pos = vend
    if pos != end:
        raise _Fail(f"{end - pos} bytes after the last KVList pair", pos)
    return KVList._trusted(tuple(pairs))


def reference_id_of(frame: bytes) -> int | None:
    """The ReferenceID of a whole frame, read without decoding the rest (None: it has none, or
    it cannot be read): to address an EventError about a frame the server will not decode."""
    return _peek_reference_id(frame, len(frame))


def _peek_reference_id(buf: bytes, end: int) -> int | None:
    """Best effort: the ReferenceID of a frame that failed to decode, to address the error."""
    pos = HEADER_SIZE
    while pos + _ATTR.size <= end:
        tag, vt, ln = _ATTR.unpack_from(buf, pos)
        vpos = pos + _ATTR.size
        if vpos + ln > end:
            return None
        if tag == 2 and vt == _VT_INT and ln == _INT.size:
            return int(_INT.unpack_from(buf, vpos)[0])
        pos = vpos + ln
    return None


def _error(
    buf: bytes,
    detail: str,
    *,
    code: ErrorCode = ErrorCode.MalformedMessage,
    message_type: int | None = None,
    attribute: int | None = None,
    offset: int | None = None,
    locate: bool = True,
) -> MessageError:
    return MessageError(
        detail,
        code=code,
        message_type=message_type,
        attribute=attribute,
        offset=offset,
        reference_id=_peek_reference_id(buf, len(buf)),
        locate=locate,
    )


def read_header(frame: bytes) -> tuple[int, int]:
    """(message type, body length) of a frame's header; the framer has checked the magic."""
    _magic, mtype, blen = _HEADER.unpack_from(frame, 0)
    return mtype, blen


def decode(frame: bytes) -> Message:
    """Decode exactly one frame. Raises MessageError (and nothing else) for bad content."""
    buf = bytes(frame)
    if len(buf) < HEADER_SIZE:
        raise MessageError(
            f"frame of {len(buf)} bytes is shorter than the {HEADER_SIZE}-byte header",
            code=ErrorCode.MalformedMessage,
            offset=len(buf),
        )
    magic, mtype, blen = _HEADER.unpack_from(buf, 0)
    if magic != MAGIC:
        raise MessageError(f"bad magic {magic!r}", code=ErrorCode.MalformedMessage, offset=0)
    end = HEADER_SIZE + blen
    if end != len(buf):
        raise MessageError(
            f"header announces {blen} body bytes, frame holds {len(buf) - HEADER_SIZE}",
            code=ErrorCode.MalformedMessage,
            message_type=mtype,
            offset=4,
        )
    cls = CATALOGUE.get(mtype)
    if cls is None:
        raise _error(
            buf,
            f"unsupported message type {mtype}",
            code=ErrorCode.UnsupportedOperation,
            message_type=mtype,
            offset=2,
        )
    try:
        table, mandatory = _DECODE_TABLES[cls]
    except KeyError:
        table, mandatory = _DECODE_TABLES[cls] = _decode_table(cls)
    values: dict[str, Any] = {}
    budget = [MAX_KVLIST_PAIRS]
    attr_unpack = _ATTR.unpack_from
    pos = HEADER_SIZE
    while pos < end:
        if end - pos < _ATTR_SIZE:
            raise _error(
                buf,
                f"truncated attribute header ({end - pos} of {_ATTR_SIZE} bytes)",
                message_type=mtype,
                offset=pos,
            )
        tag, vt, ln = attr_unpack(buf, pos)
        vpos = pos + _ATTR_SIZE
        vend = vpos + ln
        if vend > end:
            raise _error(
                buf,
                f"attribute length {ln} overruns the frame",
                message_type=mtype,
                attribute=tag,
                offset=pos + 3,
            )
        slot = table.get(tag)
        if slot is None:  # not carried by this message: skipped, so later versions stay readable
            pos = vend
            continue
        field, expected, members = slot
        if vt != expected or field in values:
            raise _attribute_error(buf, mtype, tag, vt, expected, pos=pos)
        try:
            if vt == _VT_STRING:
                value: Any = buf[vpos:vend].decode("utf-8")
            elif vt == _VT_INT:
                if ln != 8:
                    raise _Fail(f"Int value is {ln} bytes, not 8", vpos)
                value = _int_unpack(buf, vpos)[0]
                if members is not None:
                    member = members.get(value)
                    if member is None:
                        raise _Fail(
                            f"{value} is not a {_ENUM_NAMES[id(members)]}",
                            vpos,
                            ErrorCode.InvalidAttribute,
                        )
                    value = member
            elif vt == _VT_CONNID:
                if ln != 8:
                    raise _Fail(f"ConnID value is {ln} bytes, not 8", vpos)
                value = ConnID(_connid_unpack(buf, vpos)[0])
            elif vt == _VT_KVLIST:
                value = _decode_kvlist(buf, vpos, vend, budget)
            else:
                value = buf[vpos:vend]
        except UnicodeDecodeError as exc:
            raise _error(
                buf,
                f"invalid UTF-8 ({exc.reason})",
                message_type=mtype,
                attribute=tag,
                offset=vpos + exc.start,
            ) from None
        except _Fail as fail:
            raise _error(
                buf,
                fail.detail,
                code=fail.code,
                message_type=mtype,
                attribute=tag,
                offset=fail.offset,
            ) from None
        values[field] = value
        pos = vend
    if not mandatory <= values.keys():
        missing = next(fs for fs in cls.FIELDS if fs.mandatory and fs.spec.field not in values)
        raise _error(
            buf,
            f"missing mandatory attribute {missing.spec.attribute.name}",
            code=ErrorCode.InvalidAttribute,
            message_type=mtype,
            attribute=missing.spec.attribute,
            offset=end,
            locate=False,
        )
    # every value was checked above (type, width, UTF-8, enum), so skip the second validation
    return cls.from_wire(values)


def _attribute_error(
    buf: bytes, mtype: int, tag: int, vt: int, expected: int, *, pos: int
) -> MessageError:
    if vt != expected:
        return _error(
            buf,
            f"value type {vt} where {ValueType(expected).name} ({expected}) is expected",
            message_type=mtype,
            attribute=tag,
            offset=pos + 2,
        )
    return _error(
        buf,
        "attribute repeated",
        code=ErrorCode.InvalidAttribute,
        message_type=mtype,
        attribute=tag,
        offset=pos,
    )


_ATTR_SIZE = _ATTR.size
_int_unpack = _INT.unpack_from
_connid_unpack = _CONNID.unpack_from

#: value -> member, per enumeration the decode tables so far use (faster than calling the enum).
_ENUM_MEMBERS: dict[type[IntEnum], dict[int, IntEnum]] = {}
#: The enumeration's name, by id() of its value -> member table (for error messages).
_ENUM_NAMES: dict[int, str] = {}


def _enum_members(enum: type[IntEnum]) -> dict[int, IntEnum]:
    members = _ENUM_MEMBERS.get(enum)
    if members is None:
        members = _ENUM_MEMBERS[enum] = {int(m): m for m in enum}
        _ENUM_NAMES[id(members)] = enum.__name__
    return members


_Slot = tuple[str, int, dict[int, IntEnum] | None]


def _decode_table(cls: type[Message]) -> tuple[dict[int, _Slot], frozenset[str]]:
    """tag -> (field, value type, enum members) for one message class, and its mandatory fields."""
    table: dict[int, _Slot] = {
        int(fs.spec.attribute): (
            fs.spec.field,
            int(fs.spec.value_type),
            _enum_members(fs.spec.enum) if fs.spec.enum else None,
        )
        for fs in cls.FIELDS
    }
    return table, frozenset(fs.spec.field for fs in cls.FIELDS if fs.mandatory)


#: The decode table of each catalogue class the codec has met so far.
_DECODE_TABLES: dict[type[Message], tuple[dict[int, _Slot], frozenset[str]]] = {}
