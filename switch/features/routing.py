"""Routing points and treatments: a call waiting for a route, and what the caller hears (or
keys in) meanwhile.

Owns: a call reaching a routing point (`_request_route`, EventRouteRequest, with its timeout,
TimerKind.RouteTimeout, that sends it to the default destination); RouteCall (`route_call`) and
the T-Server's default routing (`route_default`); ApplyTreatment on a call held by a routing
point or queue, its end (TimerKind.TreatmentEnd), and collecting the caller's digits
(`_collecting`, `_digits`: from SendDTMF or a trunk's DigitsReceived). The treatment in
progress lives on the party (Party.treatment, treatment_timer, collected).

Must not know how the routed call is then offered (the basic call's `_offer`), nor where the
digits come from (the basic call's SendDTMF, a trunk's report).
"""

from __future__ import annotations

from typing import TypeGuard

from protocol.enums import DNRole, RouteType, TreatmentType
from protocol.errors import ErrorCode
from protocol.messages import CallEvent, Event, EventTreatmentApplied, EventTreatmentEnd
from protocol.values import ConnID, KVList
from switch.calls import Call, Party, PartyInput, PartyState, SwitchError
from switch.kernel import CUSTOMER_ID, SwitchKernel, build_event, is_dtmf
from switch.timers import Timer, TimerKind

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


#: Route types by which the router ends the call instead of routing it: RouteTypeCallDisconnect
#: (GenEM Special Cases, "Rejected Call", which calls RouteTypeReject deprecated because what it
#: does is switch-specific; here both do the same).
_DISCONNECT_TYPES = frozenset({RouteType.CallDisconnect, RouteType.Reject})


def _natural(value: object) -> TypeGuard[int]:
    """Whether a TreatmentParms value is a whole number of at least 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class RoutingPoints(SwitchKernel):
    """Routing points, treatments and digit collection."""

    # ----------------------------------------------------------------------------------------
    # Routing points

    def _request_route(self, call: Call, routing_point: str, now: float) -> list[Event]:
        party = Party(routing_point, DNRole.Destination, queue=routing_point)
        self._add(call, party)
        self._watch(
            party,
            call,
            now + self._routing_points[routing_point].timeout_seconds,
            TimerKind.RouteTimeout,
        )
        return self._move(call, party, PartyInput.RouteRequest, other=call.origin)

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
        if route_type in _DISCONNECT_TYPES:
            return self._disconnect(call, party, now)
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
        if call.party_at(target) is not None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"route destination {target} is already in the call",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        if (
            call.origin.state is not PartyState.Dialing
            and target in self._extensions
            and (self._active(target) or self._closed(target))
        ):
            # a caller still dialing hears busy (EventDestinationBusy); a call already
            # connected elsewhere (a conference, a transfer) cannot be: the route is refused
            raise SwitchError(
                ErrorCode.InvalidState,
                f"route destination {target} is busy",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        return self._route(call, party, target, now)

    def _disconnect(self, call: Call, party: Party, now: float) -> list[Event]:
        """The router rejects the call (RouteType CallDisconnect or Reject): the routing point
        reports EventRouteUsed with no destination (the only events GenEM's "Rejected Call"
        model shows, at the route point), and the call ends: every other party of ours gets
        EventReleased (CallState Ok, as in the release phase: the reference names no other),
        and an external caller's trunk is released (the network clears the caller)."""
        events = self._move(call, party, PartyInput.RouteUsed, other=call.origin)
        remaining = call.others(party)
        for member in remaining:
            if member.state in (PartyState.Queued, PartyState.Routing):
                if member.state is PartyState.Queued:
                    self._leave_queue(call, member)
                events += self._move(call, member, PartyInput.Abandon, other=call.origin)
            else:
                events += self._move(
                    call, member, PartyInput.Release, other=self._peer(call, member)
                )
        self._end(call)
        for member in remaining:
            events += self._after_release(member, call, now)
        return events

    def route_default(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """Route the call waiting on a routing point to its default destination now (the
        T-Server does this when no router is registered on the routing point)."""
        call, party = self._party(this_dn, conn_id)
        self._check(party, PartyInput.RouteUsed)
        return self._route(call, party, self._routing_points[this_dn].default_destination, now)

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
            if not isinstance(term, str) or not is_dtmf(term, empty=True):
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
        return build_event(
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
