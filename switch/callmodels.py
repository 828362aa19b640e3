"""The call models the switch follows, as runnable scenarios, and docs/call-models.md made from
running them: `python -m switch.callmodels docs/call-models.md` rewrites the generated part, and
a test fails when the file is stale, so the tables always show what the switch really does.

Each model names the Genesys Events and Models Reference page it follows (the tests under
tests/switch assert the same sequences independently).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from protocol.docs import replace_section, rewrite
from protocol.enums import ForwardMode, RouteType, TreatmentType
from protocol.messages import Event
from protocol.values import ConnID, KVList
from switch.config import (
    AgentConfig,
    QueueConfig,
    RoutingPointConfig,
    SwitchConfig,
    TrunkGroupConfig,
)
from switch.pbx import Switch
from switch.trunks import (
    Alerting,
    Answered,
    Busy,
    DigitsReceived,
    Failed,
    FarEndReleased,
    Inbound,
    NoAnswer,
    SitDetected,
    SitKind,
    TrunkReport,
)

BEGIN = "<!-- BEGIN GENERATED (python -m switch.callmodels docs/call-models.md) -->"
END = "<!-- END GENERATED -->"

GENEM = "https://docs.genesys.com/Documentation/System/latest/GenEM/"
VM = "https://all.docs.genesys.com/VM/Current/VMEventsandModels/"

#: The DNs every model uses: A, B, C extensions; Q an ACD queue; R a routing point.
A, B, C, Q, R = "1001", "1002", "1003", "7001", "5001"
CONFIG = SwitchConfig(
    extensions=(A, B, C),
    agents=(AgentConfig("agent1"),),
    queues=(QueueConfig(Q, ring_no_answer_seconds=15, after_call_work_seconds=10),),
    routing_points=(RoutingPointConfig(R, default_destination=Q, timeout_seconds=10),),
    trunk_groups=(TrunkGroupConfig("pstn", ("9", "+")),),
)
#: An outside number, and an outside caller.
NUMBER, CALLER = "95550100", "+15550199"

Step = tuple[str, Callable[[Switch, dict[str, Any]], list[Event]]]

#: What every outbound model shares about EventNetworkReached.
_NETWORK_REACHED = (
    "EventNetworkReached means the call reached the network (the T-Library event's "
    "description; CSTA's Network Reached, as in TSAPI guides: the call has reached an outgoing "
    "trunk). ctiemu sends it once a call, with the first report that shows the network has the "
    "call: alerting, or the outcome itself when nothing came before it (an answer, busy, a SIT, "
    "no answer, the far end hanging up). A failure to place the call and all trunks busy come "
    "without it. The Genesys outbound tables themselves could not be read from here "
    "(docs/research/genem-call-models.md, section 4)."
)


def _route_disconnect(at: float) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        return switch.route_call(R, ctx["conn"], None, now=at, route_type=RouteType.CallDisconnect)

    return run


def _sit_vacant(conn: ConnID) -> TrunkReport:
    return SitDetected(conn, SitKind.Vacant)


def _failed(conn: ConnID) -> TrunkReport:
    return Failed(conn, "no circuit to the network")


@dataclass(frozen=True)
class CallModel:
    title: str
    source: str
    steps: list[Step]
    note: str = ""


def _make(frm: str, to: str, at: float) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        events = switch.make_call(frm, to, now=at)
        ctx["conn"] = events[0].conn_id  # type: ignore[attr-defined]
        return events

    return run


def _on_call(
    operation: str, dn: str, at: float, *args: Any, key: str = "conn"
) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    """Run an operation on the model's call (`key` "conn") or its consultation ("consult")."""

    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        result: list[Event] = getattr(switch, operation)(dn, ctx[key], *args, now=at)
        return result

    return run


def _call(
    operation: str, *args: Any, **kwargs: Any
) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        result: list[Event] = getattr(switch, operation)(*args, **kwargs)
        return result

    return run


def _network(
    report: Callable[[ConnID], TrunkReport], at: float
) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        return switch.on_trunk_report(report(ctx["conn"]), now=at)

    return run


def _inbound(dnis: str, at: float) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        events = switch.on_trunk_report(Inbound("pstn", "r1", CALLER, dnis), now=at)
        ctx["conn"] = events[0].conn_id  # type: ignore[attr-defined]
        return events

    return run


def _consult(dn: str, other: str, at: float) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        events = switch.initiate_consultation(dn, ctx["conn"], other, now=at)
        ctx["consult"] = events[1].conn_id  # type: ignore[attr-defined]
        return events

    return run


