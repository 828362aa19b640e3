"""The T-Server core, sans-IO: client sessions, registrations, requests -> switch -> deliveries.

Bytes from a client go in (`receive_data(session, data, now)`); frames for clients come out,
queued on each Session (`Session.take_output()`), and the core says which sessions have new
output. The trio edge (cti.server) only moves bytes and rings doorbells; everything a client
can observe is decided here, with time passed in.

Per request: the framer cuts frames (in turns, `max_frames`/`max_bytes`, when the edge asks);
a frame the server will not carry out is refused from its header (rate limit, before the
handshake, too long, a type it does not handle); the codec decodes the others (a bad frame ->
EventError, a broken stream -> EventError then close); the core checks the session may do this
(client registered, DN registered and not in Monitor mode), carries the request out (the
call-control requests through cti.server.requests' table, simulation control through
_SIM_SERVICES), then stamps each resulting event once (EventSequenceNumber, time) and delivers
it to every session registered on its ThisDN. The first event at the requesting DN carries the
request's ReferenceID, for the requester only. Every entry point (receive_data, resume,
advance, sweep, open/close_session) returns its own outbox: the sessions with new output.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from cti.server.config import EVENT_OVERHEAD_BYTES, ApplicationConfig, ServerConfig
from cti.server.requests import SWITCH_REQUESTS
from protocol.codec import decode, encode, kvlist_size, read_header, reference_id_of
from protocol.enums import (
    AddressInfoType,
    AddressType,
    AgentWorkMode,
    RegisterMode,
    SimService,
    TreatmentType,
)
from protocol.errors import ErrorCode, FrameError, MessageError, Refusal
from protocol.framer import Framer
from protocol.messages import (
    CATALOGUE,
    PROTOCOL_VERSION,
    Event,
    EventACK,
    EventAddressInfo,
    EventError,
    EventLinkConnected,
    EventLinkDisconnected,
    EventPartyInfo,
    EventPrivateInfo,
    EventRegistered,
    EventRegisteredAll,
    EventRouteRequest,
    EventServerInfo,
    EventUnregistered,
    EventUnregisteredAll,
    EventUserEvent,
    KeepAliveAnswer,
    KeepAliveProbe,
    Message,
    Request,
    RequestDistributeUserEvent,
    RequestGiveMusicTreatment,
    RequestGiveRingBackTreatment,
    RequestGiveSilenceTreatment,
    RequestPrivateService,
    RequestQueryAddress,
    RequestQueryCall,
    RequestQueryServer,
    RequestRegisterAddress,
    RequestRegisterAll,
    RequestRegisterClient,
    RequestSetInputMask,
    RequestUnregisterAddress,
    RequestUnregisterAll,
)
from protocol.values import ConnID, KVList
from switch.calls import PartyState
from switch.pbx import Switch
from switch.trunks import AnswerKind, LinkDown, LinkUp, TrunkDriver

log = logging.getLogger("ctiemu.core")
trace_log = logging.getLogger("ctiemu.trace")


@runtime_checkable
class Simulator(Protocol):
    """A trunk driver that can be told what the outside world does (hw.simnet)."""

    def inbound(
        self,
        trunk_group: str,
        ani: str,
        dnis: str,
        now: float,
        *,
        user_data: KVList | None = None,
        patience: float | None = None,
    ) -> str: ...
    def conn_of(self, ref: str) -> ConnID | None: ...
    def answer(
        self, conn_id: ConnID, now: float, kind: AnswerKind = AnswerKind.Person, *, talk: float
    ) -> None: ...
    def busy(self, conn_id: ConnID, now: float) -> None: ...
    def hang_up(self, conn_id: ConnID, now: float) -> None: ...
    def press(self, conn_id: ConnID, digits: str, now: float) -> None: ...
    def fail_link(self, trunk_group: str, now: float, reason: str = ...) -> None: ...
    def restore_link(self, trunk_group: str, now: float) -> None: ...


_ANSWER_KINDS = {
    "person": AnswerKind.Person,
    "machine": AnswerKind.AnsweringMachine,
    "fax": AnswerKind.Fax,
    "modem": AnswerKind.Modem,
}


class _SimParams:
    """A simulation-control request's service and its UserData parameters, read with the
    types docs/protocol.md gives them (a wrong one: EventError 53)."""

    def __init__(self, service: SimService, request: RequestPrivateService) -> None:
        self.service = service
        self.request = request
        self.params = request.user_data or KVList()

    def text(self, key: str, default: str | None = None) -> str:
        value = self.params.get(key, default)
        if not isinstance(value, str) or not value:
            raise Refusal(ErrorCode.InvalidAttribute, f"{self.service.name} needs {key} (a string)")
        return value

    def number(self, key: str, default: int) -> int:
        value = self.params.get(key, default)
        if not isinstance(value, int) or value < 0:
            raise Refusal(
                ErrorCode.InvalidAttribute,
                f"{self.service.name}: {key} must be seconds (an integer)",
            )
        return value


def _answer(simulator: Simulator, conn_id: ConnID, sim: _SimParams, now: float) -> None:
    kind = _ANSWER_KINDS.get(sim.text("Kind", "person"))
    if kind is None:
        raise Refusal(
            ErrorCode.InvalidAttribute, f"Answer: Kind is one of {', '.join(_ANSWER_KINDS)}"
        )
    simulator.answer(conn_id, now, kind, talk=sim.number("Talk", 60))


#: What the far end of a trunk call does, by service.
_FAR_END_ACTIONS: dict[SimService, Callable[[Simulator, ConnID, _SimParams, float], None]] = {
    SimService.Answer: _answer,
    SimService.Busy: lambda simulator, conn_id, _sim, now: simulator.busy(conn_id, now),
    SimService.HangUp: lambda simulator, conn_id, _sim, now: simulator.hang_up(conn_id, now),
    SimService.Digits: lambda simulator, conn_id, sim, now: simulator.press(
        conn_id, sim.text("Digits"), now
    ),
}


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """What EventServerInfo tells a client about this server."""

    name: str
    version: str
    start_time: float


@dataclass(eq=False)
class Session:
    """One client connection as the core sees it."""

    id: int
    framer: Framer
    peer: str = ""
    application_name: str | None = None
    #: What the application may do (set at RegisterClient).
    rights: ApplicationConfig | None = None
    registrations: dict[str, RegisterMode] = field(default_factory=dict)
    #: The DNs RequestRegisterAll covers for this session (None: not registered for all).
    watch_all: frozenset[str] | None = None
    #: RequestSetInputMask: bit (type % 8) of byte (type // 8) set = deliver that event type;
    #: types past the mask's end are delivered. None: everything.
    input_mask: bytes | None = None
    #: Set when the server has decided to close this session once its output is flushed.
    closing: bool = False
    #: Set when it must close at once, unflushed (a slow reader, a dead peer).
    aborted: bool = False
    #: Whole frames may still wait in the framer: the last turn ended at its frame budget.
    more_input: bool = False
    #: The peer's address (its HOST), for the per-address connection cap; "" in memory.
    address: str = ""
    #: When the connection opened; since when a frame has been left unfinished (None: none).
    opened_at: float = 0.0
    partial_since: float | None = None
    close_reason: str = ""
    trace: bool = False
    #: Frame trace lines a second (0: no bound), the bucket and what went over it.
    trace_rate: int = 0
    trace_tokens: float = 0.0
    trace_tokens_at: float = 0.0
    trace_dropped: int = 0
    #: Keep-alive: whether the client speaks it (it sent a KeepAliveProbe or KeepAliveAnswer,
    #: or asked for it at RegisterClient: Extensions "keepalive"); only those are probed, as
    #: T-Library clients that never heard of ctiemu's probes must not be cut off for idling.
    speaks_keepalive: bool = False
    #: When the client last sent anything; when our unanswered probe went out.
    last_received: float = 0.0
    probe_sent: float | None = None
    #: Request rate limit: tokens left and when they were counted.
    tokens: float = 0.0
    tokens_at: float = 0.0
    pending_bytes: int = 0
    _output: list[bytes] = field(default_factory=list)

    @property
    def has_output(self) -> bool:
        return bool(self._output)

    def send(self, frame: bytes) -> None:
        self._output.append(frame)
        self.pending_bytes += len(frame)

    def take_output(self) -> bytes:
        """Everything pending, as one buffer for one write."""
        return b"".join(self.take_frames())

    def take_frames(self) -> list[bytes]:
        """Everything pending, frame by frame (for a sans-IO user that shows frames apart, as
        docs/protocol.md's worked example does, cti/server/walkthrough.py)."""
        frames, self._output = self._output, []
        self.pending_bytes = 0
        return frames

    def wants(self, event_type: int) -> bool:
        """Whether the input mask lets this event type through."""
        mask = self.input_mask
        if mask is None or event_type >= len(mask) * 8:
            return True
        return bool(mask[event_type >> 3] >> (event_type & 7) & 1)

    def describe(self) -> str:
        return f"session {self.id} ({self.application_name or '?'} from {self.peer or '?'})"

    def trace_allows(self, now: float) -> bool:
        """Whether one more frame-trace line may be written now: at most trace_lines_per_second
        a second (a bucket of as many); lines over it are counted in `trace_dropped`, and the
        next line written says how many were left out."""
        rate = self.trace_rate
        if rate <= 0:
            return True
        if now > self.trace_tokens_at:
            self.trace_tokens = min(
                float(rate), self.trace_tokens + (now - self.trace_tokens_at) * rate
            )
            self.trace_tokens_at = now
        if self.trace_tokens < 1:
            self.trace_dropped += 1
            return False
        self.trace_tokens -= 1
        if self.trace_dropped:
            trace_log.info(
                "%s: %d trace lines not written (over %d a second)",
                self.describe(),
                self.trace_dropped,
                rate,
            )
            self.trace_dropped = 0
        return True


#: Authentication failures from one address for one application: the next attempt is refused
#: unread for this long, doubling with each failure in a row up to AUTH_BACKOFF_MAX seconds.
AUTH_BACKOFF_FIRST = 0.25
AUTH_BACKOFF_MAX = 8.0


class LimitedLog:
    """A logger's warnings, at most one line per cause and minute (time passed in): what a
    flood of bad connections leaves in the log is a line a minute and a count, not a line each.
    """

    PERIOD = 60.0

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        #: cause -> (when its last line was written, lines held back since)
        self._last: dict[str, tuple[float, int]] = {}

    def warning(self, now: float, cause: str, message: str) -> None:
        last, held = self._last.get(cause, (None, 0))
        if last is not None and now - last < self.PERIOD:
            self._last[cause] = (last, held + 1)
            return
        more = f" (and {held} more like it in the last minute)" if held else ""
        self._logger.warning("%s%s", message, more)
        self._last[cause] = (now, 0)


#: What one entry point of the core produced: the sessions with new output (or closing), for
#: the edge to ring. Each entry point makes its own and returns it; nothing is kept between.
Outbox = set[Session]


class TServerCore:
    """All T-Server state and behaviour, with no I/O."""

    def __init__(
        self,
        switch: Switch,
        identity: ServerIdentity,
        *,
        settings: ServerConfig | None = None,
        max_frame_size: int | None = None,
        drivers: Mapping[str, TrunkDriver] | None = None,
    ) -> None:
        self.switch = switch
        #: The trunk driver of each trunk group.
        self.drivers: dict[str, TrunkDriver] = dict(drivers or {})
        self.identity = identity
        self.settings = settings or ServerConfig()
        self.max_frame_size = max_frame_size or self.settings.max_frame_size
        self.sessions: dict[int, Session] = {}
        self._next_session = 1
        self._sequence = 0
        #: dn -> {session id: mode}, in registration order.
        self._registered: dict[str, dict[int, RegisterMode]] = {}
        #: dn -> the session holding it in Private mode.
        self._private: dict[str, int] = {}
        #: Sessions registered for all DNs (RequestRegisterAll).
        self._watching_all: dict[int, Session] = {}
        #: Open connections per peer address (the per-address cap), and those not registered.
        self._per_address: dict[str, int] = {}
        self._handshaking = 0
        #: (address, application) -> (failed attempts in a row, refused without a look until)
        self._auth_failures: dict[tuple[str, str], tuple[int, float]] = {}
        #: Warnings about hostile or broken peers: one line per cause and minute.
        self._limited_log = LimitedLog(log)
        #: Statistics for QueryServer: totals, and events per whole second of the last ten.
        self.events_total = 0
        self.deliveries_total = 0
        self.slow_readers_dropped = 0
        self._rate: dict[int, int] = {}
        #: Request type -> handler: the switch requests of the table, then the core's own.
        self._handlers: dict[type[Message], Callable[[Outbox, Session, Any, float], None]] = {
            **dict.fromkeys(SWITCH_REQUESTS, self._on_switch_request),
            RequestRegisterClient: self._on_register_client,
            RequestQueryServer: self._on_query_server,
            RequestRegisterAddress: self._on_register_address,
            RequestUnregisterAddress: self._on_unregister_address,
            RequestRegisterAll: self._on_register_all,
            RequestUnregisterAll: self._on_unregister_all,
            RequestSetInputMask: self._on_set_input_mask,
            RequestDistributeUserEvent: self._on_distribute_user_event,
            RequestPrivateService: self._on_private_service,
            RequestQueryAddress: self._on_query_address,
            RequestQueryCall: self._on_query_call,
            RequestGiveMusicTreatment: self._on_give_treatment,
            RequestGiveSilenceTreatment: self._on_give_treatment,
            RequestGiveRingBackTreatment: self._on_give_treatment,
        }
        self._handled_types = frozenset(int(t.MESSAGE_TYPE) for t in self._handlers)

    @property
    def handled_requests(self) -> frozenset[type[Message]]:
        """The request types this server carries out; others get EventError 51."""
        return frozenset(self._handlers)

    # ----------------------------------------------------------------------------------------
    # Session life

    def open_session(self, peer: str = "", now: float = 0.0) -> Session:
        """A new connection from `peer` ("HOST:PORT"). Over server.max_connections (or
        max_connections_per_address) the session is born closing, with EventError 713 to
        flush: the edge serves it like any closing session, and it ends there."""
        settings = self.settings
        framer = Framer(min(self.max_frame_size, settings.handshake_frame_size))
        session = Session(self._next_session, framer, peer=peer)
        session.address = peer.rpartition(":")[0] if ":" in peer else ""
        session.opened_at = session.last_received = session.tokens_at = now
        session.tokens = float(settings.max_requests_per_second)
        session.trace = settings.trace
        session.trace_rate = settings.trace_lines_per_second
        session.trace_tokens, session.trace_tokens_at = float(settings.trace_lines_per_second), now
        self._next_session += 1
        self.sessions[session.id] = session
        from_address = self._per_address[session.address] = (
            self._per_address.get(session.address, 0) + 1
        )
        self._handshaking += 1
        refused = None
        if settings.max_connections and len(self.sessions) > settings.max_connections:
            refused = f"the server has {settings.max_connections} connections (max_connections)"
        elif (
            settings.max_handshaking_connections
            and self._handshaking > settings.max_handshaking_connections
        ):
            refused = (
                f"{settings.max_handshaking_connections} connections have not registered yet "
                "(max_handshaking_connections)"
            )
        elif (
            settings.max_connections_per_address
            and session.address
            and from_address > settings.max_connections_per_address
        ):
            refused = (
                f"{session.address} has {settings.max_connections_per_address} connections "
                "(max_connections_per_address)"
            )
        if refused is not None:
            self._limited_log.warning(now, "connections", f"connection refused: {refused}")
            out: Outbox = set()
            self._error(out, session, Refusal(ErrorCode.TooManyConnections, refused), None, now)
            self._close(out, session, "too many connections")
        return session

    def close_session(self, session: Session, now: float = 0.0) -> set[Session]:
        """The connection is gone: end its registrations; with logout_on_disconnect, log out
        the agents on the DNs it controlled that no other client controls. Returns the
        sessions with new output (events about those agents)."""
        out: Outbox = set()
        controlled = [dn for dn, mode in session.registrations.items() if mode in _CONTROL]
        for dn in session.registrations:
            holders = self._registered.get(dn)
            if holders is not None:
                holders.pop(session.id, None)
                if not holders:
                    del self._registered[dn]
            if self._private.get(dn) == session.id:
                del self._private[dn]
        session.registrations.clear()
        self._watching_all.pop(session.id, None)
        if self.sessions.pop(session.id, None) is not None:
            if session.application_name is None:
                self._handshaking -= 1
            left = self._per_address.get(session.address, 1) - 1
            if left > 0:
                self._per_address[session.address] = left
            else:
                self._per_address.pop(session.address, None)
        if self.settings.logout_on_disconnect:
            for dn in controlled:
                if self.switch.agent_at(dn) is None or self._controllers(dn):
                    continue
                try:
                    events = self.switch.agent_logout(dn, now=now)
                except Refusal as err:  # e.g. the agent is in a call: keep it
                    log.info("%s: agent on %s not logged out: %s", session.describe(), dn, err)
                    continue
                log.info(
                    "%s: logged out the agent on %s (logout_on_disconnect)", session.describe(), dn
                )
                self._publish(out, events, now, None, None)
        out.discard(session)
        return out

    def _controllers(self, dn: str) -> list[int]:
        return [sid for sid, mode in self._registered.get(dn, {}).items() if mode in _CONTROL]

    def sweep(self, now: float) -> Outbox:
        """What time alone decides about connections, for the edge to call about once a
        second: keep-alive (`check_keepalive`), connections that did not register within
        server.handshake_timeout, frames left unfinished for server.unfinished_frame_timeout
        (each is told with EventError, 704 or 702, and closed). Returns the sessions with new
        output or closing."""
        out = self.check_keepalive(now)
        handshake, unfinished = (
            self.settings.handshake_timeout,
            self.settings.unfinished_frame_timeout,
        )
        for session in list(self.sessions.values()):
            if session.closing:
                continue
            if (
                handshake
                and session.application_name is None
                and (now - session.opened_at >= handshake)
            ):
                reason = f"no RequestRegisterClient within {handshake:g} s"
                self._limited_log.warning(now, "handshake", f"{session.describe()}: {reason}")
                self._error(out, session, Refusal(ErrorCode.ClientNotRegistered, reason), None, now)
                self._close(out, session, "handshake timeout")
            elif (
                unfinished
                and session.partial_since is not None
                and (now - session.partial_since >= unfinished)
            ):
                reason = f"a frame left unfinished for {unfinished:g} s"
                self._limited_log.warning(now, "unfinished", f"{session.describe()}: {reason}")
                self._error(out, session, Refusal(ErrorCode.FramingError, reason), None, now)
                self._close(out, session, "unfinished frame")
        return out

    def check_keepalive(self, now: float) -> Outbox:
        """Probe clients that speak keep-alive and have been silent for keepalive_interval;
        close those whose probe went unanswered for keepalive_timeout. Returns the sessions
        with new output or closing."""
        out: Outbox = set()
        interval, timeout = self.settings.keepalive_interval, self.settings.keepalive_timeout
        if interval <= 0:
            return out
        for session in list(self.sessions.values()):
            if session.closing or not session.speaks_keepalive:
                continue
            if session.probe_sent is not None:
                if now - session.probe_sent >= timeout:
                    log.warning(
                        "%s: no answer to keep-alive for %.1f s; disconnecting",
                        session.describe(),
                        now - session.probe_sent,
                    )
                    self._abort(out, session, "keep-alive timeout")
            elif now - session.last_received >= interval:
                session.probe_sent = now
                self._deliver_to(out, session, KeepAliveProbe(reference_id=self._sequence + 1))
        return out

    def stats(self, now: float) -> dict[str, int | float]:
        """Server statistics, as QueryServer reports them."""
        window = [count for second, count in self._rate.items() if now - 10 <= second < now]
        span = min(10.0, max(1.0, now - self.identity.start_time))
        stats: dict[str, int | float] = {
            "clients": sum(1 for s in self.sessions.values() if s.application_name is not None),
            "connections": len(self.sessions),
            "calls": len(self.switch.calls),
            "events": self.events_total,
            "deliveries": self.deliveries_total,
            "events_per_s": round(sum(window) / span, 1),
            "slow_readers_dropped": self.slow_readers_dropped,
            "uptime_s": round(now - self.identity.start_time, 1),
        }
        for queue in self.switch.config.queues:
            stats[f"queue.{queue.dn}.waiting"] = len(self.switch.waiting(queue.dn))
        return stats

    def registered_sessions(self, dn: str) -> list[Session]:
        return [self.sessions[sid] for sid in self._registered.get(dn, {})]

    # ----------------------------------------------------------------------------------------
    # Input

    def receive_data(
        self,
        session: Session,
        data: bytes,
        now: float,
        *,
        max_frames: int | None = None,
        max_bytes: int | None = None,
    ) -> Outbox:
        """Bytes from a client. Returns the sessions that have new output.

        With `max_frames` (or `max_bytes`), at most that many whole frames (or frames until
        that many bytes) are handled now; when that stops it, `session.more_input` is set and
        `resume(session, now)` handles the next turn. The edge
        gives each connection one turn at a time, so that a client sending a burst of requests
        cannot keep the others waiting behind it."""
        if session.closing:
            return set()
        session.last_received, session.probe_sent = now, None
        session.framer.receive_data(data)
        return self.resume(session, now, max_frames=max_frames, max_bytes=max_bytes)

    def resume(
        self,
        session: Session,
        now: float,
        *,
        max_frames: int | None = None,
        max_bytes: int | None = None,
    ) -> Outbox:
        """Handle the whole frames buffered for the session: at most `max_frames` of them, and
        no more once `max_bytes` have been handled (a turn always handles one frame)."""
        out: Outbox = set()
        handled = handled_bytes = 0
        session.more_input = False
        while not session.closing:
            if (max_frames is not None and handled >= max_frames) or (
                max_bytes is not None and handled_bytes >= max_bytes
            ):
                session.more_input = True
                break
            try:
                frame = session.framer.next_frame()
            except FrameError as err:
                log.info("session %d: %s; closing", session.id, err)
                self._error(out, session, Refusal(err.code, str(err)), None, now)
                self._close(out, session, str(err))
                break
            if frame is None:
                break
            self._receive_frame(out, session, frame, now)
            handled += 1
            handled_bytes += len(frame)
        if not session.framer.buffered:
            session.partial_since = None
        elif session.partial_since is None:
            session.partial_since = now  # the first bytes of a frame still to finish
        return out

    def _receive_frame(self, out: Outbox, session: Session, frame: bytes, now: float) -> None:
        # decided from the header, before a byte of the body is decoded: a frame the server
        # will not carry out costs it next to nothing, however large
        message_type = read_header(frame)[0]
        if message_type not in _KEEPALIVE_TYPES:
            refusal = self._admit_request(
                session, message_type, now, len(frame)
            ) or self._unhandled(message_type)
            if refusal is not None:
                self._error(out, session, refusal, reference_id_of(frame), now)
                return
        try:
            msg = decode(frame)
        except MessageError as err:
            log.debug("session %d: %s", session.id, err)
            self._error(out, session, Refusal(err.code, str(err)), err.reference_id, now)
            return
        self._handle(out, session, msg, now, frame_size=len(frame))

    def _admit_request(
        self, session: Session, message_type: int, now: float, size: int = 0
    ) -> Refusal | None:
        """The request-rate limit (a token taken), RequestRegisterClient first, and a frame no
        longer than a request may be (its UserData cap and EVENT_OVERHEAD_BYTES)."""
        limit = self.settings.max_requests_per_second
        if limit:
            if now > session.tokens_at:
                elapsed = now - session.tokens_at
                session.tokens = min(float(limit), session.tokens + elapsed * limit)
                session.tokens_at = now
            if session.tokens < 1:
                return Refusal(
                    ErrorCode.TooManyRequests,
                    f"more than {limit} requests per second; request not carried out",
                )
            session.tokens -= 1
        if session.application_name is None and message_type != _REGISTER_CLIENT_TYPE:
            return Refusal(
                ErrorCode.ClientNotRegistered,
                "send RequestRegisterClient before any other request",
            )
        cap = self.settings.max_request_user_data_bytes
        if cap and size > cap + EVENT_OVERHEAD_BYTES:
            return Refusal(
                ErrorCode.UserDataTooLarge,
                f"a request of {size} bytes: more than its UserData cap "
                f"(server.max_request_user_data_bytes, {cap}) allows; not read",
            )
        return None

    def _unhandled(self, message_type: int) -> Refusal | None:
        """EventError 51 for a message type this server does not carry out (an unknown
        number, an event a client sent, a request without a handler), decided from the
        header alone: whatever the body holds, missing attributes included, the answer is 51."""
        if message_type in self._handled_types:
            return None
        cls = CATALOGUE.get(message_type)
        name = cls.__name__ if cls is not None else f"message type {message_type}"
        return Refusal(ErrorCode.UnsupportedOperation, f"{name} is not supported by this server")

    def handle_request(self, session: Session, msg: Message, now: float) -> Outbox:
        """One decoded message from a client. Returns the sessions with new output."""
        out: Outbox = set()
        self._handle(out, session, msg, now)
        return out

    def _handle(
        self,
        out: Outbox,
        session: Session,
        msg: Message,
        now: float,
        *,
        frame_size: int | None = None,
    ) -> None:
        """One decoded message. `frame_size`: the frame it came in, which the admission checks
        have already let through; None for a message handed in decoded."""
        if session.trace and session.trace_allows(now):
            trace_log.info("%s <- %r", session.describe(), msg)
        if isinstance(msg, KeepAliveProbe):  # answered at once, even before the handshake
            session.speaks_keepalive = True
            self._deliver_to(out, session, KeepAliveAnswer(reference_id=msg.reference_id))
            return
        if isinstance(msg, KeepAliveAnswer):  # the answer to a probe of ours: nothing to do
            session.speaks_keepalive = True
            return
        try:
            if frame_size is None:  # a decoded message handed in: the same checks as a frame's
                kind = int(msg.MESSAGE_TYPE)
                if refusal := self._admit_request(session, kind, now) or self._unhandled(kind):
                    raise refusal
            handler = self._handlers[type(msg)]
            cap = self.settings.max_request_user_data_bytes
            user_data = getattr(msg, "user_data", None)
            if (
                cap
                and user_data is not None
                and (frame_size is None or frame_size > cap)  # else it cannot be over the cap
                and (size := kvlist_size(user_data)) > cap
            ):
                raise Refusal(
                    ErrorCode.UserDataTooLarge,
                    f"the request's UserData is {size} bytes, over the {cap} bytes a request may "
                    "carry (server.max_request_user_data_bytes)",
                    this_dn=getattr(msg, "this_dn", None),
                )
            handler(out, session, msg, now)
            self._dispatch_commands(now)
        except Refusal as refusal:
            self._error(out, session, refusal, msg.reference_id, now)
        except Exception:  # a bug of ours, not the client's: log it, answer, keep serving
            log.exception("session %d: internal error handling %r", session.id, msg)
            internal = Refusal(ErrorCode.InternalError, "internal error")
            self._error(out, session, internal, msg.reference_id, now)

    # ----------------------------------------------------------------------------------------
    # Handlers

    def _on_register_client(
        self, out: Outbox, session: Session, req: RequestRegisterClient, now: float
    ) -> None:
        if session.application_name is not None:
            raise Refusal(ErrorCode.InvalidState, "client already registered")
        major = _major_version(req.protocol_version)
        if major != PROTOCOL_VERSION[0]:
            refusal = Refusal(
                ErrorCode.ProtocolVersion,
                f"protocol version {req.protocol_version!r} not supported; this server speaks "
                f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
            )
            self._error(out, session, refusal, req.reference_id, now)
            self._close(out, session, "unsupported protocol version")
            return
        known = self.settings.application(req.application_name)
        guesser = (session.address, req.application_name)
        failures, blocked_until = self._auth_failures.get(guesser, (0, 0.0))
        refused = None
        if now < blocked_until:
            # not even looked at: guessing from here goes no faster than the back-off
            refused = (
                f"too many failed attempts for application {req.application_name!r} from "
                f"{session.address or 'here'}; retry in {blocked_until - now:.1f} s"
            )
        elif known is None and self.settings.authenticate:
            refused = f"application {req.application_name!r} is not configured"
        elif known is not None and known.password and req.application_password != known.password:
            refused = f"wrong password for application {req.application_name!r}"
        if refused is not None:
            if now >= blocked_until:  # a real failure: the next attempt waits twice as long
                failures += 1
                delay = min(AUTH_BACKOFF_FIRST * 2 ** (failures - 1), AUTH_BACKOFF_MAX)
                self._auth_failures[guesser] = (failures, now + delay)
            self._limited_log.warning(
                now,
                f"auth {session.address}",
                f"session {session.id} from {session.peer}: {refused}; closing",
            )
            failed = Refusal(ErrorCode.AuthenticationFailed, refused)
            self._error(out, session, failed, req.reference_id, now)
            self._close(out, session, "authentication failed")
            return
        self._auth_failures.pop(guesser, None)
        session.application_name = req.application_name
        session.rights = known or ApplicationConfig(req.application_name)
        session.framer.max_frame_size = self.max_frame_size  # past the handshake's small bound
        self._handshaking -= 1
        if req.extensions is not None and req.extensions.get("keepalive") is not None:
            session.speaks_keepalive = True
        log.info("session %d: client %r registered", session.id, req.application_name)
        self._deliver_to(out, session, self._server_info(req.reference_id, now, with_stats=False))

    def _server_info(self, reference_id: int | None, now: float, *, with_stats: bool) -> Event:
        stats = None
        if with_stats:  # KVList values are integers or strings: rates go as strings
            stats = KVList(
                (k, v if isinstance(v, int) else f"{v:g}") for k, v in self.stats(now).items()
            )
        info = EventServerInfo(
            reference_id=reference_id,
            protocol_version=f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
            server_version=self.identity.version,
            application_name=self.identity.name,
            server_start_time=int(self.identity.start_time),
            server_capability_mask=self._capability_mask(),
            extensions=stats,
        )
        return self._stamp(info, now)

    def _on_query_server(
        self, out: Outbox, session: Session, req: RequestQueryServer, now: float
    ) -> None:
        """EventServerInfo again, with the server's statistics in Extensions."""
        self._deliver_to(out, session, self._server_info(req.reference_id, now, with_stats=True))

    def _on_register_address(
        self, out: Outbox, session: Session, req: RequestRegisterAddress, now: float
    ) -> None:
        dn = req.this_dn
        if not self.switch.has_dn(dn):
            raise Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
        rights = session.rights
        assert rights is not None
        monitor = req.register_mode is RegisterMode.Monitor
        if dn not in rights.control and (not monitor or dn not in rights.monitor):
            raise Refusal(
                ErrorCode.NotAllowed,
                f"application {rights.name!r} may not "
                f"{'monitor' if monitor else 'control'} DN {dn!r}",
                this_dn=dn,
            )
        holders = self._registered.get(dn, _NOBODY)
        owner = self._private.get(dn)
        if owner is not None and owner != session.id:
            raise Refusal(
                ErrorCode.ResourceSeized,
                f"DN {dn!r} is registered in Private mode by another client",
                this_dn=dn,
            )
        if req.register_mode is RegisterMode.Private and len(holders) > (session.id in holders):
            raise Refusal(
                ErrorCode.ResourceSeized,
                f"DN {dn!r} is registered by another client; Private needs it alone",
                this_dn=dn,
            )
        self._registered.setdefault(dn, {})[session.id] = req.register_mode
        if req.register_mode is RegisterMode.Private:
            self._private[dn] = session.id
        elif owner == session.id:
            del self._private[dn]
        session.registrations[dn] = req.register_mode
        status = self.switch.dn_status(dn)
        registered = EventRegistered(
            reference_id=req.reference_id,
            this_dn=dn,
            address_info_type=AddressInfoType.AddressStatus,
            address_info_status=int(status),
            extensions=KVList([("status", status.name)]),
        )
        self._deliver_to(out, session, self._stamp(registered, now))

    def _on_unregister_address(
        self, out: Outbox, session: Session, req: RequestUnregisterAddress, now: float
    ) -> None:
        dn = req.this_dn
        if session.registrations.pop(dn, None) is None:
            raise Refusal(ErrorCode.NotRegistered, f"{dn} is not registered", this_dn=dn)
        holders = self._registered.get(dn, {})
        holders.pop(session.id, None)
        if not holders:
            self._registered.pop(dn, None)
        if self._private.get(dn) == session.id:
            del self._private[dn]
        self._deliver_to(
            out,
            session,
            self._stamp(EventUnregistered(reference_id=req.reference_id, this_dn=dn), now),
        )

    def _on_register_all(
        self, out: Outbox, session: Session, req: RequestRegisterAll, now: float
    ) -> None:
        """Monitor every DN (of AddressType, when given) the application may monitor."""
        rights = session.rights
        assert rights is not None
        wanted = req.address_type
        dns = frozenset(
            dn
            for dn in self.switch.dns()
            if (dn in rights.monitor or dn in rights.control)
            and (wanted in (None, AddressType.Unknown) or self.switch.address_type(dn) is wanted)
        )
        session.watch_all = dns
        self._watching_all[session.id] = session
        answer = EventRegisteredAll(
            reference_id=req.reference_id,
            address_type=wanted,
            extensions=KVList([("dns", len(dns))]),
        )
        self._deliver_to(out, session, self._stamp(answer, now))

    def _on_unregister_all(
        self, out: Outbox, session: Session, req: RequestUnregisterAll, now: float
    ) -> None:
        session.watch_all = None
        self._watching_all.pop(session.id, None)
        answer = EventUnregisteredAll(reference_id=req.reference_id, address_type=req.address_type)
        self._deliver_to(out, session, self._stamp(answer, now))

    def _on_set_input_mask(
        self, out: Outbox, session: Session, req: RequestSetInputMask, now: float
    ) -> None:
        """Choose the event types this client receives (answers, errors and keep-alives always
        arrive). An empty mask lets everything through again."""
        session.input_mask = req.input_mask or None
        self._deliver_to(out, session, self._stamp(EventACK(reference_id=req.reference_id), now))

    def _on_distribute_user_event(
        self, out: Outbox, session: Session, req: RequestDistributeUserEvent, now: float
    ) -> None:
        """EventUserEvent to every client registered on ThisDN; EventACK to the requester. The
        application must have the right to control ThisDN (it makes events happen there)."""
        dn = req.this_dn
        self._require_right(session, dn, monitor=False)
        event = EventUserEvent(
            this_dn=dn,
            conn_id=req.conn_id,
            call_id=req.call_id,
            other_dn=req.other_dn,
            customer_id="Resources",
            user_data=req.user_data,
            reasons=req.reasons,
            extensions=req.extensions,
        )
        self._publish(out, [event], now, None, None)
        self._deliver_to(out, session, self._stamp(EventACK(reference_id=req.reference_id), now))

    def _on_switch_request(self, out: Outbox, session: Session, req: Any, now: float) -> None:
        """Every request of cti.server.requests.SWITCH_REQUESTS: check control of ThisDN, carry
        the request out as its switch operation, publish the events."""
        self._require_control(session, req.this_dn)
        events = SWITCH_REQUESTS[type(req)](self.switch, req, now)
        self._publish(out, events, now, session, req)

    def _on_give_treatment(
        self,
        out: Outbox,
        session: Session,
        req: RequestGiveMusicTreatment | RequestGiveSilenceTreatment | RequestGiveRingBackTreatment,
        now: float,
    ) -> None:
        """The older Give*Treatment requests: ApplyTreatment with a fixed TreatmentType."""
        self._require_control(session, req.this_dn)
        treatment = {
            RequestGiveMusicTreatment: TreatmentType.Music,
            RequestGiveSilenceTreatment: TreatmentType.Silence,
            RequestGiveRingBackTreatment: TreatmentType.RingBack,
        }[type(req)]
        pairs: list[tuple[str, str | int]] = []
        if req.timeout is not None:
            pairs.append(("Duration", req.timeout))
        if isinstance(req, RequestGiveMusicTreatment) and req.music_path is not None:
            pairs.append(("MusicPath", req.music_path))
        events = self.switch.apply_treatment(
            req.this_dn, req.conn_id, treatment, now=now, parms=KVList(pairs) if pairs else None
        )
        self._publish(out, events, now, session, req)

    def _on_query_address(
        self, out: Outbox, session: Session, req: RequestQueryAddress, now: float
    ) -> None:
        """EventAddressInfo, to the requester only, about a DN the application may monitor or
        control."""
        dn = req.this_dn
        self._require_right(session, dn, monitor=True)
        kind = req.address_info_type
        agent = self.switch.agent_at(dn)
        status: int
        if kind is AddressInfoType.AddressStatus:
            status = int(self.switch.dn_status(dn))
        elif kind is AddressInfoType.AddressType:
            status = int(self.switch.address_type(dn))
        elif kind is AddressInfoType.AgentStatus:
            status = int(agent.work_mode or AgentWorkMode.Unknown) if agent else 0
        elif kind in (
            AddressInfoType.NumberOfAgentsInQueue,
            AddressInfoType.NumberOfAvailableAgentsInQueue,
        ):
            logged, free = self.switch.agents_in_queue(dn)
            status = logged if kind is AddressInfoType.NumberOfAgentsInQueue else free
        elif kind is AddressInfoType.NumberOfCallsInQueue:
            status = len(self.switch.waiting(dn))
        elif kind is AddressInfoType.CallsQuery:
            calls = self.switch.calls_at(dn)
            status = len(calls)
        else:
            raise Refusal(
                ErrorCode.UnsupportedOperation,
                f"AddressInfoType {kind.name} is not supported yet",
                this_dn=dn,
            )
        extensions = KVList(
            [("conn-id", str(c.conn_id)) for c in self.switch.calls_at(dn)]
            + ([("agent-id", agent.agent_id), ("agent-state", agent.state.value)] if agent else [])
        )
        info = EventAddressInfo(
            reference_id=req.reference_id,
            this_dn=dn,
            address_info_type=kind,
            address_info_status=status,
            agent_id=agent.agent_id if agent else None,
            this_queue=agent.queue if agent else None,
            extensions=extensions,
        )
        self._deliver_to(out, session, self._stamp(info, now))

    def _on_query_call(
        self, out: Outbox, session: Session, req: RequestQueryCall, now: float
    ) -> None:
        """EventPartyInfo, to the requester only: the call and, in Extensions, its parties; at
        a DN the application may monitor or control."""
        self._require_right(session, req.this_dn, monitor=True)
        call = self.switch.call(req.conn_id)
        if call is None or call.party_at(req.this_dn) is None:
            raise Refusal(
                ErrorCode.InvalidConnID,
                f"no call {req.conn_id} at {req.this_dn}",
                this_dn=req.this_dn,
            )
        parties = KVList(
            (
                "party",
                KVList([("dn", p.dn), ("role", p.role.name), ("state", p.state.value)]),
            )
            for p in call.parties
            if p.state is not PartyState.Released
        )
        info = EventPartyInfo(
            reference_id=req.reference_id,
            this_dn=req.this_dn,
            conn_id=call.conn_id,
            call_id=call.call_id,
            call_type=call.call_type,
            call_info_type=req.call_info_type,
            ani=call.ani,
            dnis=call.dnis,
            user_data=call.user_data,
            call_uuid=call.call_uuid,
            extensions=KVList([("parties", parties)]),
        )
        self._deliver_to(out, session, self._stamp(info, now))

    # ----------------------------------------------------------------------------------------
    # Simulation control

    def _on_private_service(
        self, out: Outbox, session: Session, req: RequestPrivateService, now: float
    ) -> None:
        """ctiemu's simulation control (SimService): what the outside world does. Only
        applications whose configuration says `simulation = true` may use it. Answered with
        EventPrivateInfo (same PrivateMsgID; results in UserData); the events it causes go to
        the DNs' clients as usual."""
        rights = session.rights
        assert rights is not None
        try:
            service = SimService(req.private_msg_id)
        except ValueError:
            raise Refusal(
                ErrorCode.UnsupportedOperation,
                f"PrivateMsgID {req.private_msg_id} is not a ctiemu service "
                f"({', '.join(f'{s.value} {s.name}' for s in SimService)})",
            ) from None
        if service is SimService.Trace:
            result = self._sim_trace(session, rights, req)
        else:
            if not rights.simulation:
                raise Refusal(
                    ErrorCode.NotAllowed,
                    f"application {rights.name!r} may not use simulation control "
                    "(set simulation = true in its [[server.application]])",
                )
            result = self._simulate(out, service, req, now)
        info = EventPrivateInfo(
            reference_id=req.reference_id,
            this_dn=req.this_dn or None,
            conn_id=result.pop("conn_id", None) or req.conn_id,
            private_msg_id=req.private_msg_id,
            user_data=KVList(list(result.items())),
        )
        self._deliver_to(out, session, self._stamp(info, now))

    def _sim_trace(
        self, session: Session, rights: ApplicationConfig, req: RequestPrivateService
    ) -> dict[str, Any]:
        params = req.user_data or KVList()
        target_id = params.get("Session", session.id)
        on = params.get("On", 1)
        if not isinstance(target_id, int) or on not in (0, 1):
            raise Refusal(
                ErrorCode.InvalidAttribute, "Trace needs Session (a session id) and On (1 or 0)"
            )
        target = self.sessions.get(target_id)
        if target is None:
            now_on = sorted(self.sessions)
            shown = ", ".join(str(n) for n in now_on[:10]) + (", ..." if len(now_on) > 10 else "")
            raise Refusal(
                ErrorCode.InvalidAttribute,
                f"there is no session {target_id} (connected now: {shown or 'none'}; the "
                "server's log numbers sessions)",
            )
        if target is not session and not rights.simulation:
            raise Refusal(ErrorCode.NotAllowed, "only simulation applications trace other sessions")
        target.trace = bool(on)
        log.info("%s: frame trace %s", target.describe(), "on" if on else "off")
        return {"Session": target.id, "On": int(target.trace)}

    def _simulate(
        self, out: Outbox, service: SimService, req: RequestPrivateService, now: float
    ) -> dict[str, Any]:
        """One simulation-control service, through the table of services (SIM_SERVICES)."""
        handler = _SIM_SERVICES.get(service)
        if handler is None:  # Trace is answered before: every other service is in the table
            raise Refusal(ErrorCode.UnsupportedOperation, f"{service.name} is not simulated")
        return handler(self, out, _SimParams(service, req), now)

    def _sim_in_service(self, out: Outbox, sim: _SimParams, now: float) -> dict[str, Any]:
        dn = sim.request.this_dn
        if not self.switch.has_dn(dn):
            raise Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
        back = sim.service is SimService.BackInService
        self._publish(out, self.switch.set_in_service(dn, back, now=now), now, None, None)
        return {"ThisDN": dn, "InService": int(self.switch.in_service(dn))}

    def _sim_group(self, sim: _SimParams) -> tuple[str, Simulator]:
        groups = [g.name for g in self.switch.config.trunk_groups]
        group = sim.text("TrunkGroup", groups[0] if groups else None)
        return group, self._simulator(group)

    def _sim_inbound(self, out: Outbox, sim: _SimParams, now: float) -> dict[str, Any]:
        group, simulator = self._sim_group(sim)
        data = sim.params.get("UserData")
        if data is not None and not isinstance(data, KVList):
            raise Refusal(ErrorCode.InvalidAttribute, "Inbound: UserData must be a list")
        patience = sim.params.get("Patience")
        ref = simulator.inbound(
            group,
            sim.text("ANI"),
            sim.text("DNIS"),
            now,
            user_data=data,
            patience=None if patience is None else sim.number("Patience", 0),
        )
        self._advance(out, now)
        conn = simulator.conn_of(ref)
        if conn is None:
            raise Refusal(ErrorCode.InvalidState, f"the switch refused the inbound call ({ref})")
        return {"conn_id": conn, "Ref": ref, "TrunkGroup": group}

    def _sim_link(self, out: Outbox, sim: _SimParams, now: float) -> dict[str, Any]:
        group, simulator = self._sim_group(sim)
        if sim.service is SimService.TrunkDown:
            simulator.fail_link(group, now, "simulation control")
        else:
            simulator.restore_link(group, now)
        self._advance(out, now)
        return {"TrunkGroup": group, "LinkUp": int(self.switch.link_up(group))}

    def _sim_far_end(self, out: Outbox, sim: _SimParams, now: float) -> dict[str, Any]:
        """The services about one trunk call's far end: Answer, Busy, HangUp, Digits."""
        service, conn_id = sim.service, sim.request.conn_id
        if conn_id is None:
            raise Refusal(
                ErrorCode.InvalidConnID,
                f"{service.name} needs the ConnID of a call through a trunk",
            )
        call = self.switch.call(conn_id)
        if call is None:
            raise Refusal(
                ErrorCode.InvalidConnID,
                f"call {conn_id} has ended"
                if self.switch.made(conn_id)
                else f"there is no call {conn_id} on this switch",
            )
        if call.trunk_group is None:
            raise Refusal(
                ErrorCode.InvalidConnID,
                f"call {conn_id} does not go through a trunk: {service.name} acts on the far "
                "end of a trunk call",
            )
        simulator = self._simulator(call.trunk_group)
        _FAR_END_ACTIONS[service](simulator, conn_id, sim, now)
        self._advance(out, now)
        return {}

    def _simulator(self, group: str) -> Simulator:
        driver = self.drivers.get(group)
        if not isinstance(driver, Simulator):
            raise Refusal(
                ErrorCode.UnsupportedOperation,
                f"trunk group {group!r} is not driven by the simulated network",
            )
        return driver

    # ----------------------------------------------------------------------------------------
    # Time

    def next_deadline(self) -> float | None:
        """When `advance` next has work (a switch timer or a driver report), or None."""
        deadlines = [self.switch.next_deadline()]
        deadlines += [driver.next_deadline() for driver in self._unique_drivers()]
        due = [d for d in deadlines if d is not None]
        return min(due) if due else None

    def advance(self, now: float) -> Outbox:
        """Fire the switch's due timers and feed it the drivers' reports; deliver the events
        they cause. Returns the sessions with new output."""
        out: Outbox = set()
        self._advance(out, now)
        return out

    def _advance(self, out: Outbox, now: float) -> None:
        """`advance`, into an outbox of the caller's (simulation control sets the outside world
        in motion within a request)."""
        events = self.switch.advance(now)
        links: list[Event] = []
        for driver in self._unique_drivers():
            for report in driver.advance(now):
                events += self.switch.on_trunk_report(report, now)
                if isinstance(report, LinkDown | LinkUp):
                    links.append(self._link_event(report))
        self._dispatch_commands(now)
        if events:
            self._publish(out, events, now, None, None)
        for link in links:
            self._broadcast(out, link, now)

    def _link_event(self, report: LinkDown | LinkUp) -> Event:
        extensions = KVList([("TrunkGroup", report.trunk_group)])
        if isinstance(report, LinkUp):
            log.warning("trunk group %s: link up", report.trunk_group)
            return EventLinkConnected(application_name=self.identity.name, extensions=extensions)
        log.warning("trunk group %s: link down (%s)", report.trunk_group, report.reason)
        return EventLinkDisconnected(
            application_name=self.identity.name,
            error_message=f"trunk group {report.trunk_group}: {report.reason or 'link down'}",
            extensions=extensions,
        )

    def _broadcast(self, out: Outbox, event: Event, now: float) -> None:
        """An event about the server itself, to every registered client."""
        stamped = self._stamp(event, now)
        frame = encode(stamped)
        kind = int(stamped.MESSAGE_TYPE)
        for session in list(self.sessions.values()):
            if session.application_name is not None and session.wants(kind):
                self._send(out, session, frame, stamped)
        self._count(1, now)

    def _unique_drivers(self) -> list[TrunkDriver]:
        unique: dict[int, TrunkDriver] = {}
        for driver in self.drivers.values():
            unique.setdefault(id(driver), driver)
        return list(unique.values())

    def _dispatch_commands(self, now: float) -> None:
        """Hand the switch's trunk commands to the drivers of their trunk groups."""
        for command in self.switch.take_commands():
            driver = self.drivers.get(command.trunk_group)
            if driver is None:
                log.error("no driver for trunk group %r: %r dropped", command.trunk_group, command)
                continue
            driver.command(command, now)

    # ----------------------------------------------------------------------------------------
    # Output

    def _capability_mask(self) -> bytes:
        """T-Library's TMask: bit (n % 8) of byte n // 8 set for each request type handled."""
        mask = bytearray(64)
        for request_type in self._handlers:
            n = int(request_type.MESSAGE_TYPE)
            if n < 512:
                mask[n // 8] |= 1 << (n % 8)
        return bytes(mask)

    def _require_right(self, session: Session, dn: str, *, monitor: bool) -> None:
        """The DN is configured and the session's application may control it (or, with
        `monitor`, monitor or control it): DNNotConfigured (59) or NotAllowed (710) otherwise.
        Requests about a DN that need no registration (queries, user events) check this."""
        if not self.switch.has_dn(dn):
            raise Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
        rights = session.rights
        assert rights is not None  # the handshake sets them before any other request
        if dn in rights.control or (monitor and dn in rights.monitor):
            return
        raise Refusal(
            ErrorCode.NotAllowed,
            f"application {rights.name!r} may not {'monitor' if monitor else 'control'} DN {dn!r}",
            this_dn=dn,
        )

    def _require_control(self, session: Session, dn: str) -> None:
        mode = session.registrations.get(dn)
        if mode is None:
            if not self.switch.has_dn(dn):
                raise Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
            raise Refusal(
                ErrorCode.NotRegistered, f"register {dn} before controlling it", this_dn=dn
            )
        if mode is RegisterMode.Monitor:
            raise Refusal(ErrorCode.MonitorOnly, f"{dn} is registered in Monitor mode", this_dn=dn)
        if not self.switch.in_service(dn):
            raise Refusal(ErrorCode.DNOutOfService, f"{dn} is out of service", this_dn=dn)

    def _stamp(self, event: Event, now: float) -> Event:
        self._sequence += 1
        secs, usecs = divmod(round(now * 1_000_000), 1_000_000)
        return event.trusted_replace(
            {"event_sequence_number": self._sequence, "time_in_secs": secs, "time_in_usecs": usecs}
        )

    def _publish(
        self,
        out: Outbox,
        events: Iterable[Event],
        now: float,
        requester: Session | None,
        request: Request | None,
    ) -> None:
        """Stamp each event once and deliver it to every session registered on its ThisDN (and
        every session registered for all DNs that covers it); the first event at the
        requesting DN carries the request's ReferenceID, for the requester. A routing point
        asked for a route with no router registered on it routes to its default at once."""
        answered = request is None or request.reference_id is None
        request_dn = getattr(request, "this_dn", None)
        watching_all = self._watching_all
        limit = self.settings.max_output_bytes
        unrouted: list[EventRouteRequest] = []
        published = delivered = 0
        for event in events:
            stamped = self._stamp(event, now)
            published += 1
            kind = int(stamped.MESSAGE_TYPE)
            dn = getattr(stamped, "this_dn", None)
            holders = self._registered.get(dn, _NOBODY) if dn is not None else _NOBODY
            shared: bytes | None = None
            recipients = [self.sessions[sid] for sid in holders]
            if watching_all:
                recipients += [
                    s
                    for sid, s in watching_all.items()
                    if sid not in holders and s.watch_all is not None and dn in s.watch_all
                ]
            for session in recipients:
                if not answered and session is requester and dn == request_dn:
                    assert request is not None
                    answered = True
                    answer = stamped.trusted_replace({"reference_id": request.reference_id})
                    frame = encode(answer)
                    if session.trace and session.trace_allows(now):
                        trace_log.info("%s -> %r", session.describe(), answer)
                elif session.aborted or (
                    session.input_mask is not None and not session.wants(kind)
                ):
                    continue
                else:
                    if shared is None:
                        shared = encode(stamped)
                    frame = shared
                    if session.trace and session.trace_allows(now):
                        trace_log.info("%s -> %r", session.describe(), stamped)
                session.send(frame)
                delivered += 1
                if session.pending_bytes - len(frame) > limit:  # never for one event alone
                    self._overflow(out, session)
                out.add(session)
            if isinstance(stamped, EventRouteRequest) and not any(
                mode in _CONTROL for mode in holders.values()
            ):
                unrouted.append(stamped)
        self._count(published, now)
        self.deliveries_total += delivered
        if not answered and requester is not None and request is not None:
            # nothing the request caused happened at its DN yet: acknowledge it
            ack = EventACK(reference_id=request.reference_id)
            self._deliver_to(out, requester, self._stamp(ack, now))
        for route_request in unrouted:
            try:
                routed = self.switch.route_default(
                    route_request.this_dn, route_request.conn_id, now=now
                )
            except Refusal:  # the call moved on meanwhile
                continue
            self._dispatch_commands(now)
            self._publish(out, routed, now, None, None)

    def _count(self, events: int, now: float) -> None:
        self.events_total += events
        second = int(now)
        self._rate[second] = self._rate.get(second, 0) + events
        if len(self._rate) > 20:
            for old in [s for s in self._rate if s < second - 10]:
                del self._rate[old]

    def _deliver_to(self, out: Outbox, session: Session, event: Message) -> None:
        self._send(out, session, encode(event), event)

    def _send(self, out: Outbox, session: Session, frame: bytes, event: Message) -> None:
        if session.aborted:
            return
        session.send(frame)
        if session.trace and session.trace_allows(session.last_received):
            trace_log.info("%s -> %r", session.describe(), event)
        if session.pending_bytes - len(frame) > self.settings.max_output_bytes:
            self._overflow(out, session)
        out.add(session)

    def _overflow(self, out: Outbox, session: Session) -> None:
        """A client that does not read: drop it, and its unsent output, with one log line."""
        log.warning(
            "%s: disconnected: slow reader (%d bytes unsent, over max_output_bytes %d)",
            session.describe(),
            session.pending_bytes,
            self.settings.max_output_bytes,
        )
        self.slow_readers_dropped += 1
        self._abort(out, session, "slow reader: output queue overflow")

    def _abort(self, out: Outbox, session: Session, reason: str) -> None:
        """Close at once, without flushing (the server cancels the connection)."""
        session.take_output()
        session.aborted = True
        self._close(out, session, reason)

    def _error(
        self, out: Outbox, session: Session, refusal: Refusal, reference_id: int | None, now: float
    ) -> None:
        """EventError to the session: the refusal's code, message, ThisDN and ConnID."""
        event = EventError(
            reference_id=reference_id,
            error_code=int(refusal.code),
            error_message=refusal.message,
            this_dn=refusal.this_dn,
            conn_id=refusal.conn_id,
        )
        self._deliver_to(out, session, self._stamp(event, now))

    def _close(self, out: Outbox, session: Session, reason: str) -> None:
        session.closing = True
        session.close_reason = reason
        out.add(session)


_NOBODY: dict[int, RegisterMode] = {}
_KEEPALIVE_TYPES = frozenset({int(KeepAliveProbe.MESSAGE_TYPE), int(KeepAliveAnswer.MESSAGE_TYPE)})
_REGISTER_CLIENT_TYPE = int(RequestRegisterClient.MESSAGE_TYPE)
#: Registration modes that may send requests for the DN.
_CONTROL = (RegisterMode.Share, RegisterMode.Private)


def _major_version(text: str) -> int | None:
    major, _, _minor = text.partition(".")
    return int(major) if major.isdigit() else None


#: Simulation control: each service (but Trace, answered before any right is checked) and the
#: core's handler for it.
_SIM_SERVICES: dict[
    SimService, Callable[[TServerCore, Outbox, _SimParams, float], dict[str, Any]]
] = {
    SimService.Inbound: TServerCore._sim_inbound,
    SimService.TrunkDown: TServerCore._sim_link,
    SimService.TrunkUp: TServerCore._sim_link,
    SimService.OutOfService: TServerCore._sim_in_service,
    SimService.BackInService: TServerCore._sim_in_service,
    SimService.Answer: TServerCore._sim_far_end,
    SimService.Busy: TServerCore._sim_far_end,
    SimService.HangUp: TServerCore._sim_far_end,
    SimService.Digits: TServerCore._sim_far_end,
}
