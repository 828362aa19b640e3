"""Collect-digits treatments: a routing point or queue gathers the caller's DTMF.

Follows the Genesys Events and Models Reference's call-treatment events (GenEM
CallTreatmentEvents): EventTreatmentApplied when the treatment starts; EventTreatmentEnd when it
is over, carrying CollectedDigits and LastCollectedDigit for CollectDigits and
PlayAnnouncementAndDigits, and COMPLETION_STATUS in Extensions. The digits come from the trunk's
driver (an inbound caller) or from SendDTMF by an internal caller.
"""

from __future__ import annotations

import pytest

from hw.simnet import SimulatedNetwork
from protocol.enums import TreatmentType
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventDTMFSent,
    EventRinging,
    EventRouteRequest,
    EventTreatmentApplied,
    EventTreatmentEnd,
)
from protocol.values import ConnID, KVList
from switch import Switch, SwitchConfig, SwitchError
from switch.config import RoutingPointConfig, TrunkGroupConfig
from switch.trunks import DigitsReceived, Inbound

CALLER, OTHER, RP = "1001", "1002", "5001"


@pytest.fixture
def switch() -> Switch:
    config = SwitchConfig(
        extensions=(CALLER, OTHER),
        routing_points=(RoutingPointConfig(RP, default_destination=OTHER, timeout_seconds=60),),
        trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=2),),
    )
    return Switch(config, id_seed=3)


def conn_of(events: list[Event]) -> ConnID:
    first = events[0]
    assert isinstance(first, CallEvent)
    return first.conn_id


def collect(switch: Switch, conn: ConnID, **parms: int | str) -> None:
    [applied] = switch.apply_treatment(
        RP, conn, TreatmentType.CollectDigits, KVList(list(parms.items())), now=1
    )
    assert isinstance(applied, EventTreatmentApplied) and applied.this_dn == RP


def ended(event: Event) -> tuple[str | None, str | None, object]:
    assert isinstance(event, EventTreatmentEnd)
    assert (event.this_dn, event.treatment_type) == (RP, TreatmentType.CollectDigits)
    assert event.extensions is not None
    return event.collected_digits, event.last_digit, event.extensions.get("COMPLETION_STATUS")


def test_internal_caller_keys_digits_until_the_terminator(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn, MAX_DIGITS=4, TERM_DIGITS="#")
    [sent] = switch.send_dtmf(CALLER, conn, "12", now=2)
    assert isinstance(sent, EventDTMFSent) and sent.this_dn == CALLER
    sent, end = switch.send_dtmf(CALLER, conn, "3#9", now=3)
    assert isinstance(sent, EventDTMFSent)
    assert ended(end) == ("123", "3", "NORMAL")
    # the collection is over: more keys are refused as on any unanswered call
    with pytest.raises(SwitchError) as info:
        switch.send_dtmf(CALLER, conn, "4", now=4)
    assert info.value.code is ErrorCode.InvalidState
    assert switch.advance(100) != []  # only the routing timeout is left
    assert switch.take_commands() == []


def test_max_digits_ends_the_collection(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn, MAX_DIGITS=2)
    _, end = switch.send_dtmf(CALLER, conn, "4567", now=2)
    assert ended(end) == ("45", "5", "NORMAL")


def test_the_total_timeout_ends_with_what_was_keyed(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn, MAX_DIGITS=5, TOTAL_TIMEOUT=5)
    switch.send_dtmf(CALLER, conn, "7", now=2)
    assert switch.advance(5.9) == []
    [end] = switch.advance(6)
    assert ended(end) == ("7", "7", "TIMEOUT")


def test_a_timeout_with_no_digits(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn)  # defaults: one digit within 10 s
    [end] = switch.advance(11)
    assert ended(end) == ("", None, "TIMEOUT")


def test_inbound_caller_digits_from_the_driver(switch: Switch) -> None:
    [request] = switch.on_trunk_report(Inbound("pstn", "r1", ani="555", dnis=RP), now=0)
    assert isinstance(request, EventRouteRequest)
    conn = request.conn_id
    collect(switch, conn, MAX_DIGITS=3)
    assert switch.on_trunk_report(DigitsReceived(conn, "1"), now=2) == []
    assert switch.on_trunk_report(DigitsReceived(conn, "1x"), now=2) == []  # not DTMF: dropped
    [end] = switch.on_trunk_report(DigitsReceived(conn, "23"), now=3)
    assert ended(end) == ("123", "3", "NORMAL")
    # keys pressed when nobody collects them raise no event
    assert switch.on_trunk_report(DigitsReceived(conn, "5"), now=4) == []


def test_simulated_network_caller_answers_the_prompt(switch: Switch) -> None:
    network = SimulatedNetwork()
    network.inbound("pstn", "555", RP, now=0, patience=60)
    [report] = network.advance(0)
    [request] = switch.on_trunk_report(report, now=0)
    conn = conn_of([request])
    for command in switch.take_commands():
        network.command(command, now=0)
    collect(switch, conn, MAX_DIGITS=2)
    network.press(conn, "42", now=3)
    assert network.next_deadline() == 3
    events = [e for r in network.advance(3) for e in switch.on_trunk_report(r, now=3)]
    [end] = events
    assert ended(end) == ("42", "2", "NORMAL")


def test_digits_stop_mattering_once_the_call_is_routed(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn, MAX_DIGITS=3)
    routed = switch.route_call(RP, conn, OTHER, now=2)
    assert any(isinstance(e, EventRinging) for e in routed)
    with pytest.raises(SwitchError):
        switch.send_dtmf(CALLER, conn, "1", now=3)  # the caller's call now rings OTHER
    assert switch.advance(30) == []  # and the collection's timeout is gone with it


@pytest.mark.parametrize(
    ("parms", "complaint"),
    [
        ({"MAX_DIGITS": 0}, "MAX_DIGITS"),
        ({"MAX_DIGITS": 33}, "MAX_DIGITS"),
        ({"MAX_DIGITS": "4"}, "MAX_DIGITS"),
        ({"TERM_DIGITS": "x"}, "TERM_DIGITS"),
        ({"TERM_DIGITS": 5}, "TERM_DIGITS"),
        ({"TOTAL_TIMEOUT": 0}, "TOTAL_TIMEOUT"),
        ({"TOTAL_TIMEOUT": -1}, "TOTAL_TIMEOUT"),
    ],
)
def test_bad_collection_parameters_change_nothing(
    switch: Switch, parms: dict[str, int | str], complaint: str
) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    with pytest.raises(SwitchError) as info:
        switch.apply_treatment(
            RP, conn, TreatmentType.CollectDigits, KVList(list(parms.items())), now=1
        )
    assert info.value.code is ErrorCode.InvalidAttribute and complaint in str(info.value)
    with pytest.raises(SwitchError):  # no collection started
        switch.send_dtmf(CALLER, conn, "1", now=2)


def test_bad_digits_from_the_caller(switch: Switch) -> None:
    conn = conn_of(switch.make_call(CALLER, RP, now=0))
    collect(switch, conn, MAX_DIGITS=2)
    with pytest.raises(SwitchError) as info:
        switch.send_dtmf(CALLER, conn, "1z", now=2)
    assert info.value.code is ErrorCode.InvalidAttribute
    _, end = switch.send_dtmf(CALLER, conn, "12", now=3)
    assert ended(end) == ("12", "2", "NORMAL")  # the refused keys counted for nothing