def _on_consult(
    operation: str, dn: str, at: float, *, held_first: bool = True
) -> Callable[[Switch, dict[str, Any]], list[Event]]:
    """Run a two-call operation: (held call, consultation) or (consultation, held call)."""

    def run(switch: Switch, ctx: dict[str, Any]) -> list[Event]:
        first, second = (ctx["conn"], ctx["consult"])
        if not held_first:
            first, second = second, first
        result: list[Event] = getattr(switch, operation)(dn, first, second, now=at)
        return result

    return run


def _established(a: str, b: str) -> list[Step]:
    return [
        (f"MakeCall {a} -> {b}", _make(a, b, 0)),
        (f"AnswerCall {b}", _on_call("answer_call", b, 1)),
    ]


#: Where a model's table was not reachable, the doc says so and describes ctiemu's reading.
UNREACHED = (
    "no reference table reached (GenEM HoldingTransferringandConferencing, past the stored "
    "copy): ctiemu's reading of the T-Library request and the event descriptions"
)


def _agent_ready(dn: str, at: float) -> list[Step]:
    return [
        (
            f"AgentLogin {dn} (agent1, queue {Q})",
            _call("agent_login", dn, "agent1", now=at, queue=Q),
        ),
        (f"AgentReady {dn}", _call("agent_ready", dn, now=at)),
    ]


