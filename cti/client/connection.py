"""The client side of a T-Server connection, sans-IO: the mirror of the server core.

Theory of operation
-------------------
One `ClientConnection` stands for one byte stream to a T-Server. It does no I/O and reads no
clock (as h11 and wsproto serve both ends of their protocols with one state machine, and
aioquic passes time in):

- `send(message, now) -> bytes` gives a Request (or a KeepAliveProbe) the next ReferenceID of
  this connection, remembers it as in flight and returns the frame to write;
  `send_unnumbered(message, now)` encodes a message exactly as given (nothing is tracked).
- `receive_data(data, now) -> list[Incoming | Undecodable | StreamBroken]` cuts and decodes
  every whole frame received. Each Event or KeepAliveAnswer comes back as `Incoming`, whose
  `answers` names the ReferenceID of the request in flight it answers (the first message that
  carries it; EventError included), else None. A frame that cannot be decoded, or that is not
  something a server sends (a request), comes back as `Undecodable` and the stream goes on; a
  stream that is not a ctiemu frame stream any more (bad magic, an oversized frame) ends with
  `StreamBroken`, after which nothing more is read.
- The server's own KeepAliveProbe is answered here: the KeepAliveAnswer waits in
  `data_to_send()`, which the I/O shell writes after each `receive_data`.
- Keep-alive: with `keepalive_interval`, `keepalive_deadline()` says when `handle_timer(now)`
  must be called: after `keepalive_interval` seconds without a byte from the server it returns
  a KeepAliveProbe to write; when nothing at all arrives within `keepalive_timeout` after that,
  the connection is dead (`lost_reason` is set, `handle_timer` returns b"").

Every I/O shell is thin: the trio client library (cti.client.library), the replay engine's live
sessions (cti.capture.replay) and the capture scenarios (captures/scenarios.py) read T-Server
streams only through this class. It knows nothing about trio, sockets or reconnection.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from protocol.codec import decode, encode
from protocol.errors import FrameError, MessageError
from protocol.framer import DEFAULT_MAX_FRAME_SIZE, Framer
from protocol.messages import (
    Control,
    Event,
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    Request,
)

__all__ = [
    "ClientConnection",
    "Incoming",
    "StreamBroken",
    "Undecodable",
]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message from the server: an Event, or the KeepAliveAnswer to one of our probes."""

    message: Event | KeepAliveAnswer
    #: The ReferenceID of the request in flight this message answers, or None.
    answers: int | None = None


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A whole frame that is not a valid message from a server; the stream goes on."""

    frame: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class StreamBroken:
    """The byte stream is not a ctiemu frame stream any more: the connection must close."""

    reason: str


Received = Incoming | Undecodable | StreamBroken


def check_keepalive_settings(interval: float | None, timeout: float) -> None:
    """ValueError unless the interval is positive (or None: no probing) and the timeout is."""
    if interval is not None and not interval > 0:
        raise ValueError(f"keepalive_interval must be positive or None: {interval}")
    if not timeout > 0:
        raise ValueError(f"keepalive_timeout must be positive: {timeout}")


class ClientConnection:
    """One client connection to a T-Server, without I/O (see the module docstring)."""

    def __init__(
        self,
        *,
        now: float = 0.0,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        keepalive_interval: float | None = None,
        keepalive_timeout: float = 10.0,
    ) -> None:
        check_keepalive_settings(keepalive_interval, keepalive_timeout)
        self._framer = Framer(max_frame_size)
        self._next_reference = 1
        self._in_flight: set[int] = set()
        self._outgoing = bytearray()
        self.keepalive_interval = keepalive_interval
        self.keepalive_timeout = keepalive_timeout
        #: When the last bytes from the server arrived (the connection's start until then).
        self.last_received = now
        #: When our unanswered keep-alive probe went out; None when none is outstanding.
        self.probe_sent: float | None = None
        #: Keep-alive probes `handle_timer` has produced.
        self.keepalive_probes_sent = 0
        #: The ReferenceID `send` gave the last message it numbered (0 before any).
        self.last_reference_id = 0
        #: The server's EventServerInfo, once it answered a RequestRegisterClient.
        self.server_info: EventServerInfo | None = None
        #: Why the connection is over (a broken stream, no answer to a probe); None while it
        #: lives.
        self.lost_reason: str | None = None

    # ----------------------------------------------------------------------------------------
    # Sending

    def send(self, message: Request | KeepAliveProbe, now: float) -> bytes:
        """Number `message` with this connection's next ReferenceID (its own is replaced),
        remember it as in flight, and return its frame. `last_reference_id` tells the number.
        """
        reference_id = self._next_reference
        self._next_reference += 1
        self.last_reference_id = reference_id
        self._in_flight.add(reference_id)
        return encode(dataclasses.replace(message, reference_id=reference_id))

    def send_unnumbered(self, message: Request | Control, now: float) -> bytes:
        """The frame of `message` exactly as given, ReferenceID included; nothing is tracked,
        so an answer to it comes back with `answers` None."""
        return encode(message)

    def forget(self, reference_id: int) -> None:
        """Stop waiting for the answer to `reference_id` (its requester gave up): a late
        answer then arrives as a plain event."""
        self._in_flight.discard(reference_id)

    @property
    def in_flight(self) -> frozenset[int]:
        """The ReferenceIDs sent with `send` and not answered yet."""
        return frozenset(self._in_flight)

    def data_to_send(self) -> bytes:
        """Bytes the connection produced on its own (answers to the server's keep-alive
        probes); empty when there are none. Taking them clears them."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    # ----------------------------------------------------------------------------------------
    # Receiving

    def receive_data(self, data: bytes, now: float) -> list[Received]:
        """Feed bytes from the server; return what every whole frame received says."""
        if self.lost_reason is not None:
            return []
        if data:
            self.last_received = now
            self.probe_sent = None
        self._framer.receive_data(data)
        received: list[Received] = []
        try:
            for frame in self._framer.frames():
                item = self._frame(frame)
                if item is not None:
                    received.append(item)
        except FrameError as exc:
            self.lost_reason = f"protocol error from server: {exc}"
            received.append(StreamBroken(self.lost_reason))
        return received

    def _frame(self, frame: bytes) -> Received | None:
        try:
            message = decode(frame)
        except MessageError as exc:
            return Undecodable(frame, f"protocol error from server: {exc}")
        if isinstance(message, KeepAliveProbe):
            self._outgoing += encode(KeepAliveAnswer(reference_id=message.reference_id))
            return None
        if not isinstance(message, Event | KeepAliveAnswer):
            return Undecodable(frame, f"server sent a request ({type(message).__name__})")
        answers = message.reference_id
        if answers is None or answers not in self._in_flight:
            return Incoming(message)
        self._in_flight.discard(answers)
        if isinstance(message, EventServerInfo):
            self.server_info = message
        return Incoming(message, answers)

    # ----------------------------------------------------------------------------------------
    # Keep-alive

    def keepalive_deadline(self) -> float | None:
        """When `handle_timer` next has something to do; None without keep-alive (or once the
        connection is lost)."""
        if self.keepalive_interval is None or self.lost_reason is not None:
            return None
        if self.probe_sent is not None:
            return self.probe_sent + self.keepalive_timeout
        return self.last_received + self.keepalive_interval

    def handle_timer(self, now: float) -> bytes:
        """A KeepAliveProbe to write when the server has been silent `keepalive_interval`
        seconds; b"" when nothing is due. With a probe unanswered for `keepalive_timeout`
        seconds the connection is lost (`lost_reason`)."""
        deadline = self.keepalive_deadline()
        if deadline is None or now < deadline:
            return b""
        if self.probe_sent is not None:
            assert self.keepalive_interval is not None
            self.lost_reason = (
                f"no answer to a keep-alive probe within {self.keepalive_timeout:g} s "
                f"(server silent for {self.keepalive_interval + self.keepalive_timeout:g} s)"
            )
            return b""
        self.probe_sent = now
        self.keepalive_probes_sent += 1
        return self.send(KeepAliveProbe(), now)

    def lose(self, reason: str) -> None:
        """The I/O shell saw the connection end (closed, reset): remember why."""
        if self.lost_reason is None:
            self.lost_reason = reason
