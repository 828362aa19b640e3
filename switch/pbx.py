"""The soft PBX: DNs, calls and parties, driven by operations and passed-in time.

Theory of operation
-------------------
A Call has a ConnID, a CallUUID, a CallType and Parties. Each Party is one DN's leg of the call
and moves through PartyState by PartyInput. The legal moves are data, in PARTY_TRANSITIONS:
(state, input) -> (new state, event class). Anything not in the table is a SwitchError naming
the state and the input, raised before anything changes, so every operation is atomic.

Each operation returns the events it caused, in the protocol's vocabulary, each addressed to
the DN in its ThisDN, in the order a real T-Server reports them. The switch never stamps
sequence numbers, times or ReferenceIDs: that is the T-Server core's job.

Basic internal call (Genesys Events and Models Reference, basic call models):
    MakeCall A->B     A: EventDialing          B: EventRinging
    AnswerCall B      B: EventEstablished      A: EventEstablished
    ReleaseCall A     A: EventReleased         B: EventReleased
    MakeCall A->B, B busy (in a call or DND on):  A: EventDialing, EventDestinationBusy.
Hold/retrieve: EventHeld / EventRetrieved to the holding party only; a DN whose calls are all
held may make another call (a consultation). UserData changes reach every party of the call as
EventAttachedDataChanged carrying all of it, the changing DN first. Agents (switch.agents) log
in on DNs and move through their own state table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from protocol.enums import AddressStatus, AgentWorkMode, CallState, CallType, DNRole
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventAttachedDataChanged,
    EventDestinationBusy,
    EventDialing,
    EventDNDOff,
    EventDNDOn,
    EventEstablished,
    EventHeld,
    EventReleased,
    EventRetrieved,
    EventRinging,
)
from protocol.values import ConnID, KVList, KVValue
from switch.agents import AGENT_TRANSITIONS, Agent, AgentInput
from switch.config import AgentConfig, SwitchConfig


class SwitchError(Exception):
    """An operation the switch refuses. Carries the EventError code for the requester."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        this_dn: str | None = None,
        conn_id: ConnID | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.this_dn = this_dn
        self.conn_id = conn_id


class PartyState(Enum):
    """One DN's leg of a call."""

    Null = "null"  #: not yet in the call
    Dialing = "dialing"  #: originated the call; the far end is not connected yet
    Ringing = "ringing"  #: the call is alerting here
    Busy = "busy"  #: originated the call and found the destination busy
    Established = "established"  #: connected
    Held = "held"  #: put the call on hold
    Released = "released"  #: gone from the call


class PartyInput(Enum):
    """What can happen to a party."""

    Originate = "originate"  #: this DN places the call
    Alert = "alert"  #: the call is offered to this DN
    Answer = "answer"  #: this DN answers
    OtherAnswered = "other-answered"  #: the called party answered
    DestinationBusy = "destination-busy"  #: the called party is busy
    Hold = "hold"  #: this DN puts the call on hold
    Retrieve = "retrieve"  #: this DN takes the call off hold
    Release = "release"  #: this DN releases
    OtherReleased = "other-released"  #: the last other party left the call


