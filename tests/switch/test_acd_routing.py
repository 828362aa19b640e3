"""ACD queues and routing points in the switch, event for event, with time passed in.

Follows the Genesys Events and Models Reference's queue models (EventQueued and EventDiverted at
the queue with ThisQueue and ThirdPartyDN = the agent's DN; the agent's EventRinging with
ThisQueue = the distributing queue; EventAbandoned when the caller hangs up while queued or while
the agent rings) and its routing events (EventRouteRequest and EventRouteUsed with ThisDN =
ThisQueue = the routing point; EventRouteUsed also on default routing after the timeout).
"""

from __future__ import annotations

from typing import Any

import pytest

from protocol.enums import AgentWorkMode, CallState, DNRole, RouteType
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventAbandoned,
    EventAgentNotReady,
    EventAgentReady,
    EventDialing,
    EventDiverted,
    EventEstablished,
    EventQueued,
    EventReleased,
    EventRinging,
    EventRouteUsed,
)
from protocol.values import ConnID
from switch import Switch, SwitchConfig, SwitchError
from switch.agents import AgentState
from switch.config import AgentConfig, QueueConfig, RoutingPointConfig, TrunkGroupConfig
from switch.trunks import Inbound, ReleaseTrunk

CALLER, AG1, AG2, PLAIN = "1001", "1002", "1003", "1004"
Q, RP = "7001", "5001"


@pytest.fixture
def switch() -> Switch:
    config = SwitchConfig(
        extensions=(CALLER, AG1, AG2, PLAIN),
        agents=(AgentConfig("agent1"), AgentConfig("agent2")),
        queues=(QueueConfig(Q, ring_no_answer_seconds=10, after_call_work_seconds=5),),
        routing_points=(RoutingPointConfig(RP, default_destination=Q, timeout_seconds=8),),
    )
    return Switch(config, id_seed=9)


def view(events: list[Event]) -> list[tuple[Any, ...]]:
    """(event, ThisDN, OtherDN, ThirdPartyDN, ThisQueue, CallState) per event."""
    return [
        (
            type(e).__name__,
            getattr(e, "this_dn", None),
            getattr(e, "other_dn", None),
            getattr(e, "third_party_dn", None),
            getattr(e, "this_queue", None),
            getattr(e, "call_state", None),
        )
        for e in events
    ]


def ready(switch: Switch, dn: str, agent: str, now: float) -> None:
    switch.agent_login(dn, agent, now=now, queue=Q)
    switch.agent_ready(dn, now=now)


def conn_of(events: list[Event]) -> ConnID:
    first = events[0]
    assert isinstance(first, CallEvent)
    return first.conn_id


OK = CallState.Ok


def test_call_waits_in_queue_until_an_agent_is_ready(switch: Switch) -> None:
    made = switch.make_call(CALLER, Q, now=0)
    assert view(made) == [
        ("EventDialing", CALLER, Q, None, None, None),
        ("EventQueued", Q, CALLER, None, Q, OK),
    ]
    conn = conn_of(made)
    assert switch.waiting(Q) == [conn]
    switch.agent_login(AG1, "agent1", now=1, queue=Q)
    became_ready = switch.agent_ready(AG1, now=2)
    assert view(became_ready) == [
        ("EventAgentReady", AG1, None, None, Q, None),
        ("EventDiverted", Q, CALLER, AG1, Q, OK),
        ("EventRinging", AG1, CALLER, None, Q, OK),
    ]
    assert switch.waiting(Q) == []
    answered = switch.answer_call(AG1, conn, now=3)
    assert view(answered) == [
        ("EventEstablished", AG1, CALLER, None, Q, OK),
        ("EventEstablished", CALLER, AG1, None, None, OK),
    ]
    ringing = became_ready[2]
    assert isinstance(ringing, EventRinging) and ringing.this_dn_role is DNRole.Destination


def test_longest_available_agent_gets_the_call(switch: Switch) -> None:
    ready(switch, AG2, "agent2", now=1)  # ready first: longest available
    ready(switch, AG1, "agent1", now=2)
    made = switch.make_call(CALLER, Q, now=3)
    assert [(type(e).__name__, e.this_dn) for e in made][-1] == ("EventRinging", AG2)  # type: ignore[attr-defined]


