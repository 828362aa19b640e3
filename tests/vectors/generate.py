"""Writes the golden vectors in tests/vectors: `python -m tests.vectors.generate`.

Run it only to add vectors (for a new message, say): the committed .bin files are the fixed
reference the codec is tested against, and index.json records what each one must decode to
(valid), or the exact error it must raise (invalid, truncated).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from protocol.codec import decode, encode
from protocol.enums import Attribute, ValueType
from protocol.errors import ProtocolError
from protocol.framer import Framer
from tests.protocol.samples import SAMPLES

HERE = Path(__file__).resolve().parent


def _attr(tag: int, vt: int, value: bytes) -> bytes:
    return struct.pack(">HBI", tag, vt, len(value)) + value


def _frame(mtype: int, body: bytes) -> bytes:
    return struct.pack(">2sHI", b"CT", mtype, len(body)) + body


_DN = _attr(Attribute.ThisDN, ValueType.String, b"1001")
_CONN = _attr(Attribute.ConnID, ValueType.ConnID, struct.pack(">Q", 0x7102719818000D))
_REF = _attr(Attribute.ReferenceID, ValueType.Int, struct.pack(">q", 41))

INVALID: dict[str, bytes] = {
    "bad_magic": b"GET / HTTP/1.1\r\n\r\n",
    "oversized_frame": struct.pack(">2sHI", b"CT", 14, 2**31),
    "unknown_message_type": _frame(999, _REF),
    "attribute_overruns_frame": _frame(16, _DN + struct.pack(">HBI", 9, 3, 80) + b"\x00" * 8),
    "truncated_attribute_header": _frame(16, _DN + _CONN + b"\x00\x02\x01"),
    "wrong_value_type": _frame(16, _REF + _attr(Attribute.ThisDN, ValueType.Int, bytes(8)) + _CONN),
    "short_int": _frame(16, _attr(Attribute.ReferenceID, ValueType.Int, b"\x29") + _DN + _CONN),
    "short_connid": _frame(16, _DN + _attr(Attribute.ConnID, ValueType.ConnID, b"\x01\x02")),
    "bad_utf8": _frame(16, _REF + _attr(Attribute.ThisDN, ValueType.String, b"10\xc3\x28") + _CONN),
    "missing_mandatory": _frame(16, _REF + _DN),
    "repeated_attribute": _frame(16, _REF + _DN + _DN + _CONN),
    "enum_out_of_range": _frame(
        14,
        _REF
        + _DN
        + _attr(Attribute.OtherDN, ValueType.String, b"1002")
        + _attr(Attribute.MakeCallType, ValueType.Int, struct.pack(">q", 9)),
    ),
    "kvlist_count_lies": _frame(
        14,
        _DN
        + _attr(Attribute.OtherDN, ValueType.String, b"1002")
        + _attr(
            Attribute.UserData,
            ValueType.KVList,
            struct.pack(">IH", 3, 1) + b"k" + struct.pack(">BI", 2, 1) + b"v",
        ),
    ),
    "kvlist_unknown_value_type": _frame(
        14,
        _DN
        + _attr(Attribute.OtherDN, ValueType.String, b"1002")
        + _attr(
            Attribute.UserData,
            ValueType.KVList,
            struct.pack(">IH", 1, 1) + b"k" + struct.pack(">BI", 9, 1) + b"v",
        ),
    ),
    "kvlist_trailing_bytes": _frame(
        14,
        _DN
        + _attr(Attribute.OtherDN, ValueType.String, b"1002")
        + _attr(Attribute.UserData, ValueType.KVList, struct.pack(">I", 0) + b"\x00"),
    ),
}

#: Valid vectors cut short: (vector, length kept).
TRUNCATED: dict[str, tuple[int, int]] = {
    "in_header": (5, 5),
    "after_header": (5, 8),
    "in_attribute_header": (5, 12),
    "in_string_value": (5, 30),
    "in_kvlist": (5, 80),
    "last_byte_missing": (15, -1),
}


def _error_record(err: ProtocolError) -> dict[str, Any]:
    return {
        "error": type(err).__name__,
        "code": int(err.code),
        "message_type": err.message_type,
        "attribute": err.attribute,
        "offset": err.offset,
    }


def _stream_error(data: bytes) -> dict[str, Any]:
    """What the framer and then the decoder make of the bytes as a whole stream."""
    framer = Framer()
    framer.receive_data(data)
    try:
        frame = framer.next_frame()
        if frame is None:
            return {"incomplete": True}
        decode(frame)
    except ProtocolError as err:
        return _error_record(err)
    raise AssertionError("vector decoded without error")


def main() -> None:
    index: list[dict[str, Any]] = []
    for old in HERE.glob("*.bin"):
        old.unlink()
    for i, msg in enumerate(SAMPLES):
        name = f"{i:02d}_{type(msg).__name__}"
        data = encode(msg)
        (HERE / f"{name}.bin").write_bytes(data)
        index.append({"name": name, "kind": "valid", "message": msg.to_dict()})
    for name, data in INVALID.items():
        (HERE / f"{name}_invalid.bin").write_bytes(data)
        index.append({"name": f"{name}_invalid", "kind": "invalid", **_stream_error(data)})
    for name, (source, keep) in TRUNCATED.items():
        data = encode(SAMPLES[source])[:keep]
        (HERE / f"{name}_truncated.bin").write_bytes(data)
        try:
            decode(data)
        except ProtocolError as err:
            decoded = _error_record(err)
        index.append({"name": f"{name}_truncated", "kind": "truncated", "decode": decoded})
    (HERE / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
