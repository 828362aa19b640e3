"""Replay recorded CTI sessions against a live T-Server and compare what comes back.

The input is the sessions of a capture (cti.capture.pcap.read_sessions: per TCP connection, the
frames both ways with their times). Every recorded client session gets a live connection. The
records of all sessions are walked in capture time order: a server->client record waits for the
next message on its live connection and compares the two; a client->server record is sent
(rewritten, see below) once everything the server sent before it in the capture has arrived and
been compared. Calls the outside world started are reproduced through the simulation-control
session recorded in the same capture (its PrivateService requests are replayed like any other).

Comparison normalises what legitimately differs between two runs, consistently:
- ConnIDs, CallUUIDs and CallIDs: the first time a recorded value meets a live one they are
  bound to each other for the rest of the replay; a recorded value met again with another live
  value (or a live value standing for two recorded ones) is a difference, so a ConnID that
  changes in the middle of a call is caught. The same binding rewrites the ConnIDs in the
  requests sent.
- EventSequenceNumber, event times, the server's start time, version and statistics, and the
  simulated network's call references.
KeepAlive probes and answers are timing, not behaviour: they are skipped both ways.

The engine is `replay_sessions(...)`; `ctiemu replay` is the command around it (cti.cli.replay).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol
from xml.etree import ElementTree

import trio

from cti.client.connection import ClientConnection, StreamBroken, Undecodable
from protocol.codec import encode
from protocol.enums import ValueType
from protocol.messages import (
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    Message,
    RequestRegisterClient,
)
from protocol.values import ConnID, KVList

C2S, S2C = "c2s", "s2c"

#: Fields whose values legitimately differ between runs and are not compared.
_IGNORED = frozenset(
    {
        "event_sequence_number",
        "time_in_secs",
        "time_in_usecs",
        "server_start_time",
        "server_version",
    }
)
#: String fields holding call identities: bound recorded <-> live like ConnIDs.
_BOUND_STRINGS = frozenset({"call_uuid"})
_BOUND_INTS = frozenset({"call_id"})
#: KVList keys whose values are ConnIDs as text (EventAddressInfo), or network references.
_BOUND_KEYS = frozenset({"conn-id", "Ref"})


class RecordLike(Protocol):
    """One recorded frame (cti.capture.pcap.Record)."""

    direction: str
    time: float
    frame: bytes
    message: Message | None


class SessionLike(Protocol):
    """One recorded connection (cti.capture.pcap.CtiSession). When it has an `end` (the time the
    recorded connection closed), the live one is closed at that point of the timeline."""

    client: tuple[str, int]
    records: list[Any]


# ------------------------------------------------------------------------------------------------
# Normalisation


class Binding:
    """Recorded <-> live identities, one kind (ConnIDs, CallUUIDs, ...): a bijection built as
    the values are first met."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.live_of: dict[Any, Any] = {}
        self.recorded_of: dict[Any, Any] = {}
        self.labels: dict[Any, str] = {}

    def label(self, recorded: Any) -> str:
        """A stable short name for a recorded value (#1, #2, ...), for readable diffs."""
        return self.labels.setdefault(recorded, f"{self.kind} #{len(self.labels) + 1}")

    def match(self, recorded: Any, live: Any) -> str | None:
        """Bind or check; a difference in words, or None when they correspond."""
        known_live = self.live_of.get(recorded)
        known_recorded = self.recorded_of.get(live)
        if known_live is None and known_recorded is None:
            self.live_of[recorded], self.recorded_of[live] = live, recorded
            self.label(recorded)
            return None
        if known_live == live:
            return None
        if known_live is None:
            return (
                f"live {live} already stands for recorded {self.label(known_recorded)}, "
                f"not {self.label(recorded)}"
            )
        return f"recorded {self.label(recorded)} is live {known_live} earlier, {live} now"

    def rewrite(self, recorded: Any) -> Any:
        return self.live_of.get(recorded, recorded)


