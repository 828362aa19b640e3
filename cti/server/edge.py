"""The trio edge of the T-Server: accept connections, move bytes, ring writers.

Thin by design (like trio-websocket's server): one nursery per connection with a reader that
feeds the sans-IO core and a writer that sends everything pending for the session in one write.
All behaviour lives in cti.server.core; the edge adds the timer task (switch timers, driver
reports), the keep-alive sweep, optional TLS, and the immediate cancellation of a connection the
core aborts (a slow reader, a client that stopped answering keep-alives).

One clock: the server's time is trio's clock plus a wall-clock epoch (`TServer.now()`), and
its timer task sleeps on trio's clock until the core's next deadline. So a whole server, its
simulated network and in-process clients run unchanged under
`trio.testing.MockClock(autojump_threshold=0)`, an hour of traffic in seconds; with `epoch`
given (not read from the wall clock) such a run is the same, byte for byte, every time.
Clients in the same process connect over an in-memory stream (`connect_in_memory`) to a
server that `run`s without listening, or that also `serve`s TCP.
"""

from __future__ import annotations

import logging
import math
import socket
import ssl
import time

import trio
import trio.testing

from cti.capture.pcap import C2S, S2C, PcapWriter
from cti.server.core import Session, TServerCore

log = logging.getLogger("ctiemu.server")

#: Requests (and bytes of them) handled for one connection before the others get their turn:
#: a burst from one client, of many small frames or a few large ones, waits behind nobody's
#: requests but its own.
FRAMES_PER_TURN = 32
BYTES_PER_TURN = 65536
#: How long a session the server is closing may take to receive its last frames.
CLOSE_FLUSH_SECONDS = 5.0
RECEIVE_SIZE = 65536
#: Reads are this small until the connection has registered: with handshake_frame_size, what a
#: connection that never registers can make the server hold.
RECEIVE_SIZE_BEFORE_HANDSHAKE = 4096


class _Doorbell:
    """Wakes a session's writer; ringing twice before it wakes is one ring."""

    def __init__(self) -> None:
        self._event = trio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()
        self._event = trio.Event()


def server_ssl_context(certificate: str, private_key: str) -> ssl.SSLContext | None:
    """The TLS context for [server] tls_certificate / tls_private_key (None: plain TCP).
    Raises OSError (ssl.SSLError included) when the files cannot be used."""
    if not certificate:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, private_key)
    return context


