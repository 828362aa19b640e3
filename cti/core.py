"""The T-Server core, sans-IO: client sessions, registrations, requests -> switch -> deliveries.

Bytes from a client go in (`receive_data(session, data, now)`); frames for clients come out,
queued on each Session (`Session.take_output()`), and the core says which sessions have new
output. The trio edge (cti.server) only moves bytes and rings doorbells; everything a client
can observe is decided here, with time passed in.

Per request: the framer cuts frames, the codec decodes them (a bad frame -> EventError, a
broken stream -> EventError then close), the core checks the session may do this (client
registered, DN registered and not in Monitor mode), calls the switch operation, then stamps
each resulting event once (EventSequenceNumber, time) and delivers it to every session
registered on its ThisDN. The first event at the requesting DN carries the request's
ReferenceID, for the requester only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from protocol import wire
from protocol.codec import decode, encode
from protocol.enums import (
    AddressInfoType,
    AgentWorkMode,
    RegisterMode,
    TreatmentType,
)
from protocol.errors import ErrorCode, FrameError, MessageError
from protocol.framer import Framer
from protocol.messages import (
    PROTOCOL_VERSION,
    Event,
    EventACK,
    EventAddressInfo,
    EventError,
    EventPartyInfo,
    EventRegistered,
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    Message,
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
    RequestGiveMusicTreatment,
    RequestGiveRingBackTreatment,
    RequestGiveSilenceTreatment,
    RequestHoldCall,
    RequestInitiateConference,
    RequestInitiateTransfer,
    RequestMakeCall,
    RequestMergeCalls,
    RequestMuteTransfer,
    RequestQueryAddress,
    RequestQueryCall,
    RequestReconnectCall,
    RequestRedirectCall,
    RequestRegisterAddress,
    RequestRegisterClient,
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
from protocol.values import ConnID, KVList
from switch.calls import PartyState
from switch.pbx import Switch, SwitchError
from switch.trunks import TrunkDriver

log = logging.getLogger("ctiemu.core")


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """What EventServerInfo tells a client about this server."""

    name: str
    version: str
    start_time: float


@dataclass(eq=False)
class Session:
    """One client connection as the core sees it."""

    id: int
    framer: Framer
    peer: str = ""
    application_name: str | None = None
    registrations: dict[str, RegisterMode] = field(default_factory=dict)
    #: Set when the server has decided to close this session once its output is flushed.
    closing: bool = False
    close_reason: str = ""
    _output: list[bytes] = field(default_factory=list)

    @property
    def has_output(self) -> bool:
        return bool(self._output)

    def send(self, frame: bytes) -> None:
        self._output.append(frame)

    def take_output(self) -> bytes:
        """Everything pending, as one buffer for one write."""
        data = b"".join(self._output)
        self._output.clear()
        return data


class _Refusal(Exception):
    """Internal: a request is refused before reaching the switch."""

    def __init__(self, code: ErrorCode, message: str, *, this_dn: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.this_dn = this_dn


class TServerCore:
    """All T-Server state and behaviour, with no I/O."""

    def __init__(
        self,
        switch: Switch,
        identity: ServerIdentity,
        *,
        max_frame_size: int = wire.DEFAULT_MAX_FRAME_SIZE,
        drivers: Mapping[str, TrunkDriver] | None = None,
    ) -> None:
        self.switch = switch
        #: The trunk driver of each trunk group.
        self.drivers: dict[str, TrunkDriver] = dict(drivers or {})
        self.identity = identity
        self.max_frame_size = max_frame_size
        self.sessions: dict[int, Session] = {}
        self._next_session = 1
        self._sequence = 0
        #: dn -> {session id: mode}, in registration order.
        self._registered: dict[str, dict[int, RegisterMode]] = {}
        self._handlers: dict[type[Message], Callable[[Session, Any, float], None]] = {
            RequestRegisterClient: self._on_register_client,
            RequestRegisterAddress: self._on_register_address,
            RequestMakeCall: self._on_make_call,
            RequestAnswerCall: self._on_answer_call,
            RequestReleaseCall: self._on_release_call,
            RequestHoldCall: self._on_hold_call,
            RequestRetrieveCall: self._on_retrieve_call,
            RequestAttachUserData: self._on_attach_user_data,
            RequestUpdateUserData: self._on_update_user_data,
            RequestDeleteUserData: self._on_delete_user_data,
            RequestDeletePair: self._on_delete_pair,
            RequestAgentLogin: self._on_agent_login,
            RequestAgentLogout: self._on_agent_logout,
            RequestAgentReady: self._on_agent_ready,
            RequestAgentNotReady: self._on_agent_not_ready,
            RequestSetDNDOn: self._on_set_dnd_on,
            RequestSetDNDOff: self._on_set_dnd_off,
            RequestRouteCall: self._on_route_call,
            RequestInitiateTransfer: self._on_initiate_consultation,
            RequestInitiateConference: self._on_initiate_consultation,
            RequestCompleteTransfer: self._on_complete_transfer,
            RequestCompleteConference: self._on_complete_conference,
            RequestDeleteFromConference: self._on_delete_from_conference,
            RequestSingleStepTransfer: self._on_single_step_transfer,
            RequestMuteTransfer: self._on_mute_transfer,
            RequestAlternateCall: self._on_alternate_call,
            RequestReconnectCall: self._on_reconnect_call,
            RequestClearCall: self._on_clear_call,
            RequestRedirectCall: self._on_redirect_call,
            RequestSendDTMF: self._on_send_dtmf,
            RequestQueryAddress: self._on_query_address,
            RequestQueryCall: self._on_query_call,
            RequestApplyTreatment: self._on_apply_treatment,
            RequestGiveMusicTreatment: self._on_give_treatment,
            RequestGiveSilenceTreatment: self._on_give_treatment,
            RequestGiveRingBackTreatment: self._on_give_treatment,
            RequestMergeCalls: self._on_merge_calls,
            RequestCallForwardSet: self._on_forward_set,
            RequestCallForwardCancel: self._on_forward_cancel,
            RequestSingleStepConference: self._on_single_step_conference,
        }
        self._woken: set[Session] = set()

    @property
    def handled_requests(self) -> frozenset[type[Message]]:
        """The request types this server carries out; others get EventError 51."""
        return frozenset(self._handlers)

    # ----------------------------------------------------------------------------------------
    # Session life

    def open_session(self, peer: str = "") -> Session:
        session = Session(self._next_session, Framer(self.max_frame_size), peer=peer)
        self._next_session += 1
        self.sessions[session.id] = session
        return session

    def close_session(self, session: Session) -> None:
        """The connection is gone: end its registrations."""
        for dn in session.registrations:
            holders = self._registered.get(dn)
            if holders is not None:
                holders.pop(session.id, None)
                if not holders:
                    del self._registered[dn]
        session.registrations.clear()
        self.sessions.pop(session.id, None)

    def registered_sessions(self, dn: str) -> list[Session]:
        return [self.sessions[sid] for sid in self._registered.get(dn, {})]

    # ----------------------------------------------------------------------------------------
    # Input

    def receive_data(self, session: Session, data: bytes, now: float) -> set[Session]:
        """Bytes from a client. Returns the sessions that have new output."""
        self._woken = set()
        if session.closing:
            return self._woken
        session.framer.receive_data(data)
        while not session.closing:
            try:
                frame = session.framer.next_frame()
            except FrameError as err:
                log.info("session %d: %s; closing", session.id, err)
                self._error(session, err.code, str(err), None, now)
                self._close(session, str(err))
                break
            if frame is None:
                break
            self._receive_frame(session, frame, now)
        return self._woken

    def _receive_frame(self, session: Session, frame: bytes, now: float) -> None:
        try:
            msg = decode(frame)
        except MessageError as err:
            log.debug("session %d: %s", session.id, err)
            self._error(session, err.code, str(err), err.reference_id, now)
            return
        self.handle_request(session, msg, now)

    def handle_request(self, session: Session, msg: Message, now: float) -> None:
        """One decoded message from a client."""
        if isinstance(msg, KeepAliveProbe):  # answered at once, even before the handshake
            self._deliver_to(session, KeepAliveAnswer(reference_id=msg.reference_id))
            return
        if isinstance(msg, KeepAliveAnswer):  # the answer to a probe of ours: nothing to do
            return
        handler = self._handlers.get(type(msg))
        try:
            if not isinstance(msg, Request) or handler is None:
                raise _Refusal(
                    ErrorCode.UnsupportedOperation,
                    f"{msg.MESSAGE_TYPE.name} is not supported by this server",
                )
            if session.application_name is None and not isinstance(msg, RequestRegisterClient):
                raise _Refusal(
                    ErrorCode.ClientNotRegistered,
                    "send RequestRegisterClient before any other request",
                )
            handler(session, msg, now)
            self._dispatch_commands(now)
        except _Refusal as refusal:
            self._error(
                session,
                refusal.code,
                refusal.message,
                msg.reference_id,
                now,
                this_dn=refusal.this_dn,
            )
        except SwitchError as err:
            self._error(
                session,
                err.code,
                err.message,
                msg.reference_id,
                now,
                this_dn=err.this_dn,
                conn_id=err.conn_id,
            )
        except Exception:  # a bug of ours, not the client's: log it, answer, keep serving
            log.exception("session %d: internal error handling %r", session.id, msg)
            self._error(session, ErrorCode.InternalError, "internal error", msg.reference_id, now)

    # ----------------------------------------------------------------------------------------
    # Handlers

    def _on_register_client(self, session: Session, req: RequestRegisterClient, now: float) -> None:
        if session.application_name is not None:
            raise _Refusal(ErrorCode.InvalidState, "client already registered")
        major = _major_version(req.protocol_version)
        if major != PROTOCOL_VERSION[0]:
            self._error(
                session,
                ErrorCode.ProtocolVersion,
                f"protocol version {req.protocol_version!r} not supported; this server speaks "
                f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
                req.reference_id,
                now,
            )
            self._close(session, "unsupported protocol version")
            return
        session.application_name = req.application_name
        log.info("session %d: client %r registered", session.id, req.application_name)
        info = EventServerInfo(
            reference_id=req.reference_id,
            protocol_version=f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}",
            server_version=self.identity.version,
            application_name=self.identity.name,
            server_start_time=int(self.identity.start_time),
            server_capability_mask=self._capability_mask(),
        )
        self._deliver_to(session, self._stamp(info, now))

    def _on_register_address(
        self, session: Session, req: RequestRegisterAddress, now: float
    ) -> None:
        dn = req.this_dn
        if not self.switch.has_dn(dn):
            raise _Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
        for sid, mode in self._registered.get(dn, {}).items():
            if sid != session.id and RegisterMode.Private in (mode, req.register_mode):
                raise _Refusal(
                    ErrorCode.ResourceSeized,
                    f"DN {dn!r} is registered in Private mode by another client"
                    if mode is RegisterMode.Private
                    else f"DN {dn!r} is registered by another client; Private needs it alone",
                    this_dn=dn,
                )
        self._registered.setdefault(dn, {})[session.id] = req.register_mode
        session.registrations[dn] = req.register_mode
        status = self.switch.dn_status(dn)
        registered = EventRegistered(
            reference_id=req.reference_id,
            this_dn=dn,
            address_info_type=AddressInfoType.AddressStatus,
            address_info_status=int(status),
            extensions=KVList([("status", status.name)]),
        )
        self._deliver_to(session, self._stamp(registered, now))

    def _on_make_call(self, session: Session, req: RequestMakeCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.make_call(
            req.this_dn,
            req.other_dn,
            now=now,
            user_data=req.user_data,
            make_call_type=req.make_call_type,
        )
        self._publish(events, now, session, req)

    def _on_answer_call(self, session: Session, req: RequestAnswerCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.answer_call(req.this_dn, req.conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_release_call(self, session: Session, req: RequestReleaseCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.release_call(req.this_dn, req.conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_hold_call(self, session: Session, req: RequestHoldCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        self._publish(self.switch.hold_call(req.this_dn, req.conn_id, now=now), now, session, req)

    def _on_retrieve_call(self, session: Session, req: RequestRetrieveCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.retrieve_call(req.this_dn, req.conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_attach_user_data(
        self, session: Session, req: RequestAttachUserData, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.attach_user_data(req.this_dn, req.conn_id, req.user_data, now=now)
        self._publish(events, now, session, req)

    def _on_update_user_data(
        self, session: Session, req: RequestUpdateUserData, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.update_user_data(req.this_dn, req.conn_id, req.user_data, now=now)
        self._publish(events, now, session, req)

    def _on_delete_user_data(
        self, session: Session, req: RequestDeleteUserData, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.delete_user_data(req.this_dn, req.conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_delete_pair(self, session: Session, req: RequestDeletePair, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.delete_pair(req.this_dn, req.conn_id, req.data_key, now=now)
        self._publish(events, now, session, req)

    def _on_agent_login(self, session: Session, req: RequestAgentLogin, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.agent_login(
            req.this_dn,
            req.agent_id,
            now=now,
            password=req.password,
            queue=req.this_queue,
            work_mode=req.agent_work_mode,
            reasons=req.reasons,
        )
        self._publish(events, now, session, req)

    def _on_agent_logout(self, session: Session, req: RequestAgentLogout, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.agent_logout(req.this_dn, now=now, reasons=req.reasons)
        self._publish(events, now, session, req)

    def _on_agent_ready(self, session: Session, req: RequestAgentReady, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.agent_ready(
            req.this_dn, now=now, work_mode=req.agent_work_mode, reasons=req.reasons
        )
        self._publish(events, now, session, req)

    def _on_agent_not_ready(self, session: Session, req: RequestAgentNotReady, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.agent_not_ready(
            req.this_dn, now=now, work_mode=req.agent_work_mode, reasons=req.reasons
        )
        self._publish(events, now, session, req)

    def _on_set_dnd_on(self, session: Session, req: RequestSetDNDOn, now: float) -> None:
        self._require_control(session, req.this_dn)
        self._publish(self.switch.set_dnd(req.this_dn, True, now=now), now, session, req)

    def _on_set_dnd_off(self, session: Session, req: RequestSetDNDOff, now: float) -> None:
        self._require_control(session, req.this_dn)
        self._publish(self.switch.set_dnd(req.this_dn, False, now=now), now, session, req)

    def _on_route_call(self, session: Session, req: RequestRouteCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.route_call(
            req.this_dn, req.conn_id, req.other_dn, now=now, route_type=req.route_type
        )
        self._publish(events, now, session, req)

    def _on_initiate_consultation(
        self,
        session: Session,
        req: RequestInitiateTransfer | RequestInitiateConference,
        now: float,
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.initiate_consultation(
            req.this_dn, req.conn_id, req.other_dn, now=now, user_data=req.user_data
        )
        self._publish(events, now, session, req)

    def _on_complete_transfer(
        self, session: Session, req: RequestCompleteTransfer, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.complete_transfer(
            req.this_dn, req.conn_id, req.transfer_conn_id, now=now
        )
        self._publish(events, now, session, req)

    def _on_complete_conference(
        self, session: Session, req: RequestCompleteConference, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.complete_conference(
            req.this_dn, req.conn_id, req.transfer_conn_id, now=now
        )
        self._publish(events, now, session, req)

    def _on_delete_from_conference(
        self, session: Session, req: RequestDeleteFromConference, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.delete_from_conference(req.this_dn, req.conn_id, req.other_dn, now=now)
        self._publish(events, now, session, req)

    def _on_single_step_transfer(
        self, session: Session, req: RequestSingleStepTransfer, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.single_step_transfer(req.this_dn, req.conn_id, req.other_dn, now=now)
        self._publish(events, now, session, req)

    def _on_mute_transfer(self, session: Session, req: RequestMuteTransfer, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.mute_transfer(
            req.this_dn, req.conn_id, req.other_dn, now=now, user_data=req.user_data
        )
        self._publish(events, now, session, req)

    def _on_alternate_call(self, session: Session, req: RequestAlternateCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.alternate_call(req.this_dn, req.conn_id, req.previous_conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_reconnect_call(self, session: Session, req: RequestReconnectCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.reconnect_call(req.this_dn, req.conn_id, req.previous_conn_id, now=now)
        self._publish(events, now, session, req)

    def _on_apply_treatment(self, session: Session, req: RequestApplyTreatment, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.apply_treatment(
            req.this_dn, req.conn_id, req.treatment_type, now=now, parms=req.treatment_parms
        )
        self._publish(events, now, session, req)

    def _on_give_treatment(
        self,
        session: Session,
        req: RequestGiveMusicTreatment | RequestGiveSilenceTreatment | RequestGiveRingBackTreatment,
        now: float,
    ) -> None:
        """The older Give*Treatment requests: ApplyTreatment with a fixed TreatmentType."""
        self._require_control(session, req.this_dn)
        treatment = {
            RequestGiveMusicTreatment: TreatmentType.Music,
            RequestGiveSilenceTreatment: TreatmentType.Silence,
            RequestGiveRingBackTreatment: TreatmentType.RingBack,
        }[type(req)]
        pairs: list[tuple[str, str | int]] = []
        if req.timeout is not None:
            pairs.append(("Duration", req.timeout))
        if isinstance(req, RequestGiveMusicTreatment) and req.music_path is not None:
            pairs.append(("MusicPath", req.music_path))
        events = self.switch.apply_treatment(
            req.this_dn, req.conn_id, treatment, now=now, parms=KVList(pairs) if pairs else None
        )
        self._publish(events, now, session, req)

    def _on_merge_calls(self, session: Session, req: RequestMergeCalls, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.merge_calls(
            req.this_dn, req.conn_id, req.transfer_conn_id, req.merge_type, now=now
        )
        self._publish(events, now, session, req)

    def _on_forward_set(self, session: Session, req: RequestCallForwardSet, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.set_forward(req.this_dn, req.other_dn, req.forward_mode, now=now)
        self._publish(events, now, session, req)

    def _on_forward_cancel(
        self, session: Session, req: RequestCallForwardCancel, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.cancel_forward(req.this_dn, req.forward_mode, now=now)
        self._publish(events, now, session, req)

    def _on_single_step_conference(
        self, session: Session, req: RequestSingleStepConference, now: float
    ) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.single_step_conference(req.this_dn, req.conn_id, req.other_dn, now=now)
        self._publish(events, now, session, req)

    def _on_clear_call(self, session: Session, req: RequestClearCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        self._publish(self.switch.clear_call(req.this_dn, req.conn_id, now=now), now, session, req)

    def _on_redirect_call(self, session: Session, req: RequestRedirectCall, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.redirect_call(req.this_dn, req.conn_id, req.other_dn, now=now)
        self._publish(events, now, session, req)

    def _on_send_dtmf(self, session: Session, req: RequestSendDTMF, now: float) -> None:
        self._require_control(session, req.this_dn)
        events = self.switch.send_dtmf(req.this_dn, req.conn_id, req.dtmf_digits, now=now)
        self._publish(events, now, session, req)

    def _on_query_address(self, session: Session, req: RequestQueryAddress, now: float) -> None:
        """EventAddressInfo, to the requester only; any configured DN may be asked about."""
        dn = req.this_dn
        if not self.switch.has_dn(dn):
            raise _Refusal(ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn)
        kind = req.address_info_type
        agent = self.switch.agent_at(dn)
        status: int
        if kind is AddressInfoType.AddressStatus:
            status = int(self.switch.dn_status(dn))
        elif kind is AddressInfoType.AddressType:
            status = int(self.switch.address_type(dn))
        elif kind is AddressInfoType.AgentStatus:
            status = int(agent.work_mode or AgentWorkMode.Unknown) if agent else 0
        elif kind in (
            AddressInfoType.NumberOfAgentsInQueue,
            AddressInfoType.NumberOfAvailableAgentsInQueue,
        ):
            logged, free = self.switch.agents_in_queue(dn)
            status = logged if kind is AddressInfoType.NumberOfAgentsInQueue else free
        elif kind is AddressInfoType.NumberOfCallsInQueue:
            status = len(self.switch.waiting(dn))
        elif kind is AddressInfoType.CallsQuery:
            calls = self.switch.calls_at(dn)
            status = len(calls)
        else:
            raise _Refusal(
                ErrorCode.UnsupportedOperation,
                f"AddressInfoType {kind.name} is not supported yet",
                this_dn=dn,
            )
        extensions = KVList(
            [("conn-id", str(c.conn_id)) for c in self.switch.calls_at(dn)]
            + ([("agent-id", agent.agent_id), ("agent-state", agent.state.value)] if agent else [])
        )
        info = EventAddressInfo(
            reference_id=req.reference_id,
            this_dn=dn,
            address_info_type=kind,
            address_info_status=status,
            agent_id=agent.agent_id if agent else None,
            this_queue=agent.queue if agent else None,
            extensions=extensions,
        )
        self._deliver_to(session, self._stamp(info, now))

    def _on_query_call(self, session: Session, req: RequestQueryCall, now: float) -> None:
        """EventPartyInfo, to the requester only: the call and, in Extensions, its parties."""
        call = self.switch.call(req.conn_id)
        if call is None or call.party_at(req.this_dn) is None:
            raise _Refusal(
                ErrorCode.InvalidConnID,
                f"no call {req.conn_id} at {req.this_dn}",
                this_dn=req.this_dn,
            )
        parties = KVList(
            (
                "party",
                KVList([("dn", p.dn), ("role", p.role.name), ("state", p.state.value)]),
            )
            for p in call.parties
            if p.state is not PartyState.Released
        )
        info = EventPartyInfo(
            reference_id=req.reference_id,
            this_dn=req.this_dn,
            conn_id=call.conn_id,
            call_id=call.call_id,
            call_type=call.call_type,
            call_info_type=req.call_info_type,
            ani=call.ani,
            dnis=call.dnis,
            user_data=call.user_data,
            call_uuid=call.call_uuid,
            extensions=KVList([("parties", parties)]),
        )
        self._deliver_to(session, self._stamp(info, now))

    # ----------------------------------------------------------------------------------------
    # Time

    def next_deadline(self) -> float | None:
        """When `advance` next has work (a switch timer or a driver report), or None."""
        deadlines = [self.switch.next_deadline()]
        deadlines += [driver.next_deadline() for driver in self._unique_drivers()]
        due = [d for d in deadlines if d is not None]
        return min(due) if due else None

    def advance(self, now: float) -> set[Session]:
        """Fire the switch's due timers and feed it the drivers' reports; deliver the events
        they cause. Returns the woken sessions."""
        self._woken = set()
        events = self.switch.advance(now)
        for driver in self._unique_drivers():
            for report in driver.advance(now):
                events += self.switch.on_trunk_report(report, now)
        self._dispatch_commands(now)
        if events:
            self._publish(events, now, None, None)
        return self._woken

    def _unique_drivers(self) -> list[TrunkDriver]:
        unique: dict[int, TrunkDriver] = {}
        for driver in self.drivers.values():
            unique.setdefault(id(driver), driver)
        return list(unique.values())

    def _dispatch_commands(self, now: float) -> None:
        """Hand the switch's trunk commands to the drivers of their trunk groups."""
        for command in self.switch.take_commands():
            driver = self.drivers.get(command.trunk_group)
            if driver is None:
                log.error("no driver for trunk group %r: %r dropped", command.trunk_group, command)
                continue
            driver.command(command, now)

    # ----------------------------------------------------------------------------------------
    # Output

    def _capability_mask(self) -> bytes:
        """T-Library's TMask: bit (n % 8) of byte n // 8 set for each request type handled."""
        mask = bytearray(64)
        for request_type in self._handlers:
            n = int(request_type.MESSAGE_TYPE)
            if n < 512:
                mask[n // 8] |= 1 << (n % 8)
        return bytes(mask)

    def _require_control(self, session: Session, dn: str) -> None:
        mode = session.registrations.get(dn)
        if mode is None:
            if not self.switch.has_dn(dn):
                raise _Refusal(
                    ErrorCode.DNNotConfigured, f"DN {dn!r} is not configured", this_dn=dn
                )
            raise _Refusal(
                ErrorCode.NotRegistered, f"register {dn} before controlling it", this_dn=dn
            )
        if mode is RegisterMode.Monitor:
            raise _Refusal(ErrorCode.MonitorOnly, f"{dn} is registered in Monitor mode", this_dn=dn)

    def _stamp(self, event: Event, now: float) -> Event:
        self._sequence += 1
        micros = round(now * 1_000_000)
        secs, usecs = divmod(micros, 1_000_000)
        return dataclasses.replace(
            event, event_sequence_number=self._sequence, time_in_secs=secs, time_in_usecs=usecs
        )

    def _publish(
        self,
        events: Iterable[Event],
        now: float,
        requester: Session | None,
        request: Request | None,
    ) -> None:
        """Stamp each event once and deliver it to every session registered on its ThisDN; the
        first event at the requesting DN carries the request's ReferenceID, for the requester."""
        answered = request is None or request.reference_id is None
        request_dn = getattr(request, "this_dn", None)
        for event in events:
            stamped = self._stamp(event, now)
            dn = getattr(stamped, "this_dn", None)
            holders = self._registered.get(dn, {}) if dn is not None else {}
            shared: bytes | None = None
            for sid in holders:
                session = self.sessions[sid]
                if not answered and session is requester and dn == request_dn:
                    assert request is not None
                    answered = True
                    session.send(
                        encode(dataclasses.replace(stamped, reference_id=request.reference_id))
                    )
                else:
                    if shared is None:
                        shared = encode(stamped)
                    session.send(shared)
                self._woken.add(session)
        if not answered and requester is not None and request is not None:
            # nothing the request caused happened at its DN yet: acknowledge it
            ack = EventACK(reference_id=request.reference_id)
            self._deliver_to(requester, self._stamp(ack, now))

    def _deliver_to(self, session: Session, event: Message) -> None:
        session.send(encode(event))
        self._woken.add(session)

    def _error(
        self,
        session: Session,
        code: ErrorCode,
        message: str,
        reference_id: int | None,
        now: float,
        *,
        this_dn: str | None = None,
        conn_id: ConnID | None = None,
    ) -> None:
        event = EventError(
            reference_id=reference_id,
            error_code=int(code),
            error_message=message,
            this_dn=this_dn,
            conn_id=conn_id,
        )
        self._deliver_to(session, self._stamp(event, now))

    def _close(self, session: Session, reason: str) -> None:
        session.closing = True
        session.close_reason = reason
        self._woken.add(session)


def _major_version(text: str) -> int | None:
    major, _, _minor = text.partition(".")
    return int(major) if major.isdigit() else None
