"""`ctiemu capture`, `ctiemu decode` and `ctiemu dissector`: the command line of the capture
engine (cti.capture) and of the Wireshark dissector (protocol.dissector).

ctiemu capture --listen HOST:PORT --server HOST:PORT -o FILE.pcap   a recording tap
ctiemu decode FILE [--json] [--port N]                             a capture's sessions
ctiemu dissector [--port P]                                        the Wireshark Lua dissector
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any, TextIO

import trio

from cti.capture.decode import json_lines, text_lines, write_lines
from cti.capture.pcap import C2S, S2C, CaptureError, PcapWriter, read_sessions
from cti.capture.tap import Tap, _endpoint
from cti.cli.common import (
    EXIT_OK,
    cannot_listen,
    fail,
    listen_address,
    os_error,
    port_number,
    server_address,
)


def add_parsers(commands: Any) -> None:
    """Add `capture`, `decode` and `dissector` to the ctiemu command line."""
    _add_capture(commands)
    _add_decode(commands)
    dissector = commands.add_parser(
        "dissector", help="print the Wireshark Lua dissector (ctiemu dissector > ctiemu.lua)"
    )
    dissector.add_argument(
        "--port", type=port_number, default=7000, help="TCP port to register it on (default 7000)"
    )
    dissector.set_defaults(run=run_dissector)


def run_dissector(args: argparse.Namespace) -> int:
    from protocol.dissector import render_lua

    sys.stdout.write(render_lua(args.port))
    return EXIT_OK


def _add_capture(commands: Any) -> None:
    sub = commands.add_parser(
        "capture", help="a transparent proxy in front of a T-Server that records a pcap"
    )
    sub.add_argument(
        "--listen",
        type=listen_address,
        default=("127.0.0.1", 7001),
        metavar="HOST:PORT",
        help="where clients connect (default 127.0.0.1:7001; port 0 picks one)",
    )
    sub.add_argument(
        "--server",
        type=server_address,
        default=("127.0.0.1", 7000),
        metavar="HOST:PORT",
        help="the T-Server to forward to (default 127.0.0.1:7000)",
    )
    sub.add_argument("-o", "--output", required=True, metavar="FILE", help="pcap file to write")
    sub.set_defaults(run=run_capture)


def _add_decode(commands: Any) -> None:
    sub = commands.add_parser("decode", help="print the ctiemu sessions of a pcap/pcapng file")
    sub.add_argument("file", metavar="FILE", help="a pcap or pcapng capture")
    sub.add_argument("--json", action="store_true", help="print JSON lines")
    sub.add_argument(
        "--port", type=port_number, metavar="N", help="only connections whose server port is N"
    )
    sub.set_defaults(run=run_decode)


async def _main(args: argparse.Namespace, writer: PcapWriter) -> None:
    tap = Tap(args.server, writer)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(tap.serve, args.listen)
        host, port = _endpoint(listeners[0].socket.getsockname())
        print(
            f"ctiemu capture: listening on {host}:{port}, forwarding to "
            f"{args.server[0]}:{args.server[1]}, writing {args.output}",
            file=sys.stderr,
            flush=True,
        )
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                break
        nursery.cancel_scope.cancel()
    print(
        f"ctiemu capture: {tap.connections} connections, {tap.bytes[C2S]} bytes from clients, "
        f"{tap.bytes[S2C]} bytes from the server, written to {args.output}",
        file=sys.stderr,
        flush=True,
    )


def run_capture(args: argparse.Namespace) -> int:
    try:
        file = open(args.output, "wb")  # noqa: SIM115  (closed below, after trio.run)
    except OSError as exc:
        return fail(f"cannot write {args.output}: {exc.strerror or exc}")
    with file:
        writer = PcapWriter(file)
        try:
            trio.run(_main, args, writer)
        except BaseException as raised:  # the listener's error comes in an exception group
            error = os_error(raised)
            if error is None:
                raise
            host, port = args.listen
            return cannot_listen(host, port, error)
        finally:
            writer.close_all(time.time())
    return EXIT_OK


def run_decode(args: argparse.Namespace, out: TextIO | None = None) -> int:
    try:
        sessions = read_sessions(args.file, port=args.port)
    except CaptureError as exc:
        return fail(str(exc))
    lines = json_lines(sessions) if args.json else text_lines(sessions)
    try:
        write_lines(lines, out if out is not None else sys.stdout)
    except BrokenPipeError:  # `ctiemu decode f.pcap | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK
