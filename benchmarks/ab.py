"""Interleaved A/B runs of one benchmark against two commits: is a change slower?

    python benchmarks/ab.py BASE [HEAD] --runs 4 -- benchmarks/switch.py --rounds 3

Checks each commit out into a temporary detached worktree (HEAD may be "." for the working
tree as it is), then runs the benchmark command alternately in each (A, B, A, B, ...; the
command's own JSON line is parsed), so both sides see the same noise of a shared machine. Prints
ONE JSON line: for every numeric figure (nested keys joined by "."), the median of A, the median
of B and B / A; `worse` lists the figures named by --ratios whose B / A fell more than
--tolerance below 1 (higher is better for them: ratios to a same-run baseline, rates).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON value, by its dotted path."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {prefix: float(value)}
    found: dict[str, float] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.update(flatten(item, f"{prefix}[{i}]"))
    return found


def run(tree: Path, command: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, *command], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{command} failed in {tree}:\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{command} printed no JSON line in {tree}:\n{done.stdout[-2000:]}")
    figures: dict[str, float] = flatten(json.loads(lines[-1]))
    return figures


def worktree(rev: str, into: Path) -> Path:
    if rev == ".":
        return ROOT
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(into), rev], cwd=ROOT, check=True
    )
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("base", help="commit A (the one before the change)")
    parser.add_argument("head", nargs="?", default=".", help='commit B ("." = working tree)')
    parser.add_argument("--runs", type=int, default=4, help="runs of each side")
    parser.add_argument(
        "--ratios", default="", help="comma-separated figures that must not get worse"
    )
    parser.add_argument("--tolerance", type=float, default=0.10)
    argv = sys.argv[1:]
    if "--" not in argv:
        parser.error("no benchmark command after --")
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("no benchmark command after --")
    with tempfile.TemporaryDirectory(prefix="ctiemu-ab-") as tmp:
        trees = [worktree(args.base, Path(tmp) / "a"), worktree(args.head, Path(tmp) / "b")]
        try:
            runs: list[list[dict[str, float]]] = [[], []]
            for _ in range(args.runs):
                for side in (0, 1):
                    runs[side].append(run(trees[side], command))
        finally:
            for tree in trees:
                if tree != ROOT:
                    subprocess.run(
                        ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
                    )
    figures: dict[str, dict[str, float | None]] = {}
    for key in runs[0][0]:
        a = [r[key] for r in runs[0] if key in r]
        b = [r[key] for r in runs[1] if key in r]
        if not a or not b:
            continue
        ma, mb = statistics.median(a), statistics.median(b)
        figures[key] = {"a": ma, "b": mb, "b_over_a": (mb / ma) if ma else None}
    checked = [k for k in args.ratios.split(",") if k]
    worse = [
        k
        for k in checked
        if k in figures
        and figures[k]["b_over_a"] is not None
        and figures[k]["b_over_a"] < 1 - args.tolerance
    ]
    missing = [k for k in checked if k not in figures]
    print(
        json.dumps(
            {
                "benchmark": " ".join(command),
                "a": args.base,
                "b": args.head,
                "runs": args.runs,
                "figures": figures,
                "checked": checked,
                "worse": worse,
                "missing": missing,
            }
        )
    )


if __name__ == "__main__":
    main()
