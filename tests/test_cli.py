"""The command line as a newcomer runs it: `ctiemu serve`, `ctiemu monitor`, `ctiemu call`, as
separate processes on 127.0.0.1 with the port chosen by the OS. Real time, bounded by timeouts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

CTIEMU = [sys.executable, "-m", "cti.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def server() -> Iterator[str]:
    proc = subprocess.Popen(
        [*CTIEMU, "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    address = None
    for line in proc.stderr:
        match = re.search(r"serving on (127\.0\.0\.1:\d+)", line)
        if match:
            address = match.group(1)
            break
    assert address, "server did not report its address"
    try:
        yield address
    finally:
        proc.terminate()
        assert proc.wait(timeout=120) == 0  # SIGTERM is a clean shutdown


def test_version() -> None:
    out = subprocess.run(
        [*CTIEMU, "--version"], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0
    assert re.fullmatch(r"ctiemu \d+\.\d+\.\d+\n", out.stdout)


def test_call_shows_up_in_monitor(server: str) -> None:
    monitor = subprocess.Popen(
        [*CTIEMU, "monitor", "1002", "1001", "--json", "--count", "4", "--server", server],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert monitor.stderr is not None
    ready = [monitor.stderr.readline(), monitor.stderr.readline()]
    assert ready == ["monitoring 1002\n", "monitoring 1001\n"]

    call = subprocess.run(
        [*CTIEMU, "call", "1001", "1002", "--timeout", "0.5", "--server", server],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert call.returncode == 0, call.stderr
    lines = call.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["EventDialing", "EventReleased"]
    assert all(" 1001 " in line for line in lines)

    out, _ = monitor.communicate(timeout=120)
    assert monitor.returncode == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["event"], e["this_dn"]) for e in events] == [
        ("EventDialing", "1001"),
        ("EventRinging", "1002"),
        ("EventReleased", "1001"),
        ("EventReleased", "1002"),
    ]
    assert len({e["conn_id"] for e in events}) == 1
    assert events[1]["other_dn"] == "1001" and events[1]["call_type"] == "Internal"


def test_call_prints_the_calls_user_data_changes(server: str) -> None:
    """`call` prints every event of the call at FROM, EventAttachedDataChanged too."""
    call = subprocess.Popen(
        [*CTIEMU, "call", "1001", "1002", "--json", "--timeout", "100", "--server", server],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert call.stdout is not None
    assert json.loads(call.stdout.readline())["event"] == "EventDialing"
    for command in (["attach", "1001", "order=42"], ["release", "1001"]):
        done = subprocess.run(
            [*CTIEMU, *command, "--server", server],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    out, err = call.communicate(timeout=120)
    assert call.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in events] == ["EventAttachedDataChanged", "EventReleased"]
    assert events[0]["user_data"] == [["order", "42"]]


def test_call_to_unknown_dn_is_refused(server: str) -> None:
    call = subprocess.run(
        [*CTIEMU, "call", "1001", "5555", "--server", server],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert call.returncode == 1
    assert "EventError 59" in call.stderr
    assert "Traceback" not in call.stderr


def test_unreachable_server() -> None:
    call = subprocess.run(
        [*CTIEMU, "call", "1001", "1002", "--server", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert call.returncode == 3
    assert "cannot talk to the T-Server" in call.stderr
    assert "Traceback" not in call.stderr


def test_bad_config_names_key(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.toml"
    path.write_text('[server]\nport = "seven"\n')
    out = subprocess.run(
        [*CTIEMU, "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2
    assert "server.port" in out.stderr


def test_dissector_command_prints_the_generated_lua() -> None:
    from protocol.dissector import render_lua

    out = subprocess.run(
        [*CTIEMU, "dissector", "--port", "7100"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0
    assert out.stdout == render_lua(7100)
    assert 'DissectorTable.get("tcp.port"):add(7100, ctiemu)' in out.stdout
