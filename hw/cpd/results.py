"""What the detector reports, and how each result maps onto T-Library CallState values, OCS call
results (GSW_CALL_RESULT) and the switch's trunk reports (switch.trunks), so the trunk drivers
that carry audio (SIP, serial CPD boards) can report them through the switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

from protocol.enums import CallState
from protocol.values import ConnID
from switch.trunks import (
    Alerting,
    Answered,
    AnswerKind,
    Busy,
    Failed,
    NoAnswer,
    SitDetected,
    SitKind,
    TrunkReport,
)


class CpdKind(Enum):
    """A result of call progress detection."""

    DIAL_TONE = "dial tone"  #: 350+440 Hz (informational)
    RINGBACK = "ringback"  #: 440+480 Hz, 2 s on / 4 s off (informational)
    BUSY = "busy"  #: 480+620 Hz, 0.5 s on / 0.5 s off
    REORDER = "reorder"  #: 480+620 Hz, 0.25 s on / 0.25 s off (fast busy)
    SIT = "sit"  #: special information tone; detail = SitKind value
    FAX_CNG = "fax cng"  #: 1100 Hz, 0.5 s on / 3 s off (calling fax)
    FAX_CED = "fax ced"  #: plain 2100 Hz (called fax)
    MODEM = "modem"  #: 2100 Hz with phase reversals (ANS/) or 15 Hz AM (ANSam)
    NO_ANSWER = "no answer"  #: not answered in time
    SILENCE = "silence"  #: answered, nothing said
    HUMAN = "human"  #: answered by a live person
    MACHINE = "machine"  #: answered by an answering machine / voice mail / announcement
    NOTSURE = "notsure"  #: answered, undecided within the analysis time
    BEEP = "beep"  #: the end-of-greeting beep (informational, after MACHINE)

    @property
    def final(self) -> bool:
        """Whether this result ends the detection (BEEP may still follow MACHINE)."""
        return self not in (CpdKind.DIAL_TONE, CpdKind.RINGBACK, CpdKind.BEEP)


@dataclass(frozen=True, slots=True)
class CpdResult:
    """One result, at the time (seconds, the stream's clock) it was decided."""

    kind: CpdKind
    time: float
    detail: str = ""  #: SIT kind ("vacant", ...), modem kind ("ANS/", "ANSam"), AMD reason

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind.name, "time": round(self.time, 3), "detail": self.detail}


class OcsCallResult(IntEnum):
    """OCS call results (GSW_CALL_RESULT). Codes 0-31, 49, 50 are the CallState values."""

    Ok = 0
    Busy = 6
    NoAnswer = 7
    SitDetected = 8
    AnsweringMachineDetected = 9
    AllTrunksBusy = 10
    SitInvalidNum = 11
    SitVacant = 12
    SitOperIntercept = 13
    SitUnknown = 14
    SitNoCircuit = 15
    SitReorder = 16
    FaxDetected = 17
    Abandoned = 21
    Dropped = 26
    Silence = 32
    Answer = 33
    NuTone = 34
    NoDialTone = 35
    NoProgress = 36
    NoRingBack = 37
    NoEstablishedDetected = 38
    Pager = 39
    WrongParty = 40
    DialError = 41
    CallDropError = 42
    SwitchError = 43
    NoPortAvailable = 44
    TransferError = 45
    Stale = 46
    AgentCallBackError = 47
    GroupCallBackError = 48
    DoNotCall = 51
    CancelRecord = 52
    WrongNumber = 53


def sit_kind(result: CpdResult) -> SitKind:
    """The switch's SitKind for a SIT result's detail."""
    for kind in SitKind:
        if kind.value == result.detail:
            return kind
    return SitKind.Unknown


_CALL_STATES = {
    CpdKind.BUSY: CallState.Busy,
    # reorder (fast busy) says the network found no path: the T-Library value for that
    CpdKind.REORDER: CallState.AllTrunksBusy,
    CpdKind.FAX_CNG: CallState.FaxDetected,
    CpdKind.FAX_CED: CallState.FaxDetected,
    # T-Library has no modem value; a data tone is treated like a fax (never an agent)
    CpdKind.MODEM: CallState.FaxDetected,
    CpdKind.NO_ANSWER: CallState.NoAnswer,
    CpdKind.SILENCE: CallState.NoAnswer,
    CpdKind.HUMAN: CallState.Ok,
    CpdKind.MACHINE: CallState.AnsweringMachineDetected,
    CpdKind.NOTSURE: CallState.Ok,
}

_OCS = {
    CpdKind.BUSY: OcsCallResult.Busy,
    CpdKind.REORDER: OcsCallResult.AllTrunksBusy,
    CpdKind.FAX_CNG: OcsCallResult.FaxDetected,
    CpdKind.FAX_CED: OcsCallResult.FaxDetected,
    CpdKind.MODEM: OcsCallResult.FaxDetected,
    CpdKind.NO_ANSWER: OcsCallResult.NoAnswer,
    CpdKind.SILENCE: OcsCallResult.Silence,
    CpdKind.HUMAN: OcsCallResult.Answer,
    CpdKind.MACHINE: OcsCallResult.AnsweringMachineDetected,
    CpdKind.NOTSURE: OcsCallResult.Answer,
}


def call_state(result: CpdResult) -> CallState | None:
    """The T-Library CallState a final result gives the call; None for informational results
    (dial tone, ringback, beep)."""
    if result.kind is CpdKind.SIT:
        return sit_kind(result).call_state
    return _CALL_STATES.get(result.kind)


def ocs_call_result(result: CpdResult) -> OcsCallResult | None:
    """The OCS call result of a final result; None for informational results."""
    if result.kind is CpdKind.SIT:
        return OcsCallResult(sit_kind(result).call_state.value)
    return _OCS.get(result.kind)


def trunk_report(result: CpdResult, conn_id: ConnID) -> TrunkReport | None:
    """The switch trunk report a driver sends for this result on call `conn_id`; None when
    the result changes nothing for the switch (dial tone, beep)."""
    match result.kind:
        case CpdKind.RINGBACK:
            return Alerting(conn_id)
        case CpdKind.BUSY:
            return Busy(conn_id)
        case CpdKind.REORDER:
            return Failed(conn_id, reason="reorder")
        case CpdKind.SIT:
            return SitDetected(conn_id, sit_kind(result))
        case CpdKind.FAX_CNG | CpdKind.FAX_CED:
            return Answered(conn_id, AnswerKind.Fax)
        case CpdKind.MODEM:
            return Answered(conn_id, AnswerKind.Modem)
        case CpdKind.NO_ANSWER | CpdKind.SILENCE:
            return NoAnswer(conn_id)
        case CpdKind.HUMAN | CpdKind.NOTSURE:
            return Answered(conn_id, AnswerKind.Person)
        case CpdKind.MACHINE:
            return Answered(conn_id, AnswerKind.AnsweringMachine)
    return None
