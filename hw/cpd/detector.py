"""The streaming, sans-IO call progress detector.

    detector = CallProgressDetector(CpdConfig())
    results = detector.feed(payload, "ulaw", t)     # at any frame size, time of first sample
    detector.answered(at=t_answer)                  # signalling says the far end answered
    results += detector.finish()                    # end of the stream

The audio is 8 kHz: 16-bit little-endian linear ("slin16", bytes or an int16 numpy array) or
G.711 bytes ("ulaw" / "alaw", as RTP carries PCMU / PCMA). It is cut into 20 ms blocks counted
from the first sample, so any split of the same stream into frames gives the same results at
the same times. Tones are listened for from the first sample; answering machine detection runs
from the answer on. Each result is reported once, at the end of the block that decided it (its
`time`, on the stream's clock). The first final result ends the detection, except that after
MACHINE the detector keeps listening for the end-of-greeting beep.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

from hw.cpd.amd import AppAmd, GreetingAmd, NoiseFloor
from hw.cpd.config import CpdConfig
from hw.cpd.g711 import ALAW_DECODE, ULAW_DECODE
from hw.cpd.results import CpdKind, CpdResult
from hw.cpd.tones import (
    BLOCK,
    BLOCK_MS,
    BLOCK_S,
    NONE,
    SINGLE_TONES,
    Analyzer,
    ToneDetector,
)

ENCODINGS = ("slin16", "ulaw", "alaw")
_analyzers: dict[CpdConfig, Analyzer] = {}


def decode(data: bytes | npt.NDArray[np.int16], encoding: str) -> npt.NDArray[np.int16]:
    """Samples from a payload; ValueError for an unknown encoding or an odd slin16 length."""
    if isinstance(data, np.ndarray):
        if encoding != "slin16" or data.dtype != np.int16 or data.ndim != 1:
            raise ValueError("a numpy payload must be a 1-D int16 array of slin16 samples")
        return data
    if encoding == "slin16":
        if len(data) % 2:
            raise ValueError(f"slin16 payload of {len(data)} bytes: not whole 16-bit samples")
        return np.frombuffer(data, dtype="<i2")
    if encoding == "ulaw":
        return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]
    if encoding == "alaw":
        return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]
    raise ValueError(f"unknown encoding {encoding!r} (expected one of {', '.join(ENCODINGS)})")


def analyzer_for(config: CpdConfig) -> Analyzer:
    """The front end for a configuration (shared by every detector with that configuration)."""
    analyzer = _analyzers.get(config)
    if analyzer is None:
        analyzer = _analyzers[config] = Analyzer(config)
    return analyzer


class CallProgressDetector:
    """One call's detector (see the module docstring)."""

    def __init__(self, config: CpdConfig | None = None, start: float = 0.0) -> None:
        self.config = config = config or CpdConfig()
        self.analyzer = analyzer_for(config)
        self.tones = ToneDetector(config)
        self.floor = NoiseFloor(config.noise_floor_rise_db_per_s)
        self.band_floor = NoiseFloor(config.noise_floor_rise_db_per_s)
        self.amd: GreetingAmd | AppAmd = (
            AppAmd(config) if config.amd_method == "app_amd" else GreetingAmd(config)
        )
        self.start: float | None = None  # stream time of block 0
        self.default_start = start
        self.pending = np.zeros(0, dtype=np.float64)
        self.blocks = 0  # blocks analysed
        self.answer_time: float | None = None
        self.results: list[CpdResult] = []
        self.final: CpdResult | None = None
        self.beep_done = False
        self.amd_decided = False
        self.heard_greeting = False
        self.voiced: deque[int] = deque(maxlen=128)  # recent blocks that sounded like voice

    # -- inputs

    def answered(self, at: float) -> None:
        """The far end answered at stream time `at` (signalling says so)."""
        if self.answer_time is None:
            self.answer_time = at

    def feed(
        self,
        data: bytes | npt.NDArray[np.int16],
        encoding: str = "slin16",
        t: float | None = None,
    ) -> list[CpdResult]:
        """Audio whose first sample is at stream time `t` (default: right after the last)."""
        samples = decode(data, encoding)
        if self.start is None:
            self.start = self.default_start if t is None else t
        elif t is not None and not len(self.pending):
            expected = self.start + self.blocks * BLOCK_S
            if abs(t - expected) > BLOCK_S:  # a gap (lost packets) or a jump: re-anchor
                self.start = t - self.blocks * BLOCK_S
        if self.done:
            return []
        buffer: npt.NDArray[np.float64] = (
            np.concatenate((self.pending, samples))
            if len(self.pending)
            else samples.astype(np.float64)
        )
        whole = len(buffer) // BLOCK * BLOCK
        self.pending = buffer[whole:]
        if not whole:
            return []
        blocks: npt.NDArray[np.float64] = buffer[:whole].reshape(-1, BLOCK)
        return self._blocks(blocks)

    def finish(self, t: float | None = None) -> list[CpdResult]:
        """The end of the stream: ends any tone in progress (a partial last block is dropped)."""
        out: list[CpdResult] = []
        if not self.done:
            for result in self.tones.finish():
                self._accept(result, self.blocks, out)
            self._beep_check(self.blocks, out)
        return out

    # -- state

    @property
    def voice_heard(self) -> bool:
        """Whether any block so far sounded like voice (before the answer too)."""
        return bool(self.voiced)

    @property
    def done(self) -> bool:
        """Nothing more to decide."""
        return self.final is not None and (self.final.kind is not CpdKind.MACHINE or self.beep_done)

    @property
    def outcome(self) -> CpdResult | None:
        """The call's result so far: the final result, else the last informational one."""
        if self.final is not None:
            return self.final
        return self.results[-1] if self.results else None

    def _time(self, block_end: int) -> float:
        assert self.start is not None
        return self.start + block_end * BLOCK_S

    def _accept(self, result: CpdResult, block_end: int, out: list[CpdResult]) -> None:
        if self.final is not None and result.kind is not CpdKind.BEEP:
            return
        stamped = CpdResult(result.kind, round(self._time(block_end), 6), result.detail)
        if stamped.kind in (CpdKind.RINGBACK, CpdKind.DIAL_TONE) and any(
            r.kind is stamped.kind for r in self.results
        ):
            return
        self.results.append(stamped)
        out.append(stamped)
        if stamped.kind is CpdKind.BEEP:
            self.beep_done = True
        elif stamped.kind.final:
            self.final = stamped

    def _beep_check(self, k: int, out: list[CpdResult]) -> None:
        """A single tone run that just ended after a greeting: the beep, if its length fits."""
        c = self.config
        run = self.tones.ended_run
        if (
            run is None
            or self.beep_done
            or run.label not in SINGLE_TONES
            or not self.heard_greeting
            or not c.beep_min_hz <= run.freq <= c.beep_max_hz
            or self.tones.run is not None
            or self.answer_time is None
        ):
            return
        if self._time(run.start) < self.answer_time:
            return
        # a beep stands alone: no voice just before it or since it ended (vowels are not
        # beeps); the partial blocks at its two edges do not count
        quiet_from = run.start - 1 - max(1, c.beep_quiet_before_ms // BLOCK_MS)
        if any(quiet_from <= v < run.start - 1 or v > run.end + 1 for v in self.voiced):
            return
        # and holds its frequency: a vowel's harmonic can pass for a tone, but follows the pitch
        if run.freq_high - run.freq_low > c.beep_max_glide_hz:
            return
        if c.beep_min_ms <= run.duration_ms() <= c.beep_max_ms:
            if self.final is None:
                self._accept(CpdResult(CpdKind.MACHINE, 0.0, "beep after the greeting"), k, out)
            self._accept(CpdResult(CpdKind.BEEP, 0.0, f"{run.freq:.0f} Hz"), k, out)

    def _blocks(self, blocks: npt.NDArray[np.float64]) -> list[CpdResult]:
        c = self.config
        features = self.analyzer.analyse(blocks)
        out: list[CpdResult] = []
        tones = self.tones
        floor = self.floor
        band_floor = self.band_floor
        amd = self.amd
        answer = self.answer_time
        start = self.start
        assert start is not None
        beep_listen_s = c.beep_listen_ms / 1000
        for i, label in enumerate(features.label):
            k = self.blocks
            self.blocks = k + 1
            end_time = start + (k + 1) * BLOCK_S
            level = features.voice_db[i]
            floor_db = floor.update(level)
            band_db = features.band_db[i]
            band_floor_db = band_floor.update(band_db)
            if (
                level >= floor_db + c.vad_hold_margin_db
                and level >= c.vad_min_dbfs
                and label not in SINGLE_TONES
            ):
                self.voiced.append(k)
            decided = tones.block(k, label, features.freq[i], features.ced[i])
            for result in decided:
                self._accept(result, k + 1, out)
            if self.final is not None and self.final.kind is not CpdKind.MACHINE:
                break
            if answer is not None and end_time > answer:
                if tones.ended_run is not None:
                    self._beep_check(k + 1, out)
                if self.final is None:
                    since = round((end_time - answer) * 1000)
                    if isinstance(amd, AppAmd):
                        decision = amd.block(features.mean_abs[i])
                    else:
                        # a single tone is not a voice, nor a dual tone held for
                        # dual_tone_not_voice_ms (busy after the answer; a voiced block can
                        # pass for a dual tone, a run of them cannot)
                        run = tones.run
                        tonal = label in SINGLE_TONES or (
                            label != NONE
                            and run is not None
                            and (k - run.start) * BLOCK_MS >= c.dual_tone_not_voice_ms
                        )
                        decision = amd.block(since, band_db, band_floor_db, tonal)
                        if amd.onset_ms is not None:
                            self.heard_greeting = True
                    if decision is not None:
                        kind, reason = decision
                        self._accept(CpdResult(kind, 0.0, reason), k + 1, out)
                        if kind is CpdKind.MACHINE:
                            self.heard_greeting = True
                elif end_time - answer > beep_listen_s:
                    self.beep_done = True
                if self.done:
                    break
            elif answer is None and (k + 1) * BLOCK_MS >= c.no_answer_ms:
                self._accept(CpdResult(CpdKind.NO_ANSWER, 0.0, ""), k + 1, out)
                break
        return out


__all__ = ["ENCODINGS", "CallProgressDetector", "decode"]