@dataclass
class Normaliser:
    conn_ids: Binding = field(default_factory=lambda: Binding("ConnID"))
    uuids: Binding = field(default_factory=lambda: Binding("CallUUID"))
    call_ids: Binding = field(default_factory=lambda: Binding("CallID"))
    refs: Binding = field(default_factory=lambda: Binding("Ref"))

    def rewrite_request(self, message: Message) -> Message:
        """The recorded request with recorded ConnIDs replaced by the live ones."""
        changes: dict[str, Any] = {}
        for fs in message.FIELDS:
            name = fs.spec.field
            value = getattr(message, name)
            if value is None:
                continue
            if fs.spec.value_type is ValueType.ConnID:
                live = self.conn_ids.rewrite(value)
                if live != value:
                    changes[name] = ConnID(live)
            elif name in _BOUND_INTS:
                live = self.call_ids.rewrite(value)
                if live != value:
                    changes[name] = live
        return dataclasses.replace(message, **changes) if changes else message

    def compare(self, recorded: Message, live: Message) -> list[str]:
        """The differences between a recorded message and the live one (empty: the same)."""
        if type(recorded) is not type(live):
            return [f"expected {type(recorded).__name__}, got {type(live).__name__}"]
        # EventServerInfo's Extensions are statistics: the counts and rates of this run
        ignored = _IGNORED | {"extensions"} if isinstance(recorded, EventServerInfo) else _IGNORED
        out: list[str] = []
        for fs in recorded.FIELDS:
            name = fs.spec.field
            if name in ignored:
                continue
            want, got = getattr(recorded, name), getattr(live, name)
            problem = self._field(name, fs.spec.value_type, want, got)
            if problem is not None:
                out.append(f"{name}: {problem}")
        return out

    def _field(self, name: str, kind: ValueType, want: Any, got: Any) -> str | None:
        if want is None or got is None:
            return None if want is got else f"expected {_show(want)}, got {_show(got)}"
        if kind is ValueType.ConnID:
            return self.conn_ids.match(want, got)
        if name in _BOUND_STRINGS:
            return self.uuids.match(want, got)
        if name in _BOUND_INTS:
            return self.call_ids.match(want, got)
        if isinstance(want, KVList) and isinstance(got, KVList):
            return self._kvlist(want, got)
        return None if want == got else f"expected {_show(want)}, got {_show(got)}"

    def _kvlist(self, want: KVList, got: KVList) -> str | None:
        if len(want) != len(got):
            return f"expected {_show(want)}, got {_show(got)}"
        for (wk, wv), (gk, gv) in zip(want, got, strict=True):
            if wk != gk:
                return f"expected key {wk!r}, got {gk!r}"
            if wk in _BOUND_KEYS and isinstance(wv, str) and isinstance(gv, str):
                binding = self.refs if wk == "Ref" else self.conn_ids
                recorded: Any = wv
                live: Any = gv
                if wk == "conn-id":
                    with contextlib.suppress(ValueError):  # not ConnIDs: compare as text
                        recorded, live = ConnID.parse(wv), ConnID.parse(gv)
                problem = binding.match(recorded, live)
                if problem is not None:
                    return f"{wk}: {problem}"
            elif isinstance(wv, KVList) and isinstance(gv, KVList):
                problem = self._kvlist(wv, gv)
                if problem is not None:
                    return f"{wk}: {problem}"
            elif wv != gv:
                return f"{wk}: expected {_show(wv)}, got {_show(gv)}"
        return None


def _show(value: Any) -> str:
    if isinstance(value, KVList):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value) + "}"
    if isinstance(value, ConnID):
        return str(value)
    if isinstance(value, IntEnum):
        return value.name
    return repr(value)


def summary(message: Message) -> str:
    """One line naming a message and its key attributes."""
    keys = ("this_dn", "other_dn", "conn_id", "call_state", "error_code", "agent_id")
    parts = [
        f"{k}={_show(getattr(message, k))}" for k in keys if getattr(message, k, None) is not None
    ]
    return type(message).__name__ + (" " + " ".join(parts) if parts else "")


# ------------------------------------------------------------------------------------------------
# Results


@dataclass
class Difference:
    record: int  #: index of the record in its session
    text: str


