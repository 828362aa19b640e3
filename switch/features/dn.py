"""DN features: do-not-disturb, call forwarding and service state, and the DN's status.

Owns: which DNs have DND on, which are out of service, and each DN's forwarding (mode ->
destination); SetDNDOn/Off (`set_dnd`), CallForwardSet/Cancel (`set_forward`, `cancel_forward`),
taking a DN out of service and back (`set_in_service`); the hooks `_closed` (DND on or out of
service: busy to callers, no ACD calls) and `forward_of`; the queries `dnd()`, `in_service()`
and `dn_status()`.

Must not know how calls are offered (the basic call asks `forward_of` and `_closed`) nor how
queues serve agents: a DN that opens again is handed to its agent's queue through the
`_agent_free` hook (ACD queues).
"""

from __future__ import annotations

from protocol.enums import AddressStatus, ForwardMode
from protocol.errors import ErrorCode
from protocol.messages import (
    Event,
    EventDNBackInService,
    EventDNDOff,
    EventDNDOn,
    EventDNOutOfService,
    EventForwardCancel,
    EventForwardSet,
)
from switch.calls import PartyState, SwitchError
from switch.config import SwitchConfig
from switch.kernel import CUSTOMER_ID, SwitchKernel

#: A DN's AddressStatus from its parties' states, the first match winning.
_STATUS_BY_PRIORITY = (
    (PartyState.Established, AddressStatus.Talking),
    (PartyState.Ringing, AddressStatus.Ringing),
    (PartyState.Dialing, AddressStatus.Dialing),
    (PartyState.Busy, AddressStatus.Dialing),
    (PartyState.Held, AddressStatus.Held),
)

#: Forwarding modes the switch carries out.
_FORWARD_MODES = frozenset(
    {
        ForwardMode.Unconditional,
        ForwardMode.OnBusy,
        ForwardMode.OnNoAnswer,
        ForwardMode.OnBusyAndNoAnswer,
    }
)


class DNFeatures(SwitchKernel):
    """DND, forwarding, service state and the DN's status."""

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        super().__init__(config, id_seed=id_seed)
        self._dnd: set[str] = set()
        #: DNs out of service: busy to callers, no ACD calls (see set_in_service).
        self._out_of_service: set[str] = set()
        #: Call forwarding by DN: mode -> destination.
        self._forwards: dict[str, dict[ForwardMode, str]] = {}

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

    def _closed(self, dn: str) -> bool:
        """Whether the DN takes no new calls: DND on, or out of service."""
        return dn in self._dnd or dn in self._out_of_service

    # ----------------------------------------------------------------------------------------
    # Forwarding

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

    # ----------------------------------------------------------------------------------------
    # DND and service state

    def dnd(self, dn: str) -> bool:
        return dn in self._dnd

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
