"""The trunk driver interface: how the switch reaches the outside world, sans-IO.

The switch never talks to a network itself. It queues TrunkCommands (dial this number, answer
this inbound call, release, send digits) that the T-Server core hands to the driver of the
trunk group; drivers report back with TrunkReports (alerting, answered by a person or a machine,
busy, no answer, SIT, failure, far-end release, a new inbound call), which the core feeds to
`Switch.on_trunk_report(report, now)`. A driver is itself sans-IO: `command(cmd, now)`,
`next_deadline()`, `advance(now) -> reports`. The default driver is the simulated public network
in hw/simnet.py; serial and SIP drivers implement the same interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from protocol.enums import CallState
from protocol.values import ConnID, KVList


class AnswerKind(Enum):
    """What answered an outbound call."""

    Person = "person"  #: a live person
    AnsweringMachine = "answering machine"  #: an answering machine or voice mail
    Fax = "fax"  #: a fax machine
    Modem = "modem"  #: a data modem


class SitKind(Enum):
    """Special information tones, by the CallState they map to."""

    Vacant = "vacant"  #: vacant code
    Intercept = "operator intercept"  #: operator intercept
    NoCircuit = "no circuit"  #: no circuit
    Reorder = "reorder"  #: reorder
    InvalidNumber = "invalid number"  #: invalid number
    Unknown = "unknown"  #: a SIT of another kind

    @property
    def call_state(self) -> CallState:
        return _SIT_STATES[self]


_SIT_STATES = {
    SitKind.Vacant: CallState.SitVacant,
    SitKind.Intercept: CallState.SitOperIntercept,
    SitKind.NoCircuit: CallState.SitNoCircuit,
    SitKind.Reorder: CallState.SitReorder,
    SitKind.InvalidNumber: CallState.SitInvalidNum,
    SitKind.Unknown: CallState.SitUnknown,
}


# ------------------------------------------------------------------------------------------------
# Commands: switch -> driver


@dataclass(frozen=True, slots=True)
class Dial:
    """Place an outbound call to `number` for the call `conn_id`."""

    trunk_group: str
    conn_id: ConnID
    number: str
    ani: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerInbound:
    """Answer (connect) the inbound call `conn_id`: a DN of the switch answered it."""

    trunk_group: str
    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class ReleaseTrunk:
    """The switch side left the call `conn_id`: clear it toward the network (`cause` Busy when
    an inbound call found its DN busy)."""

    trunk_group: str
    conn_id: ConnID
    cause: CallState = CallState.Ok


@dataclass(frozen=True, slots=True)
class InboundAccepted:
    """The switch took the inbound call `ref` and named it `conn_id` (reports use the ConnID)."""

    trunk_group: str
    ref: str
    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class InboundRejected:
    """The switch refused the inbound call `ref` (unknown DNIS, no free channel)."""

    trunk_group: str
    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class SendDigits:
    """Send DTMF digits on the call `conn_id`."""

    trunk_group: str
    conn_id: ConnID
    digits: str


TrunkCommand = Dial | AnswerInbound | ReleaseTrunk | SendDigits | InboundAccepted | InboundRejected


# ------------------------------------------------------------------------------------------------
# Reports: driver -> switch


@dataclass(frozen=True, slots=True)
class Alerting:
    """The far end of an outbound call is ringing."""

    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class Answered:
    """The far end of an outbound call answered; `kind` says what answered."""

    conn_id: ConnID
    kind: AnswerKind = AnswerKind.Person


@dataclass(frozen=True, slots=True)
class Busy:
    """The far end of an outbound call is busy."""

    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """The far end of an outbound call rang out unanswered."""

    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class SitDetected:
    """The network answered an outbound call with a special information tone."""

    conn_id: ConnID
    kind: SitKind


@dataclass(frozen=True, slots=True)
class Failed:
    """The outbound call could not be placed (no circuit, a fault)."""

    conn_id: ConnID
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FarEndReleased:
    """The far end hung up (an inbound caller, or an answered outbound call)."""

    conn_id: ConnID


@dataclass(frozen=True, slots=True)
class LinkDown:
    """The driver lost its link for `trunk_group` (the network, the board, the gateway): the
    group's calls are gone and it carries none until LinkUp."""

    trunk_group: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LinkUp:
    """The driver's link for `trunk_group` is back."""

    trunk_group: str


@dataclass(frozen=True, slots=True)
class DigitsReceived:
    """The far end of a call pressed keys (DTMF heard in band or carried out of band)."""

    conn_id: ConnID
    digits: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """A new call from the network on `trunk_group` (the driver's reference is `ref`)."""

    trunk_group: str
    ref: str
    ani: str
    dnis: str
    user_data: KVList | None = None


TrunkReport = (
    Alerting
    | Answered
    | Busy
    | NoAnswer
    | SitDetected
    | Failed
    | FarEndReleased
    | DigitsReceived
    | Inbound
    | LinkDown
    | LinkUp
)


class TrunkDriver(Protocol):
    """What a trunk driver offers the T-Server core. Sans-IO: time is passed in."""

    def command(self, command: TrunkCommand, now: float) -> None:
        """Carry out a command from the switch (results come later as reports)."""

    def next_deadline(self) -> float | None:
        """When `advance` next has something to report, or None."""

    def advance(self, now: float) -> list[TrunkReport]:
        """Everything that happened up to `now`."""
