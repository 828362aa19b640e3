"""What the example programs share: the argument types they add to the client library's, and
running a program until it is done or SIGINT/SIGTERM arrives, with the exit status the examples
document (0 done or interrupted, 1 the T-Server refused a request, 3 no T-Server there or the
connection broke; argparse exits with 2 on bad arguments)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

import trio

from cti.client import ConnectionLost, TServerError


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


async def _until_signal(work: Callable[[], Awaitable[None]]) -> None:
    """`work` until it returns, or until SIGINT/SIGTERM."""
    async with trio.open_nursery() as nursery:

        async def until_signal() -> None:
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    nursery.cancel_scope.cancel()
                    return

        nursery.start_soon(until_signal)
        await work()
        nursery.cancel_scope.cancel()


def _unwrap(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def run(prog: str, work: Callable[[], Awaitable[None]], server: tuple[str, int]) -> int:
    """Run `work` (talking to the T-Server at `server`); its exit status."""
    # the client library logs lost connections and refused re-registrations as warnings
    logging.basicConfig(level=logging.WARNING, format=f"{prog}: %(message)s")
    try:
        trio.run(_until_signal, work)
    except (BaseExceptionGroup, TServerError, ConnectionLost, OSError, trio.TooSlowError) as raw:
        exc = _unwrap(raw)
        if isinstance(exc, TServerError):
            print(f"{prog}: refused: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, ConnectionLost | OSError | trio.TooSlowError):
            host, port = server
            print(f"{prog}: cannot talk to the T-Server at {host}:{port}: {exc}", file=sys.stderr)
            return 3
        raise
    return 0
