"""`ctiemu capture --listen HOST:PORT --server HOST:PORT -o FILE.pcap`: a recording tap.

A transparent TCP proxy on trio: each connection accepted on the listen address opens one to
the server, bytes are copied both ways unchanged, and every chunk is also written to the pcap
through protocol.pcap.PcapWriter, time-stamped with time.time() when the tap received it.

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

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import trio

from protocol.pcap import C2S, S2C, Endpoint, PcapWriter

log = logging.getLogger("ctiemu.capture")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
RECEIVE_SIZE = 65536


def parse_address(text: str) -> Endpoint:
    """HOST:PORT (or [V6HOST]:PORT), port 0 allowed."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def add_parsers(commands: Any) -> None:
    """Add `capture` to the ctiemu command line."""
    sub = commands.add_parser(
        "capture", help="a transparent proxy in front of a T-Server that records a pcap"
    )
    sub.add_argument(
        "--listen",
        type=parse_address,
        default=("127.0.0.1", 7001),
        metavar="HOST:PORT",
        help="where clients connect (default 127.0.0.1:7001; port 0 picks one)",
    )
    sub.add_argument(
        "--server",
        type=parse_address,
        default=("127.0.0.1", 7000),
        metavar="HOST:PORT",
        help="the T-Server to forward to (default 127.0.0.1:7000)",
    )
    sub.add_argument("-o", "--output", required=True, metavar="FILE", help="pcap file to write")


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


async def _main(args: argparse.Namespace, writer: PcapWriter) -> None:
    tap = Tap(args.server, writer)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(tap.serve, args.listen)
        host, port = _endpoint(listeners[0].socket.getsockname())
        print(
            f"ctiemu capture: listening on {host}:{port}, forwarding to "
            f"{args.server[0]}:{args.server[1]}, writing {args.output}",
            file=sys.stderr,
            flush=True,
        )
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                break
        nursery.cancel_scope.cancel()
    print(
        f"ctiemu capture: {tap.connections} connections, {tap.bytes[C2S]} bytes from clients, "
        f"{tap.bytes[S2C]} bytes from the server, written to {args.output}",
        file=sys.stderr,
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    try:
        file = open(args.output, "wb")  # noqa: SIM115  (closed below, after trio.run)
    except OSError as exc:
        print(f"ctiemu: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    with file:
        writer = PcapWriter(file)
        try:
            trio.run(_main, args, writer)
        except OSError as exc:
            host, port = args.listen
            print(f"ctiemu: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        finally:
            writer.close_all(time.time())
    return EXIT_OK