@dataclass
class SessionResult:
    index: int
    name: str  #: the application name it registered with, or its client address
    peer: str
    compared: int = 0
    sent: int = 0
    differences: list[Difference] = field(default_factory=list)


@dataclass
class ReplayResult:
    source: str
    sessions: list[SessionResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(not s.differences for s in self.sessions)

    @property
    def messages(self) -> int:
        return sum(s.compared + s.sent for s in self.sessions)

    def report(self) -> str:
        """A readable report: one line per session, the differences under it."""
        lines = []
        for s in self.sessions:
            verdict = "ok" if not s.differences else f"{len(s.differences)} difference(s)"
            lines.append(
                f"session {s.index} ({s.name}, {s.peer}): {s.sent} sent, {s.compared} "
                f"compared: {verdict}"
            )
            lines += [f"  record {d.record}: {d.text}" for d in s.differences]
        total = sum(len(s.differences) for s in self.sessions)
        lines.append(
            f"{self.source}: {'OK' if self.ok else f'{total} difference(s)'} "
            f"({self.messages} messages, {len(self.sessions)} sessions, {self.seconds:.2f} s)"
        )
        return "\n".join(lines)

    def testsuite(self) -> ElementTree.Element:
        """The JUnit test suite of this capture: one test case per session."""
        failures = sum(1 for s in self.sessions if s.differences)
        suite = ElementTree.Element(
            "testsuite",
            name=self.source,
            tests=str(len(self.sessions)),
            failures=str(failures),
            errors="0",
            time=f"{self.seconds:.3f}",
        )
        for s in self.sessions:
            case = ElementTree.SubElement(
                suite, "testcase", classname=self.source, name=f"session {s.index} {s.name}"
            )
            if s.differences:
                failure = ElementTree.SubElement(
                    case, "failure", message=f"{len(s.differences)} difference(s)"
                )
                failure.text = "\n".join(f"record {d.record}: {d.text}" for d in s.differences)
        return suite

    def junit(self) -> str:
        """JUnit XML for this capture alone."""
        return junit([self])


def junit(results: Sequence[ReplayResult]) -> str:
    """One JUnit XML document: a test suite per replayed capture."""
    suites = ElementTree.Element("testsuites")
    suites.extend(result.testsuite() for result in results)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True)


# ------------------------------------------------------------------------------------------------
# The replay


def _skipped(message: Message | None) -> bool:
    return isinstance(message, KeepAliveProbe | KeepAliveAnswer)


class _Live:
    """One live connection standing in for a recorded session: the recorded frames go out as
    they were (rewritten only where the normaliser must), what the server sends is read through
    the sans-IO client connection."""

    def __init__(self, result: SessionResult) -> None:
        self.result = result
        self.stream: trio.abc.Stream | None = None
        self.protocol = ClientConnection(max_frame_size=64 * 1024 * 1024)
        self.send_in, self.receive_out = trio.open_memory_channel[Message | None](math.inf)
        self.closed = False
        self.send_lock = trio.Lock()

    async def send_all(self, data: bytes) -> None:
        assert self.stream is not None
        async with self.send_lock:
            await self.stream.send_all(data)

    async def read(self) -> None:
        assert self.stream is not None
        try:
            while True:
                try:
                    data = await self.stream.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    break
                if not data:
                    break
                for item in self.protocol.receive_data(bytes(data), trio.current_time()):
                    if isinstance(item, StreamBroken):
                        self.result.differences.append(
                            Difference(-1, f"the server's stream broke: {item.reason}")
                        )
                        return
                    if isinstance(item, Undecodable):
                        self.result.differences.append(
                            Difference(-1, f"the server sent an undecodable frame: {item.reason}")
                        )
                    elif not _skipped(item.message):
                        self.send_in.send_nowait(item.message)
                # the server's own keep-alive probes are answered, as any client would
                if reply := self.protocol.data_to_send():
                    with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                        await self.send_all(reply)
        finally:
            self.send_in.send_nowait(None)  # end of stream

    async def next(self, timeout: float) -> Message | str | None:
        """The next live message, None at end of stream, or "timeout"."""
        with trio.move_on_after(timeout):
            return await self.receive_out.receive()
        return "timeout"


