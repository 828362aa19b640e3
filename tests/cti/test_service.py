"""The T-Server as a service, without sockets: RegisterAll, UnregisterAddress, SetInputMask,
QueryServer statistics, DistributeUserEvent, default routing, authentication and rights,
simulation control, link and DN-service events, keep-alive, back-pressure, rate limits and
logout on disconnect. Time is passed in."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TypeVar

import pytest

from cti.server.config import ApplicationConfig, DNSet, ServerConfig
from cti.server.core import ServerIdentity, Session, TServerCore
from hw.simnet import NetworkProfile, SimulatedNetwork
from protocol.codec import decode, encode
from protocol.enums import (
    AddressInfoType,
    AddressStatus,
    AddressType,
    CallState,
    MessageType,
    RegisterMode,
    SimService,
    TreatmentType,
)
from protocol.errors import ErrorCode
from protocol.framer import Framer
from protocol.messages import (
    Event,
    EventACK,
    EventAddressInfo,
    EventAttachedDataChanged,
    EventDestinationBusy,
    EventDNBackInService,
    EventDNOutOfService,
    EventError,
    EventEstablished,
    EventLinkConnected,
    EventLinkDisconnected,
    EventNetworkReached,
    EventPrivateInfo,
    EventRegisteredAll,
    EventReleased,
    EventRinging,
    EventServerInfo,
    EventTreatmentEnd,
    EventUnregistered,
    EventUserEvent,
    KeepAliveProbe,
    Message,
    RequestAgentLogin,
    RequestAnswerCall,
    RequestApplyTreatment,
    RequestAttachUserData,
    RequestDistributeUserEvent,
    RequestMakeCall,
    RequestPrivateService,
    RequestQueryAddress,
    RequestQueryServer,
    RequestRegisterAddress,
    RequestRegisterAll,
    RequestRegisterClient,
    RequestReleaseCall,
    RequestSetInputMask,
    RequestUnregisterAddress,
    RequestUnregisterAll,
)
from protocol.values import ConnID, KVList
from switch import Switch, SwitchConfig
from switch.config import AgentConfig, QueueConfig, RoutingPointConfig, TrunkGroupConfig

NOW = 1_700_000_100.0
E = TypeVar("E", bound=Event)
SIM = "sim-app"


def make_core(**settings: object) -> TServerCore:
    switch = Switch(
        SwitchConfig(
            extensions=("1001", "1002", "1003"),
            agents=(AgentConfig("agent1"),),
            queues=(QueueConfig("7001"),),
            routing_points=(RoutingPointConfig("5001", default_destination="1003"),),
            trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=4),),
        ),
        id_seed=2,
    )
    apps = (ApplicationConfig(SIM, simulation=True),)
    config = ServerConfig(**({"applications": apps} | settings))  # type: ignore[arg-type]
    network = SimulatedNetwork(NetworkProfile(seed=3))
    return TServerCore(
        switch,
        ServerIdentity("ctiemu", "test", NOW - 100),
        settings=config,
        drivers={"pstn": network},
    )


@pytest.fixture
def core() -> TServerCore:
    return make_core()


def send(core: TServerCore, session: Session, *messages: Message, now: float = NOW) -> None:
    core.receive_data(session, b"".join(encode(m) for m in messages), now)


def received(session: Session) -> list[Event]:
    framer = Framer()
    framer.receive_data(session.take_output())
    return [decode(f) for f in framer.frames()]  # type: ignore[misc]


def connect(
    core: TServerCore,
    *dns: str,
    app: str = "desk",
    mode: RegisterMode = RegisterMode.Share,
    password: str | None = None,
    now: float = NOW,
) -> Session:
    session = core.open_session("test", now)
    send(
        core,
        session,
        RequestRegisterClient(
            reference_id=1,
            protocol_version="1.0",
            application_name=app,
            application_password=password,
        ),
        now=now,
    )
    for dn in dns:
        request = RequestRegisterAddress(reference_id=2, this_dn=dn, register_mode=mode)
        send(core, session, request, now=now)
    answers = received(session)
    assert not any(isinstance(a, EventError) for a in answers), answers
    return session


def names(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def only(events: list[Event], cls: type[E]) -> E:
    [event] = [e for e in events if isinstance(e, cls)]
    return event


def sim(
    core: TServerCore,
    session: Session,
    service: SimService,
    *,
    this_dn: str = "",
    conn_id: ConnID | None = None,
    now: float = NOW,
    **params: str | int,
) -> Event:
    request = RequestPrivateService(
        reference_id=77,
        this_dn=this_dn,
        conn_id=conn_id,
        private_msg_id=int(service),
        user_data=KVList(list(params.items())),
    )
    send(core, session, request, now=now)
    [answer] = [e for e in received(session) if e.reference_id == 77]
    return answer


# ------------------------------------------------------------------------------------------------
# Registration, filtering, queries, user events


def test_register_all_monitors_every_dn_until_unregistered(core: TServerCore) -> None:
    a = connect(core, "1001")
    watcher = connect(core)
    send(core, watcher, RequestRegisterAll(reference_id=5))
    [answer] = received(watcher)
    assert isinstance(answer, EventRegisteredAll) and answer.reference_id == 5
    send(core, a, RequestMakeCall(reference_id=6, this_dn="1001", other_dn="1002"))
    assert names(received(watcher)) == ["EventDialing", "EventRinging"]
    send(core, watcher, RequestUnregisterAll(reference_id=7))
    received(watcher)
    conn = only(received(a), Event).conn_id  # type: ignore[attr-defined]
    send(core, a, RequestReleaseCall(reference_id=8, this_dn="1001", conn_id=conn))
    assert received(watcher) == []


def test_register_all_by_address_type_and_within_rights() -> None:
    core = make_core(
        applications=(ApplicationConfig("narrow", monitor=DNSet(("1002",)), control=DNSet(())),)
    )
    a = connect(core, "1001")
    queues = connect(core)
    send(core, queues, RequestRegisterAll(reference_id=5, address_type=AddressType.Queue))
    narrow = connect(core, app="narrow")
    send(core, narrow, RequestRegisterAll(reference_id=5))
    received(queues), received(narrow)
    send(core, a, RequestMakeCall(reference_id=6, this_dn="1001", other_dn="7001"))
    assert names(received(queues)) == ["EventQueued"]
    assert received(narrow) == []  # it may watch 1002 only
    send(core, a, RequestMakeCall(reference_id=7, this_dn="1002", other_dn="1003"))
    assert received(a)[-1].error_code == ErrorCode.NotRegistered  # type: ignore[attr-defined]


def test_unregister_address(core: TServerCore) -> None:
    a = connect(core, "1001")
    b = connect(core, "1002")
    send(core, b, RequestUnregisterAddress(reference_id=3, this_dn="1002"))
    [answer] = received(b)
    assert isinstance(answer, EventUnregistered) and answer.this_dn == "1002"
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="1002"))
    assert received(b) == []
    send(core, b, RequestUnregisterAddress(reference_id=5, this_dn="1002"))
    [error] = received(b)
    assert isinstance(error, EventError) and error.error_code == ErrorCode.NotRegistered
    send(core, b, RequestAnswerCall(reference_id=6, this_dn="1002", conn_id=ConnID(1)))
    assert received(b)[0].error_code == ErrorCode.NotRegistered  # type: ignore[attr-defined]


def test_input_mask_filters_unsolicited_events_only(core: TServerCore) -> None:
    a = connect(core, "1001")
    b = connect(core, "1002")
    mask = bytearray(b"\xff" * 32)
    ringing = int(MessageType.EventRinging)
    mask[ringing // 8] &= ~(1 << (ringing % 8))
    send(core, b, RequestSetInputMask(reference_id=3, input_mask=bytes(mask)))
    assert names(received(b)) == ["EventACK"]
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="1002"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    assert received(b) == []  # EventRinging filtered out
    send(core, b, RequestAnswerCall(reference_id=5, this_dn="1002", conn_id=conn))
    [established] = received(b)  # its own answer always arrives
    assert isinstance(established, EventEstablished) and established.reference_id == 5
    send(core, b, RequestSetInputMask(reference_id=6, input_mask=b""))  # everything again
    received(b)
    send(core, a, RequestReleaseCall(reference_id=7, this_dn="1001", conn_id=conn))
    assert names(received(b)) == ["EventReleased"]


def test_query_server_reports_statistics(core: TServerCore) -> None:
    a = connect(core, "1001")
    connect(core, "1002")
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="7001"))
    received(a)
    send(core, a, RequestQueryServer(reference_id=4), now=NOW + 1)
    [info] = received(a)
    assert isinstance(info, EventServerInfo) and info.reference_id == 4
    assert info.extensions is not None
    stats = dict(info.extensions)
    assert stats["clients"] == 2 and stats["connections"] == 2
    assert stats["calls"] == 1 and stats["queue.7001.waiting"] == 1
    assert stats["events"] == core.events_total >= 2
    assert float(str(stats["events_per_s"])) > 0
    assert stats["uptime_s"] == "101"


def test_distribute_user_event(core: TServerCore) -> None:
    a = connect(core, "1001")
    b1, b2 = connect(core, "1002"), connect(core, "1002", mode=RegisterMode.Monitor)
    data = KVList([("Campaign", "spring")])
    send(
        core,
        a,
        RequestDistributeUserEvent(reference_id=9, this_dn="1002", user_event=7, user_data=data),
    )
    [ack] = received(a)
    assert isinstance(ack, EventACK) and ack.reference_id == 9
    for session in (b1, b2):
        [event] = received(session)
        assert isinstance(event, EventUserEvent) and event.user_data == data
        assert event.this_dn == "1002"
    send(core, a, RequestDistributeUserEvent(reference_id=10, this_dn="4444", user_event=7))
    assert received(a)[0].error_code == ErrorCode.DNNotConfigured  # type: ignore[attr-defined]


def test_routing_point_without_a_router_routes_to_its_default_at_once(core: TServerCore) -> None:
    a = connect(core, "1001")
    c = connect(core, "1003")
    connect(core, "5001", mode=RegisterMode.Monitor)  # a monitor is not a router
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="5001"))
    assert isinstance(received(c)[0], EventRinging)
    router = connect(core, "5001")
    c2 = connect(core, "1002")
    send(core, c2, RequestMakeCall(reference_id=4, this_dn="1002", other_dn="5001"))
    assert names(received(router)) == ["EventRouteRequest"]  # now a router is asked
    assert received(c) == []


# ------------------------------------------------------------------------------------------------
# Authentication and rights


def test_authentication() -> None:
    core = make_core(authenticate=True, applications=(ApplicationConfig("desk", password="pw"),))
    for app, password in (("stranger", None), ("desk", "wrong"), ("desk", None)):
        session = core.open_session("t", NOW)
        send(
            core,
            session,
            RequestRegisterClient(
                reference_id=1,
                protocol_version="1.0",
                application_name=app,
                application_password=password,
            ),
        )
        [error] = received(session)
        assert isinstance(error, EventError) and error.error_code == ErrorCode.AuthenticationFailed
        assert session.closing and session.application_name is None
    ok = connect(core, "1001", password="pw", now=NOW + 10)  # past the failures' back-off
    assert not ok.closing


def test_rights_to_control_and_monitor() -> None:
    core = make_core(
        applications=(ApplicationConfig("wall", control=DNSet(()), monitor=DNSet(("1001-1002",))),)
    )
    wall = connect(core, app="wall")
    send(core, wall, RequestRegisterAddress(reference_id=3, this_dn="1001"))
    [error] = received(wall)
    assert isinstance(error, EventError) and error.error_code == ErrorCode.NotAllowed
    for dn, allowed in (("1001", True), ("1002", True), ("1003", False)):
        send(
            core,
            wall,
            RequestRegisterAddress(reference_id=4, this_dn=dn, register_mode=RegisterMode.Monitor),
        )
        [answer] = received(wall)
        assert isinstance(answer, EventError) != allowed, (dn, answer)


# ------------------------------------------------------------------------------------------------
# Simulation control, link and service events


def test_simulation_control_needs_the_right(core: TServerCore) -> None:
    desk = connect(core)
    answer = sim(core, desk, SimService.Inbound, ANI="555", DNIS="1001")
    assert isinstance(answer, EventError) and answer.error_code == ErrorCode.NotAllowed
    send(core, desk, RequestPrivateService(reference_id=3, this_dn="", private_msg_id=42))
    [error] = received(desk)
    assert isinstance(error, EventError) and error.error_code == ErrorCode.UnsupportedOperation


def test_inbound_call_injected_then_the_caller_hangs_up(core: TServerCore) -> None:
    ctl = connect(core, app=SIM)
    b = connect(core, "1002")
    info = sim(core, ctl, SimService.Inbound, ANI="+15550100", DNIS="1002", Patience=300)
    assert isinstance(info, EventPrivateInfo) and info.conn_id is not None
    assert info.private_msg_id == SimService.Inbound
    [ringing] = received(b)
    assert isinstance(ringing, EventRinging) and ringing.ani == "+15550100"
    assert ringing.conn_id == info.conn_id
    assert isinstance(sim(core, ctl, SimService.HangUp, conn_id=info.conn_id), EventPrivateInfo)
    assert names(received(b)) == ["EventAbandoned"]
    bad = sim(core, ctl, SimService.Inbound, ANI="+1555", DNIS="4444")
    assert isinstance(bad, EventError) and bad.error_code == ErrorCode.InvalidState
    missing = sim(core, ctl, SimService.Inbound, DNIS="1002")
    assert isinstance(missing, EventError) and missing.error_code == ErrorCode.InvalidAttribute


@pytest.mark.parametrize(
    ("kind", "state"),
    [("person", CallState.Ok), ("machine", CallState.AnsweringMachineDetected)],
)
def test_far_end_answers_as_told(core: TServerCore, kind: str, state: CallState) -> None:
    ctl = connect(core, app=SIM)
    a = connect(core, "1001")
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="95550123"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    sim(core, ctl, SimService.Answer, conn_id=conn, Kind=kind, Talk=30)
    [reached, established] = received(a)  # answered at once: the network had the call
    assert isinstance(reached, EventNetworkReached)
    assert isinstance(established, EventEstablished) and established.call_state == state
    sim(core, ctl, SimService.HangUp, conn_id=conn)
    assert names(received(a)) == ["EventReleased"]
    gone = sim(core, ctl, SimService.Busy, conn_id=conn)
    assert isinstance(gone, EventError) and gone.error_code == ErrorCode.InvalidConnID
    assert gone.error_message == f"call {conn} has ended"
    never = sim(core, ctl, SimService.HangUp, conn_id=ConnID(conn + 1000))
    assert isinstance(never, EventError) and never.error_code == ErrorCode.InvalidConnID
    assert never.error_message == f"there is no call {ConnID(conn + 1000)} on this switch"
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="95550124"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    sim(core, ctl, SimService.Busy, conn_id=conn)
    assert names(received(a)) == ["EventNetworkReached", "EventDestinationBusy"]
    wrong = sim(core, ctl, SimService.Answer, conn_id=conn, Kind="robot")
    assert isinstance(wrong, EventError)


def test_caller_digits_reach_a_collect_treatment(core: TServerCore) -> None:
    ctl = connect(core, app=SIM)
    router = connect(core, "5001")
    info = sim(core, ctl, SimService.Inbound, ANI="555", DNIS="5001")
    conn = info.conn_id  # type: ignore[attr-defined]
    received(router)
    send(
        core,
        router,
        RequestApplyTreatment(
            reference_id=5,
            this_dn="5001",
            conn_id=conn,
            treatment_type=TreatmentType.CollectDigits,
            treatment_parms=KVList([("MAX_DIGITS", 2)]),
        ),
    )
    received(router)
    sim(core, ctl, SimService.Digits, conn_id=conn, Digits="42")
    [end] = received(router)
    assert isinstance(end, EventTreatmentEnd) and end.collected_digits == "42"


def test_trunk_link_down_and_up(core: TServerCore) -> None:
    ctl = connect(core, app=SIM)
    a = connect(core, "1001")
    bystander = connect(core)
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="95550123"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    sim(core, ctl, SimService.Answer, conn_id=conn, Talk=60)
    received(a)
    down = sim(core, ctl, SimService.TrunkDown, TrunkGroup="pstn")
    assert isinstance(down, EventPrivateInfo) and down.user_data == KVList(
        [("TrunkGroup", "pstn"), ("LinkUp", 0)]
    )
    events = received(a)
    released = only(events, EventReleased)
    assert released.call_state == CallState.GeneralError
    for seen in (events, received(bystander)):  # every client hears of it
        link = only(seen, EventLinkDisconnected)
        assert link.extensions == KVList([("TrunkGroup", "pstn")])
    # while it is down: no outbound circuit, and inbound calls are refused
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="95550124"))
    busy = only(received(a), EventDestinationBusy)
    assert busy.call_state == CallState.AllTrunksBusy
    refused = sim(core, ctl, SimService.Inbound, ANI="555", DNIS="1002")
    assert isinstance(refused, EventError)
    sim(core, ctl, SimService.TrunkUp, TrunkGroup="pstn")
    assert names([e for e in received(bystander)]) == ["EventLinkConnected"]
    assert isinstance(only(received(a), EventLinkConnected), EventLinkConnected)


def test_dn_out_of_service_and_back(core: TServerCore) -> None:
    ctl = connect(core, app=SIM)
    a = connect(core, "1001")
    b = connect(core, "1002")
    answer = sim(core, ctl, SimService.OutOfService, this_dn="1002")
    assert isinstance(answer, EventPrivateInfo)
    [oos] = received(b)
    assert isinstance(oos, EventDNOutOfService) and oos.this_dn == "1002"
    send(core, b, RequestMakeCall(reference_id=3, this_dn="1002", other_dn="1001"))
    [error] = received(b)
    assert isinstance(error, EventError) and error.error_code == ErrorCode.DNOutOfService
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="1002"))
    assert names(received(a)) == ["EventDialing", "EventDestinationBusy"]
    send(
        core,
        a,
        RequestQueryAddress(
            reference_id=5, this_dn="1002", address_info_type=AddressInfoType.AddressStatus
        ),
    )
    info = only(received(a), EventAddressInfo)
    assert info.address_info_status == AddressStatus.Maintenance
    sim(core, ctl, SimService.OutOfService, this_dn="1002")  # again: nothing new
    assert received(b) == []
    sim(core, ctl, SimService.BackInService, this_dn="1002")
    assert isinstance(only(received(b), EventDNBackInService), EventDNBackInService)


# ------------------------------------------------------------------------------------------------
# Session life: keep-alive, back-pressure, rate limits, logout on disconnect, trace


def test_keepalive_probes_a_silent_client_then_drops_it() -> None:
    core = make_core(keepalive_interval=30.0, keepalive_timeout=10.0)
    quiet = connect(core, "1001")
    chatty = connect(core, "1002")
    stranger = connect(core, "1003")  # never speaks keep-alive: never probed, never cut off
    for session in (quiet, chatty):  # they speak it: they probed us once
        send(core, session, KeepAliveProbe(reference_id=1))
        received(session)
    assert core.check_keepalive(NOW + 29) == set()
    woken = core.check_keepalive(NOW + 30)
    assert woken == {quiet, chatty}
    assert all(isinstance(e, KeepAliveProbe) for e in received(quiet) + received(chatty))
    send(core, chatty, RequestQueryServer(reference_id=3), now=NOW + 35)  # any traffic answers
    received(chatty)
    core.check_keepalive(NOW + 40)
    assert quiet.closing and quiet.aborted and quiet.close_reason == "keep-alive timeout"
    assert not chatty.closing
    core.check_keepalive(NOW + 1000)
    assert not stranger.closing and received(stranger) == []


def test_a_client_that_stops_reading_is_dropped_alone(caplog: pytest.LogCaptureFixture) -> None:
    core = make_core(max_output_bytes=2000, max_frame_size=1000)
    reader = connect(core, "1001")
    stuck = connect(core)
    send(core, stuck, RequestRegisterAll(reference_id=2))
    calls = 0
    with caplog.at_level(logging.WARNING, logger="ctiemu.core"):
        while not stuck.aborted:
            send(core, reader, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="1002"))
            conn = received(reader)[0].conn_id  # type: ignore[attr-defined]
            send(core, reader, RequestReleaseCall(reference_id=4, this_dn="1001", conn_id=conn))
            assert names(received(reader)) == ["EventReleased"]
            calls += 1
            assert calls < 50
    assert stuck.closing and not stuck.has_output
    assert core.slow_readers_dropped == 1
    [line] = [r for r in caplog.records if "slow reader" in r.getMessage()]
    assert "max_output_bytes 2000" in line.getMessage()
    send(core, reader, RequestMakeCall(reference_id=5, this_dn="1001", other_dn="1002"))
    assert names(received(reader)) == ["EventDialing"]


def test_request_rate_limit() -> None:
    core = make_core(max_requests_per_second=5)
    a = connect(core)  # the handshake spent one request
    send(core, a, *[RequestQueryServer(reference_id=10 + i) for i in range(5)])
    answers = received(a)
    assert names(answers) == ["EventServerInfo"] * 4 + ["EventError"]
    assert answers[-1].error_code == ErrorCode.TooManyRequests  # type: ignore[attr-defined]
    send(core, a, RequestQueryServer(reference_id=20), now=NOW + 1)
    assert names(received(a)) == ["EventServerInfo"]


@pytest.mark.parametrize("logout", [True, False])
def test_logout_on_disconnect(logout: bool) -> None:
    core = make_core(logout_on_disconnect=logout)
    desk = connect(core, "1001")
    watcher = connect(core, "1001", mode=RegisterMode.Monitor)
    send(core, desk, RequestAgentLogin(reference_id=3, this_dn="1001", agent_id="agent1"))
    received(desk), received(watcher)
    woken = core.close_session(desk, NOW + 5)
    assert (core.switch.agent_at("1001") is None) == logout
    assert names(received(watcher)) == (["EventAgentLogout"] if logout else [])
    assert woken == ({watcher} if logout else set())


def test_frame_trace_switched_at_run_time(
    core: TServerCore, caplog: pytest.LogCaptureFixture
) -> None:
    a = connect(core, "1001")
    with caplog.at_level(logging.INFO, logger="ctiemu.trace"):
        answer = sim(core, a, SimService.Trace, On=1)  # its own trace: any application
        assert isinstance(answer, EventPrivateInfo) and a.trace
        send(core, a, RequestMakeCall(reference_id=5, this_dn="1001", other_dn="1002"))
        traced = [r.getMessage() for r in caplog.records if r.name == "ctiemu.trace"]
        assert any("<- RequestMakeCall" in m for m in traced)
        assert any("-> EventDialing" in m for m in traced)
        other = connect(core, "1002")
        denied = sim(core, a, SimService.Trace, Session=other.id, On=1)
        assert isinstance(denied, EventError) and denied.error_code == ErrorCode.NotAllowed
        nobody = sim(core, a, SimService.Trace, Session=9999, On=1)
        assert isinstance(nobody, EventError) and nobody.error_code == ErrorCode.InvalidAttribute
        assert (nobody.error_message or "").startswith(
            f"there is no session 9999 (connected now: {a.id}, {other.id};"
        )


def test_queries_and_user_events_respect_the_applications_dn_rights() -> None:
    """Issue 13, item 16: an application allowed only 1001 may not send user events to 1002's
    clients, nor read 1002's calls and their UserData by QueryAddress or QueryCall."""
    from protocol.messages import RequestDistributeUserEvent, RequestQueryCall

    core = make_core(
        applications=(
            ApplicationConfig("narrow", control=DNSet(("1001",)), monitor=DNSet(("1001",))),
        )
    )
    a, b = connect(core, "1001", app="a"), connect(core, "1002", app="b")
    send(core, a, RequestMakeCall(reference_id=5, this_dn="1001", other_dn="1002"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    received(b)
    narrow = connect(core, app="narrow")
    refused = [
        RequestDistributeUserEvent(
            reference_id=6, this_dn="1002", user_event=1, user_data=KVList([("k", "v")])
        ),
        RequestQueryAddress(
            reference_id=7, this_dn="1002", address_info_type=AddressInfoType.CallsQuery
        ),
        RequestQueryCall(reference_id=8, this_dn="1002", conn_id=conn, call_info_type=0),
    ]
    for request in refused:
        send(core, narrow, request)
        [error] = received(narrow)
        assert isinstance(error, EventError), error
        assert error.error_code == ErrorCode.NotAllowed and error.this_dn == "1002"
        assert error.reference_id == request.reference_id
    assert received(b) == []  # no user event reached 1002's client
    # its own DN: allowed
    send(
        core,
        narrow,
        RequestQueryCall(reference_id=9, this_dn="1001", conn_id=conn, call_info_type=0),
    )
    [info] = received(narrow)
    assert info.reference_id == 9 and not isinstance(info, EventError)


def test_a_turn_handles_at_most_max_frames_and_resume_takes_the_rest(core: TServerCore) -> None:
    """The core's side of fair turns (issue 13, item 20): receive_data(max_frames=N) handles
    N whole frames, says more may wait (Session.more_input), and resume() goes on."""
    session = connect(core, app="burst")
    queries = [
        RequestQueryAddress(
            reference_id=100 + i, this_dn="1001", address_info_type=AddressInfoType.AddressStatus
        )
        for i in range(70)
    ]
    core.receive_data(session, b"".join(encode(q) for q in queries), NOW, max_frames=32)
    assert [e.reference_id for e in received(session)] == list(range(100, 132))
    assert session.more_input
    core.resume(session, NOW, max_frames=32)
    assert [e.reference_id for e in received(session)] == list(range(132, 164))
    core.resume(session, NOW, max_frames=32)
    assert [e.reference_id for e in received(session)] == list(range(164, 170))
    assert not session.more_input


# ------------------------------------------------------------------------------------------------
# Connection limits (issue 13, items 17 and 18)


def _only_error(session: Session) -> EventError:
    [error] = received(session)
    assert isinstance(error, EventError), error
    return error


def test_connections_over_the_caps_are_refused_with_713() -> None:
    core = make_core(max_connections=3, max_connections_per_address=2)
    a = core.open_session("10.0.0.1:1000", NOW)
    b = core.open_session("10.0.0.1:1001", NOW)
    third_from_a = core.open_session("10.0.0.1:1002", NOW)
    assert not a.closing and not b.closing
    assert third_from_a.closing
    assert _only_error(third_from_a).error_code == ErrorCode.TooManyConnections
    core.close_session(third_from_a, NOW)
    c = core.open_session("10.0.0.2:1000", NOW)  # another address: fine, 3 in all
    assert not c.closing
    over = core.open_session("10.0.0.3:1000", NOW)  # a fourth in all
    assert over.closing and _only_error(over).error_code == ErrorCode.TooManyConnections
    core.close_session(over, NOW)
    core.close_session(a, NOW)
    again = core.open_session("10.0.0.1:1003", NOW)  # a's place is free again
    assert not again.closing


def test_connections_that_have_not_registered_are_capped_apart() -> None:
    core = make_core(max_handshaking_connections=2)
    first = core.open_session("10.0.0.1:1000", NOW)
    core.open_session("10.0.0.2:1000", NOW)
    third = core.open_session("10.0.0.3:1000", NOW)
    assert third.closing and _only_error(third).error_code == ErrorCode.TooManyConnections
    core.close_session(third, NOW)
    send(
        core,
        first,
        RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="a"),
    )
    registered_desks = [connect(core, app=f"d{i}") for i in range(5)]  # registered: not capped
    assert not any(d.closing for d in registered_desks)
    assert not core.open_session("10.0.0.4:1000", NOW).closing  # first's place is free


def test_a_connection_that_does_not_register_is_closed_after_the_handshake_timeout() -> None:
    core = make_core(handshake_timeout=10.0, keepalive_interval=0.0)
    lurker = core.open_session("10.0.0.9:1000", NOW)
    desk = connect(core, app="desk")
    assert core.sweep(NOW + 9.9) == set()
    woken = core.sweep(NOW + 10.0)
    assert woken == {lurker} and lurker.closing and not desk.closing
    assert _only_error(lurker).error_code == ErrorCode.ClientNotRegistered


def test_an_unfinished_frame_is_given_up_after_its_timeout() -> None:
    core = make_core(unfinished_frame_timeout=30.0, keepalive_interval=0.0)
    desk = connect(core, app="desk")
    half = encode(RequestQueryServer(reference_id=3))[:5]
    core.receive_data(desk, half, NOW + 1)
    assert core.sweep(NOW + 30.9) == set()
    assert core.sweep(NOW + 31.0) == {desk} and desk.closing
    assert _only_error(desk).error_code == ErrorCode.FramingError
    # a frame finished in time clears the clock
    other = connect(core, app="other")
    frame = encode(RequestQueryServer(reference_id=4))
    core.receive_data(other, frame[:5], NOW + 1)
    core.receive_data(other, frame[5:], NOW + 20)
    received(other)
    assert core.sweep(NOW + 100) == set() and not other.closing


def test_before_registering_only_small_frames_are_read() -> None:
    core = make_core(handshake_frame_size=65536)
    big = KVList([(f"k{i}", "x" * 100) for i in range(1000)])  # about 110 KB
    stranger = core.open_session("10.0.0.5:1000", NOW)
    core.receive_data(
        stranger,
        encode(
            RequestDistributeUserEvent(reference_id=1, this_dn="1001", user_event=1, user_data=big)
        ),
        NOW,
    )
    assert stranger.closing
    assert _only_error(stranger).error_code == ErrorCode.FrameTooLarge
    desk = connect(core, "1001", app="desk")  # registered: max_frame_size applies
    core.receive_data(
        desk,
        encode(
            RequestDistributeUserEvent(reference_id=9, this_dn="1001", user_event=1, user_data=big)
        ),
        NOW,
    )
    assert not desk.closing
    assert any(e.reference_id == 9 for e in received(desk))


# ------------------------------------------------------------------------------------------------
# Trace and authentication bounds (issue 13, item 19)


def test_the_frame_trace_writes_at_most_its_rate_and_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core(trace=True, trace_lines_per_second=10)
    desk = connect(core, "1001", app="desk")  # the handshake's lines take from the bucket too
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ctiemu.trace"):
        for i in range(100):
            send(core, desk, RequestQueryServer(reference_id=100 + i), now=NOW + 1)
        lines = [r.getMessage() for r in caplog.records if r.name == "ctiemu.trace"]
        assert len(lines) <= 10  # 200 frames, one second's worth written
        caplog.clear()
        send(core, desk, RequestQueryServer(reference_id=999), now=NOW + 3)
        later = [r.getMessage() for r in caplog.records if r.name == "ctiemu.trace"]
    assert any("trace lines not written" in line for line in later), later
    received(desk)


def test_authentication_failures_back_off_per_address_and_application(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core(authenticate=True, applications=(ApplicationConfig("desk", password="pw"),))

    def attempt(password: str, at: float, peer: str = "10.0.0.7:5000") -> EventError | None:
        session = core.open_session(peer, NOW + at)
        hello = RequestRegisterClient(
            reference_id=1,
            protocol_version="1.0",
            application_name="desk",
            application_password=password,
        )
        send(core, session, hello, now=NOW + at)
        [answer] = received(session)
        core.close_session(session, NOW + at)
        return answer if isinstance(answer, EventError) else None

    with caplog.at_level(logging.WARNING, logger="ctiemu.core"):
        first = attempt("guess1", 0.0)
        assert first is not None and first.error_code == ErrorCode.AuthenticationFailed
        blocked = attempt("pw", 0.1)  # the right password, inside the back-off: not looked at
        assert blocked is not None and "retry in" in (blocked.error_message or "")
        assert attempt("pw", 0.0, peer="10.0.0.8:5000") is None  # another address: unaffected
        assert attempt("guess2", 0.3) is not None  # a second failure: 0.5 s now
        assert attempt("pw", 0.7) is not None  # still inside it
        assert attempt("pw", 0.81) is None  # after it: the right password works, and resets
        assert attempt("guess3", 0.9) is not None  # a first failure again: 0.25 s
        assert attempt("pw", 1.16) is None
        # a burst of guesses: at most a handful are looked at, the log has one line for them
        looked_at = sum(
            1
            for i in range(200)
            if "wrong password"
            in ((attempt(f"g{i}", 2 + i * 0.01) or EventError()).error_message or "")
        )
    assert looked_at <= 5, looked_at
    warnings = [
        r for r in caplog.records if r.name == "ctiemu.core" and "10.0.0.7" in r.getMessage()
    ]
    assert len(warnings) <= 2, [w.getMessage() for w in warnings]


def test_frames_the_server_will_not_carry_out_are_refused_from_their_header(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13, item 17: before RequestRegisterClient, and over the request rate, a frame is
    answered from its header (its ReferenceID read, nothing else decoded): however large, it
    costs the server next to nothing."""
    import cti.server.core as core_module

    decoded: list[bytes] = []
    real_decode = core_module.decode

    def counting_decode(frame: bytes) -> Message:
        decoded.append(frame)
        return real_decode(frame)

    monkeypatch.setattr(core_module, "decode", counting_decode)
    core = make_core(max_requests_per_second=5, max_request_user_data_bytes=65536)
    big = KVList([(f"k{i}", "x" * 50) for i in range(900)])  # about 55 KB: under 64 KiB
    stranger = core.open_session("10.0.0.6:1000", NOW)
    request = RequestDistributeUserEvent(
        reference_id=31, this_dn="1001", user_event=1, user_data=big
    )
    core.receive_data(stranger, encode(request) * 3, NOW)
    errors = received(stranger)
    assert [e.error_code for e in errors] == [ErrorCode.ClientNotRegistered] * 3  # type: ignore[attr-defined]
    assert [e.reference_id for e in errors] == [31] * 3
    assert decoded == []
    desk = connect(core, "1001", app="desk")
    decoded.clear()
    core.receive_data(desk, encode(request) * 10, NOW)  # 5 a second: the last 5 over the rate
    refused = [getattr(e, "error_code", None) for e in received(desk)].count(
        ErrorCode.TooManyRequests
    )
    assert refused >= 5  # (the handshake took tokens too)
    assert len(decoded) == 10 - refused  # only those carried out were decoded
    # a request longer than its UserData cap allows is refused from its header too
    capped = make_core(max_request_user_data_bytes=16384)
    desk = connect(capped, "1001", app="desk")
    decoded.clear()
    capped.receive_data(desk, encode(request), NOW)
    [error] = received(desk)
    assert isinstance(error, EventError) and error.error_code == ErrorCode.UserDataTooLarge
    assert error.reference_id == 31 and decoded == []


# ------------------------------------------------------------------------------------------------
# UserData caps, and no reader dropped for one event (issue 13, item 15)


def test_userdata_is_capped_per_request_and_per_call() -> None:
    from protocol.codec import kvlist_size

    core = make_core(max_request_user_data_bytes=4000)
    a, b = connect(core, "1001", app="a"), connect(core, "1002", app="b")
    send(core, a, RequestMakeCall(reference_id=5, this_dn="1001", other_dn="1002"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    received(b)

    def attach(reference_id: int, pairs: int) -> Event:
        data = KVList([(f"k{reference_id}-{i}", "x" * 90) for i in range(pairs)])
        request = RequestAttachUserData(
            reference_id=reference_id, this_dn="1001", conn_id=conn, user_data=data
        )
        send(core, a, request)
        return next(e for e in received(a) if e.reference_id == reference_id)

    too_big = attach(6, 60)  # about 6 KB in one request
    assert isinstance(too_big, EventError) and too_big.error_code == ErrorCode.UserDataTooLarge
    # the call's cap (the switch's, small here): attaches add up until the next one would pass
    core.switch.config = replace(core.switch.config, max_call_user_data_bytes=10_000)
    answers = [attach(10 + i, 30) for i in range(5)]  # about 3 KB each
    refused = [e for e in answers if isinstance(e, EventError)]
    assert refused and all(e.error_code == ErrorCode.UserDataTooLarge for e in refused)
    call = core.switch.call(conn)
    assert call is not None and call.user_data is not None
    assert kvlist_size(call.user_data) <= 10_000
    assert not isinstance(answers[0], EventError)


def test_a_reader_is_never_dropped_for_the_size_of_one_event() -> None:
    core = make_core(max_output_bytes=2000)  # (check-config would refuse this: see below)
    a, b = connect(core, "1001", app="a"), connect(core, "1002", app="b")
    send(core, a, RequestMakeCall(reference_id=5, this_dn="1001", other_dn="1002"))
    conn = received(a)[0].conn_id  # type: ignore[attr-defined]
    received(b)
    big = KVList([(f"k{i}", "x" * 90) for i in range(30)])  # about 3 KB: one event over 2000

    def attach(reference_id: int) -> None:
        request = RequestAttachUserData(
            reference_id=reference_id, this_dn="1001", conn_id=conn, user_data=big
        )
        send(core, a, request)
        received(a)  # a reads everything

    attach(6)
    assert not b.closing  # b reads: one event bigger than its bound does not drop it
    assert any(isinstance(e, EventAttachedDataChanged) for e in received(b))
    # a reader that does not read is dropped once it had more than the bound queued before
    attach(7)
    assert not b.closing and not a.closing
    attach(8)
    assert b.closing and b.aborted
