"""The basic call: placing, offering, answering, holding, retrieving, releasing, clearing and
redirecting a call, and DTMF on it.

Owns: MakeCall (and its DirectAgent and Priority types), AnswerCall, ReleaseCall, HoldCall,
RetrieveCall, ClearCall, RedirectCall and SendDTMF; offering a call to a DN (`_offer`: ringing
an extension, with forwarding on busy and the busy outcome, or handing the call to a queue or
routing point); what happens when a two-party call loses a party (`_settle`); an extension's
no-answer timer (TimerKind.NoAnswer), with forwarding on no answer.

Keeps no state of its own: calls and parties are the kernel's. Must not know how a queue
serves its calls, how a routing point routes, how trunks carry calls, how conferences are
joined or left, how agents move on after a call, nor where DND, service state and forwarding
are kept: it reaches each through the kernel's hooks.
"""

from __future__ import annotations

from protocol.enums import CallState, CallType, DNRole, ForwardMode, MakeCallType
from protocol.errors import ErrorCode
from protocol.messages import Event, EventDTMFSent
from protocol.values import ConnID, KVList
from switch.calls import PARTY_TRANSITIONS, Call, Party, PartyInput, PartyState, SwitchError
from switch.kernel import SwitchKernel, build_event, is_dtmf
from switch.timers import Timer, TimerKind
from switch.trunks import AnswerInbound, SendDigits

#: How many forwards a call may follow.
_MAX_FORWARDS = 5


class BasicCall(SwitchKernel):
    """Basic call, hold and retrieve, clear, redirect and DTMF."""

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
            self._leave_queue(call, last)
        events = self._move(call, last, PartyInput.Abandon, other=call.origin)
        if last.state is PartyState.Released and last.dn in self._agents_by_dn:
            events += self._agent_free(last.dn, now, idle_from_now=True)
        return events

    # ----------------------------------------------------------------------------------------
    # Offering a call to a DN

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
        """Offer the call to a DN: ring an extension, queue at a queue, ask a routing point.
        A DN the call is already at (a conference that includes it, routed there by default)
        is not offered it again: nothing happens; but a caller calling itself finds itself busy."""
        present = call.party_at(dn)
        if present is not None and not (
            present is call.origin and present.state is PartyState.Dialing
        ):
            return []
        if dn in self._queues:
            return self._enqueue(call, dn, now, priority=priority)
        if dn in self._routing_points:
            return self._request_route(call, dn, now)
        caller = call.origin
        forward = self.forward_of(dn, ForwardMode.Unconditional)
        calls_itself = dn == caller.dn and caller.state is not PartyState.Released
        busy_now = calls_itself or self._active(dn) or self._closed(dn)
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

    # ----------------------------------------------------------------------------------------
    # Hold and retrieve

    def hold_call(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """This DN puts the call on hold: EventHeld to it alone. A ready agent on the DN is
        free for its queue's next call meanwhile."""
        call, party = self._party(this_dn, conn_id)
        events = self._move(call, party, PartyInput.Hold, other=self._peer(call, party))
        return events + self._agent_free(this_dn, now, idle_from_now=False)

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
                    self._leave_queue(call, member)
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
        if not is_dtmf(digits):
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
        return build_event(
            EventDTMFSent,
            this_dn=this_dn,
            conn_id=call.conn_id,
            call_id=call.call_id,
            ani=call.ani,
            dnis=call.dnis,
            user_data=call.user_data,
        )
