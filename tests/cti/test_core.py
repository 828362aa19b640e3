"""The T-Server core without sockets: handshake, registration, delivery, ReferenceID routing,
errors. Bytes go in through `receive_data` with `now` passed in; frames come out of sessions."""

from __future__ import annotations

import struct

import pytest

from cti.server.core import ServerIdentity, Session, TServerCore
from protocol.codec import decode, encode
from protocol.enums import RegisterMode
from protocol.errors import ErrorCode
from protocol.framer import Framer
from protocol.messages import (
    Event,
    EventDialing,
    EventError,
    EventEstablished,
    EventRegistered,
    EventReleased,
    EventRinging,
    EventServerInfo,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import KVList
from switch import Switch, SwitchConfig

NOW = 1_700_000_000.25


@pytest.fixture
def core() -> TServerCore:
    from switch.config import AgentConfig, RoutingPointConfig

    switch = Switch(
        SwitchConfig(
            extensions=("1001", "1002", "1003"),
            agents=(AgentConfig("agent1"),),
            routing_points=(RoutingPointConfig("5001", default_destination="1003"),),
        ),
        id_seed=1,
    )
    return TServerCore(switch, ServerIdentity("ctiemu", "ctiemu test", 1_700_000_000.0))


def send(core: TServerCore, session: Session, *messages: Message | bytes) -> None:
    data = b"".join(m if isinstance(m, bytes) else encode(m) for m in messages)
    core.receive_data(session, data, NOW)


def received(session: Session) -> list[Event]:
    framer = Framer()
    framer.receive_data(session.take_output())
    events = [decode(f) for f in framer.frames()]
    assert all(isinstance(e, Event) for e in events)
    return events  # type: ignore[return-value]


def client(core: TServerCore, *dns: str, mode: RegisterMode = RegisterMode.Share) -> Session:
    session = core.open_session()
    send(
        core,
        session,
        RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="t"),
    )
    for i, dn in enumerate(dns):
        send(
            core,
            session,
            RequestRegisterAddress(reference_id=100 + i, this_dn=dn, register_mode=mode),
        )
    received(session)
    return session


def test_handshake_answers_server_info(core: TServerCore) -> None:
    s = core.open_session()
    send(
        core,
        s,
        RequestRegisterClient(reference_id=5, protocol_version="1.7", application_name="desk"),
    )
    [info] = received(s)
    assert isinstance(info, EventServerInfo)
    assert info.reference_id == 5
    assert (info.protocol_version, info.application_name) == ("1.0", "ctiemu")
    assert info.server_start_time == 1_700_000_000
    assert info.event_sequence_number == 1
    assert (info.time_in_secs, info.time_in_usecs) == (1_700_000_000, 250_000)
    assert not s.closing


def test_unsupported_major_version_gets_error_and_close(core: TServerCore) -> None:
    s = core.open_session()
    send(
        core,
        s,
        RequestRegisterClient(reference_id=5, protocol_version="2.0", application_name="desk"),
    )
    [err] = received(s)
    assert isinstance(err, EventError)
    assert (err.error_code, err.reference_id) == (ErrorCode.ProtocolVersion, 5)
    assert s.closing


def test_requests_before_handshake_are_refused(core: TServerCore) -> None:
    s = core.open_session()
    send(core, s, RequestRegisterAddress(reference_id=3, this_dn="1001"))
    [err] = received(s)
    assert isinstance(err, EventError)
    assert (err.error_code, err.reference_id) == (ErrorCode.ClientNotRegistered, 3)
    assert not s.closing


