"""Smoke test of benchmarks/tserver.py: its frame counter against the framer, and one run with
tiny numbers (1 and 5 monitors, ~0.3 s windows) for the JSON shape and non-zero figures. It
asserts no speed: the machine is shared and noisy."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from protocol.codec import encode
from protocol.framer import Framer
from protocol.messages import EventError, KeepAliveAnswer, RequestMakeCall

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_tserver", BENCHMARKS / "tserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_frame_counter_agrees_with_the_framer_on_any_split() -> None:
    bench = load_benchmark()
    frames = [
        encode(RequestMakeCall(reference_id=i, this_dn="3000", other_dn="3001" * (i % 40)))
        for i in range(1, 60)
    ]
    frames += [encode(KeepAliveAnswer(reference_id=7)), encode(EventError(error_code=51))]
    stream = b"".join(frames)
    rng = random.Random(5)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(0, 40)))
        counter, framer, counted, cut = bench.FrameCounter(), Framer(), [], 0
        for end in [*cuts, len(stream)]:
            chunk = stream[cut:end]
            cut = end
            framer.receive_data(chunk)
            assert counter.feed(chunk) == len(list(framer.frames()))
            counted.append(counter.frames)
        assert counted[-1] == len(frames)


def test_frame_counter_refuses_a_stream_that_is_not_frames() -> None:
    bench = load_benchmark()
    try:
        bench.FrameCounter().feed(b"GET / HTTP/1.1\r\n\r\n")
    except ValueError as exc:
        assert "bad magic" in str(exc)
    else:
        raise AssertionError("no error for a non-frame stream")


def test_quick_run_prints_one_json_line_with_every_figure() -> None:
    command = [
        sys.executable,
        str(BENCHMARKS / "tserver.py"),
        "--quick",
        "--counts",
        "1,5",
        "--warmup",
        "0.1",
        "--window",
        "0.3",
        "--pairs",
        "2",
        "--callers",
        "3",
        "--rate",
        "100",
        "--latency-pairs",
        "6",
        "--latency-connections",
        "2",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])
    assert result["benchmark"] == "tserver"
    for key in ("baseline_deliveries_per_s", "tserver_deliveries_per_s", "ratio"):
        assert set(result[key]) == {"1", "5"}, key
        assert all(value > 0 for value in result[key].values()), (key, result[key])
    assert result["lifecycles_per_s"] > 0
    # the switch alone, without a server: the ceiling of the one-monitor ratio
    assert result["switch_only_events_per_s"] > 0
    assert result["ratio_ceiling_1"] == round(
        result["switch_only_events_per_s"] / result["baseline_deliveries_per_s"]["1"], 3
    )
    assert set(result["latency_ms"]) == {"p50", "p99", "rate"}
    assert all(value > 0 for value in result["latency_ms"].values()), result["latency_ms"]
    assert result["latency_ms"]["p50"] <= result["latency_ms"]["p99"]
    assert set(result["targets"]["met"]) == {"ratio", "lifecycles", "latency"}
    # the monitors saw every event of the calls the driver made: 6 per call, per monitor
    for count in ("1", "5"):
        calls = result["tserver_calls_per_s"][count]
        assert calls > 0
        per_call = result["tserver_deliveries_per_s"][count] / calls / int(count)
        assert 4 < per_call < 8, (count, per_call)


def test_bad_counts_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "tserver.py"), "--counts", "1,x"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "--counts: '1,x' is not a comma-separated list of integers" in done.stderr
    assert "Traceback" not in done.stderr
