"""Codec tests: round trips, byte-for-byte agreement with the construct declarations, and every
kind of malformed frame raising the one typed error with message type, attribute and offset.
Sans-IO: no sockets, no clock."""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol import wire
from protocol.codec import decode, encode
from protocol.enums import Attribute, MessageType, ValueType
from protocol.errors import ErrorCode, MessageError, ProtocolError
from protocol.framer import Framer
from protocol.messages import CATALOGUE, Message, RequestMakeCall, RequestRegisterClient
from protocol.values import ConnID, KVList, KVValue
from tests.protocol.samples import SAMPLES


def _triples(msg: Message) -> list[tuple[int, int, Any]]:
    """The message as the construct reference codec takes it."""

    def kv(value: KVList) -> list[tuple[str, int, Any]]:
        out: list[tuple[str, int, Any]] = []
        for key, v in value:
            if isinstance(v, KVList):
                out.append((key, ValueType.KVList, kv(v)))
            elif isinstance(v, str):
                out.append((key, ValueType.String, v))
            elif isinstance(v, bytes):
                out.append((key, ValueType.Binary, v))
            else:
                out.append((key, ValueType.Int, v))
        return out

    triples = []
    for fs in msg.FIELDS:
        value = getattr(msg, fs.spec.field)
        if value is None:
            continue
        if isinstance(value, KVList):
            value = kv(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = int(value)
        triples.append((int(fs.spec.attribute), int(fs.spec.value_type), value))
    return triples


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip_and_construct_agree(msg: Message) -> None:
    data = encode(msg)
    assert decode(data) == msg
    # the fast codec writes exactly what the construct declaration builds ...
    assert wire.build_frame(msg.MESSAGE_TYPE, _triples(msg)) == data
    # ... and the declaration parses the fast codec's bytes back to the same attributes
    message_type, attributes = wire.parse_frame(data)
    assert message_type == msg.MESSAGE_TYPE
    assert attributes == _triples(msg)


def test_every_catalogue_message_has_a_sample() -> None:
    assert {type(m) for m in SAMPLES} == set(CATALOGUE.values())


def test_wire_formats_are_current() -> None:
    """The struct formats the codec uses are the ones protocol.wire's declarations give."""
    assert wire.FORMATS_PATH.read_text(encoding="utf-8") == wire.render_formats(), (
        "protocol/_wire_formats.py is stale: run python -m protocol.wire"
    )


def test_header_layout_is_documented_one() -> None:
    data = encode(RequestRegisterClient(protocol_version="1.0", application_name="a"))
    magic, mtype, length = struct.unpack_from(">2sHI", data)
    assert (magic, mtype, length) == (b"CT", 0, len(data) - 8)


def test_conn_id_is_shown_as_16_hex_digits() -> None:
    conn = ConnID(0x7102719818000D)
    assert str(conn) == "007102719818000d"
    assert ConnID.parse("007102719818000d") == conn
    with pytest.raises(ValueError):
        ConnID(-1)


def test_kvlist_keeps_order_and_repeated_keys() -> None:
    kv = KVList([("a", 1), ("b", "x"), ("a", 2)])
    msg = RequestMakeCall(this_dn="1", other_dn="2", user_data=kv)
    back = decode(encode(msg))
    assert isinstance(back, RequestMakeCall) and back.user_data is not None
    assert back.user_data.pairs == (("a", 1), ("b", "x"), ("a", 2))
    assert back.user_data.get_all("a") == [1, 2]


def test_constructor_validates() -> None:
    with pytest.raises(TypeError):
        RequestMakeCall(this_dn="1001")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RequestMakeCall(this_dn=1001, other_dn="1002")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RequestMakeCall(this_dn="1", other_dn="2", make_call_type=99)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        KVList([("k", 1.5)])  # type: ignore[list-item]


# ------------------------------------------------------------------------------------------------
# Hypothesis: every message, arbitrary valid values

_text = st.text(max_size=20)
_int64 = st.integers(-(2**63), 2**63 - 1)


def _kvlists(depth: int = 2) -> st.SearchStrategy[KVList]:
    leaf: st.SearchStrategy[KVValue] = st.one_of(_text, _int64, st.binary(max_size=16))
    value = leaf if depth == 0 else st.one_of(leaf, st.deferred(lambda: _kvlists(depth - 1)))
    return st.lists(st.tuples(_text, value), max_size=5).map(KVList)


def _field_strategy(msg_cls: type[Message], name: str) -> st.SearchStrategy[Any]:
    spec = next(fs.spec for fs in msg_cls.FIELDS if fs.spec.field == name)
    if spec.enum is not None:
        return st.sampled_from(list(spec.enum))
    return {
        ValueType.String: _text,
        ValueType.Int: _int64,
        ValueType.ConnID: st.integers(0, 2**64 - 1).map(ConnID),
        ValueType.KVList: _kvlists(),
        ValueType.Binary: st.binary(max_size=64),
    }[spec.value_type]


def _messages(msg_cls: type[Message]) -> st.SearchStrategy[Message]:
    kwargs = {}
    for fs in msg_cls.FIELDS:
        strategy = _field_strategy(msg_cls, fs.spec.field)
        kwargs[fs.spec.field] = st.none() | strategy if fs.nullable else strategy
    return st.builds(msg_cls, **kwargs)


@pytest.mark.parametrize("msg_cls", list(CATALOGUE.values()), ids=lambda c: c.__name__)
def test_hypothesis_round_trip(msg_cls: type[Message]) -> None:
    @given(_messages(msg_cls))
    def check(msg: Message) -> None:
        data = encode(msg)
        assert decode(data) == msg
        assert wire.parse_frame(data)[1] == _triples(msg)

    check()


# ------------------------------------------------------------------------------------------------
# Malformed frames: one typed error, naming message type, attribute and offset


def _frame(message_type: int, body: bytes) -> bytes:
    return struct.pack(">2sHI", b"CT", message_type, len(body)) + body


def _attr(tag: int, value_type: int, value: bytes) -> bytes:
    return struct.pack(">HBI", tag, value_type, len(value)) + value


def _str(tag: int, text: str) -> bytes:
    return _attr(tag, ValueType.String, text.encode())


def _int(tag: int, value: int) -> bytes:
    return _attr(tag, ValueType.Int, struct.pack(">q", value))


ANSWER = MessageType.RequestAnswerCall
GOOD_ANSWER_BODY = _str(Attribute.ThisDN, "1002") + _attr(
    Attribute.ConnID, ValueType.ConnID, struct.pack(">Q", 5)
)


def _decode_error(data: bytes) -> MessageError:
    with pytest.raises(MessageError) as info:
        decode(data)
    return info.value


def test_unknown_message_type_is_unsupported_with_reference() -> None:
    err = _decode_error(_frame(999, _int(Attribute.ReferenceID, 77)))
    assert err.code is ErrorCode.UnsupportedOperation
    assert err.message_type == 999
    assert err.reference_id == 77


def test_unknown_attribute_is_skipped() -> None:
    data = _frame(ANSWER, _attr(4000, 9, b"future") + GOOD_ANSWER_BODY)
    assert decode(data).attributes()["this_dn"] == "1002"


def test_truncated_attribute_header() -> None:
    body = GOOD_ANSWER_BODY + b"\x00\x14\x02"
    err = _decode_error(_frame(ANSWER, body))
    assert (err.code, err.message_type, err.offset) == (
        ErrorCode.MalformedMessage,
        ANSWER,
        8 + len(GOOD_ANSWER_BODY),
    )


def test_attribute_overrunning_frame() -> None:
    body = struct.pack(">HBI", Attribute.ThisDN, ValueType.String, 50) + b"1002"
    err = _decode_error(_frame(ANSWER, body))
    assert (err.attribute, err.offset) == (Attribute.ThisDN, 8 + 3)
    assert "ThisDN" in str(err) and "RequestAnswerCall" in str(err)


def test_bad_utf8_names_attribute_and_offset() -> None:
    body = _attr(Attribute.ThisDN, ValueType.String, b"10\xff2") + GOOD_ANSWER_BODY[12:]
    err = _decode_error(_frame(ANSWER, body))
    assert (err.attribute, err.offset) == (Attribute.ThisDN, 8 + 7 + 2)


def test_wrong_value_type() -> None:
    body = _int(Attribute.ThisDN, 1002)
    err = _decode_error(_frame(ANSWER, body))
    assert (err.attribute, err.offset) == (Attribute.ThisDN, 8 + 2)
    assert err.code == ErrorCode.MalformedMessage  # 701, as docs/protocol.md says


def test_unknown_value_type_in_a_kvlist_refuses_the_frame() -> None:
    kv_body = struct.pack(">I", 1) + struct.pack(">H", 1) + b"k" + struct.pack(">BI", 9, 1) + b"v"
    body = _str(Attribute.ThisDN, "1") + _str(Attribute.OtherDN, "2")
    body += _attr(Attribute.UserData, ValueType.KVList, kv_body)
    err = _decode_error(_frame(MessageType.RequestMakeCall, body))
    assert (err.code, err.attribute) == (ErrorCode.MalformedMessage, Attribute.UserData)
    assert "unknown value type 9" in err.detail


def test_wrong_int_width() -> None:
    body = GOOD_ANSWER_BODY + _attr(Attribute.ReferenceID, ValueType.Int, b"\x00\x01")
    err = _decode_error(_frame(ANSWER, body))
    assert err.attribute == Attribute.ReferenceID


def test_missing_mandatory_attribute() -> None:
    err = _decode_error(_frame(ANSWER, _str(Attribute.ThisDN, "1002")))
    assert (err.code, err.attribute) == (ErrorCode.InvalidAttribute, Attribute.ConnID)
    # the text names the attribute and quotes no offset (docs/protocol.md, "Errors")
    assert str(err) == "missing mandatory attribute ConnID (message RequestAnswerCall)"


def test_enum_out_of_range() -> None:
    body = _str(Attribute.ThisDN, "1") + _str(Attribute.OtherDN, "2")
    body += _int(Attribute.MakeCallType, 42)
    err = _decode_error(_frame(MessageType.RequestMakeCall, body))
    assert (err.code, err.attribute) == (ErrorCode.InvalidAttribute, Attribute.MakeCallType)
    assert "MakeCallType" in err.detail


def test_repeated_attribute() -> None:
    err = _decode_error(_frame(ANSWER, GOOD_ANSWER_BODY + _str(Attribute.ThisDN, "1003")))
    assert err.attribute == Attribute.ThisDN


def test_kvlist_errors_point_inside_the_list() -> None:
    kv_body = struct.pack(">I", 2) + struct.pack(">H", 1) + b"k" + struct.pack(">BI", 2, 1) + b"v"
    body = GOOD_ANSWER_BODY  # AnswerCall carries no UserData: use MakeCall
    body = _str(Attribute.ThisDN, "1") + _str(Attribute.OtherDN, "2")
    start = 8 + len(body) + 7
    body += _attr(Attribute.UserData, ValueType.KVList, kv_body)
    err = _decode_error(_frame(MessageType.RequestMakeCall, body))
    assert err.attribute == Attribute.UserData
    assert err.offset == start + len(kv_body)
    assert "2 pairs announced, 1 present" in err.detail


def test_kvlist_nesting_bomb_is_refused() -> None:
    inner = struct.pack(">I", 0)
    for _ in range(100):
        inner = struct.pack(">IH", 1, 1) + b"k" + struct.pack(">BI", 4, len(inner)) + inner
    body = _str(Attribute.ThisDN, "1") + _str(Attribute.OtherDN, "2")
    body += _attr(Attribute.UserData, ValueType.KVList, inner)
    err = _decode_error(_frame(MessageType.RequestMakeCall, body))
    assert "nested deeper" in err.detail


def test_random_and_mutated_frames_raise_only_the_typed_error() -> None:
    """A short seeded fuzz (the long one lives with the protocol issue's fuzz loop)."""
    rng = random.Random(20261122)
    valid = [encode(m) for m in SAMPLES]
    for i in range(5000):
        if i % 2:
            data = bytearray(rng.choice(valid))
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            blob = bytes(data)
        else:
            blob = b"CT" + rng.randbytes(rng.randint(0, 40))
        framer = Framer(max_frame_size=4096)
        framer.receive_data(blob)
        try:
            for frame in framer.frames():
                decode(frame)
        except ProtocolError as err:
            assert err.offset is None or 0 <= err.offset <= len(blob)


def test_a_frame_announcing_too_many_kvlist_pairs_is_refused_from_the_counts() -> None:
    """Issue 13, item 17: at most MAX_KVLIST_PAIRS pairs in one frame, all its lists together;
    a frame announcing more is refused before its pairs are read."""
    from protocol.codec import MAX_KVLIST_PAIRS
    from protocol.messages import RequestAttachUserData

    fine = KVList([(f"k{i}", i) for i in range(MAX_KVLIST_PAIRS)])
    message = RequestAttachUserData(
        reference_id=5, this_dn="1001", conn_id=ConnID(1), user_data=fine
    )
    assert decode(encode(message)) == message
    half = KVList([(f"k{i}", i) for i in range(MAX_KVLIST_PAIRS // 2 + 1)])
    nested = KVList([("a", half), ("b", half)])  # two lists within the bound, not together
    too_many = RequestAttachUserData(
        reference_id=6, this_dn="1001", conn_id=ConnID(1), user_data=nested
    )
    with pytest.raises(MessageError, match="KVList pairs in one frame") as raised:
        decode(encode(too_many))
    assert raised.value.reference_id == 6
    # a count that lies (a huge number announced, nothing behind it) costs nothing either
    lying = bytearray(
        encode(
            RequestAttachUserData(
                reference_id=7, this_dn="1001", conn_id=ConnID(1), user_data=KVList([("k", 1)])
            )
        )
    )
    at = lying.index(b"\x00\x00\x00\x01\x00\x01k")  # pair count 1, key length 1, "k"
    lying[at : at + 4] = (10**9).to_bytes(4, "big")
    with pytest.raises(MessageError, match="KVList pairs in one frame"):
        decode(bytes(lying))
