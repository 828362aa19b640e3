"""Consultation, transfers and conferences in the switch, event for event.

Delete-from-conference and release-from-conference follow the reference's "Releasing Calls"
models exactly (EventPartyDeleted with OtherDNRole DeletedParty and ThirdPartyDNRole DeletedBy;
CallState Conferenced while more than two parties remain). The transfer and conference
completion tables could not be reached (docs/research/genem-call-models.md): these tests pin
ctiemu's reading of them, stated in docs/call-models.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocol.enums import CallState, CallType, DNRole
from protocol.errors import ErrorCode
from protocol.messages import CallEvent, Event
from protocol.values import ConnID, KVList
from switch import PartyState, Switch, SwitchConfig, SwitchError
from switch.config import AgentConfig, QueueConfig, TrunkGroupConfig

A, B, C, D = "1001", "1002", "1003", "1004"
Q = "7001"


@pytest.fixture
def switch() -> Switch:
    config = SwitchConfig(
        extensions=(A, B, C, D),
        agents=(AgentConfig("agent1"),),
        queues=(QueueConfig(Q),),
        trunk_groups=(TrunkGroupConfig("pstn", ("9",)),),
    )
    return Switch(config, id_seed=2)


def view(events: list[Event], conns: dict[int, str]) -> list[tuple[Any, ...]]:
    """(event, ThisDN, ConnID as 1/2, OtherDN, ThirdPartyDN, ThirdPartyDNRole, PreviousConnID,
    CallState)."""

    def name(conn: int | None) -> str | None:
        return None if conn is None else conns.setdefault(conn, str(len(conns) + 1))

    return [
        (
            type(e).__name__,
            getattr(e, "this_dn", None),
            name(getattr(e, "conn_id", None)),
            getattr(e, "other_dn", None),
            getattr(e, "third_party_dn", None),
            getattr(e, "third_party_dn_role", None),
            name(getattr(e, "previous_conn_id", None)),
            getattr(e, "call_state", None),
        )
        for e in events
    ]


def established(switch: Switch, a: str = A, b: str = B) -> ConnID:
    made = switch.make_call(a, b, now=0)
    conn = made[0].conn_id  # type: ignore[attr-defined]
    switch.answer_call(b, conn, now=1)
    return conn


OK, XFER, CONF = CallState.Ok, CallState.Transferred, CallState.Conferenced
TB = DNRole.TransferredBy


def test_two_step_transfer_after_the_consulted_party_answers(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    switch.attach_user_data(A, conn, KVList([("CustomerID", "42")]), now=1)
    started = switch.initiate_consultation(B, conn, C, now=2)
    assert view(started, conns) == [
        ("EventHeld", B, "1", A, None, None, None, OK),
        ("EventDialing", B, "2", C, None, None, "1", None),
        ("EventRinging", C, "2", B, None, None, "1", OK),
    ]
    dialing = started[1]
    assert isinstance(dialing, CallEvent) and dialing.call_type is CallType.Consult
    assert dialing.user_data == KVList([("CustomerID", "42")])  # the data follows
    consult = dialing.conn_id
    switch.answer_call(C, consult, now=3)
    done = switch.complete_transfer(B, conn, consult, now=4)
    assert view(done, conns) == [
        ("EventReleased", B, "2", C, None, None, "1", XFER),
        ("EventReleased", B, "1", A, None, None, None, XFER),
        ("EventPartyChanged", C, "1", A, B, TB, "2", XFER),
        ("EventPartyChanged", A, "1", C, B, TB, "2", XFER),
    ]
    assert switch.call(consult) is None
    call = switch.call(conn)
    assert call is not None
    assert [(p.dn, p.state) for p in call.parties if p.state is not PartyState.Released] == [
        (A, PartyState.Established),
        (C, PartyState.Established),
    ]
    assert call.user_data == KVList([("CustomerID", "42")])
    released = switch.release_call(C, conn, now=9)
    assert [(type(e).__name__, e.this_dn) for e in released] == [  # type: ignore[attr-defined]
        ("EventReleased", C),
        ("EventReleased", A),
    ]
    assert switch.calls == []


def test_blind_transfer_before_the_consulted_party_answers(switch: Switch) -> None:
    conn = established(switch)
    consult = switch.initiate_consultation(B, conn, C, now=2)[1].conn_id  # type: ignore[attr-defined]
    switch.complete_transfer(B, conn, consult, now=3)
    call = switch.call(conn)
    assert call is not None and call.party_at(C) is not None
    assert call.party_at(C).state is PartyState.Ringing  # type: ignore[union-attr]
    answered = switch.answer_call(C, conn, now=4)
    assert [(type(e).__name__, e.this_dn) for e in answered] == [("EventEstablished", C)]  # type: ignore[attr-defined]


def test_consultation_to_a_busy_dn_then_reconnect(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    established(switch, C, D)  # C busy
    started = switch.initiate_consultation(B, conn, C, now=2)
    assert [e[0] for e in view(started, conns)] == [
        "EventHeld",
        "EventDialing",
        "EventDestinationBusy",
    ]
    consult = started[1].conn_id  # type: ignore[attr-defined]
    with pytest.raises(SwitchError):
        switch.complete_transfer(B, conn, consult, now=3)
    back = switch.reconnect_call(B, consult, conn, now=4)
    assert view(back, conns) == [
        ("EventReleased", B, "2", C, None, None, "1", OK),
        ("EventRetrieved", B, "1", A, None, None, None, OK),
    ]


def test_alternate_between_held_and_active_calls(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    consult = switch.initiate_consultation(B, conn, C, now=2)[1].conn_id  # type: ignore[attr-defined]
    conns[consult] = "2"
    switch.answer_call(C, consult, now=3)
    swapped = switch.alternate_call(B, consult, conn, now=4)
    assert view(swapped, conns) == [
        ("EventHeld", B, "2", C, None, None, "1", OK),
        ("EventRetrieved", B, "1", A, None, None, None, OK),
    ]
    with pytest.raises(SwitchError):
        switch.alternate_call(B, consult, conn, now=5)  # the roles are now swapped


def test_conference_then_delete_and_release(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    consult = switch.initiate_consultation(B, conn, C, now=2)[1].conn_id  # type: ignore[attr-defined]
    conns[consult] = "2"
    switch.answer_call(C, consult, now=3)
    joined = switch.complete_conference(B, conn, consult, now=4)
    assert view(joined, conns) == [
        ("EventReleased", B, "2", C, None, None, "1", CONF),
        ("EventRetrieved", B, "1", A, None, None, None, OK),
        ("EventPartyAdded", B, "1", C, B, DNRole.AddedBy, "2", CONF),
        ("EventPartyAdded", A, "1", C, B, DNRole.AddedBy, "2", CONF),
        ("EventPartyChanged", C, "1", None, B, DNRole.ConferencedBy, "2", CONF),
    ]
    # a fourth party, then A deletes C: "Delete from Conference"
    consult2 = switch.initiate_consultation(B, conn, D, now=5)[1].conn_id  # type: ignore[attr-defined]
    switch.answer_call(D, consult2, now=6)
    switch.complete_conference(B, conn, consult2, now=7)
    deleted = switch.delete_from_conference(A, conn, C, now=8)
    # three parties remain after the deletion: CallState Conferenced
    assert view(deleted, conns) == [
        ("EventReleased", C, "1", None, None, None, None, OK),
        ("EventPartyDeleted", A, "1", C, A, DNRole.DeletedBy, None, CONF),
        ("EventPartyDeleted", B, "1", C, A, DNRole.DeletedBy, None, CONF),
        ("EventPartyDeleted", D, "1", C, A, DNRole.DeletedBy, None, CONF),
    ]
    assert {e.other_dn_role for e in deleted[1:]} == {DNRole.DeletedParty}  # type: ignore[attr-defined]
    # B releases: "Release from Conference"; two remain, CallState OK
    left = switch.release_call(B, conn, now=9)
    assert view(left, conns) == [
        ("EventReleased", B, "1", None, None, None, None, OK),
        ("EventPartyDeleted", A, "1", B, B, DNRole.DeletedBy, None, OK),
        ("EventPartyDeleted", D, "1", B, B, DNRole.DeletedBy, None, OK),
    ]
    assert [(type(e).__name__, e.this_dn) for e in switch.release_call(A, conn, now=10)] == [  # type: ignore[attr-defined]
        ("EventReleased", A),
        ("EventReleased", D),
    ]
    assert switch.calls == []


def test_transfer_to_a_complex_party_names_the_newcomer(switch: Switch) -> None:
    """Issue 13, item 9: A and D are one complex party on the call with B (a conference); B
    transfers to C. GenEM's "complex party" convention: each member of the complex party gets
    EventPartyChanged with OtherDN the party now on the other side (C); C, facing a complex
    party, gets none."""
    conn = established(switch, A, B)
    consult = switch.initiate_consultation(A, conn, D, now=2)[1].conn_id  # type: ignore[attr-defined]
    switch.answer_call(D, consult, now=3)
    switch.complete_conference(A, conn, consult, now=4)
    second = switch.initiate_consultation(B, conn, C, now=5)[1].conn_id  # type: ignore[attr-defined]
    switch.answer_call(C, second, now=6)
    done = switch.complete_transfer(B, conn, second, now=7)
    changed = {
        e.this_dn: e.other_dn  # type: ignore[attr-defined]
        for e in done
        if type(e).__name__ == "EventPartyChanged"
    }
    assert changed == {A: C, D: C, C: None}


def test_single_step_transfer(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    moved = switch.single_step_transfer(B, conn, C, now=2)
    assert view(moved, conns) == [
        ("EventReleased", B, "1", A, None, None, None, XFER),
        ("EventPartyChanged", A, "1", C, B, TB, "1", XFER),
        ("EventRinging", C, "1", A, None, None, None, OK),
    ]
    answered = switch.answer_call(C, conn, now=3)
    assert [(type(e).__name__, e.this_dn) for e in answered] == [("EventEstablished", C)]  # type: ignore[attr-defined]
    established(switch, B, D)
    with pytest.raises(SwitchError) as info:
        switch.single_step_transfer(C, conn, D, now=4)  # D is busy
    assert info.value.code is ErrorCode.InvalidState


def test_mute_transfer_to_a_queue_keeps_the_place(switch: Switch) -> None:
    conn = established(switch)
    done = switch.mute_transfer(B, conn, Q, now=2)
    names = [type(e).__name__ for e in done]
    assert names[:3] == ["EventHeld", "EventDialing", "EventQueued"]
    assert "EventPartyChanged" in names
    assert switch.waiting(Q) == [conn]  # the original ConnID waits in the queue
    switch.agent_login(D, "agent1", now=3, queue=Q)
    delivered = switch.agent_ready(D, now=4)
    assert [(type(e).__name__, getattr(e, "conn_id", None)) for e in delivered][-1] == (
        "EventRinging",
        conn,
    )


def test_a_queue_already_in_the_call_cannot_join_it_again(switch: Switch) -> None:
    """Issue 13, item 7: A conferences the queue in before it answers, then mute-transfers to
    the same queue. The queue would have been in the call twice (with one place in its line),
    and ClearCall then failed inside the queue's bookkeeping, leaving a call nobody could
    clear. A DN joins a call at most once: the second joining is refused, changing nothing."""
    conn = established(switch)
    consult = switch.initiate_consultation(A, conn, Q, now=2)[1].conn_id  # type: ignore[attr-defined]
    switch.complete_conference(A, conn, consult, now=3)
    assert switch.waiting(Q) == [conn]
    with pytest.raises(SwitchError) as refused:
        switch.mute_transfer(A, conn, Q, now=4)
    assert refused.value.code is ErrorCode.InvalidState
    again = switch.initiate_consultation(A, conn, Q, now=5)[1].conn_id  # type: ignore[attr-defined]
    for complete in (switch.complete_transfer, switch.complete_conference):
        with pytest.raises(SwitchError):
            complete(A, conn, again, now=6)
    switch.release_call(A, again, now=7)
    switch.retrieve_call(A, conn, now=8)
    cleared = switch.clear_call(B, conn, now=9)
    assert {(type(e).__name__, e.this_dn) for e in cleared} == {  # type: ignore[attr-defined]
        ("EventReleased", B),
        ("EventReleased", A),
        ("EventAbandoned", Q),
    }
    assert switch.calls == [] and switch.waiting(Q) == []


def test_a_held_agent_is_not_offered_the_call_it_holds(switch: Switch) -> None:
    """An agent whose DN holds a conference that waits in its queue is not rung with it."""
    switch.agent_login(B, "agent1", now=0, queue=Q)
    conn = established(switch, C, B)
    consult = switch.initiate_consultation(B, conn, Q, now=2)[1].conn_id  # type: ignore[attr-defined]
    switch.complete_conference(B, conn, consult, now=3)
    switch.hold_call(B, conn, now=4)
    assert [type(e).__name__ for e in switch.agent_ready(B, now=5)] == ["EventAgentReady"]
    assert switch.waiting(Q) == [conn]


def test_trunk_to_trunk_transfer_is_refused(switch: Switch) -> None:
    from switch.trunks import Answered, Inbound

    events = switch.on_trunk_report(Inbound("pstn", "r", "555", A), now=0)
    conn = events[0].conn_id  # type: ignore[attr-defined]
    switch.answer_call(A, conn, now=1)
    consult = switch.initiate_consultation(A, conn, "95550000", now=2)[1].conn_id  # type: ignore[attr-defined]
    switch.on_trunk_report(Answered(consult), now=3)
    with pytest.raises(SwitchError) as info:
        switch.complete_transfer(A, conn, consult, now=4)
    assert info.value.code is ErrorCode.UnsupportedOperation


def test_an_agent_who_transfers_an_acd_call_takes_the_next_one(switch: Switch) -> None:
    switch.agent_login(B, "agent1", now=0, queue=Q)
    switch.agent_ready(B, now=0)
    conn = switch.make_call(A, Q, now=1)[0].conn_id  # type: ignore[attr-defined]
    switch.answer_call(B, conn, now=2)
    waiting = switch.make_call(D, Q, now=3)[0].conn_id  # type: ignore[attr-defined]
    assert switch.waiting(Q) == [waiting]
    consult = switch.initiate_consultation(B, conn, C, now=4)[1].conn_id  # type: ignore[attr-defined]
    switch.answer_call(C, consult, now=5)
    done = switch.complete_transfer(B, conn, consult, now=6)
    assert [(type(e).__name__, e.this_dn) for e in done][-1] == ("EventRinging", B)  # type: ignore[attr-defined]
    assert switch.waiting(Q) == []


def test_merge_two_independent_calls_as_a_conference(switch: Switch) -> None:
    from protocol.enums import MergeType

    first = established(switch, B, A)  # B called A
    switch.hold_call(B, first, now=2)
    second = switch.make_call(B, C, now=3)[0].conn_id  # type: ignore[attr-defined]
    switch.answer_call(C, second, now=4)
    merged = switch.merge_calls(B, first, second, MergeType.ForConference, now=5)
    assert [type(e).__name__ for e in merged] == [
        "EventReleased",
        "EventRetrieved",
        "EventPartyAdded",
        "EventPartyAdded",
        "EventPartyChanged",
    ]
    call = switch.call(first)
    assert call is not None and {
        p.dn for p in call.parties if p.state is PartyState.Established
    } == {A, B, C}
    with pytest.raises(SwitchError):
        switch.merge_calls(B, first, first, MergeType.ForTransfer, now=6)


def test_call_forwarding(switch: Switch) -> None:
    from protocol.enums import ForwardMode
    from protocol.messages import EventForwardCancel, EventForwardSet

    [set_] = switch.set_forward(B, C, ForwardMode.Unconditional, now=0)
    assert isinstance(set_, EventForwardSet) and (set_.other_dn, set_.forward_mode) == (
        C,
        ForwardMode.Unconditional,
    )
    made = switch.make_call(A, B, now=1)
    assert [(type(e).__name__, e.this_dn) for e in made] == [  # type: ignore[attr-defined]
        ("EventDialing", A),
        ("EventRinging", C),
    ]
    ringing = made[1]
    assert getattr(ringing, "call_state", None) is CallState.Forwarded
    assert getattr(ringing, "third_party_dn", None) == B
    switch.release_call(A, ringing.conn_id, now=2)  # type: ignore[attr-defined]
    [cancel] = switch.cancel_forward(B, ForwardMode.Unconditional, now=3)
    assert isinstance(cancel, EventForwardCancel)
    with pytest.raises(SwitchError):
        switch.cancel_forward(B, ForwardMode.Unconditional, now=4)
    # on busy only
    switch.set_forward(B, D, ForwardMode.OnBusy, now=5)
    assert [e.this_dn for e in switch.make_call(A, B, now=6)] == [A, B]  # type: ignore[attr-defined]
    assert [e.this_dn for e in switch.make_call(C, B, now=7)] == [C, D]  # type: ignore[attr-defined]


def test_forward_on_no_answer() -> None:
    from protocol.enums import ForwardMode

    switch = Switch(SwitchConfig(extensions=(A, B, C), no_answer_seconds=10), id_seed=1)
    switch.set_forward(B, C, ForwardMode.OnNoAnswer, now=0)
    conn = switch.make_call(A, B, now=0)[0].conn_id  # type: ignore[attr-defined]
    moved = switch.advance(10)
    assert [(type(e).__name__, e.this_dn, getattr(e, "call_state", None)) for e in moved] == [  # type: ignore[attr-defined]
        ("EventReleased", B, CallState.Forwarded),
        ("EventRinging", C, CallState.Forwarded),
    ]
    assert switch.answer_call(C, conn, now=11)[-1].this_dn == A  # type: ignore[attr-defined]


def test_forward_loops_end(switch: Switch) -> None:
    from protocol.enums import ForwardMode

    switch.set_forward(B, C, ForwardMode.Unconditional, now=0)
    switch.set_forward(C, B, ForwardMode.Unconditional, now=0)
    made = switch.make_call(A, B, now=1)
    assert [type(e).__name__ for e in made] == ["EventDialing", "EventRinging"]


def test_single_step_conference(switch: Switch) -> None:
    conns: dict[int, str] = {}
    conn = established(switch)
    conns[conn] = "1"
    ringing = switch.single_step_conference(B, conn, C, now=2)
    assert view(ringing, conns) == [
        ("EventRinging", C, "1", B, B, None, None, CONF),
    ]
    joined = switch.answer_call(C, conn, now=3)
    assert view(joined, conns) == [
        ("EventEstablished", C, "1", None, None, None, None, CONF),
        ("EventPartyAdded", A, "1", C, B, DNRole.AddedBy, None, CONF),
        ("EventPartyAdded", B, "1", C, B, DNRole.AddedBy, None, CONF),
    ]
    left = switch.release_call(C, conn, now=4)
    assert [type(e).__name__ for e in left] == [
        "EventReleased",
        "EventPartyDeleted",
        "EventPartyDeleted",
    ]
    with pytest.raises(SwitchError) as info:
        switch.single_step_conference(B, conn, Q, now=5)
    assert info.value.code is ErrorCode.UnsupportedOperation
