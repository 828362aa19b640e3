"""A small agent desktop on ctiemu's client library.

It registers DN, logs the agent in (to the queue, when given), makes it Ready, answers every call
that rings on DN, releases each after --talk seconds, and prints one line per event. It exits
after --calls calls (or on Ctrl-C). When the connection to the T-Server drops it reconnects,
registers DN again (the library does) and logs the agent in again (its on_reconnect hook).

    python examples/agent_desktop.py --server 127.0.0.1:7000 --dn 1002 --agent agent1 \\
        --queue 7001 --talk 5 --calls 3

Exit status: 0 done or interrupted, 1 the T-Server refused a request, 2 bad arguments,
3 no T-Server there or the connection broke.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import trio
from runner import positive_int, run

from cti.capture.present import format_event
from cti.cli.common import server_address
from cti.client import ConnectionLost, TClient, TServerError, open_client
from protocol.messages import (
    EventReleased,
    EventRinging,
    EventServerInfo,
    RequestAgentLogin,
    RequestAgentReady,
    RequestAnswerCall,
    RequestReleaseCall,
)
from protocol.values import ConnID

PROG = "agent_desktop"


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description="A small agent desktop.")
    parser.add_argument(
        "--server",
        type=server_address,
        default=("127.0.0.1", 7000),
        metavar="HOST:PORT",
        help="T-Server (default 127.0.0.1:7000)",
    )
    parser.add_argument("--dn", required=True, help="the agent's extension")
    parser.add_argument("--agent", required=True, metavar="ID", help="the AgentID")
    parser.add_argument("--password", metavar="P", help="the agent's password, if it has one")
    parser.add_argument("--queue", metavar="Q", help="ACD queue to log in to")
    parser.add_argument(
        "--talk",
        type=non_negative,
        default=5.0,
        metavar="SECONDS",
        help="talk time before releasing a call (default 5)",
    )
    parser.add_argument(
        "--calls", type=positive_int, metavar="N", help="exit after N calls (default: never)"
    )
    return parser.parse_args(argv)


async def log_in(client: TClient, args: argparse.Namespace) -> None:
    """Log the agent in on the DN and make it Ready (also after each reconnection)."""
    await client.request(
        RequestAgentLogin(
            this_dn=args.dn, this_queue=args.queue, agent_id=args.agent, password=args.password
        )
    )
    await client.request(RequestAgentReady(this_dn=args.dn, this_queue=args.queue))


async def take_call(client: TClient, args: argparse.Namespace, conn_id: ConnID) -> None:
    """Answer, talk, release. The caller may hang up first: then the request is refused."""
    try:
        await client.request(RequestAnswerCall(this_dn=args.dn, conn_id=conn_id))
        await trio.sleep(args.talk)
        await client.request(RequestReleaseCall(this_dn=args.dn, conn_id=conn_id))
    except (TServerError, ConnectionLost) as exc:
        print(f"{PROG}: call {conn_id}: {exc}", file=sys.stderr, flush=True)


async def desk(args: argparse.Namespace) -> None:
    host, port = args.server

    async def again(client: TClient) -> None:
        print(f"{PROG}: reconnected; logging in again", file=sys.stderr, flush=True)
        await log_in(client, args)

    async with open_client(
        host,
        port,
        application_name=f"{PROG}-{args.agent}",
        reconnect=True,
        on_reconnect=again,
    ) as client:
        await client.register_address(args.dn)
        await log_in(client, args)
        print(f"{PROG}: {args.agent} ready on {args.dn}", file=sys.stderr, flush=True)
        ours: set[ConnID] = set()  # calls we answer, until released
        finished = 0
        async with trio.open_nursery() as calls:
            async for event in client.events():
                if isinstance(event, EventServerInfo):
                    continue  # the handshake's answer (again after each reconnection)
                print(format_event(event), flush=True)
                if not isinstance(event, EventRinging | EventReleased):
                    continue
                if event.this_dn != args.dn:
                    continue
                if isinstance(event, EventRinging) and event.conn_id not in ours:
                    ours.add(event.conn_id)
                    calls.start_soon(take_call, client, args, event.conn_id)
                elif isinstance(event, EventReleased) and event.conn_id in ours:
                    ours.discard(event.conn_id)
                    finished += 1
                    if args.calls is not None and finished >= args.calls:
                        break
            calls.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run(PROG, lambda: desk(args), args.server)


if __name__ == "__main__":
    sys.exit(main())
