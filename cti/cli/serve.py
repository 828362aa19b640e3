"""`ctiemu serve [--demo] [--capture FILE]`: the T-Server and its switch on TCP until SIGINT or
SIGTERM; with --demo, simulated agents on the default configuration's queue and customers who
call it from the simulated network (through simulation control, as any client could).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from contextlib import AsyncExitStack, ExitStack
from functools import partial

import trio

from cti import __version__
from cti.capture.pcap import PcapWriter
from cti.cli.common import (
    EXIT_OK,
    cannot_listen,
    fail,
    os_error,
    port_number,
    until_signal,
)
from cti.client import ConnectionLost, TServerError, open_client
from cti.server.build import build_server, run_server
from cti.server.config import Config, ConfigError, default_config, load_config
from cti.server.edge import server_ssl_context
from cti.sim.agents import AgentBot, AgentSpec, DemoCustomers, LoadStats


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the T-Server and the switch")
    serve.add_argument("--config", metavar="FILE", help="TOML configuration (default: embedded)")
    serve.add_argument("--host", help="address to listen on (default from config: 127.0.0.1)")
    serve.add_argument(
        "--port", type=port_number, help="TCP port (default from config: 7000; 0 picks one)"
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="also run simulated agents (agent1 on 1001, agent2 on 1002, queue 7001) and "
        "customers calling 7001 from the simulated network about every 10 s",
    )
    serve.add_argument("--capture", metavar="FILE", help="record every session to a pcap file")
    serve.set_defaults(run=cmd_serve)


async def _serve_main(config: Config, demo: bool, capture: PcapWriter | None = None) -> None:
    server, _network = build_server(config, capture=capture)
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
        async with trio.open_nursery() as demo_nursery:
            if demo:
                demo_nursery.start_soon(_run_demo, config, _loopback(host), port)
            await until_signal()
            print("ctiemu: shutting down", file=sys.stderr, flush=True)
            # the demo's clients close their connections first, so none sees the server go
            demo_nursery.cancel_scope.cancel()
        nursery.cancel_scope.cancel()


# What `serve --demo` runs: simulated agents (DN, AgentID) on the queue, and customers calling
# the queue through the simulated trunk group, as the default configuration has them.
DEMO_AGENTS = (("1001", "agent1"), ("1002", "agent2"))
DEMO_QUEUE = "7001"
DEMO_TRUNK_GROUP = "pstn"
DEMO_INTERVAL = 10.0
#: The demo's customers dial in through simulation control, connected as this application.
DEMO_SIMULATION_APP = "ctiemu-sim"


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
    if not any(
        a.name == DEMO_SIMULATION_APP and a.simulation and not a.password
        for a in config.server.applications
    ):
        missing.append(f"application {DEMO_SIMULATION_APP!r} with simulation = true")
    return missing


def _loopback(host: str) -> str:
    """Where this process reaches its own listener."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


async def _run_demo(config: Config, host: str, port: int) -> None:
    """The demo's agents and customers: real client connections over loopback, the customers
    dialing in through simulation control as any client would."""
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
            network = await stack.enter_async_context(
                open_client(host, port, application_name=DEMO_SIMULATION_APP)
            )
            customers = DemoCustomers(
                network, trunk_group=DEMO_TRUNK_GROUP, dnis=DEMO_QUEUE, rng=rng
            )
            async with trio.open_nursery() as nursery:
                for bot in bots:
                    nursery.start_soon(bot.run)
                nursery.start_soon(customers.run)
    except (TServerError, ConnectionLost, OSError) as exc:
        logging.getLogger("ctiemu.demo").error("demo stopped: %s", exc)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config) if args.config else default_config()
    except ConfigError as exc:
        return fail(str(exc))
    missing = demo_missing(config) if args.demo else []
    if missing:
        return fail(
            f"--demo needs what the default configuration has; {config.source} lacks "
            f"{', '.join(missing)}"
        )
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
        return fail(f"{config.source}: server.tls_certificate: {exc}")
    # the server's log is what `serve` shows: at the configured level (-v: debug)
    if not args.verbose:
        logging.getLogger("ctiemu").setLevel(config.server.log_level.upper())
    with ExitStack() as stack:
        capture = None
        if args.capture:
            try:
                capture = writer = PcapWriter(stack.enter_context(open(args.capture, "wb")))
            except OSError as exc:
                return fail(f"cannot write {args.capture}: {exc.strerror}")

            @stack.callback
            def _end_capture() -> None:  # before the file closes: FIN what is still open
                writer.close_all(time.time())

        try:
            trio.run(_serve_main, config, args.demo, capture)
        except BaseException as raised:  # the listener's error comes in an exception group
            error = os_error(raised)
            if error is None:
                raise
            return cannot_listen(config.server.host, config.server.port, error)
    return EXIT_OK
