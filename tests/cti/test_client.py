"""The client library against real and fake servers on loopback: keep-alive, reconnection and
re-registration, wait helpers, and a reader that survives any nonsense from the server.

Real sockets, real time, an absolute `fail_after` around every test body.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

import pytest
import trio

from cti.client import ConnectionLost, TClient, TServerError, open_client
from cti.server.config import parse_config
from protocol.codec import encode
from protocol.enums import RegisterMode
from protocol.errors import ErrorCode
from protocol.framer import Framer
from protocol.messages import (
    EventDialing,
    EventEstablished,
    EventRegistered,
    EventReleased,
    EventRinging,
    EventServerInfo,
    EventUnregistered,
    KeepAliveProbe,
    RequestMakeCall,
    RequestReleaseCall,
)
from tests.cti.servers import FakeServer, read_message, silent, start_fake_server, start_server

LIMIT = 10  # seconds, real time


async def eventually(check: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll `check` until it holds (trio.TooSlowError after `timeout` seconds)."""
    with trio.fail_after(timeout):
        for _ in itertools.count():
            if check():
                return
            await trio.sleep(0.01)


async def test_keepalive_probes_keep_a_real_server_connection_up(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    with trio.fail_after(LIMIT):
        async with open_client(
            "127.0.0.1",
            server.port,
            application_name="a",
            keepalive_interval=0.2,
            keepalive_timeout=0.2,
        ) as client:
            await trio.sleep(1.0)
            assert client.keepalive_probes_sent >= 3  # idle: probed every ~0.2 s, answered
            assert client.connected and not client.closed
            await client.register_address("1001")


async def test_keepalive_notices_a_silent_server(nursery: trio.Nursery) -> None:
    fake = await start_fake_server(nursery, silent)
    with trio.fail_after(LIMIT):
        start = trio.current_time()
        async with open_client(
            "127.0.0.1",
            fake.port,
            application_name="a",
            keepalive_interval=0.2,
            keepalive_timeout=0.2,
        ) as client:
            with pytest.raises(ConnectionLost, match="keep-alive"):
                await client.request(RequestMakeCall(this_dn="1001", other_dn="1002"), timeout=5)
            elapsed = trio.current_time() - start
            assert 0.35 <= elapsed < 1.5  # interval + timeout, not the request's 5 s
            assert not client.connected and client.closed
            assert [type(e) async for e in client.events()] == [EventServerInfo]  # it ended
            with pytest.raises(ConnectionLost):
                await client.wait_connected(1)
    assert any(isinstance(m, KeepAliveProbe) for m in fake.received)


async def test_keepalive_none_disables_probing(nursery: trio.Nursery) -> None:
    fake = await start_fake_server(nursery, silent)
    with trio.fail_after(LIMIT):
        async with open_client(
            "127.0.0.1", fake.port, application_name="a", keepalive_interval=None
        ) as client:
            await trio.sleep(0.6)
            assert client.connected and client.keepalive_probes_sent == 0
    assert not any(isinstance(m, KeepAliveProbe) for m in fake.received)


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (b"this is no frame at all", "protocol error from server"),
        (encode(RequestMakeCall(this_dn="1", other_dn="2")), "server sent a request"),
    ],
)
async def test_nonsense_from_the_server_closes_the_connection_cleanly(
    nursery: trio.Nursery, garbage: bytes, reason: str
) -> None:
    async def talk_nonsense(stream: trio.SocketStream, framer: Framer, fake: FakeServer) -> None:
        await stream.send_all(garbage)
        await silent(stream, framer, fake)

    fake = await start_fake_server(nursery, talk_nonsense)
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", fake.port, application_name="a") as client:
            with pytest.raises(ConnectionLost, match=reason):
                await client.wait_for(EventRinging, timeout=5)
            with pytest.raises(ConnectionLost, match=reason):
                await client.register_address("1001")
            assert client.closed


async def test_request_in_flight_raises_and_the_client_reconnects(nursery: trio.Nursery) -> None:
    """The fake server hangs up on the first request of each connection."""

    async def hang_up(stream: trio.SocketStream, framer: Framer, fake: FakeServer) -> None:
        message = await read_message(stream, framer)
        if message is not None:
            fake.received.append(message)

    fake = await start_fake_server(nursery, hang_up)
    hooked: list[int] = []
    hook_ran = trio.Event()

    async def hook(client: TClient) -> None:
        hooked.append(client.reconnects)
        hook_ran.set()

    with trio.fail_after(LIMIT):
        async with open_client(
            "127.0.0.1",
            fake.port,
            application_name="a",
            reconnect=True,
            reconnect_delays=[0.05],
            on_reconnect=hook,
        ) as client:
            with pytest.raises(ConnectionLost):
                await client.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            await client.wait_connected(5)
            assert client.reconnects == 1 and fake.connections == 2
            # the event stream goes on: both handshakes' EventServerInfo are on it
            assert isinstance(await client.next_event(timeout=1), EventServerInfo)
            assert isinstance(await client.next_event(timeout=1), EventServerInfo)
            with trio.fail_after(1):
                await hook_ran.wait()
            assert hooked == [1]
    assert isinstance(fake.received[0], RequestMakeCall)


