"""The soft PBX: DNs, calls, agents, ACD queues and routing points, driven by operations and
passed-in time.

Theory of operation
-------------------
Every public operation takes `now`, changes the model atomically (a refused operation raises
SwitchError before anything changes) and returns the events it caused, in the protocol's
vocabulary, each addressed to the DN in its ThisDN, in the order a real T-Server reports them.
Operations may start timers; `next_deadline()` says when the earliest is due and `advance(now)`
fires the due ones, returning their events the same way. The switch never reads a clock and
never stamps sequence numbers, times or ReferenceIDs: that is the T-Server core's job.

Party moves are the table switch.calls.PARTY_TRANSITIONS; agent moves are
switch.agents.AGENT_TRANSITIONS. The call models followed (docs/call-models.md):

    basic call       MakeCall A->B: A EventDialing, B EventRinging; AnswerCall B: B then A
                     EventEstablished; ReleaseCall: the releasing party, then the other,
                     EventReleased. B busy (in a call, or DND on): A EventDialing,
                     EventDestinationBusy.
    hold/retrieve    EventHeld / EventRetrieved to the holding party only.
    UserData         every party gets EventAttachedDataChanged with all of it, the changer first.
    ACD queue        A calls Q: A EventDialing, Q EventQueued; a ready agent G of Q frees up:
                     Q EventDiverted (ThirdPartyDN G), G EventRinging (ThisQueue Q); the caller
                     hangs up while queued: Q EventAbandoned; while G rings: G EventAbandoned.
                     G lets it ring out: G EventReleased, agent NotReady, Q EventQueued again.
    routing point    A calls R: A EventDialing, R EventRouteRequest; RouteCall (or the default
                     route on timeout): R EventRouteUsed (ThirdPartyDN target), then the target
                     is offered the call as if A had called it.
"""

from __future__ import annotations

import heapq
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeGuard, TypeVar

from protocol.enums import (
    AddressStatus,
    AddressType,
    AgentWorkMode,
    CallState,
    CallType,
    DNRole,
    ForwardMode,
    MakeCallType,
    MergeType,
    RouteType,
    TreatmentType,
)
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventAttachedDataChanged,
    EventDNBackInService,
    EventDNDOff,
    EventDNDOn,
    EventDNOutOfService,
    EventDTMFSent,
    EventForwardCancel,
    EventForwardSet,
    EventNetworkReached,
    EventPartyAdded,
    EventPartyChanged,
    EventPartyDeleted,
    EventTreatmentApplied,
    EventTreatmentEnd,
    Message,
)
from protocol.values import ConnID, KVList, KVValue
from switch.agents import AGENT_TRANSITIONS, Agent, AgentInput, AgentState
from switch.calls import (
    ACTIVE_STATES,
    PARTY_TRANSITIONS,
    Call,
    Party,
    PartyInput,
    PartyState,
    SwitchError,
)
from switch.config import (
    AgentConfig,
    QueueConfig,
    RoutingPointConfig,
    SwitchConfig,
    TrunkGroupConfig,
)
from switch.timers import Timer, TimerKind
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
    SendDigits,
    SitDetected,
    TrunkCommand,
    TrunkReport,
)

__all__ = [
    "PARTY_TRANSITIONS",
    "Call",
    "Party",
    "PartyInput",
    "PartyState",
    "Switch",
    "SwitchError",
]

#: A DN's AddressStatus from its parties' states, the first match winning.
_STATUS_BY_PRIORITY = (
    (PartyState.Established, AddressStatus.Talking),
    (PartyState.Ringing, AddressStatus.Ringing),
    (PartyState.Dialing, AddressStatus.Dialing),
    (PartyState.Busy, AddressStatus.Dialing),
    (PartyState.Held, AddressStatus.Held),
)

#: Forwarding modes the switch carries out, and how many forwards a call may follow.
_FORWARD_MODES = frozenset(
    {
        ForwardMode.Unconditional,
        ForwardMode.OnBusy,
        ForwardMode.OnNoAnswer,
        ForwardMode.OnBusyAndNoAnswer,
    }
)
_MAX_FORWARDS = 5

M = TypeVar("M", bound=Message)

#: The tenant reported in CustomerID where an event must carry one.
CUSTOMER_ID = "Resources"

#: Treatments the switch gives, with their default duration in seconds (None: until the call
#: leaves the routing point or queue).
_TREATMENTS: dict[TreatmentType, int | None] = {
    TreatmentType.Music: None,
    TreatmentType.RingBack: None,
    TreatmentType.Silence: None,
    TreatmentType.Busy: None,
    TreatmentType.FastBusy: None,
    TreatmentType.PlayAnnouncement: 5,
    TreatmentType.RAN: 5,
    TreatmentType.CollectDigits: 10,
    TreatmentType.PlayAnnouncementAndDigits: 10,
}

#: Treatments that gather the caller's digits; their duration is TOTAL_TIMEOUT, and
#: MAX_DIGITS (default 1) or one of TERM_DIGITS ends them early.
_COLLECTING = frozenset({TreatmentType.CollectDigits, TreatmentType.PlayAnnouncementAndDigits})

#: The CallState of EventEstablished by what answered an outbound call.
_ANSWER_STATES = {
    AnswerKind.Person: CallState.Ok,
    AnswerKind.AnsweringMachine: CallState.AnsweringMachineDetected,
    AnswerKind.Fax: CallState.FaxDetected,
    AnswerKind.Modem: CallState.Ok,
}

#: Route types RequestRouteCall supports: they all send the call to OtherDN (Default: to
#: OtherDN when given, else to the routing point's default destination).
_ROUTE_TYPES = frozenset(
    {
        RouteType.Unknown,
        RouteType.Default,
        RouteType.Label,
        RouteType.OverwriteDNIS,
        RouteType.DDD,
        RouteType.IDDD,
        RouteType.Direct,
        RouteType.DirectAgent,
        RouteType.Priority,
        RouteType.DirectPriority,
    }
)

_FIELD_NAMES: dict[type[Message], frozenset[str]] = {}


def _fields(cls: type[Message]) -> frozenset[str]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(fs.spec.field for fs in cls.FIELDS)
    return names


