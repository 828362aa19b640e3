"""`ctiemu load`: a load generator on the client library.

N simulated agents (one client connection each, cti.sim.agents.AgentBot) log in to one ACD
queue; callers (cti.sim.agents.Callers, one connection) call the queue at a fixed rate, open
loop and evenly spread, for a duration; agents answer, talk, release. Without --server the
T-Server runs in the same process, on 127.0.0.1 and a port the OS picks, with a configuration
generated for the run. A progress line goes to stderr once a second, the summary to stdout (one
JSON line with --json): calls offered, completed, abandoned and failed, events per second,
request-to-event latency p50/p99 and EventErrors by code.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any, TextIO

import trio

from cti.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    client_options,
    fail,
    refusal,
    run_client,
    set_on_signal,
)
from cti.client import TServerError, open_client
from cti.server.build import run_server
from cti.server.config import Config, ServerConfig
from cti.sim.agents import AgentBot, AgentSpec, Callers, LoadStats
from protocol.errors import ErrorCode
from switch.config import AgentConfig, QueueConfig, SwitchConfig

#: Seconds, beyond --talk, that callers may wait for an agent before the run stops waiting.
WAIT_MARGIN = 5.0


class LoadError(Exception):
    """The run could not start (an agent could not log in, a DN is not configured ...)."""


def dn_list(text: str) -> list[str]:
    """'2001-2050' or '2001,2003' or both ('2001-2003,2010'): the DNs, in order."""
    dns: list[str] = []
    for item in text.split(","):
        part = item.strip()
        low, sep, high = part.partition("-")
        if sep and low.isdigit() and high.isdigit():
            if int(high) < int(low) or len(low) != len(high):
                raise argparse.ArgumentTypeError(f"{part!r} is not a range like 2001-2050")
            dns += [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]
        elif part and " " not in part:
            dns.append(part)
        else:
            raise argparse.ArgumentTypeError(f"{text!r} is not a DN list like 2001-2050,2060")
    return dns


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0 or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
        return value

    return parse


def add_parsers(commands: Any) -> None:
    load = commands.add_parser(
        "load",
        help="drive a T-Server with simulated agents and callers; print a summary",
        description=(
            "Simulated agents (one connection each) log in to an ACD queue and answer, talk "
            "and release; callers call the queue at --rate calls per second for --duration "
            "seconds. Without --server, a T-Server runs in this process with a configuration "
            "made for the run (agent DNs, agents without password, the queue, and enough "
            "caller DNs for rate x (talk + 5 s)). With --server, the DNs and agents must exist "
            "in that server's configuration; agents are logged out at the end."
        ),
    )
    load.add_argument(
        "--agents", type=_positive(int), required=True, metavar="N", help="simulated agents"
    )
    load.add_argument(
        "--rate", type=_positive(float), required=True, metavar="CALLS_PER_S", help="call rate"
    )
    load.add_argument(
        "--duration",
        type=_positive(float),
        required=True,
        metavar="SECONDS",
        help="how long calls are placed; the run then waits for calls in progress",
    )
    load.add_argument(
        "--talk",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how long an agent talks before releasing (default 1)",
    )
    load.add_argument("--queue", default="7001", help="the ACD queue DN (default 7001)")
    load.add_argument(
        "--agent-dns",
        type=dn_list,
        metavar="DNS",
        help="agent extensions, e.g. 2001-2050 (default: 2001 up, N of them)",
    )
    load.add_argument(
        "--agent-ids",
        default="agent-{n}",
        metavar="PATTERN",
        help="AgentIDs: a pattern with {n} (1..N) or a comma list (default agent-{n})",
    )
    load.add_argument("--agent-password", metavar="P", help="the agents' password (default: none)")
    load.add_argument(
        "--caller-dns",
        type=dn_list,
        metavar="DNS",
        help="caller extensions, e.g. 3001-3020 (default: 3001 up, enough for the rate)",
    )
    client_options(load, default_server=None, json_help="print the summary as one JSON line")
    load.set_defaults(run=partial(run_client, _load))


@dataclass(frozen=True, slots=True)
class LoadPlan:
    agents: tuple[AgentSpec, ...]
    queue: str
    caller_dns: tuple[str, ...]
    rate: float
    duration: float
    talk: float


def plan_from_args(args: argparse.Namespace) -> LoadPlan:
    """The run's DNs and agents from the options (defaults filled in); ValueError if wrong."""
    n: int = args.agents
    if args.talk < 0:
        raise ValueError("--talk must be 0 or more")
    agent_dns = args.agent_dns or _numbered("2", n)
    if len(agent_dns) < n:
        raise ValueError(f"--agent-dns lists {len(agent_dns)} DNs for {n} agents")
    pattern: str = args.agent_ids
    if "{n}" in pattern:
        ids = [pattern.replace("{n}", str(i)) for i in range(1, n + 1)]
    else:
        ids = [part.strip() for part in pattern.split(",") if part.strip()]
    if len(ids) < n or len(set(ids[:n])) < n:
        raise ValueError(f"--agent-ids gives {len(set(ids))} distinct AgentIDs for {n} agents")
    needed = max(1, math.ceil(args.rate * (args.talk + WAIT_MARGIN)) + 1)
    caller_dns = args.caller_dns or _numbered("3", needed)
    overlap = set(caller_dns) & set(agent_dns[:n])
    if overlap:
        raise ValueError(f"DN {sorted(overlap)[0]} is both an agent and a caller DN")
    agents = tuple(
        AgentSpec(dn, agent_id, args.agent_password)
        for dn, agent_id in zip(agent_dns[:n], ids[:n], strict=True)
    )
    return LoadPlan(
        agents=agents,
        queue=args.queue,
        caller_dns=tuple(caller_dns),
        rate=args.rate,
        duration=args.duration,
        talk=args.talk,
    )


