"""What every `ctiemu` command shares: the exit codes, the one HOST:PORT parser, the client
options (--server, --json), running a client command with its errors turned into messages and
exit codes, and waiting for Ctrl-C or SIGTERM. Light to import: trio and the client library are
imported by the functions that use them, so that `ctiemu --version` starts fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import trio

EXIT_OK = 0
EXIT_REFUSED = 1  # the server answered EventError (or there was no single call to act on)
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # no server, or the connection broke
EXIT_INTERRUPTED = 130  # Ctrl-C where the command does not take it as "stop"

#: What a client command talks to unless told otherwise.
DEFAULT_SERVER = ("127.0.0.1", 7000)


def server_address(text: str) -> tuple[str, int]:
    """HOST:PORT (argparse type): the one parser of server addresses in ctiemu."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def client_options(
    sub: argparse.ArgumentParser,
    *,
    default_server: tuple[str, int] | None = DEFAULT_SERVER,
    json_help: str = "print events as JSON lines",
) -> None:
    """--server HOST:PORT and --json, as every client command takes them."""
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


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print `ctiemu: message` on stderr; return the exit code."""
    print(f"ctiemu: {message}", file=sys.stderr)
    return code


def run_client(fn: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace) -> int:
    """Run a client command under trio; turn what went wrong into a message and an exit code:
    EventError -> EXIT_REFUSED, no server or a lost connection -> EXIT_UNREACHABLE, Ctrl-C ->
    EXIT_INTERRUPTED. Anything else is a bug and is raised."""
    import trio

    from cti.client import ConnectionLost, TServerError

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


async def until_signal() -> None:
    """Return at the first SIGINT or SIGTERM."""
    import trio

    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            return


async def set_on_signal(event: trio.Event) -> None:
    await until_signal()
    event.set()


async def cancel_on_signal(scope: trio.CancelScope) -> None:
    await until_signal()
    scope.cancel()
