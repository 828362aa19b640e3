"""Hold/retrieve, UserData, agents and do-not-disturb in the switch, event for event.

Sans-IO: the switch is driven directly with `now` passed in. Hold/retrieve follows the
"Hold/Retrieve Function" model of the Genesys Events and Models Reference (EventHeld and
EventRetrieved go to the holding party only; EventRetrieved repeats ThisDNRole, CallState OK).
"""

from __future__ import annotations

import pytest

from protocol.enums import AgentWorkMode, CallState, DNRole
from protocol.errors import ErrorCode
from protocol.messages import (
    EventAgentLogin,
    EventAgentLogout,
    EventAgentNotReady,
    EventAgentReady,
    EventAttachedDataChanged,
    EventDestinationBusy,
    EventDialing,
    EventDNDOff,
    EventDNDOn,
    EventHeld,
    EventReleased,
    EventRetrieved,
    EventRinging,
)
from protocol.values import ConnID, KVList
from switch import Switch, SwitchConfig, SwitchError
from switch.agents import AgentState
from switch.config import AgentConfig, QueueConfig

A, B, C = "1001", "1002", "1003"


@pytest.fixture
def switch() -> Switch:
    agents = (AgentConfig("agent1"), AgentConfig("agent2", password="pw"))
    queues = (QueueConfig("7001"),)
    return Switch(SwitchConfig(extensions=(A, B, C), agents=agents, queues=queues), id_seed=3)


def connected(switch: Switch) -> ConnID:
    conn = switch.make_call(A, B, now=0)[0].conn_id
    switch.answer_call(B, conn, now=1)
    return conn


def test_hold_and_retrieve(switch: Switch) -> None:
    conn = connected(switch)
    [held] = switch.hold_call(B, conn, now=2)
    assert isinstance(held, EventHeld)
    assert (held.this_dn, held.other_dn, held.conn_id) == (B, A, conn)
    assert held.this_dn_role is DNRole.Destination
    [retrieved] = switch.retrieve_call(B, conn, now=3)
    assert isinstance(retrieved, EventRetrieved)
    assert (retrieved.this_dn, retrieved.other_dn, retrieved.conn_id) == (B, A, conn)
    assert retrieved.this_dn_role is DNRole.Destination  # repeats the role of EventRinging
    assert retrieved.call_state is CallState.Ok


def test_holding_party_can_make_a_consultation_call(switch: Switch) -> None:
    conn = connected(switch)
    switch.hold_call(B, conn, now=2)
    consult = switch.make_call(B, C, now=3)
    assert [type(e) for e in consult] == [EventDialing, EventRinging]
    second = consult[0].conn_id
    assert second != conn
    # B cannot take the first call back while the consultation is active
    with pytest.raises(SwitchError) as info:
        switch.retrieve_call(B, conn, now=4)
    assert info.value.code is ErrorCode.InvalidState
    switch.release_call(B, second, now=5)
    assert [type(e) for e in switch.retrieve_call(B, conn, now=6)] == [EventRetrieved]


def test_release_of_held_call_by_other_party(switch: Switch) -> None:
    conn = connected(switch)
    switch.hold_call(B, conn, now=2)
    released = switch.release_call(A, conn, now=3)
    assert [(type(e), e.this_dn) for e in released] == [(EventReleased, A), (EventReleased, B)]
    assert switch.calls == []


def test_hold_requires_an_established_call(switch: Switch) -> None:
    conn = switch.make_call(A, B, now=0)[0].conn_id
    with pytest.raises(SwitchError) as info:
        switch.hold_call(B, conn, now=1)  # still ringing
    assert info.value.code is ErrorCode.InvalidState
    with pytest.raises(SwitchError):
        switch.retrieve_call(A, conn, now=1)  # never held


def test_user_data_operations(switch: Switch) -> None:
    conn = connected(switch)
    attached = switch.attach_user_data(A, conn, KVList([("k", "1"), ("n", 2)]), now=2)
    assert [(type(e), e.this_dn) for e in attached] == [
        (EventAttachedDataChanged, A),
        (EventAttachedDataChanged, B),
    ]
    assert all(e.third_party_dn == A for e in attached)
    assert attached[0].user_data == KVList([("k", "1"), ("n", 2)])

    updated = switch.update_user_data(B, conn, KVList([("k", "one"), ("new", "x")]), now=3)
    assert [e.this_dn for e in updated] == [B, A]  # the DN that changed it first
    assert updated[0].user_data == KVList([("k", "one"), ("n", 2), ("new", "x")])

    deleted = switch.delete_pair(A, conn, "n", now=4)
    assert deleted[0].user_data == KVList([("k", "one"), ("new", "x")])
    with pytest.raises(SwitchError) as info:
        switch.delete_pair(A, conn, "absent", now=5)
    assert info.value.code is ErrorCode.InvalidAttribute

    cleared = switch.delete_user_data(A, conn, now=6)
    assert all(e.user_data == KVList() for e in cleared)
    # the data stays with the call: later events carry it
    switch.attach_user_data(A, conn, KVList([("again", 1)]), now=7)
    [held] = switch.hold_call(A, conn, now=8)
    assert isinstance(held, EventHeld) and held.user_data == KVList([("again", 1)])