def test_after_call_work_then_ready_again(switch: Switch) -> None:
    ready(switch, AG1, "agent1", now=0)
    conn = conn_of(switch.make_call(CALLER, Q, now=1))
    switch.answer_call(AG1, conn, now=2)
    released = switch.release_call(AG1, conn, now=3)
    assert view(released) == [
        ("EventReleased", AG1, CALLER, None, Q, OK),
        ("EventReleased", CALLER, AG1, None, None, OK),
        ("EventAgentNotReady", AG1, None, None, Q, None),
    ]
    acw = released[2]
    assert isinstance(acw, EventAgentNotReady)
    assert acw.agent_work_mode is AgentWorkMode.AfterCallWork
    assert switch.next_deadline() == 8  # 3 + after_call_work_seconds
    assert switch.advance(7.9) == []
    back = switch.advance(8)
    assert [type(e) for e in back] == [EventAgentReady]
    agent = switch.agent_at(AG1)
    assert agent is not None and agent.state is AgentState.Ready


def test_ring_no_answer_returns_the_call_to_the_queue(switch: Switch) -> None:
    ready(switch, AG1, "agent1", now=0)
    ready(switch, AG2, "agent2", now=1)
    conn = conn_of(switch.make_call(CALLER, Q, now=2))  # rings AG1 (longest available)
    assert switch.next_deadline() == 12
    rona = switch.advance(12)
    assert view(rona) == [
        ("EventReleased", AG1, CALLER, None, Q, CallState.DroppedNoAnswer),
        ("EventAgentNotReady", AG1, None, None, Q, None),
        ("EventQueued", Q, CALLER, None, Q, OK),
        ("EventDiverted", Q, CALLER, AG2, Q, OK),
        ("EventRinging", AG2, CALLER, None, Q, OK),
    ]
    answered = switch.answer_call(AG2, conn, now=13)
    assert [type(e) for e in answered] == [EventEstablished, EventEstablished]


def test_a_stale_ring_timer_does_nothing(switch: Switch) -> None:
    ready(switch, AG1, "agent1", now=0)
    conn = conn_of(switch.make_call(CALLER, Q, now=1))
    switch.answer_call(AG1, conn, now=2)
    assert switch.advance(50) == []  # the ring timer of an answered call is void


def test_abandon_while_queued(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, Q, now=0))
    abandoned = switch.release_call(CALLER, conn, now=1)
    assert view(abandoned) == [
        ("EventReleased", CALLER, Q, None, None, OK),
        ("EventAbandoned", Q, CALLER, None, Q, OK),
    ]
    assert switch.waiting(Q) == [] and switch.calls == []


def test_abandon_while_the_agent_rings(switch: Switch) -> None:
    ready(switch, AG1, "agent1", now=0)
    conn = conn_of(switch.make_call(CALLER, Q, now=1))
    abandoned = switch.release_call(CALLER, conn, now=2)
    assert view(abandoned) == [
        ("EventReleased", CALLER, AG1, None, None, OK),
        ("EventAbandoned", AG1, CALLER, None, Q, OK),
    ]
    agent = switch.agent_at(AG1)
    assert agent is not None and agent.state is AgentState.Ready  # free for the next call
    nxt = switch.make_call(PLAIN, Q, now=3)
    assert [type(e) for e in nxt] == [EventDialing, EventQueued, EventDiverted, EventRinging]


def test_agent_rejecting_an_acd_call_sends_it_back(switch: Switch) -> None:
    ready(switch, AG1, "agent1", now=0)
    conn = conn_of(switch.make_call(CALLER, Q, now=1))
    rejected = switch.release_call(AG1, conn, now=2)
    assert [type(e) for e in rejected] == [EventReleased, EventAgentNotReady, EventQueued]
    assert switch.waiting(Q) == [conn]


def test_routing_point_route_call(switch: Switch) -> None:
    made = switch.make_call(CALLER, RP, now=0)
    assert view(made) == [
        ("EventDialing", CALLER, RP, None, None, None),
        ("EventRouteRequest", RP, CALLER, None, RP, None),
    ]
    conn = conn_of(made)
    routed = switch.route_call(RP, conn, PLAIN, now=1)
    assert view(routed) == [
        ("EventRouteUsed", RP, CALLER, PLAIN, RP, OK),
        ("EventRinging", PLAIN, CALLER, None, RP, OK),
    ]
    used = routed[0]
    assert isinstance(used, EventRouteUsed) and used.third_party_dn_role is DNRole.Destination
    answered = switch.answer_call(PLAIN, conn, now=2)
    assert view(answered)[1] == ("EventEstablished", CALLER, PLAIN, None, None, OK)
    assert switch.advance(100) == []  # routed in time: no default routing


