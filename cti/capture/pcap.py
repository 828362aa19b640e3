"""Captures of ctiemu sessions: read pcap/pcapng, reassemble TCP ourselves, write pcap.

Reading (`read_segments`, `reassemble`, `read_sessions`):

- files: classic pcap (either byte order, microsecond and nanosecond magic) and pcapng
  (SHB, IDB with if_tsresol / if_tsoffset, EPB, SPB, the obsolete PB; several sections and
  several interfaces, each with its own link type);
- link types: Ethernet (802.1Q / 802.1ad VLAN tags), Linux cooked SLL and SLL2, raw IP (101,
  228, 229 and the DLT_RAW values 12 and 14) and BSD loopback (DLT_NULL in either byte order,
  DLT_LOOP); packets of other link types are skipped and counted (`SegmentReader.skipped`);
- IPv4 (options; non-first fragments ignored) and IPv6 (extension headers skipped); TCP only.

A record that does not fit the file, or whose headers are broken, raises CaptureError naming the
file, the record number and its file offset. A packet cut short by the capture's snap length is
read as far as it goes (its missing bytes become a gap in the stream).

Reassembly is our own (scapy's TCPSession drops data when one segment carries several frames):
bytes are placed by sequence number, out-of-order segments wait for the gap before them,
retransmissions and overlaps are trimmed to the new bytes, and sequence numbers wrap. A gap that
is never filled stops that direction there and is reported in `TcpStream.gaps`.

Writing (`PcapWriter`) synthesizes the TCP/IP around what a proxy or the server saw, so that
Wireshark and our reader follow the streams: classic pcap, microseconds, Ethernet; SYN /
SYN-ACK / ACK on open, PSH|ACK data segments of at most 65,000 bytes, FIN/ACK both ways on close.

No sockets and no clock here: file objects in, values out.
"""

from __future__ import annotations

import ipaddress
import mmap
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from protocol.codec import HEADER_SIZE, MAGIC, decode
from protocol.errors import FrameError, ProtocolError
from protocol.framer import DEFAULT_MAX_FRAME_SIZE, Framer
from protocol.messages import CATALOGUE, Message, Request

#: (IP address as text, port).
Endpoint = tuple[str, int]

C2S = "c2s"
S2C = "s2c"

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
_MASK = 0xFFFFFFFF

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
_DLT_RAW_OTHERS = (12, 14)  # DLT_RAW as some platforms number it in pcap files

#: The largest record we believe (a bigger length means a corrupt file).
_MAX_RECORD = 1 << 26


class CaptureError(ValueError):
    """The capture file cannot be read: not a capture, truncated, or malformed."""


class NoSessionError(CaptureError):
    """The capture holds no TCP stream that carries ctiemu frames."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One TCP segment as captured."""

    time: float
    src: Endpoint
    dst: Endpoint
    seq: int
    ack: int
    flags: int
    payload: bytes


@dataclass
class TcpStream:
    """One TCP connection, both directions reassembled.

    `chunks` are (direction, time, bytes): the new bytes each segment contributed, in stream
    order per direction ("c2s" / "s2c"), the two directions interleaved by capture time.
    """

    client: Endpoint
    server: Endpoint
    start: float
    chunks: list[tuple[str, float, bytes]]
    gaps: list[str] = field(default_factory=list)
    #: When the client closed its side (FIN or RST), if the capture saw it.
    client_end: float | None = None


@dataclass
class Record:
    """One frame of a session: decoded to `message`, or kept with the `error` it raised."""

    direction: str
    time: float
    frame: bytes
    message: Message | None
    error: ProtocolError | None


@dataclass
class CtiSession:
    """One ctiemu connection from a capture: its frames in both directions, by time.

    `gaps` says where the capture lost bytes, where the framing broke, and what was left over
    as an incomplete frame at the end; each line starts with the direction.
    """

    client: Endpoint
    server: Endpoint
    start: float
    records: list[Record]
    gaps: list[str]
    #: When the client closed the connection (its FIN or RST), if the capture saw it.
    end: float | None = None


# ------------------------------------------------------------------------------------------------
# Reading packets


class _Malformed(Exception):
    """Internal: a packet's headers are broken."""


_U16 = struct.Struct(">H")
_TCP = struct.Struct(">HHIIH")
_LE_U32 = struct.Struct("<I")
_BE_U32 = struct.Struct(">I")

_IPV6_EXTENSIONS = frozenset((0, 43, 44, 51, 60, 135, 139, 140))
_AF_INET6 = frozenset((10, 24, 28, 30))  # Linux, BSDs, FreeBSD, Darwin

