"""`ctiemu monitor DN...` (print the events of DNs as they happen) and `ctiemu call FROM TO`
(call TO from FROM and print the call's events until it ends or --timeout releases it): the
watching commands, on the client library.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import trio

from cti.capture.present import printer
from cti.cli.common import EXIT_OK, EXIT_UNREACHABLE, cancel_on_signal, client_options, run_client
from cti.client import ConnectionLost, TClient, open_client
from protocol.enums import RegisterMode
from protocol.messages import (
    CallEvent,
    Event,
    EventRegistered,
    EventReleased,
    EventServerInfo,
    RequestMakeCall,
    RequestReleaseCall,
)


def add_parsers(commands: Any) -> None:
    monitor = commands.add_parser("monitor", help="print the events of DNs as they happen")
    monitor.add_argument("dns", nargs="+", metavar="DN")
    monitor.add_argument("--count", type=int, metavar="N", help="exit after N events")
    client_options(monitor)
    monitor.set_defaults(run=partial(run_client, _monitor))

    call = commands.add_parser("call", help="call TO from FROM and print the call's events")
    call.add_argument("from_dn", metavar="FROM")
    call.add_argument("to_dn", metavar="TO")
    call.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="release the call after SECONDS"
    )
    client_options(call)
    call.set_defaults(run=partial(run_client, _call))


async def _monitor(args: argparse.Namespace) -> int:
    host, port = args.server
    emit = printer(args.json)
    async with open_client(host, port, application_name="ctiemu-monitor") as client:
        for dn in args.dns:
            await client.register_address(dn, RegisterMode.Monitor)
            print(f"monitoring {dn}", file=sys.stderr, flush=True)
        seen = 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(cancel_on_signal, nursery.cancel_scope)
            async for event in client.events():
                if isinstance(event, EventServerInfo | EventRegistered):
                    continue  # our own handshake and registrations
                emit(event)
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
            nursery.cancel_scope.cancel()
    return EXIT_OK


async def _call(args: argparse.Namespace) -> int:
    host, port = args.server
    emit = printer(args.json)
    async with open_client(host, port, application_name="ctiemu-call") as client:
        await client.register_address(args.from_dn)
        dialing = await client.request(RequestMakeCall(this_dn=args.from_dn, other_dn=args.to_dn))
        assert isinstance(dialing, CallEvent), dialing
        conn_id = dialing.conn_id
        ended = await _follow_call(client, args.from_dn, conn_id, emit, args.timeout)
        if not ended:
            try:
                await client.send(RequestReleaseCall(this_dn=args.from_dn, conn_id=conn_id))
            except ConnectionLost:
                return EXIT_UNREACHABLE
            with trio.move_on_after(5):
                await _follow_call(client, args.from_dn, conn_id, emit, None)
    return EXIT_OK


async def _follow_call(
    client: TClient,
    dn: str,
    conn_id: int,
    emit: Callable[[Event], None],
    timeout: float | None,
) -> bool:
    """Print the call's events at `dn` (the only DN registered) until it is released there
    (True) or we stop (False)."""
    async with trio.open_nursery() as nursery:
        nursery.start_soon(cancel_on_signal, nursery.cancel_scope)
        if timeout is not None:
            nursery.cancel_scope.deadline = trio.current_time() + timeout
        async for event in client.events():
            # every event about the call: party states, and UserData (EventAttachedDataChanged)
            if getattr(event, "conn_id", None) == conn_id:
                emit(event)
                if isinstance(event, EventReleased) and event.this_dn == dn:
                    nursery.cancel_scope.cancel()
                    return True
        nursery.cancel_scope.cancel()
    return False
