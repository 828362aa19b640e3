"""Real sockets: the T-Server on 127.0.0.1, port 0, clients from the client library.

Rules for this module (as in trio-websocket's tests): loopback only, port 0, real time (no
autojump clock with real sockets), and an absolute `fail_after` around every test body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from cti.client import TClient, TServerError, open_client
from cti.server.build import run_server
from cti.server.config import default_config
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventDialing,
    EventEstablished,
    EventReleased,
    EventRinging,
    RequestAnswerCall,
    RequestMakeCall,
    RequestReleaseCall,
)

LIMIT = 10  # seconds, real time


@pytest.fixture
async def server_port(nursery: trio.Nursery) -> AsyncIterator[int]:
    config = default_config()
    from dataclasses import replace

    config = replace(config, server=replace(config.server, host="127.0.0.1", port=0))
    listeners: list[trio.SocketListener] = await nursery.start(run_server, config)
    yield listeners[0].socket.getsockname()[1]


async def next_call_event(client: TClient) -> CallEvent:
    while True:
        event = await client.next_event(timeout=LIMIT)
        if isinstance(event, CallEvent):
            return event


async def test_basic_call_between_two_clients(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        async with (
            open_client("127.0.0.1", server_port, application_name="a") as a,
            open_client("127.0.0.1", server_port, application_name="b") as b,
        ):
            await a.register_address("1001")
            await b.register_address("1002")

            dialing = await a.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            assert isinstance(dialing, EventDialing)
            conn = dialing.conn_id
            ringing = await next_call_event(b)
            assert isinstance(ringing, EventRinging)
            assert (ringing.this_dn, ringing.other_dn, ringing.conn_id) == ("1002", "1001", conn)

            established_b = await b.request(RequestAnswerCall(this_dn="1002", conn_id=conn))
            assert isinstance(established_b, EventEstablished)
            released_a = await a.request(RequestReleaseCall(this_dn="1001", conn_id=conn))
            assert isinstance(released_a, EventReleased)

            # every event, answers included, also arrives in order on the event stream
            seen_a = [await next_call_event(a) for _ in range(3)]
            assert seen_a[0] == dialing
            assert [type(e) for e in seen_a] == [EventDialing, EventEstablished, EventReleased]
            assert seen_a[2] == released_a
            seen_b = [ringing, await next_call_event(b), await next_call_event(b)]
            assert [type(e) for e in seen_b] == [EventRinging, EventEstablished, EventReleased]
            assert seen_b[1] == established_b

            for events, dn in ((seen_a, "1001"), (seen_b, "1002")):
                assert {e.conn_id for e in events} == {conn}
                assert all(e.this_dn == dn for e in events)
                numbers = [e.event_sequence_number for e in events]
                assert numbers == sorted(numbers)


async def test_event_error_raises_with_code(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server_port, application_name="a") as a:
            with pytest.raises(TServerError) as info:
                await a.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            assert info.value.code == ErrorCode.NotRegistered
            # the connection is still good
            await a.register_address("1001")


async def test_garbage_client_does_not_disturb_others(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server_port, application_name="a") as a:
            await a.register_address("1001")
            rogue = await trio.open_tcp_stream("127.0.0.1", server_port)
            await rogue.send_all(b"\x16\x03\x01\x02\x00garbage that is no frame")
            answer = await rogue.receive_some(4096)
            assert answer.startswith(b"CT")  # an EventError frame, then the server closes
            while await rogue.receive_some(4096):
                pass
            await rogue.aclose()
            dialing = await a.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            assert isinstance(dialing, Event)


async def test_ping(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server_port, application_name="a") as a:
            assert 0 <= await a.ping() < LIMIT


ROUTING_CONFIG = """
[server]
host = "127.0.0.1"
port = 0

[switch]
extensions = ["1001", "1002"]

[[switch.agent]]
id = "agent1"

[[switch.queue]]
dn = "7001"

[[switch.routing_point]]
dn = "5001"
default_destination = "7001"
timeout_seconds = 0.3
"""


async def test_routing_timeout_and_acd_delivery_in_real_time(nursery: trio.Nursery) -> None:
    """Nobody routes the call: after the routing point's timeout the switch default-routes it to
    the queue, which hands it to the ready agent; the timer runs in the server's own task."""
    from cti.server.config import parse_config
    from protocol.messages import RequestAgentLogin, RequestAgentReady

    config = parse_config(ROUTING_CONFIG, "<test>")
    listeners: list[trio.SocketListener] = await nursery.start(run_server, config)
    port = listeners[0].socket.getsockname()[1]
    with trio.fail_after(LIMIT):
        async with (
            open_client("127.0.0.1", port, application_name="caller") as caller,
            open_client("127.0.0.1", port, application_name="agent") as agent,
            open_client("127.0.0.1", port, application_name="watch") as watch,
        ):
            await caller.register_address("1001")
            await agent.register_address("1002")
            await watch.register_address("5001")
            await agent.request(
                RequestAgentLogin(this_dn="1002", agent_id="agent1", this_queue="7001")
            )
            await agent.request(RequestAgentReady(this_dn="1002"))
            start = trio.current_time()
            await caller.request(RequestMakeCall(this_dn="1001", other_dn="5001"))
            request_ = await next_call_event(watch)
            assert request_.MESSAGE_TYPE == 71 and request_.this_dn == "5001"  # RouteRequest
            used = await next_call_event(watch)
            assert used.MESSAGE_TYPE == 72  # EventRouteUsed, by the default route
            assert getattr(used, "third_party_dn", None) == "7001"
            ringing = await next_call_event(agent)
            elapsed = trio.current_time() - start
            assert isinstance(ringing, EventRinging)
            assert (ringing.this_dn, ringing.this_queue, ringing.other_dn) == (
                "1002",
                "7001",
                "1001",
            )
            assert 0.25 <= elapsed < 3
