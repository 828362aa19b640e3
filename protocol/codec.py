"""Sans-IO codec: typed messages to frame bytes and back, fast, with typed errors.

`encode(message)` gives one frame's bytes; `decode(frame)` turns one frame (as cut by
protocol.framer.Framer) into a typed message or raises MessageError naming the message type,
the attribute and the byte offset inside the frame. No byte string makes `decode` raise
anything else.

The fixed-size parts are precompiled struct.Struct objects derived from the construct
declarations in protocol.wire (see wire.struct_format); tests check that this codec and the
construct reference codec produce and accept the very same bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from protocol import wire
from protocol.enums import ValueType
from protocol.errors import ErrorCode, MessageError
from protocol.messages import BY_ATTRIBUTE, CATALOGUE, AttributeSpec, Message
from protocol.values import ConnID, KVList, KVValue

_HEADER = struct.Struct(wire.struct_format(wire.FrameHeader))
_ATTR = struct.Struct(wire.struct_format(wire.AttributeHeader))
_KEYLEN = struct.Struct(wire.struct_format(wire.KVPairHeader))
_KVVAL = struct.Struct(wire.struct_format(wire.KVPairValueHeader))
_COUNT = struct.Struct(wire.struct_format(wire.KVListCount))
_INT = struct.Struct(wire.IntValue.fmtstr)
_CONNID = struct.Struct(wire.ConnIDValue.fmtstr)

HEADER_SIZE = _HEADER.size
_MAGIC = wire.MAGIC
#: Deepest KVList nesting accepted (a guard against recursion bombs).
MAX_KVLIST_DEPTH = 32

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


def _encode_kv_value(value: KVValue) -> tuple[int, bytes]:
    if isinstance(value, str):
        return _VT_STRING, value.encode("utf-8")
    if isinstance(value, int):
        return _VT_INT, _INT.pack(value)
    if isinstance(value, bytes):
        return _VT_BINARY, value
    return _VT_KVLIST, _encode_kvlist(value)


_ENCODERS: dict[ValueType, Callable[[Any], bytes]] = {
    ValueType.String: lambda v: v.encode("utf-8"),
    ValueType.Int: _INT.pack,
    ValueType.ConnID: _CONNID.pack,
    ValueType.KVList: _encode_kvlist,
    ValueType.Binary: bytes,
}


def encode(msg: Message) -> bytes:
    """One frame's bytes for this message."""
    parts: list[bytes] = [b""]
    for fs in msg.FIELDS:
        spec = fs.spec
        value = getattr(msg, spec.field)
        if value is None:
            continue
        raw = _ENCODERS[spec.value_type](value)
        parts.append(_ATTR.pack(spec.attribute, spec.value_type, len(raw)))
        parts.append(raw)
    body_len = sum(len(p) for p in parts)
    parts[0] = _HEADER.pack(_MAGIC, msg.MESSAGE_TYPE, body_len)
    return b"".join(parts)


# --------------------------------------------------------------------------------------------
# Decoding


class _Fail(Exception):
    """Internal: a value failed to decode at `offset` (frame-relative)."""

    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.offset = offset


