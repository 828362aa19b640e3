"""Smoke test of benchmarks/replay.py's replay half with tiny numbers: a capture recorded from a
real server replays against a fresh one without a difference. Never asserts speed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def test_replay_half_records_and_replays(tmp_path: Path) -> None:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "replay.py"
    spec = importlib.util.spec_from_file_location("bench_replay", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_replay"] = module
    spec.loader.exec_module(module)
    figures = module.measure_replay(tmp_path, 1000)
    assert figures["ok"] and figures["differences"] == 0
    assert figures["frames"] >= 1000 and figures["sessions"] == 2 * module.REPLAY_PAIRS
    assert figures["messages_per_s"] > 0
