"""Watch DNs: register them in Monitor mode and print each event on one readable line
(time, ThisDN, event, ConnID, OtherDN, CallState). Monitor mode only listens: another client
may control the DNs meanwhile. The monitor reconnects by itself when the T-Server goes away.

    python examples/monitor.py 1001 1002 --server 127.0.0.1:7000

prints, for a call from 1001 to 1002:

    14:02:11.417 1001   EventDialing         conn=6b0256c400000001 other=1002 state=Ok

Exit status: 0 after --count events or on Ctrl-C, 1 the T-Server refused a registration,
2 bad arguments, 3 no T-Server there.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from runner import positive_int, run

from cti.cli.common import server_address
from cti.client import TClient, open_client
from protocol.enums import RegisterMode
from protocol.messages import Event, EventRegistered, EventServerInfo

PROG = "monitor"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description="Print the events of DNs.")
    parser.add_argument("dns", nargs="+", metavar="DN", help="DNs to watch")
    parser.add_argument(
        "--server",
        type=server_address,
        default=("127.0.0.1", 7000),
        metavar="HOST:PORT",
        help="T-Server (default 127.0.0.1:7000)",
    )
    parser.add_argument("--count", type=positive_int, metavar="N", help="exit after N events")
    return parser.parse_args(argv)


def line(event: Event) -> str:
    """One line: time, ThisDN, event, ConnID, OtherDN, CallState ('-' where absent)."""
    when = event.time if event.time is not None else time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(when)) + f".{int(when * 1000) % 1000:03d}"
    fields = event.attributes()
    state = fields.get("call_state")
    conn_id = fields.get("conn_id")
    return (
        f"{stamp} {fields.get('this_dn', '-'):<6} {type(event).__name__:<20} "
        f"conn={conn_id if conn_id is not None else '-'} "
        f"other={fields.get('other_dn', '-')} "
        f"state={state.name if state is not None else '-'}"
    )


async def watch(args: argparse.Namespace) -> None:
    host, port = args.server

    async def reconnected(client: TClient) -> None:
        print(f"{PROG}: reconnected ({client.reconnects})", file=sys.stderr, flush=True)

    async with open_client(
        host, port, application_name=PROG, reconnect=True, on_reconnect=reconnected
    ) as client:
        for dn in args.dns:
            await client.register_address(dn, RegisterMode.Monitor)
            print(f"{PROG}: monitoring {dn}", file=sys.stderr, flush=True)
        seen = 0
        async for event in client.events():
            if isinstance(event, EventServerInfo | EventRegistered):
                continue  # our own handshake and registrations
            print(line(event), flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                return


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run(PROG, lambda: watch(args), args.server)


if __name__ == "__main__":
    sys.exit(main())
