"""What every `ctiemu` command shares: the exit codes, the one port parser (and HOST:PORT on
it), the client options (--server, --json), the one error style (`fail`: `ctiemu: message` on
stderr, one line; `refusal`: how an EventError reads), running a client command with its errors
turned into messages and exit codes, and waiting for Ctrl-C or SIGTERM. Light to import: trio,
the client library and protocol/ are imported by the functions that use them, so that `ctiemu
--version` starts fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import trio

    from protocol.messages import EventError

EXIT_OK = 0
EXIT_REFUSED = 1  # the server answered EventError (or there was no single call to act on)
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # no server, or the connection broke
EXIT_INTERRUPTED = 130  # Ctrl-C where the command does not take it as "stop"

#: What a client command talks to unless told otherwise.
DEFAULT_SERVER = ("127.0.0.1", 7000)


def port_number(text: str) -> int:
    """A TCP port, 0-65535 (argparse type): the one port parser of ctiemu (0, where listening,
    lets the system pick)."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (0-65535)")
    return int(text)


def _host_port(text: str) -> tuple[str, int]:
    """HOST:PORT or [V6HOST]:PORT, any port 0-65535."""
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, port_number(port)


def server_address(text: str) -> tuple[str, int]:
    """HOST:PORT of a server to connect to (argparse type): port 1-65535."""
    host, port = _host_port(text)
    if port == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: port 0 is not a server's port")
    return host, port


def listen_address(text: str) -> tuple[str, int]:
    """HOST:PORT to listen on (argparse type): port 0 lets the system pick."""
    return _host_port(text)


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
    """Print `ctiemu: message` on stderr, the one error style of every command; return the
    exit code."""
    print(f"ctiemu: {message}", file=sys.stderr, flush=True)
    return code


def refusal(event: EventError) -> str:
    """An EventError as every command prints it: `EventError <code> <name>: <message>`."""
    from protocol.errors import ErrorCode

    try:
        name = ErrorCode(event.error_code).name
    except ValueError:
        name = "Unknown"
    return f"EventError {event.error_code} {name}: {event.error_message or ''}"


def os_error(raised: BaseException) -> OSError | None:
    """The OSError that `raised` is, or that every exception inside its (nested) groups is."""
    leaves = list(exception_leaves(raised))
    if leaves and all(isinstance(e, OSError) for e in leaves):
        first = leaves[0]
        assert isinstance(first, OSError)
        return first
    return None


def cannot_listen(host: str, port: int, error: OSError) -> int:
    """`ctiemu: cannot listen on HOST:PORT: ...` (with a hint when the port is taken):
    EXIT_UNREACHABLE."""
    import errno

    hint = ""
    if error.errno == errno.EADDRINUSE:
        hint = " (something already listens there, perhaps another ctiemu: stop it or pick "
        hint += "another port)"
    elif error.errno == errno.EADDRNOTAVAIL:
        hint = " (that address is not one of this machine's)"
    reason = error.strerror or str(error)
    return fail(f"cannot listen on {host}:{port}: {reason}{hint}", EXIT_UNREACHABLE)


class CommandError(Exception):
    """The command cannot be carried out as asked, for a reason it explains (no call to act
    on, a call that has ended ...): one line, exit status 1."""


def run_client(fn: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace) -> int:
    """Run a client command under trio; turn what went wrong into a message and an exit code:
    EventError or CommandError -> EXIT_REFUSED, no server or a lost connection ->
    EXIT_UNREACHABLE, Ctrl-C -> EXIT_INTERRUPTED. Anything else is a bug and is raised."""
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
            return fail(refusal(leaves[0].event), EXIT_REFUSED)
        if len(leaves) == 1 and isinstance(leaves[0], CommandError):
            return fail(str(leaves[0]), EXIT_REFUSED)
        if not all(isinstance(e, OSError | ConnectionLost | trio.TooSlowError) for e in leaves):
            raise
        if args.server is None:
            return fail(f"the T-Server in this process failed: {leaves[0]}", EXIT_UNREACHABLE)
        host, port = args.server
        return fail(f"cannot talk to the T-Server at {host}:{port}: {leaves[0]}", EXIT_UNREACHABLE)
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