def _decode_string(buf: bytes, pos: int, end: int) -> str:
    try:
        return buf[pos:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Fail(f"invalid UTF-8 ({exc.reason})", pos + exc.start) from None


def _decode_int(buf: bytes, pos: int, end: int) -> int:
    if end - pos != _INT.size:
        raise _Fail(f"Int value is {end - pos} bytes, not {_INT.size}", pos)
    return int(_INT.unpack_from(buf, pos)[0])


def _decode_connid(buf: bytes, pos: int, end: int) -> ConnID:
    if end - pos != _CONNID.size:
        raise _Fail(f"ConnID value is {end - pos} bytes, not {_CONNID.size}", pos)
    return ConnID(_CONNID.unpack_from(buf, pos)[0])


def _decode_binary(buf: bytes, pos: int, end: int) -> bytes:
    return buf[pos:end]


def _decode_kvlist(buf: bytes, pos: int, end: int, depth: int = 0) -> KVList:
    if depth > MAX_KVLIST_DEPTH:
        raise _Fail(f"KVList nested deeper than {MAX_KVLIST_DEPTH}", pos)
    if end - pos < _COUNT.size:
        raise _Fail("KVList shorter than its pair count", pos)
    (count,) = _COUNT.unpack_from(buf, pos)
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
            value = _decode_kvlist(buf, vpos, vend, depth + 1)
        else:
            raise _Fail(f"KVList value of key {key!r} has unknown value type {vt}", vhpos)
        pairs.append((key, value))
        pos = vend
    if pos != end:
        raise _Fail(f"{end - pos} bytes after the last KVList pair", pos)
    return KVList._trusted(tuple(pairs))


_DECODERS: dict[int, Callable[[bytes, int, int], Any]] = {
    _VT_STRING: _decode_string,
    _VT_INT: _decode_int,
    _VT_CONNID: _decode_connid,
    _VT_KVLIST: _decode_kvlist,
    _VT_BINARY: _decode_binary,
}


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
) -> MessageError:
    err = MessageError(
        detail, code=code, message_type=message_type, attribute=attribute, offset=offset
    )
    err.reference_id = _peek_reference_id(buf, len(buf))  # type: ignore[attr-defined]
    return err


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
    if magic != _MAGIC:
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
    carried = _fields_by_tag(cls)
    kwargs: dict[str, Any] = {}
    pos = HEADER_SIZE
    while pos < end:
        if end - pos < _ATTR.size:
            raise _error(
                buf,
                f"truncated attribute header ({end - pos} of {_ATTR.size} bytes)",
                message_type=mtype,
                offset=pos,
            )
        tag, vt, ln = _ATTR.unpack_from(buf, pos)
        vpos = pos + _ATTR.size
        vend = vpos + ln
        if vend > end:
            raise _error(
                buf,
                f"attribute length {ln} overruns the frame",
                message_type=mtype,
                attribute=tag,
                offset=pos + 3,
            )
        spec = carried.get(tag)
        if spec is None:  # unknown here: skipped, so later versions stay readable
            pos = vend
            continue
        if vt != spec.value_type:
            raise _error(
                buf,
                f"value type {vt} where {spec.value_type.name} "
                f"({int(spec.value_type)}) is expected",
                message_type=mtype,
                attribute=tag,
                offset=pos + 2,
            )
        if spec.field in kwargs:
            raise _error(
                buf,
                "attribute repeated",
                code=ErrorCode.InvalidAttribute,
                message_type=mtype,
                attribute=tag,
                offset=pos,
            )
        try:
            value = _DECODERS[vt](buf, vpos, vend)
        except _Fail as fail:
            raise _error(
                buf, fail.detail, message_type=mtype, attribute=tag, offset=fail.offset
            ) from None
        if spec.enum is not None:
            try:
                value = spec.enum(value)
            except ValueError:
                raise _error(
                    buf,
                    f"{value} is not a {spec.enum.__name__}",
                    code=ErrorCode.InvalidAttribute,
                    message_type=mtype,
                    attribute=tag,
                    offset=vpos,
                ) from None
        kwargs[spec.field] = value
        pos = vend
    for fs in cls.FIELDS:
        if fs.mandatory and fs.spec.field not in kwargs:
            raise _error(
                buf,
                "mandatory attribute missing",
                code=ErrorCode.InvalidAttribute,
                message_type=mtype,
                attribute=fs.spec.attribute,
                offset=end,
            )
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:  # the catalogue's own checks (ranges)
        raise _error(
            buf, str(exc), code=ErrorCode.InvalidAttribute, message_type=mtype, offset=end
        ) from None


_TAG_TABLES: dict[type[Message], dict[int, AttributeSpec]] = {}


def _fields_by_tag(cls: type[Message]) -> dict[int, AttributeSpec]:
    table = _TAG_TABLES.get(cls)
    if table is None:
        table = {int(fs.spec.attribute): fs.spec for fs in cls.FIELDS}
        _TAG_TABLES[cls] = table
    return table


def attribute_name(tag: int) -> str:
    spec = BY_ATTRIBUTE.get(tag)
    return spec.attribute.name if spec else str(tag)
