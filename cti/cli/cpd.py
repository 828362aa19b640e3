"""`ctiemu cpd FILE.wav... [--json] [--answer-at SECONDS] [--config FILE]`: call progress
detection on recorded calls (hw.cpd), one line per file: its result, detail and decision time.

The files are 8 kHz mono WAV: 16-bit PCM or G.711 (formats 7 mu-law, 6 A-law). The audio is fed
to the streaming detector in 20 ms frames, as RTP would carry it. --answer-at says when the call
was answered (seconds into the file); without it the answer is never signalled, so only tones
(and no answer) can be reported. --config reads a TOML file's [cpd] table (docs/cpd.md).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cti.cli.common import EXIT_OK, fail
from hw.cpd.config import CpdConfig, CpdConfigError, load_cpd_config
from hw.cpd.detector import CallProgressDetector, decode
from hw.cpd.results import CpdResult, call_state, ocs_call_result
from hw.cpd.wav import WavError, read_wav

FRAME = 160  # 20 ms at 8 kHz


def add_parsers(commands: Any) -> None:
    cpd = commands.add_parser(
        "cpd", help="call progress detection on 8 kHz WAV files (tones, SIT, fax, human/machine)"
    )
    cpd.add_argument("files", nargs="+", metavar="FILE.wav")
    cpd.add_argument("--json", action="store_true", help="print JSON lines")
    cpd.add_argument(
        "--answer-at",
        type=float,
        metavar="SECONDS",
        help="the call was answered this far into each file (default: never)",
    )
    cpd.add_argument("--config", metavar="FILE", help="TOML file with a [cpd] table")
    cpd.add_argument(
        "--all", action="store_true", help="print every result, not only the call's outcome"
    )
    cpd.set_defaults(run=run)


def analyse(
    payload: bytes, encoding: str, config: CpdConfig, answer_at: float | None
) -> tuple[list[CpdResult], str]:
    """Every result of one file, fed in 20 ms frames, and why nothing was decided when
    nothing was."""
    samples = decode(payload, encoding)
    detector = CallProgressDetector(config)
    if answer_at is not None:
        detector.answered(answer_at)
    results: list[CpdResult] = []
    for start in range(0, len(samples), FRAME):
        results += detector.feed(samples[start : start + FRAME], "slin16", start / 8000)
        if detector.done:
            break
    results += detector.finish()
    return results, "" if results else why_nothing(detector, len(samples) / 8000, answer_at)


def why_nothing(detector: CallProgressDetector, seconds: float, answer_at: float | None) -> str:
    """Why a file gave no result: what was heard, and what was missing for a decision."""
    if answer_at is None:
        if detector.voice_heard:
            return (
                "voice heard, but no answer was signalled: say when the call was answered "
                "with --answer-at SECONDS to tell a person from a machine"
            )
        return (
            f"the file ended at {seconds:.2f} s, before any tone or the no-answer time; no "
            "answer was signalled (--answer-at SECONDS)"
        )
    if answer_at >= seconds:
        return f"the file ended at {seconds:.2f} s, before the answer at {answer_at:g} s"
    return f"the file ended at {seconds:.2f} s, before a decision"


def outcome(results: list[CpdResult]) -> CpdResult | None:
    final = [r for r in results if r.kind.final]
    if final:
        return final[0]
    return results[-1] if results else None


def run(args: argparse.Namespace) -> int:
    try:
        config = load_cpd_config(args.config) if args.config else CpdConfig()
    except CpdConfigError as exc:
        return fail(str(exc))
    if args.answer_at is not None and args.answer_at < 0:
        return fail("--answer-at must not be negative")
    status = EXIT_OK
    for name in args.files:
        try:
            payload, encoding = read_wav(name)
        except WavError as exc:
            status = fail(str(exc))
            continue
        results, why = analyse(payload, encoding, config, args.answer_at)
        result = outcome(results)
        beep = next((r for r in results if r.kind.name == "BEEP"), None)
        if args.json:
            record: dict[str, object] = {"file": name}
            if result is None:
                record.update(result=None, why=why)
            else:
                state = call_state(result)
                ocs = ocs_call_result(result)
                record.update(
                    result=result.kind.name,
                    detail=result.detail,
                    time=round(result.time, 3),
                    call_state=state.name if state is not None else None,
                    ocs_call_result=ocs.value if ocs is not None else None,
                )
                if args.answer_at is not None:
                    record["after_answer"] = round(result.time - args.answer_at, 3)
            if beep is not None:
                record["beep_time"] = round(beep.time, 3)
            if args.all:
                record["results"] = [r.as_dict() for r in results]
            print(json.dumps(record), flush=True)
        else:
            if result is None:
                line = f"{name}: nothing detected: {why}"
            else:
                detail = f" ({result.detail})" if result.detail else ""
                line = f"{name}: {result.kind.name}{detail} at {result.time:.2f} s"
                if beep is not None and beep is not result:
                    line += f", beep at {beep.time:.2f} s"
            print(line, flush=True)
            if args.all:
                for r in results:
                    print(f"  {r.time:8.2f} {r.kind.name} {r.detail}".rstrip())
    return status