_ip4_names: dict[bytes, str] = {}
_ip6_names: dict[bytes, str] = {}


def _ip4(raw: bytes) -> str:
    name = _ip4_names.get(raw)
    if name is None:
        name = _ip4_names[raw] = f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
    return name


def _ip6(raw: bytes) -> str:
    name = _ip6_names.get(raw)
    if name is None:
        name = _ip6_names[raw] = ipaddress.IPv6Address(raw).compressed
    return name


def _link_ip(linktype: int, pkt: bytes) -> tuple[int, int]:
    """(IP version, offset of the IP header) of a packet; version 0 when it is not IP."""
    n = len(pkt)
    if linktype == LINKTYPE_ETHERNET:
        if n < 14:
            raise _Malformed(f"Ethernet header needs 14 bytes, packet has {n}")
        etype = pkt[12] << 8 | pkt[13]
        off = 14
        while etype in (0x8100, 0x88A8, 0x9100):
            if off + 4 > n:
                raise _Malformed("VLAN tag cut short")
            etype = pkt[off + 2] << 8 | pkt[off + 3]
            off += 4
    elif linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6, *_DLT_RAW_OTHERS):
        if n < 1:
            raise _Malformed("empty raw IP packet")
        return pkt[0] >> 4, 0
    elif linktype == LINKTYPE_LINUX_SLL:
        if n < 16:
            raise _Malformed(f"Linux cooked (SLL) header needs 16 bytes, packet has {n}")
        etype = pkt[14] << 8 | pkt[15]
        off = 16
    elif linktype == LINKTYPE_LINUX_SLL2:
        if n < 20:
            raise _Malformed(f"Linux cooked (SLL2) header needs 20 bytes, packet has {n}")
        etype = pkt[0] << 8 | pkt[1]
        off = 20
    elif linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if n < 4:
            raise _Malformed(f"loopback header needs 4 bytes, packet has {n}")
        if linktype == LINKTYPE_LOOP:
            family = _BE_U32.unpack_from(pkt, 0)[0]
        else:  # host byte order of the machine that captured
            family = _LE_U32.unpack_from(pkt, 0)[0]
            if family > 0xFFFF:
                family = _BE_U32.unpack_from(pkt, 0)[0]
        if family == 2:
            return 4, 4
        return (6, 4) if family in _AF_INET6 else (0, 4)
    else:
        raise AssertionError(linktype)
    if etype == 0x0800:
        return 4, off
    if etype == 0x86DD:
        return 6, off
    return 0, off


def _parse_packet(linktype: int, pkt: bytes, time: float, cut: bool) -> Segment | None:
    """The TCP segment in one captured packet, or None when it holds none.

    `cut`: the capture kept fewer bytes than the packet had (snap length); headers that do not
    fit are then not an error, the packet is just skipped.
    """
    version, off = _link_ip(linktype, pkt)
    n = len(pkt)
    if version == 4:
        if n - off < 20:
            if cut:
                return None
            raise _Malformed(f"IPv4 header needs 20 bytes, {n - off} present")
        ihl = (pkt[off] & 15) * 4
        if ihl < 20:
            raise _Malformed(f"IPv4 header length {ihl} is below 20")
        if pkt[off + 9] != 6:
            return None
        if (pkt[off + 6] << 8 | pkt[off + 7]) & 0x1FFF:
            return None  # a non-first fragment
        total = pkt[off + 2] << 8 | pkt[off + 3]
        if total == 0:  # TCP segmentation offload: the length is left for the NIC to fill
            end = n
        else:
            if total < ihl:
                raise _Malformed(f"IPv4 total length {total} is below its header length {ihl}")
            end = off + total
            if end > n:
                if not cut:
                    raise _Malformed(f"IPv4 total length {total} overruns the packet")
                end = n
        src = _ip4(pkt[off + 12 : off + 16])
        dst = _ip4(pkt[off + 16 : off + 20])
        tcp = off + ihl
    elif version == 6:
        if n - off < 40:
            if cut:
                return None
            raise _Malformed(f"IPv6 header needs 40 bytes, {n - off} present")
        plen = pkt[off + 4] << 8 | pkt[off + 5]
        nh = pkt[off + 6]
        end = off + 40 + plen if plen else n
        if end > n:
            if not cut:
                raise _Malformed(f"IPv6 payload length {plen} overruns the packet")
            end = n
        pos = off + 40
        while nh in _IPV6_EXTENSIONS:
            if pos + 8 > end:
                if cut:
                    return None
                raise _Malformed(f"IPv6 extension header {nh} cut short")
            if nh == 44:  # fragment header
                if (pkt[pos + 2] << 8 | pkt[pos + 3]) >> 3:
                    return None  # a non-first fragment
                nh, pos = pkt[pos], pos + 8
            elif nh == 51:  # authentication header: length in 4-byte units
                nh, pos = pkt[pos], pos + (pkt[pos + 1] + 2) * 4
            else:
                nh, pos = pkt[pos], pos + (pkt[pos + 1] + 1) * 8
        if nh != 6:
            return None
        src = _ip6(pkt[off + 8 : off + 24])
        dst = _ip6(pkt[off + 24 : off + 40])
        tcp = pos
    elif version == 0:
        return None
    else:
        raise _Malformed(f"IP version {version}")
    if end - tcp < 20:
        if cut:
            return None
        raise _Malformed(f"TCP header needs 20 bytes, {max(0, end - tcp)} present")
    sport, dport, seq, ack, off_flags = _TCP.unpack_from(pkt, tcp)
    doff = (off_flags >> 12) * 4
    if doff < 20:
        raise _Malformed(f"TCP data offset {doff} is below 20")
    if tcp + doff > end:
        if cut:
            return None
        raise _Malformed(f"TCP header length {doff} overruns the packet")
    return Segment(
        time, (src, sport), (dst, dport), seq, ack, off_flags & 0x1FF, pkt[tcp + doff : end]
    )


