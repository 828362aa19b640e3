"""The reference captures in captures/: CI replays every one against a fresh server and checks
that tshark with the generated dissector decodes every message in them; `ctiemu replay` reports
differences, exits non-zero and writes JUnit XML when the server behaves otherwise."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
import trio

from captures.scenarios import CAPTURES
from cti.capture.pcap import read_sessions
from cti.cli.replay import index_config, replay_file
from cti.server.config import load_config
from protocol.dissector import render_lua

HERE = Path(__file__).resolve().parent.parent / "captures"
FILES = sorted(HERE.glob("*.pcap"))
CTIEMU = [sys.executable, "-m", "cti.cli"]
LIMIT = 120  # seconds per command: wide, these start Python processes on a shared machine


def test_the_corpus_is_complete() -> None:
    """One capture per scenario, each in the index and in captures/README.md."""
    assert [f.stem for f in FILES] == sorted(c.name for c in CAPTURES)
    index = tomllib.loads((HERE / "index.toml").read_text())["captures"]
    readme = (HERE / "README.md").read_text()
    for capture in CAPTURES:
        assert index[f"{capture.name}.pcap"] == {"config": "corpus.toml"}
        assert f"| {capture.name}.pcap |" in readme and capture.shows in readme


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
async def test_every_capture_replays_without_a_difference(path: Path) -> None:
    config_path = index_config(path)
    assert config_path is not None
    sessions = read_sessions(path)
    with trio.fail_after(LIMIT):
        result = await replay_file(
            sessions, path.name, server=None, config=load_config(config_path), timeout=5
        )
    assert result.ok, result.report()
    assert result.messages == sum(len(s.records) for s in sessions)


def test_tshark_decodes_every_message_of_every_capture(tmp_path: Path) -> None:
    tshark, mergecap = shutil.which("tshark"), shutil.which("mergecap")
    assert tshark and mergecap, "tshark is not installed: run scripts/test.sh, which installs it"
    lua = tmp_path / "ctiemu.lua"
    lua.write_text(render_lua())
    for path in FILES:  # one run per file would take a minute: check the files one by one
        expected = [r for s in read_sessions(path) for r in s.records]
        out = subprocess.run(
            [tshark, "-X", f"lua_script:{lua}", "-r", str(path), "-T", "fields",
             "-e", "ctiemu.type", "-Y", "ctiemu"],
            capture_output=True, text=True, timeout=LIMIT, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        types = [int(t) for line in out.stdout.split() for t in line.split(",")]
        ours = [int.from_bytes(r.frame[2:4], "big") for r in expected]
        assert Counter(types) == Counter(ours), path.name  # packet order vs session order
        if path.stem != "errors":
            assert all(r.message is not None for r in expected), path.name


def test_replay_reports_a_different_server(tmp_path: Path) -> None:
    """The same capture against a server whose queue rings agents for 3 s instead of 1: the
    ring-no-answer events come late; the replay says so, exits 1 and writes the JUnit."""
    config = (HERE / "corpus.toml").read_text()
    changed = tmp_path / "slow.toml"
    changed.write_text(config.replace("ring_no_answer_seconds = 1", "ring_no_answer_seconds = 3"))
    junit = tmp_path / "replay.xml"
    out = subprocess.run(
        [*CTIEMU, "replay", str(HERE / "acd-ring-no-answer.pcap"), "--config", str(changed),
         "--timeout", "1", "--junit", str(junit)],
        capture_output=True, text=True, timeout=LIMIT, check=False,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert "nothing came within 1 s" in out.stdout and "difference(s)" in out.stdout
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= 1


def test_replay_quiet_prints_the_verdicts_and_nothing_else(tmp_path: Path) -> None:
    """-q: one verdict line per capture on stdout; the in-process server's log stays quiet."""
    out = subprocess.run(
        [*CTIEMU, "replay", str(HERE / "basic-call.pcap"), str(HERE / "agent-states.pcap"), "-q"],
        capture_output=True, text=True, timeout=LIMIT, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == [
        "basic-call.pcap",
        "agent-states.pcap",
    ]
    assert out.stderr == ""


def test_replay_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    out = subprocess.run(
        [*CTIEMU, "replay", str(empty), "--config", str(HERE / "corpus.toml")],
        capture_output=True, text=True, timeout=LIMIT, check=False,
    )  # fmt: skip
    assert out.returncode == 2 and "none carries ctiemu frames" in out.stderr, out.stderr
    stray = tmp_path / "stray.pcap"
    shutil.copy(HERE / "basic-call.pcap", stray)
    out = subprocess.run(
        [*CTIEMU, "replay", str(stray)], capture_output=True, text=True, timeout=LIMIT, check=False
    )
    assert out.returncode == 2 and "no --server, no --config" in out.stderr
    out = subprocess.run(
        [*CTIEMU, "replay", str(HERE / "basic-call.pcap"), "--server", "127.0.0.1:1"],
        capture_output=True, text=True, timeout=LIMIT, check=False,
    )  # fmt: skip
    assert out.returncode == 3 and "cannot reach 127.0.0.1:1" in out.stderr
    for result in (out,):
        assert "Traceback" not in result.stderr
