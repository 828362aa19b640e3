"""Golden vectors (tests/vectors): fixed bytes the codec must keep reading the same way.

valid: decode gives the recorded message, encode gives back the very bytes, and the construct
reference parses them too. invalid: the stream raises exactly the recorded error (class, code,
message type, attribute, offset). truncated: the framer waits for more bytes, and decoding the
cut frame raises the recorded error. Add vectors with `python -m tests.vectors.generate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from protocol import wire
from protocol.codec import decode, encode
from protocol.errors import ProtocolError
from protocol.framer import Framer
from protocol.messages import CATALOGUE

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
INDEX: list[dict[str, Any]] = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))


def _load(entry: dict[str, Any]) -> bytes:
    return (VECTORS / f"{entry['name']}.bin").read_bytes()


def _record(err: ProtocolError) -> dict[str, Any]:
    return {
        "error": type(err).__name__,
        "code": int(err.code),
        "message_type": err.message_type,
        "attribute": err.attribute,
        "offset": err.offset,
    }


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [e for e in INDEX if e["kind"] == kind]


@pytest.mark.parametrize("entry", _by_kind("valid"), ids=lambda e: e["name"])
def test_valid_vector(entry: dict[str, Any]) -> None:
    data = _load(entry)
    msg = decode(data)
    assert msg.to_dict() == entry["message"]
    assert encode(msg) == data
    assert wire.parse_frame(data)[0] == msg.MESSAGE_TYPE


@pytest.mark.parametrize("entry", _by_kind("invalid"), ids=lambda e: e["name"])
def test_invalid_vector(entry: dict[str, Any]) -> None:
    framer = Framer()
    framer.receive_data(_load(entry))
    with pytest.raises(ProtocolError) as info:
        frame = framer.next_frame()
        assert frame is not None
        decode(frame)
    expected = {k: entry[k] for k in ("error", "code", "message_type", "attribute", "offset")}
    assert _record(info.value) == expected


@pytest.mark.parametrize("entry", _by_kind("truncated"), ids=lambda e: e["name"])
def test_truncated_vector(entry: dict[str, Any]) -> None:
    data = _load(entry)
    framer = Framer()
    framer.receive_data(data)
    assert framer.next_frame() is None  # waits for the rest
    assert framer.buffered == len(data)
    with pytest.raises(ProtocolError) as info:
        decode(data)
    assert _record(info.value) == entry["decode"]


def test_every_message_type_has_a_valid_vector() -> None:
    covered = {decode(_load(e)).MESSAGE_TYPE for e in _by_kind("valid")}
    assert covered == set(CATALOGUE)


def test_every_prefix_of_every_valid_vector_is_incomplete_or_typed_error() -> None:
    for entry in _by_kind("valid"):
        data = _load(entry)
        for cut in range(len(data)):
            framer = Framer()
            framer.receive_data(data[:cut])
            assert framer.next_frame() is None
            with pytest.raises(ProtocolError):
                decode(data[:cut])
