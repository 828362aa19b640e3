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
switch.agents.AGENT_TRANSITIONS (docs/state-machines.md draws both). The call models followed
(docs/call-models.md):

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

Layout
------
The Switch is a kernel with features around it. switch/kernel.py (SwitchKernel) owns the
registries, party and agent moves, event building, timers and the trunk-command outbox, and
declares the hooks features provide each other; each module of switch/features/ is one mixin
class owning one feature and its state (see switch/features/__init__.py for the list). This
module composes them into Switch and builds the one table that needs them all: which feature's
handler fires each kind of timer. Method lookups through the mixins are cached by Python like
any other, so the composition costs nothing on the hot path.
"""

from __future__ import annotations

from switch.calls import PARTY_TRANSITIONS, Call, Party, PartyInput, PartyState, SwitchError
from switch.features.acd import AcdQueues
from switch.features.agents import Agents
from switch.features.basic import BasicCall
from switch.features.consult import Consultation
from switch.features.dn import DNFeatures
from switch.features.routing import RoutingPoints
from switch.features.trunk_calls import TrunkCalls
from switch.features.user_data import UserData
from switch.timers import TimerKind

__all__ = [
    "PARTY_TRANSITIONS",
    "Call",
    "Party",
    "PartyInput",
    "PartyState",
    "Switch",
    "SwitchError",
]


class Switch(
    BasicCall,
    Consultation,
    AcdQueues,
    RoutingPoints,
    TrunkCalls,
    UserData,
    Agents,
    DNFeatures,
):
    """The PBX model. Every public operation returns the events it caused."""

    _on_timer = {
        TimerKind.NoAnswer: BasicCall._no_answer,
        TimerKind.RingNoAnswer: AcdQueues._ring_no_answer,
        TimerKind.AfterCallWork: AcdQueues._after_call_work_over,
        TimerKind.RouteTimeout: RoutingPoints._route_timeout,
        TimerKind.TreatmentEnd: RoutingPoints._treatment_over,
    }
