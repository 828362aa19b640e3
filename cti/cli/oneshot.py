"""One-shot agent and call commands of the command line: `ctiemu agent login|ready|notready|
logout`, `answer`, `release`, `hold`, `retrieve`, `transfer`, `conference`, `dtmf`, `attach`.

Each connects to the T-Server, registers the DN in Share mode, sends one request and prints
the event that answers it, then any other event at the DN that arrives within --wait seconds,
one per line as `ctiemu monitor` prints them (JSON lines with --json). An EventError answer is
one line on stderr, `ctiemu: EventError <code> <name>: <message>`, and exit status 1. Where a
command needs a call and --conn is not given, it asks the server for the DN's calls
(RequestQueryAddress, CallsQuery: one ("conn-id", ConnID) pair in Extensions per call) and uses
the only one. Agents stay logged in after the command's connection closes.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio

from cti.capture.present import printer
from cti.cli.common import CommandError, client_options, run_client
from cti.client import TClient, open_client
from protocol.enums import AddressInfoType, AgentWorkMode
from protocol.messages import (
    EventAddressInfo,
    EventPartyInfo,
    Request,
    RequestAgentLogin,
    RequestAgentLogout,
    RequestAgentNotReady,
    RequestAgentReady,
    RequestAnswerCall,
    RequestAttachUserData,
    RequestCompleteConference,
    RequestCompleteTransfer,
    RequestHoldCall,
    RequestInitiateConference,
    RequestInitiateTransfer,
    RequestQueryAddress,
    RequestQueryCall,
    RequestReleaseCall,
    RequestRetrieveCall,
    RequestSendDTMF,
    RequestSingleStepConference,
    RequestSingleStepTransfer,
)
from protocol.values import ConnID, KVList

EXIT_OK = 0

Builder = Callable[[TClient, argparse.Namespace], Awaitable[Request]]


# ------------------------------------------------------------------------------------------------
# Option types


def conn_id(text: str) -> ConnID:
    if not re.fullmatch(r"[0-9a-fA-F]{16}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a ConnID (16 hex digits)")
    return ConnID.parse(text.lower())


def work_mode(text: str) -> AgentWorkMode:
    for mode in AgentWorkMode:
        if mode.name.lower() == text.lower():
            return mode
    names = ", ".join(m.name for m in AgentWorkMode)
    raise argparse.ArgumentTypeError(f"{text!r} is not a work mode ({names})")


def key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def dtmf_digits(text: str) -> str:
    if not re.fullmatch(r"[0-9*#A-Da-d]+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not DTMF digits (0-9 * # A-D)")
    return text


# ------------------------------------------------------------------------------------------------
# Parsers


def add_parsers(commands: Any) -> None:
    """Add the one-shot commands to the `ctiemu` sub-command parser."""

    def one_shot(
        parent: Any, name: str, help_text: str, build: Builder, *, conn: bool = False
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(name, help=help_text)
        sub.add_argument("dn", metavar="DN", help="the DN to act at (registered in Share mode)")
        if conn:
            sub.add_argument(
                "--conn",
                type=conn_id,
                metavar="CONNID",
                help="the call (16 hex digits; default: the DN's only call)",
            )
        sub.add_argument(
            "--wait",
            type=seconds,
            default=0.3,
            metavar="SECONDS",
            help="also print the DN's events arriving this long after the answer (default 0.3)",
        )
        client_options(sub)
        sub.set_defaults(run=partial(run_client, run_one_shot), build=build)
        return sub

    agent = commands.add_parser("agent", help="log an agent in or out, make it ready or not")
    actions = agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    login = one_shot(actions, "login", "log agent AGENT_ID in on DN", _login)
    login.add_argument("agent_id", metavar="AGENT_ID")
    login.add_argument("--password", metavar="P", help="the agent's password")
    login.add_argument("--queue", metavar="Q", help="the ACD queue to log in to")
    login.add_argument("--work-mode", type=work_mode, metavar="MODE", help="e.g. ManualIn")
    ready = one_shot(actions, "ready", "make the agent on DN ready", _ready)
    ready.add_argument("--work-mode", type=work_mode, metavar="MODE", help="e.g. AutoIn")
    notready = one_shot(actions, "notready", "make the agent on DN not ready", _not_ready)
    modes = notready.add_mutually_exclusive_group()
    modes.add_argument("--acw", action="store_true", help="after-call work (AfterCallWork)")
    modes.add_argument("--work-mode", type=work_mode, metavar="MODE", help="e.g. AuxWork")
    notready.add_argument(
        "--reason", metavar="CODE", help='reason code, sent as Reasons ("ReasonCode", CODE)'
    )
    one_shot(actions, "logout", "log the agent on DN out", _logout)

    one_shot(commands, "answer", "answer the call ringing at DN", _call_request, conn=True)
    one_shot(commands, "release", "release DN from a call", _call_request, conn=True)
    one_shot(commands, "hold", "put a call at DN on hold", _call_request, conn=True)
    one_shot(commands, "retrieve", "take a held call at DN back", _call_request, conn=True)
    for name, what in (("transfer", "transfer"), ("conference", "conference")):
        sub = one_shot(
            commands,
            name,
            f"{what} DN's call to TO (single-step unless --two-step or --complete)",
            _consult,
            conn=True,
        )
        sub.add_argument("to", metavar="TO", nargs="?", help="the DN to bring in")
        steps = sub.add_mutually_exclusive_group()
        steps.add_argument(
            "--two-step",
            action="store_true",
            help=f"hold the call and call TO (Initiate{what.title()}); finish with --complete",
        )
        steps.add_argument(
            "--complete",
            action="store_true",
            help=f"complete the pending consultation at DN (Complete{what.title()})",
        )
    dtmf = one_shot(commands, "dtmf", "send DTMF digits on a call at DN", _dtmf, conn=True)
    dtmf.add_argument("digits", metavar="DIGITS", type=dtmf_digits)
    attach = one_shot(commands, "attach", "attach UserData to a call at DN", _attach, conn=True)
    attach.add_argument("pairs", metavar="KEY=VALUE", nargs="+", type=key_value)


# ------------------------------------------------------------------------------------------------
# Requests


async def _login(client: TClient, args: argparse.Namespace) -> Request:
    return RequestAgentLogin(
        this_dn=args.dn,
        agent_id=args.agent_id,
        password=args.password,
        this_queue=args.queue,
        agent_work_mode=args.work_mode,
    )


async def _ready(client: TClient, args: argparse.Namespace) -> Request:
    return RequestAgentReady(this_dn=args.dn, agent_work_mode=args.work_mode)


async def _not_ready(client: TClient, args: argparse.Namespace) -> Request:
    mode = AgentWorkMode.AfterCallWork if args.acw else args.work_mode
    reasons = KVList([("ReasonCode", args.reason)]) if args.reason is not None else None
    return RequestAgentNotReady(this_dn=args.dn, agent_work_mode=mode, reasons=reasons)


async def _logout(client: TClient, args: argparse.Namespace) -> Request:
    return RequestAgentLogout(this_dn=args.dn)


_CALL_REQUESTS = {
    "answer": RequestAnswerCall,
    "release": RequestReleaseCall,
    "hold": RequestHoldCall,
    "retrieve": RequestRetrieveCall,
}


async def _call_request(client: TClient, args: argparse.Namespace) -> Request:
    kind = _CALL_REQUESTS[args.command]
    return kind(this_dn=args.dn, conn_id=await _the_call(client, args))


async def _consult(client: TClient, args: argparse.Namespace) -> Request:
    transfer = args.command == "transfer"
    if args.complete:
        if args.to is not None:
            raise CommandError(f"{args.command} --complete takes no TO")
        held, consult = await _consultation(client, args.dn, args.conn)
        complete = RequestCompleteTransfer if transfer else RequestCompleteConference
        return complete(this_dn=args.dn, conn_id=held, transfer_conn_id=consult)
    if args.to is None:
        raise CommandError(f"{args.command} needs TO (or --complete)")
    conn = await _the_call(client, args)
    if args.two_step:
        initiate = RequestInitiateTransfer if transfer else RequestInitiateConference
        return initiate(this_dn=args.dn, conn_id=conn, other_dn=args.to)
    single = RequestSingleStepTransfer if transfer else RequestSingleStepConference
    return single(this_dn=args.dn, conn_id=conn, other_dn=args.to)


async def _dtmf(client: TClient, args: argparse.Namespace) -> Request:
    conn = await _the_call(client, args)
    return RequestSendDTMF(this_dn=args.dn, conn_id=conn, dtmf_digits=args.digits)


async def _attach(client: TClient, args: argparse.Namespace) -> Request:
    conn = await _the_call(client, args)
    return RequestAttachUserData(this_dn=args.dn, conn_id=conn, user_data=KVList(args.pairs))


# ------------------------------------------------------------------------------------------------
# Finding calls


async def calls_at(client: TClient, dn: str) -> list[ConnID]:
    """The ConnIDs of the calls at the DN (RequestQueryAddress, CallsQuery)."""
    info = await client.request(
        RequestQueryAddress(this_dn=dn, address_info_type=AddressInfoType.CallsQuery)
    )
    assert isinstance(info, EventAddressInfo), info
    pairs = info.extensions.get_all("conn-id") if info.extensions is not None else []
    return [ConnID.parse(str(value)) for value in pairs]


async def _the_call(client: TClient, args: argparse.Namespace) -> ConnID:
    if args.conn is not None:
        given: ConnID = args.conn
        return given
    calls = await calls_at(client, args.dn)
    if not calls:
        raise CommandError(f"{args.dn} has no call to {args.command}")
    if len(calls) > 1:
        listed = ", ".join(str(c) for c in calls)
        raise CommandError(
            f"{args.dn} has {len(calls)} calls ({listed}): say which with --conn CONNID"
        )
    return calls[0]


async def _consultation(client: TClient, dn: str, held: ConnID | None) -> tuple[ConnID, ConnID]:
    """The held call and the consultation call at the DN (--conn names the held one)."""
    calls = await calls_at(client, dn)
    if held is None:
        states = {conn: await _state_at(client, dn, conn) for conn in calls}
        held_calls = [conn for conn, state in states.items() if state == "held"]
        if len(calls) != 2 or len(held_calls) != 1:
            shown = ", ".join(f"{c} ({s})" for c, s in states.items()) or "none"
            raise CommandError(
                f"{dn} needs one held call and one consultation call to complete; it has "
                f"{shown}: say which call is held with --conn CONNID"
            )
        held = held_calls[0]
    others = [conn for conn in calls if conn != held]
    if held not in calls or len(others) != 1:
        raise CommandError(
            f"{dn} needs the held call {held} and one other call to complete; it has "
            f"{', '.join(str(c) for c in calls) or 'none'}"
        )
    return held, others[0]


async def _state_at(client: TClient, dn: str, conn: ConnID) -> str:
    """The state of the DN's party in the call, as EventPartyInfo lists it."""
    info = await client.request(RequestQueryCall(this_dn=dn, conn_id=conn, call_info_type=0))
    assert isinstance(info, EventPartyInfo), info
    parties = info.extensions.get("parties") if info.extensions is not None else None
    if isinstance(parties, KVList):
        for _key, party in parties:
            if isinstance(party, KVList) and party.get("dn") == dn:
                return str(party.get("state"))
    return "unknown"


# ------------------------------------------------------------------------------------------------
# Running


async def run_one_shot(args: argparse.Namespace) -> int:
    """Register, send the command's request, print its answer and what follows at the DN
    (run_client reports an EventError or a CommandError)."""
    await _one_shot(args)
    return EXIT_OK


async def _one_shot(args: argparse.Namespace) -> None:
    host, port = args.server
    emit = printer(args.json)
    dn: str = args.dn
    name = f"ctiemu-{args.command}" + (f"-{args.action}" if args.command == "agent" else "")
    async with open_client(host, port, application_name=name) as client:
        await client.register_address(dn)
        request = await args.build(client, args)
        answer = await client.request(request)
        while (event := await client.next_event()) is not answer:
            pass  # our own handshake, registration and queries
        emit(answer)
        with trio.move_on_after(args.wait):
            async for event in client.events():
                if getattr(event, "this_dn", None) == dn:
                    emit(event)
