"""Calls, parties and the party state machine as a table.

Theory of operation
-------------------
A Call has a ConnID, a CallID, a CallUUID, a CallType and Parties. Each Party is one DN's leg of
the call (an extension, an ACD queue holding it, a routing point waiting for a route) and moves
through PartyState by PartyInput. The legal moves are data, in PARTY_TRANSITIONS:
(state, input) -> (new state, event class reported at the party's DN). Anything not in the
table is a SwitchError naming the state and the input, raised before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from protocol.enums import CallType, DNRole, TreatmentType
from protocol.errors import Refusal
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
from protocol.values import ConnID, KVList
from switch.timers import TimerKind

#: An operation the switch refuses, with the EventError contents for the requester: the
#: house's one refusal type (protocol.errors.Refusal), under the name the switch has always used.
SwitchError = Refusal


class PartyState(Enum):
    """One DN's leg of a call."""

    Null = "null"  #: not yet in the call
    Dialing = "dialing"  #: originated the call; the far end is not connected yet
    Ringing = "ringing"  #: the call is alerting here
    Busy = "busy"  #: originated the call and found the destination busy
    Queued = "queued"  #: an ACD queue holds the call, waiting for an agent
    Routing = "routing"  #: a routing point holds the call, waiting for a route
    Established = "established"  #: connected
    Held = "held"  #: put the call on hold
    Released = "released"  #: gone from the call


class PartyInput(Enum):
    """What can happen to a party."""

    Originate = "originate"  #: this DN places the call
    Alert = "alert"  #: the call is offered to this DN
    Enqueue = "enqueue"  #: the call enters this ACD queue
    RouteRequest = "request a route"  #: the call reaches this routing point
    Divert = "divert"  #: the queue hands the call to an agent
    RouteUsed = "route"  #: the routing point sends the call on
    Answer = "answer"  #: this DN answers
    OtherAnswered = "other-answered"  #: the called party answered
    DestinationBusy = "destination-busy"  #: the called party is busy
    Hold = "hold"  #: this DN puts the call on hold
    Retrieve = "retrieve"  #: this DN takes the call off hold
    Release = "release"  #: this DN releases
    OtherReleased = "other-released"  #: the last other party left the call
    Abandon = "abandon"  #: the caller hung up while this queue, routing point or agent had it
    RingNoAnswer = "ring-no-answer"  #: this agent let an ACD call ring out


#: The party state machine: (state, input) -> (new state, event reported at the party's DN).
PARTY_TRANSITIONS: dict[tuple[PartyState, PartyInput], tuple[PartyState, type[CallEvent]]] = {
    (PartyState.Null, PartyInput.Originate): (PartyState.Dialing, EventDialing),
    (PartyState.Null, PartyInput.Alert): (PartyState.Ringing, EventRinging),
    (PartyState.Null, PartyInput.Enqueue): (PartyState.Queued, EventQueued),
    (PartyState.Null, PartyInput.RouteRequest): (PartyState.Routing, EventRouteRequest),
    (PartyState.Queued, PartyInput.Divert): (PartyState.Released, EventDiverted),
    (PartyState.Queued, PartyInput.Abandon): (PartyState.Released, EventAbandoned),
    (PartyState.Routing, PartyInput.RouteUsed): (PartyState.Released, EventRouteUsed),
    (PartyState.Routing, PartyInput.Abandon): (PartyState.Released, EventAbandoned),
    (PartyState.Dialing, PartyInput.OtherAnswered): (PartyState.Established, EventEstablished),
    (PartyState.Dialing, PartyInput.DestinationBusy): (PartyState.Busy, EventDestinationBusy),
    (PartyState.Dialing, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Dialing, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Ringing, PartyInput.Answer): (PartyState.Established, EventEstablished),
    (PartyState.Ringing, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Ringing, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Ringing, PartyInput.Abandon): (PartyState.Released, EventAbandoned),
    (PartyState.Ringing, PartyInput.RingNoAnswer): (PartyState.Released, EventReleased),
    (PartyState.Busy, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
    (PartyState.Established, PartyInput.Hold): (PartyState.Held, EventHeld),
    (PartyState.Held, PartyInput.Retrieve): (PartyState.Established, EventRetrieved),
    (PartyState.Held, PartyInput.Release): (PartyState.Released, EventReleased),
    (PartyState.Held, PartyInput.OtherReleased): (PartyState.Released, EventReleased),
}

#: States in which a party occupies its DN (a held call leaves the DN free for another).
ACTIVE_STATES = frozenset(
    {
        PartyState.Dialing,
        PartyState.Ringing,
        PartyState.Busy,
        PartyState.Queued,
        PartyState.Routing,
        PartyState.Established,
    }
)


@dataclass(slots=True, eq=False)
class Party:
    """One DN's leg of a call."""

    dn: str
    role: DNRole
    state: PartyState = PartyState.Null
    #: The ACD queue or routing point the call came through to this party (ThisQueue).
    queue: str | None = None
    #: The timer that currently watches this party (ring-no-answer, routing timeout), if any.
    timer: int | None = None
    #: A party in the outside world, reached through a trunk: it gets no events, has no DN of
    #: this switch (`dn` holds its number) and is not in the DN index.
    external: bool = False
    #: When `timer` falls due, and its kind (kept so it can follow the party into another call).
    timer_due: float = 0.0
    timer_kind: TimerKind | None = None
    #: The treatment a routing point or queue is giving the call, and its end timer.
    treatment: tuple[TreatmentType, KVList | None] | None = None
    treatment_timer: int | None = None
    #: The digits a collect-digits treatment has gathered so far (None: not collecting).
    collected: str | None = None
    #: What ends the collection early: this many digits, or one of these (terminating) keys.
    collect_max: int = 1
    collect_term: str = ""
    #: For a party being added to a conference in one step: the DN that adds it.
    added_by: str | None = None


@dataclass(slots=True, eq=False)
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
    #: The calling and the dialed number, when known (calls through trunks).
    ani: str | None = None
    dnis: str | None = None
    #: The trunk group carrying the call's external party, if any.
    trunk_group: str | None = None
    #: For a consultation call (CallType Consult): the call it consults from.
    consult_of: ConnID | None = None
    #: Whether the caller of an outbound call was told the call reached the network
    #: (EventNetworkReached, at most once a call).
    network_reached: bool = False

    @property
    def origin(self) -> Party:
        return self.parties[0]

    def party_at(self, dn: str) -> Party | None:
        for party in self.parties:
            if party.dn == dn and party.state is not PartyState.Released:
                return party
        return None

    def others(self, party: Party) -> list[Party]:
        return [p for p in self.parties if p is not party and p.state is not PartyState.Released]
