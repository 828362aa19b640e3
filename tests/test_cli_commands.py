"""The one-shot agent and call commands, end to end: a real T-Server on 127.0.0.1 port 0 in the
test process, `ctiemu ...` run as a separate process against it, and a client of the test's own
(the client library) that makes the calls and watches what the commands did. Real time."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import trio

from cti.client import TClient, open_client
from protocol.enums import RegisterMode
from protocol.messages import (
    CallEvent,
    Event,
    EventDialing,
    EventPartyAdded,
    EventPartyChanged,
    RequestMakeCall,
)
from tests.cti.test_server import server_port

__all__ = ["ctiemu", "server_port"]

LIMIT = 90  # seconds, real time, per test: wide, these start Python processes on a shared machine
QUICK = "0.1"  # --wait for commands whose events all come with the answer (default 0.3)
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


async def ctiemu(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run `ctiemu ARGS...` as its own process; its output captured, its exit status kept."""
    return await trio.run_process(
        [sys.executable, "-m", "cti.cli", *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        env=ENV,
    )


def lines(out: bytes) -> list[str]:
    return out.decode().splitlines()


def names(output: list[str]) -> list[str]:
    """The event names of readable lines (time, name, ThisDN, attributes)."""
    return [line.split()[1] for line in output]


async def ok(port: int, *args: str, wait: str | None = None) -> list[str]:
    """Run a command that must succeed (with this --wait, if given); its output lines."""
    if wait is not None:
        args = (*args, "--wait", wait)
    done = await ctiemu(*args, "--server", f"127.0.0.1:{port}")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    return lines(done.stdout)


async def refused(port: int, *args: str) -> str:
    """Run a command that must fail with exit status 1; its one line of stderr."""
    done = await ctiemu(*args, "--server", f"127.0.0.1:{port}")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == b""
    (line,) = lines(done.stderr)
    return line


async def next_of(client: TClient, kind: type[Event], dn: str | None = None) -> Event:
    """The next event of this kind (at this DN), skipping others."""
    while True:
        event = await client.next_event(timeout=LIMIT)
        if isinstance(event, kind) and (dn is None or getattr(event, "this_dn", None) == dn):
            return event


async def test_agent_login_ready_notready_logout(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", server_port, application_name="watch") as watch:
            await watch.register_address("1001", RegisterMode.Monitor)
            port = server_port
            (login,) = await ok(port, "agent", "login", "1001", "agent1", "--queue", "7001")
            assert login.split()[1:3] == ["EventAgentLogin", "1001"]
            assert "agent_id=agent1" in login and "this_queue=7001" in login
            # each command is its own connection: the agent stays logged in between them
            (ready,) = await ok(port, "agent", "ready", "1001", "--work-mode", "autoin")
            assert ready.split()[1] == "EventAgentReady" and "agent_work_mode=AutoIn" in ready
            (acw,) = await ok(
                port, "agent", "notready", "1001", "--acw", "--reason", "42", "--json"
            )
            record = json.loads(acw)
            assert record["event"] == "EventAgentNotReady"
            assert record["agent_work_mode"] == "AfterCallWork"
            assert record["reasons"] == [["ReasonCode", "42"]]
            (logout,) = await ok(port, "agent", "logout", "1001")
            assert logout.split()[1] == "EventAgentLogout"

            seen = [await watch.next_event(timeout=LIMIT) for _ in range(6)]
            assert [type(e).__name__ for e in seen] == [
                "EventServerInfo",
                "EventRegistered",
                "EventAgentLogin",
                "EventAgentReady",
                "EventAgentNotReady",
                "EventAgentLogout",
            ]

            # a password is sent; a wrong one is the server's EventError, one line, status 1
            line = await refused(port, "agent", "login", "1003", "agent3", "--password", "no")
            assert line == "ctiemu: EventError 707 InvalidAgent: wrong password for agent agent3"
            (login,) = await ok(port, "agent", "login", "1003", "agent3", "--password", "secret")
            assert "EventAgentLogin 1003" in login
            line = await refused(port, "agent", "ready", "1004")
            assert line.startswith("ctiemu: EventError 705 InvalidState: ")


async def test_answer_hold_retrieve_attach_dtmf_and_single_step_transfer_conference(
    server_port: int,
) -> None:
    port = server_port
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", port, application_name="caller") as caller:
            await caller.register_address("1001")
            dialing = await caller.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            assert isinstance(dialing, EventDialing)
            conn = str(dialing.conn_id)

            # no --conn: the DN's only call
            (answered,) = await ok(port, "answer", "1002", wait=QUICK)
            assert answered.split()[1:3] == ["EventEstablished", "1002"]
            assert f"conn={conn}" in answered
            assert names(await ok(port, "hold", "1002", wait=QUICK)) == ["EventHeld"]
            assert names(await ok(port, "retrieve", "1002", "--conn", conn, wait=QUICK)) == [
                "EventRetrieved"
            ]
            (attached,) = await ok(
                port, "attach", "1002", "order=42", "name=Ada Lovelace", wait=QUICK
            )
            assert attached.split()[1] == "EventAttachedDataChanged"
            assert 'data=[["order", "42"], ["name", "Ada Lovelace"]]' in attached
            (sent,) = await ok(port, "dtmf", "1002", "12#", wait=QUICK)
            assert sent.split()[1:3] == ["EventDTMFSent", "1002"]

            # single-step transfer: 1002 leaves, 1003 rings, the caller sees the change
            transferred = await ok(port, "transfer", "1002", "1003", wait=QUICK)
            assert names(transferred) == ["EventReleased"]
            assert "state=Transferred" in transferred[0]
            changed = await next_of(caller, EventPartyChanged)
            assert isinstance(changed, CallEvent) and changed.other_dn == "1003"
            await ok(port, "answer", "1003", wait=QUICK)

            # single-step conference: nothing happens at 1003 at once (EventACK), 1004 rings
            (ack,) = await ok(port, "conference", "1003", "1004", wait=QUICK)
            assert ack.split()[1] == "EventACK"
            (joined,) = await ok(port, "answer", "1004", wait=QUICK)
            assert "EventEstablished 1004" in joined and "state=Conferenced" in joined
            added = await next_of(caller, EventPartyAdded)
            assert isinstance(added, CallEvent) and added.other_dn == "1004"

            released = await ok(port, "release", "1001", "--wait", "0.5")
            assert names(released)[0] == "EventReleased"


async def test_two_step_transfer_needs_conn_then_completes(server_port: int) -> None:
    port = server_port
    with trio.fail_after(LIMIT):
        async with open_client("127.0.0.1", port, application_name="caller") as caller:
            await caller.register_address("1005")
            dialing = await caller.request(RequestMakeCall(this_dn="1005", other_dn="1006"))
            assert isinstance(dialing, EventDialing)
            conn = str(dialing.conn_id)
            await ok(port, "answer", "1006", "--conn", conn, wait=QUICK)

            initiated = await ok(port, "transfer", "1006", "1007", "--two-step", wait=QUICK)
            assert names(initiated) == ["EventHeld", "EventDialing"]
            consult = initiated[1].split("conn=")[1].split()[0]
            assert consult != conn and "type=Consult" in initiated[1]

            # two calls at 1006 now: a command without --conn asks which
            line = await refused(port, "hold", "1006")
            assert line == (
                f"ctiemu: 1006 has 2 calls ({conn}, {consult}): say which with --conn CONNID"
            )
            await ok(port, "answer", "1007", wait=QUICK)
            completed = await ok(port, "transfer", "1006", "--complete", wait=QUICK)
            assert names(completed) == ["EventReleased", "EventReleased"]
            assert all("state=Transferred" in line for line in completed)
            assert {line.split("conn=")[1].split()[0] for line in completed} == {conn, consult}
            changed = await next_of(caller, EventPartyChanged, "1005")
            assert isinstance(changed, CallEvent) and changed.other_dn == "1007"

            line = await refused(port, "transfer", "1006", "--complete")
            assert line.startswith("ctiemu: 1006 needs one held call and one consultation call")


async def test_no_call_unknown_dn_bad_conn_and_unreachable_server(server_port: int) -> None:
    port = server_port
    with trio.fail_after(LIMIT):
        assert await refused(port, "answer", "1008") == "ctiemu: 1008 has no call to answer"
        assert await refused(port, "release", "4242") == (
            "ctiemu: EventError 59 DNNotConfigured: DN '4242' is not configured"
        )
        assert await refused(port, "transfer", "1008") == (
            "ctiemu: transfer needs TO (or --complete)"
        )
        bad = await ctiemu("hold", "1008", "--conn", "xyz", "--server", f"127.0.0.1:{port}")
        assert bad.returncode == 2
        assert b"'xyz' is not a ConnID (16 hex digits)" in bad.stderr

        gone = await ctiemu("answer", "1001", "--server", "127.0.0.1:1")
        assert gone.returncode == 3  # as `monitor` and `call` report an unreachable server
        (line,) = lines(gone.stderr)
        assert line.startswith("ctiemu: cannot talk to the T-Server at 127.0.0.1:1: ")
