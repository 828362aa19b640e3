"""The switch kernel: what every feature of the soft PBX stands on.

Theory of operation
-------------------
The Switch (switch/pbx.py) is this kernel with feature modules (switch/features/) composed
around it as mixin classes. The kernel owns:

- the DN registry (extensions, ACD queues and routing points from the configuration) and the
  call and party registries: the calls by ConnID, and the calls each DN has a party in;
- the agent registry (who is logged in where) and agent moves, only through
  switch.agents.AGENT_TRANSITIONS;
- party moves, only through switch.calls.PARTY_TRANSITIONS, and the events they report;
- event building (`_event` for a party's call event, `build_event` for any event);
- timers: the heap, `next_deadline()` and `advance(now)`, which fires each due timer through
  the table `_on_timer` (TimerKind -> the owning feature's handler, filled in by the Switch);
- the outbox of trunk commands (`take_commands()`);
- the lookups and refusals several features share (`_party`, `_peer`, `_require_*`).

It must not know any feature's own state (waiting calls and free agents, trunk occupancy and
links, DND, forwarding, service state, treatments) nor any call model beyond one party's move.
Where one feature needs another (the basic call offers a call to a queue; a released party sends
an agent to after-call work), it calls a hook: an abstract method declared at the end of this
class, implemented by exactly one feature. Features import the kernel, never each other, so a
feature's docstring and its hooks say all it depends on.
"""

from __future__ import annotations

import heapq
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from protocol.enums import AddressType, AgentWorkMode, CallState, CallType, DNRole, ForwardMode
from protocol.errors import ErrorCode
from protocol.messages import CallEvent, Event, Message
from protocol.values import ConnID, KVList
from switch.agents import AGENT_TRANSITIONS, Agent, AgentInput
from switch.calls import (
    ACTIVE_STATES,
    PARTY_TRANSITIONS,
    Call,
    Party,
    PartyInput,
    PartyState,
    SwitchError,
)
from switch.config import QueueConfig, RoutingPointConfig, SwitchConfig, TrunkGroupConfig
from switch.timers import Timer, TimerKind
from switch.trunks import ReleaseTrunk, TrunkCommand

M = TypeVar("M", bound=Message)

#: A timer's handler: (the switch, the timer, now) -> the events it caused. The first argument
#: is the composed Switch, typed loosely so each feature's own method fits the table.
TimerHandler = Callable[[Any, Timer, float], list[Event]]

#: The tenant reported in CustomerID where an event must carry one.
CUSTOMER_ID = "Resources"

_FIELD_NAMES: dict[type[Message], frozenset[str]] = {}


def _fields(cls: type[Message]) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(fs.spec.field for fs in cls.FIELDS)
    return names


def build_event(event_class: type[M], **attributes: Any) -> M:
    """The event, with the attributes its class carries (the unset ones left out). The values
    come from the switch's own typed state, so the catalogue's validation is not run again."""
    names = _fields(event_class)
    values = {k: v for k, v in attributes.items() if v is not None and k in names}
    return event_class.from_wire(values)  # type: ignore[return-value]


def is_dtmf(digits: str, *, empty: bool = False) -> bool:
    """Whether `digits` are DTMF keys (0-9, *, #, A-D); the empty string only when allowed."""
    return (empty or bool(digits)) and all(d in "0123456789*#ABCD" for d in digits.upper())


