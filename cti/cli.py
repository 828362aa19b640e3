"""The `ctiemu` command line: serve, monitor, call.

ctiemu serve [--host H] [--port P] [--config FILE] [--capture FILE]
ctiemu monitor DN... [--json] [--count N] [--server HOST:PORT]
ctiemu call FROM TO [--timeout SECONDS] [--json] [--server HOST:PORT]
ctiemu sim ACTION ... / trace on|off --session N / stats / check-config FILE (cti.simctl)
ctiemu capture --listen HOST:PORT --server HOST:PORT -o FILE (cti.capture)
ctiemu decode FILE [--json] [--port N] (cti.decode)
ctiemu --version
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from functools import partial

import trio

from cti import __version__
from cti.client import ConnectionLost, TClient, TServerError, open_client
from cti.config import Config, ConfigError, default_config, load_config
from cti.core import ServerIdentity, TServerCore
from cti.present import event_to_json, format_event
from cti.server import TServer, server_ssl_context
from hw.simnet import SimulatedNetwork
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
from protocol.pcap import PcapWriter
from switch.pbx import Switch

EXIT_OK = 0
EXIT_REFUSED = 1  # the server answered EventError
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # no server, or the connection broke


def _server_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctiemu", description="Telephony switch and CTI protocol emulator."
    )
    parser.add_argument("--version", action="version", version=f"ctiemu {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the T-Server and the switch")
    serve.add_argument("--config", metavar="FILE", help="TOML configuration (default: embedded)")
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default from config: 7000)")
    serve.add_argument("--capture", metavar="FILE", help="record every session to a pcap file")

    def client_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--server",
            type=_server_address,
            default=("127.0.0.1", 7000),
            metavar="HOST:PORT",
            help="T-Server to use (default 127.0.0.1:7000)",
        )
        sub.add_argument("--json", action="store_true", help="print events as JSON lines")

    monitor = commands.add_parser("monitor", help="print the events of DNs as they happen")
    monitor.add_argument("dns", nargs="+", metavar="DN")
    monitor.add_argument("--count", type=int, metavar="N", help="exit after N events")
    client_options(monitor)

    dissector = commands.add_parser(
        "dissector", help="print the Wireshark Lua dissector (ctiemu dissector > ctiemu.lua)"
    )
    dissector.add_argument(
        "--port", type=int, default=7000, help="TCP port to register it on (default 7000)"
    )

    call = commands.add_parser("call", help="call TO from FROM and print the call's events")
    call.add_argument("from_dn", metavar="FROM")
    call.add_argument("to_dn", metavar="TO")
    call.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="release the call after SECONDS"
    )
    client_options(call)

    from cti import simctl

    simctl.add_parsers(commands, client_options)
    from cti import capture, decode

    capture.add_parsers(commands)
    decode.add_parsers(commands)
    return parser


# ------------------------------------------------------------------------------------------------
# serve


async def run_server(
    config: Config,
    *,
    capture: PcapWriter | None = None,
    task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Build the switch and the T-Server from a configuration and serve until cancelled."""
    start = time.time()
    switch = Switch(config.switch, id_seed=int(start))
    network = SimulatedNetwork(config.network)
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # -v wins over log_level
        logging.getLogger("ctiemu").setLevel(config.server.log_level.upper())
    core = TServerCore(
        switch,
        ServerIdentity(name=config.server.name, version=f"ctiemu {__version__}", start_time=start),
        settings=config.server,
        drivers={g.name: network for g in config.switch.trunk_groups if g.driver == "simulated"},
    )
    tls = server_ssl_context(config.server.tls_certificate, config.server.tls_private_key)
    server = TServer(core, ssl_context=tls, capture=capture)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            server.serve, config.server.host, config.server.port
        )
        task_status.started(listeners)


async def _serve_main(config: Config, capture: PcapWriter | None = None) -> None:
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            partial(run_server, config, capture=capture)
        )
        host, port = listeners[0].socket.getsockname()[:2]
        print(
            f"ctiemu {__version__} serving on {host}:{port} "
            f"({len(config.switch.extensions)} extensions, config {config.source})",
            file=sys.stderr,
            flush=True,
        )
        await _until_signal()
        print("ctiemu: shutting down", file=sys.stderr, flush=True)
        nursery.cancel_scope.cancel()


