"""Calls through trunks, in the switch alone: the driver's reports are fed in by hand.

Outbound: the caller gets EventDialing (CallType Outbound, OtherDN the number), EventNetworkReached
once, with the first report that shows the network has the call (alerting, or the outcome
itself: an answer, busy, a SIT, no answer, the far end hanging up), EventEstablished on answer
(CallState saying what answered), and EventDestinationBusy or EventReleased (CallState NoAnswer,
Sit*, GeneralError) when it fails. Only a failure to place the call, and all trunks busy, come
without EventNetworkReached.
Inbound: the DNIS DN is offered the call with ANI, DNIS and CallType Inbound; an external caller
who hangs up before answer leaves EventAbandoned. The external party gets no events.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocol.enums import CallState, CallType
from protocol.errors import ErrorCode
from protocol.messages import CallEvent, Event
from protocol.values import ConnID, KVList
from switch import Switch, SwitchConfig, SwitchError
from switch.config import AgentConfig, QueueConfig, TrunkGroupConfig
from switch.features.trunk_calls import _ON_REPORT
from switch.trunks import (
    Alerting,
    Answered,
    AnswerInbound,
    AnswerKind,
    Busy,
    Dial,
    DigitsReceived,
    Failed,
    FarEndReleased,
    Inbound,
    InboundAccepted,
    InboundRejected,
    LinkDown,
    LinkUp,
    NoAnswer,
    ReleaseTrunk,
    SitDetected,
    SitKind,
    TrunkReport,
)

A, B = "1001", "1002"
Q = "7001"
NUMBER = "95551234"


@pytest.fixture
def switch() -> Switch:
    config = SwitchConfig(
        extensions=(A, B),
        agents=(AgentConfig("agent1"),),
        queues=(QueueConfig(Q),),
        trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=2),),
    )
    return Switch(config, id_seed=4)


def view(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (
            type(e).__name__,
            getattr(e, "this_dn", None),
            getattr(e, "other_dn", None),
            getattr(e, "call_type", None),
            getattr(e, "call_state", None),
        )
        for e in events
    ]


def dial(switch: Switch, dn: str = A, number: str = NUMBER) -> ConnID:
    made = switch.make_call(dn, number, now=0)
    first = made[0]
    assert isinstance(first, CallEvent)
    return first.conn_id


OUT, IN, OK = CallType.Outbound, CallType.Inbound, CallState.Ok


def test_outbound_call_answered_by_a_person(switch: Switch) -> None:
    made = switch.make_call(A, NUMBER, now=0)
    assert view(made) == [("EventDialing", A, NUMBER, OUT, None)]
    conn = made[0].conn_id  # type: ignore[attr-defined]
    assert switch.take_commands() == [Dial("pstn", conn, NUMBER, ani=A)]
    assert switch.trunks_in_use("pstn") == 1
    assert view(switch.on_trunk_report(Alerting(conn), now=1)) == [
        ("EventNetworkReached", A, NUMBER, OUT, OK)
    ]
    assert view(switch.on_trunk_report(Answered(conn), now=3)) == [
        ("EventEstablished", A, NUMBER, OUT, OK)
    ]
    assert view(switch.on_trunk_report(FarEndReleased(conn), now=60)) == [
        ("EventReleased", A, NUMBER, OUT, OK)
    ]
    assert switch.calls == [] and switch.trunks_in_use("pstn") == 0
    assert switch.take_commands() == []  # the network hung up: nothing to tell it


def test_outbound_answered_by_a_machine(switch: Switch) -> None:
    conn = dial(switch)
    switch.on_trunk_report(Alerting(conn), now=1)
    answered = switch.on_trunk_report(Answered(conn, AnswerKind.AnsweringMachine), now=2)
    assert view(answered) == [
        ("EventEstablished", A, NUMBER, OUT, CallState.AnsweringMachineDetected)
    ]


def test_caller_releases_an_outbound_call(switch: Switch) -> None:
    conn = dial(switch)
    switch.take_commands()
    assert view(switch.release_call(A, conn, now=1)) == [("EventReleased", A, NUMBER, OUT, OK)]
    assert switch.take_commands() == [ReleaseTrunk("pstn", conn)]
    assert switch.trunks_in_use("pstn") == 0
    assert switch.on_trunk_report(Answered(conn), now=2) == []  # too late: ignored


def test_outbound_busy(switch: Switch) -> None:
    """Issue 13, item 8: the busy number's call reached the network."""
    conn = dial(switch)
    assert view(switch.on_trunk_report(Busy(conn), now=1)) == [
        ("EventNetworkReached", A, NUMBER, OUT, OK),
        ("EventDestinationBusy", A, NUMBER, OUT, CallState.Busy),
    ]
    assert switch.trunks_in_use("pstn") == 0
    switch.take_commands()
    assert view(switch.release_call(A, conn, now=2)) == [("EventReleased", A, NUMBER, OUT, OK)]
    assert switch.take_commands() == []


@pytest.mark.parametrize(
    ("report", "state"),
    [
        (NoAnswer, CallState.NoAnswer),
        (lambda c: SitDetected(c, SitKind.Vacant), CallState.SitVacant),
        (lambda c: SitDetected(c, SitKind.Intercept), CallState.SitOperIntercept),
        (lambda c: SitDetected(c, SitKind.NoCircuit), CallState.SitNoCircuit),
        (lambda c: SitDetected(c, SitKind.Reorder), CallState.SitReorder),
        (lambda c: SitDetected(c, SitKind.Unknown), CallState.SitUnknown),
        (FarEndReleased, OK),
    ],
)
def test_outbound_failures_release_with_call_state(
    switch: Switch, report: Any, state: CallState
) -> None:
    conn = dial(switch)
    assert view(switch.on_trunk_report(report(conn), now=1)) == [
        ("EventNetworkReached", A, NUMBER, OUT, OK),
        ("EventReleased", A, NUMBER, OUT, state),
    ]
    assert switch.calls == [] and switch.trunks_in_use("pstn") == 0


def test_a_failure_to_place_the_call_never_reached_the_network(switch: Switch) -> None:
    conn = dial(switch)
    assert view(switch.on_trunk_report(Failed(conn, "fault"), now=1)) == [
        ("EventReleased", A, NUMBER, OUT, CallState.GeneralError)
    ]


#: Every outbound outcome a driver reports, and what the caller gets after EventNetworkReached.
OUTCOMES: dict[type[TrunkReport], tuple[Any, list[str]]] = {
    Answered: (Answered, ["EventEstablished"]),
    Busy: (Busy, ["EventDestinationBusy"]),
    NoAnswer: (NoAnswer, ["EventReleased"]),
    SitDetected: (lambda c: SitDetected(c, SitKind.Vacant), ["EventReleased"]),
    FarEndReleased: (FarEndReleased, ["EventReleased"]),
}
#: Reports that are no outcome of an outbound call, or that say it never reached the network.
NOT_OUTCOMES = {Alerting, Failed, Inbound, LinkDown, LinkUp, DigitsReceived}


def test_every_trunk_report_is_classified_here() -> None:
    """A new kind of driver report must say whether it shows the call reached the network."""
    assert set(_ON_REPORT) == set(OUTCOMES) | NOT_OUTCOMES


@pytest.mark.parametrize("outcome", list(OUTCOMES), ids=lambda r: r.__name__)
@pytest.mark.parametrize("alerted", [False, True], ids=["at once", "after alerting"])
def test_network_reached_once_before_every_outcome(
    switch: Switch, outcome: type[TrunkReport], alerted: bool
) -> None:
    """Busy, no answer, SIT, answered, far-end release: the call reached the network, and the
    caller hears so once (with the alerting, or with the outcome when none came first)."""
    make, after = OUTCOMES[outcome]
    conn = dial(switch)
    events = switch.on_trunk_report(Alerting(conn), now=1) if alerted else []
    events += switch.on_trunk_report(make(conn), now=2)
    assert [type(e).__name__ for e in events] == ["EventNetworkReached", *after]


def test_channels_are_counted_and_freed(switch: Switch) -> None:
    first = dial(switch, A, "91")
    dial(switch, B, "92")
    assert switch.trunks_in_use("pstn") == 2
    switch.release_call(A, first, now=1)
    assert switch.trunks_in_use("pstn") == 1
    dial(switch, A, "93")
    assert switch.trunks_in_use("pstn") == 2