def test_basic_call_delivery_and_reference_ids(core: TServerCore) -> None:
    a = client(core, "1001")
    b = client(core, "1002")
    watcher = client(core, "1001", "1002", mode=RegisterMode.Monitor)

    send(core, a, RequestMakeCall(reference_id=7, this_dn="1001", other_dn="1002"))
    [dialing] = received(a)
    [ringing] = received(b)
    assert isinstance(dialing, EventDialing) and dialing.reference_id == 7
    assert isinstance(ringing, EventRinging) and ringing.reference_id is None
    conn = dialing.conn_id
    seen = received(watcher)
    assert [type(e) for e in seen] == [EventDialing, EventRinging]
    assert all(e.reference_id is None for e in seen)  # other clients' ReferenceIDs stay private
    assert seen[0].event_sequence_number is not None
    assert seen[1].event_sequence_number == seen[0].event_sequence_number + 1

    send(core, b, RequestAnswerCall(reference_id=8, this_dn="1002", conn_id=conn))
    [est_b] = received(b)
    [est_a] = received(a)
    assert isinstance(est_b, EventEstablished) and est_b.reference_id == 8
    assert isinstance(est_a, EventEstablished) and est_a.reference_id is None

    send(core, a, RequestReleaseCall(reference_id=9, this_dn="1001", conn_id=conn))
    [rel_a] = received(a)
    [rel_b] = received(b)
    assert isinstance(rel_a, EventReleased) and rel_a.reference_id == 9
    assert isinstance(rel_b, EventReleased) and rel_b.reference_id is None
    assert [type(e) for e in received(watcher)] == [
        EventEstablished,
        EventEstablished,
        EventReleased,
        EventReleased,
    ]


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (RequestMakeCall(reference_id=4, this_dn="1002", other_dn="1001"), ErrorCode.NotRegistered),
        (
            RequestMakeCall(reference_id=4, this_dn="7777", other_dn="1001"),
            ErrorCode.DNNotConfigured,
        ),
        (
            RequestMakeCall(reference_id=4, this_dn="1001", other_dn="7777"),
            ErrorCode.DNNotConfigured,
        ),
        (RequestAnswerCall(reference_id=4, this_dn="1001", conn_id=12345), ErrorCode.InvalidConnID),
        (RequestRegisterAddress(reference_id=4, this_dn="7777"), ErrorCode.DNNotConfigured),
        (
            RequestRegisterClient(reference_id=4, protocol_version="1.0", application_name="x"),
            ErrorCode.InvalidState,
        ),
    ],
)
def test_bad_requests_get_event_error(
    core: TServerCore, request_: Message, code: ErrorCode
) -> None:
    s = client(core, "1001")
    send(core, s, request_)
    [err] = received(s)
    assert isinstance(err, EventError)
    assert (err.error_code, err.reference_id) == (code, 4)
    assert err.error_message
    assert not s.closing


def test_monitor_mode_cannot_control(core: TServerCore) -> None:
    s = client(core, "1001", mode=RegisterMode.Monitor)
    send(core, s, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="1002"))
    [err] = received(s)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.MonitorOnly


def test_private_registration_is_exclusive(core: TServerCore) -> None:
    owner = client(core, "1001", mode=RegisterMode.Private)
    other = client(core)
    send(core, other, RequestRegisterAddress(reference_id=4, this_dn="1001"))
    [err] = received(other)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.ResourceSeized
    core.close_session(owner)
    send(core, other, RequestRegisterAddress(reference_id=5, this_dn="1001"))
    [ok] = received(other)
    assert isinstance(ok, EventRegistered) and ok.reference_id == 5


def test_closed_sessions_stop_receiving(core: TServerCore) -> None:
    a = client(core, "1001")
    b = client(core, "1002")
    core.close_session(b)
    send(core, a, RequestMakeCall(reference_id=7, this_dn="1001", other_dn="1002"))
    assert [type(e) for e in received(a)] == [EventDialing]
    assert core.registered_sessions("1002") == []


def test_unknown_message_type_keeps_the_connection(core: TServerCore) -> None:
    s = client(core, "1001")
    ref = struct.pack(">HBIq", 2, 1, 8, 31)
    send(
        core,
        s,
        struct.pack(">2sHI", b"CT", 999, len(ref)) + ref,
        RequestMakeCall(reference_id=32, this_dn="1001", other_dn="1002"),
    )
    err, dialing = received(s)
    assert isinstance(err, EventError)
    assert (err.error_code, err.reference_id) == (ErrorCode.UnsupportedOperation, 31)
    assert isinstance(dialing, EventDialing) and dialing.reference_id == 32


def test_events_sent_by_a_client_are_refused(core: TServerCore) -> None:
    s = client(core, "1001")
    from tests.protocol.samples import make

    send(core, s, make(EventRegistered, reference_id=3, this_dn="1001"))
    [err] = received(s)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.UnsupportedOperation