class Switch:
    """The PBX model. Every public operation returns the events it caused."""

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
        #: Each queue's waiting calls, first to be served first.
        self._waiting: dict[str, OrderedDict[ConnID, Call]] = {
            dn: OrderedDict() for dn in self._queues
        }
        #: Each queue's free agents, as a heap of (ready_since, seq, AgentID); entries are
        #: checked when popped, so an agent that got busy since is simply skipped.
        self._free_agents: dict[str, list[tuple[float, int, str]]] = {dn: [] for dn in self._queues}
        self._free_seq = 0
        self._agent_config: dict[str, AgentConfig] = {a.agent_id: a for a in config.agents}
        self._agents_by_dn: dict[str, Agent] = {}
        self._agents_by_id: dict[str, Agent] = {}
        self._dnd: set[str] = set()
        #: DNs out of service: busy to callers, no ACD calls (see set_in_service).
        self._out_of_service: set[str] = set()
        #: Trunk groups whose driver reported its link down.
        self._links_down: set[str] = set()
        #: Call forwarding by DN: mode -> destination.
        self._forwards: dict[str, dict[ForwardMode, str]] = {}
        self._timers: list[Timer] = []
        self._timer_seq = 0
        self._trunk_groups: dict[str, TrunkGroupConfig] = {t.name: t for t in config.trunk_groups}
        self._trunks_in_use: dict[str, int] = dict.fromkeys(self._trunk_groups, 0)
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

    def waiting(self, queue: str) -> list[ConnID]:
        """The calls waiting in an ACD queue, first to be served first."""
        return list(self._waiting.get(queue, ()))

    def dn_status(self, dn: str) -> AddressStatus:
        """The DN's state as EventRegistered and EventAddressInfo report it (Maintenance
        while it is out of service)."""
        if dn in self._out_of_service:
            return AddressStatus.Maintenance
        states = {
            p.state for c in self._calls_at.get(dn, {}).values() for p in c.parties if p.dn == dn
        }
        for state, status in _STATUS_BY_PRIORITY:
            if state in states:
                return status
        return AddressStatus.Idle

    def agent_at(self, dn: str) -> Agent | None:
        """The agent logged in on the DN, if any."""
        return self._agents_by_dn.get(dn)

    def dnd(self, dn: str) -> bool:
        return dn in self._dnd

    def agents_in_queue(self, queue: str) -> tuple[int, int]:
        """(logged in, ready and free) agents of an ACD queue."""
        logged = [a for a in self._agents_by_id.values() if a.queue == queue]
        free = [
            a
            for a in logged
            if a.state is AgentState.Ready and not self._active(a.dn) and not self._closed(a.dn)
        ]
        return len(logged), len(free)

    def address_type(self, dn: str) -> AddressType:
        if dn in self._queues:
            return AddressType.Queue
        if dn in self._routing_points:
            return AddressType.RouteDN
        return AddressType.DN

    def trunks_in_use(self, group: str) -> int:
        return self._trunks_in_use.get(group, 0)

    def take_commands(self) -> list[TrunkCommand]:
        """The trunk commands queued since the last call, for the core to hand to drivers."""
        commands, self._commands = self._commands, []
        return commands

    def call(self, conn_id: ConnID) -> Call | None:
        return self._calls.get(conn_id)

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
    # Basic call

    def make_call(
        self,
        this_dn: str,
        other_dn: str,
        *,
        now: float,
        user_data: KVList | None = None,
        make_call_type: MakeCallType = MakeCallType.Regular,
    ) -> list[Event]:
        """This DN calls another DN (an extension, an ACD queue, a routing point) or a number
        a trunk group reaches. DirectAgent: `other_dn` is an agent's DN and the call reaches
        the agent as an ACD call of the agent's queue (ThisQueue, after-call work); Priority: a
        call to a queue waits at its head."""
        self._check_destination(this_dn, other_dn)
        if make_call_type not in (
            MakeCallType.Regular,
            MakeCallType.DirectAgent,
            MakeCallType.Priority,
        ):
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                f"MakeCallType {make_call_type.name} is not supported",
                this_dn=this_dn,
            )
        via = None
        if make_call_type is MakeCallType.DirectAgent:
            agent = self._agents_by_dn.get(other_dn)
            if agent is None or agent.queue is None:
                raise SwitchError(
                    ErrorCode.InvalidState,
                    f"no agent logged in to a queue on {other_dn} for a DirectAgent call",
                    this_dn=this_dn,
                )
            via = agent.queue
        if self._active(this_dn):
            raise SwitchError(
                ErrorCode.InvalidState, f"{this_dn} is already in a call", this_dn=this_dn
            )
        return self._originate(
            this_dn,
            other_dn,
            now,
            user_data,
            consult_of=None,
            via=via,
            priority=make_call_type is MakeCallType.Priority,
        )

    def _check_destination(self, this_dn: str, other_dn: str) -> None:
        self._require_extension(this_dn)
        if not self.has_dn(other_dn) and self._trunk_group_for(other_dn) is None:
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"destination {other_dn!r} is neither a configured DN nor a number any trunk "
                "group reaches",
                this_dn=this_dn,
            )

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
        group = None if self.has_dn(other_dn) else self._trunk_group_for(other_dn)
        if group is not None:
            return self._outbound(this_dn, other_dn, group, user_data, consult_of)
        call_type = CallType.Consult if consult_of is not None else CallType.Internal
        call = self._new_call(call_type, user_data)
        call.consult_of = consult_of
        caller = Party(this_dn, DNRole.Origination)
        call.destination = Party(other_dn, DNRole.Destination)
        self._add(call, caller)
        events = self._move(call, caller, PartyInput.Originate, other=call.destination)
        return events + self._offer(call, other_dn, now, via=via, priority=priority)

    def answer_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN answers the call ringing on it."""
        del now
        call, party = self._party(this_dn, conn_id)
        if party.added_by is not None:
            return self._join_conference(call, party)
        events = self._move(call, party, PartyInput.Answer, other=self._peer(call, party))
        for other in call.others(party):
            if other.state is PartyState.Dialing:
                events += self._move(call, other, PartyInput.OtherAnswered, other=party)
                if other.external and call.trunk_group is not None:
                    self._commands.append(AnswerInbound(call.trunk_group, call.conn_id))
        return events

    def release_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN leaves the call; a two-party call ends for the other party too."""
        call, party = self._party(this_dn, conn_id)
        if party.state is PartyState.Ringing and party.queue in self._queues:
            return self._return_to_queue(call, party, now, CallState.Ok)
        self._check(party, PartyInput.Release)
        if len(call.others(party)) >= 2 and party.state in (
            PartyState.Established,
            PartyState.Held,
        ):
            return self._leave_conference(call, party, deleted_by=this_dn, now=now)
        events = self._move(call, party, PartyInput.Release, other=self._peer(call, party))
        return events + self._settle(call, party, now)

    def _settle(
        self, call: Call, gone: Party, now: float, call_state: CallState | None = None
    ) -> list[Event]:
        """After `gone` left a two-party call: the last party is left alone (released or
        abandoned), the call ends when nobody is left, and an agent on `gone`'s DN moves on."""
        events: list[Event] = []
        remaining = call.others(gone)
        if len(remaining) == 1:
            events += self._leave_alone(
                call, remaining[0], released_by=gone, now=now, call_state=call_state
            )
        if not call.others(gone):
            self._end(call)
        return events + self._after_release(gone, call, now)

    def _leave_alone(
        self,
        call: Call,
        last: Party,
        *,
        released_by: Party,
        now: float,
        call_state: CallState | None = None,
    ) -> list[Event]:
        """The last other party of a call loses its peer: EventReleased, or EventAbandoned
        where a queue, a routing point, an agent ringing with an ACD call or a DN ringing with
        an external caller loses its caller."""
        abandon = last.state in (PartyState.Queued, PartyState.Routing) or (
            last.state is PartyState.Ringing and (last.queue is not None or released_by.external)
        )
        events: list[Event]
        if not abandon:
            events = self._move(
                call, last, PartyInput.OtherReleased, other=released_by, call_state=call_state
            )
            return events + self._after_release(last, call, now)
        if last.state is PartyState.Queued:
            del self._waiting[last.dn][call.conn_id]
        events = self._move(call, last, PartyInput.Abandon, other=call.origin)
        if last.state is PartyState.Released and last.dn in self._agents_by_dn:
            events += self._agent_free(last.dn, now, idle_from_now=True)
        return events

    # ----------------------------------------------------------------------------------------
    # Hold and retrieve

    def hold_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN puts the call on hold: EventHeld to it alone."""
        del now
        call, party = self._party(this_dn, conn_id)
        return self._move(call, party, PartyInput.Hold, other=self._peer(call, party))

    def retrieve_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN takes the held call back: EventRetrieved to it alone."""
        del now
        call, party = self._party(this_dn, conn_id)
        if (party.state, PartyInput.Retrieve) in PARTY_TRANSITIONS and self._active(this_dn):
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{this_dn} has another active call: hold or release it first",
                this_dn=this_dn,
            )
        return self._move(call, party, PartyInput.Retrieve, other=self._peer(call, party))

    # ----------------------------------------------------------------------------------------
    # Routing points

    def route_call(
        self,
        this_dn: str,
        conn_id: ConnID,
        destination: str | None,
        *,
        now: float,
        route_type: RouteType = RouteType.Default,
    ) -> list[Event]:
        """The routing point sends the call waiting on it to `destination`."""
        if this_dn not in self._routing_points:
            raise SwitchError(
                ErrorCode.InvalidState, f"{this_dn} is not a routing point", this_dn=this_dn
            )
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.RouteUsed)
        if route_type not in _ROUTE_TYPES:
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                f"RouteType {route_type.name} is not supported by this switch",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        target = destination or self._routing_points[this_dn].default_destination
        if not self.has_dn(target) or target == this_dn:
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"route destination {target!r} is not another configured DN",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        return self._route(call, party, target, now)

    def _route(self, call: Call, party: Party, target: str, now: float) -> list[Event]:
        events = self._move(
            call,
            party,
            PartyInput.RouteUsed,
            other=call.origin,
            third_party_dn=target,
            third_party_dn_role=DNRole.Destination,
        )
        call.destination = Party(target, DNRole.Destination)
        return events + self._offer(call, target, now, via=party.dn)

    def _route_timeout(self, timer: Timer, now: float) -> list[Event]:
        found = self._timed_party(timer, PartyState.Routing)
        if found is None:
            return []
        call, party = found
        return self._route(call, party, self._routing_points[party.dn].default_destination, now)

    # ----------------------------------------------------------------------------------------
    # Treatments

    def apply_treatment(
        self,
        this_dn: str,
        conn_id: ConnID,
        treatment: TreatmentType,
        parms: KVList | None = None,
        *,
        now: float,
    ) -> list[Event]:
        """A routing point or queue gives the call waiting on it a treatment (music, ringback,
        silence, busy, an announcement): EventTreatmentApplied; when TreatmentParms carry a
        Duration (seconds; an announcement lasts 5 s by default), EventTreatmentEnd when it is
        over. The treatment stops when the call leaves. CollectDigits and
        PlayAnnouncementAndDigits gather the caller's DTMF (from the trunk's driver, or SendDTMF
        by an internal caller) until MAX_DIGITS (default 1) are in, one of TERM_DIGITS is
        pressed, or TOTAL_TIMEOUT seconds (default 10) pass; EventTreatmentEnd then carries
        CollectedDigits, LastDigit and COMPLETION_STATUS (NORMAL or TIMEOUT) in Extensions.
        An IVR is not supported."""
        call, party = self._party(this_dn, conn_id)
        self._require_state(
            party,
            PartyState.Routing,
            PartyState.Queued,
            doing="give a treatment (only a routing point or queue holding the call does)",
        )
        if treatment not in _TREATMENTS:
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                f"TreatmentType {treatment.name} is not supported yet",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        given = parms or KVList()
        collecting = treatment in _COLLECTING
        duration_key = "TOTAL_TIMEOUT" if collecting else "Duration"
        duration = given.get(duration_key, _TREATMENTS[treatment])
        if duration is not None and (not _natural(duration) or (collecting and duration == 0)):
            raise SwitchError(
                ErrorCode.InvalidAttribute,
                f"TreatmentParms {duration_key} {duration!r} is not a number of seconds",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        if collecting:
            max_digits, term = given.get("MAX_DIGITS", 1), given.get("TERM_DIGITS", "")
            if not _natural(max_digits) or not 1 <= max_digits <= 32:
                raise SwitchError(
                    ErrorCode.InvalidAttribute,
                    f"TreatmentParms MAX_DIGITS {max_digits!r} is not a number from 1 to 32",
                    this_dn=this_dn,
                    conn_id=conn_id,
                )
            if not isinstance(term, str) or not _is_dtmf(term, empty=True):
                raise SwitchError(
                    ErrorCode.InvalidAttribute,
                    f"TreatmentParms TERM_DIGITS {term!r} are not DTMF digits",
                    this_dn=this_dn,
                    conn_id=conn_id,
                )
            party.collect_max, party.collect_term = max_digits, term.upper()
        party.treatment = (treatment, parms)
        party.treatment_timer = None
        party.collected = "" if collecting else None
        if duration is not None:
            party.treatment_timer = self._schedule(
                now + duration, TimerKind.TreatmentEnd, call.conn_id, this_dn
            )
        return [self._treatment_event(EventTreatmentApplied, call, party)]

    def _treatment_event(
        self,
        event_class: type[CallEvent],
        call: Call,
        party: Party,
        *,
        completion: str | None = None,
    ) -> CallEvent:
        assert party.treatment is not None
        treatment, parms = party.treatment
        extensions = KVList()
        collected = last_digit = None
        if completion is not None:
            extensions = KVList([("COMPLETION_STATUS", completion)])
            collected = party.collected or ""
            last_digit = collected[-1:] or None
        return _build(
            event_class,
            this_dn=party.dn,
            conn_id=call.conn_id,
            call_type=call.call_type,
            call_id=call.call_id,
            this_dn_role=party.role,
            customer_id=CUSTOMER_ID,
            treatment_type=treatment,
            treatment_parms=parms,
            user_data=call.user_data,
            call_uuid=call.call_uuid,
            extensions=extensions,
            collected_digits=collected,
            last_digit=last_digit,
        )

    def _treatment_over(self, timer: Timer, now: float) -> list[Event]:
        del now
        found = self._timed_party(timer, PartyState.Routing, PartyState.Queued, treatment=True)
        if found is None:
            return []
        call, party = found
        completion = None if party.collected is None else "TIMEOUT"
        event = self._treatment_event(EventTreatmentEnd, call, party, completion=completion)
        party.treatment, party.treatment_timer, party.collected = None, None, None
        return [event]

    def _collecting(self, call: Call) -> list[Party]:
        """The routing points and queues gathering this call's digits."""
        return [
            p
            for p in call.parties
            if p.collected is not None
            and p.treatment is not None
            and p.state in (PartyState.Routing, PartyState.Queued)
        ]

    def _digits(self, call: Call, digits: str) -> list[Event]:
        """The caller pressed `digits`: they go to every collect-digits treatment on the call;
        a treatment with all its digits (or a terminating one) ends with EventTreatmentEnd."""
        events: list[Event] = []
        for party in self._collecting(call):
            assert party.treatment is not None and party.collected is not None
            for digit in digits:
                if digit in party.collect_term:
                    break
                party.collected += digit
                if len(party.collected) >= party.collect_max:
                    break
            else:
                continue
            events.append(
                self._treatment_event(EventTreatmentEnd, call, party, completion="NORMAL")
            )
            party.treatment, party.treatment_timer, party.collected = None, None, None
        return events

    # ----------------------------------------------------------------------------------------
    # Clear, redirect, DTMF

    def clear_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """ClearCall: every party leaves the call, this DN first; each gets EventReleased with
        CallState Cleared (a queue or routing point holding it, EventAbandoned)."""
        call, party = self._party(this_dn, conn_id)
        ordered = [party, *call.others(party)]
        events: list[Event] = []
        for member in ordered:
            peer = self._peer(call, member)
            if member.state in (PartyState.Queued, PartyState.Routing):
                if member.state is PartyState.Queued:
                    del self._waiting[member.dn][call.conn_id]
                events += self._move(
                    call, member, PartyInput.Abandon, other=peer, call_state=CallState.Cleared
                )
            else:
                events += self._move(
                    call, member, PartyInput.Release, other=peer, call_state=CallState.Cleared
                )
        self._end(call)
        for member in ordered:
            events += self._after_release(member, call, now)
        return events

    def redirect_call(
        self, this_dn: str, conn_id: ConnID, other_dn: str, *, now: float
    ) -> list[Event]:
        """RedirectCall: the call ringing at this DN rings `other_dn` instead. This DN gets
        EventReleased (CallState Redirected); the new destination is offered the call."""
        call, party = self._party(this_dn, conn_id)
        self._require_state(
            party, PartyState.Ringing, doing="be redirected (only a ringing call is)"
        )
        self._check_new_destination(call, this_dn, other_dn)
        events = self._move(
            call, party, PartyInput.Release, other=call.origin, call_state=CallState.Redirected
        )
        call.destination = Party(other_dn, DNRole.Destination)
        events += self._offer(call, other_dn, now)
        return events + self._agent_free(this_dn, now, idle_from_now=False)

    def send_dtmf(self, this_dn: str, conn_id: ConnID, digits: str, *, now: float) -> list[Event]:
        """SendDTMF: send digits on a connected call (through its trunk, when it has one), or,
        from the caller of a call a routing point or queue is collecting digits of, to that
        collection; EventDTMFSent to this DN."""
        del now
        call, party = self._party(this_dn, conn_id)
        collecting = party is call.origin and bool(self._collecting(call))
        if not collecting:
            self._require_state(
                party, PartyState.Established, doing="send DTMF (that needs a connected call)"
            )
        if not _is_dtmf(digits):
            raise SwitchError(
                ErrorCode.InvalidAttribute,
                f"DTMFDigits {digits!r} are not DTMF digits (0-9, *, #, A-D)",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        if collecting:
            return [self._dtmf_sent(call, this_dn), *self._digits(call, digits.upper())]
        if call.trunk_group is not None:
            self._commands.append(SendDigits(call.trunk_group, call.conn_id, digits))
        return [self._dtmf_sent(call, this_dn)]

    def _dtmf_sent(self, call: Call, this_dn: str) -> Event:
        return _build(
            EventDTMFSent,
            this_dn=this_dn,
            conn_id=call.conn_id,
            call_id=call.call_id,
            ani=call.ani,
            dnis=call.dnis,
            user_data=call.user_data,
        )

    # ----------------------------------------------------------------------------------------
    # Consultation, transfer and conference

    def initiate_consultation(
        self,
        this_dn: str,
        conn_id: ConnID,
        other_dn: str,
        *,
        now: float,
        user_data: KVList | None = None,
    ) -> list[Event]:
        """InitiateTransfer and InitiateConference: hold the call (EventHeld) and call
        `other_dn` on a consultation call (CallType Consult, PreviousConnID the held call)
        that carries a copy of the held call's UserData, updated with `user_data`."""
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.Hold)
        self._check_destination(this_dn, other_dn)
        events = self._move(call, party, PartyInput.Hold, other=self._peer(call, party))
        pairs = dict((call.user_data or KVList()).pairs)
        pairs.update((user_data or KVList()).pairs)
        data = KVList(pairs.items()) if pairs else None
        return events + self._originate(this_dn, other_dn, now, data, consult_of=conn_id)

    def _consultation(
        self, this_dn: str, conn_id: ConnID, consult_id: ConnID, *, linked: bool = True
    ) -> tuple[Call, Party, Call, Party, list[Party]]:
        """Check a (held call, consultation call) pair for completion; return both calls, the
        DN's party in each, and the consulted parties to move. `linked` false (MergeCalls)
        accepts any second call of the DN, not only a consultation of the held one."""
        call, held = self._party(this_dn, conn_id)
        consult, mine = self._party(this_dn, consult_id)
        if (
            conn_id == consult_id
            or held.state is not PartyState.Held
            or (linked and consult.consult_of != call.conn_id)
        ):
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{consult_id} is not a consultation of the call {conn_id} held at {this_dn}",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        if mine.state not in (PartyState.Dialing, PartyState.Established):
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{this_dn} is {mine.state.value} in the consultation call",
                this_dn=this_dn,
                conn_id=consult_id,
            )
        moving = consult.others(mine)
        if not moving:
            raise SwitchError(
                ErrorCode.InvalidState,
                "the consultation call has no other party",
                this_dn=this_dn,
                conn_id=consult_id,
            )
        if call.trunk_group is not None and consult.trunk_group is not None:
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                "joining two trunk calls (trunk-to-trunk transfer) is not supported yet",
                this_dn=this_dn,
                conn_id=consult_id,
            )
        return call, held, consult, mine, moving

    def _merge(self, call: Call, consult: Call, moving: list[Party]) -> None:
        """Move the consulted parties from the consultation call into the call."""
        for party in moving:
            consult.parties.remove(party)
            if not party.external:
                del self._calls_at[party.dn][consult.conn_id]
            call.parties.append(party)
            self._join(call, party)
            if party.timer is not None:  # its timer follows the party
                assert party.timer_kind is not None
                self._watch(party, call, party.timer_due, party.timer_kind)
            if party.state is PartyState.Queued:  # the call keeps the consultation's place
                waiting = self._waiting[party.dn]
                items = list(waiting.items())
                waiting.clear()
                for key, value in items:
                    if key == consult.conn_id:
                        waiting[call.conn_id] = call
                    else:
                        waiting[key] = value
        if consult.trunk_group is not None:  # the trunk now carries the merged call
            call.trunk_group, consult.trunk_group = consult.trunk_group, None

    def merge_calls(
        self,
        this_dn: str,
        conn_id: ConnID,
        other_id: ConnID,
        merge_type: MergeType,
        *,
        now: float,
    ) -> list[Event]:
        """MergeCalls: join the held call `conn_id` and the DN's other call `other_id` as a
        transfer (this DN leaves) or a conference (this DN stays), with the events of
        CompleteTransfer or CompleteConference; the second call need not be a consultation."""
        if merge_type is MergeType.ForTransfer:
            return self.complete_transfer(this_dn, conn_id, other_id, now=now, linked=False)
        return self.complete_conference(this_dn, conn_id, other_id, now=now, linked=False)

    def complete_transfer(
        self,
        this_dn: str,
        conn_id: ConnID,
        consult_id: ConnID,
        *,
        now: float,
        linked: bool = True,
    ) -> list[Event]:
        """CompleteTransfer: this DN leaves both calls; the consulted party takes its place in
        the held call, which keeps its ConnID. The DN gets EventReleased for each call
        (CallState Transferred); the other parties get EventPartyChanged (PreviousConnID the
        consultation, ThirdPartyDN this DN, ThirdPartyDNRole TransferredBy)."""
        call, held, consult, mine, moving = self._consultation(
            this_dn, conn_id, consult_id, linked=linked
        )
        transferred = CallState.Transferred
        events = self._move(
            consult, mine, PartyInput.Release, other=moving[0], call_state=transferred
        )
        events += self._move(
            call, held, PartyInput.Release, other=self._peer(call, held), call_state=transferred
        )
        stayers = call.others(held)
        self._merge(call, consult, moving)
        self._end(consult)
        newcomer = moving[0]
        for party in [*moving, *stayers]:
            if party.external:
                continue
            other = stayers[0] if party in moving and stayers else newcomer
            events.append(
                self._event(
                    EventPartyChanged,
                    call,
                    party,
                    other=other,
                    call_state=transferred,
                    third_party_dn=this_dn,
                    third_party_dn_role=DNRole.TransferredBy,
                    previous_conn_id=consult.conn_id,
                    other_present=len(call.others(party)) == 1,
                )
            )
        # the transferring agent is free again (or in after-call work)
        return events + self._after_release(held, call, now)

    def complete_conference(
        self,
        this_dn: str,
        conn_id: ConnID,
        consult_id: ConnID,
        *,
        now: float,
        linked: bool = True,
    ) -> list[Event]:
        """CompleteConference: the consulted party joins the held call, this DN takes it back.
        The DN gets EventReleased for the consultation and EventRetrieved for the call; the
        parties already in the call get EventPartyAdded (OtherDN the new party, ThirdPartyDN
        this DN, ThirdPartyDNRole AddedBy); the new party gets EventPartyChanged."""
        call, held, consult, mine, moving = self._consultation(
            this_dn, conn_id, consult_id, linked=linked
        )
        conferenced = CallState.Conferenced
        events = self._move(
            consult, mine, PartyInput.Release, other=moving[0], call_state=conferenced
        )
        stayers = call.others(held)
        events += self._move(call, held, PartyInput.Retrieve, other=self._peer(call, held))
        self._merge(call, consult, moving)
        self._end(consult)
        newcomer = moving[0]
        for party in [held, *stayers]:
            if not party.external:
                events.append(
                    self._event(
                        EventPartyAdded,
                        call,
                        party,
                        other=newcomer,
                        call_state=conferenced,
                        third_party_dn=this_dn,
                        third_party_dn_role=DNRole.AddedBy,
                        previous_conn_id=consult.conn_id,
                    )
                )
        for party in moving:
            if not party.external:
                events.append(
                    self._event(
                        EventPartyChanged,
                        call,
                        party,
                        other=None,
                        call_state=conferenced,
                        third_party_dn=this_dn,
                        third_party_dn_role=DNRole.ConferencedBy,
                        previous_conn_id=consult.conn_id,
                        other_present=False,
                    )
                )
        return events

    def delete_from_conference(
        self, this_dn: str, conn_id: ConnID, other_dn: str, *, now: float
    ) -> list[Event]:
        """DeleteFromConference: remove `other_dn` from the conference. Per the reference's
        "Delete from Conference" model: the deleted DN gets EventReleased (no OtherDN); each
        remaining party gets EventPartyDeleted (OtherDN the deleted DN, OtherDNRole
        DeletedParty, ThirdPartyDN this DN, ThirdPartyDNRole DeletedBy, CallState Conferenced
        while more than two parties remain, else OK)."""
        call, party = self._party(this_dn, conn_id)
        victim = call.party_at(other_dn)
        if victim is None or victim is party or len(call.others(party)) < 2:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{other_dn} is not another member of a conference {conn_id} at {this_dn}",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        self._require_state(
            party, PartyState.Established, doing="delete a party from the conference"
        )
        return self._leave_conference(call, victim, deleted_by=this_dn, now=now)

    def _leave_conference(
        self, call: Call, leaver: Party, *, deleted_by: str, now: float
    ) -> list[Event]:
        events = self._move(call, leaver, PartyInput.Release, other=None)
        if leaver.external and call.trunk_group is not None:
            self._commands.append(ReleaseTrunk(call.trunk_group, call.conn_id))
            self._free_trunk(call)
        remaining = call.others(leaver)
        state = CallState.Conferenced if len(remaining) > 2 else CallState.Ok
        for party in remaining:
            if party.external:
                continue
            events.append(
                self._event(
                    EventPartyDeleted,
                    call,
                    party,
                    other=leaver,
                    call_state=state,
                    third_party_dn=deleted_by,
                    third_party_dn_role=DNRole.DeletedBy,
                    deleted_party=True,
                )
            )
        return events + self._after_release(leaver, call, now)

    def single_step_conference(
        self, this_dn: str, conn_id: ConnID, other_dn: str, *, now: float
    ) -> list[Event]:
        """SingleStepConference: `other_dn` (an extension) rings with the call (ThirdPartyDN this
        DN, ThirdPartyDNRole AddedBy); when it answers it joins the call, and the parties already
        there get EventPartyAdded. Nothing happens at this DN meanwhile (the server answers the
        request with EventACK)."""
        call, party = self._party(this_dn, conn_id)
        self._require_state(party, PartyState.Established, doing="add a party in one step")
        self._check_new_destination(call, this_dn, other_dn)
        if other_dn not in self._extensions:
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                "single-step conference to a queue or routing point is not supported yet",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        joining = Party(other_dn, DNRole.ConferenceMember, added_by=this_dn)
        self._add(call, joining)
        if self.config.no_answer_seconds > 0:
            self._watch(joining, call, now + self.config.no_answer_seconds, TimerKind.NoAnswer)
        return self._move(
            call,
            joining,
            PartyInput.Alert,
            other=party,
            call_state=CallState.Conferenced,
            third_party_dn=this_dn,
            third_party_dn_role=DNRole.AddedBy,
        )

    def _join_conference(self, call: Call, joining: Party) -> list[Event]:
        """A party added in one step answered: it joins, the others get EventPartyAdded."""
        added_by = joining.added_by
        joining.added_by = None
        conferenced = CallState.Conferenced
        events = self._move(call, joining, PartyInput.Answer, other=None, call_state=conferenced)
        for party in call.others(joining):
            if party.external or party.state is not PartyState.Established:
                continue
            events.append(
                self._event(
                    EventPartyAdded,
                    call,
                    party,
                    other=joining,
                    call_state=conferenced,
                    third_party_dn=added_by,
                    third_party_dn_role=DNRole.AddedBy,
                )
            )
        return events

    def single_step_transfer(
        self, this_dn: str, conn_id: ConnID, other_dn: str, *, now: float
    ) -> list[Event]:
        """SingleStepTransfer: this DN leaves the call (EventReleased, CallState Transferred)
        and `other_dn` is offered it in one step; the other parties get EventPartyChanged."""
        call, party = self._party(this_dn, conn_id)
        self._require_state(party, PartyState.Established, doing="transfer the call in one step")
        self._check_new_destination(call, this_dn, other_dn)
        stayers = call.others(party)
        events = self._move(
            call,
            party,
            PartyInput.Release,
            other=self._peer(call, party),
            call_state=CallState.Transferred,
        )
        target = Party(other_dn, DNRole.Destination)
        for stayer in stayers:
            if not stayer.external:
                events.append(
                    self._event(
                        EventPartyChanged,
                        call,
                        stayer,
                        other=target,
                        call_state=CallState.Transferred,
                        third_party_dn=this_dn,
                        third_party_dn_role=DNRole.TransferredBy,
                        previous_conn_id=call.conn_id,
                    )
                )
        call.destination = target
        origin = call.origin
        # the call is now offered as if the remaining party had called the target
        if stayers and origin is party:
            call.parties.remove(stayers[0])
            call.parties.insert(0, stayers[0])
        events += self._offer(call, other_dn, now)
        return events + self._after_release(party, call, now)

    def mute_transfer(
        self,
        this_dn: str,
        conn_id: ConnID,
        other_dn: str,
        *,
        now: float,
        user_data: KVList | None = None,
    ) -> list[Event]:
        """MuteTransfer: InitiateTransfer then CompleteTransfer at once, without waiting for
        the consulted party to answer."""
        call, _party = self._party(this_dn, conn_id)
        if call.trunk_group is not None and not self.has_dn(other_dn):
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                "joining two trunk calls (trunk-to-trunk transfer) is not supported yet",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        events = self.initiate_consultation(
            this_dn, conn_id, other_dn, now=now, user_data=user_data
        )
        dialing = events[1]  # EventHeld, then the consultation's EventDialing
        assert isinstance(dialing, CallEvent)
        consult = self._calls[dialing.conn_id]
        mine = consult.party_at(this_dn)
        if mine is None or mine.state is PartyState.Busy:
            return events  # the destination was busy: the DN clears the consultation itself
        return events + self.complete_transfer(this_dn, conn_id, consult.conn_id, now=now)

    def alternate_call(
        self, this_dn: str, conn_id: ConnID, held_id: ConnID, *, now: float
    ) -> list[Event]:
        """AlternateCall: hold the active call `conn_id`, retrieve the held call `held_id`."""
        del now
        self._two_calls(this_dn, conn_id, held_id)
        active_call, active = self._party(this_dn, conn_id)
        held_call, held = self._party(this_dn, held_id)
        self._check(active, PartyInput.Hold)
        self._check(held, PartyInput.Retrieve)
        events = self._move(
            active_call, active, PartyInput.Hold, other=self._peer(active_call, active)
        )
        return events + self._move(
            held_call, held, PartyInput.Retrieve, other=self._peer(held_call, held)
        )

    def reconnect_call(
        self, this_dn: str, conn_id: ConnID, held_id: ConnID, *, now: float
    ) -> list[Event]:
        """ReconnectCall: release the active call `conn_id` (a consultation, usually) and
        retrieve the held call `held_id`."""
        self._two_calls(this_dn, conn_id, held_id)
        held_call, held = self._party(this_dn, held_id)
        self._party(this_dn, conn_id)
        self._check(held, PartyInput.Retrieve)
        events = self.release_call(this_dn, conn_id, now=now)
        return events + self._move(
            held_call, held, PartyInput.Retrieve, other=self._peer(held_call, held)
        )

    def _require_state(self, party: Party, *states: PartyState, doing: str) -> None:
        """Refuse, naming the party's state, unless the party is in one of `states`."""
        if party.state not in states:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{party.dn} is {party.state.value} in the call: cannot {doing}",
                this_dn=party.dn,
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

    def _two_calls(self, this_dn: str, conn_id: ConnID, held_id: ConnID) -> None:
        if conn_id == held_id:
            raise SwitchError(
                ErrorCode.InvalidState,
                "the active and the held call must be two different calls",
                this_dn=this_dn,
                conn_id=conn_id,
            )

    # ----------------------------------------------------------------------------------------
    # ACD queues

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
        caller = call.origin
        if dn in self._queues:
            party = Party(dn, DNRole.Destination, queue=dn)
            self._add(call, party)
            self._waiting[dn][call.conn_id] = call
            if priority:
                self._waiting[dn].move_to_end(call.conn_id, last=False)
            events = self._move(call, party, PartyInput.Enqueue, other=caller)
            return events + self._distribute(dn, now)
        if dn in self._routing_points:
            party = Party(dn, DNRole.Destination, queue=dn)
            self._add(call, party)
            self._watch(
                party, call, now + self._routing_points[dn].timeout_seconds, TimerKind.RouteTimeout
            )
            return self._move(call, party, PartyInput.RouteRequest, other=caller)
        forward = self.forward_of(dn, ForwardMode.Unconditional)
        busy_now = dn == caller.dn or self._active(dn) or self._closed(dn)
        if forward is None and busy_now:
            forward = self.forward_of(dn, ForwardMode.OnBusy, ForwardMode.OnBusyAndNoAnswer)
        if forward is not None and hops < _MAX_FORWARDS and call.party_at(forward) is None:
            return self._offer(call, forward, now, via=via, hops=hops + 1, forwarded_by=dn)
        if busy_now:
            busy = Party(dn, DNRole.Destination)
            return self._move(
                call, caller, PartyInput.DestinationBusy, other=busy, call_state=CallState.Busy
            )
        party = Party(dn, DNRole.Destination, queue=via)
        self._add(call, party)
        if self.config.no_answer_seconds > 0:
            self._watch(party, call, now + self.config.no_answer_seconds, TimerKind.NoAnswer)
        if forwarded_by is not None:
            return self._move(
                call,
                party,
                PartyInput.Alert,
                other=caller,
                call_state=CallState.Forwarded,
                third_party_dn=forwarded_by,
            )
        return self._move(call, party, PartyInput.Alert, other=caller)

    def _available_agent(self, queue: str) -> Agent | None:
        """The longest-available agent of the queue (ready, on a free DN, not DND), taken off
        the queue's free list; None when there is none."""
        heap = self._free_agents[queue]
        while heap:
            ready_since, _seq, agent_id = heapq.heappop(heap)
            agent = self._agents_by_id.get(agent_id)
            if (
                agent is not None
                and agent.queue == queue
                and agent.state is AgentState.Ready
                and agent.ready_since == ready_since
                and not self._active(agent.dn)
                and not self._closed(agent.dn)
            ):
                return agent
        return None

    def _agent_free(self, dn: str, now: float, *, idle_from_now: bool) -> list[Event]:
        """The agent on `dn` may be free to take a call: list it as free in its queue, then
        serve the queue. `idle_from_now` restarts its idle time (a call just ended)."""
        agent = self._agents_by_dn.get(dn)
        if agent is None or agent.queue not in self._queues:
            return []
        if agent.state is not AgentState.Ready or self._active(dn) or self._closed(dn):
            return []
        if idle_from_now or agent.ready_since is None:
            agent.ready_since = now
        self._free_seq += 1
        heapq.heappush(
            self._free_agents[agent.queue], (agent.ready_since, self._free_seq, agent.agent_id)
        )
        return self._distribute(agent.queue, now)

    def _distribute(self, queue: str, now: float) -> list[Event]:
        """Hand waiting calls to free agents, longest-available agent first."""
        events: list[Event] = []
        waiting = self._waiting[queue]
        while waiting:
            agent = self._available_agent(queue)
            if agent is None:
                break
            _conn_id, call = waiting.popitem(last=False)
            party = call.party_at(queue)
            assert party is not None and party.state is PartyState.Queued
            events += self._move(
                call,
                party,
                PartyInput.Divert,
                other=call.origin,
                third_party_dn=agent.dn,
                third_party_dn_role=DNRole.Destination,
            )
            ringing = Party(agent.dn, DNRole.Destination, queue=queue)
            self._add(call, ringing)
            call.destination = ringing
            events += self._move(call, ringing, PartyInput.Alert, other=call.origin)
            self._watch(
                ringing,
                call,
                now + self._queues[queue].ring_no_answer_seconds,
                TimerKind.RingNoAnswer,
            )
        return events

    def _no_answer(self, timer: Timer, now: float) -> list[Event]:
        """An extension rang out: the call is released with CallState NoAnswer."""
        found = self._timed_party(timer, PartyState.Ringing)
        if found is None:
            return []
        call, party = found
        dn = party.dn
        forward = self.forward_of(dn, ForwardMode.OnNoAnswer, ForwardMode.OnBusyAndNoAnswer)
        if forward is not None and call.party_at(forward) is None:
            events = self._move(
                call,
                party,
                PartyInput.RingNoAnswer,
                other=call.origin,
                call_state=CallState.Forwarded,
            )
            return events + self._offer(call, forward, now, forwarded_by=dn)
        events = self._move(
            call, party, PartyInput.RingNoAnswer, other=call.origin, call_state=CallState.NoAnswer
        )
        return events + self._settle(call, party, now, CallState.NoAnswer)

    def _ring_no_answer(self, timer: Timer, now: float) -> list[Event]:
        found = self._timed_party(timer, PartyState.Ringing)
        if found is None:
            return []
        call, party = found
        return self._return_to_queue(call, party, now, CallState.DroppedNoAnswer)

    def _return_to_queue(
        self, call: Call, party: Party, now: float, call_state: CallState
    ) -> list[Event]:
        """An agent did not take an ACD call: it goes back to the head of its queue."""
        queue = party.queue
        assert queue is not None
        input_ = PartyInput.RingNoAnswer if call_state is not CallState.Ok else PartyInput.Release
        events = self._move(call, party, input_, other=call.origin, call_state=call_state)
        agent = self._agents_by_dn.get(party.dn)
        if agent is not None and agent.state is AgentState.Ready:
            events.append(self._agent_move(agent, AgentInput.NotReady, None, None))
            agent.ready_since = None
        again = Party(queue, DNRole.Destination, queue=queue)
        self._add(call, again)
        self._waiting[queue][call.conn_id] = call
        self._waiting[queue].move_to_end(call.conn_id, last=False)
        call.destination = again
        events += self._move(call, again, PartyInput.Enqueue, other=call.origin)
        return events + self._distribute(queue, now)

    def _after_release(self, party: Party, call: Call, now: float) -> list[Event]:
        """A party left a call: if an agent is logged in on its DN, an ACD call sends it to
        after-call work (when its queue has some); otherwise it may take the next call."""
        agent = self._agents_by_dn.get(party.dn)
        if agent is None or party.external or party.state is not PartyState.Released:
            return []
        del call
        acd = party.queue in self._queues and party.role is not DNRole.Origination
        if acd and agent.state is AgentState.Ready and party.queue is not None:
            acw = self._queues[party.queue].after_call_work_seconds
            if acw > 0:
                event = self._agent_move(
                    agent, AgentInput.NotReady, AgentWorkMode.AfterCallWork, None
                )
                agent.ready_since = None
                agent.timer = self._schedule(now + acw, TimerKind.AfterCallWork, agent.dn)
                return [event]
        return self._agent_free(party.dn, now, idle_from_now=True)

    def _after_call_work_over(self, timer: Timer, now: float) -> list[Event]:
        (dn,) = timer.key
        agent = self._agents_by_dn.get(dn)
        if agent is None or agent.timer != timer.seq or agent.state is not AgentState.NotReady:
            return []
        if agent.work_mode is not AgentWorkMode.AfterCallWork:
            return []
        return self.agent_ready(dn, now=now, work_mode=AgentWorkMode.ManualIn)

    # ----------------------------------------------------------------------------------------
    # Trunks: outbound and inbound calls through trunk drivers

    def _trunk_group_for(self, number: str) -> TrunkGroupConfig | None:
        """The trunk group whose longest prefix starts the number."""
        best: TrunkGroupConfig | None = None
        best_len = 0
        for group in self._trunk_groups.values():
            for prefix in group.prefixes:
                if number.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = group, len(prefix)
        return best

    def _outbound(
        self,
        this_dn: str,
        number: str,
        group: TrunkGroupConfig,
        user_data: KVList | None,
        consult_of: ConnID | None = None,
    ) -> list[Event]:
        call = self._new_call(
            CallType.Outbound if consult_of is None else CallType.Consult, user_data
        )
        call.consult_of = consult_of
        call.dnis = number
        caller = Party(this_dn, DNRole.Origination)
        far = Party(number, DNRole.Destination, external=True)
        call.destination = far
        self._add(call, caller)
        events = self._move(call, caller, PartyInput.Originate, other=far)
        if group.name in self._links_down or self._trunks_in_use[group.name] >= group.channels:
            return events + self._move(
                call,
                caller,
                PartyInput.DestinationBusy,
                other=far,
                call_state=CallState.AllTrunksBusy,
            )
        self._trunks_in_use[group.name] += 1
        call.trunk_group = group.name
        self._add(call, far)
        self._move(call, far, PartyInput.Alert, other=caller)
        self._commands.append(Dial(group.name, call.conn_id, number, ani=this_dn))
        return events

    def on_trunk_report(self, report: TrunkReport, now: float) -> list[Event]:
        """What a trunk driver saw happen; returns the events it causes. Reports about calls
        that have ended since are ignored."""
        if isinstance(report, Inbound):
            return self._inbound(report, now)
        if isinstance(report, LinkDown | LinkUp):
            return self._link(report, now)
        call = self._calls.get(report.conn_id)
        if call is None or call.trunk_group is None:
            return []
        if isinstance(report, DigitsReceived):
            # keys pressed by the far end reach a collect-digits treatment; otherwise nobody
            # is listening for them (in-band DTMF between people raises no event)
            if not _is_dtmf(report.digits):
                return []
            return self._digits(call, report.digits.upper())
        far = next(
            (p for p in call.parties if p.external and p.state is not PartyState.Released), None
        )
        if far is None:
            return []
        near = call.origin if not call.origin.external else self._peer(call, far)
        if isinstance(report, Alerting):
            if (
                near is None
                or near.state is not PartyState.Dialing
                or far.state is not PartyState.Ringing
            ):
                return []
            return [self._event(EventNetworkReached, call, near, other=far)]
        if isinstance(report, Answered):
            if far.state is not PartyState.Ringing or near is None:
                return []
            self._move(call, far, PartyInput.Answer, other=near)
            return self._move(
                call,
                near,
                PartyInput.OtherAnswered,
                other=far,
                call_state=_ANSWER_STATES[report.kind],
            )
        # the network side is gone: Busy, NoAnswer, SIT, Failed, FarEndReleased
        self._free_trunk(call)
        if isinstance(report, Busy) and near is not None and near.state is PartyState.Dialing:
            self._move(call, far, PartyInput.Release, other=near)
            return self._move(
                call, near, PartyInput.DestinationBusy, other=far, call_state=CallState.Busy
            )
        call_state = {
            NoAnswer: CallState.NoAnswer,
            Failed: CallState.GeneralError,
            FarEndReleased: CallState.Ok,
            Busy: CallState.Busy,
        }.get(type(report))
        if isinstance(report, SitDetected):
            call_state = report.kind.call_state
        self._check(far, PartyInput.Release)
        self._move(call, far, PartyInput.Release, other=near)
        return self._settle(call, far, now, call_state)

    def link_up(self, trunk_group: str) -> bool:
        """Whether the trunk group's driver has its link (unknown groups: False)."""
        return trunk_group in self._trunk_groups and trunk_group not in self._links_down

    def _link(self, report: LinkDown | LinkUp, now: float) -> list[Event]:
        """A driver's link went down (every call on the group ends: its far end is gone,
        CallState GeneralError) or came back. The T-Server core tells the clients
        (EventLinkDisconnected / EventLinkConnected); the switch's events are the calls'."""
        name = report.trunk_group
        if name not in self._trunk_groups:
            return []
        if isinstance(report, LinkUp):
            self._links_down.discard(name)
            return []
        if name in self._links_down:
            return []
        self._links_down.add(name)
        events: list[Event] = []
        for call in [c for c in self._calls.values() if c.trunk_group == name]:
            far = next(
                (p for p in call.parties if p.external and p.state is not PartyState.Released),
                None,
            )
            if far is None:
                continue
            near = call.origin if not call.origin.external else self._peer(call, far)
            self._free_trunk(call)
            self._move(call, far, PartyInput.Release, other=near)
            events += self._settle(call, far, now, CallState.GeneralError)
        return events

    def _inbound(self, report: Inbound, now: float) -> list[Event]:
        group = self._trunk_groups.get(report.trunk_group)
        reason = None
        if group is None:
            reason = f"no trunk group {report.trunk_group!r}"
        elif group.name in self._links_down:
            reason = "the trunk group's link is down"
        elif report.dnis not in self._calls_at:
            reason = f"DNIS {report.dnis!r} is not a configured DN"
        elif self._trunks_in_use[group.name] >= group.channels:
            reason = "all trunks busy"
        if reason is not None or group is None:
            self._commands.append(InboundRejected(report.trunk_group, report.ref, reason or ""))
            return []
        call = self._new_call(CallType.Inbound, report.user_data)
        call.ani, call.dnis, call.trunk_group = report.ani, report.dnis, group.name
        self._trunks_in_use[group.name] += 1
        self._commands.append(InboundAccepted(group.name, report.ref, call.conn_id))
        caller = Party(report.ani, DNRole.Origination, external=True)
        call.destination = Party(report.dnis, DNRole.Destination)
        self._add(call, caller)
        self._move(call, caller, PartyInput.Originate, other=call.destination)
        events = self._offer(call, report.dnis, now)
        if caller.state is PartyState.Busy:  # the caller hears busy: the call is over
            self._commands.append(ReleaseTrunk(group.name, call.conn_id, CallState.Busy))
            self._free_trunk(call)
            self._move(call, caller, PartyInput.Release, other=call.destination)
            self._end(call)
        return events

    # ----------------------------------------------------------------------------------------
    # UserData: every party of the call gets EventAttachedDataChanged with all of it

    def attach_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Add the pairs to the call's UserData (keys may repeat)."""
        del now
        call, _party = self._party(this_dn, conn_id)
        pairs = (call.user_data or KVList()).pairs + user_data.pairs
        return self._set_user_data(call, this_dn, pairs)

    def update_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Replace the values of keys the call has, add the others."""
        del now
        call, _party = self._party(this_dn, conn_id)
        updates = dict(user_data.pairs)
        pairs: list[tuple[str, KVValue]] = []
        seen: set[str] = set()
        for key, value in (call.user_data or KVList()).pairs:
            if key in updates:
                if key not in seen:
                    pairs.append((key, updates[key]))
            else:
                pairs.append((key, value))
            seen.add(key)
        pairs += [(k, v) for k, v in user_data.pairs if k not in seen]
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
            (p for p in call.parties if p.state is not PartyState.Released and not p.external),
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
        """Log a configured agent in on this extension (and queue): EventAgentLogin; the agent
        is NotReady."""
        del now
        self._require_extension(this_dn)
        if queue is not None and queue not in self._queues:
            raise SwitchError(
                ErrorCode.DNNotConfigured, f"queue {queue!r} is not configured", this_dn=this_dn
            )
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
        """The agent is ready: EventAgentReady; a call waiting in its queue may ring at once."""
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.Ready, work_mode, reasons)
        agent.timer = None
        return [event, *self._agent_free(this_dn, now, idle_from_now=False)]

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
        agent.timer = None
        return [event]

    def set_forward(
        self, this_dn: str, destination: str, mode: ForwardMode, *, now: float
    ) -> list[Event]:
        """CallForwardSet: calls to this DN go to `destination` always (Unconditional), when
        it is busy (OnBusy), when it rings out (OnNoAnswer: after switch.no_answer_seconds),
        or both (OnBusyAndNoAnswer): EventForwardSet."""
        del now
        self._require_extension(this_dn)
        if mode not in _FORWARD_MODES:
            raise SwitchError(
                ErrorCode.UnsupportedOperation,
                f"ForwardMode {mode.name} is not supported",
                this_dn=this_dn,
            )
        if not self.has_dn(destination) or destination == this_dn:
            raise SwitchError(
                ErrorCode.DNNotConfigured,
                f"forward destination {destination!r} is not another configured DN",
                this_dn=this_dn,
            )
        self._forwards.setdefault(this_dn, {})[mode] = destination
        return [EventForwardSet(this_dn=this_dn, other_dn=destination, forward_mode=mode)]

    def cancel_forward(self, this_dn: str, mode: ForwardMode, *, now: float) -> list[Event]:
        """CallForwardCancel: EventForwardCancel (ForwardMode NoForward cancels every mode)."""
        del now
        self._require_extension(this_dn)
        forwards = self._forwards.get(this_dn, {})
        if mode is ForwardMode.NoForward:
            forwards.clear()
        elif forwards.pop(mode, None) is None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{this_dn} has no {mode.name} forwarding to cancel",
                this_dn=this_dn,
            )
        return [EventForwardCancel(this_dn=this_dn, forward_mode=mode)]

    def forward_of(self, dn: str, *modes: ForwardMode) -> str | None:
        """Where the DN forwards calls in one of these modes, if it does."""
        forwards = self._forwards.get(dn, {})
        for mode in modes:
            if mode in forwards:
                return forwards[mode]
        return None

    def set_dnd(self, this_dn: str, on: bool, *, now: float) -> list[Event]:
        """Do-not-disturb on or off: a DN with DND on is busy to callers and gets no ACD calls."""
        self._require_extension(this_dn)
        if on:
            self._dnd.add(this_dn)
            return [EventDNDOn(this_dn=this_dn)]
        self._dnd.discard(this_dn)
        return [EventDNDOff(this_dn=this_dn), *self._agent_free(this_dn, now, idle_from_now=False)]

    def in_service(self, dn: str) -> bool:
        return dn not in self._out_of_service

    def set_in_service(self, dn: str, in_service: bool, *, now: float) -> list[Event]:
        """Take a DN out of service (the phone is unplugged, the line is down) or bring it back:
        EventDNOutOfService / EventDNBackInService at the DN. Out of service, an extension is
        busy to new calls and gets no ACD calls; calls already there go on. Saying it twice
        changes nothing and sends nothing."""
        self._require_dn(dn)
        if in_service == (dn not in self._out_of_service):
            return []
        if not in_service:
            self._out_of_service.add(dn)
            return [EventDNOutOfService(this_dn=dn, customer_id=CUSTOMER_ID)]
        self._out_of_service.discard(dn)
        events: list[Event] = [EventDNBackInService(this_dn=dn, customer_id=CUSTOMER_ID)]
        if dn in self._extensions:
            events += self._agent_free(dn, now, idle_from_now=False)
        return events

    def route_default(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """Route the call waiting on a routing point to its default destination now (the
        T-Server does this when no router is registered on the routing point)."""
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.RouteUsed)
        return self._route(call, party, self._routing_points[this_dn].default_destination, now)

    def _closed(self, dn: str) -> bool:
        """Whether the DN takes no new calls: DND on, or out of service."""
        return dn in self._dnd or dn in self._out_of_service

    def _agent(self, dn: str) -> Agent:
        self._require_extension(dn)
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
        agent.work_mode = work_mode
        return _build(
            event_class,
            this_dn=agent.dn,
            agent_id=agent.agent_id,
            this_queue=agent.queue,
            agent_work_mode=work_mode,
            reasons=reasons,
        )

    # ----------------------------------------------------------------------------------------
    # Internals

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
        if not party.external:
            self._calls_at[party.dn][call.conn_id] = call

    def _end(self, call: Call) -> None:
        """The call is over: free its trunk, telling the network if it is still there."""
        if call.trunk_group is not None:
            self._commands.append(ReleaseTrunk(call.trunk_group, call.conn_id))
            self._free_trunk(call)
        del self._calls[call.conn_id]

    def _free_trunk(self, call: Call) -> None:
        if call.trunk_group is not None:
            self._trunks_in_use[call.trunk_group] -= 1
            call.trunk_group = None

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
        return _build(
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

    #: The handler of each timer kind.
    _on_timer: ClassVar[Mapping[TimerKind, Callable[[Switch, Timer, float], list[Event]]]] = {
        TimerKind.NoAnswer: _no_answer,
        TimerKind.RingNoAnswer: _ring_no_answer,
        TimerKind.AfterCallWork: _after_call_work_over,
        TimerKind.RouteTimeout: _route_timeout,
        TimerKind.TreatmentEnd: _treatment_over,
    }


def _natural(value: object) -> TypeGuard[int]:
    """Whether a TreatmentParms value is a whole number of at least 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_dtmf(digits: str, *, empty: bool = False) -> bool:
    """Whether `digits` are DTMF keys (0-9, *, #, A-D); the empty string only when allowed."""
    return (empty or bool(digits)) and all(d in "0123456789*#ABCD" for d in digits.upper())


def _build(event_class: type[M], **attributes: Any) -> M:
    """The event, with the attributes its class carries (the unset ones left out). The values
    come from the switch's own typed state, so the catalogue's validation is not run again."""
    names = _fields(event_class)
    values = {k: v for k, v in attributes.items() if v is not None and k in names}
    return event_class.from_wire(values)  # type: ignore[return-value]
