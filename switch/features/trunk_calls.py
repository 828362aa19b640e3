"""Calls through trunks: outbound calls to numbers, inbound calls from the network, and what
the trunk drivers report about them.

Owns: the trunk groups, how many trunks of each are in use and which groups' links are down;
choosing a group for a number (`_trunk_group_for`, longest prefix), placing an outbound call
(`_outbound`, or AllTrunksBusy), accepting or rejecting an inbound call (`_inbound`);
`on_trunk_report`, which hands each report to its handler through the table `_ON_REPORT`
(report type -> handler); freeing a call's trunk (`_free_trunk`); the queries
`trunks_in_use()` and `link_up()`. Trunk commands go out through the kernel's outbox.

EventNetworkReached tells the caller of an outbound call that the call reached the network:
it comes once a call (`_reached`), with the first report that shows the network has the call,
whatever the outcome: alerting, an answer, busy, a SIT, no answer, the far end hanging up. A
failure (the driver could not place the call) and all trunks busy (no trunk was seized) are
the only outcomes without it.

The driver interface itself (TrunkCommands, TrunkReports) is switch/trunks.py. Must not know
how an inbound call is offered to its DN or how a call settles when the far end leaves (the
basic call's `_offer` and `_settle`), nor how digits are collected (`_digits`), nor any driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from protocol.enums import CallState, CallType, DNRole
from protocol.messages import Event, EventNetworkReached
from protocol.values import ConnID, KVList
from switch.calls import Call, Party, PartyInput, PartyState
from switch.config import SwitchConfig, TrunkGroupConfig
from switch.kernel import SwitchKernel, is_dtmf
from switch.trunks import (
    Alerting,
    Answered,
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
    SitDetected,
    TrunkReport,
)

#: The CallState of EventEstablished by what answered an outbound call.
_ANSWER_STATES = {
    AnswerKind.Person: CallState.Ok,
    AnswerKind.AnsweringMachine: CallState.AnsweringMachineDetected,
    AnswerKind.Fax: CallState.FaxDetected,
    AnswerKind.Modem: CallState.Ok,
}

#: The CallState a call is left with when the far end goes away, by what the driver saw
#: (SitDetected: the kind of SIT says).
_GONE_STATES = {
    NoAnswer: CallState.NoAnswer,
    Failed: CallState.GeneralError,
    FarEndReleased: CallState.Ok,
    Busy: CallState.Busy,
}


class TrunkCalls(SwitchKernel):
    """Outbound and inbound calls through trunk groups, and the drivers' reports."""

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        super().__init__(config, id_seed=id_seed)
        self._trunk_groups: dict[str, TrunkGroupConfig] = {t.name: t for t in config.trunk_groups}
        self._trunks_in_use: dict[str, int] = dict.fromkeys(self._trunk_groups, 0)
        #: Trunk groups whose driver reported its link down.
        self._links_down: set[str] = set()

    def trunks_in_use(self, group: str) -> int:
        return self._trunks_in_use.get(group, 0)

    def link_up(self, trunk_group: str) -> bool:
        """Whether the trunk group's driver has its link (unknown groups: False)."""
        return trunk_group in self._trunk_groups and trunk_group not in self._links_down

    def _trunk_group_for(self, number: str) -> TrunkGroupConfig | None:
        """The trunk group whose longest prefix starts the number."""
        best: TrunkGroupConfig | None = None
        best_len = 0
        for group in self._trunk_groups.values():
            for prefix in group.prefixes:
                if number.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = group, len(prefix)
        return best

    def _free_trunk(self, call: Call) -> None:
        if call.trunk_group is not None:
            self._trunks_in_use[call.trunk_group] -= 1
            call.trunk_group = None

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

    # ----------------------------------------------------------------------------------------
    # Reports from the drivers

    def on_trunk_report(self, report: TrunkReport, now: float) -> list[Event]:
        """What a trunk driver saw happen; returns the events it causes. Reports about calls
        that have ended since are ignored."""
        return _ON_REPORT[type(report)](self, report, now)

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

    def _link_down(self, report: LinkDown, now: float) -> list[Event]:
        """A driver's link went down: every call on the group ends (its far end is gone,
        CallState GeneralError). The T-Server core tells the clients (EventLinkDisconnected);
        the switch's events are the calls'."""
        name = report.trunk_group
        if name not in self._trunk_groups or name in self._links_down:
            return []
        self._links_down.add(name)
        events: list[Event] = []
        for call in [c for c in self._calls.values() if c.trunk_group == name]:
            ends = self._network_ends(call)
            if ends is None:
                continue
            far, near = ends
            self._free_trunk(call)
            self._move(call, far, PartyInput.Release, other=near)
            events += self._settle(call, far, now, CallState.GeneralError)
        return events

    def _link_up(self, report: LinkUp, now: float) -> list[Event]:
        """A driver's link came back (the core sends EventLinkConnected)."""
        del now
        self._links_down.discard(report.trunk_group)
        return []

    def _digits_received(self, report: DigitsReceived, now: float) -> list[Event]:
        """Keys pressed by the far end reach a collect-digits treatment; otherwise nobody is
        listening for them (in-band DTMF between people raises no event)."""
        del now
        call = self._calls.get(report.conn_id)
        if call is None or call.trunk_group is None or not is_dtmf(report.digits):
            return []
        return self._digits(call, report.digits.upper())

    def _reached(self, call: Call, far: Party, near: Party | None) -> list[Event]:
        """EventNetworkReached to the caller still dialing, the first time a report shows the
        network has the call; nothing after that."""
        if call.network_reached or near is None or near.state is not PartyState.Dialing:
            return []
        call.network_reached = True
        if near.external:
            return []
        return [self._event(EventNetworkReached, call, near, other=far)]

    def _alerting(self, report: Alerting, now: float) -> list[Event]:
        del now
        found = self._trunk_call(report.conn_id)
        if found is None:
            return []
        call, far, near = found
        if far.state is not PartyState.Ringing:
            return []
        return self._reached(call, far, near)

    def _answered(self, report: Answered, now: float) -> list[Event]:
        del now
        found = self._trunk_call(report.conn_id)
        if found is None:
            return []
        call, far, near = found
        if far.state is not PartyState.Ringing or near is None:
            return []
        events = self._reached(call, far, near)
        self._move(call, far, PartyInput.Answer, other=near)
        return events + self._move(
            call,
            near,
            PartyInput.OtherAnswered,
            other=far,
            call_state=_ANSWER_STATES[report.kind],
        )

    def _busy(self, report: Busy, now: float) -> list[Event]:
        """The far end is busy: the caller still dialing gets EventDestinationBusy; a call
        past dialing ends as any other whose far end went away."""
        found = self._trunk_call(report.conn_id)
        if found is None:
            return []
        call, far, near = found
        if near is None or near.state is not PartyState.Dialing:
            return self._far_end_gone(call, far, near, _GONE_STATES[Busy], now)
        events = self._reached(call, far, near)
        self._free_trunk(call)
        self._move(call, far, PartyInput.Release, other=near)
        return events + self._move(
            call, near, PartyInput.DestinationBusy, other=far, call_state=CallState.Busy
        )

    def _sit_detected(self, report: SitDetected, now: float) -> list[Event]:
        found = self._trunk_call(report.conn_id)
        if found is None:
            return []
        call, far, near = found
        events = self._reached(call, far, near)
        return events + self._far_end_gone(call, far, near, report.kind.call_state, now)

    def _network_released(
        self, report: NoAnswer | Failed | FarEndReleased, now: float
    ) -> list[Event]:
        """No answer, a failure, or the far end hung up: the call is over on the network side.
        Only a failure may mean the call never reached the network."""
        found = self._trunk_call(report.conn_id)
        if found is None:
            return []
        call, far, near = found
        events = [] if isinstance(report, Failed) else self._reached(call, far, near)
        return events + self._far_end_gone(call, far, near, _GONE_STATES[type(report)], now)

    def _far_end_gone(
        self, call: Call, far: Party, near: Party | None, call_state: CallState, now: float
    ) -> list[Event]:
        """The network side is gone (no answer, SIT, failure, far end hung up, busy after
        answer): the trunk is free, the far party leaves and the call settles."""
        self._free_trunk(call)
        self._check(far, PartyInput.Release)
        self._move(call, far, PartyInput.Release, other=near)
        return self._settle(call, far, now, call_state)

    def _trunk_call(self, conn_id: ConnID) -> tuple[Call, Party, Party | None] | None:
        """A report's call, if it still lives on a trunk: the call, its far (external) party
        and the near party facing it."""
        call = self._calls.get(conn_id)
        if call is None or call.trunk_group is None:
            return None
        ends = self._network_ends(call)
        return None if ends is None else (call, *ends)

    def _network_ends(self, call: Call) -> tuple[Party, Party | None] | None:
        """The call's far (external) party still in it, and the near party facing it."""
        far = next(
            (p for p in call.parties if p.external and p.state is not PartyState.Released), None
        )
        if far is None:
            return None
        near = call.origin if not call.origin.external else self._peer(call, far)
        return far, near


#: A report's handler: (the switch, the report, now) -> the events it caused.
ReportHandler = Callable[[TrunkCalls, Any, float], list[Event]]

#: Each trunk report type and its handler.
_ON_REPORT: dict[type[TrunkReport], ReportHandler] = {
    Inbound: TrunkCalls._inbound,
    LinkDown: TrunkCalls._link_down,
    LinkUp: TrunkCalls._link_up,
    DigitsReceived: TrunkCalls._digits_received,
    Alerting: TrunkCalls._alerting,
    Answered: TrunkCalls._answered,
    Busy: TrunkCalls._busy,
    SitDetected: TrunkCalls._sit_detected,
    NoAnswer: TrunkCalls._network_released,
    Failed: TrunkCalls._network_released,
    FarEndReleased: TrunkCalls._network_released,
}