def test_an_event_sent_by_a_client_is_51_whatever_its_content(core: TServerCore) -> None:
    """Decided from the header: an event missing its mandatory attributes is still 51, not
    53, and so is a catalogued request the server does not carry out (docs/protocol.md)."""
    s = client(core, "1001")
    ref = struct.pack(">HBIq", 2, 1, 8, 9)  # only a ReferenceID: ThisDN etc. are missing
    for message_type in (EventRinging.MESSAGE_TYPE, 15):  # 15: RequestMakePredictiveCall
        send(core, s, struct.pack(">2sHI", b"CT", message_type, len(ref)) + ref)
        [err] = received(s)
        assert isinstance(err, EventError)
        assert (err.error_code, err.reference_id) == (ErrorCode.UnsupportedOperation, 9)
        assert "is not supported by this server" in (err.error_message or "")
    assert not s.closing


def test_malformed_frame_gets_error_and_connection_survives(core: TServerCore) -> None:
    s = client(core, "1001")
    body = struct.pack(">HBI", 20, 2, 2) + b"\xff\xfe" + struct.pack(">HBIq", 2, 1, 8, 44)
    send(core, s, struct.pack(">2sHI", b"CT", 14, len(body)) + body)
    [err] = received(s)
    assert isinstance(err, EventError)
    assert err.error_code == ErrorCode.MalformedMessage and err.reference_id == 44
    assert "ThisDN" in (err.error_message or "") and "offset" in (err.error_message or "")
    assert not s.closing