def test_routing_timeout_uses_the_default_destination(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    assert switch.next_deadline() == 8
    routed = switch.advance(8)
    assert view(routed) == [
        ("EventRouteUsed", RP, CALLER, Q, RP, OK),
        ("EventQueued", Q, CALLER, None, Q, OK),
    ]
    assert switch.waiting(Q) == [conn]


def test_route_to_a_busy_extension(switch: Switch) -> None:
    switch.make_call(PLAIN, AG1, now=0)  # PLAIN is now busy
    conn = conn_of(switch.make_call(CALLER, RP, now=1))
    routed = switch.route_call(RP, conn, PLAIN, now=2)
    assert view(routed) == [
        ("EventRouteUsed", RP, CALLER, PLAIN, RP, OK),
        ("EventDestinationBusy", CALLER, PLAIN, None, None, CallState.Busy),
    ]


def test_abandon_at_routing_point(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    abandoned = switch.release_call(CALLER, conn, now=1)
    assert [type(e) for e in abandoned] == [EventReleased, EventAbandoned]
    assert switch.advance(100) == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((RP, "9999"), ErrorCode.DNNotConfigured),
        ((RP, RP), ErrorCode.DNNotConfigured),
        ((PLAIN, CALLER), ErrorCode.InvalidState),  # not a routing point
    ],
)
def test_bad_route_requests_leave_the_call_waiting(
    switch: Switch, args: tuple[str, str], code: ErrorCode
) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    with pytest.raises(SwitchError) as info:
        switch.route_call(args[0], conn, args[1], now=1)
    assert info.value.code is code
    assert [type(e) for e in switch.route_call(RP, conn, PLAIN, now=2)][-1] is EventRinging


