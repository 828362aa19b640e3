"""The trio client library: connect, register, send requests and await their answers, iterate
events; keep-alive probing and automatic reconnection.

    async with open_client("127.0.0.1", 7000, application_name="desk", reconnect=True) as client:
        await client.register_address("1001")
        dialing = await client.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
        ringing = await client.wait_for(EventRinging, this_dn="1001", timeout=30)
        async for event in client.events():
            ...

`request` numbers the request with the next ReferenceID, sends it and returns the event that
carries that ReferenceID back; an EventError answer raises TServerError. Every event,
answers included, is also delivered in order to `events()`.

Keep-alive: when nothing has arrived from the server for `keepalive_interval` seconds the
client sends KeepAliveProbe; when nothing at all arrives within `keepalive_timeout` after that,
the connection is taken for dead and closed. Reconnect: with `reconnect=True` a lost connection
is replaced (backoff `reconnect_delays`), the handshake is repeated and every DN registered
through `register_address` is registered again. docs/client.md describes the whole API.

This module is the trio shell around the sans-IO `cti.client.connection.ClientConnection`, which
numbers requests, cuts and decodes the server's frames, matches answers to requests, answers
the server's probes and keeps the keep-alive deadlines; here are only the tasks, the waiting
and the reconnection. A connection goes over TCP (`open_client(host, port)`), TLS, or any
trio stream (`open_client(connect=...)`: an in-memory stream to a T-Server in the same process,
`cti.server.TServer.connect_in_memory`).
"""

from __future__ import annotations

import logging
import math
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

import trio

from cti.client.connection import (
    ClientConnection,
    Incoming,
    StreamBroken,
    Undecodable,
    check_keepalive_settings,
)
from protocol.enums import RegisterMode
from protocol.messages import (
    PROTOCOL_VERSION,
    Control,
    Event,
    EventError,
    EventRegistered,
    EventServerInfo,
    EventUnregistered,
    KeepAliveProbe,
    Message,
    Request,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestUnregisterAddress,
)
from protocol.values import KVList

__all__ = [
    "DEFAULT_RECONNECT_DELAYS",
    "ConnectionLost",
    "Connector",
    "ReconnectHook",
    "TClient",
    "TServerError",
    "open_client",
]

log = logging.getLogger("ctiemu.client")

#: Seconds to wait before each reconnection attempt; the last one repeats.
DEFAULT_RECONNECT_DELAYS: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0, 5.0)
RECEIVE_SIZE = 65536

E = TypeVar("E", bound=Event)


class TServerError(Exception):
    """The server answered a request with EventError."""

    def __init__(self, event: EventError) -> None:
        super().__init__(f"EventError {event.error_code}: {event.error_message}")
        self.event = event
        self.code = event.error_code


class ConnectionLost(Exception):
    """The connection to the server ended (or the client is closed)."""


#: `on_reconnect` hook: awaited after each reconnection, once the DNs are registered again.
ReconnectHook = Callable[["TClient"], Awaitable[None]]
#: Opens one new stream to the server (each connection and each reconnection calls it).
Connector = Callable[[], Awaitable[trio.abc.Stream]]


@dataclass(eq=False)
class _Pending:
    done: trio.Event
    answer: Message | None = None


class _Connection:
    """One stream and what belongs to it: the sans-IO connection, the send lock, the requests
    waiting for their answers."""

    def __init__(self, stream: trio.abc.Stream, protocol: ClientConnection) -> None:
        self.stream = stream
        self.protocol = protocol
        self.send_lock = trio.Lock()
        self.pending: dict[int, _Pending] = {}
        #: Why it ended; None while it lives.
        self.lost_reason: str | None = None
        #: Cancels the connection's own tasks (reader, keep-alive, reconnect hook).
        self.scope: trio.CancelScope | None = None


