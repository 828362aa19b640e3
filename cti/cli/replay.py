"""`ctiemu replay FILE.pcap`: replay a capture's client sessions against a live T-Server.

    ctiemu replay captures/basic-call.pcap                    # starts a server itself
    ctiemu replay session.pcap --server 127.0.0.1:7000        # against a running server
    ctiemu replay captures/*.pcap --junit replay.xml          # several, one JUnit report

Without --server, ctiemu starts an in-process server on 127.0.0.1 (port 0) for each capture,
with the configuration `--config` names or, failing that, the one the capture index names:
`index.toml` next to the capture, `[captures."NAME.pcap"] config = "corpus.toml"` (relative to
the index). A fresh server per capture makes the replay reproducible.

Exit status: 0 every capture replayed without a difference; 1 differences; 2 a bad capture,
configuration or option; 3 the server could not be reached.
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import trio

from cti.capture.pcap import CaptureError, CtiSession, read_sessions
from cti.capture.replay import ReplayResult, junit, replay_sessions
from cti.cli.common import (
    EXIT_OK,
    EXIT_UNREACHABLE,
    fail,
    os_error,
    port_number,
    server_address,
)
from cti.server.config import Config, ConfigError, load_config

EXIT_DIFFERENT = 1


def add_parsers(commands: Any) -> None:
    replay = commands.add_parser(
        "replay", help="replay captured client sessions against a server and compare"
    )
    replay.add_argument("files", nargs="+", metavar="FILE.pcap")
    replay.add_argument(
        "--server", type=server_address, metavar="HOST:PORT", help="a running server to use"
    )
    replay.add_argument("--config", metavar="FILE", help="configuration for the started server")
    replay.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    replay.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for each expected message (default 5)",
    )
    replay.add_argument(
        "--port", type=port_number, help="the recorded server's TCP port, if ambiguous"
    )
    replay.add_argument("-q", "--quiet", action="store_true", help="print only the verdicts")
    replay.set_defaults(run=main)


def index_config(capture: Path) -> Path | None:
    """The configuration the capture index next to `capture` names for it, if any."""
    index = capture.parent / "index.toml"
    if not index.is_file():
        return None
    try:
        entries = tomllib.loads(index.read_text(encoding="utf-8")).get("captures", {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{index}: {exc}") from None
    entry = entries.get(capture.name)
    config = entry.get("config") if isinstance(entry, dict) else None
    return index.parent / config if isinstance(config, str) else None


async def replay_file(
    sessions: list[CtiSession],
    source: str,
    *,
    server: tuple[str, int] | None,
    config: Config | None,
    timeout: float,
) -> ReplayResult:
    """Replay one capture's sessions: against `server`, or a fresh in-process server built
    from `config`."""
    if server is not None:
        return await replay_sessions(sessions, *server, source=source, timeout=timeout)
    assert config is not None
    from cti.server.build import run_server

    config = replace(config, server=replace(config.server, host="127.0.0.1", port=0))
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(run_server, config)
        live_port = listeners[0].socket.getsockname()[1]
        result = await replay_sessions(
            sessions, "127.0.0.1", live_port, source=source, timeout=timeout
        )
        nursery.cancel_scope.cancel()
    return result


def main(args: argparse.Namespace) -> int:
    """Run `ctiemu replay`: one line per problem on stderr, the report on stdout."""
    results: list[ReplayResult] = []
    if args.junit and not Path(args.junit).resolve().parent.is_dir():
        return fail(f"cannot write {args.junit}: no folder {Path(args.junit).parent}")
    try:
        given = load_config(args.config) if args.config else None
        for name in args.files:
            path = Path(name)
            sessions = read_sessions(path, port=args.port)
            config = given
            if args.server is None and config is None:
                found = index_config(path)
                if found is None:
                    raise ConfigError(
                        f"{path}: no --server, no --config, and no entry for it in "
                        f"{path.parent / 'index.toml'}"
                    )
                config = load_config(found)
            try:
                result = trio.run(
                    partial(
                        replay_file,
                        sessions,
                        path.name,
                        server=args.server,
                        config=config,
                        timeout=args.timeout,
                    )
                )
            except (OSError, BaseExceptionGroup) as exc:
                lost = os_error(exc)
                if lost is None:
                    raise
                where = "{}:{}".format(*args.server) if args.server else "the started server"
                return fail(f"cannot reach {where}: {lost}", EXIT_UNREACHABLE)
            results.append(result)
            report = result.report()
            print(report.splitlines()[-1] if args.quiet else report, flush=True)
    except (ConfigError, CaptureError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"{exc.filename or ''}: {exc.strerror}")
    if args.junit:
        try:
            Path(args.junit).write_text(junit(results), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.junit}: {exc.strerror or exc}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_DIFFERENT
