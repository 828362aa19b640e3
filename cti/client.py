"""The trio client library: connect, register, send requests and await their answers, iterate
events.

    async with open_client("127.0.0.1", 7000, application_name="desk") as client:
        await client.register_address("1001")
        ringing = await client.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
        async for event in client.events():
            ...

`request` numbers the request with the next ReferenceID, sends it and returns the event that
carries that ReferenceID back; an EventError answer raises TServerError. Every event,
answers included, is also delivered in order to `events()`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio

from protocol.codec import decode, encode
from protocol.enums import RegisterMode
from protocol.errors import ProtocolError
from protocol.framer import Framer
from protocol.messages import (
    PROTOCOL_VERSION,
    Control,
    Event,
    EventError,
    EventRegistered,
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    Message,
    Request,
    RequestRegisterAddress,
    RequestRegisterClient,
)


class TServerError(Exception):
    """The server answered a request with EventError."""

    def __init__(self, event: EventError) -> None:
        super().__init__(f"EventError {event.error_code}: {event.error_message}")
        self.event = event
        self.code = event.error_code


class ConnectionLost(Exception):
    """The connection to the server ended."""


@dataclass(eq=False)
class _Pending:
    done: trio.Event
    answer: Message | None = None


class TClient:
    """A connection to a T-Server. Create it with `open_client`."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self._stream = stream
        self._framer = Framer()
        self._send_lock = trio.Lock()
        self._next_reference = 1
        self._pending: dict[int, _Pending] = {}
        self._events_in, self._events_out = trio.open_memory_channel[Event](math.inf)
        self._closed_reason: str | None = None
        self.server_info: EventServerInfo | None = None

    async def request(self, request: Request, *, timeout: float = 10.0) -> Event:
        """Send a request and return the event that answers it (EventError raises)."""
        answer = await self._exchange(request, timeout)
        assert isinstance(answer, Event), answer
        return answer

    async def ping(self, *, timeout: float = 10.0) -> float:
        """Send KeepAliveProbe; return the seconds until its KeepAliveAnswer arrived."""
        start = trio.current_time()
        await self._exchange(KeepAliveProbe(), timeout)
        return trio.current_time() - start

    async def _exchange(self, request: Request | KeepAliveProbe, timeout: float) -> Message:
        if self._closed_reason is not None:
            raise ConnectionLost(self._closed_reason)
        reference_id = self._next_reference
        self._next_reference += 1
        pending = self._pending[reference_id] = _Pending(trio.Event())
        try:
            await self.send(dataclasses.replace(request, reference_id=reference_id))
            with trio.fail_after(timeout):
                await pending.done.wait()
        finally:
            self._pending.pop(reference_id, None)
        if pending.answer is None:
            raise ConnectionLost(self._closed_reason or "connection closed")
        if isinstance(pending.answer, EventError):
            raise TServerError(pending.answer)
        return pending.answer

    async def send(self, request: Request | Control) -> None:
        """Send a request without waiting for its answer."""
        data = encode(request)
        async with self._send_lock:
            try:
                await self._stream.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                raise ConnectionLost(str(exc)) from exc

    async def register_address(
        self, dn: str, mode: RegisterMode = RegisterMode.Share
    ) -> EventRegistered:
        answer = await self.request(RequestRegisterAddress(this_dn=dn, register_mode=mode))
        assert isinstance(answer, EventRegistered), answer
        return answer

    async def events(self) -> AsyncIterator[Event]:
        """Every event from the server, in order, until the connection ends."""
        async for event in self._events_out:
            yield event

    async def next_event(self, *, timeout: float = 10.0) -> Event:
        """The next event, or ConnectionLost."""
        with trio.fail_after(timeout):
            try:
                return await self._events_out.receive()
            except trio.EndOfChannel:
                raise ConnectionLost(self._closed_reason or "connection closed") from None

    async def _read_loop(self) -> None:
        reason = "server closed the connection"
        try:
            while True:
                try:
                    data = await self._stream.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
                    reason = f"connection lost: {exc}"
                    break
                if not data:
                    break
                self._framer.receive_data(bytes(data))
                try:
                    for frame in self._framer.frames():
                        message = decode(frame)
                        if isinstance(message, KeepAliveProbe):
                            answer = KeepAliveAnswer(reference_id=message.reference_id)
                            try:
                                await self.send(answer)
                            except ConnectionLost as exc:
                                reason = f"connection lost: {exc}"
                                return
                        elif isinstance(message, Event | KeepAliveAnswer):
                            self._dispatch(message)
                        else:
                            reason = f"server sent a request ({type(message).__name__})"
                            return
                except ProtocolError as exc:
                    reason = f"protocol error from server: {exc}"
                    return
        finally:
            self._closed_reason = reason
            self._events_in.close()
            for pending in self._pending.values():
                pending.done.set()

    def _dispatch(self, message: Event | KeepAliveAnswer) -> None:
        if message.reference_id is not None:
            pending = self._pending.get(message.reference_id)
            if pending is not None and pending.answer is None:
                pending.answer = message
                pending.done.set()
        if isinstance(message, Event):
            self._events_in.send_nowait(message)


@asynccontextmanager
async def open_client(
    host: str,
    port: int,
    *,
    application_name: str,
    password: str | None = None,
    timeout: float = 10.0,
) -> AsyncIterator[TClient]:
    """Connect, perform the RegisterClient handshake, and yield a ready TClient."""
    with trio.fail_after(timeout):
        stream = await trio.open_tcp_stream(host, port)
    try:
        async with stream, trio.open_nursery() as nursery:
            client = TClient(stream)
            nursery.start_soon(client._read_loop)
            try:
                info = await client.request(
                    RequestRegisterClient(
                        protocol_version=f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
                        application_name=application_name,
                        application_password=password,
                    ),
                    timeout=timeout,
                )
                assert isinstance(info, EventServerInfo), info
                client.server_info = info
                yield client
            finally:
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # The reader task only ends quietly, so a group holds the caller's own exception:
        # give it back as it was raised rather than wrapped.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