class TClient:
    """A client of a T-Server. Create it with `open_client`, which also runs it."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connect: Connector | None = None,
        application_name: str,
        password: str | None = None,
        timeout: float = 10.0,
        keepalive_interval: float | None = 30.0,
        keepalive_timeout: float = 10.0,
        reconnect: bool = False,
        reconnect_delays: Sequence[float] = DEFAULT_RECONNECT_DELAYS,
        on_reconnect: ReconnectHook | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        check_keepalive_settings(keepalive_interval, keepalive_timeout)
        delays = tuple(float(d) for d in reconnect_delays)
        if not delays or any(not d >= 0 for d in delays):
            raise ValueError(f"reconnect_delays must be non-negative and not empty: {delays}")
        self.host = host
        self.port = port
        #: Where the client connects, for messages: HOST:PORT, or "in-memory" with `connect`.
        self.peer = f"{host}:{port}" if connect is None else "in-memory"
        self._connect = connect
        self._ssl_context = ssl_context
        self._application_name = application_name
        self._password = password
        self._timeout = timeout
        self._keepalive_interval = keepalive_interval
        self._keepalive_timeout = keepalive_timeout
        self._reconnect = reconnect
        self._reconnect_delays = delays
        self._on_reconnect = on_reconnect

        self._conn: _Connection | None = None  # the connection requests go to, once handshaken
        self._state_changed = trio.Event()  # set and replaced at each connect/loss/close
        self._closed_reason: str | None = None  # set once the client is done for good
        self._closing = False
        self._events_in, self._events_out = trio.open_memory_channel[Event](math.inf)
        self._registrations: dict[str, RegisterMode] = {}

        #: The server's answer to the latest RegisterClient handshake.
        self.server_info: EventServerInfo | None = None
        #: How many times the client has reconnected after losing its connection.
        self.reconnects = 0
        #: How many KeepAliveProbe the client has sent on its own (not `ping`).
        self.keepalive_probes_sent = 0

    @property
    def stream(self) -> trio.abc.Stream | None:
        """The stream of the current connection (None while not connected)."""
        return None if self._conn is None else self._conn.stream

    # ----------------------------------------------------------------------------------------
    # State

    @property
    def connected(self) -> bool:
        """True while a handshaken connection is up."""
        return self._conn is not None

    @property
    def closed(self) -> bool:
        """True once the client is done for good (closed, or lost without reconnect)."""
        return self._closed_reason is not None

    @property
    def registrations(self) -> dict[str, RegisterMode]:
        """The DNs registered through `register_address` (and not unregistered), with their
        RegisterMode: what a reconnection registers again."""
        return dict(self._registrations)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Return once connected; trio.TooSlowError after `timeout` seconds, ConnectionLost if
        the client is closed or lost its connection without reconnect."""
        with trio.fail_after(timeout):
            await self._current()

    async def _current(self) -> _Connection:
        while True:
            if self._closed_reason is not None:
                raise ConnectionLost(self._closed_reason)
            if self._conn is not None:
                return self._conn
            await self._state_changed.wait()

    def _changed(self) -> None:
        self._state_changed.set()
        self._state_changed = trio.Event()

    # ----------------------------------------------------------------------------------------
    # Requests

    async def request(self, request: Request, *, timeout: float = 10.0) -> Event:
        """Send a request and return the event that answers it (EventError raises TServerError).

        While the client is reconnecting the request waits for the new connection; `timeout`
        bounds the whole (trio.TooSlowError). A request in flight when the connection drops
        raises ConnectionLost.
        """
        answer = await self._exchange(request, timeout)
        assert isinstance(answer, Event), answer
        return answer

    async def ping(self, *, timeout: float = 10.0) -> float:
        """Send KeepAliveProbe; return the seconds until its KeepAliveAnswer arrived."""
        with trio.fail_after(timeout):
            conn = await self._current()
            start = trio.current_time()
            await self._exchange_on(conn, KeepAliveProbe())
            return trio.current_time() - start

    async def send(self, request: Request | Control, *, timeout: float = 10.0) -> None:
        """Send a request without waiting for its answer (waiting up to `timeout` for a
        connection while reconnecting). The message goes as given, ReferenceID included."""
        with trio.fail_after(timeout):
            conn = await self._current()
            await self._send_on(conn, conn.protocol.send_unnumbered(request, trio.current_time()))

    async def register_address(
        self, dn: str, mode: RegisterMode = RegisterMode.Share, *, timeout: float = 10.0
    ) -> EventRegistered:
        """Register DN; it is registered again, in the same mode, after each reconnection."""
        answer = await self.request(
            RequestRegisterAddress(this_dn=dn, register_mode=mode), timeout=timeout
        )
        assert isinstance(answer, EventRegistered), answer
        self._registrations[dn] = mode
        return answer

    async def unregister_address(self, dn: str, *, timeout: float = 10.0) -> EventUnregistered:
        """Unregister DN (RequestUnregisterAddress); a reconnection no longer registers it.
        An EventError answer raises TServerError and leaves the DN registered."""
        answer = await self.request(RequestUnregisterAddress(this_dn=dn), timeout=timeout)
        assert isinstance(answer, EventUnregistered), answer
        self._registrations.pop(dn, None)
        return answer

    async def _exchange(self, message: Request | KeepAliveProbe, timeout: float) -> Message:
        with trio.fail_after(timeout):
            conn = await self._current()
            return await self._exchange_on(conn, message)

    async def _exchange_on(self, conn: _Connection, message: Request | KeepAliveProbe) -> Message:
        """Send on this connection and wait for the answer (the caller bounds the time)."""
        data = conn.protocol.send(message, trio.current_time())
        reference_id = conn.protocol.last_reference_id
        pending = conn.pending[reference_id] = _Pending(trio.Event())
        try:
            await self._send_on(conn, data)
            await pending.done.wait()
        finally:
            conn.pending.pop(reference_id, None)
            conn.protocol.forget(reference_id)
        if pending.answer is None:
            raise ConnectionLost(conn.lost_reason or "connection closed")
        if isinstance(pending.answer, EventError):
            raise TServerError(pending.answer)
        return pending.answer

    async def _send_on(self, conn: _Connection, data: bytes) -> None:
        if conn.lost_reason is not None:
            raise ConnectionLost(conn.lost_reason)
        async with conn.send_lock:
            try:
                await conn.stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                reason = conn.lost_reason or f"connection lost: {exc}"
                self._lose(conn, reason)
                raise ConnectionLost(reason) from exc

    # ----------------------------------------------------------------------------------------
    # Events

    async def events(self) -> AsyncIterator[Event]:
        """Every event from the server, in order, until the client is closed or, without
        reconnect, the connection ends. With reconnect it goes on across reconnections (the
        new handshake's EventServerInfo and EventRegistered arrive on it too).

        Each event goes to one consumer: `events()`, `next_event` and `wait_for` all take from
        the same stream."""
        async for event in self._events_out:
            yield event

    async def next_event(self, *, timeout: float = 10.0) -> Event:
        """The next event, or ConnectionLost once the stream has ended."""
        with trio.fail_after(timeout):
            try:
                return await self._events_out.receive()
            except trio.EndOfChannel:
                raise ConnectionLost(self._closed_reason or "connection closed") from None

    async def wait_for(
        self,
        kind: type[E],
        *,
        this_dn: str | None = None,
        conn_id: int | None = None,
        timeout: float = 10.0,
    ) -> E:
        """Take events from the stream until one of class `kind` (with this ThisDN and ConnID,
        when given) arrives, and return it. The events before it are consumed and dropped: no
        other consumer of `events()` sees them. trio.TooSlowError after `timeout` seconds,
        ConnectionLost when the stream ends."""
        with trio.fail_after(timeout):
            while True:
                event = await self.next_event(timeout=math.inf)
                if not isinstance(event, kind):
                    continue
                if this_dn is not None and getattr(event, "this_dn", None) != this_dn:
                    continue
                if conn_id is not None and getattr(event, "conn_id", None) != conn_id:
                    continue
                return event

    # ----------------------------------------------------------------------------------------
    # Connections

    async def _run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect (failing loudly the first time), then keep reconnecting if asked to."""
        try:
            await self._connection(first=True, task_status=task_status)
            failures = 0
            while self._reconnect and not self._closing:
                delay = self._reconnect_delays[min(failures, len(self._reconnect_delays) - 1)]
                await trio.sleep(delay)
                try:
                    ok = await self._connection(first=False)
                except (OSError, trio.TooSlowError) as exc:
                    log.info("reconnecting to %s: %s", self.peer, exc or repr(exc))
                    ok = False
                except Exception:  # a bug of ours must not end the user's nursery
                    log.exception("reconnecting to %s failed unexpectedly", self.peer)
                    ok = False
                failures = 0 if ok else failures + 1
        finally:
            self._finish("client closed")

    async def _connection(
        self, *, first: bool, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> bool:
        """Open one connection, handshake, and serve it until it is lost. Returns whether the
        handshake succeeded; on the first connection a failure raises instead."""
        stream: trio.abc.Stream
        with trio.fail_after(self._timeout):
            if self._connect is not None:
                stream = await self._connect()
            elif self._ssl_context is None:
                stream = await trio.open_tcp_stream(self.host, self.port)
            else:
                stream = await trio.open_ssl_over_tcp_stream(
                    self.host, self.port, ssl_context=self._ssl_context
                )
        protocol = ClientConnection(
            now=trio.current_time(),
            keepalive_interval=self._keepalive_interval,
            keepalive_timeout=self._keepalive_timeout,
        )
        conn = _Connection(stream, protocol)
        failure: Exception | None = None
        handshaken = False
        try:
            async with trio.open_nursery() as nursery:
                conn.scope = nursery.cancel_scope
                nursery.start_soon(self._read_loop, conn)
                try:
                    info = await self._handshake(conn, first)
                except (ConnectionLost, TServerError, trio.TooSlowError) as exc:
                    failure = exc
                    self._lose(conn, f"handshake failed: {exc or repr(exc)}")
                else:
                    handshaken = True
                    self.server_info = info
                    self._conn = conn
                    self._changed()
                    if self._keepalive_interval is not None:
                        nursery.start_soon(self._keepalive_loop, conn)
                    if first:
                        task_status.started()
                    else:
                        self.reconnects += 1
                        log.info("reconnected to %s", self.peer)
                        if self._on_reconnect is not None:
                            nursery.start_soon(self._run_hook, self._on_reconnect)
                    await trio.sleep_forever()  # until _lose cancels the connection's scope
        finally:
            self._lose(conn, conn.lost_reason or "client closed")
            await trio.aclose_forcefully(stream)
        if first and not handshaken:
            raise failure or ConnectionLost(conn.lost_reason or "connection closed")
        if not handshaken:
            log.info("reconnecting to %s: %s", self.peer, conn.lost_reason)
        return handshaken

    async def _handshake(self, conn: _Connection, first: bool) -> EventServerInfo:
        with trio.fail_after(self._timeout):
            info = await self._exchange_on(
                conn,
                RequestRegisterClient(
                    protocol_version=f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
                    application_name=self._application_name,
                    application_password=self._password,
                    # we answer the server's probes: it may probe us (docs/tserver.md)
                    extensions=KVList([("keepalive", 1)]),
                ),
            )
        if not isinstance(info, EventServerInfo):
            raise ConnectionLost(f"server answered RegisterClient with {type(info).__name__}")
        if not first:
            for dn, mode in list(self._registrations.items()):
                try:
                    with trio.fail_after(self._timeout):
                        await self._exchange_on(
                            conn, RequestRegisterAddress(this_dn=dn, register_mode=mode)
                        )
                except TServerError as exc:
                    log.warning("registering %s (%s) again after reconnect: %s", dn, mode.name, exc)
        return info

    async def _run_hook(self, hook: ReconnectHook) -> None:
        try:
            await hook(self)
        except (ConnectionLost, TServerError, trio.TooSlowError) as exc:
            log.warning("on_reconnect hook failed: %s", exc or repr(exc))
        except Exception:
            log.exception("on_reconnect hook raised")

    async def _keepalive_loop(self, conn: _Connection) -> None:
        """Wake at the connection's keep-alive deadline: send the probe it asks for, or give
        the connection up when the probe went unanswered."""
        protocol = conn.protocol
        while (deadline := protocol.keepalive_deadline()) is not None:
            await trio.sleep_until(deadline)
            data = protocol.handle_timer(trio.current_time())
            if protocol.lost_reason is not None:
                self._lose(conn, protocol.lost_reason)
                return
            if data:
                self.keepalive_probes_sent += 1
                try:
                    await self._send_on(conn, data)
                except ConnectionLost:
                    return

    async def _read_loop(self, conn: _Connection) -> None:
        reason = "server closed the connection"
        try:
            while True:
                try:
                    data = await conn.stream.receive_some(RECEIVE_SIZE)
                except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                    reason = f"connection lost: {exc}"
                    return
                if not data:
                    return
                received = conn.protocol.receive_data(bytes(data), trio.current_time())
                problem = self._handle(conn, received)
                if problem is not None:
                    reason = problem
                    return
                reply = conn.protocol.data_to_send()  # answers to the server's probes
                if reply:
                    try:
                        await self._send_on(conn, reply)
                    except ConnectionLost as exc:
                        reason = str(exc)
                        return
        except trio.Cancelled:
            if conn.lost_reason is None:  # cancelled from outside: the client's user left
                self._closing = True
                reason = "client closed"
            raise
        finally:
            self._lose(conn, conn.lost_reason or reason)

    def _handle(
        self, conn: _Connection, received: list[Incoming | Undecodable | StreamBroken]
    ) -> str | None:
        """Hand out what arrived; a reason to close the connection, or None."""
        for item in received:
            if not isinstance(item, Incoming):
                return item.reason
            message = item.message
            if item.answers is not None:
                pending = conn.pending.get(item.answers)
                if pending is not None and pending.answer is None:
                    pending.answer = message
                    pending.done.set()
            if isinstance(message, Event) and self._closed_reason is None:
                self._events_in.send_nowait(message)
        return None

    def _lose(self, conn: _Connection, reason: str) -> None:
        """The connection is over (idempotent): fail its requests, stop its tasks, and either
        wait for a reconnection or end the client."""
        if conn.lost_reason is not None:
            return
        conn.lost_reason = reason
        for pending in conn.pending.values():
            pending.done.set()
        if conn.scope is not None:
            conn.scope.cancel()
        conn.protocol.lose(reason)
        if self._conn is conn:
            self._conn = None
            if not self._closing:
                log.warning(
                    "connection to %s lost: %s%s",
                    self.peer,
                    reason,
                    "; reconnecting" if self._reconnect else "",
                )
        if not self._reconnect:
            self._finish(reason)
        self._changed()

    def _finish(self, reason: str) -> None:
        """The client is done for good: end the event stream, wake every waiter."""
        if self._closed_reason is not None:
            return
        self._closed_reason = reason
        self._events_in.close()
        self._changed()

    def _close(self) -> None:
        self._closing = True
        self._finish("client closed")
        if self._conn is not None:
            self._lose(self._conn, "client closed")


@asynccontextmanager
async def open_client(
    host: str = "",
    port: int = 0,
    *,
    connect: Connector | None = None,
    application_name: str,
    password: str | None = None,
    timeout: float = 10.0,
    keepalive_interval: float | None = 30.0,
    keepalive_timeout: float = 10.0,
    reconnect: bool = False,
    reconnect_delays: Sequence[float] = DEFAULT_RECONNECT_DELAYS,
    on_reconnect: ReconnectHook | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[TClient]:
    """Connect, perform the RegisterClient handshake, and yield a ready TClient. With
    `ssl_context`, the connection is TLS (the server's `tls_certificate`).

    The first connection must succeed (OSError, trio.TooSlowError, TServerError or
    ConnectionLost otherwise), with or without `reconnect`. `keepalive_interval=None` turns
    the client's own keep-alive probing off. Leaving the block closes the client.

    `connect`, instead of host and port, opens each connection's stream itself: e.g. an
    in-memory stream to a T-Server in the same process (`TServer.connect_in_memory`).
    """
    if connect is None and not host:
        raise ValueError("open_client needs host and port, or connect")
    client = TClient(
        host,
        port,
        connect=connect,
        application_name=application_name,
        password=password,
        timeout=timeout,
        keepalive_interval=keepalive_interval,
        keepalive_timeout=keepalive_timeout,
        reconnect=reconnect,
        reconnect_delays=reconnect_delays,
        on_reconnect=on_reconnect,
        ssl_context=ssl_context,
    )
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(client._run)
            try:
                yield client
            finally:
                client._close()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # The background tasks only end quietly, so a group holds the caller's own exception
        # (or the first connection's failure): give it back as it was raised, not wrapped.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
