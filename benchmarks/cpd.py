"""Benchmark: call progress detection (hw.cpd) on the held-out corpus, against an
energy/cadence detector with Asterisk app_amd's defaults (hw.cpd.baseline), same run.
Prints one JSON line.

The corpus (tests/hw/cpd/corpus.py, split "heldout": its own seeds, voices and texts, never
used for tuning) is built with espeak-ng and sox into the temp dir (cached). Each file is fed
in 20 ms frames; the answer is signalled at the time the corpus says. The targets are scored on
it. The same run also scores the "flite" split ("second_engine": 100 humans, 90 machines and 10
announcements spoken by CMU Flite, another engine with its own voices, prosody and texts): how
the detector does on a speech generator it was never tuned on (no target is set on it).

    python benchmarks/cpd.py [--scale 1.0] [--seed N] [--flite-seed N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from hw.cpd.baseline import EnergyCadenceDetector
from hw.cpd.config import CpdConfig
from hw.cpd.detector import CallProgressDetector, decode
from hw.cpd.wav import read_wav
from tests.hw.cpd.corpus import SEEDS, Item, build_corpus

COUNTS = {
    "ringback": 8, "busy": 8, "reorder": 8, "sit_intercept": 8, "sit_vacant": 8,
    "sit_reorder": 8, "sit_nocircuit": 8, "sit_unknown": 8, "fax_cng": 8, "fax_ced": 8,
    "modem_ans": 8, "modem_ansam": 8, "no_answer": 4, "dead_air": 10, "human": 100,
    "machine": 90, "announcement": 10,
}  # fmt: skip
TONE_CLASSES = [c for c in COUNTS if c not in ("human", "machine", "announcement", "dead_air")]
HVM = ("human", "machine", "announcement")
SECOND_ENGINE_COUNTS = {label: COUNTS[label] for label in HVM}
SECOND_ENGINE_KEYS = (
    "confusion",
    "hvm_accuracy",
    "human_to_machine_fp",
    "decision_after_answer_s",
    "beep",
)
FRAME = 160


def predicted(outcome: Any) -> str:
    if outcome is None:
        return "NONE"
    if outcome.kind.name == "SIT":
        return f"SIT:{outcome.detail}"
    return str(outcome.kind.name)


def expected(item: Item) -> str:
    return f"SIT:{item.detail}" if item.expected == "SIT" else item.expected


def run_one(detector: Any, samples: np.ndarray, item: Item) -> tuple[list[Any], float, int]:
    """Feed 20 ms frames until the detector is done; (results, CPU seconds, frames)."""
    if item.answer_at is not None:
        detector.answered(item.answer_at)
    results: list[Any] = []
    frames = 0
    payloads = [samples[i : i + FRAME].tobytes() for i in range(0, len(samples), FRAME)]
    start = time.process_time()
    for n, payload in enumerate(payloads):
        results += detector.feed(payload, "slin16", n * FRAME / 8000)
        frames += 1
        if getattr(detector, "done", False) or (
            detector.final is not None and not hasattr(detector, "done")
        ):
            break
    results += detector.finish()
    return results, time.process_time() - start, frames


def score(name: str, make: Any, corpus: list[tuple[Item, np.ndarray]]) -> dict[str, Any]:
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    decision: list[float] = []
    sit_latency: list[float] = []
    cpu = 0.0
    frames = 0
    hvm_ok = hvm_n = humans = human_fp = 0
    beeps = beeps_found = false_beeps = 0
    beep_error: list[float] = []
    for item, samples in corpus:
        detector = make()
        results, seconds, n = run_one(detector, samples, item)
        cpu += seconds
        frames += n
        outcome = detector.outcome
        got = predicted(outcome)
        want = expected(item)
        confusion[item.label][got] += 1
        total[item.label] += 1
        ok = got == want
        correct[item.label] += ok
        if item.label in HVM:
            hvm_n += 1
            hvm_ok += ok
            if item.label == "human":
                humans += 1
                human_fp += got == "MACHINE"
            if outcome is not None and got in ("HUMAN", "MACHINE") and item.answer_at is not None:
                decision.append(outcome.time - item.answer_at)
            beep = next((r for r in results if r.kind.name == "BEEP"), None)
            if item.beep_end is not None:
                beeps += 1
                if beep is not None:
                    beeps_found += 1
                    beep_error.append(beep.time - item.beep_end)
            elif beep is not None:
                false_beeps += 1
        if item.sit_onset is not None and ok and outcome is not None:
            sit_latency.append(outcome.time - item.sit_onset)
    per_frame = cpu / max(frames, 1)
    accuracy = {label: round(correct[label] / total[label], 3) for label in total}
    tones_ok = all(accuracy[c] == 1.0 for c in TONE_CLASSES if c in accuracy)
    return {
        "detector": name,
        "accuracy": accuracy,
        "overall_accuracy": round(sum(correct.values()) / sum(total.values()), 3),
        "confusion": {label: dict(row) for label, row in confusion.items()},
        "hvm_accuracy": round(hvm_ok / hvm_n, 3),
        "human_to_machine_fp": round(human_fp / max(humans, 1), 3),
        "decision_after_answer_s": {
            "mean": round(statistics.fmean(decision), 3) if decision else None,
            "p95": round(float(np.percentile(decision, 95)), 3) if decision else None,
            "n": len(decision),
        },
        "sit_latency_from_onset_s": {
            "mean": round(statistics.fmean(sit_latency), 3) if sit_latency else None,
            "max": round(max(sit_latency), 3) if sit_latency else None,
        },
        "beep": {
            "with_beep": beeps,
            "found": beeps_found,
            "false": false_beeps,
            "mean_abs_error_s": round(statistics.fmean(abs(e) for e in beep_error), 3)
            if beep_error
            else None,
        },
        "tone_classes_all_correct": tones_ok,
        "us_per_frame": round(per_frame * 1e6, 1),
        "channels_realtime_one_core": int(0.02 / per_frame) if per_frame else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the class counts")
    parser.add_argument("--seed", type=int, default=SEEDS["heldout"])
    parser.add_argument("--flite-seed", type=int, default=SEEDS["flite"])
    args = parser.parse_args()
    counts = {k: max(1, round(v * args.scale)) for k, v in COUNTS.items()}
    started = time.monotonic()
    items = build_corpus("heldout", counts=counts, seed=args.seed)
    built = time.monotonic() - started
    corpus = [(item, decode(*read_wav(item.path))) for item in items]
    ours = score("ctiemu", lambda: CallProgressDetector(CpdConfig()), corpus)
    baseline = score("energy-cadence + app_amd", EnergyCadenceDetector, corpus)
    flite_counts = {k: max(1, round(v * args.scale)) for k, v in SECOND_ENGINE_COUNTS.items()}
    flite_items = build_corpus("flite", counts=flite_counts, seed=args.flite_seed)
    flite = [(item, decode(*read_wav(item.path))) for item in flite_items]
    second = {
        name: {key: result[key] for key in SECOND_ENGINE_KEYS}
        for name, result in (
            ("ours", score("ctiemu", lambda: CallProgressDetector(CpdConfig()), flite)),
            ("baseline", score("energy-cadence + app_amd", EnergyCadenceDetector, flite)),
        )
    }
    decision = ours["decision_after_answer_s"]
    sit_max = ours["sit_latency_from_onset_s"]["max"]
    targets = {
        "tones_and_sit_100pct_at_12dB_and_above": ours["tone_classes_all_correct"],
        "sit_within_1.1s_of_onset": sit_max is not None and sit_max <= 1.1,
        "hvm_accuracy_ge_0.95": ours["hvm_accuracy"] >= 0.95,
        "human_to_machine_fp_le_0.02": ours["human_to_machine_fp"] <= 0.02,
        "mean_decision_le_2.5s": decision["mean"] is not None and decision["mean"] <= 2.5,
        "channels_ge_200": (ours["channels_realtime_one_core"] or 0) >= 200,
    }
    print(
        json.dumps(
            {
                "benchmark": "cpd",
                "corpus": {
                    "split": "heldout",
                    "seed": args.seed,
                    "files": len(items),
                    "build_s": round(built, 1),
                    "snr_db": sorted({item.snr_db for item in items}),
                },
                "ours": ours,
                "baseline": baseline,
                "targets": targets,
                "second_engine": {
                    "split": "flite",
                    "seed": args.flite_seed,
                    "files": len(flite_items),
                    **second,
                },
                "targets_met": all(targets.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
