"""cti.capture.pcap: reading pcap and pcapng, our TCP reassembly, ctiemu sessions, PcapWriter.

Packets are built with scapy (so the headers are someone else's idea of right) and put in files
by the small pcap / pcapng writers below, in every byte order, resolution and link type the
reader claims. PcapWriter's files are checked with our reader and with the real tshark.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, TCP, UDP, IPOption_NOP
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrHopByHop
from scapy.layers.l2 import Dot1Q, Ether

from cti.capture.pcap import (
    ACK,
    C2S,
    S2C,
    CaptureError,
    NoSessionError,
    PcapWriter,
    Segment,
    read_segments,
    read_sessions,
    reassemble,
)
from protocol.codec import encode
from protocol.dissector import render_lua
from protocol.messages import Control, Message, Request
from tests.protocol.samples import SAMPLES

CLIENT, SERVER = ("10.0.0.1", 40123), ("10.0.0.2", 7000)
CLIENT6, SERVER6 = ("2001:db8::1", 40123), ("2001:db8::2", 7000)
MACS = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")  # no address resolution
MESSAGES: list[Message] = [m for m in SAMPLES[:24] if not isinstance(m, Control)]


def direction_of(message: Message) -> str:
    return C2S if isinstance(message, Request) else S2C


CONVERSATION = [(direction_of(m), encode(m)) for m in MESSAGES]


# ------------------------------------------------------------------------------------------------
# Building packets and files


@dataclass
class Pkt:
    time: float
    from_client: bool
    flags: str
    seq: int
    ack: int
    payload: bytes = b""


def session_packets(
    parts: list[tuple[str, bytes]],
    *,
    isn_c: int = 1000,
    isn_s: int = 5000,
    t0: float = 100.0,
    syn: bool = True,
    fin: bool = True,
) -> list[Pkt]:
    """A whole TCP session: handshake, one segment per part (direction, bytes), FIN both ways."""
    mask = 0xFFFFFFFF
    nxt = {True: isn_c, False: isn_s}
    pkts: list[Pkt] = []
    t = t0
    if syn:
        pkts.append(Pkt(t, True, "S", isn_c, 0))
        pkts.append(Pkt(t, False, "SA", isn_s, isn_c + 1 & mask))
        pkts.append(Pkt(t, True, "A", isn_c + 1 & mask, isn_s + 1 & mask))
    nxt = {True: isn_c + 1 & mask, False: isn_s + 1 & mask}
    for direction, payload in parts:
        t += 0.001
        c = direction == C2S
        pkts.append(Pkt(t, c, "PA", nxt[c], nxt[not c], payload))
        nxt[c] = nxt[c] + len(payload) & mask
    if fin:
        t += 0.001
        pkts.append(Pkt(t, True, "FA", nxt[True], nxt[False]))
        pkts.append(Pkt(t, False, "FA", nxt[False], nxt[True] + 1 & mask))
        pkts.append(Pkt(t, True, "A", nxt[True] + 1 & mask, nxt[False] + 1 & mask))
    return pkts


def ip_layer(p: Pkt, client: tuple[str, int], server: tuple[str, int], **ip: Any) -> Any:
    src, dst = (client, server) if p.from_client else (server, client)
    tcp = TCP(sport=src[1], dport=dst[1], flags=p.flags, seq=p.seq, ack=p.ack) / p.payload
    if ":" in src[0]:
        return IPv6(src=src[0], dst=dst[0]) / tcp
    return IP(src=src[0], dst=dst[0], **ip) / tcp


def ethernet(p: Pkt, client: tuple[str, int] = CLIENT, server: tuple[str, int] = SERVER) -> bytes:
    return bytes(MACS / ip_layer(p, client, server))


def pcap_file(
    records: list[tuple[float, bytes]], linktype: int, *, endian: str = "<", ns: bool = False
) -> bytes:
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)]
    units = 1_000_000_000 if ns else 1_000_000
    for t, data in records:
        ticks = round(t * units)
        out.append(
            struct.pack(endian + "IIII", ticks // units, ticks % units, len(data), len(data))
        )
        out.append(data)
    return b"".join(out)


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = len(body) + 12
    return struct.pack(endian + "II", btype, length) + body + struct.pack(endian + "I", length)


def _option(endian: str, code: int, value: bytes) -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def shb(endian: str) -> bytes:
    return _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(endian: str, linktype: int, tsresol: int | None = None, tsoffset: int = 0) -> bytes:
    options = b""
    if tsresol is not None:
        options += _option(endian, 9, bytes([tsresol]))
    if tsoffset:
        options += _option(endian, 14, struct.pack(endian + "q", tsoffset))
    if options:
        options += _option(endian, 0, b"")
    return _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, 0) + options)


def epb(endian: str, iface: int, ticks: int, data: bytes) -> bytes:
    head = struct.pack(
        endian + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)
    )
    return _block(endian, 6, head + data)


def old_pb(endian: str, iface: int, ticks: int, data: bytes) -> bytes:
    head = struct.pack(
        endian + "HHIIII", iface, 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)
    )
    return _block(endian, 2, head + data)


def spb(endian: str, data: bytes) -> bytes:
    return _block(endian, 3, struct.pack(endian + "I", len(data)) + data)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def messages_by_direction(path: Path | io.BytesIO, **kw: Any) -> list[tuple[str, Message | None]]:
    [session] = read_sessions(path, **kw)
    assert session.gaps == []
    return [(r.direction, r.message) for r in session.records]


EXPECTED = [(direction_of(m), m) for m in MESSAGES]


# ------------------------------------------------------------------------------------------------
# File formats


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("ns", [False, True])
def test_classic_pcap_byte_orders_and_resolutions(tmp_path: Path, endian: str, ns: bool) -> None:
    pkts = session_packets(CONVERSATION, t0=1_700_000_000.123456789 if ns else 1_700_000_000.5)
    data = pcap_file([(p.time, ethernet(p)) for p in pkts], 1, endian=endian, ns=ns)
    path = write(tmp_path, "s.pcap", data)
    assert messages_by_direction(path) == EXPECTED
    [session] = read_sessions(path)
    assert (session.client, session.server) == (CLIENT, SERVER)
    assert session.start == pytest.approx(pkts[0].time, abs=1e-6)
    first_data = next(p for p in pkts if p.payload)
    assert session.records[0].time == pytest.approx(first_data.time, abs=2e-7)
    segments = list(read_segments(path))
    assert [s.payload for s in segments] == [p.payload for p in pkts]
    assert all(isinstance(s, Segment) for s in segments)


def test_pcapng_sections_interfaces_and_block_kinds(tmp_path: Path) -> None:
    """Section 1 (little-endian): the client's packets on an Ethernet interface in
    microseconds, the server's on a raw-IP interface in nanoseconds with a time offset, one in
    the obsolete packet block. Section 2 (big-endian): another session on SLL2 in 2^-10 s,
    and simple packet blocks (no time stamp) on its interface 0."""
    pkts = session_packets(CONVERSATION, t0=1000.0)
    le = [shb("<"), idb("<", 1), idb("<", 101, tsresol=9, tsoffset=1000)]
    for i, p in enumerate(pkts):
        if p.from_client:
            block = old_pb if i == 0 else epb
            le.append(block("<", 0, round(p.time * 1e6), ethernet(p)))
        else:
            raw = bytes(ip_layer(p, CLIENT, SERVER))
            le.append(epb("<", 1, round((p.time - 1000) * 1e9), raw))
    le.append(_block("<", 5, b"\0" * 16))  # an interface statistics block: skipped

    other_client = ("10.0.0.3", 40999)
    pkts2 = session_packets(CONVERSATION[:4], t0=2000.0)
    from scapy.layers.l2 import CookedLinuxV2

    be = [shb(">"), idb(">", 276, tsresol=0x80 | 10)]
    for p in pkts2[:3]:
        data = bytes(CookedLinuxV2(proto=0x0800) / ip_layer(p, other_client, SERVER))
        be.append(epb(">", 0, round(p.time * 1024), data))
    for p in pkts2[3:]:
        be.append(spb(">", bytes(CookedLinuxV2(proto=0x0800) / ip_layer(p, other_client, SERVER))))
    path = write(tmp_path, "s.pcapng", b"".join(le + be))

    first, second = read_sessions(path)
    assert [(r.direction, r.message) for r in first.records] == EXPECTED
    assert (first.client, first.server) == (CLIENT, SERVER)
    times = [r.time for r in first.records]
    assert times == pytest.approx([p.time for p in pkts if p.payload], abs=1e-6)
    assert (second.client, second.server) == (other_client, SERVER)
    assert [r.message for r in second.records] == MESSAGES[:4]
    assert second.start == pytest.approx(2000.0, abs=1e-3)


def _sll(p: Pkt) -> bytes:
    from scapy.layers.l2 import CookedLinux

    return bytes(CookedLinux(proto=0x0800) / ip_layer(p, CLIENT, SERVER))


def _sll6(p: Pkt) -> bytes:
    from scapy.layers.l2 import CookedLinux

    return bytes(CookedLinux(proto=0x86DD) / ip_layer(p, CLIENT6, SERVER6))


def _vlan(p: Pkt) -> bytes:
    return bytes(MACS / Dot1Q(vlan=10) / Dot1Q(vlan=20) / ip_layer(p, CLIENT, SERVER))


def _ip_options(p: Pkt) -> bytes:
    return bytes(ip_layer(p, CLIENT, SERVER, options=[IPOption_NOP()] * 8))


def _ipv6_extensions(p: Pkt) -> bytes:
    src, dst = (CLIENT6, SERVER6) if p.from_client else (SERVER6, CLIENT6)
    tcp = TCP(sport=src[1], dport=dst[1], flags=p.flags, seq=p.seq, ack=p.ack) / p.payload
    return bytes(IPv6(src=src[0], dst=dst[0]) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / tcp)


def _null(order: str) -> Any:
    def build(p: Pkt) -> bytes:
        return struct.pack(order + "I", 2) + bytes(ip_layer(p, CLIENT, SERVER))

    return build


def _null6(p: Pkt) -> bytes:
    return struct.pack("<I", 30) + bytes(ip_layer(p, CLIENT6, SERVER6))


def _ether6(p: Pkt) -> bytes:
    return bytes(MACS / ip_layer(p, CLIENT6, SERVER6))


LINKS = {
    "ethernet-qinq": (1, _vlan, CLIENT),
    "ethernet-ipv6": (1, _ether6, CLIENT6),
    "sll": (113, _sll, CLIENT),
    "sll-ipv6": (113, _sll6, CLIENT6),
    "raw-101-ipv4-options": (101, _ip_options, CLIENT),
    "raw-101-ipv6-extensions": (101, _ipv6_extensions, CLIENT6),
    "ipv4-228": (228, lambda p: bytes(ip_layer(p, CLIENT, SERVER)), CLIENT),
    "ipv6-229": (229, lambda p: bytes(ip_layer(p, CLIENT6, SERVER6)), CLIENT6),
    "null-little-endian": (0, _null("<"), CLIENT),
    "null-big-endian": (0, _null(">"), CLIENT),
    "null-ipv6-darwin": (0, _null6, CLIENT6),
    "loop": (108, _null(">"), CLIENT),
}


@pytest.mark.parametrize("name", sorted(LINKS))
def test_link_types(tmp_path: Path, name: str) -> None:
    linktype, build, client = LINKS[name]
    pkts = session_packets(CONVERSATION)
    path = write(tmp_path, "s.pcap", pcap_file([(p.time, build(p)) for p in pkts], linktype))
    [session] = read_sessions(path)
    assert session.client == client
    assert [(r.direction, r.message) for r in session.records] == EXPECTED


def test_other_traffic_is_skipped(tmp_path: Path) -> None:
    """UDP, ARP-like non-IP frames, non-first fragments and packets of unknown link types are
    passed over; TCP segments around them still make the session."""
    pkts = session_packets(CONVERSATION)
    records = [(p.time, ethernet(p)) for p in pkts]
    junk = [
        bytes(MACS / IP(src="10.0.0.9", dst="10.0.0.2") / UDP(sport=53, dport=53) / b"CT\0\0"),
        bytes(Ether(src=MACS.src, dst=MACS.dst, type=0x0806) / (b"\0" * 28)),
        bytes(MACS / IP(src="10.0.0.1", dst="10.0.0.2", proto=6, frag=100) / (b"x" * 40)),
    ]
    records[4:4] = [(100.0005, j) for j in junk]
    path = write(tmp_path, "s.pcap", pcap_file(records, 1))
    assert messages_by_direction(path) == EXPECTED

    unknown = write(tmp_path, "usb.pcap", pcap_file([(1.0, b"\0" * 40)], 189))
    with pytest.raises(NoSessionError, match="link type 189"):
        read_sessions(unknown)


def test_snaplen_cut_packet_is_a_gap_not_an_error(tmp_path: Path) -> None:
    pkts = session_packets(CONVERSATION)
    data = bytearray(pcap_file([(p.time, ethernet(p)) for p in pkts], 1))
    # cut the record of the fifth data segment (index 3 + 4) to 60 bytes, as a snaplen would
    records: list[tuple[float, bytes, int]] = []
    for i, p in enumerate(pkts):
        frame = ethernet(p)
        records.append((p.time, frame[:60] if i == 7 else frame, len(frame)))
    out = [bytes(data[:24])]
    for t, frame, orig in records:
        usec = round(t * 1e6)
        out.append(struct.pack("<IIII", usec // 10**6, usec % 10**6, len(frame), orig) + frame)
    path = write(tmp_path, "cut.pcap", b"".join(out))
    [session] = read_sessions(path)
    assert any("never captured" in g for g in session.gaps)


# ------------------------------------------------------------------------------------------------
# Reassembly


def segments_of(pkts: list[Pkt], client: tuple[str, int] = CLIENT) -> list[Segment]:
    flag_bits = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}
    out = []
    for p in pkts:
        src, dst = (client, SERVER) if p.from_client else (SERVER, client)
        flags = sum(flag_bits[c] for c in p.flags)
        out.append(Segment(p.time, src, dst, p.seq, p.ack, flags, p.payload))
    return out


def stream_bytes(chunks: list[tuple[str, float, bytes]], direction: str) -> bytes:
    return b"".join(data for d, _, data in chunks if d == direction)


def test_out_of_order_retransmissions_and_overlaps() -> None:
    c2s = b"".join(f for d, f in CONVERSATION if d == C2S)
    s2c = b"".join(f for d, f in CONVERSATION if d == S2C)
    base_c, base_s = 1001, 5001
    pieces = [
        (0, 10),
        (25, 40),  # ahead of a gap: waits
        (30, 60),  # overlaps the waiting piece, still ahead
        (0, 10),  # retransmission
        (10, 30),  # fills the gap: 10..60 flows
        (55, 80),  # overlap with what we have
        (80, len(c2s)),
        (40, 90),  # late retransmission
    ]
    pkts = session_packets([], fin=False)
    t = 100.1
    for a, b in pieces:
        t += 0.001
        pkts.append(Pkt(t, True, "PA", base_c + a, base_s, c2s[a:b]))
    # the server's bytes: one segment carrying all its frames, then nothing lost
    pkts.append(Pkt(t + 0.5, False, "PA", base_s, base_c + len(c2s), s2c))
    [stream] = reassemble(segments_of(pkts))
    assert stream_bytes(stream.chunks, C2S) == c2s
    assert stream_bytes(stream.chunks, S2C) == s2c
    assert stream.gaps == []
    times = [t for d, t, _ in stream.chunks if d == C2S]
    assert times == sorted(times)
    # every chunk is new bytes only: no byte twice
    assert sum(len(data) for d, _, data in stream.chunks if d == C2S) == len(c2s)


def test_frames_split_and_merged_across_segments(tmp_path: Path) -> None:
    frames = [f for _, f in CONVERSATION if True]
    c2s = [f for d, f in CONVERSATION if d == C2S]
    s2c = [f for d, f in CONVERSATION if d == S2C]
    parts: list[tuple[str, bytes]] = [
        (C2S, c2s[0][:3]),  # the header itself split
        (C2S, c2s[0][3:9]),
        (C2S, c2s[0][9:] + b"".join(c2s[1:3]) + c2s[3][:5]),  # end of one, two whole, a start
        (S2C, b"".join(s2c)),  # every server frame in one segment
        (C2S, c2s[3][5:]),
        (C2S, b"".join(c2s[4:])),
    ]
    pkts = session_packets(parts)
    path = write(tmp_path, "s.pcap", pcap_file([(p.time, ethernet(p)) for p in pkts], 1))
    [session] = read_sessions(path)
    assert [r.frame for r in session.records if r.direction == C2S] == c2s
    assert [r.frame for r in session.records if r.direction == S2C] == s2c
    assert sorted(r.frame for r in session.records) == sorted(frames)
    # interleaved by time: the server's frames come after the third client segment
    directions = [r.direction for r in session.records]
    assert directions == [C2S] * 3 + [S2C] * len(s2c) + [C2S] * (len(c2s) - 3)


def test_gap_never_filled_stops_that_direction() -> None:
    c2s = b"".join(f for d, f in CONVERSATION if d == C2S)
    pkts = session_packets([], fin=False)
    pkts.append(Pkt(100.2, True, "PA", 1001, 5001, c2s[:100]))
    pkts.append(Pkt(100.3, True, "PA", 1001 + 150, 5001, c2s[150:]))  # 100..150 never seen
    pkts.append(Pkt(100.4, False, "PA", 5001, 1101, CONVERSATION[-1][1]))
    [stream] = reassemble(segments_of(pkts))
    assert stream_bytes(stream.chunks, C2S) == c2s[:100]
    assert stream.gaps == [
        f"c2s: bytes 100 to 150 of the stream were never captured; {len(c2s) - 150} bytes "
        "after the gap are not read"
    ]
    from cti.capture.pcap import session_of

    session = session_of(stream)
    assert session.gaps[0] == stream.gaps[0]
    assert session.gaps[1].startswith("c2s: ") and "incomplete frame at the end" in session.gaps[1]
    assert [r.direction for r in session.records].count(S2C) == 1


def test_sequence_numbers_wrap_around() -> None:
    parts = [(d, f) for d, f in CONVERSATION] * 3
    pkts = session_packets(parts, isn_c=0xFFFFFF00, isn_s=0xFFFFFFFF)
    # deliver one client segment out of order across the wrap
    data_idx = [i for i, p in enumerate(pkts) if p.payload and p.from_client]
    i, j = data_idx[1], data_idx[2]
    pkts[i], pkts[j] = pkts[j], pkts[i]
    [stream] = reassemble(segments_of(pkts))
    assert stream_bytes(stream.chunks, C2S) == b"".join(f for d, f in parts if d == C2S)
    assert stream_bytes(stream.chunks, S2C) == b"".join(f for d, f in parts if d == S2C)
    assert stream.gaps == []


def test_client_without_syn() -> None:
    # the client's first frame is RequestRegisterClient: it is the client though its port is lower
    low_client = ("10.0.0.1", 1025)
    pkts = session_packets(CONVERSATION, syn=False)
    [stream] = reassemble(segments_of(pkts, client=low_client))
    assert (stream.client, stream.server) == (low_client, SERVER)
    # no request first (the server speaks first): the higher port is the client
    pkts = session_packets([(S2C, CONVERSATION[-1][1]), *CONVERSATION], syn=False)
    pkts = [p for p in pkts if not p.from_client] + [p for p in pkts if p.from_client]
    [stream] = reassemble(segments_of(pkts))
    assert (stream.client, stream.server) == (CLIENT, SERVER)
    [stream] = reassemble(segments_of(pkts, client=low_client), server_port=7000)
    assert stream.client == low_client
    [stream] = reassemble(segments_of(pkts, client=("10.0.0.1", 9000)), server_port=9000)
    assert stream.server == ("10.0.0.1", 9000)


def test_same_four_tuple_reused_after_fin_and_rst() -> None:
    first = session_packets(CONVERSATION[:2], t0=100.0)
    second = session_packets(CONVERSATION[2:4], t0=200.0, isn_c=77, isn_s=88, fin=False)
    second.append(Pkt(201.0, False, "R", 88 + 1 + len(CONVERSATION[3][1]), 0))
    third = session_packets(CONVERSATION[4:6], t0=300.0, isn_c=1000, isn_s=99)
    streams = reassemble(segments_of(first + second + third))
    assert [s.start for s in streams] == [100.0, 200.0, 300.0]
    for stream, part in zip(
        streams, (CONVERSATION[:2], CONVERSATION[2:4], CONVERSATION[4:6]), strict=True
    ):
        assert [(d, data) for d, _, data in stream.chunks] == part


# ------------------------------------------------------------------------------------------------
# Sessions


def test_several_sessions_interleaved_and_port_filter(tmp_path: Path) -> None:
    other_server = ("10.0.0.2", 7100)
    a = session_packets(CONVERSATION, t0=100.0)
    b = session_packets(CONVERSATION[:6], t0=100.0005, isn_c=9, isn_s=10)
    http = session_packets([(C2S, b"GET / HTTP/1.1\r\n\r\n"), (S2C, b"HTTP/1.1 200 OK\r\n")])
    records = [(p.time, ethernet(p)) for p in a]
    records += [(p.time, ethernet(p, ("10.0.0.5", 50000), other_server)) for p in b]
    records += [(p.time, ethernet(p, ("10.0.0.6", 50001), ("10.0.0.7", 80))) for p in http]
    records.sort(key=lambda r: r[0])
    path = write(tmp_path, "s.pcap", pcap_file(records, 1))
    sessions = read_sessions(path)
    assert [s.server for s in sessions] == [SERVER, other_server]
    assert [r.message for r in sessions[1].records] == MESSAGES[:6]
    [only] = read_sessions(path, port=7100)
    assert only.client == ("10.0.0.5", 50000)
    with pytest.raises(NoSessionError) as info:
        read_sessions(path, port=80)
    assert str(info.value) == (
        f"{path} holds 3 TCP streams (1 on port 80), none carries ctiemu frames "
        "(is this a ctiemu capture? is the server port right?)"
    )


def test_no_ctiemu_session(tmp_path: Path) -> None:
    http = session_packets([(C2S, b"GET / HTTP/1.1\r\n\r\n"), (S2C, b"HTTP/1.1 200 OK\r\n")])
    path = write(tmp_path, "web.pcap", pcap_file([(p.time, ethernet(p)) for p in http], 1))
    with pytest.raises(NoSessionError) as info:
        read_sessions(path)
    assert str(info.value) == (
        f"{path} holds 1 TCP stream, none carries ctiemu frames "
        "(is this a ctiemu capture? is the server port right?)"
    )
    assert isinstance(info.value, CaptureError)


def test_undecodable_frame_is_kept_and_broken_framing_reported(tmp_path: Path) -> None:
    bad = b"CT\x00\x0e\x00\x00\x00\x09" + b"\x00\x14\x02\x00\x00\x00\x50" + b"10"
    answer = next(part for part in CONVERSATION if part[0] == S2C)
    parts = [CONVERSATION[0], (C2S, bad), CONVERSATION[2], (C2S, b"garbage!"), answer]
    pkts = session_packets(parts)
    path = write(tmp_path, "s.pcap", pcap_file([(p.time, ethernet(p)) for p in pkts], 1))
    [session] = read_sessions(path)
    assert [r.message for r in session.records][:1] == [MESSAGES[0]]
    broken = session.records[1]
    assert broken.message is None and broken.frame == bad
    assert broken.error is not None and "overruns the frame" in str(broken.error)
    assert session.records[2].message == MESSAGES[2]
    assert len([r for r in session.records if r.direction == C2S]) == 3
    assert session.gaps == [
        "c2s: framing broken: bad magic b'ga': not a ctiemu frame stream (offset "
        f"{len(CONVERSATION[0][1]) + len(bad) + len(CONVERSATION[2][1])}); the rest is not read"
    ]
    assert session.records[-1].message == MESSAGES[CONVERSATION.index(answer)]  # s2c goes on


# ------------------------------------------------------------------------------------------------
# Broken files


def small_capture() -> bytes:
    out = io.BytesIO()
    writer = PcapWriter(out)
    conn = writer.open(CLIENT, SERVER, 100.0)
    for direction, frame in CONVERSATION[:4]:
        writer.data(conn, direction, frame, 100.1)
    writer.close(conn, 100.2)
    return out.getvalue()


def test_truncated_and_corrupt_files_raise_capture_error(tmp_path: Path) -> None:
    data = small_capture()
    ng = b"".join(
        [shb("<"), idb("<", 1)]
        + [epb("<", 0, round(p.time * 1e6), ethernet(p)) for p in session_packets(CONVERSATION)]
    )
    pcap_bounds, pos = {24}, 24
    while pos < len(data):
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
        pcap_bounds.add(pos)
    ng_bounds, pos = {0}, 0
    while pos < len(ng):
        pos += struct.unpack_from("<I", ng, pos + 4)[0]
        ng_bounds.add(pos)
    for whole, bounds in ((data, pcap_bounds), (ng, ng_bounds)):
        for cut in range(1, len(whole)):  # a whole record less, or an error
            try:
                list(read_segments(io.BytesIO(whole[:cut])))
            except CaptureError:
                assert cut not in bounds
            else:
                assert cut in bounds
        for at in range(len(whole)):  # every byte flipped: CaptureError or a reading
            broken = bytearray(whole)
            broken[at] ^= 0xFF
            with contextlib.suppress(CaptureError):
                list(read_segments(io.BytesIO(bytes(broken))))
    path = write(tmp_path, "cut.pcap", data[:-10])
    with pytest.raises(CaptureError) as info:
        read_sessions(path)
    number = 3 + 4 + 3  # handshake, data, close
    assert str(info.value).startswith(f"{path}: record {number} at offset ")
    assert "cut short" in str(info.value)
    for content, message in [
        (b"", "too short"),
        (b"GET / HTTP/1.1\r\n", "not a pcap or pcapng file"),
        (ng[:52] + b"\x00\x00\x00\x00" + ng[56:], "record 1 at offset 48: bad block length 0"),
    ]:
        with pytest.raises(CaptureError, match=message):
            read_sessions(write(tmp_path, "bad", content))
    with pytest.raises(CaptureError, match="cannot read"):
        read_sessions(tmp_path / "missing.pcap")


def test_malformed_headers_name_the_record(tmp_path: Path) -> None:
    pkts = session_packets(CONVERSATION[:2])
    records = [(p.time, ethernet(p)) for p in pkts]
    frame = bytearray(records[3][1])
    frame[14] = 0x43  # IPv4 header length 12
    records[3] = (records[3][0], bytes(frame))
    path = write(tmp_path, "s.pcap", pcap_file(records, 1))
    offset = 24 + sum(16 + len(f) for _, f in records[:3])
    with pytest.raises(CaptureError) as info:
        read_sessions(path)
    assert str(info.value) == (
        f"{path}: record 4 at offset {offset}: IPv4 header length 12 is below 20"
    )


# ------------------------------------------------------------------------------------------------
# Writing


def test_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "w.pcap"
    big = encode(MESSAGES[4]) * 9000  # several 65,000-byte segments
    with path.open("wb") as f:
        writer = PcapWriter(f)
        a = writer.open(CLIENT, SERVER, 10.0, client_isn=0xFFFFFFF0, server_isn=0xFFFFFFFE)
        b = writer.open(("::1", 50000), ("::1", 7000), 10.5)
        for i, (direction, frame) in enumerate(CONVERSATION):
            writer.data(a, direction, frame, 11.0 + i)
            writer.data(b, direction, frame[:5], 11.0 + i)
            writer.data(b, direction, frame[5:], 11.0 + i + 0.25)
        writer.data(a, C2S, big, 50.0)
        writer.shutdown(a, S2C, 51.0)
        writer.close(a, 52.0)
        assert writer.open_connections == [b]
        writer.close_all(53.0)
    first, second = read_sessions(path)
    assert (first.client, first.server, first.start) == (CLIENT, SERVER, 10.0)
    assert first.gaps == [] and second.gaps == []
    assert [(r.direction, r.message) for r in first.records[: len(MESSAGES)]] == EXPECTED
    assert [r.time for r in first.records[: len(MESSAGES)]] == [
        11.0 + i for i in range(len(MESSAGES))
    ]
    assert len(first.records) == len(MESSAGES) + 9000
    assert (second.client, second.server) == (("::1", 50000), ("::1", 7000))
    assert [(r.direction, r.message) for r in second.records] == EXPECTED
    segments = list(read_segments(path))
    assert max(len(s.payload) for s in segments) == 65_000
    closing = [s for s in segments if s.src == SERVER and s.flags & 1]
    assert len(closing) == 1 and closing[0].time == 51.0  # the server's FIN, by shutdown
    assert all(s.flags & ACK for s in segments if s.payload)


def test_writer_output_is_readable_after_each_record(tmp_path: Path) -> None:
    """Flushed per record: what a killed writer leaves is readable (up to its last record)."""
    path = tmp_path / "live.pcap"
    with path.open("wb") as f:
        writer = PcapWriter(f)
        conn = writer.open(CLIENT, SERVER, 1.0)
        for direction, frame in CONVERSATION[:6]:
            writer.data(conn, direction, frame, 2.0)
        [session] = read_sessions(path)  # the file is still open, the connection too
        assert [r.message for r in session.records] == MESSAGES[:6]


def test_tshark_follows_the_writers_streams_and_our_dissector_decodes_them(
    tmp_path: Path,
) -> None:
    tshark = shutil.which("tshark")
    assert tshark, "tshark is not installed: run scripts/test.sh, which installs it"
    lua = tmp_path / "ctiemu.lua"
    lua.write_text(render_lua())
    path = tmp_path / "w.pcap"
    with path.open("wb") as f:
        writer = PcapWriter(f)
        a = writer.open(CLIENT, SERVER, 10.0)
        b = writer.open(("10.0.0.3", 40999), SERVER, 10.1)
        for direction, frame in CONVERSATION:
            writer.data(a, direction, frame[:7], 11.0)  # every frame split
            writer.data(a, direction, frame[7:], 11.1)
            writer.data(b, direction, frame, 11.2)
        writer.close_all(12.0)
    fields = subprocess.run(
        [
            *(tshark, "-r", str(path), "-X", f"lua_script:{lua}", "-T", "fields"),
            *("-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"),
            *("-E", "occurrence=a", "-e", "tcp.stream", "-e", "ctiemu.type"),
            *("-e", "ip.checksum.status", "-e", "tcp.checksum.status", "-e", "tcp.analysis.flags"),
        ],
        capture_output=True,
        text=True,
        timeout=120,  # wide: a subprocess on a shared machine
        check=True,
    ).stdout
    types: dict[str, list[int]] = {"0": [], "1": []}
    for line in fields.splitlines():
        stream, mtypes, ip_ok, tcp_ok, analysis = line.split("\t")
        assert (ip_ok, tcp_ok, analysis) == ("1", "1", "")  # good checksums, no TCP complaints
        types[stream] += [int(t) for t in mtypes.split(",") if t]
    wanted = [int(m.MESSAGE_TYPE) for m in MESSAGES]
    assert types == {"0": wanted, "1": wanted}
    follow = subprocess.run(
        [tshark, "-r", str(path), "-q", "-z", "follow,tcp,raw,0"],
        capture_output=True,
        text=True,
        timeout=120,  # wide: a subprocess on a shared machine
        check=True,
    ).stdout
    lines = follow.split("Node 1:")[1].split("=" * 10)[0].splitlines()[1:]
    sent = b"".join(bytes.fromhex(line) for line in lines if not line.startswith("\t"))
    received = b"".join(bytes.fromhex(line.strip()) for line in lines if line.startswith("\t"))
    assert sent == b"".join(f for d, f in CONVERSATION if d == C2S)
    assert received == b"".join(f for d, f in CONVERSATION if d == S2C)