MODELS: list[CallModel] = [
    CallModel(
        "Basic internal call",
        f"{VM}BasicCallModels (connection-establishing phase); {GENEM}ReleasingCalls",
        [
            (f"MakeCall {A} -> {B}", _make(A, B, 0)),
            (f"AnswerCall {B}", _on_call("answer_call", B, 1)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 2)),
        ],
    ),
    CallModel(
        "Destination busy",
        f"{VM}BasicCallModels (abnormal flow **)",
        [
            (f"MakeCall {C} -> {B} ({B} is busy)", _make(C, B, 0)),
            (f"MakeCall {A} -> {B}", _make(A, B, 1)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 2)),
        ],
        note=f"The first step only makes {B} busy.",
    ),
    CallModel(
        "Caller releases while the called party rings (internal)",
        f"{VM}BasicCallModels (abnormal flow ***)",
        [
            (f"MakeCall {A} -> {B}", _make(A, B, 0)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 1)),
        ],
        note="The reference's table shows EventAbandoned for the ringing party; its event "
        "description says EventAbandoned occurs only with external parties. ctiemu follows the "
        "latter for internal callers (EventReleased) and sends EventAbandoned where a queue, a "
        "routing point or an agent ringing with an ACD call loses its caller.",
    ),
    CallModel(
        "Hold and retrieve",
        f"{GENEM}HoldingTransferringandConferencing (Hold/Retrieve Function)",
        [
            (f"MakeCall {A} -> {B}", _make(A, B, 0)),
            (f"AnswerCall {B}", _on_call("answer_call", B, 1)),
            (f"HoldCall {B}", _on_call("hold_call", B, 2)),
            (f"RetrieveCall {B}", _on_call("retrieve_call", B, 3)),
            (f"ReleaseCall {B}", _on_call("release_call", B, 4)),
        ],
    ),
    CallModel(
        "Two-step transfer, completed after the consulted party answers",
        UNREACHED,
        [
            *_established(A, B),
            (f"InitiateTransfer {B} -> {C}", _consult(B, C, 2)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3, key="consult")),
            (f"CompleteTransfer {B}", _on_consult("complete_transfer", B, 4)),
        ],
        note="The consultation (ConnID 2, CallType Consult, PreviousConnID 1) carries a copy "
        "of the call's UserData; completing keeps ConnID 1 for the merged call.",
    ),
    CallModel(
        "Two-step transfer, completed before the consulted party answers (blind)",
        UNREACHED,
        [
            *_established(A, B),
            (f"InitiateTransfer {B} -> {C}", _consult(B, C, 2)),
            (f"CompleteTransfer {B}", _on_consult("complete_transfer", B, 3)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 4)),
        ],
    ),
    CallModel(
        "Single-step transfer",
        UNREACHED,
        [
            *_established(A, B),
            (f"SingleStepTransfer {B} -> {C}", _on_call("single_step_transfer", B, 2, C)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3)),
        ],
    ),
    CallModel(
        "Mute transfer",
        UNREACHED,
        [
            *_established(A, B),
            (f"MuteTransfer {B} -> {C}", _on_call("mute_transfer", B, 2, C)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3)),
        ],
    ),
    CallModel(
        "Consultation, alternate and reconnect",
        UNREACHED,
        [
            *_established(A, B),
            (f"InitiateTransfer {B} -> {C}", _consult(B, C, 2)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3, key="consult")),
            (
                f"AlternateCall {B} (to the held call)",
                _on_consult("alternate_call", B, 4, held_first=False),
            ),
            (f"AlternateCall {B} (back to the consultation)", _on_consult("alternate_call", B, 5)),
            (f"ReconnectCall {B}", _on_consult("reconnect_call", B, 6, held_first=False)),
        ],
    ),
    CallModel(
        "Conference, then delete from conference",
        f"{UNREACHED} for the conference; {GENEM}ReleasingCalls (Delete from Conference) for "
        "the deletion",
        [
            *_established(A, B),
            (f"InitiateConference {B} -> {C}", _consult(B, C, 2)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3, key="consult")),
            (f"CompleteConference {B}", _on_consult("complete_conference", B, 4)),
            (f"DeleteFromConference {A} deletes {C}", _on_call("delete_from_conference", A, 5, C)),
        ],
    ),
    CallModel(
        "Single-step conference",
        UNREACHED,
        [
            *_established(A, B),
            (f"SingleStepConference {B} adds {C}", _on_call("single_step_conference", B, 2, C)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3)),
        ],
        note="Nothing happens at 1002 when it asks; the server answers the request with EventACK.",
    ),
    CallModel(
        "Release from conference",
        f"{GENEM}ReleasingCalls (Release from Conference)",
        [
            *_established(A, B),
            (f"InitiateConference {B} -> {C}", _consult(B, C, 2)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 3, key="consult")),
            (f"CompleteConference {B}", _on_consult("complete_conference", B, 4)),
            (f"ReleaseCall {B}", _on_call("release_call", B, 5)),
        ],
    ),
    CallModel(
        "Call forwarding (unconditional)",
        "no reference table reached (GenEM SpecialCases, call forwarding): ctiemu offers the "
        "call to the forward destination with CallState Forwarded and ThirdPartyDN the "
        "forwarding DN",
        [
            (
                f"CallForwardSet {B} -> {C} Unconditional",
                _call("set_forward", B, C, ForwardMode.Unconditional, now=0),
            ),
            (f"MakeCall {A} -> {B}", _make(A, B, 1)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 2)),
            (
                f"CallForwardCancel {B} Unconditional",
                _call("cancel_forward", B, ForwardMode.Unconditional, now=3),
            ),
        ],
    ),
    CallModel(
        "UserData follows the call",
        f"{GENEM}UserDataEvents (EventAttachedDataChanged)",
        [
            (f"MakeCall {A} -> {B}", _make(A, B, 0)),
            (f"AnswerCall {B}", _on_call("answer_call", B, 1)),
            (
                f"AttachUserData {A} {{CustomerID: 42}}",
                _on_call("attach_user_data", A, 2, KVList([("CustomerID", "42")])),
            ),
            (f"DeletePair {B} CustomerID", _on_call("delete_pair", B, 3, "CustomerID")),
        ],
    ),
    CallModel(
        "Inbound through an ACD queue to an agent, with after-call work",
        f"{GENEM}WorkingWithQueues; {GENEM}PredictiveDialing (delivery to the agent)",
        [
            *_agent_ready(B, 0),
            (f"MakeCall {A} -> {Q}", _make(A, Q, 1)),
            (f"AnswerCall {B}", _on_call("answer_call", B, 2)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 3)),
            ("13 s later (after-call work over)", _call("advance", 13.0)),
        ],
    ),
    CallModel(
        "Abandoned while queued",
        f"{GENEM}WorkingWithQueues; {GENEM}PredictiveDialing (abnormal flow **)",
        [
            (f"MakeCall {A} -> {Q} (no agent ready)", _make(A, Q, 0)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 1)),
        ],
    ),
    CallModel(
        "Abandoned while the agent rings",
        f"{GENEM}PredictiveDialing (abnormal flow ***)",
        [
            *_agent_ready(B, 0),
            (f"MakeCall {A} -> {Q}", _make(A, Q, 1)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 2)),
        ],
    ),
    CallModel(
        "Ring no answer: the call goes back to the queue",
        "no reference table reached: ctiemu's rule (RONA returns the call to the head of its "
        "queue and makes the agent NotReady)",
        [
            *_agent_ready(B, 0),
            (f"MakeCall {A} -> {Q}", _make(A, Q, 1)),
            ("15 s later (ring_no_answer_seconds)", _call("advance", 16.0)),
        ],
    ),
    CallModel(
        "Outbound call through a trunk, answered",
        "no reference table reached (GenEM BasicCallModels, outbound phase): ctiemu reports "
        "EventNetworkReached when the far end alerts, as the event's description says",
        [
            (f"MakeCall {A} -> {NUMBER}", _make(A, NUMBER, 0)),
            ("network: far end alerting", _network(Alerting, 1)),
            ("network: a person answers", _network(Answered, 5)),
            ("network: far end hangs up", _network(FarEndReleased, 60)),
        ],
        note=_NETWORK_REACHED,
    ),
    CallModel(
        "Outbound call to a busy number",
        f"{GENEM}SpecialCases (Outbound call to a busy destination: the stored copy keeps "
        "the event names EventDialing and EventDestinationBusy at A, and is cut before its "
        "rows can be read in full). EventNetworkReached comes first: the call reached the "
        "network (the note under the answered outbound call). Issue 13 (item 8) cites the "
        "model as EventNetworkReached then EventDestinationBusy; the stored copy neither shows "
        "nor contradicts that",
        [
            (f"MakeCall {A} -> {NUMBER}", _make(A, NUMBER, 0)),
            ("network: busy", _network(Busy, 1)),
            (f"ReleaseCall {A}", _on_call("release_call", A, 2)),
        ],
    ),
    CallModel(
        "Outbound call, no answer",
        "no reference table reached (GenEM BasicCallModels has no outbound no-answer row; "
        "CallState NoAnswer is in the predictive-dialing model's list)",
        [
            (f"MakeCall {A} -> {NUMBER}", _make(A, NUMBER, 0)),
            ("network: far end alerting", _network(Alerting, 1)),
            ("network: no answer", _network(NoAnswer, 31)),
        ],
    ),
    CallModel(
        "Outbound call to a number that gives a SIT",
        "no reference table reached: CallState from the special information tone (GenEM "
        "BasicCallModels footnote: CallState may say why, for instance SitInvalidNum)",
        [
            (f"MakeCall {A} -> {NUMBER}", _make(A, NUMBER, 0)),
            ("network: SIT (vacant number)", _network(_sit_vacant, 1)),
        ],
    ),
    CallModel(
        "Outbound call the network fails to place",
        "no reference table reached: the call never reached the network, so no EventNetworkReached",
        [
            (f"MakeCall {A} -> {NUMBER}", _make(A, NUMBER, 0)),
            ("network: failure", _network(_failed, 1)),
        ],
    ),
    CallModel(
        "Inbound call through a trunk and an ACD queue",
        f"{GENEM}WorkingWithQueues (external caller: no events for it)",
        [
            *_agent_ready(B, 0),
            (f"network: {CALLER} calls {Q}", _inbound(Q, 1)),
            (f"AnswerCall {B}", _on_call("answer_call", B, 3)),
            ("network: the caller hangs up", _network(FarEndReleased, 90)),
        ],
    ),
    CallModel(
        "Inbound caller abandons while the DN rings",
        f"{VM}BasicCallModels (abnormal flow ***: the ringing party gets EventAbandoned)",
        [
            (f"network: {CALLER} calls {C}", _inbound(C, 0)),
            ("network: the caller hangs up", _network(FarEndReleased, 8)),
        ],
    ),
    CallModel(
        "Through a routing point: routed by a router",
        f"{GENEM}CallRoutingEvents (EventRouteRequest, EventRouteUsed)",
        [
            (f"MakeCall {A} -> {R}", _make(A, R, 0)),
            (f"RouteCall {R} -> {C}", _on_call("route_call", R, 1, C)),
            (f"AnswerCall {C}", _on_call("answer_call", C, 2)),
        ],
    ),
    CallModel(
        "Treatment on a routing point, then routed",
        f"{GENEM}CallTreatmentEvents (EventTreatmentApplied, EventTreatmentEnd)",
        [
            (f"MakeCall {A} -> {R}", _make(A, R, 0)),
            (f"ApplyTreatment {R} Music", _on_call("apply_treatment", R, 1, TreatmentType.Music)),
            (
                f"ApplyTreatment {R} PlayAnnouncement {{Duration: 3}}",
                _on_call(
                    "apply_treatment",
                    R,
                    2,
                    TreatmentType.PlayAnnouncement,
                    KVList([("Duration", 3)]),
                ),
            ),
            ("3 s later", _call("advance", 5.0)),
            (f"RouteCall {R} -> {C}", _on_call("route_call", R, 6, C)),
        ],
    ),
    CallModel(
        "Collecting an inbound caller's digits on a routing point",
        f"{GENEM}CallTreatmentEvents (EventTreatmentEnd: CollectedDigits, COMPLETION_STATUS)",
        [
            (f"Inbound call {CALLER} -> {R}", _inbound(R, 0)),
            (
                f"ApplyTreatment {R} CollectDigits {{MAX_DIGITS: 4, TERM_DIGITS: #}}",
                _on_call(
                    "apply_treatment",
                    R,
                    1,
                    TreatmentType.CollectDigits,
                    KVList([("MAX_DIGITS", 4), ("TERM_DIGITS", "#")]),
                ),
            ),
            ("The caller presses 1, 2", _network(lambda c: DigitsReceived(c, "12"), 3)),
            ("The caller presses #", _network(lambda c: DigitsReceived(c, "#"), 4)),
            (f"RouteCall {R} -> {C}", _on_call("route_call", R, 5, C)),
        ],
        note="The caller's keys come from the trunk's driver; an internal caller keys them "
        "with SendDTMF (EventDTMFSent at the caller).",
    ),
    CallModel(
        "Through a routing point: the router rejects the call",
        f"{GENEM}SpecialCases (Rejected Call: EventRouteRequest and EventRouteUsed at the "
        "route point, event names only; RouteTypeCallDisconnect, RouteTypeReject deprecated)",
        [
            (f"MakeCall {A} -> {R}", _make(A, R, 0)),
            (f"RouteCall {R} CallDisconnect", _route_disconnect(1)),
        ],
        note="The stored copy of the model names no CallState for the caller; ctiemu releases "
        "it with CallState Ok, as in the release phase. RouteType Reject does the same.",
    ),
    CallModel(
        "Routing timeout: the default route",
        f"{GENEM}CallRoutingEvents (EventRouteUsed is also sent on default routing)",
        [
            *_agent_ready(B, 0),
            (f"MakeCall {A} -> {R}", _make(A, R, 1)),
            ("10 s later (timeout_seconds; default destination 7001)", _call("advance", 11.0)),
        ],
    ),
]

