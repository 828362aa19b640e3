"""Every command's error paths, as a newcomer meets them: docs/cli.md promises that an error
is one line on stderr, in one style (`ctiemu: ...`), never a traceback, with the documented
exit status (1 refused or nothing to act on, 2 bad usage, 3 no server or cannot listen).

ERRORS is the table: the arguments, the exit status, and a piece of the message. Every command
of the command table has a row (test_every_command_has_an_error_row), so a new command comes
with its error paths. The rows run as separate `ctiemu` processes, a few at a time, against one
`ctiemu serve` (port 0) and one port the test holds open (a port in use). Real time, with wide
limits: these start Python processes on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cti.cli.common import listen_address, port_number, server_address
from cti.cli.main import COMMANDS, build_parser
from tests.test_cli import CTIEMU, ENV

LIMIT = 120  # seconds per command: wide, the machine is shared

#: (arguments, exit status, a piece of stderr). In the arguments, {server} is a running
#: `ctiemu serve`, {busy} a port something listens on, {tmp} a fresh folder holding int.toml
#: (an integer DN), short.wav (a truncated WAV) and a pcap, {ended} the ConnID of a trunk call
#: that has ended.
ERRORS: list[tuple[list[str], int, str]] = [
    # serve: the port in use (`serve --demo` beside a running serve), an address not ours,
    # ports out of range, a missing configuration, an unwritable capture
    (["serve", "--port", "{busy}"], 3, "Address already in use"),
    (["serve", "--demo", "--port", "{busy}"], 3, "another ctiemu"),
    (["serve", "--host", "192.0.2.1", "--port", "0"], 3, "not one of this machine's"),
    (["serve", "--port", "-1"], 2, "'-1' is not a TCP port (0-65535)"),
    (["serve", "--port", "99999"], 2, "'99999' is not a TCP port (0-65535)"),
    (["serve", "--config", "{tmp}/missing.toml"], 2, "No such file"),
    (["serve", "--config", "{tmp}/int.toml"], 2, "int.toml:2: switch.extensions[1]"),
    (["serve", "--port", "0", "--capture", "{tmp}/no/such/dir/x.pcap"], 2, "cannot write"),
    # the client commands
    (["monitor", "1001", "--server", "127.0.0.1:1"], 3, "cannot talk to the T-Server"),
    (["monitor", "1001", "--server", "127.0.0.1:99999"], 2, "not a TCP port"),
    (["call", "1001", "4242", "--server", "{server}"], 1, "EventError 59 DNNotConfigured: "),
    (["agent", "login", "1003", "agent3", "--password", "no", "--server", "{server}"], 1, "707"),
    (["agent", "ready", "4242", "--server", "{server}"], 1, "EventError 59 DNNotConfigured"),
    (["answer", "1008", "--server", "{server}"], 1, "1008 has no call to answer"),
    (["release", "4242", "--server", "{server}"], 1, "EventError 59 DNNotConfigured"),
    (["hold", "1001", "--server", "127.0.0.1:1"], 3, "cannot talk to the T-Server"),
    (["retrieve", "1001", "--conn", "xyz"], 2, "not a ConnID"),
    (["transfer", "1001", "--server", "{server}"], 1, "transfer needs TO"),
    (["conference", "1001", "1002", "--server", "{server}"], 1, "1001 has no call"),
    (["dtmf", "1001", "12X"], 2, "not DTMF digits"),
    (["attach", "1001", "novalue"], 2, "not KEY=VALUE"),
    (["load", "--agents", "0", "--rate", "1", "--duration", "1"], 2, "must be more than 0"),
    (
        ["load", "--agents", "1", "--rate", "1", "--duration", "1", "--server", "{server}"],
        1,
        "EventError 59 DNNotConfigured",
    ),
    (["sim", "hangup", "{ended}", "--server", "{server}"], 1, "has ended"),
    (["sim", "hangup", "0000000000000001", "--server", "{server}"], 1, "no call"),
    (["sim", "answer", "not-a-connid"], 2, "16 hex digits"),
    (["trace", "on", "--session", "9999", "--server", "{server}"], 1, "no session 9999"),
    (["stats", "--server", "127.0.0.1:1"], 3, "cannot talk to the T-Server"),
    (["check-config", "{tmp}/int.toml"], 2, "int.toml:2: switch.extensions[1]"),
    (["check-config", "{tmp}/missing.toml"], 2, "No such file"),
    # capture, decode, dissector, replay, cpd
    (["capture", "--listen", "127.0.0.1:{busy}", "-o", "{tmp}/c.pcap"], 3, "already in use"),
    (["capture", "--listen", "127.0.0.1:70000", "-o", "{tmp}/c.pcap"], 2, "not a TCP port"),
    (["capture", "-o", "{tmp}/no/such/dir/c.pcap"], 2, "cannot write"),
    (["decode", "{tmp}/missing.pcap"], 2, "missing.pcap"),
    (["decode", "{tmp}/int.toml"], 2, "int.toml"),
    (["decode", "{tmp}/session.pcap", "--port", "65536"], 2, "not a TCP port"),
    (["dissector", "--port", "99999"], 2, "not a TCP port"),
    (["replay", "{tmp}/session.pcap", "--junit", "{tmp}/no/such/dir/r.xml"], 2, "no folder"),
    (["replay", "{tmp}/missing.pcap", "--server", "{server}"], 2, "missing.pcap"),
    (["replay", "{tmp}/session.pcap", "--server", "127.0.0.1:1"], 3, "cannot reach"),
    (["cpd", "{tmp}/short.wav"], 2, "truncated"),
    (["cpd", "{tmp}/missing.wav"], 2, "No such file"),
    # the command line itself
    (["no-such-command"], 2, "invalid choice"),
    ([], 2, "required: COMMAND"),
    (["agent"], 2, "agent: the following arguments are required: ACTION"),
]


def _id(row: tuple[list[str], int, str]) -> str:
    return " ".join(row[0]) or "(nothing)"


def _setup(tmp: Path) -> None:
    (tmp / "int.toml").write_text('[switch]\nextensions = ["1001", 1002]\n')
    with wave.open(str(tmp / "full.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x10\x00" * 8000)
    full = (tmp / "full.wav").read_bytes()
    (tmp / "short.wav").write_bytes(full[: len(full) // 2])
    (tmp / "session.pcap").write_bytes(Path("captures/basic-call.pcap").read_bytes())


def _ctiemu(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [*CTIEMU, *args], capture_output=True, text=True, timeout=LIMIT, check=False, env=ENV
        )
    except subprocess.TimeoutExpired as late:  # e.g. a server that should not have started
        stderr = late.stderr.decode() if isinstance(late.stderr, bytes) else late.stderr or ""
        return subprocess.CompletedProcess(
            args, -1, "", f"(still running after {LIMIT} s)\n{stderr}"
        )


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Every row run once: {row id: CompletedProcess}."""
    tmp = tmp_path_factory.mktemp("errors")
    _setup(tmp)
    serve = subprocess.Popen(
        [*CTIEMU, "serve", "--port", "0"], stderr=subprocess.PIPE, text=True, env=ENV
    )
    busy = socket.socket()
    try:
        assert serve.stderr is not None
        server = None
        for line in serve.stderr:
            match = re.search(r"serving on (127\.0\.0\.1:\d+)", line)
            if match:
                server = match.group(1)
                break
        assert server, "ctiemu serve did not report its address"
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        # a trunk call that has ended: a caller dials in, then hangs up
        inbound = _ctiemu(
            ["sim", "inbound", "--ani", "+15550100", "--dnis", "1001", "--json", "--server", server]
        )
        assert inbound.returncode == 0, inbound.stderr
        ended = json.loads(inbound.stdout)["ConnID"]
        hangup = _ctiemu(["sim", "hangup", ended, "--server", server])
        assert hangup.returncode == 0, hangup.stderr
        fill = {"server": server, "busy": str(busy.getsockname()[1]), "tmp": str(tmp)}
        fill["ended"] = ended
        with ThreadPoolExecutor(max_workers=3) as pool:
            done = pool.map(
                _ctiemu, [[arg.format(**fill) for arg in args] for args, _, _ in ERRORS]
            )
            yield dict(zip([_id(row) for row in ERRORS], done, strict=True))
    finally:
        busy.close()
        serve.terminate()
        serve.wait(timeout=LIMIT)


