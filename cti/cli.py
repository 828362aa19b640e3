"""The `ctiemu` command line: serve, monitor, call, the one-shot agent and call commands, load.

ctiemu serve [--host H] [--port P] [--config FILE] [--demo] [--capture FILE]
ctiemu monitor DN... [--json] [--count N] [--server HOST:PORT]
ctiemu call FROM TO [--timeout SECONDS] [--json] [--server HOST:PORT]
ctiemu agent login|ready|notready|logout DN ...    (cti.oneshot)
ctiemu answer|release|hold|retrieve|transfer|conference|dtmf|attach DN ...    (cti.oneshot)
ctiemu load --agents N --rate CALLS_PER_S --duration SECONDS [--server HOST:PORT]   (cti.load)
ctiemu sim ACTION ... / trace on|off --session N / stats / check-config FILE (cti.simctl)
ctiemu dissector [--port P]
ctiemu capture --listen HOST:PORT --server HOST:PORT -o FILE (cti.capture)
ctiemu decode FILE [--json] [--port N] (cti.decode)
ctiemu replay FILE... [--server HOST:PORT] [--config FILE] [--junit FILE] (cti.replaycli)
ctiemu cpd FILE.wav... [--json] [--answer-at SECONDS] [--config FILE]   (cti.cpdcli)
ctiemu --version

docs/cli.md documents every command and option.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, ExitStack
from functools import partial

import trio

from cti import __version__, load, oneshot
from cti.client import ConnectionLost, TClient, TServerError, open_client
from cti.config import Config, ConfigError, default_config, load_config
from cti.core import ServerIdentity, TServerCore
from cti.present import printer
from cti.server import TServer, server_ssl_context
from cti.simagents import AgentBot, AgentSpec, DemoCustomers, LoadStats
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
EXIT_INTERRUPTED = 130  # Ctrl-C where the command does not take it as "stop"


def server_address(text: str) -> tuple[str, int]:
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
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also run simulated agents (agent1 on 1001, agent2 on 1002, queue 7001) and "
        "customers calling 7001 from the simulated network about every 10 s",
    )
    serve.add_argument("--capture", metavar="FILE", help="record every session to a pcap file")

    def client_options(
        sub: argparse.ArgumentParser,
        *,
        default_server: tuple[str, int] | None = ("127.0.0.1", 7000),
        json_help: str = "print events as JSON lines",
    ) -> None:
        sub.add_argument(
            "--server",
            type=server_address,
            default=default_server,
            metavar="HOST:PORT",
            help="T-Server to use (default 127.0.0.1:7000)"
            if default_server is not None
            else "T-Server to use (default: run one in this process)",
        )
        sub.add_argument("--json", action="store_true", help=json_help)

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
    oneshot.add_parsers(commands, client_options)
    load.add_parser(commands, client_options)

    from cti import simctl

    simctl.add_parsers(commands, client_options)
    from cti import capture, decode

    capture.add_parsers(commands)
    decode.add_parsers(commands)
    from cti import replaycli

    replaycli.add_parsers(commands, server_address)
    from cti import cpdcli

    cpdcli.add_parsers(commands)
    return parser


# ------------------------------------------------------------------------------------------------
# serve


def build_server(
    config: Config, *, capture: PcapWriter | None = None, epoch: float | None = None
) -> tuple[TServer, SimulatedNetwork]:
    """The switch, the simulated network behind its simulated trunk groups, the core and the
    trio edge, from a configuration (recording every session to `capture`, when given).
    `epoch`: Unix time at which trio's clock reads 0 (TServer.epoch); given, nothing reads the
    wall clock and a run under trio's MockClock is the same every time."""
    start = time.time() if epoch is None else epoch
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
    return TServer(core, epoch=epoch, ssl_context=tls, capture=capture), network