_SHOWN = (
    "conn_id",
    "call_type",
    "previous_conn_id",
    "this_dn_role",
    "other_dn",
    "other_dn_role",
    "third_party_dn",
    "third_party_dn_role",
    "this_queue",
    "call_state",
    "agent_id",
    "agent_work_mode",
    "forward_mode",
    "ani",
    "dnis",
    "treatment_type",
    "treatment_parms",
    "collected_digits",
    "last_digit",
    "extensions",
    "user_data",
)


def _show(name: str, value: Any, conns: dict[ConnID, str]) -> str:
    if name in ("conn_id", "previous_conn_id"):
        return conns.setdefault(value, str(len(conns) + 1))
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, KVList):
        return "{" + ", ".join(f"{k}: {_show(k, v, conns)}" for k, v in value) + "}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _label(name: str) -> str:
    return (
        "".join(part.capitalize() for part in name.split("_"))
        .replace("Dn", "DN")
        .replace("Id", "ID")
    )


def run(model: CallModel) -> list[tuple[str, list[Event]]]:
    """The model's steps with the events each caused, on a fresh switch."""
    switch = Switch(CONFIG, id_seed=1)
    ctx: dict[str, Any] = {}
    return [(label, step(switch, ctx)) for label, step in model.steps]


def render() -> str:
    lines = [BEGIN, ""]
    for model in MODELS:
        lines += [f"## {model.title}", "", f"Follows: {model.source}.", ""]
        if model.note:
            lines += [model.note, ""]
        lines += ["| Step | ThisDN | Event | Attributes |", "|---|---|---|---|"]
        conns: dict[ConnID, str] = {}
        for label, events in run(model):
            first = True
            for event in events:
                attrs = event.attributes()
                shown = ", ".join(
                    f"{_label(n)} {_show(n, attrs[n], conns)}" for n in _SHOWN if n in attrs
                )
                dn = attrs.get("this_dn", "")
                lines.append(
                    f"| {label if first else ''} | {dn} | {type(event).__name__} | {shown} |"
                )
                first = False
            if first:
                lines.append(f"| {label} | | (no event) | |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def splice(document: str) -> str:
    return replace_section(document, BEGIN, END, render())


def main(argv: list[str]) -> int:
    rewrite(Path(argv[0] if argv else "docs/call-models.md"), splice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