async def test_reconnect_to_a_restarted_server_registers_again(nursery: trio.Nursery) -> None:
    first = await start_server(nursery)
    hooked: list[bool] = []
    hook_ran = trio.Event()

    async def hook(client: TClient) -> None:
        hooked.append(client.connected)
        hook_ran.set()

    with trio.fail_after(LIMIT):
        async with open_client(
            "127.0.0.1",
            first.port,
            application_name="agent",
            reconnect=True,
            reconnect_delays=[0.05, 0.1],
            on_reconnect=hook,
        ) as agent:
            await agent.register_address("1002", RegisterMode.Private)
            await agent.register_address("1003", RegisterMode.Monitor)
            await first.stop()
            await eventually(lambda: not agent.connected)

            # a request made while the client reconnects waits for the new connection
            async def ping_later(task_status: trio.TaskStatus[None]) -> None:
                task_status.started()
                pings.append(await agent.ping(timeout=5))
                pinged.set()

            pings: list[float] = []
            pinged = trio.Event()
            await nursery.start(ping_later)
            await trio.sleep(0.3)  # a few refused attempts
            assert not agent.connected and not pings
            second = await start_server(nursery, port=first.port)
            await agent.wait_connected(5)
            assert agent.reconnects == 1
            with trio.fail_after(2):  # the hook and the waiting ping run on their own
                await hook_ran.wait()
                await pinged.wait()
            assert hooked == [True]
            assert agent.registrations == {
                "1002": RegisterMode.Private,
                "1003": RegisterMode.Monitor,
            }

            async with open_client("127.0.0.1", second.port, application_name="caller") as caller:
                with pytest.raises(TServerError) as seized:  # the agent holds 1002 Private again
                    await caller.register_address("1002")
                assert seized.value.code == ErrorCode.ResourceSeized
                await caller.register_address("1001")
                dialing = await caller.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
                assert isinstance(dialing, EventDialing)
                ringing = await agent.wait_for(EventRinging, this_dn="1002", timeout=5)
                assert ringing.conn_id == dialing.conn_id and ringing.other_dn == "1001"
                await caller.request(RequestReleaseCall(this_dn="1001", conn_id=dialing.conn_id))
                await agent.wait_for(EventReleased, this_dn="1002", conn_id=dialing.conn_id)


SMALL_CONFIG = """
[switch]
extensions = ["1001"]
"""


async def test_reregistration_refused_is_logged_and_the_client_goes_on(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    first = await start_server(nursery)
    with trio.fail_after(LIMIT):
        async with open_client(
            "127.0.0.1",
            first.port,
            application_name="a",
            reconnect=True,
            reconnect_delays=[0.05],
        ) as client:
            await client.register_address("1005")
            await client.register_address("1001")
            await first.stop()
            with caplog.at_level(logging.WARNING, logger="ctiemu.client"):
                await start_server(
                    nursery, port=first.port, config=parse_config(SMALL_CONFIG, "<small>")
                )
                await client.wait_connected(5)
            refused = [r.getMessage() for r in caplog.records if "1005" in r.getMessage()]
            assert len(refused) == 1 and f"EventError {ErrorCode.DNNotConfigured}" in refused[0]
            registered = await client.wait_for(EventRegistered, this_dn="1001", timeout=5)
            assert registered.this_dn == "1001"
            assert client.connected


async def test_without_reconnect_a_lost_connection_ends_everything(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server.port, application_name="a") as client:
            await client.register_address("1001")
            await server.stop()
            seen = [type(e) async for e in client.events()]  # ends with the connection
            assert seen == [EventServerInfo, EventRegistered]
            assert client.closed and not client.connected
            with pytest.raises(ConnectionLost):
                await client.register_address("1001")
            with pytest.raises(ConnectionLost):
                await client.wait_connected(1)


async def test_first_connection_failure_raises_even_with_reconnect() -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]
    await listeners[0].aclose()  # nobody listens there now
    with trio.fail_after(LIMIT), pytest.raises(OSError):
        async with open_client("127.0.0.1", port, application_name="a", reconnect=True):
            pass


async def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="keepalive_interval"):
        TClient("127.0.0.1", 1, application_name="a", keepalive_interval=0)
    with pytest.raises(ValueError, match="reconnect_delays"):
        TClient("127.0.0.1", 1, application_name="a", reconnect_delays=())


async def test_wait_for_skips_other_events_and_filters(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    with trio.fail_after(LIMIT):
        async with (
            open_client("127.0.0.1", server.port, application_name="calls") as calls,
            open_client("127.0.0.1", server.port, application_name="watch") as watch,
        ):
            for dn in ("1001", "1003"):
                await calls.register_address(dn)
            for dn in ("1002", "1004"):
                await watch.register_address(dn)
            first = await calls.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            second = await calls.request(RequestMakeCall(this_dn="1003", other_dn="1004"))
            assert isinstance(first, EventDialing) and isinstance(second, EventDialing)
            at_1004 = await watch.wait_for(EventRinging, this_dn="1004")
            assert at_1004.conn_id == second.conn_id
            # the ringing at 1002 came first and was consumed by wait_for
            with pytest.raises(trio.TooSlowError):
                await watch.wait_for(EventRinging, timeout=0.3)
            await calls.request(RequestReleaseCall(this_dn="1003", conn_id=second.conn_id))
            await calls.request(RequestReleaseCall(this_dn="1001", conn_id=first.conn_id))
            released = await watch.wait_for(EventReleased, conn_id=first.conn_id)
            assert released.this_dn == "1002"
            with pytest.raises(trio.TooSlowError):
                await watch.wait_for(EventEstablished, timeout=0.2)


async def test_unregister_address(nursery: trio.Nursery) -> None:
    """RequestUnregisterAddress goes out; an EventError answer raises like any other and keeps
    the DN in the record, an EventUnregistered drops it from the record."""
    server = await start_server(nursery)
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server.port, application_name="a") as client:
            await client.register_address("1001")
            try:
                answer = await client.unregister_address("1001")
            except TServerError as exc:
                assert exc.code == ErrorCode.UnsupportedOperation
                assert client.registrations == {"1001": RegisterMode.Share}
            else:
                assert isinstance(answer, EventUnregistered) and answer.this_dn == "1001"
                assert client.registrations == {}
