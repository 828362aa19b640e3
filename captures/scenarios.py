"""The scenarios the reference captures in captures/ record: one per call model of the switch
(docs/call-models.md) and one per client-facing behaviour of the T-Server (docs/tserver.md).

Each scenario drives a live T-Server through the client library, as desktops, routers, monitors
and the simulation-control application would, waiting for each event before the next step, so
the capture's order is causal and a replay can follow it. `python captures/make.py` runs them
against a server started with captures/corpus.toml and `--capture`, one pcap each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import trio

from cti.client import ClientConnection, Incoming, TClient, TServerError, open_client
from protocol.codec import encode
from protocol.enums import (
    AddressInfoType,
    AgentWorkMode,
    ForwardMode,
    RegisterMode,
    SimService,
    TreatmentType,
)
from protocol.messages import (
    Event,
    EventAbandoned,
    EventAgentReady,
    EventDialing,
    EventDiverted,
    EventDNBackInService,
    EventDNOutOfService,
    EventEstablished,
    EventLinkConnected,
    EventLinkDisconnected,
    EventNetworkReached,
    EventPartyAdded,
    EventPartyChanged,
    EventQueued,
    EventReleased,
    EventRinging,
    EventRouteRequest,
    EventRouteUsed,
    EventTreatmentEnd,
    EventUserEvent,
    Message,
    Request,
    RequestAgentLogin,
    RequestAgentNotReady,
    RequestAgentReady,
    RequestAlternateCall,
    RequestAnswerCall,
    RequestApplyTreatment,
    RequestAttachUserData,
    RequestCallForwardCancel,
    RequestCallForwardSet,
    RequestCompleteConference,
    RequestCompleteTransfer,
    RequestDeleteFromConference,
    RequestDeletePair,
    RequestDistributeUserEvent,
    RequestHoldCall,
    RequestInitiateConference,
    RequestInitiateTransfer,
    RequestMakeCall,
    RequestMuteTransfer,
    RequestPrivateService,
    RequestQueryAddress,
    RequestQueryCall,
    RequestQueryServer,
    RequestReconnectCall,
    RequestRegisterAddress,
    RequestRegisterAll,
    RequestRegisterClient,
    RequestReleaseCall,
    RequestRetrieveCall,
    RequestRouteCall,
    RequestSetInputMask,
    RequestSingleStepConference,
    RequestSingleStepTransfer,
    RequestUnregisterAddress,
)
from protocol.values import ConnID, KVList

E = TypeVar("E", bound=Event)
A, B, C, D, Q, R = "1001", "1002", "1003", "1004", "7001", "5001"
NUMBER, CALLER = "95550100", "+15550199"


class Desk:
    """One client connection with the DNs it registered."""

    def __init__(self, client: TClient) -> None:
        self.client = client

    async def ask(self, request: Request) -> Event:
        """Send a request; its answer (EventError raises)."""
        return await self.client.request(request, timeout=10)

    async def expect(self, cls: type[E], *, conn: ConnID | None = None, dn: str | None = None) -> E:
        """The next event of that class (and ConnID, ThisDN), skipping others."""
        return await self.client.wait_for(cls, conn_id=conn, this_dn=dn, timeout=10)

    async def call(self, frm: str, to: str) -> ConnID:
        dialing = await self.ask(RequestMakeCall(this_dn=frm, other_dn=to))
        return dialing.conn_id  # type: ignore[attr-defined, no-any-return]

    async def answer(self, dn: str, conn: ConnID) -> None:
        await self.ask(RequestAnswerCall(this_dn=dn, conn_id=conn))

    async def release(self, dn: str, conn: ConnID) -> None:
        await self.ask(RequestReleaseCall(this_dn=dn, conn_id=conn))

    async def ready_agent(self, dn: str, agent: str = "agent1") -> None:
        await self.ask(RequestAgentLogin(this_dn=dn, agent_id=agent, this_queue=Q))
        await self.ask(RequestAgentReady(this_dn=dn))


class World:
    """The clients of one scenario, on one server."""

    def __init__(self, host: str, port: int, stack: AsyncExitStack) -> None:
        self.host, self.port, self.stack = host, port, stack
        self._sim: Desk | None = None

    async def desk(
        self, *dns: str, app: str = "desk", mode: RegisterMode = RegisterMode.Share
    ) -> Desk:
        client = await self.stack.enter_async_context(
            open_client(self.host, self.port, application_name=app, keepalive_interval=None)
        )
        for dn in dns:
            await client.register_address(dn, mode)
        return Desk(client)

    async def agent(self, dn: str, agent: str = "agent1") -> Desk:
        """A desk on `dn` with an agent logged in to the queue and ready."""
        desk = await self.desk(dn)
        await desk.ready_agent(dn, agent)
        return desk

    async def sim(
        self, service: SimService, *, conn: ConnID | None = None, dn: str = "", **params: Any
    ) -> Event:
        """Simulation control: what the outside world does."""
        if self._sim is None:
            self._sim = await self.desk(app="ctiemu-sim")
        request = RequestPrivateService(
            this_dn=dn,
            conn_id=conn,
            private_msg_id=int(service),
            user_data=KVList(list(params.items())),
        )
        return await self._sim.ask(request)

    async def inbound(self, dnis: str, ani: str = CALLER, **params: Any) -> ConnID:
        info = await self.sim(SimService.Inbound, ANI=ani, DNIS=dnis, **params)
        return info.conn_id  # type: ignore[attr-defined, no-any-return]


Scenario = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Capture:
    name: str  #: the pcap's file name, without .pcap
    shows: str  #: what it shows (captures/README.md)
    run: Scenario


CAPTURES: list[Capture] = []


def capture(name: str, shows: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        CAPTURES.append(Capture(name, shows, fn))
        return fn

    return register


async def _established(w: World, caller: str = A, called: str = B) -> tuple[Desk, Desk, ConnID]:
    a, b = await w.desk(caller), await w.desk(called)
    conn = await a.call(caller, called)
    await b.expect(EventRinging, conn=conn)
    await b.answer(called, conn)
    await a.expect(EventEstablished, conn=conn)
    return a, b, conn


# ------------------------------------------------------------------------------------------------
# Call models (docs/call-models.md, same order)


@capture("basic-call", "Basic internal call: MakeCall, AnswerCall, ReleaseCall.")
async def basic_call(w: World) -> None:
    a, b, conn = await _established(w)
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)


@capture("destination-busy", "A call to a DN already in a call: EventDestinationBusy.")
async def destination_busy(w: World) -> None:
    c, b = await w.desk(C), await w.desk(B)
    first = await c.call(C, B)
    await b.expect(EventRinging, conn=first)
    a = await w.desk(A)
    second = await a.call(A, B)
    await a.release(A, second)
    await c.release(C, first)
    await b.expect(EventReleased, conn=first)


@capture("caller-releases-while-ringing", "The caller hangs up while the called DN rings.")
async def caller_releases_while_ringing(w: World) -> None:
    a, b = await w.desk(A), await w.desk(B)
    conn = await a.call(A, B)
    await b.expect(EventRinging, conn=conn)
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)


@capture("hold-retrieve", "HoldCall and RetrieveCall on an established call.")
async def hold_retrieve(w: World) -> None:
    a, b, conn = await _established(w)
    await b.ask(RequestHoldCall(this_dn=B, conn_id=conn))
    await b.ask(RequestRetrieveCall(this_dn=B, conn_id=conn))
    await b.release(B, conn)
    await a.expect(EventReleased, conn=conn)


async def _consult(
    w: World, kind: type[Request] = RequestInitiateTransfer
) -> tuple[Desk, Desk, Desk, ConnID, ConnID]:
    a, b, conn = await _established(w)
    c = await w.desk(C)
    await b.ask(kind(this_dn=B, conn_id=conn, other_dn=C))  # type: ignore[call-arg]
    consult = (await b.expect(EventDialing, dn=B)).conn_id
    await c.expect(EventRinging, conn=consult)
    return a, b, c, conn, consult


@capture("transfer-two-step", "Two-step transfer completed after the consulted party answers.")
async def transfer_two_step(w: World) -> None:
    a, b, c, conn, consult = await _consult(w)
    await c.answer(C, consult)
    await b.expect(EventEstablished, conn=consult)
    await b.ask(RequestCompleteTransfer(this_dn=B, conn_id=conn, transfer_conn_id=consult))
    await a.expect(EventPartyChanged)
    await c.release(C, conn)
    await a.expect(EventReleased, conn=conn)


@capture("transfer-blind", "Two-step transfer completed while the consulted party still rings.")
async def transfer_blind(w: World) -> None:
    a, b, c, conn, consult = await _consult(w)
    await b.ask(RequestCompleteTransfer(this_dn=B, conn_id=conn, transfer_conn_id=consult))
    await c.answer(C, conn)
    await a.release(A, conn)
    await c.expect(EventReleased, conn=conn)


@capture("transfer-single-step", "SingleStepTransfer, then the new party answers.")
async def transfer_single_step(w: World) -> None:
    a, b, conn = await _established(w)
    c = await w.desk(C)
    await b.ask(RequestSingleStepTransfer(this_dn=B, conn_id=conn, other_dn=C))
    await c.expect(EventRinging, conn=conn)
    await c.answer(C, conn)
    await c.release(C, conn)
    await a.expect(EventReleased, conn=conn)


@capture("transfer-mute", "MuteTransfer, then the new party answers.")
async def transfer_mute(w: World) -> None:
    a, b, conn = await _established(w)
    c = await w.desk(C)
    await b.ask(RequestMuteTransfer(this_dn=B, conn_id=conn, other_dn=C))
    await c.expect(EventPartyChanged, conn=conn)  # it rang on the consultation, now on the call
    await c.answer(C, conn)
    await c.release(C, conn)
    await a.expect(EventReleased, conn=conn)


@capture("consult-alternate-reconnect", "Consultation, AlternateCall both ways, ReconnectCall.")
async def consult_alternate_reconnect(w: World) -> None:
    a, b, c, conn, consult = await _consult(w)
    await c.answer(C, consult)
    await b.expect(EventEstablished, conn=consult)
    await b.ask(RequestAlternateCall(this_dn=B, conn_id=consult, previous_conn_id=conn))
    await b.ask(RequestAlternateCall(this_dn=B, conn_id=conn, previous_conn_id=consult))
    await b.ask(RequestReconnectCall(this_dn=B, conn_id=consult, previous_conn_id=conn))
    await c.expect(EventReleased, conn=consult)
    await b.release(B, conn)
    await a.expect(EventReleased, conn=conn)


@capture("conference-delete", "Two-step conference, then DeleteFromConference.")
async def conference_delete(w: World) -> None:
    a, b, c, conn, consult = await _consult(w, RequestInitiateConference)
    await c.answer(C, consult)
    await b.expect(EventEstablished, conn=consult)
    await b.ask(RequestCompleteConference(this_dn=B, conn_id=conn, transfer_conn_id=consult))
    await a.expect(EventPartyAdded)
    await a.ask(RequestDeleteFromConference(this_dn=A, conn_id=conn, other_dn=C))
    await c.expect(EventReleased, conn=conn)
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)


@capture("conference-single-step", "SingleStepConference: EventACK, the added DN rings, joins.")
async def conference_single_step(w: World) -> None:
    a, b, conn = await _established(w)
    c = await w.desk(C)
    await b.ask(RequestSingleStepConference(this_dn=B, conn_id=conn, other_dn=C))
    await c.expect(EventRinging, conn=conn)
    await c.answer(C, conn)
    await a.expect(EventPartyAdded)
    await a.release(A, conn)
    await b.release(B, conn)
    await c.expect(EventReleased, conn=conn)


@capture("conference-release", "A conference member releases; the others stay connected.")
async def conference_release(w: World) -> None:
    a, b, c, conn, consult = await _consult(w, RequestInitiateConference)
    await c.answer(C, consult)
    await b.expect(EventEstablished, conn=consult)
    await b.ask(RequestCompleteConference(this_dn=B, conn_id=conn, transfer_conn_id=consult))
    await b.release(B, conn)
    await a.release(A, conn)
    await c.expect(EventReleased, conn=conn)


@capture("forwarding", "CallForwardSet unconditional; the call rings the destination.")
async def forwarding(w: World) -> None:
    b, c, a = await w.desk(B), await w.desk(C), await w.desk(A)
    await b.ask(
        RequestCallForwardSet(this_dn=B, other_dn=C, forward_mode=ForwardMode.Unconditional)
    )
    conn = await a.call(A, B)
    await c.expect(EventRinging, conn=conn)
    await c.answer(C, conn)
    await a.release(A, conn)
    await c.expect(EventReleased, conn=conn)
    await b.ask(RequestCallForwardCancel(this_dn=B, forward_mode=ForwardMode.Unconditional))


@capture("user-data", "AttachUserData and DeletePair: EventAttachedDataChanged at both parties.")
async def user_data(w: World) -> None:
    a, b, conn = await _established(w)
    await a.ask(
        RequestAttachUserData(this_dn=A, conn_id=conn, user_data=KVList([("CustomerID", "42")]))
    )
    await b.ask(RequestDeletePair(this_dn=B, conn_id=conn, data_key="CustomerID"))
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)


@capture("acd-after-call-work", "A call through an ACD queue to a ready agent; after-call work.")
async def acd_after_call_work(w: World) -> None:
    b = await w.agent(B)
    queue = await w.desk(Q, mode=RegisterMode.Monitor)
    a = await w.desk(A)
    conn = await a.call(A, Q)
    await b.expect(EventRinging, conn=conn)
    await queue.expect(EventDiverted, conn=conn)
    await b.answer(B, conn)
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)
    await b.expect(EventAgentReady)  # after-call work over (1 s)


@capture("acd-abandoned-queued", "The caller hangs up while waiting in the queue.")
async def acd_abandoned_queued(w: World) -> None:
    queue = await w.desk(Q, mode=RegisterMode.Monitor)
    a = await w.desk(A)
    conn = await a.call(A, Q)
    await queue.expect(EventQueued, conn=conn)
    await a.release(A, conn)
    await queue.expect(EventAbandoned, conn=conn)


@capture("acd-abandoned-ringing", "The caller hangs up while the agent rings.")
async def acd_abandoned_ringing(w: World) -> None:
    b = await w.agent(B)
    a = await w.desk(A)
    conn = await a.call(A, Q)
    await b.expect(EventRinging, conn=conn)
    await a.release(A, conn)
    await b.expect(EventAbandoned, conn=conn)


@capture("acd-ring-no-answer", "Ring no answer: the call goes back to the queue, agent NotReady.")
async def acd_ring_no_answer(w: World) -> None:
    b = await w.agent(B)
    queue = await w.desk(Q, mode=RegisterMode.Monitor)
    a = await w.desk(A)
    conn = await a.call(A, Q)
    await b.expect(EventRinging, conn=conn)
    await queue.expect(EventQueued, conn=conn)
    await queue.expect(EventQueued, conn=conn)  # back in the queue after 1 s
    await a.release(A, conn)
    await queue.expect(EventAbandoned, conn=conn)


@capture("outbound-answered", "Outbound call through the trunk; the far end answers, hangs up.")
async def outbound_answered(w: World) -> None:
    a = await w.desk(A)
    conn = await a.call(A, NUMBER)
    await a.expect(EventNetworkReached, conn=conn)
    await w.sim(SimService.Answer, conn=conn, Kind="person", Talk=3600)
    await a.expect(EventEstablished, conn=conn)
    await w.sim(SimService.HangUp, conn=conn)
    await a.expect(EventReleased, conn=conn)


@capture("outbound-busy", "Outbound call to a busy number.")
async def outbound_busy(w: World) -> None:
    a = await w.desk(A)
    conn = await a.call(A, NUMBER)
    await a.expect(EventNetworkReached, conn=conn)
    await w.sim(SimService.Busy, conn=conn)
    await a.expect(Event, conn=conn)
    await a.release(A, conn)


@capture("inbound-acd", "An inbound trunk call through the ACD queue to an agent.")
async def inbound_acd(w: World) -> None:
    b = await w.agent(B)
    conn = await w.inbound(Q)
    await b.expect(EventRinging, conn=conn)
    await b.answer(B, conn)
    await w.sim(SimService.HangUp, conn=conn)
    await b.expect(EventReleased, conn=conn)


@capture("inbound-abandoned", "An inbound caller hangs up while the DN rings.")
async def inbound_abandoned(w: World) -> None:
    c = await w.desk(C)
    conn = await w.inbound(C)
    await c.expect(EventRinging, conn=conn)
    await w.sim(SimService.HangUp, conn=conn)
    await c.expect(EventAbandoned, conn=conn)


@capture("routing-point-routed", "A router answers EventRouteRequest with RouteCall.")
async def routing_point_routed(w: World) -> None:
    router, c, a = await w.desk(R, app="router"), await w.desk(C), await w.desk(A)
    conn = await a.call(A, R)
    await router.expect(EventRouteRequest, conn=conn)
    await router.ask(RequestRouteCall(this_dn=R, conn_id=conn, other_dn=C))
    await c.expect(EventRinging, conn=conn)
    await c.answer(C, conn)
    await a.release(A, conn)
    await c.expect(EventReleased, conn=conn)


@capture(
    "routing-treatment", "Treatments on a routing point (music, an announcement), then routed."
)
async def routing_treatment(w: World) -> None:
    router, c, a = await w.desk(R, app="router"), await w.desk(C), await w.desk(A)
    conn = await a.call(A, R)
    await router.expect(EventRouteRequest, conn=conn)
    await router.ask(
        RequestApplyTreatment(this_dn=R, conn_id=conn, treatment_type=TreatmentType.Music)
    )
    await router.ask(
        RequestApplyTreatment(
            this_dn=R,
            conn_id=conn,
            treatment_type=TreatmentType.PlayAnnouncement,
            treatment_parms=KVList([("Duration", 1)]),
        )
    )
    await router.expect(EventTreatmentEnd, conn=conn)
    await router.ask(RequestRouteCall(this_dn=R, conn_id=conn, other_dn=C))
    await c.expect(EventRinging, conn=conn)
    await a.release(A, conn)


@capture("routing-collect-digits", "An inbound caller's digits collected on a routing point.")
async def routing_collect_digits(w: World) -> None:
    router, c = await w.desk(R, app="router"), await w.desk(C)
    conn = await w.inbound(R)
    await router.expect(EventRouteRequest, conn=conn)
    await router.ask(
        RequestApplyTreatment(
            this_dn=R,
            conn_id=conn,
            treatment_type=TreatmentType.CollectDigits,
            treatment_parms=KVList([("MAX_DIGITS", 4), ("TERM_DIGITS", "#")]),
        )
    )
    await w.sim(SimService.Digits, conn=conn, Digits="12#")
    await router.expect(EventTreatmentEnd, conn=conn)
    await router.ask(RequestRouteCall(this_dn=R, conn_id=conn, other_dn=C))
    await c.expect(EventRinging, conn=conn)
    await w.sim(SimService.HangUp, conn=conn)
    await c.expect(EventAbandoned, conn=conn)


@capture("routing-timeout", "The router does not answer: after 2 s the default route (the queue).")
async def routing_timeout(w: World) -> None:
    b = await w.agent(B)
    router, a = await w.desk(R, app="router"), await w.desk(A)
    conn = await a.call(A, R)
    await router.expect(EventRouteRequest, conn=conn)
    await router.expect(EventRouteUsed, conn=conn)
    await b.expect(EventRinging, conn=conn)
    await a.release(A, conn)
    await b.expect(EventAbandoned, conn=conn)


# ------------------------------------------------------------------------------------------------
# Client-facing behaviours (docs/tserver.md)


@capture(
    "registration", "Register in Share, Private and Monitor modes; a Private conflict; unregister."
)
async def registration(w: World) -> None:
    private = await w.desk(A, app="private", mode=RegisterMode.Private)
    other = await w.desk(app="other")
    with suppress(TServerError):  # EventError 42: A is held in Private mode
        await other.client.register_address(A)
    await other.client.register_address(B, RegisterMode.Monitor)
    await private.ask(RequestUnregisterAddress(this_dn=A))
    await other.client.register_address(A)


@capture("errors", "Malformed frames, an unknown message type, requests in the wrong state.")
async def errors(w: World) -> None:
    stream = await trio.open_tcp_stream(w.host, w.port)
    connection = ClientConnection()
    received: list[Message] = []

    async def exchange(data: bytes) -> Message:
        """Send bytes as they are (some deliberately malformed); the next message back."""
        await stream.send_all(data)
        while not received:
            now = trio.current_time()
            for item in connection.receive_data(bytes(await stream.receive_some(65536)), now):
                assert isinstance(item, Incoming), item
                received.append(item.message)
        return received.pop(0)

    hello = RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="clumsy")
    await exchange(encode(hello))
    await exchange(encode(RequestRegisterAddress(reference_id=2, this_dn=A)))
    await exchange(b"CT\x00\x02\x00\x00\x00\x06\x00\x07\xff\xff\xff\xff")  # bad attribute
    await exchange(b"CT\x03\xe7\x00\x00\x00\x00")  # message type 999
    wrong: list[Request] = [
        RequestAnswerCall(reference_id=3, this_dn=A, conn_id=ConnID(0x1234)),  # no such call
        RequestMakeCall(reference_id=4, this_dn=B, other_dn=A),  # B not registered
        RequestMakeCall(reference_id=5, this_dn=A, other_dn="4242"),  # not configured
        RequestAgentReady(reference_id=6, this_dn=A),  # no agent logged in
        RequestQueryServer(reference_id=7),
    ]
    for request in wrong:
        await exchange(encode(request))
    await stream.aclose()


@capture(
    "user-events",
    "DistributeUserEvent: EventUserEvent to the DN's clients, EventACK to the sender.",
)
async def user_events(w: World) -> None:
    sender, watcher = await w.desk(app="sender"), await w.desk(B, mode=RegisterMode.Monitor)
    await sender.ask(
        RequestDistributeUserEvent(
            this_dn=B, user_event=1, user_data=KVList([("Campaign", "spring")])
        )
    )
    await watcher.expect(EventUserEvent)


@capture("monitoring", "RegisterAll, an input mask, QueryAddress, QueryCall and QueryServer.")
async def monitoring(w: World) -> None:
    wall = await w.desk(app="wall")
    await wall.ask(RequestRegisterAll())
    mask = bytearray(b"\xff" * 32)
    mask[EventDialingType // 8] &= ~(1 << (EventDialingType % 8))
    await wall.ask(RequestSetInputMask(input_mask=bytes(mask)))
    a, _b, conn = await _established(w)
    await wall.expect(EventEstablished, conn=conn)
    await a.ask(RequestQueryAddress(this_dn=B, address_info_type=AddressInfoType.AddressStatus))
    await a.ask(RequestQueryCall(this_dn=A, conn_id=conn, call_info_type=0))
    await a.release(A, conn)
    await wall.expect(EventReleased, conn=conn)
    await wall.expect(EventReleased, conn=conn)


EventDialingType = int(EventDialing.MESSAGE_TYPE)


@capture(
    "route-request-default",
    "No router registered: the routing point routes to its default at once.",
)
async def route_request_default(w: World) -> None:
    b = await w.agent(B)
    a = await w.desk(A)
    conn = await a.call(A, R)
    await b.expect(EventRinging, conn=conn)
    await b.answer(B, conn)
    await a.release(A, conn)
    await b.expect(EventReleased, conn=conn)


@capture("agent-states", "AgentLogin, NotReady with a reason and after-call work, Ready, Logout.")
async def agent_states(w: World) -> None:
    b = await w.desk(B)
    await b.ask(RequestAgentLogin(this_dn=B, agent_id="agent2", this_queue=Q))
    await b.ask(RequestAgentNotReady(this_dn=B, reasons=KVList([("ReasonCode", "Lunch")])))
    await b.ask(RequestAgentNotReady(this_dn=B, agent_work_mode=AgentWorkMode.AfterCallWork))
    await b.ask(RequestAgentReady(this_dn=B))
    from protocol.messages import RequestAgentLogout

    await b.ask(RequestAgentLogout(this_dn=B))


@capture(
    "link-and-service", "A trunk link fails and comes back; a DN goes out of service and back."
)
async def link_and_service(w: World) -> None:
    a, c = await w.desk(A), await w.desk(C)
    conn = await a.call(A, NUMBER)
    await a.expect(EventNetworkReached, conn=conn)
    await w.sim(SimService.TrunkDown, TrunkGroup="pstn")
    await a.expect(EventLinkDisconnected)
    await w.sim(SimService.TrunkUp, TrunkGroup="pstn")
    await a.expect(EventLinkConnected)
    await w.sim(SimService.OutOfService, dn=C)
    await c.expect(EventDNOutOfService)
    await w.sim(SimService.BackInService, dn=C)
    await c.expect(EventDNBackInService)


@asynccontextmanager
async def world(host: str, port: int) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        yield World(host, port, stack)
        await trio.sleep(0.2)  # let the last events arrive before the clients close


async def run(capture: Capture, host: str, port: int) -> None:
    async with world(host, port) as w:
        await capture.run(w)
