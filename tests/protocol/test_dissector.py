"""The generated Wireshark dissector, checked with the real tshark.

A capture (written with scapy) holds every message type of the catalogue, both directions of a
TCP session, several frames in one segment and one frame split over two segments. tshark runs
it through `ctiemu dissector`'s Lua and every decoded field is compared with our codec. Needs
tshark (installed by scripts/test.sh); the test fails, never skips, when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from protocol import wire
from protocol.codec import decode, encode
from protocol.dissector import render_lua
from protocol.enums import Attribute, CallState, CallType, DNRole, ValueType
from protocol.messages import Event, EventRinging, Message, RequestMakeCall
from protocol.values import ConnID, KVList
from tests.protocol.samples import SAMPLES

CLIENT, SERVER = ("127.0.0.1", 40123), ("127.0.0.1", 7000)

EDGE_CASES: list[Message] = [
    RequestMakeCall(
        this_dn="",
        other_dn="x",
        user_data=KVList([("", ""), ("empty", KVList()), ("b", b""), ("neg", -(2**63))]),
    ),
    EventRinging(
        this_dn="1",
        conn_id=ConnID(0),
        call_type=CallType.Unknown,
        call_id=-1,
        call_state=CallState.Unknown,
        this_dn_role=DNRole.Unknown,
    ),
]


def tcp_session(segments: list[tuple[bool, bytes]]) -> list[Any]:
    """Packets of one TCP session; each segment is (from client?, payload)."""
    seq = {True: 1000, False: 5000}

    def packet(from_client: bool, flags: str, payload: bytes = b"") -> Any:
        src, dst = (CLIENT, SERVER) if from_client else (SERVER, CLIENT)
        tcp = TCP(
            sport=src[1], dport=dst[1], flags=flags, seq=seq[from_client], ack=seq[not from_client]
        )
        return Ether() / IP(src=src[0], dst=dst[0]) / tcp / payload

    packets = [packet(True, "S")]
    seq[True] += 1
    packets.append(packet(False, "SA"))
    seq[False] += 1
    packets.append(packet(True, "A"))
    for from_client, payload in segments:
        packets.append(packet(from_client, "PA", payload))
        seq[from_client] += len(payload)
    return packets


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_kvlist(pairs: list[tuple[str, int, Any]], tree: dict[str, Any]) -> None:
    assert int(tree["ctiemu.kv.count"]) == len(pairs)
    keys = as_list(tree.get("ctiemu.kv.key"))
    subtrees = as_list(tree.get("ctiemu.kv.key_tree"))
    assert keys == [key for key, _, _ in pairs]
    for (_key, vt, value), sub in zip(pairs, subtrees, strict=True):
        if vt == ValueType.String:
            assert sub["ctiemu.kv.string"] == value
        elif vt == ValueType.Int:
            assert int(sub["ctiemu.kv.int"]) == value
        elif vt == ValueType.Binary:
            assert sub["ctiemu.kv.binary"] == value.hex(":")
        else:
            check_kvlist(value, sub["ctiemu.kv.list_tree"])


def check_message(tree: dict[str, Any], frame: bytes) -> None:
    message_type, attributes = wire.parse_frame(frame)
    assert int(tree["ctiemu.type"]) == message_type
    assert int(tree["ctiemu.length"]) == len(frame) - 8
    tags = [int(t) for t in as_list(tree.get("ctiemu.attribute"))]
    assert tags == [tag for tag, _, _ in attributes]
    for (tag, vt, value), sub in zip(
        attributes, as_list(tree.get("ctiemu.attribute_tree")), strict=True
    ):
        assert int(sub["ctiemu.attribute.type"]) == vt
        field = f"ctiemu.value.{Attribute(tag).name}"
        shown = sub[field]
        if vt == ValueType.Int:
            assert int(shown) == value
        elif vt == ValueType.String:
            assert shown == value
        elif vt == ValueType.ConnID:
            assert shown == f"0x{value:016x}"
        elif vt == ValueType.KVList:
            check_kvlist(value, sub[field + "_tree"])
        else:
            assert shown == value.hex(":")


def test_tshark_decodes_every_message_like_our_codec(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    assert tshark, "tshark is not installed: run scripts/test.sh, which installs it"
    lua = tmp_path / "ctiemu.lua"
    lua.write_text(render_lua())

    messages = SAMPLES + EDGE_CASES
    frames = [encode(m) for m in messages]
    assert [decode(f) for f in frames] == messages
    segments: list[tuple[bool, bytes]] = []
    for msg, frame in zip(messages, frames, strict=True):
        segments.append((not isinstance(msg, Event), frame))
    # several frames in one segment, and one frame split over two segments
    segments.append((True, frames[4] + frames[5]))
    segments.append((True, frames[6][:5]))
    segments.append((True, frames[6][5:]))
    expected = [*frames, frames[4], frames[5], frames[6]]

    capture = tmp_path / "every-message.pcap"
    wrpcap(str(capture), tcp_session(segments))
    out = subprocess.run(
        [
            tshark,
            "-X",
            f"lua_script:{lua}",
            "-r",
            str(capture),
            "-T",
            "json",
            "--no-duplicate-keys",
            "-J",
            "ctiemu",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    decoded: list[dict[str, Any]] = []
    for packet in json.loads(out.stdout):
        decoded += as_list(packet["_source"]["layers"].get("ctiemu"))
    assert len(decoded) == len(expected)
    seen_types = set()
    for tree, frame in zip(decoded, expected, strict=True):
        check_message(tree, frame)
        seen_types.add(int(tree["ctiemu.type"]))
    from protocol.messages import CATALOGUE

    assert seen_types == set(CATALOGUE)
    assert "ctiemu.malformed" not in out.stdout


def test_dissector_flags_malformed_frames(tmp_path: Path) -> None:
    tshark = shutil.which("tshark")
    assert tshark, "tshark is not installed: run scripts/test.sh, which installs it"
    lua = tmp_path / "ctiemu.lua"
    lua.write_text(render_lua())
    bad = b"CT\x00\x0e\x00\x00\x00\x09" + b"\x00\x14\x02\x00\x00\x00\x50" + b"10"
    capture = tmp_path / "bad.pcap"
    wrpcap(str(capture), tcp_session([(True, bad)]))
    out = subprocess.run(
        [tshark, "-X", f"lua_script:{lua}", "-r", str(capture), "-V"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "attribute length overruns the frame" in out.stdout
    assert "Lua Error" not in out.stdout + out.stderr
