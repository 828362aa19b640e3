"""`ctiemu sim ...`, `ctiemu trace`, `ctiemu stats` and `ctiemu check-config` end to end,
against a real `ctiemu serve` subprocess on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_cli import CTIEMU, ENV, server  # noqa: F401  (the server fixture)

#: The statistics that are fractions (the wire carries them as text, `ctiemu stats` as numbers).
FRACTIONS = ("events_per_s", "uptime_s")


def ctiemu(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CTIEMU, *args], capture_output=True, text=True, timeout=timeout, check=False, env=ENV
    )


def test_inbound_call_and_hang_up_seen_by_a_monitor(server: str) -> None:  # noqa: F811
    monitor = subprocess.Popen(
        [*CTIEMU, "monitor", "1002", "--json", "--count", "2", "--server", server],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert monitor.stderr is not None
    assert monitor.stderr.readline() == "monitoring 1002\n"
    made = ctiemu(
        "sim",
        "inbound",
        "--ani",
        "+15550100",
        "--dnis",
        "1002",
        "--data",
        "Lang=fr",
        "--json",
        "--server",
        server,
    )
    assert made.returncode == 0, made.stderr
    result = json.loads(made.stdout)
    assert result["TrunkGroup"] == "pstn" and len(result["ConnID"]) == 16
    hung = ctiemu("sim", "hangup", result["ConnID"], "--server", server)
    assert hung.returncode == 0, hung.stderr
    out, _ = monitor.communicate(timeout=120)
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in events] == ["EventRinging", "EventAbandoned"]
    assert {e["conn_id"] for e in events} == {result["ConnID"]}
    assert events[0]["ani"] == "+15550100"


def test_service_commands_and_their_refusals(server: str) -> None:  # noqa: F811
    out = ctiemu("sim", "out-of-service", "1003", "--server", server)
    assert out.returncode == 0 and "InService 0" in out.stdout, out
    out = ctiemu("sim", "in-service", "1003", "--server", server)
    assert out.returncode == 0 and "InService 1" in out.stdout
    out = ctiemu("sim", "trunk-down", "pstn", "--server", server)
    assert out.returncode == 0 and "LinkUp 0" in out.stdout
    out = ctiemu("sim", "trunk-up", "pstn", "--server", server)
    assert out.returncode == 0 and "LinkUp 1" in out.stdout
    # refusals: one line, exit 1, no traceback
    out = ctiemu("sim", "answer", "0000000000000001", "--server", server)
    assert out.returncode == 1 and "EventError 56" in out.stderr
    out = ctiemu("sim", "inbound", "--ani", "1", "--dnis", "1001", "--app", "x", "--server", server)
    assert out.returncode == 1 and "EventError 710" in out.stderr
    out = ctiemu("sim", "answer", "not-a-connid", "--server", server)
    assert out.returncode == 2 and "16 hex digits" in out.stderr
    for result in (out,):
        assert "Traceback" not in result.stderr
    out = ctiemu("trace", "on", "--session", "1", "--server", server)
    assert out.returncode in (0, 1)  # session 1 may be gone; either way a clean answer
    assert "Traceback" not in out.stderr
    stats = ctiemu("stats", "--json", "--server", server)
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    assert figures["clients"] >= 1 and "events_per_s" in figures and "queue.7001.waiting" in figures
    # one JSON type per statistic: counts are integers, rates and durations floats
    assert all(isinstance(v, int) for k, v in figures.items() if k not in FRACTIONS), figures
    assert all(isinstance(figures[k], float) for k in FRACTIONS), figures


def test_check_config(tmp_path: Path) -> None:
    good = ctiemu("check-config", "cti/server/default.toml")
    assert good.returncode == 0 and "OK: 10 extensions" in good.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = 7000\n\n[[switch.queue]]\ndn = "7001"\ncolour = "red"\n')
    out = ctiemu("check-config", str(bad))
    assert out.returncode == 2
    assert f"{bad}:6: switch.queue[0]: unknown key(s) colour" in out.stderr
    assert "Traceback" not in out.stderr
    missing = ctiemu("check-config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
