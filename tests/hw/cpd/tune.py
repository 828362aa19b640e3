"""Tuning the answering machine detection on the TRAINING split only (never the held-out one).

Builds a bigger training corpus than the tests use (the "train" split's seed, voices and texts;
by default 300 humans, 270 machines and 30 carrier announcements, the class balance of the
held-out benchmark), runs the whole detector on every file for each configuration of a grid,
and prints per configuration: human-vs-machine accuracy, humans called MACHINE (false
positives), machines and announcements called anything else (misses) and the mean decision
time after the answer (HUMAN or MACHINE outcomes), the figures benchmarks/cpd.py reports.

    python -m tests.hw.cpd.tune --set machine_syllables=9,10 --set syllable_db=10,11
    python -m tests.hw.cpd.tune --show-fp          # the false positives of the defaults

Each --set multiplies the grid; keys are CpdConfig keys (values parsed as that key's type).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import numpy as np
import numpy.typing as npt

from hw.cpd.config import CpdConfig
from hw.cpd.detector import CallProgressDetector, decode
from hw.cpd.wav import read_wav
from tests.hw.cpd.corpus import SEEDS, Item, build_corpus

FRAME = 160
COUNTS = {"human": 300, "machine": 270, "announcement": 30}

_corpus: list[tuple[Item, npt.NDArray[np.int16]]] = []


def _load(counts: dict[str, int], seed: int) -> None:
    items = build_corpus("train", counts=counts, seed=seed)
    _corpus[:] = [(item, decode(*read_wav(item.path))) for item in items]


def run(config: CpdConfig, item: Item, samples: npt.NDArray[np.int16]) -> tuple[str, float, str]:
    """(outcome name, decision time after answer, detail) of one file."""
    detector = CallProgressDetector(config)
    assert item.answer_at is not None
    detector.answered(item.answer_at)
    for i in range(0, len(samples), FRAME):
        detector.feed(samples[i : i + FRAME], "slin16", i / 8000)
        if detector.final is not None:
            break
    detector.finish()
    outcome = detector.outcome
    if outcome is None:
        return "NONE", 0.0, ""
    return outcome.kind.name, outcome.time - item.answer_at, outcome.detail


def evaluate(config: CpdConfig, show: bool = False) -> dict[str, Any]:
    humans = fp = machines = misses = ok = 0
    decision: dict[str, list[float]] = {"human": [], "machine": []}  # times after answer
    wrong: list[str] = []
    for item, samples in _corpus:
        got, after, detail = run(config, item, samples)
        ok += got == item.expected
        if got in ("HUMAN", "MACHINE"):
            decision["human" if item.label == "human" else "machine"].append(after)
        if item.label == "human":
            humans += 1
            if got == "MACHINE":
                fp += 1
                if show:
                    meta = item.meta
                    wrong.append(
                        f"FP {Path(item.path).name} {meta.get('text')!r} {meta.get('voice')} "
                        f"{meta.get('greeting_s')} s snr {item.snr_db:.0f} {meta.get('noise')}: "
                        f"{detail} at {after:.2f}"
                    )
        else:
            machines += 1
            if got != "MACHINE":
                misses += 1
                if show:
                    wrong.append(
                        f"MISS {Path(item.path).name} snr {item.snr_db:.0f} "
                        f"{item.meta.get('noise')}: {got} {detail} at {after:.2f}"
                    )
    result: dict[str, Any] = {
        "hvm_accuracy": round(ok / len(_corpus), 4),
        "fp": round(fp / max(humans, 1), 4),
        "fp_n": fp,
        "misses": misses,
        "of_machines": machines,
        "mean_s": _mean(decision["human"] + decision["machine"]),
        "mean_human_s": _mean(decision["human"]),
        "mean_machine_s": _mean(decision["machine"]),
    }
    if show:
        result["wrong"] = wrong
    return result


def _mean(times: list[float]) -> float | None:
    return round(statistics.fmean(times), 3) if times else None


def _job(args: tuple[dict[str, Any], bool]) -> tuple[dict[str, Any], dict[str, Any]]:
    changes, show = args
    return changes, evaluate(replace(CpdConfig(), **changes), show)


def parse_sets(sets: list[str]) -> list[dict[str, Any]]:
    kinds = {f.name: type(getattr(CpdConfig(), f.name)) for f in fields(CpdConfig)}
    axes: list[list[tuple[str, Any]]] = []
    for spec in sets:
        key, _, values = spec.partition("=")
        if key not in kinds:
            raise SystemExit(f"unknown key {key!r}")
        axes.append([(key, kinds[key](v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", action="append", default=[], help="KEY=V1,V2,...")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the class counts")
    parser.add_argument("--seed", type=int, default=SEEDS["train"])
    parser.add_argument("--show-fp", action="store_true", help="list the wrong files")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    counts = {k: max(1, round(v * args.scale)) for k, v in COUNTS.items()}
    started = time.monotonic()
    _load(counts, args.seed)
    print(f"# {len(_corpus)} training files, {time.monotonic() - started:.1f} s", flush=True)
    grid = parse_sets(args.set)
    with ProcessPoolExecutor(args.jobs, initializer=_load, initargs=(counts, args.seed)) as pool:
        for changes, result in pool.map(_job, [(g, args.show_fp) for g in grid]):
            wrong = result.pop("wrong", [])
            print(json.dumps({"set": changes, **result}), flush=True)
            for line in wrong:
                print("   ", line)


if __name__ == "__main__":
    main()
