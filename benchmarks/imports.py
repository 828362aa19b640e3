"""Benchmark: what importing the protocol costs a fresh interpreter, against `python -c pass`
timed in the same run (issue 12: a fast command line). Prints one JSON line.

Each command runs `--runs` times in fresh interpreters, the commands taking turns so that drift
hits them alike; the figures are medians of wall time, and `added_ms` subtracts the median of
`python -c pass`. The interpreter is this one (sys.executable), the protocol package this
checkout's.

Two settings:
- `cached`: compiled bytecode is cached (in a private temporary directory, PYTHONPYCACHEPREFIX,
  so the source tree is not written), after one warm-up run of each command: what an installed
  ctiemu costs.
- `uncached_project`: a copy of protocol/ without bytecode, with PYTHONDONTWRITEBYTECODE=1, so
  the project's modules are compiled from source on every run while the standard library and
  trio load from their installed bytecode: what a checkout costs where bytecode is never
  written (as on the machine these benchmarks are run on).

`importtime_ms` is the same imports' total from `-X importtime` (their top-level entries summed,
without interpreter start-up), median over the runs. `first_use_us` is measured inside a
cached interpreter after the imports: building one EventRinging, then its first encode and
first decode (each compiles what that class needs), then the same three again.

    python benchmarks/imports.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The commands timed, by name: the code given to `python -c`.
COMMANDS = {
    "pass": "pass",
    "protocol.messages": "import protocol.messages",
    "protocol.codec": "import protocol.codec",
    "trio": "import trio",
}

#: The target of issue 12's item 6: the catalogue and the codec add at most this much.
TARGET_ADDED_MS = 30.0

FIRST_USE = """
import json, time
t0 = time.perf_counter()
import protocol.codec, protocol.messages
from protocol.codec import decode, encode
from protocol.enums import CallState, CallType, DNRole
from protocol.messages import EventRinging
from protocol.values import ConnID
t1 = time.perf_counter()
def ringing():
    return EventRinging(
        this_dn="1002", conn_id=ConnID(7), call_type=CallType.Internal, call_id=1,
        call_state=CallState.Ok, this_dn_role=DNRole.Destination, other_dn="1001",
    )
times = {}
for label in ("first", "again"):
    a = time.perf_counter(); message = ringing()
    b = time.perf_counter(); frame = encode(message)
    c = time.perf_counter(); assert decode(frame) == message
    d = time.perf_counter()
    times[label] = {"construct": (b - a) * 1e6, "encode": (c - b) * 1e6, "decode": (d - c) * 1e6}
print(json.dumps({"import_ms": (t1 - t0) * 1e3, **times}))
"""


def run(code: str, env: dict[str, str], cwd: Path, *args: str) -> tuple[float, str]:
    """Wall seconds of one fresh interpreter running `code`, and what it wrote to stderr
    (with -X importtime) or stdout."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *args, "-c", code],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, done.stderr if args else done.stdout


_IMPORTTIME = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)")


def importtime_ms(stderr: str, startup: set[str]) -> float:
    """The summed cumulative time of the top-level imports that start-up does not make."""
    total = 0
    for match in _IMPORTTIME.finditer(stderr):
        cumulative, indent, name = match.groups()
        if len(indent) == 1 and name not in startup:
            total += int(cumulative)
    return total / 1000


def measure(env: dict[str, str], cwd: Path, runs: int) -> dict[str, dict[str, float]]:
    """Median wall ms, added ms and -X importtime ms of every command."""
    where = run("import protocol; print(protocol.__file__)", env, cwd)[1].strip()
    if not where.startswith(str(cwd)):  # the checkout measured must be the one imported
        raise SystemExit(f"protocol imported from {where}, not from {cwd}")
    startup = {
        m.group(3) for m in _IMPORTTIME.finditer(run("pass", env, cwd, "-X", "importtime")[1])
    }
    wall: dict[str, list[float]] = {name: [] for name in COMMANDS}
    imported: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, code in COMMANDS.items():
            wall[name].append(run(code, env, cwd)[0] * 1000)
        for name, code in COMMANDS.items():
            imported[name].append(
                importtime_ms(run(code, env, cwd, "-X", "importtime")[1], startup)
            )
    medians = {name: statistics.median(times) for name, times in wall.items()}
    return {
        "wall_ms": {name: round(ms, 1) for name, ms in medians.items()},
        "added_ms": {
            name: round(ms - medians["pass"], 1) for name, ms in medians.items() if name != "pass"
        },
        "importtime_ms": {
            name: round(statistics.median(times), 1)
            for name, times in imported.items()
            if name != "pass"
        },
    }


def first_use(env: dict[str, str], cwd: Path, runs: int) -> dict[str, dict[str, float]]:
    """Median microseconds of the first and the second construct, encode and decode."""
    samples = [json.loads(run(FIRST_USE, env, cwd)[1]) for _ in range(runs)]
    return {
        label: {
            step: round(statistics.median(s[label][step] for s in samples), 1)
            for step in ("construct", "encode", "decode")
        }
        for label in ("first", "again")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "pycache"
        cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached_env["PYTHONPYCACHEPREFIX"] = str(cache)
        for code in [*COMMANDS.values(), FIRST_USE]:  # warm the cache
            run(code, cached_env, ROOT)
        cached = measure(cached_env, ROOT, args.runs)
        use = first_use(cached_env, ROOT, args.runs)

        checkout = Path(tmp) / "checkout"
        shutil.copytree(
            ROOT / "protocol", checkout / "protocol", ignore=shutil.ignore_patterns("__pycache__")
        )
        uncached_env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
        uncached_env["PYTHONDONTWRITEBYTECODE"] = "1"
        uncached = measure(uncached_env, checkout, args.runs)

    added = cached["added_ms"]["protocol.codec"]
    print(
        json.dumps(
            {
                "benchmark": "imports",
                "python": sys.version.split()[0],
                "runs": args.runs,
                "cached": cached,
                "uncached_project": uncached,
                "first_use_us": use,
                "target_added_ms": TARGET_ADDED_MS,
                "target_met": added <= TARGET_ADDED_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