def _name(session: SessionLike) -> str:
    for record in session.records:
        if isinstance(record.message, RequestRegisterClient):
            return record.message.application_name
    return "?"


async def replay_sessions(
    sessions: Sequence[SessionLike],
    host: str,
    port: int,
    *,
    source: str = "capture",
    timeout: float = 5.0,
    settle: float = 0.3,
    ssl_context: Any = None,
) -> ReplayResult:
    """Replay the recorded sessions against the server at host:port; compare everything."""
    started = trio.current_time()
    normaliser = Normaliser()
    results = [
        SessionResult(i + 1, _name(s), f"{s.client[0]}:{s.client[1]}")
        for i, s in enumerate(sessions)
    ]
    lives = [_Live(r) for r in results]
    # the whole capture in time order (stable: within a session, record order)
    timeline: list[tuple[float, int, int]] = sorted(
        (record.time, si, ri)
        for si, session in enumerate(sessions)
        for ri, record in enumerate(session.records)
    )
    for si, session in enumerate(sessions):  # a recorded close: after its last record
        end = getattr(session, "end", None)
        if end is not None:
            timeline.append((end, si, len(session.records)))
    timeline.sort()
    last_record = {si: len(s.records) - 1 for si, s in enumerate(sessions)}
    async with trio.open_nursery() as nursery:
        for _time, si, ri in timeline:
            live, result = lives[si], results[si]
            if ri == len(sessions[si].records):  # the recorded client hung up here
                if live.stream is not None and not live.closed:
                    live.closed = True
                    await trio.aclose_forcefully(live.stream)
                continue
            record = sessions[si].records[ri]
            if _skipped(record.message):
                continue
            if record.direction == C2S:
                if live.closed:
                    continue
                if live.stream is None:
                    # (no server to connect to raises OSError: a failure, not a difference)
                    live.stream = await trio.open_tcp_stream(host, port)
                    if ssl_context is not None:
                        live.stream = trio.SSLStream(live.stream, ssl_context, server_hostname=host)
                    nursery.start_soon(live.read)
                frame = record.frame
                if record.message is not None:
                    rewritten = normaliser.rewrite_request(record.message)
                    if rewritten is not record.message:
                        frame = encode(rewritten)
                try:
                    await live.send_all(frame)
                    result.sent += 1
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    if ri != last_record[si]:
                        result.differences.append(
                            Difference(
                                ri, "the server had closed the connection before this request"
                            )
                        )
                    live.closed = True
                continue
            # server -> client: the live counterpart must arrive
            expected = record.message
            if live.stream is None:
                continue  # the server spoke before the client did: nothing live to compare
            got = await live.next(timeout)
            result.compared += 1
            if expected is None:
                continue  # the recorded frame was undecodable: nothing to compare it with
            if got == "timeout":
                result.differences.append(
                    Difference(
                        ri, f"expected {summary(expected)}; nothing came within {timeout:g} s"
                    )
                )
                continue
            if got is None:
                result.differences.append(
                    Difference(
                        ri, f"expected {summary(expected)}; the server closed the connection"
                    )
                )
                live.closed = True
                continue
            assert isinstance(got, Message)
            problems = normaliser.compare(expected, got)
            if problems:
                result.differences.append(
                    Difference(
                        ri,
                        f"expected {summary(expected)}\n      got      {summary(got)}\n"
                        + "\n".join(f"      - {p}" for p in problems),
                    )
                )
        # whatever else the server sends, unasked for, is a difference too
        await trio.sleep(settle)
        for si, live in enumerate(lives):
            while True:
                try:
                    extra = live.receive_out.receive_nowait()
                except trio.WouldBlock:
                    break
                if extra is None:
                    break
                results[si].differences.append(
                    Difference(len(sessions[si].records), f"unexpected {summary(extra)}")
                )
        for live in lives:
            if live.stream is not None:
                await trio.aclose_forcefully(live.stream)
        nursery.cancel_scope.cancel()
    return ReplayResult(source, results, seconds=trio.current_time() - started)