class TServer:
    """Serves a TServerCore over TCP (or TLS), and over in-memory streams to clients in the
    same process. Everything reaches the core through a connection: simulation control too."""

    def __init__(
        self,
        core: TServerCore,
        *,
        epoch: float | None = None,
        ssl_context: ssl.SSLContext | None = None,
        capture: PcapWriter | None = None,
    ) -> None:
        self.core = core
        #: Unix time at which trio's clock reads 0: `now()` is this plus trio.current_time().
        #: None: read from the wall clock the first time the server needs the time.
        self.epoch = epoch
        self.ssl_context = ssl_context
        #: Records every session (`ctiemu serve --capture`): what the reader received, what
        #: the writer sent (decrypted, under TLS), between the peer and the listening socket.
        self.capture = capture
        self._captured: dict[int, int] = {}  # session id -> capture connection
        self._bells: dict[int, _Doorbell] = {}
        self._scopes: dict[int, trio.CancelScope] = {}
        #: Rung after each request: it may have started or stopped a switch timer.
        self._timers_changed = _Doorbell()
        #: Where in-memory connections are served (set while `run` runs).
        self._nursery: trio.Nursery | None = None

    def now(self) -> float:
        """The server's time, in Unix seconds: trio's clock plus the epoch. Everything the
        server does with time (the core's timestamps and deadlines, the capture) uses it."""
        if self.epoch is None:
            self.epoch = time.time() - trio.current_time()
        return self.epoch + trio.current_time()

    async def serve(
        self,
        host: str,
        port: int,
        *,
        task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on host:port (port 0 picks one) until cancelled."""
        listeners = await trio.open_tcp_listeners(port, host=host)
        for listener in listeners:
            log.info(
                "listening on %s:%d%s",
                *listener.socket.getsockname()[:2],
                " (TLS)" if self.ssl_context else "",
            )
        serving: list[trio.abc.Listener[trio.abc.Stream]] = list(listeners)
        if self.ssl_context is not None:
            serving = [trio.SSLListener(lst, self.ssl_context) for lst in listeners]
        async with trio.open_nursery() as nursery:
            await nursery.start(self.run)
            task_status.started(listeners)
            await trio.serve_listeners(self.handle_stream, serving)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run the server's own tasks (timers, keep-alive sweep) and serve in-memory
        connections, until cancelled; `serve` runs it too."""
        self.now()  # fix the epoch now, if it is to come from the wall clock
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.run_timers)
            nursery.start_soon(self.run_sweep)
            self._nursery = nursery
            try:
                task_status.started()
                await trio.sleep_forever()
            finally:
                self._nursery = None

    async def connect_in_memory(self) -> trio.abc.Stream:
        """A new client connection over an in-memory stream (no socket): the client's end.
        The server serves the other end as it serves TCP connections. Needs `run` (or
        `serve`) running; a `cti.client.Connector`, for `open_client(connect=...)`."""
        if self._nursery is None:
            raise RuntimeError("the server is not running (start TServer.run or serve first)")
        client_end, server_end = trio.testing.memory_stream_pair()
        self._nursery.start_soon(self.handle_stream, server_end)
        return client_end

    async def run_sweep(self) -> None:
        """About once a second: probe silent clients and drop those that stopped answering,
        and close connections that did not register in time or left a frame unfinished."""
        settings = self.core.settings
        periods = [1.0]
        if settings.keepalive_interval > 0:
            periods += [settings.keepalive_interval / 4, settings.keepalive_timeout / 4]
        periods += [
            t / 4 for t in (settings.handshake_timeout, settings.unfinished_frame_timeout) if t
        ]
        period = min(periods)
        while True:
            await trio.sleep(period)
            self._ring(self.core.sweep(self.now()))

    async def run_timers(self) -> None:
        """Fire the switch's timers when they fall due (ring-no-answer, routing timeouts,
        after-call work) and deliver what they cause."""
        while True:
            deadline = self.core.next_deadline()
            self.now()  # the epoch is known from here on
            assert self.epoch is not None
            with trio.move_on_at(math.inf if deadline is None else deadline - self.epoch):
                await self._timers_changed.wait()
                continue  # a request changed the timers: look again
            assert deadline is not None
            # at the deadline: epoch + trio time may round to a hair before it, and a clock
            # that only jumps (MockClock) would then never pass it
            self._ring(self.core.advance(max(self.now(), deadline)))

    def _ring(self, sessions: set[Session]) -> None:
        for session in sessions:
            if session.aborted:
                scope = self._scopes.get(session.id)
                if scope is not None:
                    scope.cancel()
                continue
            bell = self._bells.get(session.id)
            if bell is not None:
                bell.ring()

    async def handle_stream(self, stream: trio.abc.Stream) -> None:
        """Serve one client connection until either side closes it."""
        raw = stream.transport_stream if isinstance(stream, trio.SSLStream) else stream
        try:
            assert isinstance(raw, trio.SocketStream)
            host, port = raw.socket.getpeername()[:2]
            peer = f"{host}:{port}"
            # a peer that vanished without a word is found by the OS too (clients that do
            # not speak our keep-alive are never probed by us)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        except (OSError, AssertionError):
            peer = "in-memory" if isinstance(raw, trio.StapledStream) else "?"
        session = self.core.open_session(peer, self.now())
        if self.capture is not None:
            self._capture_open(session, raw)
        bell = self._bells[session.id] = _Doorbell()
        log.info("session %d: connected from %s", session.id, peer)
        reason = "client closed the connection"
        try:
            async with trio.open_nursery() as nursery:
                self._scopes[session.id] = nursery.cancel_scope
                nursery.start_soon(self._write_loop, stream, session, bell, nursery.cancel_scope)
                reason = await self._read_loop(stream, session)
                if session.closing and not session.aborted:
                    bell.ring()  # let the writer flush the last frames, then it returns
                    nursery.cancel_scope.deadline = trio.current_time() + CLOSE_FLUSH_SECONDS
                else:
                    nursery.cancel_scope.cancel()
        finally:
            self._scopes.pop(session.id, None)
            del self._bells[session.id]
            conn = self._captured.pop(session.id, None)
            if self.capture is not None and conn is not None:
                by = C2S if reason == "client closed the connection" else S2C
                self.capture.close(conn, self.now(), by=by)
            self._ring(self.core.close_session(session, self.now()))
            self._timers_changed.ring()
            await trio.aclose_forcefully(stream)
            log.info("session %d: closed (%s)", session.id, session.close_reason or reason)

    def _capture_open(self, session: Session, raw: trio.abc.Stream) -> None:
        assert self.capture is not None
        try:
            assert isinstance(raw, trio.SocketStream)
            peer, local = raw.socket.getpeername(), raw.socket.getsockname()
        except (OSError, AssertionError):
            return  # not a socket: nothing to record it as
        self._captured[session.id] = self.capture.open(
            (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1])), self.now()
        )

    async def _read_loop(self, stream: trio.abc.Stream, session: Session) -> str:
        while not session.closing:
            try:
                registered = session.application_name is not None
                data = await stream.receive_some(
                    RECEIVE_SIZE if registered else RECEIVE_SIZE_BEFORE_HANDSHAKE
                )
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                return f"connection lost: {exc}"
            if not data:
                return "client closed the connection"
            if self.capture is not None and session.id in self._captured:
                self.capture.data(self._captured[session.id], C2S, bytes(data), self.now())
            self._ring(
                self.core.receive_data(
                    session,
                    bytes(data),
                    self.now(),
                    max_frames=FRAMES_PER_TURN,
                    max_bytes=BYTES_PER_TURN,
                )
            )
            while session.more_input and not session.closing:
                # a burst: let every other connection have its turn before the next one
                self._timers_changed.ring()
                await trio.lowlevel.checkpoint()
                self._ring(
                    self.core.resume(
                        session, self.now(), max_frames=FRAMES_PER_TURN, max_bytes=BYTES_PER_TURN
                    )
                )
            self._timers_changed.ring()
        return session.close_reason

    async def _write_loop(
        self,
        stream: trio.abc.Stream,
        session: Session,
        bell: _Doorbell,
        connection_scope: trio.CancelScope,
    ) -> None:
        while True:
            await bell.wait()
            data = session.take_output()
            if data:
                if self.capture is not None and session.id in self._captured:
                    self.capture.data(self._captured[session.id], S2C, data, self.now())
                try:
                    await stream.send_all(data)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    connection_scope.cancel()
                    return
            if session.closing and not session.has_output:
                connection_scope.cancel()
                return