class SwitchKernel(ABC):
    """The registries, party and agent moves, events, timers and trunk-command outbox that the
    switch's features share; the hooks at the end are what features provide each other."""

    #: The handler of each timer kind (the composed Switch fills this in).
    _on_timer: ClassVar[Mapping[TimerKind, TimerHandler]] = {}

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        self.config = config
        self._extensions = frozenset(config.extensions)
        self._queues: dict[str, QueueConfig] = {q.dn: q for q in config.queues}
        self._routing_points: dict[str, RoutingPointConfig] = {
            r.dn: r for r in config.routing_points
        }
        all_dns = [*config.extensions, *self._queues, *self._routing_points]
        self._id_seed = id_seed & 0xFFFF_FFFF
        self._next_call = 1
        self._calls: dict[ConnID, Call] = {}
        #: The calls each DN has a party in (dicts as ordered sets: O(1) to add and remove).
        self._calls_at: dict[str, dict[ConnID, Call]] = {dn: {} for dn in all_dns}
        self._agents_by_dn: dict[str, Agent] = {}
        self._agents_by_id: dict[str, Agent] = {}
        self._timers: list[Timer] = []
        self._timer_seq = 0
        self._commands: list[TrunkCommand] = []

    # ----------------------------------------------------------------------------------------
    # Queries

    def has_dn(self, dn: str) -> bool:
        return dn in self._calls_at

    def dns(self) -> list[str]:
        """Every configured DN: extensions, queues, routing points."""
        return list(self._calls_at)

    def is_queue(self, dn: str) -> bool:
        return dn in self._queues

    def is_routing_point(self, dn: str) -> bool:
        return dn in self._routing_points

    def calls_at(self, dn: str) -> list[Call]:
        """The calls in which `dn` has a party that has not been released."""
        return list(self._calls_at.get(dn, {}).values())

    def agent_at(self, dn: str) -> Agent | None:
        """The agent logged in on the DN, if any."""
        return self._agents_by_dn.get(dn)

    def address_type(self, dn: str) -> AddressType:
        if dn in self._queues:
            return AddressType.Queue
        if dn in self._routing_points:
            return AddressType.RouteDN
        return AddressType.DN

    def take_commands(self) -> list[TrunkCommand]:
        """The trunk commands queued since the last call, for the core to hand to drivers."""
        commands, self._commands = self._commands, []
        return commands

    def call(self, conn_id: ConnID) -> Call | None:
        return self._calls.get(conn_id)

    def made(self, conn_id: ConnID) -> bool:
        """Whether this switch made a call with this ConnID (in progress or ended)."""
        return conn_id >> 32 == self._id_seed and 0 < (conn_id & 0xFFFF_FFFF) < self._next_call

    @property
    def calls(self) -> list[Call]:
        return list(self._calls.values())

    # ----------------------------------------------------------------------------------------
    # Time

    def next_deadline(self) -> float | None:
        """When `advance` next has something to do, or None."""
        return self._timers[0].due if self._timers else None

    def advance(self, now: float) -> list[Event]:
        """Fire every timer due at `now`; return the events they caused."""
        events: list[Event] = []
        timers = self._timers
        on_timer = self._on_timer
        while timers and timers[0].due <= now:
            timer = heapq.heappop(timers)
            events += on_timer[timer.kind](self, timer, now)
        return events

    def _timed_party(
        self, timer: Timer, *states: PartyState, treatment: bool = False
    ) -> tuple[Call, Party] | None:
        """The (call, party) a party timer is about, if it still stands: the call lives, the
        party is still in it in one of `states`, and the timer is still the party's current one
        (its `timer`, or its `treatment_timer`). None for a timer that has gone stale."""
        conn_id, dn = timer.key
        call = self._calls.get(conn_id)
        party = call.party_at(dn) if call else None
        if call is None or party is None or party.state not in states:
            return None
        current = party.treatment_timer if treatment else party.timer
        return (call, party) if current == timer.seq else None

    def _schedule(self, due: float, kind: TimerKind, *key: Any) -> int:
        self._timer_seq += 1
        heapq.heappush(self._timers, Timer(due, self._timer_seq, kind, key))
        return self._timer_seq

    def _watch(self, party: Party, call: Call, due: float, kind: TimerKind) -> None:
        """Start the party's timer (ring-no-answer, route-timeout) on this call."""
        party.timer_due, party.timer_kind = due, kind
        party.timer = self._schedule(due, kind, call.conn_id, party.dn)

    # ----------------------------------------------------------------------------------------
    # Calls and parties

    def _active(self, dn: str) -> bool:
        """Whether the DN has a party in a call other than a held one."""
        return any(
            p.dn == dn and p.state in ACTIVE_STATES
            for c in self._calls_at.get(dn, {}).values()
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

    def _add(self, call: Call, party: Party) -> None:
        call.parties.append(party)
        self._join(call, party)

    def _join(self, call: Call, party: Party) -> None:
        """Index the party (appended to the call) under its DN. A DN has at most one live party
        in a call: T-Library names a party by ThisDN and ConnID, and the DN index, a queue's
        line and every request rely on it. A feature that would break this has failed to refuse
        or to handle a DN already in the call (`Call.party_at`): that is a bug, raised here
        before anything is indexed."""
        if party.external:
            return
        if any(
            p is not party and p.dn == party.dn and p.state is not PartyState.Released
            for p in call.parties
        ):
            raise AssertionError(f"{party.dn} would have two parties in call {call.conn_id}")
        self._calls_at[party.dn][call.conn_id] = call

    def _end(self, call: Call) -> None:
        """The call is over: free its trunk, telling the network if it is still there."""
        if call.trunk_group is not None:
            self._commands.append(ReleaseTrunk(call.trunk_group, call.conn_id))
            self._free_trunk(call)
        del self._calls[call.conn_id]

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
        """The party on the other end, for OtherDN: the first other party still in the call,
        else the party the call was made to."""
        for p in call.parties:
            if p is not party and p.state is not PartyState.Released:
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
        third_party_dn: str | None = None,
        third_party_dn_role: DNRole | None = None,
    ) -> list[Event]:
        """Move a party by the table; the event it reports (none for an external party, which
        T-Server does not monitor)."""
        self._check(party, event)
        new_state, event_class = PARTY_TRANSITIONS[(party.state, event)]
        party.state = new_state
        if new_state is PartyState.Released:
            party.timer = None
            if party.external:
                return []
            del self._calls_at[party.dn][call.conn_id]
        elif party.external:
            return []
        return [
            self._event(
                event_class,
                call,
                party,
                other=other,
                call_state=call_state,
                third_party_dn=third_party_dn,
                third_party_dn_role=third_party_dn_role,
            )
        ]

    def _event(
        self,
        event_class: type[CallEvent],
        call: Call,
        party: Party,
        *,
        other: Party | None,
        call_state: CallState | None = None,
        third_party_dn: str | None = None,
        third_party_dn_role: DNRole | None = None,
        previous_conn_id: ConnID | None = None,
        other_present: bool = True,
        deleted_party: bool = False,
    ) -> CallEvent:
        """The event about `party` in `call`, with the attributes its class carries (OtherDN
        left out when `other_present` is false: the other side is a conference)."""
        if not other_present:
            other = None
        names = _fields(event_class)
        return build_event(
            event_class,
            this_dn=party.dn,
            conn_id=call.conn_id,
            call_type=call.call_type,
            call_id=call.call_id,
            this_dn_role=party.role,
            this_queue=party.queue,
            other_dn=other.dn if other else None,
            other_dn_role=(DNRole.DeletedParty if deleted_party else other.role) if other else None,
            third_party_dn=third_party_dn,
            third_party_dn_role=third_party_dn_role,
            # CallState Ok unless the move says otherwise, where the event carries one
            call_state=call_state or (CallState.Ok if "call_state" in names else None),
            call_uuid=call.call_uuid,
            user_data=call.user_data,
            ani=call.ani,
            dnis=call.dnis,
            previous_conn_id=previous_conn_id or call.consult_of,
        )

    # ----------------------------------------------------------------------------------------
    # Agents

    def _agent_move(
        self,
        agent: Agent,
        event: AgentInput,
        work_mode: AgentWorkMode | None,
        reasons: KVList | None,
    ) -> Event:
        """Move an agent by the table; the event it reports on the agent's DN."""
        move = AGENT_TRANSITIONS.get((agent.state, event))
        if move is None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"agent {agent.agent_id} is {agent.state.value}: cannot {event.value}",
                this_dn=agent.dn,
            )
        agent.state, event_class = move
        agent.reasons = reasons
        agent.work_mode = work_mode
        return build_event(
            event_class,
            this_dn=agent.dn,
            agent_id=agent.agent_id,
            this_queue=agent.queue,
            agent_work_mode=work_mode,
            reasons=reasons,
        )

    # ----------------------------------------------------------------------------------------
    # Refusals several features share

    def _require_dn(self, dn: str) -> None:
        if not self.has_dn(dn):
            raise SwitchError(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)

    def _require_extension(self, dn: str) -> None:
        self._require_dn(dn)
        if dn not in self._extensions:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{dn} is a queue or routing point, not an extension",
                this_dn=dn,
            )

    def _require_state(self, party: Party, *states: PartyState, doing: str) -> None:
        """Refuse, naming the party's state, unless the party is in one of `states`."""
        if party.state not in states:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{party.dn} is {party.state.value} in the call: cannot {doing}",
                this_dn=party.dn,
            )

    def _check_destination(self, this_dn: str, other_dn: str) -> None:
        """A DN calling (MakeCall, a consultation) must be an extension, and the destination a
        configured DN or a number a trunk group reaches."""
        self._require_extension(this_dn)
        if not self.has_dn(other_dn) and self._trunk_group_for(other_dn) is None:
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"destination {other_dn!r} is neither a configured DN nor a number any trunk "
                "group reaches",
                this_dn=this_dn,
            )

    def _check_new_destination(self, call: Call, this_dn: str, other_dn: str) -> None:
        """A DN a call is moved to in one step (redirect, single-step transfer) must be a
        configured DN, not already in the call, and not a busy extension."""
        if not self.has_dn(other_dn) or other_dn == this_dn:
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"destination {other_dn!r} is not another configured DN",
                this_dn=this_dn,
                conn_id=call.conn_id,
            )
        if call.party_at(other_dn) is not None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{other_dn} is already in the call",
                this_dn=this_dn,
                conn_id=call.conn_id,
            )
        if other_dn in self._extensions and (self._active(other_dn) or self._closed(other_dn)):
            raise SwitchError(
                ErrorCode.InvalidState,
                f"destination {other_dn} is busy",
                this_dn=this_dn,
                conn_id=call.conn_id,
            )

    # ----------------------------------------------------------------------------------------
    # Hooks: what one feature provides the others, each implemented by the feature named

    # basic call (switch/features/basic.py)

    @abstractmethod
    def _offer(
        self,
        call: Call,
        dn: str,
        now: float,
        *,
        via: str | None = None,
        hops: int = 0,
        forwarded_by: str | None = None,
        priority: bool = False,
    ) -> list[Event]:
        """Offer the call to a DN: ring an extension, queue at a queue, ask a routing point."""

    @abstractmethod
    def _originate(
        self,
        this_dn: str,
        other_dn: str,
        now: float,
        user_data: KVList | None,
        *,
        consult_of: ConnID | None,
        via: str | None = None,
        priority: bool = False,
    ) -> list[Event]:
        """This DN places a new call (a consultation call when `consult_of` is given)."""

    @abstractmethod
    def _settle(
        self, call: Call, gone: Party, now: float, call_state: CallState | None = None
    ) -> list[Event]:
        """After `gone` left a two-party call: the last party is left alone, the call ends
        when nobody is left, and an agent on `gone`'s DN moves on."""

    @abstractmethod
    def release_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN leaves the call; a two-party call ends for the other party too."""

    # consultation, transfer and conference (switch/features/consult.py)

    @abstractmethod
    def _join_conference(self, call: Call, joining: Party) -> list[Event]:
        """A party added in one step answered: it joins the conference."""

    @abstractmethod
    def _leave_conference(
        self, call: Call, leaver: Party, *, deleted_by: str, now: float
    ) -> list[Event]:
        """A party leaves (or is deleted from) a call of three or more."""

    # ACD queues (switch/features/acd.py)

    @abstractmethod
    def _enqueue(self, call: Call, queue: str, now: float, *, priority: bool) -> list[Event]:
        """The call enters an ACD queue (at its head when `priority`) and may go to an agent."""

    @abstractmethod
    def _leave_queue(self, call: Call, party: Party) -> None:
        """The queue's party is about to leave the call: take the call off its waiting list."""

    @abstractmethod
    def _keep_place(self, queue: str, consult_id: ConnID, call: Call) -> None:
        """The consultation call `consult_id` waiting in the queue merged into `call`: the
        call takes its place in the line."""

    @abstractmethod
    def _return_to_queue(
        self, call: Call, party: Party, now: float, call_state: CallState
    ) -> list[Event]:
        """An agent did not take an ACD call: it goes back to the head of its queue."""

    @abstractmethod
    def _agent_free(self, dn: str, now: float, *, idle_from_now: bool) -> list[Event]:
        """The agent on `dn` may be free to take a call: serve its queue."""

    @abstractmethod
    def _after_release(self, party: Party, call: Call, now: float) -> list[Event]:
        """A party left a call: an agent on its DN goes to after-call work or is free."""

    # routing points and treatments (switch/features/routing.py)

    @abstractmethod
    def _request_route(self, call: Call, routing_point: str, now: float) -> list[Event]:
        """The call reaches a routing point, which asks for a route."""

    @abstractmethod
    def _collecting(self, call: Call) -> list[Party]:
        """The routing points and queues gathering this call's digits."""

    @abstractmethod
    def _digits(self, call: Call, digits: str) -> list[Event]:
        """The caller pressed `digits`: they go to every digit collection on the call."""

    # calls through trunks (switch/features/trunk_calls.py)

    @abstractmethod
    def _trunk_group_for(self, number: str) -> TrunkGroupConfig | None:
        """The trunk group that reaches the number, if any."""

    @abstractmethod
    def _outbound(
        self,
        this_dn: str,
        number: str,
        group: TrunkGroupConfig,
        user_data: KVList | None,
        consult_of: ConnID | None = None,
    ) -> list[Event]:
        """This DN calls a number out through the trunk group."""

    @abstractmethod
    def _free_trunk(self, call: Call) -> None:
        """The call no longer holds a trunk of its group."""

    # agents (switch/features/agents.py)

    @abstractmethod
    def agent_ready(
        self,
        this_dn: str,
        *,
        now: float,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        """The agent is ready: EventAgentReady; a call waiting in its queue may ring at once."""

    # DN features (switch/features/dn.py)

    @abstractmethod
    def _closed(self, dn: str) -> bool:
        """Whether the DN takes no new calls: DND on, or out of service."""

    @abstractmethod
    def forward_of(self, dn: str, *modes: ForwardMode) -> str | None:
        """Where the DN forwards calls in one of these modes, if it does."""
