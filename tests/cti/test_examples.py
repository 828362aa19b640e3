"""The programs in examples/ as a user runs them: separate processes against a real T-Server
(in the test's process, 127.0.0.1 port 0), a call made through the client library.

Real time, an absolute `fail_after` around every test body.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import trio

from cti.client import open_client
from protocol.messages import EventDialing, EventEstablished, EventReleased, RequestMakeCall
from tests.cti.servers import start_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
LIMIT = 90  # seconds, real time: wide, each test starts Python processes on a shared machine


class Lines:
    """Lines from a process's pipe, as they come."""

    def __init__(self, stream: trio.abc.ReceiveStream) -> None:
        self._stream = stream
        self._buffer = b""
        self.seen: list[str] = []

    async def next(self) -> str | None:
        """The next line without its newline, or None at the end of the stream."""
        while b"\n" not in self._buffer:
            data = await self._stream.receive_some(65536)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        self.seen.append(text)
        return text

    async def until(self, text: str) -> list[str]:
        """Read until a line containing `text`; the lines read, that one included."""
        start = len(self.seen)
        while (line := await self.next()) is not None:
            if text in line:
                return self.seen[start:]
        raise AssertionError(f"stream ended before {text!r}; saw {self.seen}")

    async def rest(self) -> list[str]:
        start = len(self.seen)
        while await self.next() is not None:
            pass
        return self.seen[start:]


async def example(name: str, *args: str) -> trio.Process:
    return await trio.lowlevel.open_process(
        [sys.executable, str(EXAMPLES / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )


async def test_agent_desktop_answers_a_queued_call_and_the_monitor_shows_it(
    nursery: trio.Nursery,
) -> None:
    server = await start_server(nursery)
    address = f"127.0.0.1:{server.port}"
    with trio.fail_after(LIMIT):
        monitor = await example("monitor.py", "1001", "1002", "--server", address)
        processes = [monitor]
        try:
            assert monitor.stdout and monitor.stderr
            monitor_out, monitor_err = Lines(monitor.stdout), Lines(monitor.stderr)
            await monitor_err.until("monitoring 1002")
            agent = await example(
                "agent_desktop.py",
                *("--server", address, "--dn", "1002", "--agent", "agent1", "--queue", "7001"),
                *("--talk", "0.3", "--calls", "1"),
            )
            processes.append(agent)
            assert agent.stdout and agent.stderr
            agent_out, agent_err = Lines(agent.stdout), Lines(agent.stderr)
            await agent_err.until("agent1 ready on 1002")
            async with open_client("127.0.0.1", server.port, application_name="caller") as caller:
                await caller.register_address("1001")
                dialing = await caller.request(RequestMakeCall(this_dn="1001", other_dn="7001"))
                assert isinstance(dialing, EventDialing)
                conn = dialing.conn_id
                established = await caller.wait_for(EventEstablished, this_dn="1001")
                assert established.other_dn == "1002" and established.conn_id == conn
                # the agent releases after its talk time
                released = await caller.wait_for(EventReleased, this_dn="1001", timeout=LIMIT)
                assert released.conn_id == conn

            # the agent desktop printed one line per event and stopped after one call
            lines = await agent_out.rest()
            assert await agent.wait() == 0, agent_err.seen + await agent_err.rest()
            events = [(line.split()[1], line.split()[2]) for line in lines]
            assert events == [
                ("EventRegistered", "1002"),
                ("EventAgentLogin", "1002"),
                ("EventAgentReady", "1002"),
                ("EventRinging", "1002"),
                ("EventEstablished", "1002"),
                ("EventReleased", "1002"),
            ]
            assert all(f"conn={conn}" in line for line in lines[3:])

            # the monitor showed the call at both DNs, one line per event
            shown = await monitor_out.until("1001   EventReleased")
            if not any("1002   EventReleased" in line for line in shown):
                shown += await monitor_out.until("1002   EventReleased")
            everything = [(line.split()[1], line.split()[2]) for line in shown]
            assert ("1002", "EventAgentReady") in everything  # agent state shows too
            seen = [(line.split()[1], line.split()[2]) for line in shown if f"conn={conn}" in line]
            assert seen[0] == ("1001", "EventDialing")
            assert ("1002", "EventRinging") in seen
            assert {("1001", "EventEstablished"), ("1002", "EventEstablished")} <= set(seen)
            ringing = next(line for line in shown if "EventRinging" in line)
            assert f"conn={conn}" in ringing and "other=1001" in ringing and "state=Ok" in ringing
            monitor.send_signal(signal.SIGINT)
            assert await monitor.wait() == 0
            assert not any("Traceback" in line for line in await monitor_err.rest())
        finally:
            for process in processes:
                if process.returncode is None:
                    process.kill()
                    await process.wait()


async def test_examples_report_bad_input_on_one_line(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    address = f"127.0.0.1:{server.port}"
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    nobody = f"127.0.0.1:{listeners[0].socket.getsockname()[1]}"
    await listeners[0].aclose()
    cases = [
        (["monitor.py", "1001", "--server", "nonsense"], 2, "is not HOST:PORT"),
        (["monitor.py", "1001", "--server", nobody], 3, "cannot talk to the T-Server"),
        (["monitor.py", "4321", "--server", address], 1, "refused: EventError 59"),
        (
            ["agent_desktop.py", "--dn", "1002", "--agent", "nobody", "--server", address],
            1,
            "refused: EventError",
        ),
        (["agent_desktop.py", "--dn", "1002", "--agent", "a", "--talk", "x"], 2, "not a number"),
    ]
    with trio.fail_after(LIMIT):
        for argv, status, message in cases:
            result = await trio.run_process(
                [sys.executable, str(EXAMPLES / argv[0]), *argv[1:]],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                env=ENV,
            )
            err = result.stderr.decode()
            assert result.returncode == status, (argv, err)
            assert message in err.splitlines()[-1], (argv, err)
            assert "Traceback" not in err, (argv, err)
