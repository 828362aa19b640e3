"""`ctiemu sim ...`, `ctiemu trace`, `ctiemu stats` and `ctiemu check-config`: simulation
control, the per-session frame trace and server statistics from the command line, over the
T-Server's own protocol (RequestPrivateService, RequestQueryServer), and configuration checks.

Simulation control connects as the application `ctiemu-sim` (the embedded default
configuration allows it to; `--app` names another) and prints what the server answered:

    ctiemu sim inbound --ani +15550100 --dnis 7001      # a caller dials in; prints the ConnID
    ctiemu sim answer 007102719818000d --as machine      # the far end of an outbound call
    ctiemu sim busy|hangup CONNID / sim digits CONNID 123#
    ctiemu sim trunk-down pstn / sim trunk-up pstn
    ctiemu sim out-of-service 1003 / sim in-service 1003
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import partial
from typing import Any

from cti.cli.common import client_options, run_client
from cti.client import open_client
from cti.server.config import ConfigError, load_config
from protocol.enums import SimService
from protocol.messages import (
    EventPrivateInfo,
    EventServerInfo,
    RequestPrivateService,
    RequestQueryServer,
)
from protocol.values import ConnID, KVList

#: (sub-command, service, help, arguments) of `ctiemu sim`.
_SERVICES: dict[str, tuple[SimService, str]] = {
    "inbound": (SimService.Inbound, "a caller dials in through a trunk group"),
    "answer": (SimService.Answer, "the far end of an outbound call answers"),
    "busy": (SimService.Busy, "the far end of an outbound call is busy"),
    "hangup": (SimService.HangUp, "the far end of a call hangs up"),
    "digits": (SimService.Digits, "the far end of a call presses keys"),
    "trunk-down": (SimService.TrunkDown, "a trunk group's link fails"),
    "trunk-up": (SimService.TrunkUp, "a trunk group's link comes back"),
    "out-of-service": (SimService.OutOfService, "a DN goes out of service"),
    "in-service": (SimService.BackInService, "a DN comes back in service"),
}


def _conn_id(text: str) -> ConnID:
    try:
        return ConnID.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pair(text: str) -> tuple[str, str | int]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, int(value) if value.lstrip("-").isdigit() else value


def add_parsers(commands: Any) -> None:
    """Add `sim`, `trace`, `stats` and `check-config` to the ctiemu command line."""
    sim = commands.add_parser("sim", help="simulation control: make the outside world act")
    actions = sim.add_subparsers(dest="sim_command", required=True, metavar="ACTION")
    for name, (_service, text) in _SERVICES.items():
        sub = actions.add_parser(name, help=text)
        if name == "inbound":
            sub.add_argument("--ani", required=True, help="the caller's number")
            sub.add_argument("--dnis", required=True, help="the DN called")
            sub.add_argument("--trunk-group", help="default: the first configured")
            sub.add_argument("--patience", type=int, metavar="SECONDS")
            sub.add_argument(
                "--data",
                type=_pair,
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="UserData the call brings (repeatable)",
            )
        elif name in ("trunk-down", "trunk-up"):
            sub.add_argument("trunk_group", metavar="TRUNK_GROUP")
        elif name in ("out-of-service", "in-service"):
            sub.add_argument("dn", metavar="DN")
        else:
            sub.add_argument("conn_id", type=_conn_id, metavar="CONNID")
            if name == "answer":
                sub.add_argument(
                    "--as",
                    dest="kind",
                    default="person",
                    choices=("person", "machine", "fax", "modem"),
                )
                sub.add_argument("--talk", type=int, default=60, metavar="SECONDS")
            if name == "digits":
                sub.add_argument("digits", metavar="DIGITS")
        sub.add_argument("--app", default="ctiemu-sim", help="application name to connect as")
        sub.add_argument("--password", help="its password, if the configuration sets one")
        client_options(sub)
        sub.set_defaults(run=partial(run_client, run))

    trace = commands.add_parser("trace", help="switch a session's frame trace on or off")
    trace.add_argument("state", choices=("on", "off"))
    trace.add_argument("--session", type=int, required=True, help="session number (server log)")
    trace.add_argument("--app", default="ctiemu-sim")
    trace.add_argument("--password")
    client_options(trace)
    trace.set_defaults(run=partial(run_client, run))

    stats = commands.add_parser("stats", help="print the server's statistics (QueryServer)")
    client_options(stats)
    stats.set_defaults(run=partial(run_client, run))

    check = commands.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(run=lambda args: check_config(args.file))


def check_config(path: str) -> int:
    """`ctiemu check-config FILE`: 0 and a summary, or 2 and the error (file:line: key: ...)."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"ctiemu: {exc}", file=sys.stderr)
        return 2
    switch = config.switch
    print(
        f"{path}: OK: {len(switch.extensions)} extensions, {len(switch.agents)} agents, "
        f"{len(switch.queues)} queues, {len(switch.routing_points)} routing points, "
        f"{len(switch.trunk_groups)} trunk groups, {len(config.server.applications)} "
        "applications"
    )
    return 0