def test_garbage_closes_only_that_session(core: TServerCore) -> None:
    good = client(core, "1001")
    bad = client(core, "1002")
    send(core, bad, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    [err] = received(bad)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.FramingError
    assert bad.closing
    send(core, bad, RequestMakeCall(reference_id=1, this_dn="1002", other_dn="1001"))
    assert received(bad) == []  # nothing more is read from a closing session
    send(core, good, RequestMakeCall(reference_id=2, this_dn="1001", other_dn="1003"))
    assert [type(e) for e in received(good)] == [EventDialing]


def test_oversized_frame_closes(core: TServerCore) -> None:
    s = client(core, "1001")
    send(core, s, struct.pack(">2sHI", b"CT", 14, 10 << 20))
    [err] = received(s)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.FrameTooLarge
    assert s.closing


def test_catalogue_answers_match_what_the_core_sends(core: TServerCore) -> None:
    """docs/protocol.md says which event answers each request; check the core does that for
    every request it carries out."""
    from protocol.enums import AddressInfoType, ForwardMode, MergeType, TreatmentType
    from protocol.messages import (
        RequestAgentLogin,
        RequestAgentLogout,
        RequestAgentNotReady,
        RequestAgentReady,
        RequestAlternateCall,
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
        RequestDistributeUserEvent,
        RequestGiveMusicTreatment,
        RequestGiveRingBackTreatment,
        RequestGiveSilenceTreatment,
        RequestHoldCall,
        RequestInitiateConference,
        RequestInitiateTransfer,
        RequestMergeCalls,
        RequestMuteTransfer,
        RequestPrivateService,
        RequestQueryAddress,
        RequestQueryCall,
        RequestQueryServer,
        RequestReconnectCall,
        RequestRedirectCall,
        RequestRegisterAll,
        RequestRetrieveCall,
        RequestRouteCall,
        RequestSendDTMF,
        RequestSetDNDOff,
        RequestSetDNDOn,
        RequestSetInputMask,
        RequestSingleStepConference,
        RequestSingleStepTransfer,
        RequestUnregisterAddress,
        RequestUnregisterAll,
        RequestUpdateUserData,
    )
    from protocol.values import KVList

    a = core.open_session()
    b = client(core, "1002")
    answers: dict[type[Message], Event] = {}

    def ask(session: Session, request_: Message) -> Event:
        send(core, session, request_)
        [answer] = [e for e in received(session) if e.reference_id == request_.reference_id]
        answers[type(request_)] = answer
        return answer

    ask(a, RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="t"))
    ask(a, RequestRegisterAddress(reference_id=2, this_dn="1001"))
    ask(a, RequestSetDNDOn(reference_id=3, this_dn="1001"))
    ask(a, RequestSetDNDOff(reference_id=4, this_dn="1001"))
    ask(a, RequestAgentLogin(reference_id=5, this_dn="1001", agent_id="agent1"))
    ask(a, RequestAgentReady(reference_id=6, this_dn="1001"))
    ask(a, RequestAgentNotReady(reference_id=7, this_dn="1001"))
    ask(a, RequestAgentLogout(reference_id=8, this_dn="1001"))
    conn = ask(a, RequestMakeCall(reference_id=9, this_dn="1001", other_dn="1002")).conn_id  # type: ignore[attr-defined]
    received(b)
    ask(b, RequestAnswerCall(reference_id=10, this_dn="1002", conn_id=conn))
    ask(a, RequestHoldCall(reference_id=11, this_dn="1001", conn_id=conn))
    ask(a, RequestRetrieveCall(reference_id=12, this_dn="1001", conn_id=conn))
    data = KVList([("k", "v")])
    ask(a, RequestAttachUserData(reference_id=13, this_dn="1001", conn_id=conn, user_data=data))
    ask(a, RequestUpdateUserData(reference_id=14, this_dn="1001", conn_id=conn, user_data=data))
    ask(a, RequestDeletePair(reference_id=15, this_dn="1001", conn_id=conn, data_key="k"))
    ask(a, RequestDeleteUserData(reference_id=16, this_dn="1001", conn_id=conn))
    ask(a, RequestReleaseCall(reference_id=17, this_dn="1001", conn_id=conn))
    # consultation, alternate, reconnect, transfers and a conference between 1001, 1002, 1003
    c = client(core, "1003")
    conn = ask(a, RequestMakeCall(reference_id=20, this_dn="1001", other_dn="1002")).conn_id  # type: ignore[attr-defined]
    received(b)
    send(core, b, RequestAnswerCall(reference_id=21, this_dn="1002", conn_id=conn))
    received(a), received(b)
    ask(b, RequestInitiateTransfer(reference_id=22, this_dn="1002", conn_id=conn, other_dn="1003"))
    consult_id = received(c)[0].conn_id  # type: ignore[attr-defined]
    send(core, c, RequestAnswerCall(reference_id=23, this_dn="1003", conn_id=consult_id))
    received(b), received(c)
    ask(
        b,
        RequestAlternateCall(
            reference_id=24, this_dn="1002", conn_id=consult_id, previous_conn_id=conn
        ),
    )
    ask(
        b,
        RequestAlternateCall(
            reference_id=25, this_dn="1002", conn_id=conn, previous_conn_id=consult_id
        ),
    )
    ask(
        b,
        RequestCompleteTransfer(
            reference_id=26, this_dn="1002", conn_id=conn, transfer_conn_id=consult_id
        ),
    )
    received(a), received(c)
    # now 1001 - 1003 on conn: 1003 consults 1002 and reconnects, then conferences
    ask(
        c, RequestInitiateConference(reference_id=27, this_dn="1003", conn_id=conn, other_dn="1002")
    )
    consult_id = received(b)[0].conn_id  # type: ignore[attr-defined]
    ask(
        c,
        RequestReconnectCall(
            reference_id=28, this_dn="1003", conn_id=consult_id, previous_conn_id=conn
        ),
    )
    received(b)
    ask(
        c, RequestInitiateConference(reference_id=29, this_dn="1003", conn_id=conn, other_dn="1002")
    )
    consult_id = received(b)[0].conn_id  # type: ignore[attr-defined]
    send(core, b, RequestAnswerCall(reference_id=30, this_dn="1002", conn_id=consult_id))
    received(b), received(c)
    ask(
        c,
        RequestCompleteConference(
            reference_id=31, this_dn="1003", conn_id=conn, transfer_conn_id=consult_id
        ),
    )
    ask(
        c,
        RequestDeleteFromConference(reference_id=32, this_dn="1003", conn_id=conn, other_dn="1002"),
    )
    ask(
        c, RequestSingleStepTransfer(reference_id=33, this_dn="1003", conn_id=conn, other_dn="1002")
    )
    received(a), received(b)
    send(core, b, RequestAnswerCall(reference_id=34, this_dn="1002", conn_id=conn))
    received(a), received(b)
    ask(b, RequestMuteTransfer(reference_id=35, this_dn="1002", conn_id=conn, other_dn="1003"))
    send(core, a, RequestReleaseCall(reference_id=36, this_dn="1001", conn_id=conn))
    received(a), received(b), received(c)
    # redirect, DTMF, queries, clear
    conn = ask(a, RequestMakeCall(reference_id=40, this_dn="1001", other_dn="1002")).conn_id  # type: ignore[attr-defined]
    received(b)
    ask(b, RequestRedirectCall(reference_id=41, this_dn="1002", conn_id=conn, other_dn="1003"))
    received(a), received(c)
    send(core, c, RequestAnswerCall(reference_id=42, this_dn="1003", conn_id=conn))
    received(a), received(c)
    ask(a, RequestSendDTMF(reference_id=43, this_dn="1001", conn_id=conn, dtmf_digits="12"))
    ask(
        a,
        RequestQueryAddress(
            reference_id=44, this_dn="1003", address_info_type=AddressInfoType.AddressStatus
        ),
    )
    ask(a, RequestQueryCall(reference_id=45, this_dn="1001", conn_id=conn, call_info_type=0))
    ask(a, RequestClearCall(reference_id=46, this_dn="1001", conn_id=conn))
    received(c)
    ask(
        c,
        RequestCallForwardSet(
            reference_id=47, this_dn="1003", other_dn="1002", forward_mode=ForwardMode.Unconditional
        ),
    )
    ask(
        c,
        RequestCallForwardCancel(
            reference_id=48, this_dn="1003", forward_mode=ForwardMode.Unconditional
        ),
    )
    # two independent calls at 1002, merged as a transfer
    first = ask(b, RequestMakeCall(reference_id=60, this_dn="1002", other_dn="1001")).conn_id  # type: ignore[attr-defined]
    send(core, a, RequestAnswerCall(reference_id=61, this_dn="1001", conn_id=first))
    send(core, b, RequestHoldCall(reference_id=62, this_dn="1002", conn_id=first))
    second = ask(b, RequestMakeCall(reference_id=63, this_dn="1002", other_dn="1003")).conn_id  # type: ignore[attr-defined]
    ask(
        b,
        RequestMergeCalls(
            reference_id=64,
            this_dn="1002",
            conn_id=first,
            transfer_conn_id=second,
            merge_type=MergeType.ForTransfer,
        ),
    )
    received(a), received(b), received(c)
    send(core, c, RequestAnswerCall(reference_id=67, this_dn="1003", conn_id=first))
    received(a), received(c)
    # 1001 and 1003 talk on `first`; 1003 adds 1002 in one step: EventACK, then 1002 rings
    ask(
        c,
        RequestSingleStepConference(
            reference_id=66, this_dn="1003", conn_id=first, other_dn="1002"
        ),
    )
    assert [type(e).__name__ for e in received(b)] == ["EventRinging"]
    send(core, a, RequestReleaseCall(reference_id=65, this_dn="1001", conn_id=first))
    received(a), received(b), received(c)
    router = client(core, "5001")
    send(core, a, RequestMakeCall(reference_id=18, this_dn="1001", other_dn="5001"))
    [request_] = [e for e in received(router) if e.MESSAGE_TYPE == 71]  # EventRouteRequest
    waiting = request_.conn_id  # type: ignore[attr-defined]
    music = TreatmentType.Music
    ask(
        router,
        RequestApplyTreatment(
            reference_id=50, this_dn="5001", conn_id=waiting, treatment_type=music
        ),
    )
    ask(
        router,
        RequestGiveMusicTreatment(reference_id=51, this_dn="5001", conn_id=waiting, timeout=3),
    )
    ask(router, RequestGiveSilenceTreatment(reference_id=52, this_dn="5001", conn_id=waiting))
    ask(router, RequestGiveRingBackTreatment(reference_id=53, this_dn="5001", conn_id=waiting))
    ask(
        router,
        RequestRouteCall(
            reference_id=19,
            this_dn="5001",
            conn_id=request_.conn_id,  # type: ignore[attr-defined]
            other_dn="1002",
        ),
    )
    # the service requests
    ask(router, RequestQueryServer(reference_id=70))
    ask(router, RequestRegisterAll(reference_id=71))
    ask(router, RequestUnregisterAll(reference_id=72))
    ask(router, RequestSetInputMask(reference_id=73, input_mask=b""))
    ask(router, RequestDistributeUserEvent(reference_id=74, this_dn="1002", user_event=1))
    ask(router, RequestPrivateService(reference_id=75, this_dn="", private_msg_id=9010))
    ask(router, RequestUnregisterAddress(reference_id=76, this_dn="5001"))
    assert set(answers) == core.handled_requests
    for cls, answer in answers.items():
        assert answer.MESSAGE_TYPE == cls.ANSWER, cls.__name__


