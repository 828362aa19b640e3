"""Benchmark: how fast the command line starts, against the interpreter's own start in the same
run. Prints one JSON line.

    python benchmarks/cli.py [--runs 10]

Four commands, run in turn `--runs` times each (interleaved, so all see the same noise of a
shared machine), each timed from spawn to exit:

- `python -c pass` (the baseline for `ctiemu --version`);
- `ctiemu --version`;
- `python -c "import trio"` (the baseline for a client command: it cannot start faster than
  trio imports);
- `ctiemu agent ready 1001 --wait 0 --server HOST:PORT` against a running server (started once
  as `python -m cti.cli serve --port 0` in a subprocess, with agent1 logged in on 1001 first),
  so the figure includes connecting, the handshake, registering, the request and its answer.

`ctiemu` is the console script beside this interpreter (as a user runs it; `python -m cti.cli`
when there is none). Figures are medians in seconds with their min and max; the targets
(issue 12): --version at most 0.15 s above `python -c pass`, agent ready at most 0.3 s above
`python -c "import trio"`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION_TARGET = 0.15
AGENT_READY_TARGET = 0.30


def ctiemu() -> list[str]:
    script = Path(sys.executable).parent / "ctiemu"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cti.cli"]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def start_server() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cti.cli", "serve", "--port", "0"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert server.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        if " serving on " in line:
            address = line.split(" serving on ", 1)[1].split()[0]
            return server, address
    server.kill()
    raise SystemExit("the T-Server did not start")


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(samples), 4),
        "min": round(min(samples), 4),
        "max": round(max(samples), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    server, address = start_server()
    try:
        timed([*ctiemu(), "agent", "login", "1001", "agent1", "--wait", "0", "--server", address])
        commands = {
            "python_pass": [sys.executable, "-c", "pass"],
            "ctiemu_version": [*ctiemu(), "--version"],
            "python_import_trio": [sys.executable, "-c", "import trio"],
            "ctiemu_agent_ready": [
                *ctiemu(),
                *("agent", "ready", "1001", "--wait", "0", "--server", address),
            ],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(timed(command))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    medians = {name: statistics.median(s) for name, s in samples.items()}
    version_over = medians["ctiemu_version"] - medians["python_pass"]
    ready_over = medians["ctiemu_agent_ready"] - medians["python_import_trio"]
    print(
        json.dumps(
            {
                "benchmark": "cli",
                "runs": args.runs,
                "seconds": {name: summary(s) for name, s in samples.items()},
                "version_over_python": round(version_over, 4),
                "agent_ready_over_import_trio": round(ready_over, 4),
                "targets": {
                    "version_over_python_max": VERSION_TARGET,
                    "agent_ready_over_import_trio_max": AGENT_READY_TARGET,
                    "met": version_over <= VERSION_TARGET and ready_over <= AGENT_READY_TARGET,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