def test_all_trunks_busy_reports_destination_busy() -> None:
    config = SwitchConfig(
        extensions=(A, B, "1003"), trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=1),)
    )
    switch = Switch(config, id_seed=1)
    switch.make_call(A, "91", now=0)
    made = switch.make_call(B, "92", now=1)
    assert view(made) == [
        ("EventDialing", B, "92", OUT, None),
        ("EventDestinationBusy", B, "92", OUT, CallState.AllTrunksBusy),
    ]
    assert [type(c).__name__ for c in switch.take_commands()] == ["Dial"]


def test_unknown_number_is_refused(switch: Switch) -> None:
    with pytest.raises(SwitchError) as info:
        switch.make_call(A, "5551234", now=0)
    assert info.value.code is ErrorCode.DNNotConfigured


def test_inbound_call_to_an_extension(switch: Switch) -> None:
    data = KVList([("IVRChoice", "2")])
    events = switch.on_trunk_report(
        Inbound("pstn", "ref-1", ani="+15550001", dnis=B, user_data=data), now=0
    )
    assert view(events) == [("EventRinging", B, "+15550001", IN, OK)]
    ringing = events[0]
    assert (ringing.ani, ringing.dnis, ringing.user_data) == ("+15550001", B, data)  # type: ignore[attr-defined]
    conn = ringing.conn_id  # type: ignore[attr-defined]
    assert switch.take_commands() == [InboundAccepted("pstn", "ref-1", conn)]
    assert view(switch.answer_call(B, conn, now=2)) == [
        ("EventEstablished", B, "+15550001", IN, OK)
    ]
    assert switch.take_commands() == [AnswerInbound("pstn", conn)]
    assert view(switch.release_call(B, conn, now=9)) == [("EventReleased", B, "+15550001", IN, OK)]
    assert switch.take_commands() == [ReleaseTrunk("pstn", conn)]
    assert switch.calls == [] and switch.trunks_in_use("pstn") == 0


def test_inbound_caller_abandons_while_ringing(switch: Switch) -> None:
    events = switch.on_trunk_report(Inbound("pstn", "r", ani="555", dnis=B), now=0)
    conn = events[0].conn_id  # type: ignore[attr-defined]
    assert view(switch.on_trunk_report(FarEndReleased(conn), now=5)) == [
        ("EventAbandoned", B, "555", IN, OK)
    ]
    assert switch.calls == []


def test_inbound_through_a_queue_abandoned_while_queued(switch: Switch) -> None:
    events = switch.on_trunk_report(Inbound("pstn", "r", ani="555", dnis=Q), now=0)
    assert view(events) == [("EventQueued", Q, "555", IN, OK)]
    conn = events[0].conn_id  # type: ignore[attr-defined]
    assert view(switch.on_trunk_report(FarEndReleased(conn), now=30)) == [
        ("EventAbandoned", Q, "555", IN, OK)
    ]
    assert switch.waiting(Q) == []


def test_inbound_to_a_busy_extension(switch: Switch) -> None:
    switch.make_call(B, A, now=0)
    assert switch.on_trunk_report(Inbound("pstn", "r", ani="555", dnis=B), now=1) == []
    commands = switch.take_commands()
    assert [type(c) for c in commands] == [InboundAccepted, ReleaseTrunk]
    release = commands[1]
    assert isinstance(release, ReleaseTrunk) and release.cause is CallState.Busy
    assert len(switch.calls) == 1 and switch.trunks_in_use("pstn") == 0


@pytest.mark.parametrize(
    ("inbound", "reason"),
    [
        (Inbound("nowhere", "r", ani="1", dnis=B), "trunk group"),
        (Inbound("pstn", "r", ani="1", dnis="9999"), "DNIS"),
    ],
)
def test_inbound_rejected(switch: Switch, inbound: Inbound, reason: str) -> None:
    assert switch.on_trunk_report(inbound, now=0) == []
    [rejected] = switch.take_commands()
    assert isinstance(rejected, InboundRejected) and reason in rejected.reason
    assert switch.calls == []


def test_dtmf_goes_out_on_the_trunk(switch: Switch) -> None:
    from switch.trunks import SendDigits

    conn = dial(switch)
    switch.on_trunk_report(Answered(conn), now=1)
    switch.take_commands()
    switch.send_dtmf(A, conn, "1234", now=2)
    assert switch.take_commands() == [SendDigits("pstn", conn, "1234")]
