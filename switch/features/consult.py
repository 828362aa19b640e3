"""Consultation, transfer and conference: the operations that involve two calls of one DN or a
third party joining or leaving a call.

Owns: InitiateTransfer / InitiateConference (`initiate_consultation`), CompleteTransfer,
CompleteConference, MergeCalls, MuteTransfer, SingleStepTransfer, SingleStepConference (and the
added party's answer, `_join_conference`), DeleteFromConference and a member leaving a
conference (`_leave_conference`), AlternateCall and ReconnectCall; moving the consulted parties
from the consultation call into the held call (`_merge`).

Keeps no state of its own. Must not know how calls are offered or settled (the basic call),
how a queue keeps its line (ACD queues: `_keep_place`), how trunks are counted (`_free_trunk`)
or how agents move on after a call (`_after_release`): it reaches each through the kernel's
hooks.
"""

from __future__ import annotations

from protocol.enums import CallState, DNRole, MergeType
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventPartyAdded,
    EventPartyChanged,
    EventPartyDeleted,
)
from protocol.values import ConnID, KVList
from switch.calls import Call, Party, PartyInput, PartyState, SwitchError
from switch.kernel import SwitchKernel
from switch.timers import TimerKind
from switch.trunks import ReleaseTrunk


class Consultation(SwitchKernel):
    """Consultation calls, transfers and conferences."""

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
        twice = _already_in(call, moving)
        if twice is not None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{twice} is already in the call {conn_id}: it cannot join it a second time",
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
                self._keep_place(party.dn, consult.conn_id, call)
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
        for party in [*moving, *stayers]:
            if party.external:
                continue
            # OtherDN names the other side when it is one party; a complex party (several
            # parties on that side) is named by none (GenEM, Call Models and Flows: "complex
            # party"): the parties that stay see the newcomer, who sees a complex party when
            # two or more stay
            other_side = stayers if party in moving else moving
            other = other_side[0] if other_side else None
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
                    other_present=len(other_side) == 1,
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
        if call.party_at(other_dn) is not None:
            raise SwitchError(
                ErrorCode.InvalidState,
                f"{other_dn} is already in the call",
                this_dn=this_dn,
                conn_id=conn_id,
            )
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
        if _already_in(call, consult.others(mine)) is not None:
            return events  # forwarded to a DN in the call: the DN completes or clears it
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

    def _two_calls(self, this_dn: str, conn_id: ConnID, held_id: ConnID) -> None:
        if conn_id == held_id:
            raise SwitchError(
                ErrorCode.InvalidState,
                "the active and the held call must be two different calls",
                this_dn=this_dn,
                conn_id=conn_id,
            )


def _already_in(call: Call, joining: list[Party]) -> str | None:
    """A DN of ours among `joining` that already has a party in `call`, if any: it cannot
    join the call a second time."""
    for party in joining:
        if not party.external and call.party_at(party.dn) is not None:
            return party.dn
    return None
