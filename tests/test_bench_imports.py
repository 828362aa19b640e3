"""Smoke test of benchmarks/imports.py with one run: it prints its one JSON line with every
figure, from this checkout. Never asserts speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_imports_benchmark_prints_its_figures() -> None:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "imports.py"
    out = subprocess.run(
        [sys.executable, str(path), "--runs", "1"], check=True, capture_output=True, text=True
    ).stdout
    (line,) = out.splitlines()
    figures = json.loads(line)
    for setting in ("cached", "uncached_project"):
        assert set(figures[setting]["added_ms"]) == {"protocol.messages", "protocol.codec", "trio"}
        assert figures[setting]["wall_ms"]["pass"] > 0
    assert set(figures["first_use_us"]) == {"first", "again"}
    assert isinstance(figures["target_met"], bool)