async def _until_signal() -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config) if args.config else default_config()
    except ConfigError as exc:
        print(f"ctiemu: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.host is not None or args.port is not None:
        from dataclasses import replace

        config = replace(
            config,
            server=replace(
                config.server,
                host=args.host if args.host is not None else config.server.host,
                port=args.port if args.port is not None else config.server.port,
            ),
        )
    try:
        server_ssl_context(config.server.tls_certificate, config.server.tls_private_key)
    except OSError as exc:
        print(f"ctiemu: {config.source}: server.tls_certificate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with ExitStack() as stack:
        capture = None
        if args.capture:
            try:
                capture = writer = PcapWriter(stack.enter_context(open(args.capture, "wb")))
            except OSError as exc:
                print(f"ctiemu: cannot write {args.capture}: {exc.strerror}", file=sys.stderr)
                return EXIT_USAGE

            @stack.callback
            def _end_capture() -> None:  # before the file closes: FIN what is still open
                writer.close_all(time.time())

        try:
            trio.run(_serve_main, config, capture)
        except OSError as exc:
            print(
                f"ctiemu: cannot listen on {config.server.host}:{config.server.port}: {exc}",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
    return EXIT_OK


# ------------------------------------------------------------------------------------------------
# client commands


def _printer(as_json: bool) -> Callable[[Event], None]:
    def emit(event: Event) -> None:
        print(event_to_json(event) if as_json else format_event(event), flush=True)

    return emit


async def _monitor(args: argparse.Namespace) -> int:
    host, port = args.server
    emit = _printer(args.json)
    async with open_client(host, port, application_name="ctiemu-monitor") as client:
        for dn in args.dns:
            await client.register_address(dn, RegisterMode.Monitor)
            print(f"monitoring {dn}", file=sys.stderr, flush=True)
        seen = 0
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_on_signal, nursery.cancel_scope)
            async for event in client.events():
                if isinstance(event, EventServerInfo | EventRegistered):
                    continue  # our own handshake and registrations
                emit(event)
                seen += 1
                if args.count is not None and seen >= args.count:
                    break
            nursery.cancel_scope.cancel()
    return EXIT_OK


async def _cancel_on_signal(scope: trio.CancelScope) -> None:
    await _until_signal()
    scope.cancel()


async def _call(args: argparse.Namespace) -> int:
    host, port = args.server
    emit = _printer(args.json)
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
    """Print the call's events at `dn` until it is released there (True) or we stop (False)."""
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_cancel_on_signal, nursery.cancel_scope)
        if timeout is not None:
            nursery.cancel_scope.deadline = trio.current_time() + timeout
        async for event in client.events():
            if isinstance(event, CallEvent) and event.conn_id == conn_id:
                emit(event)
                if isinstance(event, EventReleased) and event.this_dn == dn:
                    nursery.cancel_scope.cancel()
                    return True
        nursery.cancel_scope.cancel()
    return False


def _run_client(
    fn: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace
) -> int:
    try:
        result: int = trio.run(fn, args)
    except TServerError as exc:
        print(f"ctiemu: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, ConnectionLost, trio.TooSlowError) as exc:
        host, port = args.server
        print(f"ctiemu: cannot talk to the T-Server at {host}:{port}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG
        if args.verbose
        else logging.INFO
        if args.command == "serve"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command == "serve":
        return cmd_serve(args)
    if args.command == "dissector":
        from protocol.dissector import render_lua

        sys.stdout.write(render_lua(args.port))
        return EXIT_OK
    if args.command == "monitor":
        return _run_client(_monitor, args)
    if args.command == "call":
        return _run_client(_call, args)
    if args.command in ("sim", "trace", "stats"):
        from cti import simctl

        return _run_client(simctl.run, args)
    if args.command in ("capture", "decode"):
        from cti import capture, decode

        return capture.run(args) if args.command == "capture" else decode.run(args)
    if args.command == "check-config":
        from cti import simctl

        return simctl.check_config(args.file)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
