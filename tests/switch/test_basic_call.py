"""The basic internal call in the switch, event for event and party by party.

Sans-IO: the switch is driven directly with `now` passed in; no sockets, no clock. Each test
states the exact list of events each DN receives, with the attributes the Genesys Events and
Models Reference gives for the basic call models.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocol.enums import CallState, CallType, DNRole
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    EventAbandoned,
    EventDestinationBusy,
    EventDialing,
    EventDiverted,
    EventEstablished,
    EventHeld,
    EventQueued,
    EventReleased,
    EventRetrieved,
    EventRinging,
    EventRouteRequest,
    EventRouteUsed,
)
from switch import PartyInput, PartyState, Switch, SwitchConfig, SwitchError
from switch.pbx import PARTY_TRANSITIONS

A, B, C = "1001", "1002", "1003"


@pytest.fixture
def switch() -> Switch:
    return Switch(SwitchConfig(extensions=(A, B, C)), id_seed=7)


def _view(events: list[CallEvent]) -> list[tuple[Any, ...]]:
    """(event, ThisDN, OtherDN, ThisDNRole, OtherDNRole, CallType, CallState) per event."""
    return [
        (
            type(e).__name__,
            e.this_dn,
            e.other_dn,
            e.this_dn_role,
            e.other_dn_role,
            e.call_type,
            getattr(e, "call_state", None),  # EventDialing carries no CallState
        )
        for e in events
    ]


ORIG, DEST = DNRole.Origination, DNRole.Destination
INT = CallType.Internal


def test_make_answer_release_by_caller(switch: Switch) -> None:
    made = switch.make_call(A, B, now=0.0)
    assert _view(made) == [
        ("EventDialing", A, B, ORIG, DEST, INT, None),
        ("EventRinging", B, A, DEST, ORIG, INT, CallState.Ok),
    ]
    conn = made[0].conn_id
    answered = switch.answer_call(B, conn, now=1.0)
    assert _view(answered) == [
        ("EventEstablished", B, A, DEST, ORIG, INT, CallState.Ok),
        ("EventEstablished", A, B, ORIG, DEST, INT, CallState.Ok),
    ]
    released = switch.release_call(A, conn, now=2.0)
    assert _view(released) == [
        ("EventReleased", A, B, ORIG, DEST, INT, CallState.Ok),
        ("EventReleased", B, A, DEST, ORIG, INT, CallState.Ok),
    ]
    every = made + answered + released
    assert {e.conn_id for e in every} == {conn}
    assert {getattr(e, "call_id", None) for e in every} == {1}
    assert len({getattr(e, "call_uuid", None) for e in every}) == 1
    assert switch.calls == [] and switch.calls_at(A) == [] and switch.calls_at(B) == []


def test_release_by_called_party(switch: Switch) -> None:
    conn = switch.make_call(A, B, now=0.0)[0].conn_id
    switch.answer_call(B, conn, now=1.0)
    assert _view(switch.release_call(B, conn, now=2.0)) == [
        ("EventReleased", B, A, DEST, ORIG, INT, CallState.Ok),
        ("EventReleased", A, B, ORIG, DEST, INT, CallState.Ok),
    ]


def test_caller_hangs_up_while_ringing(switch: Switch) -> None:
    """Internal parties get EventReleased (EventAbandoned is only for external callers)."""
    conn = switch.make_call(A, B, now=0.0)[0].conn_id
    assert _view(switch.release_call(A, conn, now=1.0)) == [
        ("EventReleased", A, B, ORIG, DEST, INT, CallState.Ok),
        ("EventReleased", B, A, DEST, ORIG, INT, CallState.Ok),
    ]
    assert switch.calls == []


def test_destination_busy(switch: Switch) -> None:
    first = switch.make_call(A, B, now=0.0)[0].conn_id
    busy = switch.make_call(C, B, now=1.0)
    assert _view(busy) == [
        ("EventDialing", C, B, ORIG, DEST, INT, None),
        ("EventDestinationBusy", C, B, ORIG, DEST, INT, CallState.Busy),
    ]
    second = busy[0].conn_id
    assert second != first
    # B's ringing call is untouched; C can only release the busy call
    with pytest.raises(SwitchError) as info:
        switch.answer_call(C, second, now=2.0)
    assert info.value.code is ErrorCode.InvalidState
    assert _view(switch.release_call(C, second, now=2.0)) == [
        ("EventReleased", C, B, ORIG, DEST, INT, CallState.Ok),
    ]
    assert [c.conn_id for c in switch.calls] == [first]


def test_calling_yourself_is_busy(switch: Switch) -> None:
    events = switch.make_call(A, A, now=0.0)
    assert [type(e) for e in events] == [EventDialing, EventDestinationBusy]


def test_user_data_travels_with_the_call(switch: Switch) -> None:
    from protocol.values import KVList

    data = KVList([("CustomerID", "42")])
    made = switch.make_call(A, B, now=0.0, user_data=data)
    conn = made[0].conn_id
    answered = switch.answer_call(B, conn, now=1.0)
    assert all(e.user_data == data for e in made + answered)


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (lambda s, conn: s.make_call("9999", B, now=0), ErrorCode.DNNotConfigured),
        (lambda s, conn: s.make_call(A, "9999", now=0), ErrorCode.DNNotConfigured),
        (lambda s, conn: s.make_call(A, C, now=0), ErrorCode.InvalidState),  # A is in a call
        (lambda s, conn: s.answer_call(A, conn, now=0), ErrorCode.InvalidState),  # A dials
        (lambda s, conn: s.answer_call(C, conn, now=0), ErrorCode.InvalidConnID),
        (lambda s, conn: s.answer_call(B, conn + 1, now=0), ErrorCode.InvalidConnID),
        (lambda s, conn: s.release_call(C, conn, now=0), ErrorCode.InvalidConnID),
    ],
)
def test_refused_operations_change_nothing(switch: Switch, operation: Any, code: ErrorCode) -> None:
    conn = switch.make_call(A, B, now=0.0)[0].conn_id
    before = [(c.conn_id, [(p.dn, p.state) for p in c.parties]) for c in switch.calls]
    with pytest.raises(SwitchError) as info:
        operation(switch, conn)
    assert info.value.code is code
    after = [(c.conn_id, [(p.dn, p.state) for p in c.parties]) for c in switch.calls]
    assert after == before


def test_answer_twice_is_invalid_state(switch: Switch) -> None:
    conn = switch.make_call(A, B, now=0.0)[0].conn_id
    switch.answer_call(B, conn, now=1.0)
    with pytest.raises(SwitchError) as info:
        switch.answer_call(B, conn, now=2.0)
    assert info.value.code is ErrorCode.InvalidState
    assert "established" in info.value.message and "answer" in info.value.message


def test_release_twice_is_invalid_conn_id(switch: Switch) -> None:
    conn = switch.make_call(A, B, now=0.0)[0].conn_id
    switch.release_call(A, conn, now=1.0)
    with pytest.raises(SwitchError) as info:
        switch.release_call(A, conn, now=2.0)
    assert info.value.code is ErrorCode.InvalidConnID


def test_transition_table_reports_the_right_event() -> None:
    by_input = {
        PartyInput.Originate: EventDialing,
        PartyInput.Alert: EventRinging,
        PartyInput.Enqueue: EventQueued,
        PartyInput.RouteRequest: EventRouteRequest,
        PartyInput.Divert: EventDiverted,
        PartyInput.RouteUsed: EventRouteUsed,
        PartyInput.Answer: EventEstablished,
        PartyInput.OtherAnswered: EventEstablished,
        PartyInput.DestinationBusy: EventDestinationBusy,
        PartyInput.Hold: EventHeld,
        PartyInput.Retrieve: EventRetrieved,
        PartyInput.Release: EventReleased,
        PartyInput.OtherReleased: EventReleased,
        PartyInput.Abandon: EventAbandoned,
        PartyInput.RingNoAnswer: EventReleased,
    }
    for (_state, move), (_new_state, event) in PARTY_TRANSITIONS.items():
        assert by_input[move] is event, move
    # every state a party can be in can be left, towards Released
    for state in PartyState:
        if state not in (PartyState.Null, PartyState.Released):
            assert any(
                s is state and new is PartyState.Released
                for (s, _), (new, _) in PARTY_TRANSITIONS.items()
            ), state


def test_conn_ids_are_deterministic_per_seed() -> None:
    one = Switch(SwitchConfig(extensions=(A, B)), id_seed=99)
    two = Switch(SwitchConfig(extensions=(A, B)), id_seed=99)
    assert one.make_call(A, B, now=0)[0].conn_id == two.make_call(A, B, now=0)[0].conn_id


def test_no_answer_on_an_extension() -> None:
    switch = Switch(SwitchConfig(extensions=(A, B), no_answer_seconds=20), id_seed=1)
    made = switch.make_call(A, B, now=0)
    assert switch.next_deadline() == 20
    assert switch.advance(19) == []
    rang_out = switch.advance(20)
    assert _view(rang_out) == [  # type: ignore[arg-type]
        ("EventReleased", B, A, DEST, ORIG, INT, CallState.NoAnswer),
        ("EventReleased", A, B, ORIG, DEST, INT, CallState.NoAnswer),
    ]
    assert switch.calls == []
    # answered in time: nothing happens at the deadline
    conn = switch.make_call(A, B, now=30)[0].conn_id
    assert made[0].conn_id != conn
    switch.answer_call(B, conn, now=31)
    assert switch.advance(60) == []