def _numbered(prefix: str, count: int) -> list[str]:
    width = max(3, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def config_for(plan: LoadPlan) -> Config:
    """A configuration with exactly the run's extensions, agents and queue, on 127.0.0.1:0."""
    switch = SwitchConfig(
        extensions=tuple(a.dn for a in plan.agents) + plan.caller_dns,
        agents=tuple(AgentConfig(a.agent_id, a.password or "") for a in plan.agents),
        queues=(QueueConfig(plan.queue),),
    )
    return Config(
        # the callers share one connection: no per-client request limit for the load generator
        server=ServerConfig(
            host="127.0.0.1", port=0, name="ctiemu-load", max_requests_per_second=0
        ),
        switch=switch,
        source="<generated for ctiemu load>",
    )


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(plan: LoadPlan, stats: LoadStats, elapsed: float) -> dict[str, Any]:
    ordered = sorted(stats.latencies)
    latency: dict[str, Any] = {"requests": len(ordered)}
    if ordered:
        latency["p50_ms"] = round(_percentile(ordered, 0.50) * 1000, 3)
        latency["p99_ms"] = round(_percentile(ordered, 0.99) * 1000, 3)
    return {
        "agents": len(plan.agents),
        "rate": plan.rate,
        "duration_s": plan.duration,
        "elapsed_s": round(elapsed, 3),
        "offered": stats.offered,
        "completed": stats.completed,
        "abandoned": stats.abandoned,
        "failed": stats.failed,
        "events": stats.events,
        "events_per_s": round(stats.events / elapsed, 1) if elapsed > 0 else 0.0,
        "latency": latency,
        "errors": {_code_name(code): n for code, n in sorted(stats.errors.items())},
        "timeouts": stats.timeouts,
    }


def _code_name(code: int) -> str:
    try:
        return f"{code} {ErrorCode(code).name}"
    except ValueError:
        return str(code)


def format_summary(result: dict[str, Any]) -> str:
    latency = result["latency"]
    if "p50_ms" in latency:
        shown = f"p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms"
    else:
        shown = "no requests answered"
    errors = ", ".join(f"{name}: {n}" for name, n in result["errors"].items()) or "none"
    return "\n".join(
        [
            f"agents          {result['agents']}",
            f"rate            {result['rate']:g} calls/s for {result['duration_s']:g} s "
            f"({result['elapsed_s']:.1f} s with the calls in progress)",
            f"calls offered   {result['offered']}",
            f"completed       {result['completed']}",
            f"abandoned       {result['abandoned']}",
            f"failed          {result['failed']}",
            f"events          {result['events']} ({result['events_per_s']:.1f}/s)",
            f"latency         {shown} over {latency['requests']} requests",
            f"EventErrors     {errors}",
            f"timeouts        {result['timeouts']}",
        ]
    )


async def run_load(
    host: str,
    port: int,
    plan: LoadPlan,
    *,
    progress: TextIO | None = None,
    stop: trio.Event | None = None,
) -> dict[str, Any]:
    """Run the plan against the T-Server at host:port; return the summary. Setting `stop`
    ends the placing of calls early (the calls in progress still end as usual)."""
    stats = LoadStats()
    async with AsyncExitStack() as stack:
        bots: list[AgentBot] = []
        for spec in plan.agents:
            client = await stack.enter_async_context(
                open_client(host, port, application_name=f"ctiemu-load-{spec.agent_id}")
            )
            bots.append(AgentBot(client, spec, plan.queue, stats, talk=lambda: plan.talk))
        caller_client = await stack.enter_async_context(
            open_client(host, port, application_name="ctiemu-load-callers")
        )
        callers = Callers(caller_client, plan.caller_dns, plan.queue, stats)
        await _start(bots, callers)
        try:
            elapsed = await _drive(
                plan,
                stats,
                bots,
                callers,
                progress=progress,
                stop=stop if stop is not None else trio.Event(),
            )
        finally:
            with trio.CancelScope(shield=True):
                async with trio.open_nursery() as nursery:
                    for bot in bots:
                        nursery.start_soon(bot.stop)
    return summary(plan, stats, elapsed)


async def _start(bots: list[AgentBot], callers: Callers) -> None:
    failures: list[str] = []

    async def start_bot(bot: AgentBot) -> None:
        try:
            await bot.start()
        except TServerError as exc:
            failures.append(f"agent {bot.spec.agent_id} on {bot.spec.dn}: {_describe(exc)}")

    async with trio.open_nursery() as nursery:
        for bot in bots:
            nursery.start_soon(start_bot, bot)
    try:
        await callers.start()
    except TServerError as exc:
        failures.append(f"callers: {_describe(exc)}")
    if failures:
        for bot in bots:
            await bot.stop()
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise LoadError(failures[0] + more)


def _describe(exc: TServerError) -> str:
    return refusal(exc.event)


async def _drive(
    plan: LoadPlan,
    stats: LoadStats,
    bots: list[AgentBot],
    callers: Callers,
    *,
    progress: TextIO | None,
    stop: trio.Event,
) -> float:
    """Place the calls, wait for the calls in progress, return the seconds it all took."""
    stats.reset_measures()
    start = trio.current_time()
    total = round(plan.rate * plan.duration)
    try:
        async with trio.open_nursery() as workers:
            for bot in bots:
                workers.start_soon(bot.run)
            workers.start_soon(callers.run)
            if progress is not None:
                workers.start_soon(_report_progress, stats, start, progress)
            async with trio.open_nursery() as calls:
                with trio.CancelScope() as placing:
                    workers.start_soon(_cancel_when, stop, placing)
                    for i in range(total):
                        await trio.sleep_until(start + i / plan.rate)
                        calls.start_soon(callers.call)
                    await trio.sleep_until(start + plan.duration)
                with trio.move_on_after(plan.talk + WAIT_MARGIN):
                    await callers.wait_idle()
                for bot in bots:
                    bot.go_idle()
                callers.hang_up_all()
            elapsed = trio.current_time() - start
            workers.cancel_scope.cancel()
        if progress is not None:
            rate = stats.events / elapsed if elapsed else 0.0
            _print_progress(stats, elapsed, rate, progress)
    finally:
        if progress is not None:
            print(file=progress, flush=True)  # end the progress line
    return elapsed


async def _cancel_when(event: trio.Event, scope: trio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def _report_progress(stats: LoadStats, start: float, out: TextIO) -> None:
    last_events, last_time = 0, start
    while True:
        await trio.sleep(1)
        now = trio.current_time()
        rate = (stats.events - last_events) / (now - last_time)
        last_events, last_time = stats.events, now
        _print_progress(stats, now - start, rate, out)


def _print_progress(stats: LoadStats, elapsed: float, rate: float, out: TextIO) -> None:
    errors = sum(stats.errors.values()) + stats.timeouts
    out.write(
        f"\r{elapsed:6.1f} s  calls {stats.offered} started, {stats.completed} completed  "
        f"{rate:8.1f} events/s  errors {errors} "
    )
    out.flush()


async def _load(args: argparse.Namespace) -> int:
    try:
        plan = plan_from_args(args)
    except ValueError as exc:
        return fail(str(exc))
    stop = trio.Event()  # Ctrl-C or SIGTERM: stop placing calls, finish, print the summary
    result: dict[str, object] | None = None
    async with trio.open_nursery() as nursery:
        nursery.start_soon(set_on_signal, stop)
        try:
            if args.server is not None:
                host, port = args.server
                result = await run_load(host, port, plan, progress=sys.stderr, stop=stop)
            else:
                listeners: list[trio.SocketListener] = await nursery.start(
                    run_server, config_for(plan)
                )
                port = listeners[0].socket.getsockname()[1]
                result = await run_load("127.0.0.1", port, plan, progress=sys.stderr, stop=stop)
        except LoadError as exc:
            fail(str(exc), EXIT_REFUSED)
        nursery.cancel_scope.cancel()
    if result is None:
        return EXIT_REFUSED
    print(json.dumps(result) if args.json else format_summary(result), flush=True)
    return EXIT_OK