async def run_server(
    config: Config,
    *,
    server: TServer | None = None,
    capture: PcapWriter | None = None,
    task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Build the switch and the T-Server from a configuration (or take `server`, built by
    `build_server`) and serve until cancelled."""
    if server is None:
        server, _network = build_server(config, capture=capture)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            server.serve, config.server.host, config.server.port
        )
        task_status.started(listeners)


async def _serve_main(config: Config, demo: bool, capture: PcapWriter | None = None) -> None:
    server, network = build_server(config, capture=capture)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            partial(run_server, config, server=server)
        )
        host, port = listeners[0].socket.getsockname()[:2]
        print(
            f"ctiemu {__version__} serving on {host}:{port} "
            f"({len(config.switch.extensions)} extensions, config {config.source})",
            file=sys.stderr,
            flush=True,
        )
        if demo:
            print(
                f"demo: agents {' and '.join(f'{a} on {d}' for d, a in DEMO_AGENTS)} answer "
                f"queue {DEMO_QUEUE}; a customer calls {DEMO_QUEUE} from the simulated network "
                f"about every {DEMO_INTERVAL:g} s (watch: ctiemu monitor {DEMO_QUEUE} "
                f"{' '.join(d for d, _ in DEMO_AGENTS)})",
                file=sys.stderr,
                flush=True,
            )
            nursery.start_soon(_run_demo, config, server, network, _loopback(host), port)
        await _until_signal()
        print("ctiemu: shutting down", file=sys.stderr, flush=True)
        nursery.cancel_scope.cancel()


# What `serve --demo` runs: simulated agents (DN, AgentID) on the queue, and customers calling
# the queue through the simulated trunk group, as the default configuration has them.
DEMO_AGENTS = (("1001", "agent1"), ("1002", "agent2"))
DEMO_QUEUE = "7001"
DEMO_TRUNK_GROUP = "pstn"
DEMO_INTERVAL = 10.0


def demo_missing(config: Config) -> list[str]:
    """What `serve --demo` needs that the configuration lacks."""
    switch = config.switch
    agent_ids = {a.agent_id for a in switch.agents}
    missing = [f"extension {dn}" for dn, _ in DEMO_AGENTS if dn not in switch.extensions]
    missing += [f"agent {agent}" for _, agent in DEMO_AGENTS if agent not in agent_ids]
    if DEMO_QUEUE not in {q.dn for q in switch.queues}:
        missing.append(f"queue {DEMO_QUEUE}")
    if not any(g.name == DEMO_TRUNK_GROUP and g.driver == "simulated" for g in switch.trunk_groups):
        missing.append(f"simulated trunk group {DEMO_TRUNK_GROUP!r}")
    return missing


def _loopback(host: str) -> str:
    """Where this process reaches its own listener."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


async def _run_demo(
    config: Config, server: TServer, network: SimulatedNetwork, host: str, port: int
) -> None:
    """The demo's agents (real client connections over loopback) and customers."""
    rng = random.Random()
    stats = LoadStats()
    passwords = {a.agent_id: a.password or None for a in config.switch.agents}
    try:
        # the clients first, the tasks that use them inside: each nursery closes in the
        # order it was opened (open_client runs one of its own)
        async with AsyncExitStack() as stack:
            bots = []
            for dn, agent_id in DEMO_AGENTS:
                client = await stack.enter_async_context(
                    open_client(host, port, application_name=f"ctiemu-demo-{agent_id}")
                )
                bot = AgentBot(
                    client,
                    AgentSpec(dn, agent_id, passwords.get(agent_id)),
                    DEMO_QUEUE,
                    stats,
                    talk=lambda: rng.uniform(5.0, 12.0),
                    ring=lambda: rng.uniform(1.0, 3.0),
                    stay_ready=False,  # a person trying `ctiemu agent notready` sees it stick
                )
                await bot.start()
                bots.append(bot)
            customers = DemoCustomers(
                server, network, trunk_group=DEMO_TRUNK_GROUP, dnis=DEMO_QUEUE, rng=rng
            )
            async with trio.open_nursery() as nursery:
                for bot in bots:
                    nursery.start_soon(bot.run)
                nursery.start_soon(customers.run)
    except (TServerError, ConnectionLost, OSError) as exc:
        logging.getLogger("ctiemu.demo").error("demo stopped: %s", exc)


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
    missing = demo_missing(config) if args.demo else []
    if missing:
        print(
            f"ctiemu: --demo needs what the default configuration has; {config.source} lacks "
            f"{', '.join(missing)}",
            file=sys.stderr,
        )
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
            trio.run(_serve_main, config, args.demo, capture)
        except OSError as exc:
            print(
                f"ctiemu: cannot listen on {config.server.host}:{config.server.port}: {exc}",
                file=sys.stderr,
            )
            return EXIT_UNREACHABLE
    return EXIT_OK


# ------------------------------------------------------------------------------------------------
# client commands


async def _monitor(args: argparse.Namespace) -> int:
    host, port = args.server
    emit = printer(args.json)
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


async def _set_on_signal(event: trio.Event) -> None:
    await _until_signal()
    event.set()


async def _cancel_on_signal(scope: trio.CancelScope) -> None:
    await _until_signal()
    scope.cancel()


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
    except BaseException as raised:
        # tasks in nurseries raise exception groups: look at what is inside
        leaves = list(exception_leaves(raised))
        if any(isinstance(e, KeyboardInterrupt) for e in leaves):
            return EXIT_INTERRUPTED
        if len(leaves) == 1 and isinstance(leaves[0], TServerError):
            print(f"ctiemu: refused: {leaves[0]}", file=sys.stderr)
            return EXIT_REFUSED
        if not all(isinstance(e, OSError | ConnectionLost | trio.TooSlowError) for e in leaves):
            raise
        if args.server is None:
            print(f"ctiemu: the T-Server in this process failed: {leaves[0]}", file=sys.stderr)
        else:
            host, port = args.server
            print(
                f"ctiemu: cannot talk to the T-Server at {host}:{port}: {leaves[0]}",
                file=sys.stderr,
            )
        return EXIT_UNREACHABLE
    return result


def exception_leaves(raised: BaseException) -> Iterator[BaseException]:
    """The exceptions inside (nested) exception groups, or the exception itself."""
    if isinstance(raised, BaseExceptionGroup):
        for inner in raised.exceptions:
            yield from exception_leaves(inner)
    else:
        yield raised


async def _load(args: argparse.Namespace) -> int:
    try:
        plan = load.plan_from_args(args)
    except ValueError as exc:
        print(f"ctiemu: {exc}", file=sys.stderr)
        return EXIT_USAGE
    stop = trio.Event()  # Ctrl-C or SIGTERM: stop placing calls, finish, print the summary
    result: dict[str, object] | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_set_on_signal, stop)
        try:
            if args.server is not None:
                host, port = args.server
                result = await load.run_load(host, port, plan, progress=sys.stderr, stop=stop)
            else:
                listeners: list[trio.SocketListener] = await nursery.start(
                    run_server, load.config_for(plan)
                )
                port = listeners[0].socket.getsockname()[1]
                result = await load.run_load(
                    "127.0.0.1", port, plan, progress=sys.stderr, stop=stop
                )
        except load.LoadError as exc:
            print(f"ctiemu: {exc}", file=sys.stderr)
        nursery.cancel_scope.cancel()
    if result is None:
        return EXIT_REFUSED
    print(json.dumps(result) if args.json else load.format_summary(result), flush=True)
    return EXIT_OK


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
    if args.command == "replay":
        from cti import replaycli

        return replaycli.main(args)
    if args.command == "check-config":
        from cti import simctl

        return simctl.check_config(args.file)
    if args.command == "load":
        return _run_client(_load, args)
    if args.command == "cpd":
        from cti import cpdcli

        return cpdcli.run(args)
    run = getattr(args, "run", None)
    if run is not None:  # the one-shot commands (cti.oneshot)
        return _run_client(run, args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
