"""`ctiemu load` (in-process and against a running server) and `ctiemu serve --demo`, as
separate processes, in real time on 127.0.0.1 with ports the OS picks."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from typing import Any

import trio

from cti.client import open_client
from protocol.enums import AddressInfoType
from protocol.messages import (
    EventAddressInfo,
    EventEstablished,
    EventRinging,
    RequestQueryAddress,
)
from tests.cti.test_server import server_port
from tests.test_cli_commands import ENV, ctiemu

__all__ = ["server_port"]

LIMIT = 90  # seconds, real time, per test: wide, these start Python processes on a shared machine


def check_summary(result: dict[str, Any], offered: int) -> None:
    assert result["offered"] == offered
    assert isinstance(result["completed"], int) and result["completed"] > 0
    assert result["completed"] + result["abandoned"] + result["failed"] == offered
    assert result["errors"] == {} and result["timeouts"] == 0
    latency = result["latency"]
    assert isinstance(latency, dict)
    assert 0 < latency["p50_ms"] <= latency["p99_ms"] < 5000
    assert isinstance(result["events_per_s"], float) and result["events_per_s"] > 0


async def test_load_in_process_json_summary() -> None:
    with trio.fail_after(LIMIT):
        done = await ctiemu("load", "--agents", "3", "--rate", "5", "--duration", "2", "--json")
    assert done.returncode == 0, done.stderr.decode()
    (line,) = done.stdout.decode().splitlines()
    result = json.loads(line)
    check_summary(result, offered=10)
    # 3 agents talking 1 s each keep up with 5 calls/s after a short queue: all complete
    assert result["completed"] == 10
    # the progress line, rewritten in place once a second on stderr
    progress = done.stderr.decode()
    assert "\r" in progress and "events/s" in progress and "Traceback" not in progress
    # and nothing else: the in-process server's log stays quiet
    assert all(line.startswith("\r") for line in progress.split("\n") if line), progress


async def test_load_against_a_running_server_logs_its_agents_out(server_port: int) -> None:
    with trio.fail_after(LIMIT):
        done = await ctiemu(
            "load",
            "--server",
            f"127.0.0.1:{server_port}",
            "--agents",
            "2",
            "--agent-dns",
            "1001-1002",
            "--agent-ids",
            "agent{n}",
            "--caller-dns",
            "1003,1004-1006",
            "--rate",
            "4",
            "--duration",
            "1",
            "--talk",
            "0.3",
        )
        assert done.returncode == 0, done.stderr.decode()
        text = done.stdout.decode()
        assert re.search(r"^calls offered +4$", text, re.M), text
        assert re.search(r"^completed +[1-4]$", text, re.M), text
        assert re.search(r"^EventErrors +none$", text, re.M), text
        async with open_client("127.0.0.1", server_port, application_name="t") as client:
            for dn in ("1001", "1002"):
                info = await client.request(
                    RequestQueryAddress(this_dn=dn, address_info_type=AddressInfoType.AgentStatus)
                )
                assert isinstance(info, EventAddressInfo) and info.agent_id is None

        # DNs the server does not have: one clear line, status 1
        done = await ctiemu(
            "load", "--server", f"127.0.0.1:{server_port}", "--agents", "1", "--rate", "1",
            "--duration", "1",
        )  # fmt: skip
        assert done.returncode == 1
        assert done.stderr.decode().splitlines() == [
            "ctiemu: agent agent-1 on 2001: EventError 59 DNNotConfigured: "
            "DN '2001' is not configured (and 1 more)"  # the callers' 3001
        ]


async def test_load_option_errors() -> None:
    with trio.fail_after(LIMIT):
        done = await ctiemu(
            "load", "--agents", "3", "--agent-dns", "2001-2002", "--rate", "1", "--duration", "1"
        )
    assert done.returncode == 2
    assert done.stderr.decode() == "ctiemu: --agent-dns lists 2 DNs for 3 agents\n"


async def test_serve_demo_shows_calls_and_stops_on_sigterm() -> None:
    with trio.fail_after(LIMIT):
        async with trio.open_nursery() as nursery:
            proc: trio.Process = await nursery.start(
                partial_process, [sys.executable, "-m", "cti.cli", "serve", "--port", "0", "--demo"]
            )
            assert proc.stderr is not None
            text = ""
            while "demo:" not in text or not text.endswith("\n"):
                chunk = await proc.stderr.receive_some(4096)
                assert chunk, text
                text += chunk.decode()
            found = re.search(r"serving on 127\.0\.0\.1:(\d+)", text)
            assert found, text
            port = int(found.group(1))
            assert "ctiemu monitor 7001 1001 1002" in text

            async with open_client("127.0.0.1", port, application_name="watch") as watch:
                await watch.register_address("1001")
                await watch.register_address("1002")
                # the first customer calls at once and an agent answers after 1-3 s of ringing
                established = None
                while established is None:
                    event = await watch.next_event(timeout=LIMIT)
                    if isinstance(event, EventEstablished | EventRinging):
                        assert event.this_dn in ("1001", "1002")
                        assert event.this_queue == "7001" and event.ani is not None
                        if isinstance(event, EventEstablished):
                            established = event
                assert established.call_type.name == "Inbound"

            proc.send_signal(signal.SIGTERM)
            assert await proc.wait() == 0
            while chunk := await proc.stderr.receive_some(4096):
                text += chunk.decode()
            # a clean stop: the demo's clients leave before the server, nobody warns
            assert "ctiemu: shutting down" in text
            assert "WARNING" not in text and "ERROR" not in text, text
            nursery.cancel_scope.cancel()


async def partial_process(
    command: list[str], *, task_status: trio.TaskStatus[trio.Process]
) -> None:
    await trio.run_process(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
        check=False,
        task_status=task_status,
    )