def _request(args: argparse.Namespace) -> RequestPrivateService:
    if args.command == "trace":
        params: list[tuple[str, Any]] = [("Session", args.session), ("On", int(args.state == "on"))]
        return RequestPrivateService(
            this_dn="", private_msg_id=int(SimService.Trace), user_data=KVList(params)
        )
    service, _ = _SERVICES[args.sim_command]
    params = []
    this_dn, conn_id = "", None
    if service is SimService.Inbound:
        params = [("ANI", args.ani), ("DNIS", args.dnis)]
        if args.trunk_group:
            params.append(("TrunkGroup", args.trunk_group))
        if args.patience is not None:
            params.append(("Patience", args.patience))
        if args.data:
            params.append(("UserData", KVList(args.data)))
    elif service in (SimService.TrunkDown, SimService.TrunkUp):
        params = [("TrunkGroup", args.trunk_group)]
    elif service in (SimService.OutOfService, SimService.BackInService):
        this_dn = args.dn
    else:
        conn_id = args.conn_id
        if service is SimService.Answer:
            params = [("Kind", args.kind), ("Talk", args.talk)]
        elif service is SimService.Digits:
            params = [("Digits", args.digits)]
    return RequestPrivateService(
        this_dn=this_dn, conn_id=conn_id, private_msg_id=int(service), user_data=KVList(params)
    )


async def run(args: argparse.Namespace) -> int:
    """`ctiemu sim ...`, `ctiemu trace ...` and `ctiemu stats` (EventError raises
    TServerError, which the caller reports)."""
    host, port = args.server
    app = getattr(args, "app", "ctiemu-stats")
    async with open_client(
        host, port, application_name=app, password=getattr(args, "password", None)
    ) as client:
        if args.command == "stats":
            info = await client.request(RequestQueryServer())
            assert isinstance(info, EventServerInfo)
            stats = {k: _figure(v) for k, v in info.extensions or KVList()}
            if args.json:
                print(json.dumps(stats))
            else:
                for key, value in stats.items():
                    print(f"{key}: {value}")
            return 0
        answer = await client.request(_request(args))
        assert isinstance(answer, EventPrivateInfo), answer
        result = {k: _plain(v) for k, v in answer.user_data or KVList()}
        if answer.conn_id is not None:
            result = {"ConnID": str(answer.conn_id), **result}
        what = args.command if args.command == "trace" else args.sim_command
        if args.json:
            print(json.dumps(result))
        elif result:
            print(f"{what}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
        else:
            print(f"{what}: done")
        return 0


def _figure(value: object) -> int | float | str:
    """A statistic as a number: counts come as integers, rates and durations as text ("12.5",
    "0": a KVList has no floats), which become floats; so each statistic has one JSON type."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?(e[-+]?\d+)?", value):
        return float(value)
    return _plain(value)


def _plain(value: object) -> str | int:
    """A KVList value as printable JSON: integers stay, everything else becomes text."""
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
