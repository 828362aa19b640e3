"""Servers for client tests: the real T-Server on a chosen port that a test can stop and start
again on the same port, and fake servers that handshake and then misbehave as told.

Loopback only, port 0 unless a test restarts a server on the port it got before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

import trio

from cti.server.build import run_server
from cti.server.config import Config, default_config
from protocol.codec import decode, encode
from protocol.framer import Framer
from protocol.messages import (
    PROTOCOL_VERSION,
    EventServerInfo,
    Message,
    RequestRegisterClient,
)


@dataclass
class RunningServer:
    """A real T-Server running in the test's nursery."""

    port: int
    scope: trio.CancelScope
    stopped: trio.Event

    async def stop(self) -> None:
        """Stop it (its clients see the connection close) and wait until the port is free."""
        self.scope.cancel()
        await self.stopped.wait()


async def start_server(
    nursery: trio.Nursery, port: int = 0, config: Config | None = None
) -> RunningServer:
    """Start the real T-Server on 127.0.0.1:port (0: any) with `config` (default: embedded)."""
    config = config or default_config()
    config = replace(config, server=replace(config.server, host="127.0.0.1", port=port))
    scope = trio.CancelScope()
    stopped = trio.Event()

    async def run(*, task_status: trio.TaskStatus[list[trio.SocketListener]]) -> None:
        try:
            with scope:
                await run_server(config, task_status=task_status)
        finally:
            stopped.set()

    listeners: list[trio.SocketListener] = await nursery.start(run)
    return RunningServer(listeners[0].socket.getsockname()[1], scope, stopped)


async def read_message(stream: trio.SocketStream, framer: Framer) -> Message | None:
    """The next message from a client, or None when it closes."""
    while True:
        frame = framer.next_frame()
        if frame is not None:
            return decode(frame)
        data = await stream.receive_some(65536)
        if not data:
            return None
        framer.receive_data(bytes(data))


#: What a fake server does after the handshake: (stream, framer, record of what it received).
Behaviour = Callable[[trio.SocketStream, Framer, "FakeServer"], Awaitable[None]]


@dataclass
class FakeServer:
    port: int = 0
    connections: int = 0
    received: list[Message] = field(default_factory=list)


async def start_fake_server(nursery: trio.Nursery, behaviour: Behaviour) -> FakeServer:
    """A listener on 127.0.0.1 port 0 that answers RegisterClient with EventServerInfo, then
    hands each connection to `behaviour`."""
    fake = FakeServer()
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    fake.port = listeners[0].socket.getsockname()[1]

    async def handle(stream: trio.SocketStream) -> None:
        fake.connections += 1
        framer = Framer()
        try:
            hello = await read_message(stream, framer)
            assert isinstance(hello, RequestRegisterClient), hello
            info = EventServerInfo(
                reference_id=hello.reference_id,
                protocol_version=f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
                server_version="fake",
                server_capability_mask=b"\x00" * 8,
            )
            await stream.send_all(encode(info))
            await behaviour(stream, framer, fake)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await trio.aclose_forcefully(stream)

    await nursery.start(trio.serve_listeners, handle, listeners)
    return fake


async def silent(stream: trio.SocketStream, framer: Framer, fake: FakeServer) -> None:
    """Read and record everything, answer nothing."""
    while (message := await read_message(stream, framer)) is not None:
        fake.received.append(message)