#: The party state machine: (state, input) -> (new state, event reported at the party's DN).
PARTY_TRANSITIONS: dict[tuple[PartyState, PartyInput], tuple[PartyState, type[CallEvent]]] = {
    (PartyState.Null, PartyInput.Originate): (PartyState.Dialing, EventDialing),
    (PartyState.Null, PartyInput.Alert): (PartyState.Ringing, EventRinging),
    (PartyState.Dialing, PartyInput.OtherAnswered): (PartyState.Established, EventEstablished),
    (PartyState.Dialing, PartyInput.DestinationBusy): (PartyState.Busy, EventDestinationBusy),
    (PartyState.Dialing, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Dialing, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Ringing, PartyInput.Answer): (PartyState.Established, EventEstablished),
    (PartyState.Ringing, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Ringing, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Busy, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.Hold): (PartyState.Held, EventHeld),
    (PartyState.Held, PartyInput.Retrieve): (PartyState.Established, EventRetrieved),
    (PartyState.Held, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Held, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
}


#: A DN's AddressStatus from its parties' states, the first match winning.
_STATUS_BY_PRIORITY = (
    (PartyState.Established, AddressStatus.Talking),
    (PartyState.Ringing, AddressStatus.Ringing),
    (PartyState.Dialing, AddressStatus.Dialing),
    (PartyState.Busy, AddressStatus.Dialing),
    (PartyState.Held, AddressStatus.Held),
)


@dataclass(slots=True)
class Party:
    """One DN's leg of a call."""

    dn: str
    role: DNRole
    state: PartyState = PartyState.Null


@dataclass(slots=True)
class Call:
    """A call: its identity and its parties, in the order they joined."""

    conn_id: ConnID
    call_id: int
    call_uuid: str
    call_type: CallType
    parties: list[Party] = field(default_factory=list)
    user_data: KVList | None = None
    #: The party the call was made to, joined or not (a busy destination never joins).
    destination: Party | None = None

    def party_at(self, dn: str) -> Party | None:
        for party in self.parties:
            if party.dn == dn and party.state is not PartyState.Released:
                return party
        return None

    def others(self, party: Party) -> list[Party]:
        return [p for p in self.parties if p is not party and p.state is not PartyState.Released]


class Switch:
    """The PBX model. Every public operation returns the events it caused."""

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        self.config = config
        self._extensions = frozenset(config.extensions)
        self._id_seed = id_seed & 0xFFFF_FFFF
        self._next_call = 1
        self._calls: dict[ConnID, Call] = {}
        self._calls_at: dict[str, list[Call]] = {dn: [] for dn in config.extensions}
        self._agent_config: dict[str, AgentConfig] = {a.agent_id: a for a in config.agents}
        self._agents_by_dn: dict[str, Agent] = {}
        self._agents_by_id: dict[str, Agent] = {}
        self._dnd: set[str] = set()

    # ----------------------------------------------------------------------------------------
    # Queries

    def has_dn(self, dn: str) -> bool:
        return dn in self._extensions

    def calls_at(self, dn: str) -> list[Call]:
        """The calls in which `dn` has a party that has not been released."""
        return list(self._calls_at.get(dn, ()))

    def dn_status(self, dn: str) -> AddressStatus:
        """The DN's state as EventRegistered and EventAddressInfo report it."""
        states = {p.state for c in self._calls_at.get(dn, ()) for p in c.parties if p.dn == dn}
        for state, status in _STATUS_BY_PRIORITY:
            if state in states:
                return status
        return AddressStatus.Idle

    def agent_at(self, dn: str) -> Agent | None:
        """The agent logged in on the DN, if any."""
        return self._agents_by_dn.get(dn)

    def dnd(self, dn: str) -> bool:
        return dn in self._dnd

    def call(self, conn_id: ConnID) -> Call | None:
        return self._calls.get(conn_id)

    @property
    def calls(self) -> list[Call]:
        return list(self._calls.values())

    # ----------------------------------------------------------------------------------------
    # Operations

    def make_call(
        self, this_dn: str, other_dn: str, *, now: float, user_data: KVList | None = None
    ) -> list[CallEvent]:
        """This DN calls another extension."""
        del now  # no timers yet on the basic call
        self._require_dn(this_dn)
        if not self.has_dn(other_dn):
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"destination {other_dn!r} is not configured",
                this_dn=this_dn,
            )
        if self._active(this_dn):
            raise SwitchError(
                ErrorCode.InvalidState, f"{this_dn} is already in a call", this_dn=this_dn
            )
        call = self._new_call(CallType.Internal, user_data)
        caller = Party(this_dn, DNRole.Origination)
        callee = Party(other_dn, DNRole.Destination)
        call.destination = callee
        call.parties.append(caller)
        self._join(call, caller)
        events = [self._move(call, caller, PartyInput.Originate, other=callee)]
        if other_dn == this_dn or self._active(other_dn) or other_dn in self._dnd:
            events.append(
                self._move(
                    call,
                    caller,
                    PartyInput.DestinationBusy,
                    other=callee,
                    call_state=CallState.Busy,
                )
            )
            return events
        call.parties.append(callee)
        self._join(call, callee)
        events.append(self._move(call, callee, PartyInput.Alert, other=caller))
        return events

    def answer_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[CallEvent]:
        """This DN answers the call ringing on it."""
        del now
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.Answer)
        events = [self._move(call, party, PartyInput.Answer, other=self._peer(call, party))]
        for other in call.others(party):
            if other.state is PartyState.Dialing:
                events.append(self._move(call, other, PartyInput.OtherAnswered, other=party))
        return events

    def release_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[CallEvent]:
        """This DN leaves the call; a two-party call ends for the other party too."""
        del now
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.Release)
        peer = self._peer(call, party)
        events = [self._move(call, party, PartyInput.Release, other=peer)]
        remaining = call.others(party)
        if len(remaining) == 1:
            last = remaining[0]
            events.append(self._move(call, last, PartyInput.OtherReleased, other=party))
        if not call.others(party):
            del self._calls[call.conn_id]
        return events

    def hold_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[CallEvent]:
        """This DN puts the call on hold: EventHeld to it alone."""
        del now
        call, party = self._party(this_dn, conn_id)
        return [self._move(call, party, PartyInput.Hold, other=self._peer(call, party))]

    def retrieve_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[CallEvent]:
        """This DN takes the held call back: EventRetrieved to it alone."""
        del now
        call, party = self._party(this_dn, conn_id)
        if (party.state, PartyInput.Retrieve) in PARTY_TRANSITIONS and self._active(this_dn):
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{this_dn} has another active call: hold or release it first",
                this_dn=this_dn,
            )
        return [self._move(call, party, PartyInput.Retrieve, other=self._peer(call, party))]

    # ----------------------------------------------------------------------------------------
    # UserData: every party of the call gets EventAttachedDataChanged with all of it

    def attach_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Add the pairs to the call's UserData (keys may repeat)."""
        del now
        call, _party = self._party(this_dn, conn_id)
        return self._set_user_data(
            call, this_dn, (call.user_data or KVList()).pairs + user_data.pairs
        )

    def update_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Replace the values of keys the call has, add the others."""
        del now
        call, _party = self._party(this_dn, conn_id)
        updates = dict(user_data.pairs)
        pairs: list[tuple[str, KVValue]] = []
        for key, value in (call.user_data or KVList()).pairs:
            if key in updates:
                if key not in {k for k, _ in pairs}:
                    pairs.append((key, updates[key]))
            else:
                pairs.append((key, value))
        present = {k for k, _ in pairs}
        pairs += [(k, v) for k, v in user_data.pairs if k not in present]
        return self._set_user_data(call, this_dn, tuple(pairs))

    def delete_user_data(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """Delete all of the call's UserData."""
        del now
        call, _party = self._party(this_dn, conn_id)
        return self._set_user_data(call, this_dn, ())

    def delete_pair(self, this_dn: str, conn_id: ConnID, key: str, *, now: float) -> list[Event]:
        """Delete every pair with this key from the call's UserData."""
        del now
        call, _party = self._party(this_dn, conn_id)
        pairs = (call.user_data or KVList()).pairs
        if all(k != key for k, _ in pairs):
            raise SwitchError(
                ErrorCode.InvalidAttribute,
                f"the call's UserData has no key {key!r}",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        return self._set_user_data(call, this_dn, tuple((k, v) for k, v in pairs if k != key))

    def _set_user_data(
        self, call: Call, changed_by: str, pairs: tuple[tuple[str, KVValue], ...]
    ) -> list[Event]:
        call.user_data = KVList(pairs)
        parties = sorted(
            (p for p in call.parties if p.state is not PartyState.Released),
            key=lambda p: p.dn != changed_by,  # the DN that changed it first
        )
        return [
            EventAttachedDataChanged(
                this_dn=p.dn,
                conn_id=call.conn_id,
                call_type=call.call_type,
                call_id=call.call_id,
                this_dn_role=p.role,
                third_party_dn=changed_by,
                user_data=call.user_data,
                call_uuid=call.call_uuid,
            )
            for p in parties
        ]

    # ----------------------------------------------------------------------------------------
    # Agents and DN features

    def agent_login(
        self,
        this_dn: str,
        agent_id: str | None,
        *,
        now: float,
        password: str | None = None,
        queue: str | None = None,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        """Log a configured agent in on this DN: EventAgentLogin; the agent is NotReady."""
        del now
        self._require_dn(this_dn)
        config = self._agent_config.get(agent_id or "")
        if agent_id is None or config is None:
            raise SwitchError(
                ErrorCode.InvalidAgent, f"AgentID {agent_id!r} is not configured", this_dn=this_dn
            )
        if config.password and password != config.password:
            raise SwitchError(
                ErrorCode.InvalidAgent, f"wrong password for agent {agent_id}", this_dn=this_dn
            )
        here = self._agents_by_dn.get(this_dn)
        if here is not None:
            raise SwitchError(
                ErrorCode.AgentConflict,
                f"agent {here.agent_id} is already logged in on {this_dn}",
                this_dn=this_dn,
            )
        elsewhere = self._agents_by_id.get(agent_id)
        if elsewhere is not None:
            raise SwitchError(
                ErrorCode.AgentConflict,
                f"agent {agent_id} is logged in on {elsewhere.dn}",
                this_dn=this_dn,
            )
        agent = Agent(agent_id, this_dn, queue=queue)
        event = self._agent_move(agent, AgentInput.Login, work_mode, reasons)
        self._agents_by_dn[this_dn] = agent
        self._agents_by_id[agent_id] = agent
        return [event]

    def agent_logout(
        self, this_dn: str, *, now: float, reasons: KVList | None = None
    ) -> list[Event]:
        del now
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.Logout, None, reasons)
        del self._agents_by_dn[this_dn]
        del self._agents_by_id[agent.agent_id]
        return [event]

    def agent_ready(
        self,
        this_dn: str,
        *,
        now: float,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.Ready, work_mode, reasons)
        agent.ready_since = now
        return [event]

    def agent_not_ready(
        self,
        this_dn: str,
        *,
        now: float,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        del now
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.NotReady, work_mode, reasons)
        agent.ready_since = None
        return [event]

    def set_dnd(self, this_dn: str, on: bool, *, now: float) -> list[Event]:
        """Do-not-disturb on or off: a DN with DND on is busy to callers."""
        del now
        self._require_dn(this_dn)
        if on:
            self._dnd.add(this_dn)
            return [EventDNDOn(this_dn=this_dn)]
        self._dnd.discard(this_dn)
        return [EventDNDOff(this_dn=this_dn)]

    def _agent(self, dn: str) -> Agent:
        self._require_dn(dn)
        agent = self._agents_by_dn.get(dn)
        if agent is None:
            raise SwitchError(ErrorCode.InvalidState, f"no agent is logged in on {dn}", this_dn=dn)
        return agent

    def _agent_move(
        self,
        agent: Agent,
        event: AgentInput,
        work_mode: AgentWorkMode | None,
        reasons: KVList | None,
    ) -> Event:
        move = AGENT_TRANSITIONS.get((agent.state, event))
        if move is None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"agent {agent.agent_id} is {agent.state.value}: cannot {event.value}",
                this_dn=agent.dn,
            )
        agent.state, event_class = move
        agent.reasons = reasons
        if event is not AgentInput.Logout:
            agent.work_mode = work_mode
        attributes: dict[str, Any] = {
            "this_dn": agent.dn,
            "agent_id": agent.agent_id,
            "this_queue": agent.queue,
            "reasons": reasons,
        }
        if event is not AgentInput.Logout:
            attributes["agent_work_mode"] = work_mode
        return event_class(**attributes)

    # ----------------------------------------------------------------------------------------
    # Internals

    def _active(self, dn: str) -> bool:
        """Whether the DN has a party in a call other than a held one."""
        return any(
            p.dn == dn and p.state not in (PartyState.Held, PartyState.Released)
            for c in self._calls_at.get(dn, ())
            for p in c.parties
        )

    def _new_call(self, call_type: CallType, user_data: KVList | None) -> Call:
        n = self._next_call
        self._next_call += 1
        conn_id = ConnID((self._id_seed << 32) | n)
        call_uuid = uuid.UUID(int=(self._id_seed << 96) | n).hex.upper()
        call = Call(conn_id, n, call_uuid, call_type, user_data=user_data)
        self._calls[conn_id] = call
        return call

    def _join(self, call: Call, party: Party) -> None:
        self._calls_at[party.dn].append(call)

    def _require_dn(self, dn: str) -> None:
        if not self.has_dn(dn):
            raise SwitchError(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)

    def _party(self, dn: str, conn_id: ConnID) -> tuple[Call, Party]:
        self._require_dn(dn)
        call = self._calls.get(conn_id)
        party = call.party_at(dn) if call else None
        if call is None or party is None:
            raise SwitchError(
                ErrorCode.InvalidConnID,
                f"no call {conn_id} at {dn}",
                this_dn=dn,
                conn_id=conn_id,
            )
        return call, party

    def _peer(self, call: Call, party: Party) -> Party | None:
        """The party on the other end, for OtherDN: the first other party of the call."""
        for p in call.parties:
            if p is not party:
                return p
        return call.destination if call.destination is not party else None

    def _check(self, party: Party, event: PartyInput) -> None:
        if (party.state, event) not in PARTY_TRANSITIONS:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{party.dn} is {party.state.value} in the call: cannot {event.value}",
                this_dn=party.dn,
            )

    def _move(
        self,
        call: Call,
        party: Party,
        event: PartyInput,
        *,
        other: Party | None,
        call_state: CallState | None = None,
    ) -> CallEvent:
        self._check(party, event)
        new_state, event_class = PARTY_TRANSITIONS[(party.state, event)]
        party.state = new_state
        if new_state is PartyState.Released:
            self._calls_at[party.dn].remove(call)
        attributes: dict[str, Any] = {
            "this_dn": party.dn,
            "conn_id": call.conn_id,
            "call_type": call.call_type,
            "call_id": call.call_id,
            "this_dn_role": party.role,
            "other_dn": other.dn if other else None,
            "other_dn_role": other.role if other else None,
            "call_uuid": call.call_uuid,
            "user_data": call.user_data,
        }
        if _carries_call_state(event_class):  # CallState Ok unless the move says otherwise
            attributes["call_state"] = call_state or CallState.Ok
        return event_class(**attributes)


def _carries_call_state(event_class: type[CallEvent]) -> bool:
    return any(fs.spec.field == "call_state" for fs in event_class.FIELDS)
