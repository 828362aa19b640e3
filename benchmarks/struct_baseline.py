"""A hand-written codec for the benchmark mix: precompiled struct.Struct objects, one function
per message type, producing the very same bytes and the same typed message values as
protocol.codec. It is the baseline benchmarks/codec.py measures the real codec against; it
handles only the messages of the mix and checks nothing a well-formed frame would not need."""

from __future__ import annotations

import struct
from typing import Any

from protocol.enums import CallState, CallType, DNRole, MakeCallType
from protocol.messages import (
    EventDialing,
    EventEstablished,
    EventReleased,
    EventRinging,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
)
from protocol.values import ConnID, KVList

HEADER = struct.Struct(">2sHI")
ATTR = struct.Struct(">HBI")
ATTR_INT = struct.Struct(">HBIq")  # an Int attribute, header and value in one go
ATTR_CONNID = struct.Struct(">HBIQ")
INT = struct.Struct(">q")
CONNID = struct.Struct(">Q")
KEYLEN = struct.Struct(">H")
KVVAL = struct.Struct(">BI")
COUNT = struct.Struct(">I")


def _kv(kv: KVList) -> bytes:
    out = [COUNT.pack(len(kv))]
    for key, value in kv.pairs:
        kb = key.encode()
        if isinstance(value, str):
            vb = value.encode()
            out.append(KEYLEN.pack(len(kb)) + kb + KVVAL.pack(2, len(vb)) + vb)
        elif isinstance(value, int):
            out.append(KEYLEN.pack(len(kb)) + kb + KVVAL.pack(1, 8) + INT.pack(value))
        else:
            raise TypeError(value)
    return b"".join(out)


def _s(tag: int, text: str) -> bytes:
    b = text.encode()
    return ATTR.pack(tag, 2, len(b)) + b


def _encode_call_event(msg: Any) -> bytes:
    parts = []
    if msg.reference_id is not None:
        parts.append(ATTR_INT.pack(2, 1, 8, msg.reference_id))
    parts.append(ATTR_INT.pack(148, 1, 8, msg.event_sequence_number))
    parts.append(ATTR_INT.pack(86, 1, 8, msg.time_in_secs))
    parts.append(ATTR_INT.pack(87, 1, 8, msg.time_in_usecs))
    parts.append(_s(20, msg.this_dn))
    parts.append(ATTR_CONNID.pack(9, 3, 8, msg.conn_id))
    parts.append(ATTR_INT.pack(54, 1, 8, msg.call_type))
    parts.append(ATTR_INT.pack(3, 1, 8, msg.call_id))
    call_state = getattr(msg, "call_state", None)  # EventDialing has none
    if call_state is not None:
        parts.append(ATTR_INT.pack(13, 1, 8, call_state))
    parts.append(ATTR_INT.pack(23, 1, 8, msg.this_dn_role))
    if msg.other_dn is not None:
        parts.append(_s(24, msg.other_dn))
    if msg.other_dn_role is not None:
        parts.append(ATTR_INT.pack(27, 1, 8, msg.other_dn_role))
    if msg.user_data is not None:
        b = _kv(msg.user_data)
        parts.append(ATTR.pack(51, 4, len(b)) + b)
    if msg.call_uuid is not None:
        parts.append(_s(141, msg.call_uuid))
    body = b"".join(parts)
    return HEADER.pack(b"CT", msg.MESSAGE_TYPE, len(body)) + body


def _encode_make_call(msg: RequestMakeCall) -> bytes:
    parts = []
    if msg.reference_id is not None:
        parts.append(ATTR_INT.pack(2, 1, 8, msg.reference_id))
    parts.append(_s(20, msg.this_dn))
    parts.append(_s(24, msg.other_dn))
    parts.append(ATTR_INT.pack(73, 1, 8, msg.make_call_type))
    if msg.user_data is not None:
        b = _kv(msg.user_data)
        parts.append(ATTR.pack(51, 4, len(b)) + b)
    body = b"".join(parts)
    return HEADER.pack(b"CT", 14, len(body)) + body


def _encode_answer(msg: RequestAnswerCall) -> bytes:
    parts = []
    if msg.reference_id is not None:
        parts.append(ATTR_INT.pack(2, 1, 8, msg.reference_id))
    parts.append(_s(20, msg.this_dn))
    parts.append(ATTR_CONNID.pack(9, 3, 8, msg.conn_id))
    body = b"".join(parts)
    return HEADER.pack(b"CT", 16, len(body)) + body


ENCODERS: dict[type[Message], Any] = {
    EventDialing: _encode_call_event,
    EventRinging: _encode_call_event,
    EventEstablished: _encode_call_event,
    EventReleased: _encode_call_event,
    RequestMakeCall: _encode_make_call,
    RequestAnswerCall: _encode_answer,
}


def encode(msg: Message) -> bytes:
    return bytes(ENCODERS[type(msg)](msg))


def _decode_kv(buf: bytes, pos: int, end: int) -> KVList:
    (count,) = COUNT.unpack_from(buf, pos)
    pos += 4
    pairs: list[tuple[str, Any]] = []
    for _ in range(count):
        (klen,) = KEYLEN.unpack_from(buf, pos)
        pos += 2
        key = buf[pos : pos + klen].decode()
        pos += klen
        vt, vlen = KVVAL.unpack_from(buf, pos)
        pos += 5
        if vt == 2:
            pairs.append((key, buf[pos : pos + vlen].decode()))
        else:
            pairs.append((key, INT.unpack_from(buf, pos)[0]))
        pos += vlen
    return KVList._trusted(tuple(pairs))


_CALL_EVENTS = {60: EventRinging, 61: EventDialing, 64: EventEstablished, 65: EventReleased}
_ENUMS = {
    tag: {int(m): m for m in enum}
    for tag, enum in {54: CallType, 23: DNRole, 27: DNRole, 13: CallState, 73: MakeCallType}.items()
}
_NAMES = {
    2: "reference_id",
    148: "event_sequence_number",
    3: "call_id",
    86: "time_in_secs",
    87: "time_in_usecs",
    20: "this_dn",
    24: "other_dn",
    9: "conn_id",
    54: "call_type",
    23: "this_dn_role",
    27: "other_dn_role",
    13: "call_state",
    141: "call_uuid",
    51: "user_data",
    73: "make_call_type",
}


def decode(buf: bytes) -> Message:
    _magic, mtype, blen = HEADER.unpack_from(buf, 0)
    pos, end = 8, 8 + blen
    kwargs: dict[str, Any] = {}
    while pos < end:
        tag, vt, ln = ATTR.unpack_from(buf, pos)
        pos += 7
        if vt == 1:
            value: Any = INT.unpack_from(buf, pos)[0]
            members = _ENUMS.get(tag)
            if members is not None:
                value = members[value]
        elif vt == 2:
            value = buf[pos : pos + ln].decode()
        elif vt == 3:
            value = ConnID(CONNID.unpack_from(buf, pos)[0])
        else:
            value = _decode_kv(buf, pos, pos + ln)
        kwargs[_NAMES[tag]] = value
        pos += ln
    cls: type[Message]
    if mtype == 14:
        cls = RequestMakeCall
    elif mtype == 16:
        cls = RequestAnswerCall
    else:
        cls = _CALL_EVENTS[mtype]
    return cls.from_wire(kwargs)  # the values are typed already: no second validation