def test_unsupported_route_type(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    with pytest.raises(SwitchError) as info:
        switch.route_call(RP, conn, PLAIN, now=1, route_type=RouteType.Announcement)
    assert info.value.code is ErrorCode.UnsupportedOperation


@pytest.mark.parametrize("route_type", [RouteType.CallDisconnect, RouteType.Reject])
def test_the_router_rejects_the_call(switch: Switch, route_type: RouteType) -> None:
    """Issue 13, item 10: RouteCall with RouteType CallDisconnect (or the deprecated Reject)
    ends the call: EventRouteUsed at the routing point without a destination (GenEM Special
    Cases, "Rejected Call"), EventReleased for the caller."""
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    rejected = switch.route_call(RP, conn, None, now=1, route_type=route_type)
    assert view(rejected) == [
        ("EventRouteUsed", RP, CALLER, None, RP, OK),
        ("EventReleased", CALLER, RP, None, None, OK),
    ]
    assert switch.calls == []
    assert switch.advance(100.0) == []  # the routing timeout is gone with the call


def test_a_rejected_inbound_call_releases_its_trunk() -> None:
    config = SwitchConfig(
        extensions=(CALLER,),
        routing_points=(RoutingPointConfig(RP, default_destination=CALLER),),
        trunk_groups=(TrunkGroupConfig("pstn", ("9",)),),
    )
    switch = Switch(config, id_seed=9)
    conn = conn_of(switch.on_trunk_report(Inbound("pstn", "r1", "+15550199", RP), now=0))
    switch.take_commands()
    rejected = switch.route_call(RP, conn, None, now=1, route_type=RouteType.CallDisconnect)
    assert [type(e).__name__ for e in rejected] == ["EventRouteUsed"]
    assert switch.take_commands() == [ReleaseTrunk("pstn", conn)]
    assert switch.calls == [] and switch.trunks_in_use("pstn") == 0


def test_queues_and_routing_points_cannot_originate(switch: Switch) -> None:
    for dn in (Q, RP):
        with pytest.raises(SwitchError) as info:
            switch.make_call(dn, CALLER, now=0)
        assert info.value.code is ErrorCode.InvalidState


def test_treatment_on_a_routing_point(switch: Switch) -> None:
    from protocol.enums import TreatmentType
    from protocol.messages import EventTreatmentApplied, EventTreatmentEnd
    from protocol.values import KVList

    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    [applied] = switch.apply_treatment(RP, conn, TreatmentType.Music, now=1)
    assert isinstance(applied, EventTreatmentApplied)
    assert (applied.this_dn, applied.treatment_type) == (RP, TreatmentType.Music)
    parms = KVList([("Duration", 3)])
    [again] = switch.apply_treatment(RP, conn, TreatmentType.PlayAnnouncement, now=2, parms=parms)
    assert isinstance(again, EventTreatmentApplied) and again.treatment_parms == parms
    assert switch.advance(4.9) == []
    [ended] = switch.advance(5)
    assert (
        isinstance(ended, EventTreatmentEnd)
        and ended.treatment_type is TreatmentType.PlayAnnouncement
    )
    # a treatment that outlives the routing is simply over
    switch.apply_treatment(RP, conn, TreatmentType.RingBack, now=6, parms=KVList([("Duration", 5)]))
    switch.route_call(RP, conn, PLAIN, now=7)
    assert switch.advance(20) == []  # no EventTreatmentEnd once the call has left


def test_treatment_errors(switch: Switch) -> None:
    from protocol.enums import TreatmentType
    from protocol.values import KVList

    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    with pytest.raises(SwitchError) as info:
        switch.apply_treatment(RP, conn, TreatmentType.IVR, now=1)
    assert info.value.code is ErrorCode.UnsupportedOperation
    with pytest.raises(SwitchError) as info:
        switch.apply_treatment(
            RP, conn, TreatmentType.Music, now=1, parms=KVList([("Duration", "long")])
        )
    assert info.value.code is ErrorCode.InvalidAttribute
    with pytest.raises(SwitchError) as info:
        switch.apply_treatment(CALLER, conn, TreatmentType.Music, now=1)
    assert info.value.code is ErrorCode.InvalidState


def test_direct_agent_call(switch: Switch) -> None:
    from protocol.enums import MakeCallType

    ready(switch, AG1, "agent1", now=0)
    made = switch.make_call(CALLER, AG1, now=1, make_call_type=MakeCallType.DirectAgent)
    assert view(made) == [
        ("EventDialing", CALLER, AG1, None, None, None),
        ("EventRinging", AG1, CALLER, None, Q, OK),
    ]
    conn = conn_of(made)
    switch.answer_call(AG1, conn, now=2)
    released = switch.release_call(CALLER, conn, now=3)
    assert isinstance(released[-1], EventAgentNotReady)  # after-call work of an ACD call
    with pytest.raises(SwitchError) as info:
        switch.make_call(CALLER, PLAIN, now=4, make_call_type=MakeCallType.DirectAgent)
    assert info.value.code is ErrorCode.InvalidState


def test_priority_call_waits_at_the_head(switch: Switch) -> None:
    from protocol.enums import MakeCallType

    first = conn_of(switch.make_call(CALLER, Q, now=0))
    urgent = conn_of(switch.make_call(PLAIN, Q, now=1, make_call_type=MakeCallType.Priority))
    assert switch.waiting(Q) == [urgent, first]


@pytest.mark.parametrize("route_type", list(RouteType), ids=lambda t: t.name)
def test_every_route_type_routes_disconnects_or_is_refused(
    switch: Switch, route_type: RouteType
) -> None:
    """No RouteType falls through unnoticed: each routes the call to OtherDN, ends it, or is
    refused as unsupported, changing nothing."""
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    refused = {RouteType.Announcement, RouteType.PostFeature, RouteType.AgentID}
    if route_type in refused:
        with pytest.raises(SwitchError) as info:
            switch.route_call(RP, conn, PLAIN, now=1, route_type=route_type)
        assert info.value.code is ErrorCode.UnsupportedOperation
        assert switch.calls_at(RP) != []
        return
    events = switch.route_call(RP, conn, PLAIN, now=1, route_type=route_type)
    ends = route_type in (RouteType.CallDisconnect, RouteType.Reject)
    assert [type(e).__name__ for e in events] == (
        ["EventRouteUsed", "EventReleased"] if ends else ["EventRouteUsed", "EventRinging"]
    )
