"""Baseline for benchmarks/tserver.py: a bare trio server that pushes pre-encoded event frames to
every connected client with the T-Server's batching policy, and nothing else (no requests, no
switch, no per-event encoding, no registrations).

The frames are the six events of one real basic call (EventDialing, EventRinging, two
EventEstablished, two EventReleased) taken once from the pure switch, stamped and encoded once
with protocol.codec.encode: the same sizes the T-Server sends in the benchmark. Once the
expected number of clients has connected, a generator task makes "calls" as fast as it can:
each call appends its six frames to every connection's pending list and rings that
connection's writer, then checkpoints. Each connection's one writer task, when rung, sends all
its pending frames in one send_all (cti/server.py's policy). A bound on the bytes pending over
all connections holds the generator back when clients fall behind, so memory stays flat.

    python benchmarks/tserver_baseline.py --connections N [--host 127.0.0.1] [--port 0]

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
PENDING_BYTES_PER_CONNECTION = 64 * 1024


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
    """Accepts `connections` clients, then pushes calls' frames to all of them until killed."""

    def __init__(self, connections: int, frames: list[bytes]) -> None:
        self.expected = connections
        self.frames = frames
        self.call_bytes = sum(map(len, frames))
        self.connections: list[_Connection] = []
        self.all_connected = trio.Event()
        self.pending_bytes = 0
        self.limit = PENDING_BYTES_PER_CONNECTION * connections
        self.drained = trio.Event()

    async def handle(self, stream: trio.SocketStream) -> None:
        conn = _Connection()
        self.connections.append(conn)
        if len(self.connections) >= self.expected:
            self.all_connected.set()
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
        finally:
            self.connections.remove(conn)
            self.pending_bytes -= sum(map(len, conn.pending))
            self.drained.set()
            await trio.aclose_forcefully(stream)

    async def generate(self) -> None:
        await self.all_connected.wait()
        frames = self.frames
        while True:
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


async def serve(host: str, port: int, connections: int) -> None:
    server = BaselineServer(connections, call_frames())
    listeners = await trio.open_tcp_listeners(port, host=host)
    print(f"port {listeners[0].socket.getsockname()[1]}", flush=True)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.generate)
        await trio.serve_listeners(server.handle, listeners)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        trio.run(serve, args.host, args.port, args.connections)


if __name__ == "__main__":
    main()
