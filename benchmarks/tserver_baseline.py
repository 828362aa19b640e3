"""Baseline for benchmarks/tserver.py: a bare trio server that pushes pre-encoded event frames to
every connected client with the T-Server's batching policy, and nothing else (no requests, no
switch, no per-event encoding, no registrations).

The frames are the six events of one real basic call (EventDialing, EventRinging, two
EventEstablished, two EventReleased) taken once from the pure switch, stamped and encoded once
with protocol.codec.encode: the same sizes the T-Server sends in the benchmark. While running
(a client sent b"G"; b"P" pauses), a generator task makes "calls" as fast as it can: each call
appends its six frames to every connection's pending list and rings that connection's writer,
then checkpoints. Each connection's one writer task, when rung, sends all
its pending frames in one send_all (cti/server/edge.py's policy). A bound on the bytes pending over
all connections holds the generator back when clients fall behind, so memory stays flat.

    python benchmarks/tserver_baseline.py [--host 127.0.0.1] [--port 0]

Prints "port P" on stdout once listening, then serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol.codec import encode
from protocol.messages import CallEvent, Event
from switch.config import SwitchConfig
from switch.pbx import Switch

#: The generator waits while more than this many bytes per connection are pending in total.
PENDING_BYTES_PER_CONNECTION = 16 * 1024


def call_frames() -> list[bytes]:
    """The encoded events of one answered and released basic call 3000 -> 3001, stamped as the
    T-Server stamps them (sequence number and time set)."""
    switch = Switch(SwitchConfig(extensions=("3000", "3001")), id_seed=1_763_777_000)
    events: list[Event] = switch.make_call("3000", "3001", now=1.0)
    dialing = events[0]
    assert isinstance(dialing, CallEvent), dialing
    conn = dialing.conn_id
    events += switch.answer_call("3001", conn, now=1.0)
    events += switch.release_call("3000", conn, now=1.0)
    return [
        encode(
            dataclasses.replace(
                event,
                event_sequence_number=1_000_000 + i,
                time_in_secs=1_763_777_000,
                time_in_usecs=512_345,
            )
        )
        for i, event in enumerate(events)
    ]


class _Connection:
    """One client: its pending frames and its writer's doorbell."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.bell = trio.Event()


class BaselineServer:
    """Pushes calls' frames to every connected client while running (see the module doc)."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames
        self.call_bytes = sum(map(len, frames))
        self.connections: list[_Connection] = []
        self.running = trio.Event()
        self.pending_bytes = 0
        self.drained = trio.Event()

    @property
    def limit(self) -> int:
        return PENDING_BYTES_PER_CONNECTION * max(1, len(self.connections))

    async def handle(self, stream: trio.SocketStream) -> None:
        conn = _Connection()
        self.connections.append(conn)
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._read_controls, stream, nursery.cancel_scope)
                await self._write_loop(stream, conn)
                nursery.cancel_scope.cancel()
        finally:
            self.connections.remove(conn)
            self.pending_bytes -= sum(map(len, conn.pending))
            self.drained.set()
            await trio.aclose_forcefully(stream)

    async def _read_controls(self, stream: trio.SocketStream, scope: trio.CancelScope) -> None:
        """b"G" starts the calls, b"P" pauses them; the end of the stream ends the connection."""
        try:
            while data := await stream.receive_some(4096):
                for byte in data:
                    if byte == ord("G"):
                        self.running.set()
                    elif byte == ord("P"):
                        self.running = trio.Event()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        scope.cancel()

    async def _write_loop(self, stream: trio.SocketStream, conn: _Connection) -> None:
        try:
            while True:
                await conn.bell.wait()
                conn.bell = trio.Event()
                data = b"".join(conn.pending)
                conn.pending.clear()
                self.pending_bytes -= len(data)
                if self.pending_bytes < self.limit // 2:
                    self.drained.set()
                await stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def generate(self) -> None:
        frames = self.frames
        while True:
            if not self.running.is_set():
                await self.running.wait()
            connections = self.connections
            for conn in connections:
                conn.pending += frames
                conn.bell.set()
            self.pending_bytes += self.call_bytes * len(connections)
            if self.pending_bytes > self.limit:
                self.drained = trio.Event()
                await self.drained.wait()
            else:
                await trio.lowlevel.checkpoint()


async def serve(host: str, port: int) -> None:
    server = BaselineServer(call_frames())
    listeners = await trio.open_tcp_listeners(port, host=host)
    print(f"port {listeners[0].socket.getsockname()[1]}", flush=True)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.generate)
        await trio.serve_listeners(server.handle, listeners)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        trio.run(serve, args.host, args.port)


if __name__ == "__main__":
    main()
