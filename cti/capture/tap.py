"""The recording tap behind `ctiemu capture --listen HOST:PORT --server HOST:PORT -o FILE.pcap`
(the command itself is cti.cli.capture).

A transparent TCP proxy on trio: each connection accepted on the listen address opens one to
the server, bytes are copied both ways unchanged, and every chunk is also written to the pcap
through cti.capture.pcap.PcapWriter, time-stamped with time.time() when the tap received it.

Addresses in the capture: the client is the real client (the peer of the accepted connection),
the server is the real server (the peer of the tap's own connection to it), so the capture reads
as if the client had talked to the server directly and `ctiemu decode --port` takes the
server's port. The tap's own two sockets do not appear. An end of stream from one side is
passed on as a half-close (and written as that side's FIN); a reset ends both.

The pcap is written from the trio thread (a small write and flush per chunk), which is fine
for a tap in front of one T-Server. SIGINT / SIGTERM end the capture cleanly: open connections
are closed in the file (FIN both ways) and the file is closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import trio

from cti.capture.pcap import C2S, S2C, Endpoint, PcapWriter

log = logging.getLogger("ctiemu.capture")

RECEIVE_SIZE = 65536


class Tap:
    """Forwards connections to `server` and records them with `writer`."""

    def __init__(
        self, server: Endpoint, writer: PcapWriter, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.server = server
        self.writer = writer
        self.clock = clock
        self.connections = 0
        self.bytes = {C2S: 0, S2C: 0}

    async def serve(
        self,
        listen: Endpoint,
        *,
        task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Listen on `listen` until cancelled."""
        listeners = await trio.open_tcp_listeners(listen[1], host=listen[0])
        task_status.started(listeners)
        await trio.serve_listeners(self.handle, listeners)

    async def handle(self, client: trio.SocketStream) -> None:
        """Proxy and record one client connection."""
        client_address = _endpoint(client.socket.getpeername())
        try:
            upstream = await trio.open_tcp_stream(*self.server)
        except OSError as exc:
            log.warning("%s: cannot reach the server %s:%d: %s", client_address, *self.server, exc)
            await trio.aclose_forcefully(client)
            return
        self.connections += 1
        conn = self.writer.open(
            client_address, _endpoint(upstream.socket.getpeername()), self.clock()
        )
        ended: list[str] = []
        try:
            async with trio.open_nursery() as nursery:
                scope = nursery.cancel_scope
                for source, sink, direction in ((client, upstream, C2S), (upstream, client, S2C)):
                    nursery.start_soon(
                        partial(
                            self._pump, source, sink, direction, conn=conn, ended=ended, scope=scope
                        )
                    )
        finally:
            self.writer.close(conn, self.clock(), by=ended[0] if ended else C2S)
            await trio.aclose_forcefully(upstream)
            await trio.aclose_forcefully(client)

    async def _pump(
        self,
        source: trio.SocketStream,
        sink: trio.SocketStream,
        direction: str,
        *,
        conn: int,
        ended: list[str],
        scope: trio.CancelScope,
    ) -> None:
        try:
            while data := await source.receive_some(RECEIVE_SIZE):
                self.writer.data(conn, direction, bytes(data), self.clock())
                self.bytes[direction] += len(data)
                await sink.send_all(data)
            ended.append(direction)
            self.writer.shutdown(conn, direction, self.clock())
            await sink.send_eof()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            ended.append(direction)
            scope.cancel()


def _endpoint(sockname: Any) -> Endpoint:
    return str(sockname[0]), int(sockname[1])
