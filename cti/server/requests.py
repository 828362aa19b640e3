"""Requests as data: which switch operation each call-control request becomes.

Most T-Server requests are the same three steps: check that the session may control ThisDN,
call one switch operation with fields of the request, publish the events it returns. Those are
declared here, one table entry per request type: the operation (a Switch method), the request
fields it takes positionally (ThisDN first), the keyword arguments it takes from request
fields, and keyword arguments fixed by the request type. The core (cti.server.core) carries
them all out with one function; its set of handled requests, and so the capability mask of
EventServerInfo, is this table's keys plus the requests the core handles itself (registration,
queries, user events, simulation control, the Give*Treatment requests).

Knows nothing about sessions, registrations or bytes: only requests and the switch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

from protocol.messages import (
    Event,
    Request,
    RequestAgentLogin,
    RequestAgentLogout,
    RequestAgentNotReady,
    RequestAgentReady,
    RequestAlternateCall,
    RequestAnswerCall,
    RequestApplyTreatment,
    RequestAttachUserData,
    RequestCallForwardCancel,
    RequestCallForwardSet,
    RequestClearCall,
    RequestCompleteConference,
    RequestCompleteTransfer,
    RequestDeleteFromConference,
    RequestDeletePair,
    RequestDeleteUserData,
    RequestHoldCall,
    RequestInitiateConference,
    RequestInitiateTransfer,
    RequestMakeCall,
    RequestMergeCalls,
    RequestMuteTransfer,
    RequestReconnectCall,
    RequestRedirectCall,
    RequestReleaseCall,
    RequestRetrieveCall,
    RequestRouteCall,
    RequestSendDTMF,
    RequestSetDNDOff,
    RequestSetDNDOn,
    RequestSingleStepConference,
    RequestSingleStepTransfer,
    RequestUpdateUserData,
)
from switch.pbx import Switch

__all__ = ["SWITCH_REQUESTS", "SwitchOperation"]


class SwitchOperation:
    """One request type as a switch operation: `operation(switch, *fields, now=now,
    **keywords, **fixed)`, the fields read from the request."""

    __slots__ = ("_fields", "_keywords", "fields", "fixed", "keywords", "operation")

    def __init__(
        self,
        operation: Callable[..., list[Event]],
        fields: tuple[str, ...],
        keywords: Mapping[str, str] | None = None,
        fixed: Mapping[str, Any] | None = None,
    ) -> None:
        if not fields or fields[0] != "this_dn":
            raise ValueError(f"{operation.__name__}: the first field must be this_dn: {fields}")
        self.operation = operation
        #: Request fields passed positionally, in order.
        self.fields = fields
        #: Switch keyword -> request field.
        self.keywords: Mapping[str, str] = dict(keywords or {})
        #: Switch keyword -> value, the same for every request of the type.
        self.fixed: Mapping[str, Any] = dict(fixed or {})
        # one C-level getter each (attrgetter of one name returns the value, not a 1-tuple)
        self._fields = attrgetter(*fields) if len(fields) > 1 else _one(fields[0])
        self._keywords = tuple(self.keywords.items())

    def __call__(self, switch: Switch, request: Request, now: float) -> list[Event]:
        """Carry the request out on the switch; the events it caused (SwitchError: refused)."""
        keywords = {name: getattr(request, field) for name, field in self._keywords}
        return self.operation(switch, *self._fields(request), now=now, **keywords, **self.fixed)

    def __repr__(self) -> str:
        return f"SwitchOperation({self.operation.__name__}, {self.fields}, {self.keywords})"


def _one(field: str) -> Callable[[Request], tuple[Any, ...]]:
    getter = attrgetter(field)
    return lambda request: (getter(request),)


#: The call-control requests, each carried out as one switch operation.
SWITCH_REQUESTS: dict[type[Request], SwitchOperation] = {
    RequestMakeCall: SwitchOperation(
        Switch.make_call,
        ("this_dn", "other_dn"),
        {"user_data": "user_data", "make_call_type": "make_call_type"},
    ),
    RequestAnswerCall: SwitchOperation(Switch.answer_call, ("this_dn", "conn_id")),
    RequestReleaseCall: SwitchOperation(Switch.release_call, ("this_dn", "conn_id")),
    RequestHoldCall: SwitchOperation(Switch.hold_call, ("this_dn", "conn_id")),
    RequestRetrieveCall: SwitchOperation(Switch.retrieve_call, ("this_dn", "conn_id")),
    RequestClearCall: SwitchOperation(Switch.clear_call, ("this_dn", "conn_id")),
    RequestRedirectCall: SwitchOperation(Switch.redirect_call, ("this_dn", "conn_id", "other_dn")),
    RequestSendDTMF: SwitchOperation(Switch.send_dtmf, ("this_dn", "conn_id", "dtmf_digits")),
    RequestAttachUserData: SwitchOperation(
        Switch.attach_user_data, ("this_dn", "conn_id", "user_data")
    ),
    RequestUpdateUserData: SwitchOperation(
        Switch.update_user_data, ("this_dn", "conn_id", "user_data")
    ),
    RequestDeleteUserData: SwitchOperation(Switch.delete_user_data, ("this_dn", "conn_id")),
    RequestDeletePair: SwitchOperation(Switch.delete_pair, ("this_dn", "conn_id", "data_key")),
    RequestAgentLogin: SwitchOperation(
        Switch.agent_login,
        ("this_dn", "agent_id"),
        {
            "password": "password",
            "queue": "this_queue",
            "work_mode": "agent_work_mode",
            "reasons": "reasons",
        },
    ),
    RequestAgentLogout: SwitchOperation(Switch.agent_logout, ("this_dn",), {"reasons": "reasons"}),
    RequestAgentReady: SwitchOperation(
        Switch.agent_ready, ("this_dn",), {"work_mode": "agent_work_mode", "reasons": "reasons"}
    ),
    RequestAgentNotReady: SwitchOperation(
        Switch.agent_not_ready,
        ("this_dn",),
        {"work_mode": "agent_work_mode", "reasons": "reasons"},
    ),
    RequestSetDNDOn: SwitchOperation(Switch.set_dnd, ("this_dn",), fixed={"on": True}),
    RequestSetDNDOff: SwitchOperation(Switch.set_dnd, ("this_dn",), fixed={"on": False}),
    RequestCallForwardSet: SwitchOperation(
        Switch.set_forward, ("this_dn", "other_dn", "forward_mode")
    ),
    RequestCallForwardCancel: SwitchOperation(Switch.cancel_forward, ("this_dn", "forward_mode")),
    RequestRouteCall: SwitchOperation(
        Switch.route_call, ("this_dn", "conn_id", "other_dn"), {"route_type": "route_type"}
    ),
    RequestApplyTreatment: SwitchOperation(
        Switch.apply_treatment,
        ("this_dn", "conn_id", "treatment_type"),
        {"parms": "treatment_parms"},
    ),
    RequestInitiateTransfer: SwitchOperation(
        Switch.initiate_consultation,
        ("this_dn", "conn_id", "other_dn"),
        {"user_data": "user_data"},
    ),
    RequestInitiateConference: SwitchOperation(
        Switch.initiate_consultation,
        ("this_dn", "conn_id", "other_dn"),
        {"user_data": "user_data"},
    ),
    RequestCompleteTransfer: SwitchOperation(
        Switch.complete_transfer, ("this_dn", "conn_id", "transfer_conn_id")
    ),
    RequestCompleteConference: SwitchOperation(
        Switch.complete_conference, ("this_dn", "conn_id", "transfer_conn_id")
    ),
    RequestDeleteFromConference: SwitchOperation(
        Switch.delete_from_conference, ("this_dn", "conn_id", "other_dn")
    ),
    RequestSingleStepTransfer: SwitchOperation(
        Switch.single_step_transfer, ("this_dn", "conn_id", "other_dn")
    ),
    RequestSingleStepConference: SwitchOperation(
        Switch.single_step_conference, ("this_dn", "conn_id", "other_dn")
    ),
    RequestMuteTransfer: SwitchOperation(
        Switch.mute_transfer, ("this_dn", "conn_id", "other_dn"), {"user_data": "user_data"}
    ),
    RequestAlternateCall: SwitchOperation(
        Switch.alternate_call, ("this_dn", "conn_id", "previous_conn_id")
    ),
    RequestReconnectCall: SwitchOperation(
        Switch.reconnect_call, ("this_dn", "conn_id", "previous_conn_id")
    ),
    RequestMergeCalls: SwitchOperation(
        Switch.merge_calls, ("this_dn", "conn_id", "transfer_conn_id", "merge_type")
    ),
}
