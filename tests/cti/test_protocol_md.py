"""What docs/protocol.md's hand-written sections say a client sees, pinned against the core:
the requests carried out, the handshake, EventRegistered, the query answers, the keep-alive
opt-in and how simulation control takes its parameters. When one of these fails, change the
code or the page, in the same commit."""

from __future__ import annotations

import re
from pathlib import Path

from protocol.enums import AddressInfoType, AddressStatus, SimService
from protocol.errors import ErrorCode
from protocol.messages import (
    EventAddressInfo,
    EventError,
    EventPartyInfo,
    EventRegistered,
    EventServerInfo,
    RequestAgentLogin,
    RequestMakeCall,
    RequestQueryAddress,
    RequestQueryCall,
    RequestRegisterAddress,
    RequestRegisterClient,
)
from protocol.values import KVList
from tests.cti.test_service import SIM, connect, make_core, received, send, sim

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")

#: The AddressInfoTypes "Queries" says are answered; every other one gets EventError 51.
SUPPORTED = {
    AddressInfoType.AddressStatus,
    AddressInfoType.AgentStatus,
    AddressInfoType.NumberOfAgentsInQueue,
    AddressInfoType.NumberOfAvailableAgentsInQueue,
    AddressInfoType.NumberOfCallsInQueue,
    AddressInfoType.AddressType,
    AddressInfoType.CallsQuery,
}


def test_the_page_lists_exactly_the_requests_carried_out() -> None:
    paragraph = DOC.split("Requests this server carries out today:")[1].split("\n\n")[0]
    listed = set(re.findall(r"Request\w+", paragraph))
    core = make_core()
    assert listed == {cls.__name__ for cls in core.handled_requests}
    for name in ("Queries", "AddressInfoType"):
        assert name in DOC
    for kind in SUPPORTED:
        assert f"| {kind.name} ({int(kind)}) |" in DOC


def test_the_handshake_answer_carries_the_mask_and_no_extensions() -> None:
    core = make_core()
    s = core.open_session("test", 0.0)
    hello = RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="d")
    send(core, s, hello)
    [info] = received(s)
    assert isinstance(info, EventServerInfo) and info.extensions is None
    mask = info.server_capability_mask
    assert mask is not None and len(mask) == 64
    handled = {n for n in range(512) if mask[n // 8] >> (n % 8) & 1}
    assert handled == {int(cls.MESSAGE_TYPE) for cls in core.handled_requests}
    send(
        core, s, RequestRegisterClient(reference_id=2, protocol_version="1.0", application_name="d")
    )
    [again] = received(s)  # a second RequestRegisterClient: 705, nothing else
    assert isinstance(again, EventError) and again.error_code == ErrorCode.InvalidState
    assert not s.closing


def test_keepalive_is_asked_for_with_any_value() -> None:
    core = make_core()
    s = core.open_session("test", 0.0)
    hello = RequestRegisterClient(
        reference_id=1,
        protocol_version="1.0",
        application_name="d",
        extensions=KVList([("keepalive", "yes")]),
    )
    send(core, s, hello)
    assert s.speaks_keepalive


def test_registered_says_the_status_by_number_and_by_name() -> None:
    core = make_core()
    a = connect(core, "1001")
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="1002"))
    b = connect(core)
    send(core, b, RequestRegisterAddress(reference_id=4, this_dn="1002"))
    [registered] = received(b)
    assert isinstance(registered, EventRegistered)
    assert registered.address_info_type is AddressInfoType.AddressStatus
    assert registered.address_info_status == AddressStatus.Ringing
    assert registered.extensions == KVList([("status", "Ringing")])


def test_query_address_extensions_and_unsupported_types() -> None:
    core = make_core()
    a = connect(core, "1001")
    send(core, a, RequestAgentLogin(reference_id=3, this_dn="1001", agent_id="agent1"))
    send(core, a, RequestMakeCall(reference_id=4, this_dn="1001", other_dn="1002"))
    received(a)
    for kind in AddressInfoType:
        send(core, a, RequestQueryAddress(reference_id=5, this_dn="1001", address_info_type=kind))
        [answer] = received(a)
        if kind not in SUPPORTED:
            assert isinstance(answer, EventError), kind
            assert answer.error_code == ErrorCode.UnsupportedOperation
            continue
        assert isinstance(answer, EventAddressInfo), kind
        assert answer.extensions is not None
        assert [k for k, _ in answer.extensions] == ["conn-id", "agent-id", "agent-state"]
        conn_id = answer.extensions.get("conn-id")
        assert isinstance(conn_id, str) and len(conn_id) == 16
        assert answer.extensions.get("agent-state") in ("ready", "not ready")
        assert answer.agent_id == "agent1"
        if kind is AddressInfoType.CallsQuery:
            assert answer.address_info_status == 1


def test_query_call_answers_alike_whatever_the_call_info_type() -> None:
    core = make_core()
    a = connect(core, "1001")
    send(core, a, RequestMakeCall(reference_id=3, this_dn="1001", other_dn="1002"))
    [dialing] = received(a)
    conn = dialing.conn_id  # type: ignore[attr-defined]
    answers = []
    for info_type in (0, 1, 2, 7):
        query = RequestQueryCall(
            reference_id=4, this_dn="1001", conn_id=conn, call_info_type=info_type
        )
        send(core, a, query)
        [answer] = received(a)
        assert isinstance(answer, EventPartyInfo) and answer.call_info_type == info_type
        answers.append(answer.extensions)
    assert all(extensions == answers[0] for extensions in answers)
    parties = answers[0].get("parties")  # type: ignore[union-attr]
    assert isinstance(parties, KVList)
    assert [key for key, _ in parties] == ["party", "party"]
    first = next(iter(parties))[1]
    assert isinstance(first, KVList)
    assert list(first) == [("dn", "1001"), ("role", "Origination"), ("state", "dialing")]


def test_simulation_control_takes_the_conn_id_attribute_and_typed_parameters() -> None:
    core = make_core()
    s = connect(core, app=SIM)
    answer = sim(core, s, SimService.Answer, ConnID="0000000200000001")  # in UserData: ignored
    assert isinstance(answer, EventError) and answer.error_code == ErrorCode.InvalidConnID
    answer = sim(core, s, SimService.Inbound, ANI="5551234", DNIS="1001", Patience="30")
    assert isinstance(answer, EventError) and answer.error_code == ErrorCode.InvalidAttribute
    assert "Patience" in (answer.error_message or "")
    answer = sim(core, s, SimService.Inbound, ANI="5551234", DNIS="1001", Patience=30)
    assert answer.conn_id is not None and answer.this_dn is None  # type: ignore[attr-defined]
    assert answer.user_data.get("TrunkGroup") == "pstn"  # type: ignore[attr-defined]


def test_a_request_the_catalogue_says_is_not_carried_out_is_not() -> None:
    from protocol.messages import CATALOGUE, Request

    core = make_core()
    said = {
        cls
        for cls in CATALOGUE.values()
        if issubclass(cls, Request) and "Not carried out" in " ".join((cls.__doc__ or "").split())
    }
    assert said and not said & core.handled_requests
