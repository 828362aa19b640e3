"""docs/protocol.md's worked example: a consultation transfer, byte by byte, from a real run.

Three clients and a sans-IO TServerCore (no sockets, time passed in): A on 1001 calls 1002,
B answers, A consults 1003 (RequestInitiateTransfer), C answers there, A completes the transfer,
C hangs up. Every frame a client sends or receives is shown in hex, one line per header,
attribute and KVList pair, with its reading beside it. The frames are the codec's and the
server's own, so the example cannot be wrong: `python -m cti.server.walkthrough
docs/protocol.md` rewrites the part between the markers, and a test fails when it is stale.

It knows nothing of trio or sockets; it lives in cti/ (not protocol/docs.py) because it needs
the server and the switch, which protocol/ must not import.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cti.server.core import ServerIdentity, Session, TServerCore
from protocol.codec import decode, encode
from protocol.docs import replace_section, rewrite
from protocol.enums import ValueType
from protocol.messages import (
    ATTRIBUTES,
    CATALOGUE,
    EventDialing,
    EventRinging,
    Message,
    Request,
    RequestAnswerCall,
    RequestCompleteTransfer,
    RequestInitiateTransfer,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import ConnID
from switch import Switch, SwitchConfig

BEGIN = "<!-- BEGIN GENERATED (python -m cti.server.walkthrough docs/protocol.md) -->"
END = "<!-- END GENERATED (walkthrough) -->"

#: The run's clock: the server started at T0, the example begins a minute later.
T0 = 1_700_000_000.0
_SPECS = {int(spec.attribute): spec for spec in ATTRIBUTES.values()}
_HEX_WIDTH = 16  # bytes of hex per line


class _Run:
    """The server, its clients and what crossed the wire, in order."""

    def __init__(self) -> None:
        switch = Switch(SwitchConfig(extensions=("1001", "1002", "1003")), id_seed=1)
        self.core = TServerCore(switch, ServerIdentity("ctiemu", "1.0.0", T0))
        self.now = T0 + 60.0
        self.clients: dict[str, Session] = {}
        self.log: list[tuple[str, str, bytes]] = []  # (client, "->" or "<-", frame)
        self.refs: dict[str, int] = {}

    def connect(self, name: str, dn: str, *, shown: bool) -> None:
        self.clients[name] = self.core.open_session(f"127.0.0.1:{40000 + len(self.clients)}")
        self.send(name, RequestRegisterClient, shown=shown, protocol_version="1.0",
                  application_name=f"desk-{name}")  # fmt: skip
        self.send(name, RequestRegisterAddress, shown=shown, this_dn=dn)

    def send(
        self, name: str, request: type[Request], *, shown: bool = True, **fields: object
    ) -> None:
        self.refs[name] = self.refs.get(name, 0) + 1
        frame = encode(request(reference_id=self.refs[name], **fields))
        self.now += 0.5
        if shown:
            self.log.append((name, "->", frame))
        self.core.receive_data(self.clients[name], frame, self.now)
        for other, session in self.clients.items():
            frames = session.take_frames()
            if shown or other != name:
                self.log += [(other, "<-", frame) for frame in frames]

    def last(self, name: str, event: type[Message]) -> ConnID:
        """The ConnID of the last `event` client `name` received."""
        for who, way, frame in reversed(self.log):
            message = decode(frame)
            if who == name and way == "<-" and isinstance(message, event):
                conn_id = getattr(message, "conn_id", None)
                assert isinstance(conn_id, ConnID)
                return conn_id
        raise LookupError(f"{name} received no {event.__name__}")


def run() -> list[tuple[str, str, bytes]]:
    """The consultation transfer: every frame shown, with who sent or received it."""
    r = _Run()
    r.connect("A", "1001", shown=True)
    r.connect("B", "1002", shown=False)
    r.connect("C", "1003", shown=False)
    r.send("A", RequestMakeCall, this_dn="1001", other_dn="1002")
    call = r.last("B", EventRinging)
    r.send("B", RequestAnswerCall, this_dn="1002", conn_id=call)
    r.send("A", RequestInitiateTransfer, this_dn="1001", conn_id=call, other_dn="1003")
    consultation = r.last("A", EventDialing)
    r.send("C", RequestAnswerCall, this_dn="1003", conn_id=consultation)
    r.send("A", RequestCompleteTransfer, this_dn="1001", conn_id=call,
           transfer_conn_id=consultation)  # fmt: skip
    r.send("C", RequestReleaseCall, this_dn="1003", conn_id=call)  # the call's ConnID now
    return r.log


# ----------------------------------------------------------------------------------------------
# Rendering: one line per header, attribute and KVList pair


def _hex(data: bytes) -> list[str]:
    return [
        " ".join(f"{b:02x}" for b in data[i : i + _HEX_WIDTH])
        for i in range(0, max(len(data), 1), _HEX_WIDTH)
    ]


def _lines(indent: str, data: bytes, reading: str) -> Iterator[tuple[str, str]]:
    """The bytes (wrapped) with the reading on the first line."""
    for i, text in enumerate(_hex(data)):
        yield indent + text, reading if i == 0 else ""


def _value_reading(tag: int, value_type: int, value: bytes) -> str:
    spec = _SPECS.get(tag)
    if value_type == ValueType.Int:
        (number,) = struct.unpack(">q", value)
        if spec is not None and spec.enum is not None:
            return f"{number} ({spec.enum(number).name})"
        if spec is not None and spec.attribute.name == "TimeinSecs":
            return f"{number} ({datetime.fromtimestamp(number, UTC):%Y-%m-%d %H:%M:%S} UTC)"
        return str(number)
    if value_type == ValueType.String:
        return '"' + value.decode() + '"'
    if value_type == ValueType.ConnID:
        return str(ConnID(struct.unpack(">Q", value)[0]))
    if spec is not None and spec.attribute.name == "ServerCapabilityMask":
        bits = [n for n in range(len(value) * 8) if value[n // 8] >> (n % 8) & 1]
        return f"{len(value)} bytes; bits set (bit n % 8 of byte n // 8): {_ranges(bits)}"
    return f"{len(value)} bytes"


def _ranges(numbers: list[int]) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def _kvlist(data: bytes, indent: str) -> Iterator[tuple[str, str]]:
    (count,) = struct.unpack_from(">I", data, 0)
    yield from _lines(indent, data[:4], f"{indent}pair count: {count}")
    pos = 4
    for _ in range(count):
        (key_length,) = struct.unpack_from(">H", data, pos)
        key = data[pos + 2 : pos + 2 + key_length].decode()
        value_type, length = struct.unpack_from(">BI", data, pos + 2 + key_length)
        value_at = pos + 2 + key_length + 5
        value = data[value_at : value_at + length]
        kind = ValueType(value_type).name
        head = f'{indent}key "{key}", {kind}, {length} bytes'
        if value_type == ValueType.KVList:
            yield from _lines(indent, data[pos:value_at], head + ":")
            yield from _kvlist(value, indent + "  ")
        elif value_type == ValueType.Int:
            yield from _lines(indent, data[pos : value_at + length],
                              f"{head}: {struct.unpack('>q', value)[0]}")  # fmt: skip
        elif value_type == ValueType.String:
            yield from _lines(indent, data[pos : value_at + length], f'{head}: "{value.decode()}"')
        else:
            yield from _lines(indent, data[pos : value_at + length], head)
        pos = value_at + length


def _frame_lines(frame: bytes) -> Iterator[tuple[str, str]]:
    _magic, message_type, body_length = struct.unpack_from(">2sHI", frame, 0)
    name = CATALOGUE[message_type].__name__
    yield from _lines(
        "", frame[:8], f'"CT", type {message_type} ({name}), body {body_length} bytes'
    )
    pos = 8
    while pos < len(frame):
        tag, value_type, length = struct.unpack_from(">HBI", frame, pos)
        value = frame[pos + 7 : pos + 7 + length]
        spec = _SPECS[tag]
        head = f"{spec.attribute.name} ({tag}), {ValueType(value_type).name}, {length} bytes"
        if value_type == ValueType.KVList:
            yield from _lines("", frame[pos : pos + 7], head + ":")
            yield from _kvlist(value, "  ")
        else:
            reading = f"{head}: {_value_reading(tag, value_type, value)}"
            yield from _lines("", frame[pos : pos + 7 + length], reading)
        pos += 7 + length


def _render_frame(frame: bytes) -> list[str]:
    rows = list(_frame_lines(frame))
    width = max(len(h) for h, _ in rows)
    return [f"{h:<{width}}  {reading}".rstrip() for h, reading in rows]


_STEPS = {
    "RequestRegisterClient": "The handshake: client A registers as an application.",
    "RequestRegisterAddress": "A registers its DN 1001 (Share mode, the default, is not sent). "
    "B registers 1002 and C 1003 the same way (not shown).",
    "RequestMakeCall": "A calls 1002. The answer is EventDialing at 1001 with A's ReferenceID; "
    "B, registered on 1002, gets EventRinging without one. EventSequenceNumber jumped from 2 to "
    "7: the server numbers every event it stamps, for all clients (here B's and C's "
    "registrations), so a client sees gaps.",
    "RequestAnswerCall": "B answers, naming the call by its ConnID. The answer is EventEstablished "
    "at 1002 with B's ReferenceID; A gets EventEstablished at 1001.",
    "RequestInitiateTransfer": "A consults 1003. The answer is EventHeld on the old call; the "
    "consultation call's ConnID arrives on the EventDialing that follows, which carries no "
    "ReferenceID: A matches it by PreviousConnID (the call it consults from).",
    "RequestCompleteTransfer": "A completes the transfer and leaves. The answer is EventReleased "
    "of the consultation call at 1001; then the old call is released at 1001 too. The call "
    "between 1002 and 1003 keeps the old call's ConnID: B and C get EventPartyChanged with "
    "ConnID the surviving call and PreviousConnID the consultation call, merged away. From "
    "now on C must name the call by the new ConnID.",
    "RequestReleaseCall": "C hangs up, naming the call by the ConnID EventPartyChanged gave it.",
}


def render() -> str:
    log = run()
    lines = [BEGIN, ""]
    said: set[str] = set()
    for who, way, frame in log:
        message = decode(frame)
        name = type(message).__name__
        if way == "->" and name in _STEPS and name not in said:
            said.add(name)
            if _STEPS[name]:
                lines += [_STEPS[name], ""]
        arrow = "sends" if way == "->" else "receives"
        lines += [f"Client {who} {arrow} {name} ({len(frame)} bytes):", "", "```"]
        lines += _render_frame(frame)
        lines += ["```", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(document: str) -> str:
    """The document with its worked example replaced by a fresh one."""
    return replace_section(document, BEGIN, END, render())


def main(argv: list[str]) -> int:
    rewrite(Path(argv[0] if argv else "docs/protocol.md"), splice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