_KNOWN_LINKTYPES = frozenset(
    (
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
        *_DLT_RAW_OTHERS,
    )
)

_PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
}
_PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"


class SegmentReader:
    """Iterates the TCP segments of a pcap or pcapng file (a path or a binary file object).

    After iterating, `packets` counts the packet records read and `skipped` the packets of link
    types this reader does not know, by link type.
    """

    def __init__(self, source: str | os.PathLike[str] | BinaryIO) -> None:
        self.source = source
        if isinstance(source, str | os.PathLike):
            self.name = os.fspath(source)
        else:
            self.name = str(getattr(source, "name", "<capture>"))
        self.packets = 0
        self.skipped: dict[int, int] = {}

    def __iter__(self) -> Iterator[Segment]:
        if isinstance(self.source, str | os.PathLike):
            try:
                with open(self.source, "rb") as f:
                    yield from self._from_file(f)
            except OSError as exc:
                raise CaptureError(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        else:
            yield from self._from_file(self.source)

    def _from_file(self, f: BinaryIO) -> Iterator[Segment]:
        mapped: mmap.mmap | None = None
        data: bytes | mmap.mmap
        try:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            data = mapped
        except (OSError, ValueError, AttributeError):  # empty, a pipe, or an in-memory file
            data = f.read()
        try:
            magic = data[:4]
            if len(data) < 4:
                raise CaptureError(
                    f"{self.name}: {len(data)} bytes is too short for a capture file"
                )
            if magic in _PCAP_MAGICS:
                yield from self._pcap(data, *_PCAP_MAGICS[magic])
            elif magic == _PCAPNG_SHB:
                yield from self._pcapng(data)
            else:
                raise CaptureError(
                    f"{self.name}: not a pcap or pcapng file (starts with {bytes(magic)!r})"
                )
        finally:
            if mapped is not None:
                mapped.close()

    def _fail(self, number: int, offset: int, detail: str) -> CaptureError:
        return CaptureError(f"{self.name}: record {number} at offset {offset}: {detail}")

    def _pcap(self, data: bytes | mmap.mmap, endian: str, units: int) -> Iterator[Segment]:
        size = len(data)
        if size < 24:
            raise CaptureError(f"{self.name}: pcap header cut short ({size} of 24 bytes)")
        linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0xFFFF
        known = linktype in _KNOWN_LINKTYPES
        header = struct.Struct(endian + "IIII")
        unpack = header.unpack_from
        parse = _parse_packet
        pos, number = 24, 0
        while pos < size:
            number += 1
            if pos + 16 > size:
                raise self._fail(number, pos, f"record header cut short ({size - pos} of 16 bytes)")
            sec, frac, incl, orig = unpack(data, pos)
            start = pos + 16
            end = start + incl
            if incl > _MAX_RECORD:
                raise self._fail(number, pos, f"implausible record length {incl}")
            if end > size:
                raise self._fail(
                    number, pos, f"record of {incl} bytes cut short ({size - start} present)"
                )
            pos = end
            if not known:
                self.skipped[linktype] = self.skipped.get(linktype, 0) + 1
                continue
            try:
                segment = parse(linktype, data[start:end], sec + frac / units, incl < orig)
            except _Malformed as exc:
                raise self._fail(number, start - 16, str(exc)) from None
            if segment is not None:
                yield segment
        self.packets += number

    def _pcapng(self, data: bytes | mmap.mmap) -> Iterator[Segment]:
        size = len(data)
        pos, number = 0, 0
        endian = ""
        interfaces: list[tuple[int, int, float]] = []  # (link type, units per second, offset)
        last_time = 0.0
        parse = _parse_packet
        while pos < size:
            if size - pos < 12:
                raise self._fail(number + 1, pos, f"block header cut short ({size - pos} bytes)")
            if data[pos : pos + 4] == _PCAPNG_SHB:
                bom = data[pos + 8 : pos + 12]
                if bom == b"\x1a\x2b\x3c\x4d":
                    endian = ">"
                elif bom == b"\x4d\x3c\x2b\x1a":
                    endian = "<"
                else:
                    raise self._fail(number + 1, pos, f"bad byte-order magic {bytes(bom)!r}")
                interfaces = []
            elif not endian:
                raise CaptureError(f"{self.name}: pcapng file does not start with a section")
            btype, blen = struct.unpack_from(endian + "II", data, pos)
            if blen < 12 or blen % 4:
                raise self._fail(number + 1, pos, f"bad block length {blen}")
            if pos + blen > size:
                raise self._fail(
                    number + 1, pos, f"block of {blen} bytes cut short ({size - pos} present)"
                )
            if struct.unpack_from(endian + "I", data, pos + blen - 4)[0] != blen:
                raise self._fail(number + 1, pos, "block's trailing length differs")
            body, bend = pos + 8, pos + blen - 4
            block_pos = pos
            pos += blen
            if btype == 1:  # Interface Description Block
                if bend - body < 8:
                    raise self._fail(number + 1, block_pos, "interface description cut short")
                linktype = struct.unpack_from(endian + "H", data, body)[0]
                units, offset = self._if_options(
                    data, body + 8, bend, endian, number=number, block_pos=block_pos
                )
                interfaces.append((linktype, units, offset))
                continue
            if btype == 6:  # Enhanced Packet Block
                if bend - body < 20:
                    raise self._fail(number + 1, block_pos, "enhanced packet block cut short")
                iface, high, low, incl, orig = struct.unpack_from(endian + "IIIII", data, body)
                start = body + 20
            elif btype == 3:  # Simple Packet Block: interface 0, no timestamp
                if bend - body < 4:
                    raise self._fail(number + 1, block_pos, "simple packet block cut short")
                orig = struct.unpack_from(endian + "I", data, body)[0]
                incl = min(orig, bend - body - 4)
                iface, high, low = 0, -1, 0
                start = body + 4
            elif btype == 2:  # the obsolete Packet Block
                if bend - body < 20:
                    raise self._fail(number + 1, block_pos, "packet block cut short")
                iface, _drops, high, low, incl, orig = struct.unpack_from(
                    endian + "HHIIII", data, body
                )
                start = body + 20
            else:
                continue  # name resolution, statistics, custom, ...: nothing for us
            number += 1
            if start + incl > bend:
                raise self._fail(number, block_pos, f"packet of {incl} bytes overruns its block")
            if iface >= len(interfaces):
                raise self._fail(number, block_pos, f"packet names unknown interface {iface}")
            linktype, units, offset = interfaces[iface]
            if high >= 0:
                last_time = ((high << 32) | low) / units + offset
            if linktype not in _KNOWN_LINKTYPES:
                self.skipped[linktype] = self.skipped.get(linktype, 0) + 1
                continue
            try:
                segment = parse(linktype, data[start : start + incl], last_time, incl < orig)
            except _Malformed as exc:
                raise self._fail(number, block_pos, str(exc)) from None
            if segment is not None:
                yield segment
        self.packets += number

    def _if_options(
        self,
        data: bytes | mmap.mmap,
        pos: int,
        end: int,
        endian: str,
        *,
        number: int,
        block_pos: int,
    ) -> tuple[int, float]:
        """(timestamp units per second, timestamp offset) from an IDB's options."""
        units, offset = 1_000_000, 0.0
        opt = struct.Struct(endian + "HH")
        while pos + 4 <= end:
            code, length = opt.unpack_from(data, pos)
            value = pos + 4
            if value + length > end:
                raise self._fail(number + 1, block_pos, f"interface option {code} overruns")
            if code == 0:
                break
            if code == 9 and length >= 1:  # if_tsresol
                resol = data[value]
                units = 2 ** (resol & 0x7F) if resol & 0x80 else 10**resol
            elif code == 14 and length >= 8:  # if_tsoffset, seconds
                offset = float(struct.unpack_from(endian + "q", data, value)[0])
            pos = value + (length + 3) // 4 * 4
        return units, offset


def read_segments(path_or_file: str | os.PathLike[str] | BinaryIO) -> Iterator[Segment]:
    """The TCP segments of a pcap or pcapng file, in file order. Raises CaptureError."""
    return iter(SegmentReader(path_or_file))


# ------------------------------------------------------------------------------------------------
# TCP reassembly


class _Half:
    """One direction of a connection: where its stream stands and what waits for a gap."""

    __slots__ = ("base", "fin", "isn", "last_time", "next", "pending")

    def __init__(self) -> None:
        self.base: int | None = None  # absolute position of the direction's first byte
        self.next = 0  # absolute position (sequence number unwrapped) of the next byte
        self.isn: int | None = None  # sequence number of its SYN
        self.pending: dict[int, tuple[float, bytes]] = {}
        self.last_time = float("-inf")
        self.fin = False

    def start(self, seq: int) -> None:
        self.base = self.next = seq


class _Conn:
    __slots__ = (
        "a",
        "b",
        "chunks",
        "closed",
        "ended",
        "halves",
        "start",
        "syn_from",
        "synack_from",
    )

    def __init__(self, a: Endpoint, b: Endpoint, start: float) -> None:
        self.a, self.b, self.start = a, b, start
        self.halves = {a: _Half(), b: _Half()}
        self.chunks: list[tuple[float, int, Endpoint, bytes]] = []
        self.syn_from: Endpoint | None = None
        self.synack_from: Endpoint | None = None
        self.closed = False
        self.ended: dict[Endpoint, float] = {}  # when each side sent its FIN or RST


class _Reassembler:
    def __init__(self) -> None:
        self.live: dict[tuple[Endpoint, Endpoint], _Conn] = {}
        self.conns: list[_Conn] = []
        self.order = 0

    def add(self, seg: Segment) -> None:
        src, dst, flags, seq = seg.src, seg.dst, seg.flags, seg.seq
        key = (src, dst) if src <= dst else (dst, src)
        conn = self.live.get(key)
        if flags & SYN and not flags & ACK and conn is not None:
            isn = conn.halves[src].isn
            if conn.closed or (isn is not None and isn != seq):
                conn = None  # the 4-tuple is reused: a new connection
        if conn is None:
            conn = self.live[key] = _Conn(src, dst, seg.time)
            self.conns.append(conn)
        half = conn.halves[src]
        if flags & SYN:
            if flags & ACK:
                conn.synack_from = src
            else:
                conn.syn_from = src
            if half.isn is None:
                half.isn = seq
            if half.base is None:
                half.start((seq + 1) & _MASK)
            seq = (seq + 1) & _MASK
        if flags & RST:
            conn.closed = True
            conn.ended.setdefault(src, seg.time)
            return
        payload = seg.payload
        if payload:
            if half.base is None:
                half.start(seq)
            self._data(conn, src, seq, payload, seg.time)
        if flags & FIN:
            half.fin = True
            conn.ended.setdefault(src, seg.time)
            if conn.halves[dst].fin:
                conn.closed = True

    def _data(self, conn: _Conn, src: Endpoint, seq: int, payload: bytes, time: float) -> None:
        half = conn.halves[src]
        nxt = half.next
        delta = (seq - nxt) & _MASK
        start = nxt + delta - (1 << 32) if delta >= 1 << 31 else nxt + delta
        end = start + len(payload)
        if end <= nxt:
            return  # a retransmission of bytes we have
        if start > nxt:
            held = half.pending.get(start)
            if held is None or len(held[1]) < len(payload):
                half.pending[start] = (time, payload)
            return
        self._emit(conn, src, half, time, payload[nxt - start :] if start < nxt else payload)
        half.next = end
        if half.pending:
            pending = half.pending
            for at in sorted(pending):
                if at > half.next:
                    break
                held_time, waiting = pending.pop(at)
                held_end = at + len(waiting)
                if held_end > half.next:
                    self._emit(conn, src, half, max(time, held_time), waiting[half.next - at :])
                    half.next = held_end

    def _emit(self, conn: _Conn, src: Endpoint, half: _Half, time: float, data: bytes) -> None:
        time = max(time, half.last_time)
        half.last_time = time
        self.order += 1
        conn.chunks.append((time, self.order, src, data))

    def streams(self, server_port: int | None) -> list[TcpStream]:
        return [self._finish(conn, server_port) for conn in self.conns]

    def _finish(self, conn: _Conn, server_port: int | None) -> TcpStream:
        client = _pick_client(conn, server_port)
        server = conn.b if client == conn.a else conn.a
        chunks = conn.chunks
        chunks.sort(key=_time_order)
        stream = TcpStream(
            client,
            server,
            conn.start,
            [(C2S if src == client else S2C, t, data) for t, _, src, data in chunks],
            client_end=conn.ended.get(client),
        )
        for end, direction in ((client, C2S), (server, S2C)):
            half = conn.halves[end]
            if half.pending and half.base is not None:
                first = min(half.pending)
                later = sum(len(p) for _, p in half.pending.values())
                stream.gaps.append(
                    f"{direction}: bytes {half.next - half.base} to {first - half.base} of the "
                    f"stream were never captured; {later} bytes after the gap are not read"
                )
        return stream


def _time_order(chunk: tuple[float, int, Endpoint, bytes]) -> tuple[float, int]:
    return chunk[0], chunk[1]


def _pick_client(conn: _Conn, server_port: int | None) -> Endpoint:
    """The SYN's sender; else the side of a SYN-ACK's receiver; else the side not on the server
    port; else the side whose first frame is a ctiemu request; else the higher port."""
    a, b = conn.a, conn.b
    if conn.syn_from is not None:
        return conn.syn_from
    if conn.synack_from is not None:
        return b if conn.synack_from == a else a
    if server_port is not None and (a[1] == server_port) != (b[1] == server_port):
        return b if a[1] == server_port else a
    firsts: dict[Endpoint, bytes] = {}
    for _, _, src, data in conn.chunks:
        if src not in firsts:
            firsts[src] = data
            if len(firsts) == 2:
                break
    a_asks = _starts_with_request(firsts.get(a, b""))
    b_asks = _starts_with_request(firsts.get(b, b""))
    if a_asks != b_asks:
        return a if a_asks else b
    if a[1] != b[1]:
        return a if a[1] > b[1] else b
    return a


def _starts_with_request(data: bytes) -> bool:
    if len(data) < HEADER_SIZE or data[:2] != MAGIC:
        return False
    cls = CATALOGUE.get(data[2] << 8 | data[3])
    return cls is not None and issubclass(cls, Request)


def reassemble(segments: Iterable[Segment], *, server_port: int | None = None) -> list[TcpStream]:
    """The TCP connections of a run of segments, in the order they started.

    `server_port`, when given, decides which side is the server for a connection whose SYN was
    not captured.
    """
    reassembler = _Reassembler()
    add = reassembler.add
    for segment in segments:
        add(segment)
    return reassembler.streams(server_port)


# ------------------------------------------------------------------------------------------------
# ctiemu sessions


def _plausible(stream: TcpStream, direction: str) -> bool:
    """Whether a direction's first bytes are a ctiemu frame header."""
    head = b""
    for d, _, data in stream.chunks:
        if d == direction:
            head += data
            if len(head) >= HEADER_SIZE:
                break
    if len(head) < HEADER_SIZE or head[:2] != MAGIC:
        return False
    body = int.from_bytes(head[4:8], "big")
    return body + HEADER_SIZE <= DEFAULT_MAX_FRAME_SIZE


def carries_ctiemu(stream: TcpStream) -> bool:
    """Whether either direction of a stream starts with a plausible ctiemu frame header."""
    return _plausible(stream, C2S) or _plausible(stream, S2C)


def session_of(stream: TcpStream) -> CtiSession:
    """Cut and decode the frames of one stream (both directions, interleaved by time)."""
    framers = {C2S: Framer(), S2C: Framer()}
    broken: set[str] = set()
    gaps = list(stream.gaps)
    records: list[Record] = []
    append = records.append
    for direction, time, data in stream.chunks:
        if direction in broken:
            continue
        framer = framers[direction]
        framer.receive_data(data)
        try:
            while (frame := framer.next_frame()) is not None:
                try:
                    append(Record(direction, time, frame, decode(frame), None))
                except ProtocolError as exc:
                    append(Record(direction, time, frame, None, exc))
        except FrameError as exc:
            broken.add(direction)
            gaps.append(f"{direction}: framing broken: {exc}; the rest is not read")
    for direction, framer in framers.items():
        if direction not in broken and framer.buffered:
            gaps.append(f"{direction}: {framer.buffered} bytes of an incomplete frame at the end")
    return CtiSession(
        stream.client, stream.server, stream.start, records, gaps, end=stream.client_end
    )


def read_sessions(
    path: str | os.PathLike[str] | BinaryIO, *, port: int | None = None
) -> list[CtiSession]:
    """The ctiemu sessions of a capture, in the order they started.

    `port` keeps only connections whose server port it is. Raises CaptureError when the file
    cannot be read and NoSessionError when no connection carries ctiemu frames.
    """
    reader = SegmentReader(path)
    others: set[tuple[Endpoint, Endpoint]] = set()
    segments: Iterable[Segment] = reader
    if port is not None:

        def on_port(source: Iterable[Segment]) -> Iterator[Segment]:
            for seg in source:
                if seg.src[1] == port or seg.dst[1] == port:
                    yield seg
                else:
                    others.add((seg.src, seg.dst) if seg.src <= seg.dst else (seg.dst, seg.src))

        segments = on_port(reader)
    streams = reassemble(segments, server_port=port)
    sessions = [
        session_of(s)
        for s in streams
        if (port is None or s.server[1] == port) and carries_ctiemu(s)
    ]
    if not sessions:
        total = len(streams) + len(others)
        where = f" ({len(streams)} on port {port})" if port is not None else ""
        skipped = ""
        if reader.skipped:
            kinds = ", ".join(f"{n} of link type {t}" for t, n in sorted(reader.skipped.items()))
            skipped = f"; packets of link types this reader does not know were skipped: {kinds}"
        raise NoSessionError(
            f"{reader.name} holds {total} TCP stream{'s' if total != 1 else ''}{where}, none "
            f"carries ctiemu frames (is this a ctiemu capture? is the server port right?)"
            f"{skipped}"
        )
    return sessions


# ------------------------------------------------------------------------------------------------
# Writing


#: The largest TCP payload PcapWriter puts in one segment.
MAX_SEGMENT_PAYLOAD = 65_000
_SNAPLEN = 262_144
_CLIENT_MAC = bytes.fromhex("020000000001")
_SERVER_MAC = bytes.fromhex("020000000002")
_RECORD = struct.Struct("<IIII")
_IP4 = struct.Struct(">BBHHHBBH4s4s")
_IP6 = struct.Struct(">IHBB16s16s")
_TCP_HEADER = struct.Struct(">HHIIBBHHH")
_PSEUDO4 = struct.Struct(">xBH")
_PSEUDO6 = struct.Struct(">IxxxB")


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data that is not all zeros.

    The one's complement sum of 16-bit words is the number the bytes spell modulo 0xFFFF
    (2**16 is 1 modulo 0xFFFF), which Python's big integers compute in C.
    """
    if len(data) % 2:
        data += b"\0"
    total = int.from_bytes(data, "big") % 0xFFFF or 0xFFFF
    return ~total & 0xFFFF


class _Synth:
    __slots__ = ("client", "client_port", "finished", "next", "server", "server_port", "v6")

    def __init__(self, client: Endpoint, server: Endpoint, client_isn: int, server_isn: int):
        caddr = ipaddress.ip_address(client[0])
        saddr = ipaddress.ip_address(server[0])
        if caddr.version != saddr.version:  # a dual-stack socket: map the IPv4 side
            if caddr.version == 4:
                caddr = ipaddress.IPv6Address(f"::ffff:{caddr}")
            else:
                saddr = ipaddress.IPv6Address(f"::ffff:{saddr}")
        self.v6 = caddr.version == 6
        self.client, self.server = caddr.packed, saddr.packed
        self.client_port, self.server_port = client[1], server[1]
        self.next = {C2S: client_isn, S2C: server_isn}
        self.finished: list[str] = []  # directions that sent their FIN, in order


class PcapWriter:
    """Writes ctiemu connections to a classic pcap file (microseconds, Ethernet), synthesizing
    the TCP/IP around the bytes so that Wireshark and `read_sessions` follow each stream.

    Each connection gets a SYN / SYN-ACK / ACK handshake on `open`, one PSH|ACK segment of at
    most 65,000 bytes per piece of `data` (the other side's ACKs are not written: the next
    segment's ACK number carries them), and FIN/ACK both ways on `close`. IPv4 (or IPv6 when the
    endpoints are) headers carry the right lengths and checksum, and TCP segments a correct
    checksum too. MAC addresses are made up (02:00:00:00:00:01 client, ...:02 server).

    Every record goes out in one write and is flushed (unless `flush=False`), so a capture whose
    writer is killed stays readable up to its last whole record. The file object belongs to the
    caller, who closes it; `close_all` first ends the connections still open.
    """

    def __init__(self, file: BinaryIO, *, flush: bool = True) -> None:
        self._file = file
        self._flush = flush
        self._conns: dict[int, _Synth] = {}
        self._next_conn = 1
        self._ip_id = 0
        file.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET))
        if flush:
            file.flush()

    @property
    def open_connections(self) -> list[int]:
        return list(self._conns)

    def open(
        self,
        client: Endpoint,
        server: Endpoint,
        time: float,
        *,
        client_isn: int | None = None,
        server_isn: int | None = None,
    ) -> int:
        """Start a connection (writes SYN, SYN-ACK, ACK); returns its id for `data`/`close`."""
        conn = self._next_conn
        self._next_conn += 1
        if client_isn is None:
            client_isn = (conn * 0x9E3779B1) & _MASK
        if server_isn is None:
            server_isn = (conn * 0x85EBCA77 + 0x1000) & _MASK
        s = self._conns[conn] = _Synth(client, server, client_isn, server_isn)
        self._segment(s, C2S, SYN, 0, b"", time=time)
        s.next[C2S] = (client_isn + 1) & _MASK
        self._segment(s, S2C, SYN | ACK, s.next[C2S], b"", time=time)
        s.next[S2C] = (server_isn + 1) & _MASK
        self._segment(s, C2S, ACK, s.next[S2C], b"", time=time)
        return conn

    def data(self, conn: int, direction: str, payload: bytes, time: float) -> None:
        """Bytes one side sent ("c2s" or "s2c"), as one or more PSH|ACK segments."""
        s = self._conns[conn]
        other = S2C if direction == C2S else C2S
        for at in range(0, len(payload), MAX_SEGMENT_PAYLOAD):
            piece = payload[at : at + MAX_SEGMENT_PAYLOAD]
            self._segment(s, direction, PSH | ACK, s.next[other], piece, time=time)
            s.next[direction] = (s.next[direction] + len(piece)) & _MASK

    def shutdown(self, conn: int, direction: str, time: float) -> None:
        """One side closed its half of the connection: a FIN/ACK from it."""
        s = self._conns[conn]
        if direction not in s.finished:
            other = S2C if direction == C2S else C2S
            self._segment(s, direction, FIN | ACK, s.next[other], b"", time=time)
            s.next[direction] = (s.next[direction] + 1) & _MASK
            s.finished.append(direction)

    def close(self, conn: int, time: float, by: str = C2S) -> None:
        """End a connection: FIN/ACK from `by`, FIN/ACK from the other side (each unless
        `shutdown` wrote it already), then the last ACK."""
        s = self._conns[conn]
        other = S2C if by == C2S else C2S
        for direction in (by, other):
            self.shutdown(conn, direction, time)
        last = s.finished[0]
        self._segment(s, last, ACK, s.next[S2C if last == C2S else C2S], b"", time=time)
        del self._conns[conn]

    def close_all(self, time: float) -> None:
        """Close every connection still open (the capture is ending)."""
        for conn in list(self._conns):
            self.close(conn, time)

    def _segment(
        self, s: _Synth, direction: str, flags: int, ack: int, payload: bytes, *, time: float
    ) -> None:
        if direction == C2S:
            src, dst, sport, dport = s.client, s.server, s.client_port, s.server_port
            macs = _SERVER_MAC + _CLIENT_MAC
        else:
            src, dst, sport, dport = s.server, s.client, s.server_port, s.client_port
            macs = _CLIENT_MAC + _SERVER_MAC
        seq = s.next[direction]
        tcp_len = 20 + len(payload)
        header = _TCP_HEADER.pack(sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        if s.v6:
            pseudo = src + dst + _PSEUDO6.pack(tcp_len, 6)
            ip = _IP6.pack(0x60000000, tcp_len, 6, 64, src, dst)
            ethertype = b"\x86\xdd"
        else:
            pseudo = src + dst + _PSEUDO4.pack(6, tcp_len)
            self._ip_id = (self._ip_id + 1) & 0xFFFF
            ip = _IP4.pack(0x45, 0, 20 + tcp_len, self._ip_id, 0x4000, 64, 6, 0, src, dst)
            ip = ip[:10] + _checksum(ip).to_bytes(2, "big") + ip[12:]
            ethertype = b"\x08\x00"
        checksum = _checksum(pseudo + header + payload)
        frame = b"".join(
            (macs, ethertype, ip, header[:16], checksum.to_bytes(2, "big"), header[18:], payload)
        )
        usec = round(time * 1_000_000)
        self._file.write(
            _RECORD.pack(usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)) + frame
        )
        if self._flush:
            self._file.flush()