@pytest.mark.parametrize("row", ERRORS, ids=_id)
def test_an_error_is_one_line_never_a_traceback(
    row: tuple[list[str], int, str], outcomes: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    _args, status, fragment = row
    done = outcomes[_id(row)]
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == status, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("ctiemu: "), lines[0]
    assert fragment in lines[0], lines[0]


def test_every_command_has_an_error_row() -> None:
    tried = {args[0] for args, _, _ in ERRORS if args}
    assert set(COMMANDS) <= tried, sorted(set(COMMANDS) - tried)


# -- ports: one parser for every command


def _actions(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    """Every option of every (sub-)command: (the command's prog, the action)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _actions(sub)
        else:
            yield parser.prog, action


def test_every_port_option_takes_the_one_port_parser() -> None:
    """A port, alone or in HOST:PORT, goes through cli/common.py's parsers (0-65535)."""
    ports = [
        (prog, action)
        for prog, action in _actions(build_parser(*COMMANDS))
        if action.dest == "port" or action.metavar == "HOST:PORT"
    ]
    assert len(ports) >= 10  # serve, dissector, decode, replay, capture and the clients
    for prog, action in ports:
        assert action.type in (port_number, server_address, listen_address), (prog, action)


@pytest.mark.parametrize(
    ("text", "port"), [("0", 0), ("7000", 7000), ("65535", 65535), ("-1", None), ("65536", None)]
)
def test_port_number(text: str, port: int | None) -> None:
    if port is None:
        with pytest.raises(argparse.ArgumentTypeError, match=r"is not a TCP port \(0-65535\)"):
            port_number(text)
    else:
        assert port_number(text) == port


def test_server_and_listen_addresses() -> None:
    assert server_address("127.0.0.1:7000") == ("127.0.0.1", 7000)
    assert server_address("[::1]:7000") == ("::1", 7000)
    assert listen_address("0.0.0.0:0") == ("0.0.0.0", 0)
    for text in ("127.0.0.1:0", "127.0.0.1:99999", "7000", ":7000", "host:"):
        with pytest.raises(argparse.ArgumentTypeError):
            server_address(text)
    with pytest.raises(argparse.ArgumentTypeError, match="not a TCP port"):
        listen_address("127.0.0.1:65536")