def test_agent_life(switch: Switch) -> None:
    [login] = switch.agent_login(A, "agent1", now=0, queue="7001")
    assert isinstance(login, EventAgentLogin)
    assert (login.this_dn, login.agent_id, login.this_queue) == (A, "agent1", "7001")
    agent = switch.agent_at(A)
    assert agent is not None and agent.state is AgentState.NotReady

    [ready] = switch.agent_ready(A, now=1, work_mode=AgentWorkMode.ManualIn)
    assert isinstance(ready, EventAgentReady) and ready.agent_work_mode is AgentWorkMode.ManualIn
    assert agent.state is AgentState.Ready and agent.ready_since == 1

    reasons = KVList([("ReasonCode", "Lunch")])
    [not_ready] = switch.agent_not_ready(A, now=2, work_mode=AgentWorkMode.AuxWork, reasons=reasons)
    assert isinstance(not_ready, EventAgentNotReady)
    assert (not_ready.agent_work_mode, not_ready.reasons) == (AgentWorkMode.AuxWork, reasons)
    assert agent.state is AgentState.NotReady and agent.ready_since is None

    [logout] = switch.agent_logout(A, now=3)
    assert isinstance(logout, EventAgentLogout) and logout.agent_id == "agent1"
    assert switch.agent_at(A) is None


@pytest.mark.parametrize(
    ("dn", "agent_id", "password", "code"),
    [
        (A, "nobody", None, ErrorCode.InvalidAgent),
        (A, None, None, ErrorCode.InvalidAgent),
        (A, "agent2", "wrong", ErrorCode.InvalidAgent),
        (A, "agent2", None, ErrorCode.InvalidAgent),
        ("9999", "agent1", None, ErrorCode.DNNotConfigured),
    ],
)
def test_bad_logins(
    switch: Switch, dn: str, agent_id: str | None, password: str | None, code: ErrorCode
) -> None:
    with pytest.raises(SwitchError) as info:
        switch.agent_login(dn, agent_id, now=0, password=password)
    assert info.value.code is code
    assert switch.agent_at(A) is None


def test_one_agent_per_dn_and_one_dn_per_agent(switch: Switch) -> None:
    switch.agent_login(A, "agent1", now=0)
    with pytest.raises(SwitchError) as info:
        switch.agent_login(A, "agent2", now=1, password="pw")
    assert info.value.code is ErrorCode.AgentConflict
    with pytest.raises(SwitchError) as info:
        switch.agent_login(B, "agent1", now=1)
    assert info.value.code is ErrorCode.AgentConflict
    switch.agent_login(B, "agent2", now=2, password="pw")  # the right password works


def test_agent_requests_without_agent(switch: Switch) -> None:
    for operation in (switch.agent_ready, switch.agent_not_ready, switch.agent_logout):
        with pytest.raises(SwitchError) as info:
            operation(A, now=0)
        assert info.value.code is ErrorCode.InvalidState


def test_dnd_makes_the_dn_busy(switch: Switch) -> None:
    assert [type(e) for e in switch.set_dnd(B, True, now=0)] == [EventDNDOn]
    assert switch.dnd(B)
    made = switch.make_call(A, B, now=1)
    assert [type(e) for e in made] == [EventDialing, EventDestinationBusy]
    switch.release_call(A, made[0].conn_id, now=2)
    assert [type(e) for e in switch.set_dnd(B, False, now=3)] == [EventDNDOff]
    assert [type(e) for e in switch.make_call(A, B, now=4)] == [EventDialing, EventRinging]


def test_agent_login_to_unknown_queue(switch: Switch) -> None:
    with pytest.raises(SwitchError) as info:
        switch.agent_login(A, "agent1", now=0, queue="7999")
    assert info.value.code is ErrorCode.DNNotConfigured


def test_clear_call_releases_everyone(switch: Switch) -> None:
    conn = connected(switch)
    cleared = switch.clear_call(B, conn, now=2)
    assert [(type(e).__name__, e.this_dn, getattr(e, "call_state", None)) for e in cleared] == [  # type: ignore[attr-defined]
        ("EventReleased", B, CallState.Cleared),
        ("EventReleased", A, CallState.Cleared),
    ]
    assert switch.calls == []


def test_clear_call_while_queued(switch: Switch) -> None:
    conn = switch.make_call(A, "7001", now=0)[0].conn_id  # type: ignore[attr-defined]
    cleared = switch.clear_call(A, conn, now=1)
    assert [(type(e).__name__, e.this_dn) for e in cleared] == [  # type: ignore[attr-defined]
        ("EventReleased", A),
        ("EventAbandoned", "7001"),
    ]
    assert switch.waiting("7001") == []


def test_redirect_a_ringing_call(switch: Switch) -> None:
    conn = switch.make_call(A, B, now=0)[0].conn_id  # type: ignore[attr-defined]
    moved = switch.redirect_call(B, conn, C, now=1)
    assert [(type(e).__name__, e.this_dn, e.other_dn) for e in moved] == [  # type: ignore[attr-defined]
        ("EventReleased", B, A),
        ("EventRinging", C, A),
    ]
    assert getattr(moved[0], "call_state", None) is CallState.Redirected
    answered = switch.answer_call(C, conn, now=2)
    assert [(type(e).__name__, e.this_dn) for e in answered] == [  # type: ignore[attr-defined]
        ("EventEstablished", C),
        ("EventEstablished", A),
    ]
    with pytest.raises(SwitchError) as info:
        switch.redirect_call(C, conn, B, now=3)  # no longer ringing
    assert info.value.code is ErrorCode.InvalidState


def test_send_dtmf(switch: Switch) -> None:
    from protocol.messages import EventDTMFSent

    conn = switch.make_call(A, B, now=0)[0].conn_id  # type: ignore[attr-defined]
    with pytest.raises(SwitchError):
        switch.send_dtmf(A, conn, "12", now=1)  # not connected yet
    switch.answer_call(B, conn, now=1)
    [sent] = switch.send_dtmf(A, conn, "12#", now=2)
    assert isinstance(sent, EventDTMFSent) and sent.this_dn == A and sent.conn_id == conn
    with pytest.raises(SwitchError) as info:
        switch.send_dtmf(A, conn, "1x", now=3)
    assert info.value.code is ErrorCode.InvalidAttribute