def test_protocol_md_names_the_handled_requests(core: TServerCore) -> None:
    """docs/protocol.md's status line lists exactly the requests the core carries out."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    status = text.split("Requests this server carries out today:", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"Request\w+", status)) == {c.__name__ for c in core.handled_requests}


def test_query_address_and_query_call(core: TServerCore) -> None:
    from protocol.enums import AddressInfoType, AddressStatus
    from protocol.messages import (
        EventAddressInfo,
        EventPartyInfo,
        RequestQueryAddress,
        RequestQueryCall,
    )

    a = client(core, "1001")
    watcher = client(core, "1002", mode=RegisterMode.Monitor)
    send(core, a, RequestMakeCall(reference_id=7, this_dn="1001", other_dn="1002"))
    [dialing] = received(a)
    received(watcher)
    send(
        core,
        a,
        RequestQueryAddress(
            reference_id=8, this_dn="1002", address_info_type=AddressInfoType.AddressStatus
        ),
    )
    [info] = received(a)
    assert isinstance(info, EventAddressInfo) and info.reference_id == 8
    assert info.address_info_status == AddressStatus.Ringing
    assert received(watcher) == []  # the answer goes to the requester only
    send(
        core,
        a,
        RequestQueryCall(reference_id=9, this_dn="1001", conn_id=dialing.conn_id, call_info_type=0),
    )  # type: ignore[attr-defined]
    [party_info] = received(a)
    assert isinstance(party_info, EventPartyInfo) and party_info.reference_id == 9
    assert party_info.extensions is not None
    parties = party_info.extensions.get("parties")
    assert isinstance(parties, KVList)
    assert [p.get("dn") for _, p in parties] == ["1001", "1002"]  # type: ignore[union-attr]
    send(
        core,
        a,
        RequestQueryAddress(
            reference_id=10, this_dn="1002", address_info_type=AddressInfoType.QueueStatus
        ),
    )
    [err] = received(a)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.UnsupportedOperation


def test_unsupported_make_call_type_is_refused(core: TServerCore) -> None:
    from protocol.enums import MakeCallType

    a = client(core, "1001")
    send(
        core,
        a,
        RequestMakeCall(
            reference_id=7,
            this_dn="1001",
            other_dn="1002",
            make_call_type=MakeCallType.SupervisorAssist,
        ),
    )
    [err] = received(a)
    assert isinstance(err, EventError) and err.error_code == ErrorCode.UnsupportedOperation
    assert core.switch.calls == []


def test_a_router_rejects_a_call_with_route_type_call_disconnect(core: TServerCore) -> None:
    """RequestRouteCall with RouteType CallDisconnect (OtherDN empty: the catalogue requires the
    attribute) ends the call: the router gets EventRouteUsed (its ReferenceID), the caller
    EventReleased."""
    from protocol.enums import RouteType
    from protocol.messages import EventReleased, EventRouteUsed, RequestMakeCall, RequestRouteCall

    caller, router = client(core, "1001"), client(core, "5001")
    send(core, caller, RequestMakeCall(reference_id=2, this_dn="1001", other_dn="5001"))
    [request_] = [e for e in received(router) if e.MESSAGE_TYPE == 71]  # EventRouteRequest
    received(caller)
    conn = request_.conn_id  # type: ignore[attr-defined]
    reject = RequestRouteCall(
        reference_id=3,
        this_dn="5001",
        conn_id=conn,
        other_dn="",
        route_type=RouteType.CallDisconnect,
    )
    send(core, router, reject)
    [used] = received(router)
    assert isinstance(used, EventRouteUsed) and used.reference_id == 3
    [released] = received(caller)
    assert isinstance(released, EventReleased) and released.conn_id == conn
